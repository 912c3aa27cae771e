package compiler_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/etl-dev/etl/adapters/duckdb"
	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/internal/golden"
	"github.com/etl-dev/etl/project"
)

func TestRender(t *testing.T) {
	proj := `
name = "p"
[window]
grain = "day"
delay = "4h"
timezone = "Europe/Berlin"
[vars]
country = "DE"
[sources.events]
path = "raw/events"
time_column = "ts"
time_partition = "dt"
[sources.users]
path = "raw/users.csv"
`
	files := map[string]string{
		"etl_project.toml":  proj,
		"models/stg.sql":    "/*---\ntime_column = \"ts\"\n---*/\nselect * from {{ source \"events\" }} where country = '{{ var \"country\" }}'",
		"models/plain.sql":  "select * from {{ source \"users\" }}",
		"models/tbl.sql":    "/*---\nmaterialized = \"table\"\ntime_column = \"day\"\n---*/\nselect 1 as day",
		"models/inc.sql":    "/*---\nmaterialized = \"incremental\"\ntime_column = \"dt\"\n---*/\nselect * from {{ ref \"tbl\" }}, {{ ref_full \"stg\" }}, {{ source_full \"events\" }}",
		"models/hourly.sql": "/*---\nmaterialized = \"incremental\"\ntime_column = \"ts\"\ngrain = \"hour\"\ndelay = \"0s\"\n---*/\nselect * from {{ source \"events\" }}",
		"models/viewed.sql": "/*---\nmaterialized = \"incremental\"\ntime_column = \"ts\"\n---*/\nselect * from {{ ref \"stg\" }} join {{ ref \"plain\" }} using (id)",
		"models/fns.sql":    "/*---\nmaterialized = \"incremental\"\ntime_column = \"ts\"\n---*/\nselect {{ window_start }}, {{ window_end }}, {{ window_start_date }}, {{ window_end_date }}, {{ trigger }}, '{{ env }}' from {{ this }}{{ if is_incremental }} -- incremental{{ end }}",
		"models/tview.sql":  "select {{ window_start }}",
	}
	c := newCompiler(t, files)
	trigger := time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		id    string
		opts  compiler.Options
		want  []string
		wantE string
	}{
		{
			name: "source filtered on partition and instant",
			id:   "inc",
			opts: compiler.Options{Trigger: trigger, Kinds: map[string]compiler.Kind{"tbl": compiler.KindDate}},
			want: []string{
				`(select * from "tbl" where "day" >= DATE '2026-11-24' and "day" < DATE '2026-11-25')`,
				`, "stg", read_parquet('`,
				`raw/events/**/*.parquet', hive_partitioning = true)`,
			},
		},
		{
			name: "timestamp without zone compares in UTC",
			id:   "inc",
			opts: compiler.Options{Trigger: trigger, Kinds: map[string]compiler.Kind{"tbl": compiler.KindTimestamp}},
			want: []string{`"day" >= TIMESTAMP '2026-11-23 23:00:00' and "day" < TIMESTAMP '2026-11-24 23:00:00'`},
		},
		{
			name: "timestamptz compares as an instant in the project zone",
			id:   "inc",
			opts: compiler.Options{Trigger: trigger, Kinds: map[string]compiler.Kind{"tbl": compiler.KindTimestampTZ}},
			want: []string{`"day" >= TIMESTAMPTZ '2026-11-24 00:00:00+01:00' and "day" < TIMESTAMPTZ '2026-11-25 00:00:00+01:00'`},
		},
		{
			name: "hourly window prunes the whole local day",
			id:   "hourly",
			opts: compiler.Options{Trigger: time.Date(2026, 11, 25, 4, 30, 0, 0, time.UTC)},
			want: []string{`"dt" >= DATE '2026-11-25' and "dt" < DATE '2026-11-26' and "ts" >= TIMESTAMPTZ '2026-11-25 04:00:00+01:00' and "ts" < TIMESTAMPTZ '2026-11-25 05:00:00+01:00'`},
		},
		{
			name: "a view with a time column is inlined with its inputs filtered",
			id:   "viewed",
			opts: compiler.Options{Trigger: trigger},
			want: []string{
				"from (select * from (\nselect * from (select * from read_parquet(",
				`where "dt" >= DATE '2026-11-24' and "dt" < DATE '2026-11-25' and "ts" >= TIMESTAMPTZ '2026-11-24 00:00:00+01:00'`,
				"where country = 'DE'\n) where \"ts\" >= TIMESTAMPTZ",
				`join "plain" using (id)`,
			},
		},
		{
			name: "template functions",
			id:   "fns",
			opts: compiler.Options{Trigger: trigger, Existing: func(string) bool { return true }},
			want: []string{"select TIMESTAMPTZ '2026-11-24 00:00:00+01:00', TIMESTAMPTZ '2026-11-25 00:00:00+01:00', DATE '2026-11-24', DATE '2026-11-25', TIMESTAMPTZ '2026-11-25 05:00:00+01:00', 'default' from \"fns\" -- incremental"},
		},
		{
			name: "full refresh is not incremental",
			id:   "fns",
			opts: compiler.Options{Trigger: trigger, FullRefresh: true, Existing: func(string) bool { return true }},
			want: []string{`from "fns"`},
		},
		{
			name:  "incremental without a trigger is refused",
			id:    "inc",
			opts:  compiler.Options{},
			wantE: "model inc is incremental and needs a window: pass --trigger",
		},
		{
			name:  "window function without a window",
			id:    "tview",
			opts:  compiler.Options{},
			wantE: "models/tview.sql:1:11: window_start needs a window",
		},
		{
			name: "a view is not filtered",
			id:   "stg",
			opts: compiler.Options{Trigger: trigger},
			want: []string{"select * from read_parquet("},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, err := c.Render(tt.id, c.Window(tt.id, tt.opts.Trigger), tt.opts)
			if tt.wantE != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantE) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantE)
				}
				var nw *compiler.NoWindowError
				if strings.Contains(tt.wantE, "incremental") && !errors.As(err, &nw) {
					t.Errorf("error does not wrap a NoWindowError")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(sql, w) {
					t.Errorf("sql:\n%s\nwant it to contain:\n%s", sql, w)
				}
			}
			if tt.name == "full refresh is not incremental" && strings.Contains(sql, "-- incremental") {
				t.Errorf("is_incremental was true under --full-refresh:\n%s", sql)
			}
		})
	}
}

// TestExampleGolden compiles the example project and compares every model's
// SQL with testdata/example/. Run go test ./compiler -update to rewrite them.
func TestExampleGolden(t *testing.T) {
	for _, tc := range []struct {
		dir      string
		env      string
		existing bool
	}{
		{dir: "first_run"},
		{dir: "incremental", existing: true},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			p, err := project.Load("../example_project", project.Options{Env: tc.env})
			if err != nil {
				t.Fatal(err)
			}
			c, err := compiler.New(p, duckdb.Dialect{})
			if err != nil {
				t.Fatal(err)
			}
			ids, err := c.Select(nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := c.Compile(ids, compiler.Options{
				Trigger:  time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC),
				Existing: func(string) bool { return tc.existing },
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, cn := range append(plan.Nodes, plan.Tests...) {
				if cn.SQL == "" {
					continue
				}
				got := strings.ReplaceAll(cn.SQL, p.Root, "$PROJECT") + "\n"
				golden.Check(t, filepath.Join("testdata", "example", tc.dir, cn.Node.Name+".sql"), got)
			}
		})
	}
}
