package duckdb

import (
	"fmt"
	"strings"
	"time"

	"github.com/etl-dev/etl/compiler"
)

var _ compiler.Dialect = Dialect{}

// Dialect renders DuckDB SQL for the compiler. It needs no connection.
type Dialect struct{}

// Quote returns ident in double quotes.
func (Dialect) Quote(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

// Timestamp returns a TIMESTAMPTZ literal with t's offset.
func (Dialect) Timestamp(t time.Time) string {
	return "TIMESTAMPTZ '" + t.Format("2006-01-02 15:04:05.999999-07:00") + "'"
}

// UTCTimestamp returns a TIMESTAMP literal of t in UTC.
func (Dialect) UTCTimestamp(t time.Time) string {
	return "TIMESTAMP '" + t.UTC().Format("2006-01-02 15:04:05.999999") + "'"
}

// Date returns a DATE literal of t's date in its location.
func (Dialect) Date(t time.Time) string {
	return "DATE '" + t.Format("2006-01-02") + "'"
}

// Scan returns a table function reading the files matching pattern. It does
// not union by name: that reads every file's footer when the query is bound,
// before partitions are pruned, so a query of one day would open a year.
func (Dialect) Scan(pattern, format string, hive bool) string {
	fn := map[string]string{"csv": "read_csv", "json": "read_json"}[format]
	if fn == "" {
		fn = "read_parquet"
	}
	opts := ""
	if hive {
		opts = ", hive_partitioning = true"
	}
	if !strings.HasPrefix(pattern, "[") {
		pattern = stringLiteral(pattern)
	}
	return fmt.Sprintf("%s(%s%s)", fn, pattern, opts)
}

// ScanFiles returns a table function reading exactly the given files: no
// file outside the list is opened, not even for the schema.
func (d Dialect) ScanFiles(files []string, format string, hive bool) string {
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = stringLiteral(f)
	}
	return d.Scan("["+strings.Join(quoted, ", ")+"]", format, hive)
}

func stringLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
