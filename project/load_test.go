package project_test

import (
	"strings"
	"testing"
	"time"

	"github.com/etl-dev/etl/internal/projecttest"
	"github.com/etl-dev/etl/project"
)

func TestPrecedence(t *testing.T) {
	base := `
name = "p"
data_dir = "d0"
[window]
grain = "day"
lookback = 0
[vars]
n = 1
s = "a"
[models]
materialized = "view"
[models.marts]
materialized = "table"
[env.prod]
data_dir = "d1"
[env.prod.vars]
n = 2
[env.prod.window]
lookback = 3
[env.prod.models.marts]
materialized = "incremental"
time_column = "dt"
`
	tests := []struct {
		name  string
		files map[string]string
		opts  project.Options
		check func(t *testing.T, p *project.Project)
	}{
		{
			name:  "project [models] default",
			files: map[string]string{"models/top.sql": "select 1"},
			check: wantMaterialized("top", "view"),
		},
		{
			name:  "folder default beats [models]",
			files: map[string]string{"models/marts/m.sql": "select 1"},
			check: wantMaterialized("m", "table"),
		},
		{
			name:  "nested folder default beats its parent",
			files: map[string]string{"models/marts/sub/m.sql": "select 1", "etl_project.toml": base + "[models.marts.sub]\nmaterialized = \"view\"\n"},
			check: wantMaterialized("m", "view"),
		},
		{
			name:  "sibling toml beats folder default",
			files: map[string]string{"models/marts/m.sql": "select 1", "models/marts/m.toml": "materialized = \"view\"\n"},
			check: wantMaterialized("m", "view"),
		},
		{
			name: "front matter beats sibling toml",
			files: map[string]string{
				"models/marts/m.sql":  "/*---\nmaterialized = \"table\"\n---*/\nselect 1",
				"models/marts/m.toml": "materialized = \"view\"\n",
			},
			check: wantMaterialized("m", "table"),
		},
		{
			name:  "env overlay beats the model's own config",
			files: map[string]string{"models/marts/m.sql": "/*---\nmaterialized = \"table\"\ntime_column = \"dt\"\n---*/\nselect 1"},
			opts:  project.Options{Env: "prod"},
			check: wantMaterialized("m", "incremental"),
		},
		{
			name:  "--set beats env overlay",
			files: map[string]string{"models/marts/m.sql": "/*---\ntime_column = \"dt\"\n---*/\nselect 1"},
			opts:  project.Options{Env: "prod", Set: []string{"models.marts.materialized=view"}},
			check: wantMaterialized("m", "view"),
		},
		{
			name: "project keys: file, env, --set",
			opts: project.Options{Env: "prod"},
			check: func(t *testing.T, p *project.Project) {
				if !strings.HasSuffix(p.DataDir, "/d1") {
					t.Errorf("data_dir: got %s, want .../d1", p.DataDir)
				}
				if p.Window.Lookback != 3 {
					t.Errorf("lookback: got %d, want 3", p.Window.Lookback)
				}
			},
		},
		{
			name: "--set a project key and a window key",
			opts: project.Options{Env: "prod", Set: []string{"data_dir=/tmp/x y", "window.lookback=5", "window.timezone=Europe/Berlin"}},
			check: func(t *testing.T, p *project.Project) {
				if p.DataDir != "/tmp/x y" {
					t.Errorf("data_dir: got %q, want %q", p.DataDir, "/tmp/x y")
				}
				if p.Window.Lookback != 5 || p.Window.Location.String() != "Europe/Berlin" {
					t.Errorf("window: got %+v", p.Window)
				}
			},
		},
		{
			name:  "vars: file, env, ETL_VAR_, --var",
			opts:  project.Options{Env: "prod", Environ: []string{"ETL_VAR_N=3", "ETL_VAR_S=from-env", "ETL_VAR_NEW=x", "OTHER=1"}, Vars: []string{"s=from-flag"}},
			check: wantVars(map[string]any{"n": int64(3), "s": "from-flag", "new": "x"}),
		},
		{
			name:  "vars: env overlay alone",
			opts:  project.Options{Env: "prod"},
			check: wantVars(map[string]any{"n": int64(2), "s": "a"}),
		},
		{
			name:  "vars: --var beats ETL_VAR_ and keeps the number type",
			opts:  project.Options{Environ: []string{"ETL_VAR_N=3"}, Vars: []string{"n=7", "flag=true"}},
			check: wantVars(map[string]any{"n": int64(7), "s": "a", "flag": true}),
		},
		{
			name:  "per-model window overrides",
			files: map[string]string{"models/h.sql": "/*---\ngrain = \"hour\"\ndelay = \"15m\"\ntimezone = \"Europe/Berlin\"\n---*/\nselect 1"},
			check: func(t *testing.T, p *project.Project) {
				w := p.Models["h"].Window
				if w.Grain != "hour" || w.Delay != 15*time.Minute || w.Location.String() != "Europe/Berlin" || w.Lookback != 0 {
					t.Errorf("got %+v", w)
				}
			},
		},
		{
			name: "tests add up from sibling and front matter",
			files: map[string]string{
				"models/m.sql":  "/*---\n[[tests]]\ntype = \"not_null\"\ncolumns = [\"a\"]\n---*/\nselect 1 as a",
				"models/m.toml": "[[tests]]\ntype = \"row_count\"\nmin = 1\n",
			},
			check: func(t *testing.T, p *project.Project) {
				var types []string
				for _, tt := range p.Models["m"].Config.Tests {
					types = append(types, tt.Type)
				}
				if got := strings.Join(types, ","); got != "row_count,not_null" {
					t.Errorf("tests: got %s, want row_count,not_null", got)
				}
			},
		},
		{
			name:  "enabled = false removes the model",
			files: map[string]string{"models/off.sql": "/*---\nenabled = false\n---*/\nselect 1"},
			check: func(t *testing.T, p *project.Project) {
				if _, ok := p.Models["off"]; ok {
					t.Error("disabled model was loaded")
				}
				if _, ok := p.Disabled("off"); !ok {
					t.Error("disabled model not recorded")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"etl_project.toml": base, "models/marts/keep.sql": "select 1"}
			for k, v := range tt.files {
				files[k] = v
			}
			p, err := project.Load(projecttest.Write(t, files), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

func wantMaterialized(model, want string) func(*testing.T, *project.Project) {
	return func(t *testing.T, p *project.Project) {
		t.Helper()
		m, ok := p.Models[model]
		if !ok {
			t.Fatalf("model %s not loaded", model)
		}
		if got := m.Config.Materialized; got != want {
			t.Errorf("materialized: got %s, want %s", got, want)
		}
	}
}

func wantVars(want map[string]any) func(*testing.T, *project.Project) {
	return func(t *testing.T, p *project.Project) {
		t.Helper()
		if len(p.Vars) != len(want) {
			t.Errorf("vars: got %v, want %v", p.Vars, want)
		}
		for k, v := range want {
			if p.Vars[k] != v {
				t.Errorf("var %s: got %#v, want %#v", k, p.Vars[k], v)
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		opts  project.Options
		want  []string // each line must appear in the error
	}{
		{
			name:  "unknown key in front matter with suggestion",
			files: map[string]string{"models/m.sql": "/*---\ntags = [\"x\"]\nmaterialised = \"table\"\n---*/\nselect 1"},
			want:  []string{"models/m.sql:3: unknown key `materialised` here; did you mean `materialized`?"},
		},
		{
			name:  "unknown key in project file",
			files: map[string]string{"etl_project.toml": "name = \"p\"\n\n[window]\ngrian = \"day\"\n"},
			want:  []string{"etl_project.toml:4: unknown key `grian` in [window]; did you mean `grain`?"},
		},
		{
			name:  "unknown key in a source",
			files: map[string]string{"etl_project.toml": "name = \"p\"\n[sources.events]\npath = \"raw\"\ntime_colum = \"ts\"\n"},
			want:  []string{"etl_project.toml:4: unknown key `time_colum` in [sources.events]; did you mean `time_column`?"},
		},
		{
			name:  "wrong type",
			files: map[string]string{"models/m.sql": "/*---\nlookback = \"two\"\n---*/\nselect 1"},
			want:  []string{"models/m.sql:2: `lookback` must be a whole number, got a string \"two\""},
		},
		{
			name:  "bad value with suggestion",
			files: map[string]string{"etl_project.toml": "name = \"p\"\n[window]\ngrain = \"days\"\n"},
			want:  []string{"etl_project.toml:3: `grain` = \"days\" is not valid; did you mean \"day\"?"},
		},
		{
			name:  "unknown time zone",
			files: map[string]string{"etl_project.toml": "name = \"p\"\n[window]\ntimezone = \"Europe/Berln\"\n"},
			want:  []string{"etl_project.toml:3: unknown time zone \"Europe/Berln\""},
		},
		{
			name:  "bad delay",
			files: map[string]string{"etl_project.toml": "name = \"p\"\n[window]\ndelay = \"4 hours\"\n"},
			want:  []string{"etl_project.toml:3: cannot read duration \"4 hours\""},
		},
		{
			name: "duplicate model names",
			files: map[string]string{
				"models/a/dup.sql": "select 1",
				"models/b/dup.sql": "select 2",
			},
			want: []string{"models/b/dup.sql: model name \"dup\" is also used by models/a/dup.sql"},
		},
		{
			name:  "source without path",
			files: map[string]string{"etl_project.toml": "name = \"p\"\n\n[sources.events]\nformat = \"parquet\"\n"},
			want:  []string{"etl_project.toml:3: source \"events\" has no `path`"},
		},
		{
			name:  "folder defaults for a missing folder",
			files: map[string]string{"etl_project.toml": "name = \"p\"\n[models.mrts]\nmaterialized = \"table\"\n", "models/marts/m.sql": "select 1"},
			want:  []string{"etl_project.toml:2: [models.mrts] configures models/mrts/, which does not exist; did you mean models/marts/?"},
		},
		{
			name:  "incremental without time_column",
			files: map[string]string{"models/m.sql": "/*---\nmaterialized = \"incremental\"\n---*/\nselect 1"},
			want:  []string{"models/m.sql:1: incremental model needs `time_column`"},
		},
		{
			name:  "merge without unique_key",
			files: map[string]string{"models/m.sql": "/*---\nmaterialized = \"incremental\"\nstrategy = \"merge\"\ntime_column = \"dt\"\n---*/\nselect 1"},
			want:  []string{"models/m.sql:1: strategy = \"merge\" needs `unique_key`"},
		},
		{
			name:  "front matter not closed",
			files: map[string]string{"models/m.sql": "\n\n/*---\nmaterialized = \"table\"\nselect 1"},
			want:  []string{"models/m.sql:2: front matter opened with /*--- is not closed"},
		},
		{
			name:  "TOML syntax error in front matter",
			files: map[string]string{"models/m.sql": "/*---\ntags = [\"a\"]\nmaterialized = table\n---*/\nselect 1"},
			want:  []string{"models/m.sql:3:"},
		},
		{
			name:  "test without its columns",
			files: map[string]string{"models/m.sql": "/*---\n[[tests]]\ntype = \"not_null\"\n---*/\nselect 1"},
			want:  []string{"models/m.sql:3: a not_null test needs `columns`"},
		},
		{
			name:  "unknown test type",
			files: map[string]string{"models/m.sql": "/*---\n[[tests]]\ntype = \"not_nul\"\n---*/\nselect 1"},
			want:  []string{"models/m.sql:3: `type` = \"not_nul\" is not valid; did you mean \"not_null\"?"},
		},
		{
			name:  "sibling toml with no model",
			files: map[string]string{"models/orphan.toml": "materialized = \"table\"\n"},
			want:  []string{"models/orphan.toml:1: models/orphan.toml configures no model"},
		},
		{
			name:  "missing name",
			files: map[string]string{"etl_project.toml": "data_dir = \"d\"\n"},
			want:  []string{"etl_project.toml:1: `name` is required"},
		},
		{
			name:  "unknown env",
			files: map[string]string{"etl_project.toml": "name = \"p\"\n[env.prod]\ndata_dir = \"x\"\n"},
			opts:  project.Options{Env: "prd"},
			want:  []string{"--env prd: no [env.prd] in etl_project.toml; did you mean \"prod\"?"},
		},
		{
			name:  "bad --var type",
			files: map[string]string{"etl_project.toml": "name = \"p\"\n[vars]\nn = 1\n"},
			opts:  project.Options{Vars: []string{"n=abc"}},
			want:  []string{"--var n=abc: want a whole number like its default 1"},
		},
		{
			name: "every error at once",
			files: map[string]string{
				"models/a.sql": "/*---\nmaterialised = \"table\"\n---*/\nselect 1",
				"models/b.sql": "/*---\ngrain = \"dya\"\n---*/\nselect 1",
			},
			want: []string{"models/a.sql:2: unknown key", "models/b.sql:2: `grain` = \"dya\""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := project.Load(projecttest.Write(t, tt.files), tt.opts)
			if err == nil {
				t.Fatal("got no error")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error:\n%v\nwant it to contain:\n%s", err, want)
				}
			}
		})
	}
}

func TestNoProjectFile(t *testing.T) {
	_, err := project.Load(t.TempDir(), project.Options{})
	if err == nil || !strings.Contains(err.Error(), "no etl_project.toml in") || !strings.Contains(err.Error(), "etl init") {
		t.Fatalf("got %v", err)
	}
}

func TestLoadExampleProject(t *testing.T) {
	p, err := project.Load("../example_project", project.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Models) != 5 || len(p.Seeds) != 1 || len(p.Sources) != 1 || len(p.Tests) != 1 {
		t.Errorf("got %d models, %d seeds, %d sources, %d tests", len(p.Models), len(p.Seeds), len(p.Sources), len(p.Tests))
	}
	if got := p.Models["user_activity"].Config; got.Strategy != "merge" || got.UniqueKey[0] != "user_id" {
		t.Errorf("user_activity config: %+v", got)
	}
	if got := len(p.Models["daily_clicks"].Config.Tests); got != 4 {
		t.Errorf("daily_clicks: got %d tests, want 4", got)
	}
}
