// Command gen writes the example project's raw clickstream: one Parquet file
// per day under raw/events/dt=YYYY-MM-DD/, from a fixed seed, so the committed
// files can be regenerated exactly (go run ./example_project/gen).
package main

import (
	"database/sql"
	"encoding/csv"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

var (
	pages     = []string{"/", "/pricing", "/docs", "/docs/install", "/docs/windows", "/blog", "/blog/late-data", "/signup", "/login", "/account", "/changelog", "/careers"}
	weights   = []int{30, 12, 14, 8, 6, 7, 4, 5, 6, 4, 3, 1}
	countries = []string{"DE", "US", "FR", "GB", "IN", "BR", "JP", "NL"}
	devices   = []string{"desktop", "mobile", "tablet"}
	referrers = []string{"", "google", "newsletter", "github", "hn", "twitter"}
)

func main() {
	out := flag.String("out", "example_project/raw/events", "folder to write dt=YYYY-MM-DD partitions into")
	first := flag.String("first", "2026-11-18", "first day")
	days := flag.Int("days", 7, "number of days")
	perDay := flag.Int("per-day", 2500, "events per day (about)")
	flag.Parse()
	if err := generate(*out, *first, *days, *perDay); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func generate(out, first string, days, perDay int) error {
	start, err := time.Parse("2006-01-02", first)
	if err != nil {
		return err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec("SET TimeZone = 'UTC'; SET threads = 1"); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "etl-gen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	rng := rand.New(rand.NewPCG(2026, 11))
	id := 0
	total := 0
	for _, w := range weights {
		total += w
	}
	for d := 0; d < days; d++ {
		day := start.AddDate(0, 0, d)
		csvPath := filepath.Join(tmp, day.Format("2006-01-02")+".csv")
		f, err := os.Create(csvPath)
		if err != nil {
			return err
		}
		w := csv.NewWriter(f)
		_ = w.Write([]string{"event_id", "event_ts", "user_id", "session_id", "page", "referrer", "country", "device", "user_agent"})
		n := perDay + rng.IntN(perDay/5) - perDay/10
		for i := 0; i < n; i++ {
			id++
			// Traffic peaks in the European afternoon.
			sec := int(rng.NormFloat64()*4*3600 + 14*3600)
			sec = ((sec % 86400) + 86400) % 86400
			ts := day.Add(time.Duration(sec)*time.Second + time.Duration(rng.IntN(1000))*time.Millisecond)
			user := rng.IntN(400) + 1
			pick, page := rng.IntN(total), ""
			for j, wt := range weights {
				if pick < wt {
					page = pages[j]
					break
				}
				pick -= wt
			}
			ua := "Mozilla/5.0"
			if rng.IntN(50) == 0 {
				ua = "Googlebot/2.1"
			}
			_ = w.Write([]string{
				strconv.Itoa(id),
				ts.Format("2006-01-02 15:04:05.000"),
				fmt.Sprintf("u%04d", user),
				fmt.Sprintf("s%04d-%s-%d", user, day.Format("0102"), sec/1800),
				page,
				referrers[rng.IntN(len(referrers))],
				countries[(user*7)%len(countries)],
				devices[(user+sec/3600)%len(devices)],
				ua,
			})
		}
		w.Flush()
		if err := f.Close(); err != nil {
			return err
		}
		dir := filepath.Join(out, "dt="+day.Format("2006-01-02"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		q := fmt.Sprintf(`COPY (
			select event_id::bigint as event_id, event_ts::timestamp as event_ts, user_id, session_id,
			       page, nullif(referrer, '') as referrer, country, device, user_agent
			from read_csv('%s', all_varchar = true) order by event_ts
		) TO '%s' (FORMAT parquet, COMPRESSION zstd)`, csvPath, filepath.Join(dir, "part-0.parquet"))
		if _, err := db.Exec(q); err != nil {
			return err
		}
		fmt.Printf("%s: %d events\n", dir, n)
	}
	return nil
}
