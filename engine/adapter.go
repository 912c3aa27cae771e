package engine

import (
	"context"

	"github.com/etl-dev/etl/compiler"
)

// Adapter is what the engine needs of a database. Each database has a
// package under adapters/ that implements it; SQL particular to a database
// lives there, never here. The interface is small so that a Postgres or a
// Spark Connect adapter can follow.
type Adapter interface {
	// Dialect renders SQL for the compiler.
	Dialect() compiler.Dialect
	// Session opens a connection with its own settings and temporary
	// relations. Sessions may be used concurrently with each other.
	Session(ctx context.Context) (Session, error)
	// Publish creates or replaces the views of the persistent catalog that
	// users query (for DuckDB, <target_dir>/catalog.duckdb). views maps a
	// name to its SELECT; it is called once at the end of a run.
	Publish(ctx context.Context, views []View) error
	// ReadDataset returns a relation reading every Parquet file under dir
	// with hive partitioning, or only the given files of it.
	ReadDataset(dir string, files []string) string
	// UnionByName returns a query of the rows of every query, matching
	// columns by name (a column missing from one is null there).
	UnionByName(queries ...string) string
	Close() error
}

// View is a named query in a catalog.
type View struct {
	Name  string
	Query string
}

// Session is one connection of an Adapter.
type Session interface {
	// Exec runs a statement that returns no rows.
	Exec(ctx context.Context, sql string) error
	// Query runs a query and returns its rows; for small results only.
	Query(ctx context.Context, sql string) (*Rows, error)
	// SetTimeZone sets the zone in which dates and zone-less times are read.
	SetTimeZone(ctx context.Context, tz string) error
	// Describe returns the columns of a query's result without running it.
	Describe(ctx context.Context, query string) ([]Column, error)
	// CreateView creates or replaces a view visible to every session.
	CreateView(ctx context.Context, name, query string) error
	// Materialize runs query into a temporary table of this session and
	// returns its row count.
	Materialize(ctx context.Context, name, query string) (int64, error)
	// Drop drops a temporary table of this session, if it exists.
	Drop(ctx context.Context, name string) error
	// WriteParquet writes the result of query as Parquet files under dir,
	// hive-partitioned by partitionBy (partition columns are in the paths,
	// not in the files, as Spark and most readers expect), and returns the
	// number of rows written. dir must not exist.
	WriteParquet(ctx context.Context, query, dir string, partitionBy []string) (int64, error)
	// Files returns the data files of the dataset under dir that hold a row
	// where the condition is true.
	Files(ctx context.Context, dir, where string) ([]string, error)
	Close() error
}

// Column is a column of a result.
type Column struct {
	Name string
	Type string // the database's type name, upper case: DATE, TIMESTAMP, ...
	Kind compiler.Kind
}

// Rows is a small result held in memory.
type Rows struct {
	Columns []string
	Values  [][]any
}
