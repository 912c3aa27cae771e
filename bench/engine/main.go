// Command engine measures what etl adds to DuckDB's own time (issue 3):
//
//  1. A daily aggregation of 10 million events over 30 days, hive-partitioned:
//     `etl build --full-refresh` against the same SQL run by hand in DuckDB
//     (COPY ... TO with PARTITION_BY). Target: at most 1.15 times.
//  2. A one-day window on 300 days of history against one on 30 days.
//     Target: at most 1.5 times.
//
// go run ./bench/engine [-dir /tmp/etl-bench] [-events 10000000] [-runs 3]
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/etl-dev/etl/adapters/duckdb"
	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/engine"
	"github.com/etl-dev/etl/project"
)

const aggregation = `select
    cast(event_ts as date) as dt,
    page,
    country,
    count(*) as events,
    count(distinct user_id) as users,
    sum(amount) as amount
from %s
group by all`

func main() {
	dir := flag.String("dir", filepath.Join(os.TempDir(), "etl-bench"), "working folder (data is generated once and kept)")
	events := flag.Int("events", 10_000_000, "events in the 30-day dataset")
	perDay := flag.Int("history-per-day", 100_000, "events per day in the window-scaling datasets")
	runs := flag.Int("runs", 3, "runs of each measurement; the median is reported")
	flag.Parse()
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fail(err)
	}

	fmt.Printf("etl engine benchmark (%d runs each, median)\n\n", *runs)
	big := filepath.Join(*dir, "events30")
	ensureEvents(big, 30, *events/30)
	byHand := median(*runs, func() time.Duration { return handCopy(big, filepath.Join(*dir, "hand")) })
	viaETL := median(*runs, func() time.Duration { return etlBuild(*dir, "p30", big, "", true) })
	fmt.Printf("daily aggregation of %d events, 30 days:\n", *events)
	fmt.Printf("  DuckDB by hand (COPY ... PARTITION_BY): %8.3fs\n", byHand.Seconds())
	fmt.Printf("  etl build --full-refresh:               %8.3fs\n", viaETL.Seconds())
	fmt.Printf("  ratio: %.3f (target <= 1.15)\n\n", viaETL.Seconds()/byHand.Seconds())

	h30 := filepath.Join(*dir, "history30")
	h300 := filepath.Join(*dir, "history300")
	ensureEvents(h30, 30, *perDay)
	ensureEvents(h300, 300, *perDay)
	trigger30 := lastDay(30).AddDate(0, 0, 1).Format(time.RFC3339)
	trigger300 := lastDay(300).AddDate(0, 0, 1).Format(time.RFC3339)
	w30 := median(*runs, func() time.Duration { return etlBuild(*dir, "w30", h30, trigger30, false) })
	w300 := median(*runs, func() time.Duration { return etlBuild(*dir, "w300", h300, trigger300, false) })
	fmt.Printf("one-day window, %d events a day:\n", *perDay)
	fmt.Printf("  on 30 days of history:  %8.3fs\n", w30.Seconds())
	fmt.Printf("  on 300 days of history: %8.3fs\n", w300.Seconds())
	fmt.Printf("  ratio: %.3f (target <= 1.5)\n", w300.Seconds()/w30.Seconds())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

func median(n int, f func() time.Duration) time.Duration {
	var ds []time.Duration
	for i := 0; i < n; i++ {
		ds = append(ds, f())
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// The datasets end on this day.
func lastDay(days int) time.Time { return time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) }

func firstDay(days int) time.Time { return lastDay(days).AddDate(0, 0, -days+1) }

// ensureEvents writes days of events under dir/dt=YYYY-MM-DD/ unless there.
func ensureEvents(dir string, days, perDay int) {
	if _, err := os.Stat(filepath.Join(dir, ".done")); err == nil {
		return
	}
	os.RemoveAll(dir)
	fmt.Printf("generating %d days of %d events in %s ...\n", days, perDay, dir)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		fail(err)
	}
	defer db.Close()
	start := firstDay(days).Format("2006-01-02")
	q := fmt.Sprintf(`COPY (
		select
			TIMESTAMP '%s' + to_microseconds(cast(i * (86400000000 // %d) as bigint)) as event_ts,
			cast(hash(i) %% 50000 as integer) as user_id,
			'/page/' || cast(hash(i * 7) %% 40 as varchar) as page,
			['DE','US','FR','GB','IN','BR','JP','NL'][cast(1 + hash(i * 13) %% 8 as bigint)] as country,
			cast(hash(i * 31) %% 10000 as double) / 100 as amount,
			cast(TIMESTAMP '%s' + to_microseconds(cast(i * (86400000000 // %d) as bigint)) as date) as dt
		from range(%d) t(i)
	) TO '%s' (FORMAT parquet, PARTITION_BY (dt), FILENAME_PATTERN 'part-{i}')`,
		start, perDay, start, perDay, days*perDay, dir)
	if _, err := db.Exec(q); err != nil {
		fail(err)
	}
	os.WriteFile(filepath.Join(dir, ".done"), nil, 0o644)
}

// handCopy is the baseline: the same aggregation written by hand.
func handCopy(events, out string) time.Duration {
	os.RemoveAll(out)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		fail(err)
	}
	defer db.Close()
	db.Exec("SET TimeZone = 'UTC'")
	src := fmt.Sprintf("read_parquet('%s/**/*.parquet', hive_partitioning = true)", events)
	start := time.Now()
	q := fmt.Sprintf("COPY (%s) TO '%s' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt))", fmt.Sprintf(aggregation, src), out)
	if _, err := db.Exec(q); err != nil {
		fail(err)
	}
	return time.Since(start)
}

// etlBuild builds the model through the engine; the project is written
// fresh each time so every run starts from no data.
func etlBuild(dir, name, events, trigger string, fullRefresh bool) time.Duration {
	root := filepath.Join(dir, name)
	os.RemoveAll(root)
	os.MkdirAll(filepath.Join(root, "models"), 0o755)
	toml := fmt.Sprintf(`name = "bench"
start = "%s"
[window]
grain = "day"
[sources.events]
path = "%s"
time_column = "event_ts"
time_partition = "dt"
`, firstDay(300).Format("2006-01-02"), events)
	model := "/*---\nmaterialized = \"incremental\"\ntime_column = \"dt\"\npartition_by = [\"dt\"]\n---*/\n" + fmt.Sprintf(aggregation, `{{ source "events" }}`)
	os.WriteFile(filepath.Join(root, project.FileName), []byte(toml), 0o644)
	os.WriteFile(filepath.Join(root, "models", "daily.sql"), []byte(model), 0o644)

	start := time.Now()
	p, err := project.Load(root, project.Options{})
	if err != nil {
		fail(err)
	}
	c, err := compiler.New(p, duckdb.Dialect{})
	if err != nil {
		fail(err)
	}
	a, err := duckdb.Open(duckdb.Settings{Catalog: filepath.Join(p.TargetDir, "catalog.duckdb")})
	if err != nil {
		fail(err)
	}
	defer a.Close()
	opts := engine.Options{Command: "build", Out: io.Discard, Threads: 1, FullRefresh: fullRefresh}
	if trigger != "" {
		opts.Trigger, _ = time.Parse(time.RFC3339, trigger)
	} else {
		opts.Trigger = lastDay(30).AddDate(0, 0, 1)
	}
	res, err := engine.Run(context.Background(), c, a, []string{"daily"}, opts)
	if err != nil {
		fail(err)
	}
	if res.Failed() {
		var msgs []string
		for _, r := range res.Results {
			msgs = append(msgs, r.Error)
		}
		fail(fmt.Errorf("build failed: %s", strings.Join(msgs, "; ")))
	}
	return time.Since(start)
}
