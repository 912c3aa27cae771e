package project

import (
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// UnitTest is a test of one model's logic on fixed rows: given rows for
// its inputs and a trigger, the model must return the expected rows.
type UnitTest struct {
	Name        string // the file's stem
	Path        string // tests/....toml
	Model       string
	Trigger     string
	Description string
	Vars        map[string]any
	Given       []Given
	Expect      Rows
	Ordered     bool
	ModelLine   int
}

// Given is the rows one input of the model reads in a unit test.
type Given struct {
	Ref, Source string
	This        bool // the model's own existing rows: makes is_incremental true
	Rows
	Line int
}

// Name is how the model names the input.
func (g Given) Name() string {
	switch {
	case g.This:
		return "this"
	case g.Source != "":
		return "source " + g.Source
	}
	return "ref " + g.Ref
}

// Rows are inline rows, or a CSV file beside the test.
type Rows struct {
	Rows []map[string]any
	CSV  string // absolute
}

var (
	unitKeys   = []string{"model", "trigger", "description", "vars", "given", "expect"}
	givenKeys  = []string{"ref", "source", "this", "rows", "csv"}
	expectKeys = []string{"rows", "csv", "ordered"}
)

// loadUnits parses the unit test files.
func (p *Project) loadUnits(errs *ErrorList) {
	for _, rel := range p.Units {
		data, err := os.ReadFile(filepath.Join(p.Root, rel))
		if err != nil {
			*errs = append(*errs, err)
			continue
		}
		d, m, err := parseDoc(rel, data, 0)
		if err != nil {
			*errs = append(*errs, err)
			continue
		}
		t := table{doc: d, m: m, errs: errs}
		t.keys(unitKeys...)
		u := &UnitTest{Name: strings.TrimSuffix(path.Base(rel), ".toml"), Path: rel, ModelLine: d.line("model")}
		u.Model = deref(t.str("model"), "")
		u.Trigger = deref(t.str("trigger"), "")
		u.Description = deref(t.str("description"), "")
		if u.Model == "" {
			t.errorf("model", "a unit test needs `model`, the model it tests: model = \"daily_clicks\"")
		}
		if u.Trigger == "" {
			t.errorf("trigger", "a unit test needs `trigger`, the time its run starts: trigger = \"2026-11-25T04:00:00Z\"")
		}
		if v, ok := t.sub("vars"); ok {
			u.Vars = map[string]any{}
			for k, val := range v.m {
				u.Vars[k] = normalize(val)
			}
		}
		dir := filepath.Dir(filepath.Join(p.Root, rel))
		list, _ := t.tables("given")
		for _, g := range list {
			g.keys(givenKeys...)
			given := Given{Ref: deref(g.str("ref"), ""), Source: deref(g.str("source"), ""), Line: g.doc.line(g.path)}
			if b := g.boolean("this"); b != nil {
				given.This = *b
			}
			n := 0
			for _, set := range []bool{given.Ref != "", given.Source != "", given.This} {
				if set {
					n++
				}
			}
			if n != 1 {
				g.errorf("", "each [[given]] names one input: ref = \"model\", source = \"name\", or this = true")
			}
			given.Rows = rowsOf(g, dir)
			u.Given = append(u.Given, given)
		}
		if e, ok := t.sub("expect"); ok {
			e.keys(expectKeys...)
			u.Expect = rowsOf(e, dir)
			if b := e.boolean("ordered"); b != nil {
				u.Ordered = *b
			}
		} else {
			t.errorf("expect", "a unit test needs [expect] with rows = [...] or csv = \"file.csv\"")
		}
		p.UnitTests = append(p.UnitTests, u)
	}
	sort.Slice(p.UnitTests, func(i, j int) bool { return p.UnitTests[i].Path < p.UnitTests[j].Path })
}

func rowsOf(t table, dir string) Rows {
	var r Rows
	if csv := t.str("csv"); csv != nil {
		r.CSV = filepath.Join(dir, *csv)
		if _, err := os.Stat(r.CSV); err != nil {
			t.errorf("csv", "csv = %q: no such file beside the test", *csv)
		}
	}
	if v, ok := t.m["rows"]; ok {
		list, isList := v.([]any)
		if !isList {
			t.errorf("rows", "`rows` must be a list of tables: rows = [{ a = 1 }, { a = 2 }]")
		}
		for i, e := range list {
			row, ok := e.(map[string]any)
			if !ok {
				t.errorf("rows", "row %d of `rows` is not a table: write { column = value, ... }", i+1)
				continue
			}
			r.Rows = append(r.Rows, row)
		}
		if r.Rows == nil {
			r.Rows = []map[string]any{}
		}
	}
	if r.CSV == "" && r.Rows == nil {
		t.errorf("", "give rows = [...] or csv = \"file.csv\"")
	}
	if r.CSV != "" && r.Rows != nil {
		t.errorf("csv", "give rows or csv, not both")
	}
	return r
}
