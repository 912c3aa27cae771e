package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/project"
)

// ModelError is a model that failed, with the file to look at.
type ModelError struct {
	Model, Path string
	SQL         string // where the SQL it ran is written, if it ran any
	Err         error
}

func (e *ModelError) Error() string {
	msg := fmt.Sprintf("model %s (%s): %v", e.Model, e.Path, e.Err)
	if e.SQL != "" {
		msg += "\n  the SQL it ran is in " + e.SQL
	}
	return msg
}

func (e *ModelError) Unwrap() error { return e.Err }

// execute builds one node: every window of an incremental model, or the
// whole of a view, table or seed.
func (r *runner) execute(ctx context.Context, n *compiler.Node) *Result {
	s, err := r.a.Session(ctx)
	if err != nil {
		return r.fail(n, compiler.Window{}, time.Now(), err)
	}
	defer s.Close()
	if err := r.sourcesExist(n); err != nil {
		return r.fail(n, compiler.Window{}, time.Now(), err)
	}
	m := n.Model
	switch {
	case n.Seed != nil:
		return r.table(ctx, s, n, fmt.Sprintf("SELECT * FROM %s", r.d.Scan(filepath.Join(r.p.Root, n.Seed.Path), "csv", false)))
	case m.Config.Transform != "":
		return r.fail(n, compiler.Window{}, time.Now(), fmt.Errorf("transform %q: Go transforms are not available in this version yet", m.Config.Transform))
	case m.Config.Materialized == project.View:
		return r.view(ctx, s, n)
	case m.Config.Materialized == project.Table:
		w := r.c.Window(n.ID, r.opts.Trigger)
		sql, err := r.c.Render(n.ID, w, r.renderOptions(ctx, s, n))
		if err != nil {
			return r.fail(n, w, time.Now(), err)
		}
		r.ran(n, w, sql)
		return r.table(ctx, s, n, sql)
	default:
		return r.incremental(ctx, s, n)
	}
}

// sourcesExist names a source the model reads whose local path is missing,
// with where it is declared, instead of the database's "no files found".
func (r *runner) sourcesExist(n *compiler.Node) error {
	for _, id := range n.Parents {
		src := r.c.Nodes[id].Source
		if src == nil || strings.Contains(src.Path, "://") || strings.ContainsAny(src.Path, "*?[{") {
			continue
		}
		if _, err := os.Stat(src.Path); err != nil {
			return fmt.Errorf("source %s: %s does not exist (declared at %s:%d); create it or fix its path", src.Name, src.Path, src.File, src.Line)
		}
	}
	return nil
}

func (r *runner) fail(n *compiler.Node, w compiler.Window, start time.Time, err error) *Result {
	var fe *project.FileError
	if !errors.As(err, &fe) {
		me := &ModelError{Model: n.Name, Path: n.Path, Err: err}
		r.mu.Lock()
		_, ran := r.sql[n.ID]
		r.mu.Unlock()
		var ae *AuditError
		if ran && !errors.As(err, &ae) {
			target, _ := filepath.Rel(r.p.Root, r.p.TargetDir)
			me.SQL = filepath.ToSlash(filepath.Join(target, CompiledPath(n)))
		}
		err = me
	}
	res := &Result{Node: n.ID, Kind: n.Kind, Path: n.Path, Status: StatusError, Window: windowJSON(w),
		Seconds: time.Since(start).Seconds(), Error: err.Error(), tests: r.takeTests(n.ID)}
	r.prog.node(res, w)
	return res
}

func (r *runner) renderOptions(ctx context.Context, s Session, n *compiler.Node) compiler.Options {
	return compiler.Options{
		Trigger:     r.opts.Trigger,
		FullRefresh: r.opts.FullRefresh,
		Kinds:       r.kindsFor(ctx, s, n),
		Existing:    r.exists,
		Files:       r.windowFiles,
	}
}

// kindsFor finds the type of the time column of every window-filterable
// ancestor of n, so that window predicates compare like with like.
func (r *runner) kindsFor(ctx context.Context, s Session, n *compiler.Node) map[string]compiler.Kind {
	out := map[string]compiler.Kind{}
	seen := map[string]bool{}
	stack := append([]string(nil), n.Parents...)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[id] {
			continue
		}
		seen[id] = true
		p := r.c.Nodes[id]
		var col, rel string
		switch {
		case p.Source != nil && p.Source.TimeColumn != "":
			col = p.Source.TimeColumn
			pattern, hive := compiler.SourcePattern(p.Source)
			rel = r.d.Scan(pattern, p.Source.Format, hive)
			if f := firstFile(p.Source.Path, "."+p.Source.Format); f != "" && hive {
				// One file tells the type; a glob of a long history would
				// list every folder first.
				rel = r.d.ScanFiles([]string{f}, p.Source.Format, true)
			}
		case p.Model != nil && p.Model.Config.TimeColumn != "":
			col, rel = p.Model.Config.TimeColumn, r.d.Quote(p.Name)
			if p.Model.Config.Materialized == project.View {
				stack = append(stack, p.Parents...) // inlined: its inputs are filtered too
			} else if f := firstFile(filepath.Join(r.p.DataDir, p.Name), ".parquet"); f != "" {
				rel = r.d.ScanFiles([]string{f}, "parquet", true)
			}
		default:
			continue
		}
		out[id] = r.kind(ctx, s, id, col, rel)
	}
	return out
}

func (r *runner) kind(ctx context.Context, s Session, id, col, rel string) compiler.Kind {
	r.mu.Lock()
	k, ok := r.kinds[id]
	r.mu.Unlock()
	if ok {
		return k
	}
	cols, err := s.Describe(ctx, fmt.Sprintf("SELECT %s FROM %s", r.d.Quote(col), rel))
	if err != nil || len(cols) != 1 {
		return compiler.KindUnknown
	}
	r.mu.Lock()
	r.kinds[id] = cols[0].Kind
	r.mu.Unlock()
	return cols[0].Kind
}

func (r *runner) forgetKind(id string) {
	r.mu.Lock()
	delete(r.kinds, id)
	r.mu.Unlock()
}

func (r *runner) view(ctx context.Context, s Session, n *compiler.Node) *Result {
	start := time.Now()
	w := r.c.Window(n.ID, r.opts.Trigger)
	sql, err := r.c.Render(n.ID, w, r.renderOptions(ctx, s, n))
	if err != nil {
		return r.fail(n, w, start, err)
	}
	r.ran(n, w, sql)
	if err := s.CreateView(ctx, n.Name, sql); err != nil {
		return r.fail(n, w, start, err)
	}
	if err := r.audit(ctx, s, n, compiler.Window{}, scope{rel: r.d.Quote(n.Name)}); err != nil {
		return r.fail(n, w, start, err)
	}
	r.setView(n.Name, sql)
	r.forgetKind(n.ID)
	res := &Result{Node: n.ID, Kind: n.Kind, Path: n.Path, Status: StatusSuccess, Seconds: time.Since(start).Seconds(), tests: r.takeTests(n.ID)}
	r.prog.node(res, compiler.Window{})
	return res
}

// table rebuilds a whole dataset and swaps it in.
func (r *runner) table(ctx context.Context, s Session, n *compiler.Node, sql string) *Result {
	start := time.Now()
	p := newPaths(r.p.DataDir, n.Name)
	l, err := r.lock(p)
	if err != nil {
		return r.fail(n, compiler.Window{}, start, err)
	}
	defer l.release()
	var partitionBy []string
	if n.Model != nil {
		partitionBy = n.Model.Config.PartitionBy
		if err := s.SetTimeZone(ctx, n.Model.Window.Timezone); err != nil {
			return r.fail(n, compiler.Window{}, start, err)
		}
	}
	cols, err := s.Describe(ctx, sql)
	if err != nil {
		return r.fail(n, compiler.Window{}, start, err)
	}
	newRoot := p.newData(r.run)
	rows, err := s.WriteParquet(ctx, sql, newRoot, partitionBy)
	if err != nil {
		os.RemoveAll(p.staging(r.run))
		return r.fail(n, compiler.Window{}, start, err)
	}
	if err := os.MkdirAll(newRoot, 0o755); err != nil {
		return r.fail(n, compiler.Window{}, start, err)
	}
	staged, _ := leafDirs(newRoot, len(partitionBy) > 0)
	if n.Model != nil {
		sc := scope{rel: "(SELECT * FROM " + r.a.ReadDataset(newRoot, nil) + ")"}
		if rows == 0 {
			sc.rel = "(SELECT * FROM (" + sql + ") WHERE false)"
		}
		if err := r.audit(ctx, s, n, compiler.Window{}, sc); err != nil {
			os.RemoveAll(p.staging(r.run))
			return r.fail(n, compiler.Window{}, start, err)
		}
	}
	if err := commit(p, r.run, []string{""}, nil, r.ledger); err != nil {
		return r.fail(n, compiler.Window{}, start, err)
	}
	if err := r.refreshView(ctx, s, n, cols); err != nil {
		return r.fail(n, compiler.Window{}, start, err)
	}
	r.forgetKind(n.ID)
	res := &Result{Node: n.ID, Kind: n.Kind, Path: n.Path, Status: StatusSuccess, Rows: rows, Partitions: len(staged), Seconds: time.Since(start).Seconds(), tests: r.takeTests(n.ID)}
	r.prog.node(res, compiler.Window{})
	return res
}

func (r *runner) lock(p paths) (*lock, error) {
	l, err := acquire(p, "etl "+r.opts.Command+" run "+r.run)
	if err != nil {
		return nil, err
	}
	if _, err := recoverModel(p, r.ledger); err != nil {
		l.release()
		return nil, err
	}
	return l, nil
}

// incremental builds each window of the model in turn. The node's result
// adds up its windows; the first failing window stops it.
func (r *runner) incremental(ctx context.Context, s Session, n *compiler.Node) *Result {
	start := time.Now()
	m := n.Model
	p := newPaths(r.p.DataDir, n.Name)
	l, err := r.lock(p)
	if err != nil {
		return r.fail(n, compiler.Window{}, start, err)
	}
	defer l.release()
	if err := s.SetTimeZone(ctx, m.Window.Timezone); err != nil {
		return r.fail(n, compiler.Window{}, start, err)
	}
	total := &Result{Node: n.ID, Kind: n.Kind, Path: n.Path, Status: StatusSuccess}
	windows := r.windows(m)
	if len(windows) == 0 {
		if r.opts.FillGaps {
			total.Rows = 0 // nothing missing: not a warning
		} else {
			total.Warnings = append(total.Warnings, "no whole window inside the range")
			total.Status = StatusWarn
		}
		r.prog.node(total, compiler.Window{})
		return total
	}
	for _, w := range windows {
		ws := time.Now()
		res, err := r.window(ctx, s, n, p, w)
		if err != nil {
			return r.fail(n, w, ws, err)
		}
		res.Seconds = time.Since(ws).Seconds()
		res.tests = r.takeTests(n.ID)
		r.prog.node(res, w)
		total.Rows += res.Rows
		total.Dropped += res.Dropped
		total.Partitions += res.Partitions
		total.Warnings = append(total.Warnings, res.Warnings...)
		if total.Window == nil {
			total.Window = res.Window
		} else {
			total.Window.End = res.Window.End
		}
	}
	total.Seconds = time.Since(start).Seconds()
	if len(total.Warnings) > 0 {
		total.Status = StatusWarn
	}
	return total
}

// window builds one window of an incremental model: run the model into a
// temporary table, drop what lies outside the window, write the affected
// partitions beside the dataset, and commit them.
func (r *runner) window(ctx context.Context, s Session, n *compiler.Node, p paths, w compiler.Window) (*Result, error) {
	m := n.Model
	opts := r.renderOptions(ctx, s, n)
	if r.opts.FullRefresh {
		opts.Existing = func(string) bool { return false }
	}
	sql, err := r.c.Render(n.ID, w, opts)
	if err != nil {
		return nil, err
	}
	r.ran(n, w, sql)
	tmp := "etl_new_" + n.Name
	total, err := s.Materialize(ctx, tmp, sql)
	if err != nil {
		return nil, err
	}
	defer s.Drop(context.Background(), tmp)
	cols, err := s.Describe(ctx, "SELECT * FROM "+r.d.Quote(tmp))
	if err != nil {
		return nil, err
	}
	kind, ok := compiler.KindUnknown, false
	for _, c := range cols {
		if c.Name == m.Config.TimeColumn {
			kind, ok = c.Kind, true
		}
	}
	if !ok {
		return nil, fmt.Errorf("the model's output has no column %q, its time_column: select it, or change time_column", m.Config.TimeColumn)
	}
	if !r.opts.FullRefresh && hasParquet(p.dataset) {
		if err := r.sameSchema(n, cols); err != nil {
			return nil, err
		}
	}
	pred := compiler.TimePredicate(r.d, m.Config.TimeColumn, kind, w)
	newRows := fmt.Sprintf("SELECT * FROM %s WHERE %s", r.d.Quote(tmp), pred)
	kept, err := count(ctx, s, newRows)
	if err != nil {
		return nil, err
	}
	res := &Result{Node: n.ID, Kind: n.Kind, Path: n.Path, Status: StatusSuccess, Window: windowJSON(w), Dropped: total - kept}
	if res.Dropped > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d rows outside the window %s were dropped", res.Dropped, w))
	}

	partitioned := len(m.Config.PartitionBy) > 0
	existing := hasParquet(p.dataset) && !r.opts.FullRefresh
	if err := r.audit(ctx, s, n, w, r.incrementalScope(m, p, tmp, pred, existing)); err != nil {
		return nil, err
	}
	var query string
	var affected []string // partitions of the live dataset that the commit replaces
	switch {
	case !existing:
		query = newRows
		if !partitioned || r.opts.FullRefresh {
			affected = []string{""}
		}
	case m.Config.Strategy == project.Merge:
		query, affected, err = r.mergeQuery(ctx, s, m, p, tmp, pred, newRows, partitioned)
	case len(m.Config.PartitionBy) > 0 && m.Config.PartitionBy[0] == m.Config.TimeColumn && kind == compiler.KindDate:
		// The window is a set of folders: list them, and replace them with
		// the new rows; no old file is read.
		files, _ := partitionFiles(p.dataset, m.Config.TimeColumn, ".parquet", w)
		query, affected = newRows, dirsOf(p.dataset, files)
	default:
		query, affected, err = r.overwriteQuery(ctx, s, m, p, tmp, pred, newRows, partitioned)
	}
	if err != nil {
		return nil, err
	}
	newRoot := p.newData(r.run)
	if _, err := os.Stat(newRoot); err == nil {
		os.RemoveAll(newRoot) // an earlier window of this run left it
	}
	rootDataset := len(affected) == 1 && affected[0] == ""
	partitionBy := m.Config.PartitionBy
	if _, err := s.WriteParquet(ctx, query, newRoot, partitionBy); err != nil {
		os.RemoveAll(p.staging(r.run))
		return nil, err
	}
	if err := os.MkdirAll(newRoot, 0o755); err != nil {
		return nil, err
	}
	staged, err := leafDirs(newRoot, partitioned)
	if err != nil {
		return nil, err
	}
	rels := affected
	if !rootDataset {
		rels = union(affected, staged)
	}
	res.Rows = kept
	res.Partitions = len(staged)
	record := &LedgerEntry{Model: n.Name, Start: w.Start, End: w.End, Rows: kept, Run: r.run, BuiltAt: time.Now().UTC(), Trigger: r.opts.Trigger}
	if err := commit(p, r.run, rels, record, r.ledger); err != nil {
		return nil, err
	}
	if err := r.refreshView(ctx, s, n, cols); err != nil {
		// The data is published; only reading all of it failed.
		res.Warnings = append(res.Warnings, err.Error())
	}
	r.forgetKind(n.ID)
	return res, nil
}

// sameSchema refuses to add a window whose columns differ from the dataset's
// (as recorded by the last build): files of two schemas in one dataset break
// readers. A full refresh rewrites the dataset with the new columns.
func (r *runner) sameSchema(n *compiler.Node, cols []Column) error {
	old, ok := r.schema(n.Name)
	if !ok {
		return nil
	}
	was := map[string]string{}
	for _, c := range old {
		was[c.Name] = c.Type
	}
	var changes []string
	now := map[string]bool{}
	for _, c := range cols {
		now[c.Name] = true
		switch t, ok := was[c.Name]; {
		case !ok:
			changes = append(changes, "added "+c.Name+" "+c.Type)
		case t != c.Type:
			changes = append(changes, fmt.Sprintf("%s %s -> %s", c.Name, t, c.Type))
		}
	}
	for _, c := range old {
		if !now[c.Name] {
			changes = append(changes, "removed "+c.Name)
		}
	}
	if len(changes) == 0 {
		return nil
	}
	return fmt.Errorf("the model's columns changed (%s): rebuild its dataset with --full-refresh; nothing was written", strings.Join(changes, ", "))
}

// AuditError is a model whose error-severity tests failed before publishing.
type AuditError struct{ Failed, Total int }

func (e *AuditError) Error() string {
	return fmt.Sprintf("%d of %d %s failed before publishing: the live data was left as it was", e.Failed, e.Total, plural(e.Total, "test"))
}

// audit runs a model's data tests on the rows about to be published (write,
// audit, publish). A failing error-severity test stops the publish.
func (r *runner) audit(ctx context.Context, s Session, n *compiler.Node, w compiler.Window, sc scope) error {
	m := n.Model
	if r.opts.Command == "run" {
		return nil // etl run builds models only; etl build tests them too
	}
	var key []string
	if m.Config.Materialized == project.Incremental && m.Config.Strategy == project.Merge {
		key = m.Config.UniqueKey
	}
	if len(m.Config.Tests) == 0 && len(key) == 0 {
		return nil
	}
	checks, err := r.checks(n.Name, m.Config.Tests, key, sc)
	if err != nil {
		return err
	}
	when := ""
	if m.Config.Materialized != project.View {
		when = "before publish"
	}
	results, failed := r.runChecks(ctx, s, checks, w, when)
	r.addTests(n.ID, results)
	if failed > 0 {
		return &AuditError{Failed: failed, Total: len(checks)}
	}
	return nil
}

// incrementalScope is what an incremental model's tests see: the window's
// new rows, and the rows of the dataset that stay beside them.
func (r *runner) incrementalScope(m *project.Model, p paths, tmp, pred string, existing bool) scope {
	sc := scope{rel: fmt.Sprintf("(SELECT * FROM %s WHERE %s)", r.d.Quote(tmp), pred)}
	if !existing {
		return sc
	}
	all := r.a.ReadDataset(p.dataset, nil)
	if m.Config.Strategy == project.Merge {
		list := r.columnList(m.Config.UniqueKey)
		sc.rest = fmt.Sprintf("(SELECT * FROM %s WHERE (%s) NOT IN (SELECT %s FROM %s))", all, list, list, sc.rel)
		sc.skipRest = append(sc.skipRest, m.Config.UniqueKey)
	} else {
		sc.rest = fmt.Sprintf("(SELECT * FROM %s WHERE (%s) IS NOT TRUE)", all, pred)
	}
	if len(m.Config.PartitionBy) > 0 && m.Config.PartitionBy[0] == m.Config.TimeColumn {
		// Rows of other date partitions differ in the time column.
		sc.skipRest = append(sc.skipRest, []string{m.Config.TimeColumn})
	}
	return sc
}

// overwriteQuery: the window's rows are replaced. A partition holding a row
// of the window, or receiving a new row, is rewritten with its other rows
// kept; the others are not touched.
func (r *runner) overwriteQuery(ctx context.Context, s Session, m *project.Model, p paths, tmp, pred, newRows string, partitioned bool) (string, []string, error) {
	if !partitioned {
		keep := fmt.Sprintf("SELECT * FROM %s WHERE (%s) IS NOT TRUE", r.a.ReadDataset(p.dataset, nil), pred)
		return r.a.UnionByName(keep, newRows), []string{""}, nil
	}
	inWindow, err := s.Files(ctx, p.dataset, pred)
	if err != nil {
		return "", nil, err
	}
	landing, err := r.landing(ctx, s, m, p, tmp, pred)
	if err != nil {
		return "", nil, err
	}
	affected := dirsOf(p.dataset, append(inWindow, landing...))
	if len(affected) == 0 {
		return newRows, nil, nil
	}
	all, err := filesIn(p.dataset, affected)
	if err != nil {
		return "", nil, err
	}
	keep := fmt.Sprintf("SELECT * FROM %s WHERE (%s) IS NOT TRUE", r.a.ReadDataset(p.dataset, all), pred)
	return r.a.UnionByName(keep, newRows), affected, nil
}

// landing returns the files of the partitions that the window's new rows go
// to: they are rewritten with the new rows added.
func (r *runner) landing(ctx context.Context, s Session, m *project.Model, p paths, tmp, pred string) ([]string, error) {
	list := r.columnList(m.Config.PartitionBy)
	return s.Files(ctx, p.dataset, fmt.Sprintf("(%s) IN (SELECT DISTINCT %s FROM %s WHERE %s)", list, list, r.d.Quote(tmp), pred))
}

// columnList quotes columns and joins them: "a", "b".
func (r *runner) columnList(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = r.d.Quote(c)
	}
	return strings.Join(q, ", ")
}

// mergeQuery: rows of the window replace the rows with the same unique key
// wherever they are; partitions holding such a row, or receiving a new one,
// are rewritten; the others are not touched.
func (r *runner) mergeQuery(ctx context.Context, s Session, m *project.Model, p paths, tmp, pred, newRows string, partitioned bool) (string, []string, error) {
	keys := make([]string, len(m.Config.UniqueKey))
	match := make([]string, len(keys))
	for i, k := range m.Config.UniqueKey {
		keys[i] = r.d.Quote(k)
		match[i] = fmt.Sprintf("n.%s = o.%s", keys[i], keys[i])
	}
	newKeys := fmt.Sprintf("SELECT %s FROM %s WHERE %s", strings.Join(keys, ", "), r.d.Quote(tmp), pred)
	antiJoin := func(rel string) string {
		return fmt.Sprintf("SELECT * FROM %s o WHERE NOT EXISTS (SELECT 1 FROM (%s) n WHERE %s)", rel, newKeys, strings.Join(match, " AND "))
	}
	if !partitioned {
		return r.a.UnionByName(antiJoin(r.a.ReadDataset(p.dataset, nil)), newRows), []string{""}, nil
	}
	withKey, err := s.Files(ctx, p.dataset, fmt.Sprintf("(%s) IN (%s)", strings.Join(keys, ", "), newKeys))
	if err != nil {
		return "", nil, err
	}
	landing, err := r.landing(ctx, s, m, p, tmp, pred)
	if err != nil {
		return "", nil, err
	}
	affected := dirsOf(p.dataset, append(withKey, landing...))
	if len(affected) == 0 {
		return newRows, nil, nil
	}
	all, err := filesIn(p.dataset, affected)
	if err != nil {
		return "", nil, err
	}
	return r.a.UnionByName(antiJoin(r.a.ReadDataset(p.dataset, all)), newRows), affected, nil
}

func count(ctx context.Context, s Session, query string) (int64, error) {
	rows, err := s.Query(ctx, "SELECT count(*) FROM ("+query+")")
	if err != nil {
		return 0, err
	}
	n, _ := rows.Values[0][0].(int64)
	return n, nil
}

// dirsOf returns the partition folders, relative to dataset, of files.
func dirsOf(dataset string, files []string) []string {
	seen := map[string]bool{}
	for _, f := range files {
		rel, err := filepath.Rel(dataset, filepath.Dir(f))
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			continue
		}
		seen[filepath.ToSlash(rel)] = true
	}
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// filesIn lists the Parquet files directly in each partition folder.
func filesIn(dataset string, rels []string) ([]string, error) {
	var out []string
	for _, rel := range rels {
		entries, err := os.ReadDir(filepath.Join(dataset, rel))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".parquet") {
				out = append(out, filepath.Join(dataset, rel, e.Name()))
			}
		}
	}
	return out, nil
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range append(append([]string(nil), a...), b...) {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}
