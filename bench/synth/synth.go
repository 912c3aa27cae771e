// Package synth writes synthetic projects of any size for benchmarks: a
// realistic mix of staging views, intermediate tables, incremental marts with
// overwrite and merge, refs into earlier layers, folder defaults, sibling
// config, vars, window functions and data tests.
package synth

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Write writes a project of n models into dir, the same for the same n.
func Write(dir string, n int) error {
	rng := rand.New(rand.NewPCG(uint64(n), 42))
	domains := max(1, n/500)
	var b strings.Builder
	b.WriteString("name = \"synthetic\"\nstart = \"2026-01-01\"\n\n[window]\ngrain = \"day\"\ndelay = \"4h\"\n\n[vars]\nmin_rows = 1\nregion = \"eu\"\n\n")
	const sources = 10
	for s := 0; s < sources; s++ {
		fmt.Fprintf(&b, "[sources.src_%d]\npath = \"raw/src_%d\"\ntime_column = \"event_ts\"\ntime_partition = \"dt\"\n\n", s, s)
	}
	b.WriteString("[models]\nmaterialized = \"view\"\n\n")
	for d := 0; d < domains; d++ {
		fmt.Fprintf(&b, "[models.d%d.marts]\nmaterialized = \"table\"\ntags = [\"d%d\"]\n\n", d, d)
	}
	b.WriteString("[env.prod]\ndata_dir = \"/srv/lake\"\n")
	if err := write(dir, "etl_project.toml", b.String()); err != nil {
		return err
	}

	type model struct{ name, layer, timeColumn string }
	models := make([]model, 0, n)
	byLayer := map[string][]int{}
	pick := func(layers ...string) model {
		var pool []int
		for _, l := range layers {
			pool = append(pool, byLayer[l]...)
		}
		if len(pool) > 400 {
			pool = pool[len(pool)-400:] // refs reach back a little, as in real projects
		}
		return models[pool[rng.IntN(len(pool))]]
	}
	for i := 0; i < n; i++ {
		d := i % domains
		layer := "staging"
		switch f := float64(i) / float64(n); {
		case f >= 0.55:
			layer = "marts"
		case f >= 0.15:
			layer = "intermediate"
		}
		if len(byLayer["staging"]) == 0 {
			layer = "staging"
		}
		name := fmt.Sprintf("%s_%d", layer[:3], i)
		var front, body strings.Builder
		m := model{name: name, layer: layer, timeColumn: "event_ts"}
		switch layer {
		case "staging":
			fmt.Fprintf(&front, "time_column = \"event_ts\"\ntags = [\"staging\"]\n")
			fmt.Fprintf(&body, "select\n    id,\n    event_ts,\n    user_id,\n    lower(kind) as kind,\n    amount\nfrom {{ source \"src_%d\" }}\nwhere region = '{{ var \"region\" }}'\n", rng.IntN(sources))
		case "intermediate":
			if rng.IntN(3) == 0 {
				front.WriteString("materialized = \"table\"\n")
			}
			front.WriteString("time_column = \"event_ts\"\n")
			a, c := pick("staging", "intermediate"), pick("staging")
			fmt.Fprintf(&body, "select\n    a.id,\n    a.event_ts,\n    a.user_id,\n    a.kind,\n    a.amount + coalesce(b.amount, 0) as amount\nfrom {{ ref %q }} a\nleft join {{ ref %q }} b on a.id = b.id\n", a.name, c.name)
		case "marts":
			m.timeColumn = "dt"
			switch rng.IntN(4) {
			case 0, 1:
				front.WriteString("materialized = \"incremental\"\nstrategy = \"overwrite\"\ntime_column = \"dt\"\npartition_by = [\"dt\"]\n")
			case 2:
				front.WriteString("materialized = \"incremental\"\nstrategy = \"merge\"\nunique_key = [\"dt\", \"kind\"]\ntime_column = \"dt\"\n")
			default:
				front.WriteString("time_column = \"dt\"\n")
			}
			fmt.Fprintf(&front, "tags = [\"daily\", \"tier%d\"]\n\n[[tests]]\ntype = \"not_null\"\ncolumns = [\"dt\", \"kind\"]\n\n[[tests]]\ntype = \"unique\"\ncolumns = [\"dt\", \"kind\"]\n", rng.IntN(3))
			src := pick("intermediate", "staging")
			fmt.Fprintf(&body, "select\n    cast(e.event_ts as date) as dt,\n    e.kind,\n    count(*) as events,\n    sum(e.amount) as amount\nfrom {{ ref %q }} e\n", src.name)
			if rng.IntN(2) == 0 {
				fmt.Fprintf(&body, "where e.user_id in (select user_id from {{ ref %q }})\n", pick("staging").name)
			}
			fmt.Fprintf(&body, "group by all\nhaving count(*) >= {{ var \"min_rows\" }}\n")
		}
		path := filepath.Join("models", fmt.Sprintf("d%d", d), layer, name+".sql")
		text := "/*---\n" + front.String() + "---*/\n" + body.String()
		if i%10 == 9 {
			text = body.String()
			if err := write(dir, strings.TrimSuffix(path, ".sql")+".toml", front.String()); err != nil {
				return err
			}
		}
		if err := write(dir, path, text); err != nil {
			return err
		}
		byLayer[layer] = append(byLayer[layer], len(models))
		models = append(models, m)
	}
	return nil
}

func write(dir, rel, content string) error {
	path := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}
