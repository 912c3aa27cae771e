package engine_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/etl-dev/etl/adapters/duckdb"
	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/engine"
	"github.com/etl-dev/etl/project"
)

// TestDataTests builds a table with known rows and runs each test type,
// once where it passes and once where it fails, through etl test.
func TestDataTests(t *testing.T) {
	const rowsSQL = `select * from (values
    (1, 'a', 'x', 10),
    (2, 'b', 'y', 20),
    (3, 'c', null, 30),
    (3, 'd', 'x', -5)
) t(id, code, kind, amount)`
	tests := []struct {
		name     string
		test     string
		failures int64 // 0: passes
		sample   string
	}{
		{"not_null passes", `type = "not_null"` + "\n" + `columns = ["id", "code"]`, 0, ""},
		{"not_null fails", `type = "not_null"` + "\n" + `columns = ["kind"]`, 1, `id=3, code="c", kind=NULL, amount=30`},
		{"unique passes", `type = "unique"` + "\n" + `columns = ["id", "code"]`, 0, ""},
		{"unique fails", `type = "unique"` + "\n" + `columns = ["id"]`, 1, `id=3, duplicates=2`},
		{"accepted_values passes", `type = "accepted_values"` + "\n" + `column = "code"` + "\n" + `values = ["a", "b", "c", "d"]`, 0, ""},
		{"accepted_values fails", `type = "accepted_values"` + "\n" + `column = "kind"` + "\n" + `values = ["x"]`, 1, `id=2, code="b", kind="y", amount=20`},
		{"relationships passes", `type = "relationships"` + "\n" + `column = "code"` + "\n" + `to = "codes"` + "\n" + `field = "code"`, 0, ""},
		{"relationships fails", `type = "relationships"` + "\n" + `column = "kind"` + "\n" + `to = "codes"` + "\n" + `field = "code"`, 3, ``},
		{"expression passes", `type = "expression"` + "\n" + `expression = "id > 0"`, 0, ""},
		{"expression fails", `type = "expression"` + "\n" + `expression = "amount >= 0"`, 1, `id=3, code="d", kind="x", amount=-5`},
		{"row_count passes", `type = "row_count"` + "\n" + `min = 1` + "\n" + `max = 4`, 0, ""},
		{"row_count fails", `type = "row_count"` + "\n" + `min = 5`, 1, `row_count=4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := testProject(t, map[string]string{
				"models/things.sql":  "/*---\nmaterialized = \"table\"\n---*/\n" + rowsSQL,
				"models/things.toml": "[[tests]]\n" + tt.test + "\n",
				"seeds/codes.csv":    "code\na\nb\nc\nd\n",
			})
			// The test fails the build too (before publish), so build
			// the data with the tests' severity lowered, then run etl test.
			cfg := filepath.Join(root, "models", "things.toml")
			os.WriteFile(cfg, []byte("[[tests]]\n"+tt.test+"\nseverity = \"warn\"\n"), 0o644)
			build(t, root, runOpts{sel: []string{"codes", "things"}, trigger: "2026-11-23T00:00:00Z"})
			os.WriteFile(cfg, []byte("[[tests]]\n"+tt.test+"\n"), 0o644)

			res, out := runTests(t, root, []string{"things"})
			if len(res.Results) != 1 {
				t.Fatalf("got %d results:\n%s", len(res.Results), out)
			}
			r := res.Results[0]
			if tt.failures == 0 {
				if r.Status != "success" {
					t.Errorf("got %s (%s), want success\n%s", r.Status, r.Error, out)
				}
				return
			}
			if r.Status != "error" || r.Failures != tt.failures {
				t.Errorf("got %s with %d failures, want error with %d\n%s", r.Status, r.Failures, tt.failures, out)
			}
			if tt.sample != "" && (len(r.Sample) == 0 || r.Sample[0] != tt.sample) {
				t.Errorf("sample: got %q, want first %q", r.Sample, tt.sample)
			}
			if !strings.Contains(out, "FAIL") || !strings.Contains(out, "failing row") {
				t.Errorf("output does not show the failure:\n%s", out)
			}
		})
	}
}

func runTests(t *testing.T, root string, sel []string) (*engine.Results, string) {
	t.Helper()
	p, err := project.Load(root, project.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := compiler.New(p, duckdb.Dialect{})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := c.Select(sel, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := duckdb.Open(duckdb.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var out bytes.Buffer
	res, err := engine.Test(context.Background(), c, a, ids, engine.Options{Command: "test", Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	return res, out.String()
}

// TestAuditKeepsLiveData: a not_null test failing on a window's new rows
// leaves the live partition's files byte-identical, fails the model and
// skips its descendants.
func TestAuditKeepsLiveData(t *testing.T) {
	guarded := `/*---
materialized = "incremental"
time_column = "dt"
partition_by = ["dt"]

[[tests]]
type = "not_null"
columns = ["user_id"]
---*/
select cast(ts as date) as dt,
       case when user_id = '{{ var "bad_user" }}' then null else user_id end as user_id,
       count(*) as n
from {{ source "events" }}
group by all
`
	root := testProject(t, map[string]string{
		"models/guarded.sql": guarded,
		"models/after.sql":   "/*---\nmaterialized = \"table\"\n---*/\nselect count(*) as n from {{ ref \"guarded\" }}\n",
		"etl_project.toml": `
name = "t"
start = "2026-11-20"
[window]
grain = "day"
[vars]
bad_user = "nobody"
[sources.events]
path = "raw/events"
time_column = "ts"
time_partition = "dt"
`,
	})
	build(t, root, runOpts{sel: []string{"guarded"}, trigger: "2026-11-23T00:00:00Z"})
	part := filepath.Join(root, "data", "guarded", "dt=2026-11-22", "part-0.parquet")
	before, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	statBefore := fileStats(t, filepath.Join(root, "data", "guarded"))

	// Now user c turns null on the 22nd: the rebuild of that window fails its audit.
	res, out := build(t, root, runOpts{sel: []string{"guarded+"}, trigger: "2026-11-23T00:00:00Z", vars: []string{"bad_user=c"}})
	if !res.Failed() {
		t.Fatalf("the build did not fail:\n%s", out)
	}
	g := status(res, "guarded")
	if g.Status != "error" || !strings.Contains(g.Error, "1 of 1 test failed before publishing: the live data was left as it was") {
		t.Errorf("guarded: %s %s", g.Status, g.Error)
	}
	if a := status(res, "after"); a.Status != "skipped" {
		t.Errorf("after: got %s, want skipped", a.Status)
	}
	tr := status(res, "guarded.not_null(user_id)")
	if tr == nil || tr.Status != "error" || tr.Failures != 1 || tr.When != "before publish" {
		t.Errorf("test result: %+v", tr)
	}
	after, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("the live partition's file changed")
	}
	equal(t, "files of guarded", keys(fileStats(t, filepath.Join(root, "data", "guarded"))), keys(statBefore))
	for path, st := range statBefore {
		if fileStats(t, filepath.Join(root, "data", "guarded"))[path] != st {
			t.Errorf("%s changed", path)
		}
	}
	for _, want := range []string{"FAIL  guarded.not_null(user_id) (before publish): 1 failing row", "user_id=NULL"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestWarnTestDoesNotFailTheRun(t *testing.T) {
	root := testProject(t, map[string]string{
		"models/daily.toml": "[[tests]]\ntype = \"row_count\"\nmin = 100\nseverity = \"warn\"\n",
	})
	res, out := build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-23T00:00:00Z"})
	if res.Failed() {
		t.Fatalf("a warn test failed the run:\n%s", out)
	}
	if r := status(res, "daily.row_count(>= 100)"); r == nil || r.Status != "warn" {
		t.Errorf("test result: %+v", r)
	}
	if got := len(rows(t, root, "daily")); got != 2 {
		t.Errorf("daily has %d rows, want 2 (published despite the warning)", got)
	}
}

// TestUniqueAcrossTheDataset: a merge model's unique test sees the rows that
// stay in the dataset, not only the new ones.
func TestUniqueAcrossTheDataset(t *testing.T) {
	root := testProject(t, map[string]string{
		"models/users.toml": "[[tests]]\ntype = \"unique\"\ncolumns = [\"n\", \"last_dt\"]\n",
		"models/firsts.sql": `/*---
materialized = "incremental"
time_column = "day"
[[tests]]
type = "unique"
columns = ["user_id"]
---*/
select user_id, min(cast(ts as date)) as day from {{ source "events" }} group by user_id
`,
	})
	build(t, root, runOpts{sel: []string{"firsts"}, trigger: "2026-11-21T00:00:00Z"})             // a, b on the 20th
	res, out := build(t, root, runOpts{sel: []string{"firsts"}, trigger: "2026-11-22T00:00:00Z"}) // a, c on the 21st
	if !res.Failed() {
		t.Fatalf("user a is in the dataset twice after the 21st, but the unique test passed:\n%s", out)
	}
	if r := status(res, "firsts.unique(user_id)"); r == nil || r.Failures != 1 || !strings.Contains(strings.Join(r.Sample, ""), `user_id="a"`) {
		t.Errorf("test result: %+v", r)
	}
}

// TestSourceTestsGateTheirModels: a selected source's failing test keeps the
// models that read it from building; its tests check the window's rows only.
func TestSourceTestsGateTheirModels(t *testing.T) {
	root := testProject(t, map[string]string{})
	cfg := filepath.Join(root, "etl_project.toml")
	text, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(text, []byte("[[sources.events.tests]]\ntype = \"accepted_values\"\ncolumn = \"user_id\"\nvalues = [\"a\", \"b\", \"d\"]\n")...), 0o644)

	// The 20th has users a and b: the test passes on that window.
	res, out := build(t, root, runOpts{sel: []string{"source:events+"}, trigger: "2026-11-21T00:00:00Z"})
	if res.Failed() {
		t.Fatalf("the 20th's window failed:\n%s", out)
	}
	// The 21st has c: the source fails its test, and what reads it is skipped.
	res, out = build(t, root, runOpts{sel: []string{"source:events+"}, trigger: "2026-11-22T00:00:00Z"})
	if !res.Failed() {
		t.Fatalf("the 21st's window passed:\n%s", out)
	}
	if r := status(res, "events.accepted_values(user_id)"); r == nil || r.Status != "error" || r.Failures != 1 {
		t.Errorf("source test: %+v", r)
	}
	for _, id := range []string{"daily", "users", "total"} {
		if r := status(res, id); r == nil || r.Status != "skipped" || r.Error != "upstream source:events failed" {
			t.Errorf("%s: %+v", id, r)
		}
	}
	// Without the source in the selection, its tests do not run.
	res, out = build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-22T00:00:00Z"})
	if res.Failed() {
		t.Errorf("a source's test ran though the source was not selected:\n%s", out)
	}
}
