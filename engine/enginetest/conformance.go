// Package enginetest is the suite every database adapter must pass, so that
// a Postgres or Spark Connect adapter proves itself against the same cases
// as DuckDB. An adapter's test calls Run with a function that opens it.
package enginetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/engine"
)

// Open returns a fresh adapter whose Publish writes the catalog at path.
type Open func(t *testing.T, catalog string) engine.Adapter

// Run runs every conformance case against the adapter.
func Run(t *testing.T, open Open) {
	cases := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, a engine.Adapter, dir string)
	}{
		{"query", query},
		{"describe kinds", describeKinds},
		{"write partitioned parquet", writePartitioned},
		{"write an empty unpartitioned dataset", writeEmpty},
		{"files holding matching rows", files},
		{"temporary tables are per session", temporary},
		{"views are shared by sessions", views},
		{"union by name", unionByName},
		{"session time zone", timeZone},
		{"dialect literals round-trip", literals},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			a := open(t, filepath.Join(dir, "catalog"))
			defer a.Close()
			c.run(t, context.Background(), a, dir)
		})
	}
	t.Run("publish", func(t *testing.T) {
		dir := t.TempDir()
		catalog := filepath.Join(dir, "catalog")
		a := open(t, catalog)
		if err := a.Publish(context.Background(), []engine.View{{Name: "one", Query: "SELECT 1 AS x"}, {Name: "two", Query: "SELECT x + 1 AS y FROM one"}}); err != nil {
			t.Fatal(err)
		}
		a.Close()
		b := open(t, filepath.Join(dir, "other"))
		defer b.Close()
		s := session(t, b)
		if err := s.Exec(context.Background(), fmt.Sprintf("ATTACH '%s' AS c (READ_ONLY)", catalog)); err != nil {
			t.Skipf("this adapter's catalog is not attachable this way: %v", err)
		}
		if got := scalar(t, s, "SELECT y FROM c.two"); got != "2" {
			t.Errorf("catalog view two: got %s, want 2", got)
		}
	})
}

func session(t *testing.T, a engine.Adapter) engine.Session {
	t.Helper()
	s, err := a.Session(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func scalar(t *testing.T, s engine.Session, q string) string {
	t.Helper()
	rows, err := s.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if len(rows.Values) != 1 || len(rows.Values[0]) != 1 {
		t.Fatalf("%s: got %v, want one value", q, rows.Values)
	}
	v := rows.Values[0][0]
	if tm, ok := v.(time.Time); ok {
		return tm.Format("2006-01-02")
	}
	return fmt.Sprint(v)
}

func query(t *testing.T, ctx context.Context, a engine.Adapter, _ string) {
	s := session(t, a)
	if err := s.Exec(ctx, "CREATE TEMP TABLE t AS SELECT 1 AS a, 'x' AS b"); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Query(ctx, "SELECT a, b FROM t")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows.Columns, ",") != "a,b" || len(rows.Values) != 1 || fmt.Sprint(rows.Values[0]) != "[1 x]" {
		t.Errorf("got %v %v", rows.Columns, rows.Values)
	}
	if _, err := s.Query(ctx, "SELECT no_such_column FROM t"); err == nil || !strings.Contains(err.Error(), "no_such_column") {
		t.Errorf("a bad query's error does not name the problem: %v", err)
	}
}

func describeKinds(t *testing.T, ctx context.Context, a engine.Adapter, _ string) {
	d := a.Dialect()
	s := session(t, a)
	ts := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	cols, err := s.Describe(ctx, fmt.Sprintf("SELECT %s AS d, %s AS ts, %s AS tz, 1 AS n", d.Date(ts), d.UTCTimestamp(ts), d.Timestamp(ts)))
	if err != nil {
		t.Fatal(err)
	}
	want := []compiler.Kind{compiler.KindDate, compiler.KindTimestamp, compiler.KindTimestampTZ, compiler.KindUnknown}
	for i, c := range cols {
		if c.Kind != want[i] {
			t.Errorf("column %s (%s): kind %s, want %s", c.Name, c.Type, c.Kind, want[i])
		}
	}
}

func writePartitioned(t *testing.T, ctx context.Context, a engine.Adapter, dir string) {
	s := session(t, a)
	d := a.Dialect()
	q := fmt.Sprintf("SELECT * FROM (VALUES (%s, 'a', 1), (%s, 'b', 2), (%s, 'c', 3)) v(dt, k, n)",
		d.Date(day(24)), d.Date(day(24)), d.Date(day(25)))
	out := filepath.Join(dir, "ds")
	n, err := s.WriteParquet(ctx, q, out, []string{"dt"})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("wrote %d rows, want 3", n)
	}
	for _, p := range []string{"dt=2026-11-24", "dt=2026-11-25"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("partition folder %s: %v", p, err)
		}
	}
	if got := scalar(t, s, "SELECT sum(n) FROM "+a.ReadDataset(out, nil)+" WHERE dt = "+d.Date(day(24))); got != "3" {
		t.Errorf("rows of 2026-11-24 sum to %s, want 3", got)
	}
	cols, err := s.Describe(ctx, "SELECT dt FROM "+a.ReadDataset(out, nil))
	if err != nil || cols[0].Kind != compiler.KindDate {
		t.Errorf("partition key dt reads back as %+v (%v), want a DATE", cols, err)
	}
}

func day(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }

func writeEmpty(t *testing.T, ctx context.Context, a engine.Adapter, dir string) {
	s := session(t, a)
	out := filepath.Join(dir, "empty")
	n, err := s.WriteParquet(ctx, "SELECT 1 AS a, 'x' AS b WHERE false", out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("wrote %d rows, want 0", n)
	}
	cols, err := s.Describe(ctx, "SELECT * FROM "+a.ReadDataset(out, nil))
	if err != nil || len(cols) != 2 {
		t.Errorf("an empty dataset keeps its columns: %+v (%v)", cols, err)
	}
}

func files(t *testing.T, ctx context.Context, a engine.Adapter, dir string) {
	s := session(t, a)
	d := a.Dialect()
	out := filepath.Join(dir, "ds")
	q := fmt.Sprintf("SELECT * FROM (VALUES (%s, 1), (%s, 2), (%s, 3)) v(dt, n)", d.Date(day(23)), d.Date(day(24)), d.Date(day(25)))
	if _, err := s.WriteParquet(ctx, q, out, []string{"dt"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Files(ctx, out, "n >= 2")
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, f := range got {
		rel, _ := filepath.Rel(out, filepath.Dir(f))
		parts = append(parts, rel)
	}
	sort.Strings(parts)
	if strings.Join(parts, " ") != "dt=2026-11-24 dt=2026-11-25" {
		t.Errorf("files with n >= 2 are in %v", parts)
	}
}

func temporary(t *testing.T, ctx context.Context, a engine.Adapter, _ string) {
	s1, s2 := session(t, a), session(t, a)
	n, err := s1.Materialize(ctx, "tmp", "SELECT * FROM (VALUES (1), (2)) v(x)")
	if err != nil || n != 2 {
		t.Fatalf("materialize: %d rows, %v", n, err)
	}
	if _, err := s2.Query(ctx, "SELECT * FROM tmp"); err == nil {
		t.Error("another session sees a temporary table")
	}
	if err := s1.Drop(ctx, "tmp"); err != nil {
		t.Fatal(err)
	}
	if err := s1.Drop(ctx, "tmp"); err != nil {
		t.Errorf("dropping a missing table: %v", err)
	}
}

func views(t *testing.T, ctx context.Context, a engine.Adapter, _ string) {
	s1, s2 := session(t, a), session(t, a)
	if err := s1.CreateView(ctx, "v", "SELECT 41 AS x"); err != nil {
		t.Fatal(err)
	}
	if err := s1.CreateView(ctx, "v", "SELECT 42 AS x"); err != nil {
		t.Fatalf("replacing a view: %v", err)
	}
	if got := scalar(t, s2, "SELECT x FROM v"); got != "42" {
		t.Errorf("another session reads %s, want 42", got)
	}
}

func unionByName(t *testing.T, ctx context.Context, a engine.Adapter, _ string) {
	s := session(t, a)
	q := a.UnionByName("SELECT 1 AS a, 2 AS b", "SELECT 20 AS b, 10 AS a")
	if got := scalar(t, s, "SELECT sum(a * 100 + b) FROM ("+q+")"); got != "1122" {
		t.Errorf("got %s, want 1122 (by position it would be 2112)", got)
	}
}

func timeZone(t *testing.T, ctx context.Context, a engine.Adapter, _ string) {
	s := session(t, a)
	if err := s.SetTimeZone(ctx, "America/New_York"); err != nil {
		t.Fatal(err)
	}
	// 02:00 UTC on the 24th is still the 23rd in New York.
	ts := a.Dialect().Timestamp(time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC))
	if got := scalar(t, s, "SELECT CAST("+ts+" AS DATE)"); got != "2026-11-23" {
		t.Errorf("got %s, want 2026-11-23", got)
	}
}

func literals(t *testing.T, ctx context.Context, a engine.Adapter, _ string) {
	s := session(t, a)
	d := a.Dialect()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	start := time.Date(2026, 11, 24, 0, 0, 0, 0, berlin)
	w := compiler.Window{Start: start, End: start.AddDate(0, 0, 1), Grain: "day"}
	cases := []struct {
		value string
		kind  compiler.Kind
		in    bool
	}{
		{d.Timestamp(time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC)), compiler.KindTimestampTZ, true},
		{d.UTCTimestamp(time.Date(2026, 11, 23, 22, 30, 0, 0, time.UTC)), compiler.KindTimestamp, false},
		{d.Date(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)), compiler.KindDate, true},
		{d.Date(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)), compiler.KindDate, false},
	}
	for _, c := range cases {
		pred := compiler.TimePredicate(d, "v", c.kind, w)
		got := scalar(t, s, fmt.Sprintf("SELECT count(*) FROM (SELECT %s AS v) WHERE %s", c.value, pred))
		if want := map[bool]string{true: "1", false: "0"}[c.in]; got != want {
			t.Errorf("%s in %s (%s): got %s, want %s", c.value, w, pred, got, want)
		}
	}
}
