package compiler

import (
	"fmt"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/etl-dev/etl/project"
)

// testDialect is a minimal dialect for tests inside the package (the DuckDB
// dialect lives in an adapter that imports this package).
type testDialect struct{}

func (testDialect) Quote(s string) string        { return `"` + s + `"` }
func (testDialect) Timestamp(t time.Time) string { return "TS(" + t.Format(time.RFC3339) + ")" }
func (testDialect) UTCTimestamp(t time.Time) string {
	return "UTC(" + t.UTC().Format(time.RFC3339) + ")"
}
func (testDialect) Date(t time.Time) string { return "D(" + t.Format("2006-01-02") + ")" }
func (testDialect) Scan(p, f string, hive bool) string {
	return fmt.Sprintf("scan(%s,%s,%v)", p, f, hive)
}
func (testDialect) ScanFiles(fs []string, f string, h bool) string {
	return "files(" + strings.Join(fs, ",") + ")"
}

// TestSimpleMatchesTextTemplate renders templates that the simple renderer
// accepts with both it and text/template, and requires the same output.
func TestSimpleMatchesTextTemplate(t *testing.T) {
	p := &project.Project{
		Name: "p", Env: "prod",
		Vars:    map[string]any{"n": int64(5), "s": "DE", "b": true, "l": []any{"a", "b"}},
		Sources: map[string]*project.Source{"events": {Name: "events", Path: "/raw/events", Format: "parquet", TimeColumn: "ts", TimePartition: "dt"}},
		Models: map[string]*project.Model{
			"up": {Name: "up", Path: "models/up.sql", SQL: "select 1", Config: project.ModelConfig{Materialized: "table", TimeColumn: "dt"}, Window: project.Window{Grain: "day", Location: time.UTC}},
			"m":  {Name: "m", Path: "models/m.sql", SQL: "x", Config: project.ModelConfig{Materialized: "incremental", TimeColumn: "dt"}, Window: project.Window{Grain: "day", Location: time.UTC}},
		},
		Window: project.Window{Grain: "day", Location: time.UTC},
	}
	c, err := New(p, testDialect{})
	if err != nil {
		t.Fatal(err)
	}
	n := c.Nodes["m"]
	w := WindowFor(time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC), n.Model.Window)
	texts := []string{
		`select * from {{ ref "up" }} join {{ source "events" }} using (id)`,
		`select {{ var "n" }}, '{{ var "s" }}', {{ var "b" }}, '{{ var "l" }}'`,
		"a {{- ref `up` -}} b\n\n  {{- this }}\n",
		"{{ window_start }} {{ window_end }} {{ window_start_date }} {{ window_end_date }} {{ trigger }}",
		"{{ is_incremental }} {{ env }} {{ref_full \"up\"}} {{source_full \"events\"}}",
		"no actions at all\n",
		"  {{-   this   -}}  tail",
		"{{ this }}{{ this }}",
	}
	for _, text := range texts {
		s, ok := parseSimple(text)
		if !ok {
			t.Errorf("not simple: %q", text)
			continue
		}
		opts := Options{Trigger: time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC), Existing: func(string) bool { return true }}
		r := &renderer{c: c, n: n, w: w, opts: opts, windowed: true, memo: &inlined{}}
		var fast strings.Builder
		if err := s.execute(&fast, r, text, n.Path); err != nil {
			t.Fatal(err)
		}
		tmpl, err := template.New("t").Funcs(n.funcs()).Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		var slow strings.Builder
		n.cur = r
		err = tmpl.Execute(&slow, nil)
		n.cur = nil
		if err != nil {
			t.Fatal(err)
		}
		if fast.String() != slow.String() {
			t.Errorf("%q:\nsimple        %q\ntext/template %q", text, fast.String(), slow.String())
		}
	}
	for _, text := range []string{
		`{{ if is_incremental }}x{{ end }}`, `{{/* note */}}`, `{{ ref "up" | printf "%s" }}`,
		`{{ref"up"}}`, `{{ ref }}`, `{{ this "x" }}`, `{{ unknown }}`, `{{ ref "up"`, `{{ ref "a}}b" }}`,
	} {
		if _, ok := parseSimple(text); ok {
			t.Errorf("taken as simple, but needs text/template: %q", text)
		}
	}
}
