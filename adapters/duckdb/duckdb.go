// Package duckdb is the DuckDB adapter: an embedded, in-process database that
// reads and writes hive-partitioned Parquet. Every DuckDB-specific statement
// of etl is here.
package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver

	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/engine"
)

var _ engine.Adapter = (*Adapter)(nil)

// Settings are the [engine] keys of etl_project.toml.
type Settings struct {
	MemoryLimit   string // "4GB"; empty: DuckDB's default
	Threads       int    // 0: one per core
	TempDirectory string
	Catalog       string // the persistent catalog file that Publish writes
}

// Adapter runs an in-memory DuckDB database for a run. Models are read and
// written as Parquet files; the persistent catalog is written only by
// Publish, so that runs of different models do not hold a lock on it.
type Adapter struct {
	db       *sql.DB
	settings Settings
}

// Open starts an in-memory database with the given settings.
func Open(s Settings) (*Adapter, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	var stmts []string
	if s.MemoryLimit != "" {
		stmts = append(stmts, fmt.Sprintf("SET memory_limit = %s", stringLiteral(s.MemoryLimit)))
	}
	if s.Threads > 0 {
		stmts = append(stmts, fmt.Sprintf("SET threads = %d", s.Threads))
	}
	if s.TempDirectory != "" {
		stmts = append(stmts, fmt.Sprintf("SET temp_directory = %s", stringLiteral(s.TempDirectory)))
	}
	for _, stmt := range stmts {
		if _, err := db.Exec(stmt); err != nil {
			db.Close()
			return nil, fmt.Errorf("duckdb %s: %w", stmt, err)
		}
	}
	return &Adapter{db: db, settings: s}, nil
}

// Dialect returns DuckDB's SQL dialect.
func (a *Adapter) Dialect() compiler.Dialect { return Dialect{} }

// Close closes the database.
func (a *Adapter) Close() error { return a.db.Close() }

// Session opens a connection.
func (a *Adapter) Session(ctx context.Context) (engine.Session, error) {
	conn, err := a.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &session{conn: conn}, nil
}

// Publish writes the views into the persistent catalog. The catalog is a
// DuckDB file that one process at a time may open; a run that finds it
// held by another retries for a while rather than failing its models.
func (a *Adapter) Publish(ctx context.Context, views []engine.View) error {
	if a.settings.Catalog == "" || len(views) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(a.settings.Catalog), 0o755); err != nil {
		return err
	}
	conn, err := a.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	attach := fmt.Sprintf("ATTACH %s AS etl_catalog", stringLiteral(a.settings.Catalog))
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err = conn.ExecContext(ctx, attach)
		if err == nil || !strings.Contains(err.Error(), "lock") || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("open catalog %s: %w", a.settings.Catalog, err)
	}
	defer conn.ExecContext(context.Background(), "DETACH etl_catalog")
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	for _, v := range views {
		stmt := fmt.Sprintf("CREATE OR REPLACE VIEW etl_catalog.%s AS %s", Dialect{}.Quote(v.Name), v.Query)
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			conn.ExecContext(context.Background(), "ROLLBACK")
			return fmt.Errorf("catalog view %s: %w", v.Name, err)
		}
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// ReadDataset reads a hive-partitioned Parquet dataset, or some of its files.
func (a *Adapter) ReadDataset(dir string, files []string) string {
	if files == nil {
		return Dialect{}.Scan(filepath.Join(dir, "**", "*.parquet"), "parquet", true)
	}
	return Dialect{}.ScanFiles(files, "parquet", true)
}

// UnionByName unions queries matching columns by name.
func (a *Adapter) UnionByName(queries ...string) string {
	parts := make([]string, len(queries))
	for i, q := range queries {
		parts[i] = "(" + q + ")"
	}
	return strings.Join(parts, "\nUNION ALL BY NAME\n")
}

type session struct {
	conn *sql.Conn
}

func (s *session) Exec(ctx context.Context, stmt string) error {
	_, err := s.conn.ExecContext(ctx, stmt)
	return clean(err)
}

func (s *session) Query(ctx context.Context, query string) (*engine.Rows, error) {
	rows, err := s.conn.QueryContext(ctx, query)
	if err != nil {
		return nil, clean(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := &engine.Rows{Columns: cols}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out.Values = append(out.Values, vals)
	}
	return out, clean(rows.Err())
}

func (s *session) SetTimeZone(ctx context.Context, tz string) error {
	return s.Exec(ctx, "SET TimeZone = "+stringLiteral(tz))
}

func (s *session) Describe(ctx context.Context, query string) ([]engine.Column, error) {
	r, err := s.Query(ctx, "DESCRIBE "+query)
	if err != nil {
		return nil, err
	}
	cols := make([]engine.Column, 0, len(r.Values))
	for _, row := range r.Values {
		name, _ := row[0].(string)
		typ, _ := row[1].(string)
		cols = append(cols, engine.Column{Name: name, Type: typ, Kind: kindOf(typ)})
	}
	return cols, nil
}

func kindOf(typ string) compiler.Kind {
	switch strings.ToUpper(typ) {
	case "DATE":
		return compiler.KindDate
	case "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ":
		return compiler.KindTimestampTZ
	case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATETIME":
		return compiler.KindTimestamp
	}
	return compiler.KindUnknown
}

func (s *session) CreateView(ctx context.Context, name, query string) error {
	return s.Exec(ctx, fmt.Sprintf("CREATE OR REPLACE VIEW %s AS %s", Dialect{}.Quote(name), query))
}

func (s *session) Materialize(ctx context.Context, name, query string) (int64, error) {
	if err := s.Exec(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s AS %s", Dialect{}.Quote(name), query)); err != nil {
		return 0, err
	}
	r, err := s.Query(ctx, "SELECT count(*) FROM "+Dialect{}.Quote(name))
	if err != nil {
		return 0, err
	}
	n, _ := r.Values[0][0].(int64)
	return n, nil
}

func (s *session) Drop(ctx context.Context, name string) error {
	return s.Exec(ctx, "DROP TABLE IF EXISTS "+Dialect{}.Quote(name))
}

func (s *session) WriteParquet(ctx context.Context, query, dir string, partitionBy []string) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return 0, err
	}
	opts := "FORMAT parquet, COMPRESSION zstd, FILENAME_PATTERN 'part-{i}'"
	target := dir
	if len(partitionBy) > 0 {
		q := make([]string, len(partitionBy))
		for i, c := range partitionBy {
			q[i] = Dialect{}.Quote(c)
		}
		opts += ", PARTITION_BY (" + strings.Join(q, ", ") + ")"
	} else {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return 0, err
		}
		target = filepath.Join(dir, "part-0.parquet")
	}
	res, err := s.conn.ExecContext(ctx, fmt.Sprintf("COPY (%s) TO %s (%s)", query, stringLiteral(target), opts))
	if err != nil {
		return 0, clean(err)
	}
	n, err := res.RowsAffected()
	return n, err
}

func (s *session) Files(ctx context.Context, dir, where string) ([]string, error) {
	q := fmt.Sprintf("SELECT DISTINCT filename FROM read_parquet(%s, hive_partitioning = true, filename = true) WHERE %s ORDER BY 1",
		stringLiteral(filepath.Join(dir, "**", "*.parquet")), where)
	r, err := s.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(r.Values))
	for _, row := range r.Values {
		if f, ok := row[0].(string); ok {
			out = append(out, f)
		}
	}
	return out, nil
}

func (s *session) Close() error { return s.conn.Close() }

// clean drops the noise DuckDB puts around its messages.
func clean(err error) error {
	if err == nil {
		return nil
	}
	msg := strings.TrimSpace(err.Error())
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}
