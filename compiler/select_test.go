package compiler_test

import (
	"strings"
	"testing"

	"github.com/etl-dev/etl/adapters/duckdb"
	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/internal/projecttest"
	"github.com/etl-dev/etl/project"
)

// newCompiler loads files as a project and parses it.
func newCompiler(t *testing.T, files map[string]string) *compiler.Compiler {
	t.Helper()
	p, err := project.Load(projecttest.Write(t, files), project.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := compiler.New(p, duckdb.Dialect{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// selectionProject is
//
//	source:events -> a -> b -> c -> d -> f
//	                 a -> e ------------> f
//	source:users ------> e
//	s (seed) -> g
func selectionProject(t *testing.T) *compiler.Compiler {
	return newCompiler(t, map[string]string{
		"etl_project.toml":      "name = \"p\"\n[sources.events]\npath = \"raw/events\"\n[sources.users]\npath = \"raw/users.csv\"\n[models.stg]\nmaterialized = \"table\"\n",
		"models/a.sql":          "/*---\ntags = [\"x\"]\n---*/\nselect * from {{ source \"events\" }}",
		"models/stg/b.sql":      "select * from {{ ref \"a\" }}",
		"models/c.sql":          "/*---\ntags = [\"x\", \"y\"]\n---*/\nselect * from {{ ref \"b\" }}",
		"models/d.sql":          "select * from {{ ref \"c\" }}",
		"models/e.sql":          "select * from {{ ref \"a\" }} join {{ source \"users\" }} using (id)",
		"models/f.sql":          "select * from {{ ref \"d\" }} union all select * from {{ ref \"e\" }}",
		"models/g.sql":          "select * from {{ ref \"s\" }}",
		"seeds/s.csv":           "id\n1\n",
		"tests/f_not_empty.sql": "select 1 where not exists (select * from {{ ref \"f\" }})",
	})
}

func TestSelect(t *testing.T) {
	c := selectionProject(t)
	tests := []struct {
		name             string
		include, exclude []string
		want             string
	}{
		{"everything", nil, nil, "s g a b c d e f"},
		{"name", []string{"c"}, nil, "c"},
		{"ancestors", []string{"+c"}, nil, "source:events a b c"},
		{"descendants", []string{"c+"}, nil, "c d f"},
		{"ancestors to depth 1", []string{"1+c"}, nil, "b c"},
		{"ancestors to depth 2", []string{"2+c"}, nil, "a b c"},
		{"descendants to depth 1", []string{"c+1"}, nil, "c d"},
		{"both ways", []string{"+b+"}, nil, "source:events a b c d f"},
		{"at", []string{"@e"}, nil, "source:events a b c d source:users e f"},
		{"tag", []string{"tag:x"}, nil, "a c"},
		{"tag with descendants", []string{"tag:y+"}, nil, "c d f"},
		{"intersection", []string{"tag:x,tag:y"}, nil, "c"},
		{"intersection with graph", []string{"a+,+d"}, nil, "a b c d"},
		{"union in one argument", []string{"tag:y g"}, nil, "g c"},
		{"union of arguments", []string{"b", "e"}, nil, "b e"},
		{"path folder", []string{"path:models/stg"}, nil, "b"},
		{"path file", []string{"path:models/c.sql"}, nil, "c"},
		{"path seeds", []string{"path:seeds"}, nil, "s"},
		{"source", []string{"source:users"}, nil, "source:users"},
		{"source descendants", []string{"source:users+"}, nil, "source:users e f"},
		{"source glob", []string{"source:*"}, nil, "source:events source:users"},
		{"seed descendants", []string{"s+"}, nil, "s g"},
		{"glob", []string{"[a-c]"}, nil, "a b c"},
		{"config", []string{"config.materialized:table"}, nil, "b"},
		{"exclude", nil, []string{"c+"}, "s g a b e"},
		{"exclude a tag", []string{"a+"}, []string{"tag:x"}, "b d e f"},
		{"exclude matching nothing is fine", []string{"a"}, []string{"tag:none"}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, err := c.Select(tt.include, tt.exclude)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(ids, " "); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSelectErrors(t *testing.T) {
	c := selectionProject(t)
	tests := []struct {
		sel, want string
	}{
		{"ee", `selector "ee" matches no model or seed; did you mean "e"?`},
		{"users", `"users" is a source: select it with source:users`},
		{"tag:z", `selector "tag:z" matches no model (did you mean "x"?)`},
		{"source:evnts", `selector "source:evnts" matches no source (did you mean "events"?)`},
		{"tga:x", `unknown method "tga" (did you mean "tag"?)`},
		{"@+a", `cannot read selector "@+a"`},
		{"config.colour:red", `cannot select on config.colour`},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			_, err := c.Select([]string{tt.sel}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestTestsOf(t *testing.T) {
	c := selectionProject(t)
	for _, tt := range []struct {
		sel  string
		want int
	}{{"f", 1}, {"d", 0}, {"+f", 1}} {
		ids, err := c.Select([]string{tt.sel}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(c.TestsOf(ids)); got != tt.want {
			t.Errorf("%s: got %d tests, want %d", tt.sel, got, tt.want)
		}
	}
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{
			name: "two models",
			files: map[string]string{
				"models/b.sql": "select * from {{ ref \"a\" }}",
				"models/a.sql": "select * from {{ ref \"b\" }}",
			},
			want: "dependency cycle: a -> b -> a",
		},
		{
			name: "three models, rotated to the smallest name",
			files: map[string]string{
				"models/z.sql":  "select * from {{ ref \"y\" }}",
				"models/y.sql":  "select * from {{ ref \"m\" }}",
				"models/m.sql":  "select * from {{ ref \"z\" }}",
				"models/ok.sql": "select 1",
			},
			want: "dependency cycle: m -> y -> z -> m",
		},
		{
			name: "two separate cycles",
			files: map[string]string{
				"models/a.sql": "select * from {{ ref \"b\" }}",
				"models/b.sql": "select * from {{ ref \"a\" }}",
				"models/c.sql": "select * from {{ ref \"d\" }}",
				"models/d.sql": "select * from {{ ref \"c\" }}",
			},
			want: "dependency cycle: a -> b -> a; c -> d -> c",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := project.Load(projecttest.Write(t, tt.files), project.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = compiler.New(p, duckdb.Dialect{})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got %v, want %s", err, tt.want)
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	project := "name = \"p\"\n[vars]\nmin_clicks = 1\n[sources.events]\npath = \"raw\"\n"
	tests := []struct {
		name string
		sql  string
		want string
	}{
		{"unknown ref", "select 1\nfrom {{ ref \"stg_evnts\" }}", `models/m.sql:2:9: unknown ref "stg_evnts" (did you mean "stg_events"?)`},
		{"ref to a source", "select *\n\nfrom {{ ref \"events\" }}", `models/m.sql:3:9: unknown ref "events": "events" is a source; use {{ source "events" }}`},
		{"unknown source", "select * from {{ source \"event\" }}", `models/m.sql:1:18: unknown source "event" (did you mean "events"?): declare it as [sources.event] in etl_project.toml`},
		{"source naming a model", "select * from {{ source \"stg_events\" }}", `unknown source "stg_events": "stg_events" is a model; use {{ ref "stg_events" }}`},
		{"unknown var", "select {{ var \"min_click\" }}", `models/m.sql:1:11: unknown var "min_click" (did you mean "min_clicks"?)`},
		{"ref in an untaken branch is still checked", "select 1\n{{ if false }}{{ ref \"nope\" }}{{ end }}", `models/m.sql:2:18: unknown ref "nope"`},
		{"unknown function", "select 1\n\n{{ reff \"x\" }}", `models/m.sql:3: unknown template function "reff" (did you mean "ref"?)`},
		{"syntax", "select {{ ref \"x\" ", `models/m.sql:1: unclosed action`},
		{"dynamic ref", "select * from {{ ref (var \"min_clicks\") }}", `models/m.sql:1:18: ref takes a quoted name`},
		{"self ref", "select * from {{ ref \"m\" }}", `model m refers to itself: use {{ this }}`},
		{"front matter keeps line numbers", "/*---\ntags = [\"a\"]\n---*/\nselect *\nfrom {{ ref \"nope\" }}", `models/m.sql:5:9: unknown ref "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := projectLoad(t, map[string]string{
				"etl_project.toml":      project,
				"models/stg_events.sql": "select 1",
				"models/m.sql":          tt.sql,
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = compiler.New(p, duckdb.Dialect{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got\n%v\nwant an error containing\n%s", err, tt.want)
			}
		})
	}
}

func projectLoad(t *testing.T, files map[string]string) (*project.Project, error) {
	t.Helper()
	return project.Load(projecttest.Write(t, files), project.Options{})
}
