package compiler

import "time"

// Kind is the type of a time column, which decides how a window predicate
// compares it: an instant, a UTC wall-clock timestamp, or a local date.
type Kind int

const (
	// KindUnknown is compared as an instant: right for TIMESTAMPTZ, and for
	// DATE when the session time zone is the project's; the engine supplies
	// real kinds when it runs.
	KindUnknown Kind = iota
	KindTimestampTZ
	KindTimestamp // no zone: holds UTC, as Spark and most lakes write it
	KindDate      // the local date in the project's time zone
)

func (k Kind) String() string {
	return [...]string{"unknown", "timestamptz", "timestamp", "date"}[k]
}

// Dialect is what the compiler needs of a database's SQL: quoting, literals
// and reading files. Adapters implement it; the compiler stays free of any
// one database's syntax.
type Dialect interface {
	// Quote returns ident as a quoted identifier.
	Quote(ident string) string
	// Timestamp returns an instant literal (with zone) shown in t's location.
	Timestamp(t time.Time) string
	// UTCTimestamp returns a zone-less timestamp literal of t in UTC.
	UTCTimestamp(t time.Time) string
	// Date returns a date literal of t's date in t's location.
	Date(t time.Time) string
	// Scan returns a relation reading the files matching pattern.
	Scan(pattern, format string, hive bool) string
	// ScanFiles returns a relation reading exactly the given files.
	ScanFiles(files []string, format string, hive bool) string
}
