// Package project loads and validates an etl project folder: etl_project.toml,
// environment overlays, models with their front matter and sibling config,
// sources, seeds and tests. It reads files only; it renders no template and
// touches no database.
package project

import (
	"time"
)

// Project is a loaded, validated project with every layer of config applied.
type Project struct {
	Root      string // absolute
	Name      string
	Env       string // the --env name, or "" without one
	DataDir   string // absolute
	TargetDir string // absolute
	Start     time.Time

	Window    Window // project-wide defaults; each model holds its own resolved copy
	Vars      map[string]any
	Engine    Engine
	Sources   map[string]*Source
	Models    map[string]*Model
	Seeds     map[string]*Seed
	Tests     []*SingularTest
	Units     []string // unit test files (tests/**/*.toml), relative paths
	UnitTests []*UnitTest

	disabled map[string]string // model name -> file of a model with enabled = false
}

// Disabled returns the file of a model that exists but has enabled = false.
func (p *Project) Disabled(name string) (string, bool) {
	f, ok := p.disabled[name]
	return f, ok
}

// Window says how a trigger time becomes the event-time window of a run.
type Window struct {
	Grain    string // hour | day | week | month
	Delay    time.Duration
	Lookback int
	Timezone string
	Location *time.Location
}

// Engine holds the settings passed to the database engine.
type Engine struct {
	MemoryLimit   string
	Threads       int
	TempDirectory string
}

// Source is raw data the project reads but does not build.
type Source struct {
	Name          string
	Path          string // absolute, or a glob, or a URL as written
	Format        string // parquet | csv | json
	TimeColumn    string
	TimePartition string
	Tests         []Test
	File          string // where it is declared
	Line          int
}

// WindowFilterable reports whether the source can be filtered to a window.
func (s *Source) WindowFilterable() bool { return s.TimeColumn != "" || s.TimePartition != "" }

// Materializations and strategies.
const (
	View        = "view"
	Table       = "table"
	Incremental = "incremental"
	Overwrite   = "overwrite"
	Merge       = "merge"
)

// Model is one model with its config resolved through every layer.
type Model struct {
	Name    string
	Path    string // relative to the root: models/marts/daily_clicks.sql (or .toml for Go models)
	Dir     string // folder relative to models/: "marts", "" at the top
	SQL     string // the file with its front matter blanked, so template lines match the file
	Config  ModelConfig
	Window  Window
	Start   time.Time
	Enabled bool
}

// ModelConfig is the resolved config of a model.
type ModelConfig struct {
	Materialized string
	Strategy     string
	TimeColumn   string
	PartitionBy  []string
	UniqueKey    []string
	Tags         []string
	Transform    string
	Inputs       []string
	Tests        []Test
}

// WindowFilterable reports whether refs to the model can be filtered to a window.
func (m *Model) WindowFilterable() bool {
	return m.Config.TimeColumn != ""
}

// Seed is a CSV file loaded as a table.
type Seed struct {
	Name string
	Path string // relative
}

// SingularTest is a query under tests/ whose returned rows are failures.
type SingularTest struct {
	Name string
	Path string
	SQL  string
}

// Test is one data test from a model's or a source's config.
type Test struct {
	Type       string // not_null | unique | accepted_values | relationships | expression | row_count
	Severity   string // error | warn
	Columns    []string
	Column     string
	Values     []any
	To         string
	Field      string
	Expression string
	Min, Max   *int64
	File       string

	doc  *doc // where the test is declared; its line is found on demand
	path string
}

// Line is the line of the test's [[tests]] table in File.
func (t Test) Line() int {
	if t.doc == nil {
		return 0
	}
	return t.doc.line(t.path)
}

// TestTypes lists the data test types.
var TestTypes = []string{"not_null", "unique", "accepted_values", "relationships", "expression", "row_count"}
