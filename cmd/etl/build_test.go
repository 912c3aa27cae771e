package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// TestBuildExampleProject runs the README's command on a copy of the example
// project and checks the data through the catalog, as a user would.
func TestBuildExampleProject(t *testing.T) {
	root := copyProject(t, "../../example_project")
	var stdout, stderr bytes.Buffer
	args := []string{"build", "--start", "2026-11-18", "--end", "2026-11-25", "--project-dir", root}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "Done in") || !strings.Contains(stdout.String(), "6 ok") {
		t.Errorf("progress:\n%s", stdout.String())
	}
	var results struct {
		Results []struct {
			Node   string `json:"unique_id"`
			Kind   string `json:"kind"`
			Status string `json:"status"`
			Rows   int64  `json:"rows_written"`
		} `json:"results"`
	}
	data, err := os.ReadFile(filepath.Join(root, "target", "run_results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &results); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, r := range results.Results {
		kinds[r.Kind]++
		if r.Status != "success" {
			t.Errorf("%s: %s", r.Node, r.Status)
		}
	}
	// 5 models and a seed; the tests of 7 windows of 2 incremental models,
	// 2 views' and a table's, and the singular test.
	if kinds["model"] != 5 || kinds["seed"] != 1 || kinds["test"] != 45 {
		t.Errorf("run_results holds %v", kinds)
	}
	db, err := sql.Open("duckdb", filepath.Join(root, "target", "catalog.duckdb")+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var days, clicks, users int64
	if err := db.QueryRow("select count(distinct dt), sum(clicks) from daily_clicks").Scan(&days, &clicks); err != nil {
		t.Fatal(err)
	}
	var raw int64
	glob := filepath.Join(root, "raw", "events", "**", "*.parquet")
	if err := db.QueryRow("select count(*) from read_parquet('" + glob + "') where user_agent not like '%bot%'").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if days != 7 || clicks != raw {
		t.Errorf("daily_clicks: %d days and %d clicks, want 7 days and %d clicks (every non-bot event)", days, clicks, raw)
	}
	if err := db.QueryRow("select count(*) from user_activity").Scan(&users); err != nil {
		t.Fatal(err)
	}
	if users < 390 || users > 400 {
		t.Errorf("user_activity has %d users, want one row per user (about 400)", users)
	}
	var totals int64
	if err := db.QueryRow("select sum(clicks) from page_totals").Scan(&totals); err != nil || totals != clicks {
		t.Errorf("page_totals: %d clicks (%v), want %d", totals, err, clicks)
	}

	// The same run again is a no-op on the data.
	stdout.Reset()
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, stderr.String())
	}
	db2, _ := sql.Open("duckdb", filepath.Join(root, "target", "catalog.duckdb")+"?access_mode=read_only")
	defer db2.Close()
	var clicks2 int64
	if err := db2.QueryRow("select sum(clicks) from daily_clicks").Scan(&clicks2); err != nil || clicks2 != clicks {
		t.Errorf("after a second run: %d clicks (%v), want %d", clicks2, err, clicks)
	}

	// show and status read what was built.
	stdout.Reset()
	if code := run([]string{"show", "daily_clicks", "-n", "3", "--project-dir", root}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "(3 rows)") {
		t.Errorf("show: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"status", "--project-dir", root, "--trigger", "2026-11-26T04:00:00Z"}, &stdout, &stderr); code != 0 {
		t.Fatalf("status: exit %d: %s", code, stderr.String())
	}
	want := "daily_clicks   day    [2026-11-18, 2026-11-25)  [2026-11-25, 2026-11-26) (1 window)"
	if !strings.Contains(stdout.String(), want) {
		t.Errorf("status:\n%s\nwant a line\n%s", stdout.String(), want)
	}
}

func TestBuildFailureExitsOne(t *testing.T) {
	root := copyProject(t, "../../example_project")
	path := filepath.Join(root, "models", "marts", "page_totals.sql")
	sqlText, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(sqlText), "sum(clicks)", "sum(clickz)", 1)), 0o644)
	var stdout, stderr bytes.Buffer
	code := run([]string{"build", "--trigger", "2026-11-25T04:00:00Z", "--project-dir", root}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "error: model page_totals (models/marts/page_totals.sql)") || !strings.Contains(stdout.String(), "clickz") {
		t.Errorf("output does not name the model, file and problem:\n%s", stdout.String())
	}
}

func TestTestCommand(t *testing.T) {
	root := copyProject(t, "../../example_project")
	var stdout, stderr bytes.Buffer
	// Unit tests need no data: they pass on a fresh checkout.
	if code := run([]string{"test", "--select", "daily_clicks", "--project-dir", root}, &stdout, &stderr); code != 1 {
		// daily_clicks has no data yet, so its data tests fail to run: exit 1.
		t.Fatalf("exit %d, want 1 (no data to test)\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "PASS  unit:daily_clicks_counts") || !strings.Contains(stdout.String(), "has no data to test: build it first") {
		t.Errorf("output:\n%s", stdout.String())
	}
	// A wrong expectation prints a row diff.
	path := filepath.Join(root, "tests", "unit", "daily_clicks_counts.toml")
	text, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(text), "clicks = 3", "clicks = 4", 1)), 0o644)
	stdout.Reset()
	run([]string{"build", "--trigger", "2026-11-25T04:00:00Z", "--project-dir", root}, &stdout, &stderr)
	stdout.Reset()
	code := run([]string{"test", "--select", "daily_clicks", "--project-dir", root}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stdout.String())
	}
	for _, want := range []string{"FAIL  unit:daily_clicks_counts", "1 expected row missing, 1 unexpected (-expected +actual)", "  - 2026-11-24 | /     | marketing | 4"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
}
