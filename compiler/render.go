package compiler

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/etl-dev/etl/project"
)

// Options are what a render needs to know beyond the project.
type Options struct {
	Trigger     time.Time       // zero: no trigger; incremental models are refused
	FullRefresh bool            // is_incremental is false
	Kinds       map[string]Kind // time column kind by node id; missing is KindUnknown
	// Existing reports whether a model's dataset already holds data, for
	// is_incremental. Nil means none does.
	Existing func(model string) bool
	// Files, when set, lists the files of a source or model that hold the
	// window w (its partitions of that window). A windowed read of it then
	// names exactly those files, so that no other file is opened, not even
	// to read a schema. ok is false when the input's layout does not tell.
	Files func(id string, w Window) (files []string, ok bool)
	// Relations, when set, replaces inputs by id (and the model's own data,
	// {{ this }}, by the model's id) with the given relations: a unit test's
	// fixed rows. Window filters still apply to them.
	Relations map[string]string
	// Vars, when set, override the project's vars by name.
	Vars map[string]any
}

// NoWindowError is returned when an incremental model is rendered without a
// window: etl never takes the wall clock silently.
type NoWindowError struct{ Model string }

func (e *NoWindowError) Error() string {
	return fmt.Sprintf("model %s is incremental and needs a window: pass --trigger TIME (such as --trigger 2026-11-25T04:00:00Z) or --start and --end; the wall clock is never taken silently", e.Model)
}

// Render returns the SQL of a model or singular test for the window w.
func (c *Compiler) Render(id string, w Window, opts Options) (string, error) {
	n := c.Nodes[id]
	if n == nil {
		for _, t := range c.Tests {
			if t.ID == id {
				n = t
			}
		}
	}
	if n == nil || !n.hasSQL() {
		return "", fmt.Errorf("%s has no SQL to render", id)
	}
	if n.Model != nil && n.Model.Config.Materialized == project.Incremental && w.IsZero() {
		return "", &project.FileError{Path: n.Path, Err: &NoWindowError{Model: n.Name}}
	}
	windowed := n.Model != nil && n.Model.Config.Materialized == project.Incremental
	return c.render(n, w, opts, windowed, &inlined{})
}

// inlined memoizes the SQL of views inlined for a window, so that a view
// read by many models in one compile is rendered once.
type inlined struct {
	mu  sync.Mutex
	sql map[inlineKey]string
}

type inlineKey struct {
	id         string
	start, end int64
}

// render executes n's template. windowed filters n's window-filterable
// inputs to w: for an incremental model, and for a view inlined into one.
func (c *Compiler) render(n *Node, w Window, opts Options, windowed bool, memo *inlined) (string, error) {
	r := &renderer{c: c, n: n, w: w, opts: opts, windowed: windowed && !w.IsZero(), memo: memo}
	var b strings.Builder
	b.Grow(len(n.tmplText()) + 256)
	if n.simple != nil {
		if err := n.simple.execute(&b, r, n.tmplText(), n.Path); err != nil {
			return "", err
		}
		return strings.TrimLeft(b.String(), "\n"), nil
	}
	// The template's functions call n.cur, so a render holds the node's
	// lock. Lock order follows the DAG (a view is inlined into its
	// descendants only), so nested renders cannot deadlock.
	n.mu.Lock()
	n.cur = r
	err := n.tmpl.Execute(&b, nil)
	n.cur = nil
	n.mu.Unlock()
	if err != nil {
		return "", templateError(n.Path, err)
	}
	return strings.TrimLeft(b.String(), "\n"), nil
}

func (n *Node) hasSQL() bool { return n.simple != nil || n.tmpl != nil }

func (n *Node) tmplText() string {
	if n.Model != nil {
		return n.Model.SQL
	}
	if n.Test != nil {
		return n.Test.SQL
	}
	return ""
}

type renderer struct {
	c        *Compiler
	n        *Node
	w        Window
	opts     Options
	windowed bool
	memo     *inlined
}

// funcs are bound to a node once, at parse time; each call goes to the
// renderer of the render in progress (n.cur), so a render costs no
// reflection over a new function map.
func (n *Node) funcs() template.FuncMap {
	return template.FuncMap{
		"ref":               func(name string) (string, error) { return n.cur.relation("ref", name) },
		"ref_full":          func(name string) (string, error) { return n.cur.relation("ref_full", name) },
		"source":            func(name string) (string, error) { return n.cur.relation("source", name) },
		"source_full":       func(name string) (string, error) { return n.cur.relation("source_full", name) },
		"var":               func(name string) (any, error) { return n.cur.variable(name) },
		"window_start":      func() (string, error) { return n.cur.instant(n.cur.w.Start, "window_start") },
		"window_end":        func() (string, error) { return n.cur.instant(n.cur.w.End, "window_end") },
		"window_start_date": func() (string, error) { return n.cur.date(n.cur.w.Start, "window_start_date") },
		"window_end_date":   func() (string, error) { return n.cur.date(n.cur.w.End, "window_end_date") },
		"trigger":           func() (string, error) { return n.cur.trigger() },
		"this":              func() string { return n.cur.this() },
		"is_incremental":    func() bool { return n.cur.isIncremental() },
		"env":               func() string { return n.cur.c.Project.Env },
	}
}

// NeedsWindowError is a window function used where no window is known.
type NeedsWindowError struct{ Func string }

func (e *NeedsWindowError) Error() string {
	return fmt.Sprintf("%s needs a window: pass --trigger TIME, or --start and --end", e.Func)
}

func (r *renderer) needWindow(fn string) error {
	if r.w.IsZero() {
		return &NeedsWindowError{Func: fn}
	}
	return nil
}

func (r *renderer) instant(t time.Time, fn string) (string, error) {
	if err := r.needWindow(fn); err != nil {
		return "", err
	}
	return r.c.d.Timestamp(t), nil
}

func (r *renderer) date(t time.Time, fn string) (string, error) {
	if err := r.needWindow(fn); err != nil {
		return "", err
	}
	return r.c.d.Date(t), nil
}

func (r *renderer) trigger() (string, error) {
	if r.opts.Trigger.IsZero() {
		return "", fmt.Errorf("trigger needs --trigger TIME")
	}
	loc := r.c.Project.Window.Location
	if r.n.Model != nil {
		loc = r.n.Model.Window.Location
	}
	return r.c.d.Timestamp(r.opts.Trigger.In(loc)), nil
}

func (r *renderer) this() string {
	if rel, ok := r.opts.Relations[r.n.ID]; ok {
		return rel
	}
	return r.c.d.Quote(r.n.Name)
}

func (r *renderer) isIncremental() bool {
	m := r.n.Model
	return m != nil && m.Config.Materialized == project.Incremental && !r.opts.FullRefresh &&
		r.opts.Existing != nil && r.opts.Existing(m.Name)
}

func (r *renderer) variable(name string) (any, error) {
	if v, ok := r.opts.Vars[name]; ok {
		return v, nil
	}
	v, ok := r.c.Project.Vars[name]
	if !ok {
		return nil, fmt.Errorf("unknown var %q", name)
	}
	return v, nil
}

// relation renders a ref or source. In an incremental model, inputs that can
// be filtered to a window are wrapped in a filtered subquery; ref_full and
// source_full are not.
func (r *renderer) relation(fn, name string) (string, error) {
	id, err := r.c.resolve(fn, name)
	if err != nil {
		return "", err
	}
	target := r.c.Nodes[id]
	var rel string
	var preds []string
	filter := r.windowed && !strings.HasSuffix(fn, "_full")
	if given, ok := r.opts.Relations[id]; ok {
		rel = given
		if filter {
			switch {
			case target.Source != nil && target.Source.TimeColumn != "":
				preds = append(preds, r.timeRange(target.Source.TimeColumn, r.opts.Kinds[id]))
			case target.Model != nil && target.Model.WindowFilterable():
				preds = append(preds, r.timeRange(target.Model.Config.TimeColumn, r.opts.Kinds[id]))
			}
		}
		if len(preds) == 0 {
			return rel, nil
		}
		return "(select * from " + rel + " where " + strings.Join(preds, " and ") + ")", nil
	}
	switch target.Kind {
	case KindSource:
		s := target.Source
		pattern, hive := SourcePattern(s)
		rel = r.c.d.Scan(pattern, s.Format, hive)
		if files := r.windowFiles(filter, id); files != nil {
			rel = r.c.d.ScanFiles(files, s.Format, hive)
		}
		if filter && s.TimePartition != "" {
			preds = append(preds, r.dateRange(s.TimePartition))
		}
		if filter && s.TimeColumn != "" {
			preds = append(preds, r.timeRange(s.TimeColumn, r.opts.Kinds[id]))
		}
	case KindSeed:
		rel = r.c.d.Quote(name)
	default:
		rel = r.c.d.Quote(name)
		m := target.Model
		if !filter || !m.WindowFilterable() {
			break
		}
		if m.Config.Materialized == project.View && target.hasSQL() {
			// A view with a time_column passes the window on to its own
			// inputs: it is inlined with them filtered, so that the filter
			// reaches the source's partitions and no file outside the
			// window is opened.
			sql, err := r.inline(target)
			if err != nil {
				return "", fmt.Errorf("in view %s inlined for the window: %w", name, err)
			}
			rel = "(\n" + strings.TrimRight(sql, "\n; \t") + "\n)"
		} else if files := r.windowFiles(filter, id); files != nil {
			rel = r.c.d.ScanFiles(files, "parquet", true)
		}
		preds = append(preds, r.timeRange(m.Config.TimeColumn, r.opts.Kinds[id]))
	}
	if len(preds) == 0 {
		return rel, nil
	}
	return "(select * from " + rel + " where " + strings.Join(preds, " and ") + ")", nil
}

// windowFiles returns the files that hold the window of a filtered input,
// or nil to read it whole.
func (r *renderer) windowFiles(filter bool, id string) []string {
	if !filter || r.opts.Files == nil {
		return nil
	}
	if files, ok := r.opts.Files(id, r.w); ok && len(files) > 0 {
		return files
	}
	return nil
}

func (r *renderer) inline(target *Node) (string, error) {
	key := inlineKey{target.ID, r.w.Start.UnixNano(), r.w.End.UnixNano()}
	r.memo.mu.Lock()
	sql, ok := r.memo.sql[key]
	r.memo.mu.Unlock()
	if ok {
		return sql, nil
	}
	sql, err := r.c.render(target, r.w, r.opts, true, r.memo)
	if err != nil {
		return "", err
	}
	r.memo.mu.Lock()
	if r.memo.sql == nil {
		r.memo.sql = map[inlineKey]string{}
	}
	r.memo.sql[key] = sql
	r.memo.mu.Unlock()
	return sql, nil
}

// timeRange is the window predicate on a time column of the given kind.
func (r *renderer) timeRange(col string, kind Kind) string {
	return TimePredicate(r.c.d, col, kind, r.w)
}

// dateRange is the window predicate on a column holding local dates.
func (r *renderer) dateRange(col string) string {
	return TimePredicate(r.c.d, col, KindDate, r.w)
}

// TimePredicate is the SQL condition that a column of the given kind lies in
// the window w. A date column covers every local date the window touches:
// exactly the window for day and coarser grains; the whole day for an hour.
func TimePredicate(d Dialect, col string, kind Kind, w Window) string {
	q := d.Quote(col)
	switch kind {
	case KindDate:
		start := Floor(w.Start, "day", w.Start.Location())
		end := Floor(w.End, "day", w.End.Location())
		if end.Before(w.End) {
			end = AddGrains(end, "day", 1)
		}
		return fmt.Sprintf("%s >= %s and %s < %s", q, d.Date(start), q, d.Date(end))
	case KindTimestamp:
		return fmt.Sprintf("%s >= %s and %s < %s", q, d.UTCTimestamp(w.Start), q, d.UTCTimestamp(w.End))
	default:
		return fmt.Sprintf("%s >= %s and %s < %s", q, d.Timestamp(w.Start), q, d.Timestamp(w.End))
	}
}

var globChars = regexp.MustCompile(`[*?\[{]`)

// SourcePattern returns the file pattern of a source: a glob or a file as
// written; a folder becomes every file of the format below it, read with
// hive partitioning.
func SourcePattern(s *project.Source) (string, bool) {
	if globChars.MatchString(s.Path) {
		return s.Path, strings.Contains(s.Path, "**") || s.TimePartition != ""
	}
	if ext := strings.ToLower(path.Ext(s.Path)); ext != "" && len(ext) <= 8 && !strings.Contains(ext, "/") {
		return s.Path, false
	}
	ext := s.Format
	if ext == "" {
		ext = "parquet"
	}
	return strings.TrimRight(s.Path, "/") + "/**/*." + ext, true
}
