package engine_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/etl-dev/etl/adapters/duckdb"
	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/engine"
	"github.com/etl-dev/etl/internal/projecttest"
	"github.com/etl-dev/etl/project"
)

// testProject is a small clickstream: events for 2026-11-20..24 under
// raw/events/dt=YYYY-MM-DD, a daily overwrite model, a merge model keyed by
// user, a full table, and a model that depends on a failing one when asked.
func testProject(t *testing.T, extra map[string]string) string {
	t.Helper()
	files := map[string]string{
		"etl_project.toml": `
name = "t"
start = "2026-11-20"
[window]
grain = "day"
delay = "0s"
[sources.events]
path = "raw/events"
time_column = "ts"
time_partition = "dt"
`,
		"models/daily.sql": `/*---
materialized = "incremental"
time_column = "dt"
partition_by = ["dt"]
---*/
select cast(ts as date) as dt, user_id, count(*) as n
from {{ source "events" }}
group by all
`,
		"models/users.sql": `/*---
materialized = "incremental"
strategy = "merge"
unique_key = ["user_id"]
time_column = "last_dt"
partition_by = ["last_dt"]
---*/
select user_id, max(cast(ts as date)) as last_dt, count(*) as n
from {{ source "events" }}
group by user_id
`,
		"models/total.sql": `/*---
materialized = "table"
---*/
select count(*) as days, sum(n) as events from (select dt, sum(n) as n from {{ ref "daily" }} group by dt)
`,
	}
	for k, v := range extra {
		files[k] = v
	}
	root := projecttest.Write(t, files)
	writeEvents(t, filepath.Join(root, "raw", "events"), map[string][]string{
		"2026-11-20": {"a", "b"},
		"2026-11-21": {"a", "c"},
		"2026-11-22": {"b", "c", "c"},
		"2026-11-23": {"a"},
		"2026-11-24": {"d", "b"},
	})
	return root
}

// writeEvents writes one Parquet file per day with an event per user given,
// at noon UTC.
func writeEvents(t *testing.T, dir string, days map[string][]string) {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for day, users := range days {
		var rows []string
		for i, u := range users {
			rows = append(rows, fmt.Sprintf("(TIMESTAMP '%s 12:00:00' + INTERVAL %d MINUTE, '%s')", day, i, u))
		}
		out := filepath.Join(dir, "dt="+day)
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		q := fmt.Sprintf("COPY (SELECT * FROM (VALUES %s) v(ts, user_id)) TO '%s' (FORMAT parquet)", strings.Join(rows, ", "), filepath.Join(out, "part-0.parquet"))
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

type runOpts struct {
	sel         []string
	trigger     string
	start, end  string
	fullRefresh bool
	fillGaps    bool
	failFast    bool
	json        bool
	threads     int
	vars        []string
}

// build runs the engine on the project as `etl build` does and returns the
// results and the progress output.
func build(t *testing.T, root string, o runOpts) (*engine.Results, string) {
	t.Helper()
	res, out, err := tryBuild(root, o)
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return res, out
}

func tryBuild(root string, o runOpts) (*engine.Results, string, error) {
	p, err := project.Load(root, project.Options{Vars: o.vars})
	if err != nil {
		return nil, "", err
	}
	c, err := compiler.New(p, duckdb.Dialect{})
	if err != nil {
		return nil, "", err
	}
	ids, err := c.Select(o.sel, nil)
	if err != nil {
		return nil, "", err
	}
	a, err := duckdb.Open(duckdb.Settings{Catalog: filepath.Join(p.TargetDir, "catalog.duckdb")})
	if err != nil {
		return nil, "", err
	}
	defer a.Close()
	var out bytes.Buffer
	opts := engine.Options{Command: "build", Out: &out, Threads: max(o.threads, 1), FullRefresh: o.fullRefresh,
		FillGaps: o.fillGaps, FailFast: o.failFast, JSON: o.json}
	parse := func(s string) time.Time {
		tm, _ := compiler.ParseTime(s, time.UTC, time.Now)
		return tm
	}
	if o.trigger != "" {
		opts.Trigger = parse(o.trigger)
	}
	if o.start != "" {
		opts.Start, opts.End = parse(o.start), parse(o.end)
	}
	res, err := engine.Run(context.Background(), c, a, ids, opts)
	return res, out.String(), err
}

// rows reads a dataset back with a fresh DuckDB, sorted, one string a row.
func rows(t *testing.T, root, model string) []string {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	glob := filepath.Join(root, "data", model, "**", "*.parquet")
	r, err := db.Query(fmt.Sprintf("SELECT * FROM read_parquet('%s', hive_partitioning = true, union_by_name = true)", glob))
	if err != nil {
		if strings.Contains(err.Error(), "No files found") {
			return nil
		}
		t.Fatal(err)
	}
	defer r.Close()
	cols, _ := r.Columns()
	var out []string
	for r.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(cols))
		for i, v := range vals {
			if tm, ok := v.(time.Time); ok {
				v = tm.Format("2006-01-02")
			}
			parts[i] = fmt.Sprintf("%s=%v", cols[i], v)
		}
		sort.Strings(parts)
		out = append(out, strings.Join(parts, " "))
	}
	sort.Strings(out)
	return out
}

func status(res *engine.Results, id string) *engine.Result {
	for _, r := range res.Results {
		if r.Node == id {
			return r
		}
	}
	return nil
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestOverwriteIsIdempotent(t *testing.T) {
	root := testProject(t, nil)
	build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-23T01:00:00Z"})
	first := rows(t, root, "daily")
	want := []string{"dt=2026-11-22 n=1 user_id=b", "dt=2026-11-22 n=2 user_id=c"}
	equal(t, "daily after one run", first, want)
	build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-23T01:00:00Z"})
	equal(t, "daily after the same trigger again", rows(t, root, "daily"), want)
}

func TestOverwriteLeavesOtherPartitionsUntouched(t *testing.T) {
	root := testProject(t, nil)
	build(t, root, runOpts{sel: []string{"daily"}, start: "2026-11-20", end: "2026-11-25"})
	before := fileStats(t, filepath.Join(root, "data", "daily"))
	if len(before) != 5 {
		t.Fatalf("got %d files after the backfill, want 5: %v", len(before), before)
	}
	time.Sleep(20 * time.Millisecond) // a rewrite would show in modification times
	build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-23T06:00:00Z"})
	after := fileStats(t, filepath.Join(root, "data", "daily"))
	for path, st := range before {
		if strings.Contains(path, "dt=2026-11-22") {
			if after[path] == st {
				t.Errorf("%s: the window's partition was not rewritten", path)
			}
			continue
		}
		if after[path] != st {
			t.Errorf("%s: changed outside the window: %s -> %s", path, st, after[path])
		}
	}
}

// fileStats maps each file under dir to its inode, size and modification time.
func fileStats(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = fmt.Sprintf("ino=%d size=%d mtime=%d", fi.Sys().(*syscall.Stat_t).Ino, fi.Size(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMergeMovesKeysAcrossPartitions(t *testing.T) {
	root := testProject(t, nil)
	build(t, root, runOpts{sel: []string{"users"}, trigger: "2026-11-21T00:00:00Z"}) // 20th: a, b
	build(t, root, runOpts{sel: []string{"users"}, trigger: "2026-11-22T00:00:00Z"}) // 21st: a, c
	equal(t, "users after two days", rows(t, root, "users"), []string{
		"last_dt=2026-11-20 n=1 user_id=b",
		"last_dt=2026-11-21 n=1 user_id=a",
		"last_dt=2026-11-21 n=1 user_id=c",
	})
	// a moved from the 20th's partition to the 21st's; b stayed.
	if _, err := os.Stat(filepath.Join(root, "data", "users", "last_dt=2026-11-20")); err != nil {
		t.Errorf("the partition of untouched key b was removed: %v", err)
	}
	build(t, root, runOpts{sel: []string{"users"}, trigger: "2026-11-23T00:00:00Z"}) // 22nd: b, c, c
	equal(t, "users after three days", rows(t, root, "users"), []string{
		"last_dt=2026-11-21 n=1 user_id=a",
		"last_dt=2026-11-22 n=1 user_id=b",
		"last_dt=2026-11-22 n=2 user_id=c",
	})
	if _, err := os.Stat(filepath.Join(root, "data", "users", "last_dt=2026-11-20")); err == nil {
		t.Error("the 20th's partition is still there with no rows left in it")
	}
}

func TestMergeRewritesOnlyPartitionsThatChange(t *testing.T) {
	root := testProject(t, nil)
	build(t, root, runOpts{sel: []string{"users"}, start: "2026-11-20", end: "2026-11-23"})
	before := fileStats(t, filepath.Join(root, "data", "users"))
	time.Sleep(20 * time.Millisecond)
	// The 23rd has only a, whose row is in the 21st's partition.
	build(t, root, runOpts{sel: []string{"users"}, trigger: "2026-11-24T00:00:00Z"})
	after := fileStats(t, filepath.Join(root, "data", "users"))
	for path, st := range before {
		touched := strings.Contains(path, "2026-11-21")
		if !touched && after[path] != st {
			t.Errorf("%s was rewritten, though no key in it changed", path)
		}
	}
}

func TestCorruptFileOutsideWindowIsNotRead(t *testing.T) {
	root := testProject(t, map[string]string{
		"models/downstream.sql": `/*---
materialized = "incremental"
time_column = "dt"
partition_by = ["dt"]
---*/
select dt, count(*) as users from {{ ref "daily" }} group by dt
`,
	})
	build(t, root, runOpts{sel: []string{"daily"}, start: "2026-11-20", end: "2026-11-23"})
	// Corrupt the oldest source file and the oldest files of daily, all
	// outside the next window: the first files a glob would open.
	for _, f := range []string{
		filepath.Join(root, "raw", "events", "dt=2026-11-20", "part-0.parquet"),
		filepath.Join(root, "data", "daily", "dt=2026-11-20", "part-0.parquet"),
		filepath.Join(root, "data", "daily", "dt=2026-11-21", "part-0.parquet"),
	} {
		if err := os.WriteFile(f, []byte("this is not parquet"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, out := build(t, root, runOpts{sel: []string{"daily downstream"}, trigger: "2026-11-24T00:00:00Z"})
	if res.Failed() {
		t.Fatalf("a windowed run read a file outside its window:\n%s", out)
	}
	if r := status(res, "downstream"); r.Rows != 1 {
		t.Errorf("downstream wrote %d rows, want 1", r.Rows)
	}
	if r := status(res, "daily"); r.Rows != 1 {
		t.Errorf("got %d rows for the 23rd, want 1", r.Rows)
	}
	if _, err := os.Stat(filepath.Join(root, "data", "daily", "dt=2026-11-23", "part-0.parquet")); err != nil {
		t.Error(err)
	}
}

func TestFailureSkipsDescendants(t *testing.T) {
	root := testProject(t, map[string]string{
		"models/broken.sql": "/*---\nmaterialized = \"table\"\n---*/\nselect no_such_column from {{ ref \"total\" }}\n",
		"models/after.sql":  "/*---\nmaterialized = \"table\"\n---*/\nselect * from {{ ref \"broken\" }}\n",
		"models/after2.sql": "/*---\nmaterialized = \"table\"\n---*/\nselect * from {{ ref \"after\" }}\n",
	})
	res, out := build(t, root, runOpts{trigger: "2026-11-23T00:00:00Z", threads: 2})
	if !res.Failed() {
		t.Fatalf("the run did not fail:\n%s", out)
	}
	b := status(res, "broken")
	if b.Status != "error" || !strings.Contains(b.Error, "model broken (models/broken.sql)") || !strings.Contains(b.Error, "no_such_column") {
		t.Errorf("broken: %+v", b)
	}
	for _, id := range []string{"after", "after2"} {
		if r := status(res, id); r.Status != "skipped" || r.Error != "upstream broken failed" {
			t.Errorf("%s: got %s (%s), want skipped (upstream broken failed)", id, r.Status, r.Error)
		}
	}
	for _, id := range []string{"daily", "users", "total"} {
		if r := status(res, id); r.Status != "success" {
			t.Errorf("%s: got %s, want success: %s", id, r.Status, r.Error)
		}
	}
	if !strings.Contains(out, "error: model broken (models/broken.sql)") {
		t.Errorf("summary does not name the failed model:\n%s", out)
	}
}

func TestRowsOutsideTheWindowAreDropped(t *testing.T) {
	root := testProject(t, map[string]string{
		"models/leaky.sql": `/*---
materialized = "incremental"
time_column = "dt"
partition_by = ["dt"]
---*/
select cast(ts as date) as dt, user_id from {{ source_full "events" }}
`,
	})
	res, out := build(t, root, runOpts{sel: []string{"leaky"}, trigger: "2026-11-23T00:00:00Z"})
	r := status(res, "leaky")
	if r.Rows != 3 || r.Dropped != 7 || r.Status != "warn" {
		t.Errorf("got rows %d dropped %d status %s, want 3, 7, warn", r.Rows, r.Dropped, r.Status)
	}
	if !strings.Contains(out, "7 rows outside the window [2026-11-22, 2026-11-23) were dropped") {
		t.Errorf("no warning in:\n%s", out)
	}
	if got := len(rows(t, root, "leaky")); got != 3 {
		t.Errorf("dataset has %d rows, want 3", got)
	}
}

func TestSecondWriterIsRefused(t *testing.T) {
	root := testProject(t, nil)
	// Hold the lock as another process would.
	lockPath := filepath.Join(root, "data", ".etl", "locks", "daily.lock")
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	f.WriteString("pid 4242 on scheduler-1, etl build run X, since 2026-11-25T04:00:00Z\n")
	res, _ := build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-23T00:00:00Z"})
	r := status(res, "daily")
	if r.Status != "error" || !strings.Contains(r.Error, "model daily is being written by another run (pid 4242 on scheduler-1") {
		t.Errorf("got %s: %s", r.Status, r.Error)
	}
	if _, err := os.Stat(filepath.Join(root, "data", "daily")); err == nil {
		t.Error("the refused run wrote data")
	}
}

func TestTableAndFullRefresh(t *testing.T) {
	root := testProject(t, nil)
	build(t, root, runOpts{sel: []string{"+total"}, trigger: "2026-11-23T00:00:00Z"})
	equal(t, "total after one day", rows(t, root, "total"), []string{"days=1 events=3"})
	res, _ := build(t, root, runOpts{sel: []string{"+total"}, trigger: "2026-11-25T00:00:00Z", fullRefresh: true})
	if r := status(res, "daily"); r.Window == nil || r.Window.Start != "2026-11-20T00:00:00Z" || r.Window.End != "2026-11-25T00:00:00Z" {
		t.Errorf("full refresh window: %+v", r.Window)
	}
	equal(t, "total after a full refresh", rows(t, root, "total"), []string{"days=5 events=10"})
}

func TestIncrementalWithoutTriggerIsRefused(t *testing.T) {
	root := testProject(t, nil)
	_, _, err := tryBuild(root, runOpts{sel: []string{"daily"}})
	if err == nil || !strings.Contains(err.Error(), "needs a window: pass --trigger") {
		t.Fatalf("got %v", err)
	}
}

func TestLedgerAndGaps(t *testing.T) {
	root := testProject(t, nil)
	build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-21T00:00:00Z"})
	build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-24T00:00:00Z"})
	entries, err := engine.OpenLedger(filepath.Join(root, "target")).Entries()
	if err != nil {
		t.Fatal(err)
	}
	spans := engine.Built(entries)["daily"]
	if len(spans) != 2 {
		t.Fatalf("got spans %v, want two", spans)
	}
	p, _ := project.Load(root, project.Options{})
	missing := engine.Missing(spans, p.Start, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), p.Models["daily"].Window)
	var got []string
	for _, w := range missing {
		got = append(got, w.String())
	}
	equal(t, "missing windows", got, []string{"[2026-11-21, 2026-11-22)", "[2026-11-22, 2026-11-23)", "[2026-11-24, 2026-11-25)"})
}

// TestKillDuringCommit kills a build at each step of the commit protocol
// (in a child process, with SIGKILL) and checks that the next run leaves
// exactly the data a clean run would.
func TestKillDuringCommit(t *testing.T) {
	steps := []string{"staged", "journal", "swap-0", "swap-1", "swapped", "recorded", "journal-removed"}
	for _, model := range []string{"daily", "users"} {
		for _, step := range steps {
			t.Run(model+"/"+step, func(t *testing.T) {
				root := testProject(t, nil)
				build(t, root, runOpts{sel: []string{model}, start: "2026-11-20", end: "2026-11-23"})
				want := map[string][]string{}
				clean := testProject(t, nil)
				build(t, clean, runOpts{sel: []string{model}, start: "2026-11-20", end: "2026-11-24"})
				want[model] = rows(t, clean, model)

				cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBuild$")
				cmd.Env = append(os.Environ(), "ETL_TEST_HELPER=1", "ETL_TEST_ROOT="+root, "ETL_TEST_MODEL="+model,
					"ETL_TEST_TRIGGER=2026-11-24T00:00:00Z", "ETL_TEST_KILL_AT="+step)
				out, err := cmd.CombinedOutput()
				killed := err != nil && strings.Contains(err.Error(), "killed")
				if !killed && !strings.Contains(step, "swap-1") {
					t.Fatalf("the helper was not killed at %s: %v\n%s", step, err, out)
				}
				// Whatever state the kill left, a reader sees whole partitions:
				// every file present is readable Parquet.
				rows(t, root, model)
				// The next run finishes or rolls back the commit, then builds.
				build(t, root, runOpts{sel: []string{model}, trigger: "2026-11-24T00:00:00Z"})
				equal(t, model+" after recovery", rows(t, root, model), want[model])
				if leftovers, _ := filepath.Glob(filepath.Join(root, "data", ".etl", "staging", "*", "*")); len(leftovers) > 0 {
					t.Errorf("staging left behind: %v", leftovers)
				}
				if _, err := os.Stat(filepath.Join(root, "data", ".etl", "journal", model+".json")); err == nil {
					t.Error("journal left behind")
				}
				entries, _ := engine.OpenLedger(filepath.Join(root, "target")).Entries()
				if spans := engine.Built(entries)[model]; len(spans) != 1 || spans[0].End.Format("2006-01-02") != "2026-11-24" {
					t.Errorf("ledger: %v", spans)
				}
			})
		}
	}
}

// TestHelperBuild is the child process of TestKillDuringCommit.
func TestHelperBuild(t *testing.T) {
	if os.Getenv("ETL_TEST_HELPER") != "1" {
		t.Skip("run by TestKillDuringCommit")
	}
	step := os.Getenv("ETL_TEST_KILL_AT")
	engine.SetFaultHook(func(s string) {
		if s == step {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	})
	_, out, err := tryBuild(os.Getenv("ETL_TEST_ROOT"), runOpts{sel: []string{os.Getenv("ETL_TEST_MODEL")}, trigger: os.Getenv("ETL_TEST_TRIGGER")})
	fmt.Println(out, err)
}

func TestFailFastAndJSONProgress(t *testing.T) {
	root := testProject(t, map[string]string{
		"models/a_broken.sql": "/*---\nmaterialized = \"table\"\n---*/\nselect nope from {{ source_full \"events\" }}\n",
	})
	res, out := build(t, root, runOpts{trigger: "2026-11-23", failFast: true, json: true})
	if r := status(res, "a_broken"); r.Status != "error" {
		t.Fatalf("a_broken: %s", r.Status)
	}
	for _, id := range []string{"daily", "users", "total"} {
		if r := status(res, id); r.Status != "skipped" || !strings.Contains(r.Error, "--fail-fast") {
			t.Errorf("%s: got %s (%s), want skipped by --fail-fast", id, r.Status, r.Error)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	events := map[string]int{}
	for _, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("progress line is not JSON: %q", l)
		}
		events[fmt.Sprint(v["event"])]++
	}
	if events["start"] != 1 || events["done"] != 1 || events["node"] != 4 {
		t.Errorf("events: %v\n%s", events, out)
	}
}

// TestOverwriteOtherLayouts: without partitions, and with partitions that are
// not the time column, an overwrite still replaces exactly the window's rows.
func TestOverwriteOtherLayouts(t *testing.T) {
	for name, layout := range map[string]string{"unpartitioned": "", "by user": `partition_by = ["user_id"]`} {
		t.Run(name, func(t *testing.T) {
			root := testProject(t, map[string]string{
				"models/daily.sql": "/*---\nmaterialized = \"incremental\"\ntime_column = \"dt\"\n" + layout + "\n---*/\n" +
					"select cast(ts as date) as dt, user_id, count(*) as n from {{ source \"events\" }} group by all\n",
			})
			build(t, root, runOpts{sel: []string{"daily"}, start: "2026-11-20", end: "2026-11-25"})
			want := rows(t, root, "daily")
			if len(want) != 9 {
				t.Fatalf("got %d rows after the backfill, want 9: %v", len(want), want)
			}
			build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-23T00:00:00Z"})
			equal(t, "after rebuilding the 22nd", rows(t, root, "daily"), want)
			// Change the 22nd's events: only its rows change.
			writeEvents(t, filepath.Join(root, "raw", "events"), map[string][]string{"2026-11-22": {"z"}})
			build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-23T00:00:00Z"})
			var wantAfter []string
			for _, r := range want {
				if !strings.Contains(r, "dt=2026-11-22") {
					wantAfter = append(wantAfter, r)
				}
			}
			wantAfter = append(wantAfter, "dt=2026-11-22 n=1 user_id=z")
			sort.Strings(wantAfter)
			equal(t, "after new events on the 22nd", rows(t, root, "daily"), wantAfter)
		})
	}
}

func TestFillGaps(t *testing.T) {
	root := testProject(t, nil)
	build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-22T00:00:00Z"}) // the 21st
	build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-24T00:00:00Z"}) // the 23rd
	res, out := build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-25", fillGaps: true})
	// Start is the 20th: the 20th, 22nd and 24th were missing.
	for _, want := range []string{"[2026-11-20, 2026-11-21)", "[2026-11-22, 2026-11-23)", "[2026-11-24, 2026-11-25)"} {
		if !strings.Contains(out, want) {
			t.Errorf("window %s not built:\n%s", want, out)
		}
	}
	if strings.Contains(out, "[2026-11-21, 2026-11-22)") || res.Failed() {
		t.Errorf("rebuilt a window already built, or failed:\n%s", out)
	}
	if got := len(rows(t, root, "daily")); got != 9 {
		t.Errorf("daily has %d rows, want 9 (every day)", got)
	}
}

// TestLocalDaysInBerlin: a day window in Europe/Berlin over a source whose
// zone-less timestamps hold UTC, partitioned by local date.
func TestLocalDaysInBerlin(t *testing.T) {
	root := projecttest.Write(t, map[string]string{
		"etl_project.toml": `
name = "berlin"
start = "2026-11-20"
[window]
grain = "day"
delay = "4h"
timezone = "Europe/Berlin"
[sources.events]
path = "raw/events"
time_column = "ts"
time_partition = "dt"
`,
		"models/daily.sql": `/*---
materialized = "incremental"
time_column = "dt"
partition_by = ["dt"]
---*/
select cast(ts at time zone 'UTC' as date) as dt, count(*) as n, min(id) as first_id, max(id) as last_id
from {{ source "events" }}
group by all
`,
	})
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// UTC instants, filed under their Berlin date.
	events := []struct{ id, ts, dt string }{
		{"1", "2026-11-23 22:30:00", "2026-11-23"}, // 23:30 on the 23rd in Berlin
		{"2", "2026-11-23 23:30:00", "2026-11-24"}, // 00:30 on the 24th
		{"3", "2026-11-24 22:30:00", "2026-11-24"}, // 23:30 on the 24th
		{"4", "2026-11-24 23:30:00", "2026-11-25"}, // 00:30 on the 25th
	}
	for _, e := range events {
		dir := filepath.Join(root, "raw", "events", "dt="+e.dt)
		os.MkdirAll(dir, 0o755)
		q := fmt.Sprintf("COPY (SELECT %s AS id, TIMESTAMP '%s' AS ts) TO '%s' (FORMAT parquet)", e.id, e.ts, filepath.Join(dir, "part-"+e.id+".parquet"))
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	// 04:30 Berlin on the 25th is 03:30 UTC: with the 4h delay the window is the 24th, Berlin time.
	res, out := build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-25T03:30:00Z"})
	if r := status(res, "daily"); r.Window == nil || r.Window.Start != "2026-11-24T00:00:00+01:00" || r.Window.End != "2026-11-25T00:00:00+01:00" {
		t.Fatalf("window: %+v\n%s", r.Window, out)
	}
	equal(t, "daily", rows(t, root, "daily"), []string{"dt=2026-11-24 first_id=2 last_id=3 n=2"})
}

func TestSchemaChangeNeedsFullRefresh(t *testing.T) {
	root := testProject(t, nil)
	build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-22T00:00:00Z"})
	path := filepath.Join(root, "models", "daily.sql")
	text, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(text), "count(*) as n", "count(*) as n, 'x' as extra", 1)), 0o644)
	before := fileStats(t, filepath.Join(root, "data", "daily"))
	res, _ := build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-23T00:00:00Z"})
	r := status(res, "daily")
	if r.Status != "error" || !strings.Contains(r.Error, "the model's columns changed (added extra VARCHAR): rebuild its dataset with --full-refresh") {
		t.Fatalf("got %s: %s", r.Status, r.Error)
	}
	equal(t, "files", keys(fileStats(t, filepath.Join(root, "data", "daily"))), keys(before))
	res, out := build(t, root, runOpts{sel: []string{"daily"}, trigger: "2026-11-23T00:00:00Z", fullRefresh: true})
	if res.Failed() {
		t.Fatalf("full refresh failed:\n%s", out)
	}
	for _, row := range rows(t, root, "daily") {
		if !strings.Contains(row, "extra=x") {
			t.Errorf("row without the new column after a full refresh: %s", row)
		}
	}
}

// TestHourlyWindows: an hourly model over a source partitioned by date reads
// the hour's rows from the day's folder, and each hour is its own window.
func TestHourlyWindows(t *testing.T) {
	root := testProject(t, map[string]string{
		"models/hourly.sql": `/*---
materialized = "incremental"
time_column = "hour"
grain = "hour"
delay = "10m"
---*/
select date_trunc('hour', ts) as hour, count(*) as n
from {{ source "events" }}
group by all
`,
	})
	// Events of the 22nd are at 12:00, 12:01 and 12:02 UTC.
	build(t, root, runOpts{sel: []string{"hourly"}, trigger: "2026-11-22T13:15:00Z"})
	equal(t, "the 12:00 hour", rows(t, root, "hourly"), []string{"hour=2026-11-22 n=3"})
	res, _ := build(t, root, runOpts{sel: []string{"hourly"}, trigger: "2026-11-22T14:15:00Z"})
	if r := status(res, "hourly"); r.Rows != 0 || r.Window.Start != "2026-11-22T13:00:00Z" {
		t.Errorf("the 13:00 hour: %+v", r)
	}
	equal(t, "after an empty hour", rows(t, root, "hourly"), []string{"hour=2026-11-22 n=3"})
}
