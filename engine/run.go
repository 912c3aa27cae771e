package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/project"
)

// Options say what a run does.
type Options struct {
	Command     string    // build | run, for messages and artifacts
	Trigger     time.Time // the scheduler's trigger; zero in a backfill
	Start, End  time.Time // a backfill: every window inside [Start, End)
	FullRefresh bool      // rebuild incremental models from their start
	FillGaps    bool      // build only the windows the ledger lacks, from each model's start
	Threads     int       // models run at once
	FailFast    bool      // stop scheduling after the first failure
	Out         io.Writer // progress
	JSON        bool      // progress as JSON lines
	Version     string
}

// Status of a node in a run.
const (
	StatusSuccess = "success"
	StatusError   = "error"
	StatusSkipped = "skipped"
	StatusWarn    = "warn"
)

// Result is one node's outcome, as run_results.json holds it.
type Result struct {
	Node       string      `json:"unique_id"`
	Kind       string      `json:"kind"`
	Path       string      `json:"path"`
	Status     string      `json:"status"`
	Window     *WindowJSON `json:"window,omitempty"`
	Rows       int64       `json:"rows_written"`
	Dropped    int64       `json:"rows_dropped_outside_window"`
	Partitions int         `json:"partitions_written"`
	Seconds    float64     `json:"seconds"`
	Error      string      `json:"error,omitempty"`
	Warnings   []string    `json:"warnings,omitempty"`
	Failures   int64       `json:"failures,omitempty"` // a test's failing rows
	Sample     []string    `json:"sample,omitempty"`   // a few of them
	When       string      `json:"when,omitempty"`     // a test's moment: "before publish" in a build

	tests []*Result // the data tests run with this node (or window), printed under its line
}

// WindowJSON is a window in artifacts.
type WindowJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

func windowJSON(w compiler.Window) *WindowJSON {
	if w.IsZero() {
		return nil
	}
	return &WindowJSON{Start: w.Start.Format(time.RFC3339), End: w.End.Format(time.RFC3339)}
}

// Results are run_results.json.
type Results struct {
	Metadata struct {
		Project     string `json:"project"`
		Env         string `json:"env"`
		Command     string `json:"command"`
		Run         string `json:"run_id"`
		Version     string `json:"etl_version"`
		GeneratedAt string `json:"generated_at"`
		Trigger     string `json:"trigger,omitempty"`
	} `json:"metadata"`
	Results []*Result `json:"results"`
	Elapsed float64   `json:"elapsed_seconds"`
}

// Failed reports whether any node failed.
func (r *Results) Failed() bool {
	for _, x := range r.Results {
		if x.Status == StatusError {
			return true
		}
	}
	return false
}

type runner struct {
	c      *compiler.Compiler
	p      *project.Project
	a      Adapter
	d      compiler.Dialect
	opts   Options
	run    string
	ledger *Ledger
	prog   *progress

	mu       sync.Mutex
	kinds    map[string]compiler.Kind
	views    map[string]string    // name -> query of the view each model has in the catalog
	warnings []string             // found before progress starts
	built    map[string][]Span    // what the ledger says each model has built, for FillGaps
	tests    map[string][]*Result // data tests run for each node
	pending  []*Result            // tests not yet printed
}

func (r *runner) addTests(id string, results []*Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tests == nil {
		r.tests = map[string][]*Result{}
	}
	r.tests[id] = append(r.tests[id], results...)
	r.pending = append(r.pending, results...)
}

// takeTests returns the tests run since the last call, to print under a node.
func (r *runner) takeTests(id string) []*Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	var mine, rest []*Result
	for _, t := range r.pending {
		if strings.HasPrefix(t.Node, id+".") {
			mine = append(mine, t)
		} else {
			rest = append(rest, t)
		}
	}
	r.pending = rest
	return mine
}

// Run builds the selected nodes (models and seeds; sources are skipped) in
// DAG order and returns their results. The error is for a run that could not
// start; a model that fails is a result.
func Run(ctx context.Context, c *compiler.Compiler, a Adapter, ids []string, opts Options) (*Results, error) {
	if opts.Threads < 1 {
		opts.Threads = 1
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	r := &runner{
		c: c, p: c.Project, a: a, d: a.Dialect(), opts: opts,
		run:    newRunID(),
		ledger: OpenLedger(c.Project.TargetDir),
		kinds:  map[string]compiler.Kind{},
		views:  map[string]string{},
	}
	nodes := buildable(c, ids)
	if err := r.check(nodes); err != nil {
		return nil, err
	}
	if opts.FillGaps {
		entries, err := r.ledger.Entries()
		if err != nil {
			return nil, err
		}
		r.built = Built(entries)
	}
	start := time.Now()
	if err := r.recoverAll(); err != nil {
		return nil, err
	}
	if err := r.prepare(ctx, nodes); err != nil {
		return nil, err
	}
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.ID
	}
	r.prog = newProgress(opts.Out, opts.JSON, r.units(nodes), names)
	r.prog.header(r.p.Name, opts, len(nodes))
	for _, w := range r.warnings {
		r.prog.warn(w)
	}
	sourceResults, blocked := r.testSources(ctx, ids)
	results := append(sourceResults, r.schedule(ctx, nodes, blocked)...)
	var built []string
	for _, res := range results {
		if res.Kind != "test" && (res.Status == StatusSuccess || res.Status == StatusWarn) {
			built = append(built, res.Node)
		}
	}
	if opts.Command == "build" {
		results = append(results, r.singular(ctx, built)...)
	}

	res := &Results{Results: results}
	res.Metadata.Project, res.Metadata.Env, res.Metadata.Command = r.p.Name, r.p.Env, opts.Command
	res.Metadata.Run, res.Metadata.Version = r.run, opts.Version
	res.Metadata.GeneratedAt = time.Now().UTC().Format(time.RFC3339)
	if !opts.Trigger.IsZero() {
		res.Metadata.Trigger = opts.Trigger.Format(time.RFC3339)
	}
	if err := r.publish(ctx); err != nil {
		r.prog.warn(fmt.Sprintf("catalog %s not updated: %v", filepath.Join(r.p.TargetDir, "catalog.duckdb"), err))
	}
	res.Elapsed = time.Since(start).Seconds()
	r.prog.summary(results, time.Since(start))
	if err := WriteJSON(r.p.TargetDir, "run_results.json", res); err != nil {
		return res, fmt.Errorf("write run_results.json: %w", err)
	}
	return res, nil
}

func buildable(c *compiler.Compiler, ids []string) []*compiler.Node {
	var nodes []*compiler.Node
	for _, id := range ids {
		if n := c.Nodes[id]; n.Kind == compiler.KindModel || n.Kind == compiler.KindSeed {
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// Check refuses, before anything runs, a run that would need the wall clock
// or a start the project lacks. Its errors are the user's to fix.
func Check(c *compiler.Compiler, ids []string, opts Options) error {
	r := &runner{c: c, p: c.Project, opts: opts}
	return r.check(buildable(c, ids))
}

func flagName(o Options) string {
	if o.FullRefresh {
		return "--full-refresh"
	}
	return "--fill-gaps"
}

func newRunID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// check refuses a run that would need the wall clock or a start it lacks.
func (r *runner) check(nodes []*compiler.Node) error {
	backfill := !r.opts.Start.IsZero() || !r.opts.End.IsZero()
	if backfill && (r.opts.Start.IsZero() || r.opts.End.IsZero() || !r.opts.Start.Before(r.opts.End)) {
		return errors.New("a backfill needs --start before --end")
	}
	if r.opts.FullRefresh && r.opts.FillGaps {
		return errors.New("--full-refresh rebuilds everything and --fill-gaps only what is missing: choose one")
	}
	for _, n := range nodes {
		m := n.Model
		if m == nil || m.Config.Materialized != project.Incremental {
			continue
		}
		if m.Config.Transform != "" {
			continue
		}
		if r.opts.Trigger.IsZero() && !backfill {
			return &project.FileError{Path: m.Path, Err: &compiler.NoWindowError{Model: m.Name}}
		}
		if (r.opts.FullRefresh || r.opts.FillGaps && r.opts.Start.IsZero()) && m.Start.IsZero() {
			return &project.FileError{Path: m.Path, Err: fmt.Errorf("%s needs a start for %s: set start = \"2026-01-01\" in %s or in the model's config", flagName(r.opts), m.Name, project.FileName)}
		}
	}
	return nil
}

// windows returns the windows an incremental model runs for, oldest first.
func (r *runner) windows(m *project.Model) []compiler.Window {
	switch {
	case r.opts.FillGaps:
		from, to := m.Start, r.opts.End
		if !r.opts.Start.IsZero() {
			from = r.opts.Start
		}
		if !r.opts.Trigger.IsZero() {
			to = compiler.WindowFor(r.opts.Trigger, m.Window).End
		}
		return Missing(r.built[m.Name], from, to, m.Window)
	case r.opts.FullRefresh:
		end := r.opts.End
		if !r.opts.Trigger.IsZero() {
			end = compiler.WindowFor(r.opts.Trigger, m.Window).End
		}
		start := compiler.Floor(m.Start, m.Window.Grain, m.Window.Location)
		if !start.Before(end) {
			return nil
		}
		return []compiler.Window{{Start: start, End: end, Grain: m.Window.Grain}}
	case !r.opts.Start.IsZero():
		spec := m.Window
		return compiler.WindowsBetween(r.opts.Start, r.opts.End, spec)
	default:
		return []compiler.Window{compiler.WindowFor(r.opts.Trigger, m.Window)}
	}
}

func (r *runner) units(nodes []*compiler.Node) int {
	total := 0
	for _, n := range nodes {
		if m := n.Model; m != nil && m.Config.Materialized == project.Incremental && m.Config.Transform == "" {
			total += max(1, len(r.windows(m)))
		} else {
			total++
		}
	}
	return total
}

// recoverAll finishes commits that an earlier run left unfinished, before
// anything reads the datasets.
func (r *runner) recoverAll() error {
	entries, err := os.ReadDir(filepath.Join(r.p.DataDir, ".etl", "journal"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, e := range entries {
		model, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		p := newPaths(r.p.DataDir, model)
		l, err := acquire(p, "recovering")
		if err != nil {
			continue // its run is still going; it finishes its own commit
		}
		_, err = recoverModel(p, r.ledger)
		l.release()
		if err != nil {
			return fmt.Errorf("model %s: %w", model, err)
		}
	}
	return nil
}

// prepare creates, in the run's database, a view for every model and seed
// the selection reads: over its Parquet files, or its SQL for a view model.
func (r *runner) prepare(ctx context.Context, nodes []*compiler.Node) error {
	need := map[string]bool{}
	var stack []string
	for _, n := range nodes {
		stack = append(stack, n.ID)
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if need[id] {
			continue
		}
		need[id] = true
		stack = append(stack, r.c.Graph.Parents(id)...)
		// What relationships tests read must be readable too.
		for _, t := range testsOf(r.c.Nodes[id]) {
			if t.Type == "relationships" && r.c.Nodes[t.To] != nil {
				stack = append(stack, t.To)
			}
		}
	}
	order, err := r.c.Graph.Order()
	if err != nil {
		return err
	}
	s, err := r.a.Session(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	for _, id := range order {
		n := r.c.Nodes[id]
		if !need[id] || n.Kind == compiler.KindSource {
			continue
		}
		if n.Model != nil && n.Model.Config.Materialized == project.View {
			sql, err := r.c.Render(id, r.c.Window(id, r.opts.Trigger), compiler.Options{Trigger: r.opts.Trigger, Existing: r.exists})
			if err == nil && s.CreateView(ctx, id, sql) == nil {
				r.setView(id, sql)
			}
			continue
		}
		if err := r.refreshView(ctx, s, n, nil); err != nil {
			// A windowed read names its files and does not need the view;
			// anything else that does will fail with this message.
			r.warnings = append(r.warnings, err.Error())
		}
	}
	return nil
}

// refreshView points the view of a dataset model at its files; a dataset
// with no file yet gets an empty view of its columns. The columns of a build
// (cols) are kept in <data_dir>/.etl/schema/<model>.json, so that the view
// lists them in the model's order (hive partition keys would come last) in
// later runs too.
func (r *runner) refreshView(ctx context.Context, s Session, n *compiler.Node, cols []Column) error {
	if cols != nil {
		if data, err := json.Marshal(cols); err == nil {
			schema := r.schemaPath(n.Name)
			_ = os.MkdirAll(filepath.Dir(schema), 0o755)
			_ = writeAtomic(schema, data)
		}
	} else {
		cols, _ = r.schema(n.Name)
	}
	dir := filepath.Join(r.p.DataDir, n.Name)
	var q string
	switch {
	case hasParquet(dir):
		list := "*"
		if len(cols) > 0 {
			names := make([]string, len(cols))
			for i, c := range cols {
				names[i] = r.d.Quote(c.Name)
			}
			list = strings.Join(names, ", ")
		}
		q = "SELECT " + list + " FROM " + r.a.ReadDataset(dir, nil)
		if err := s.CreateView(ctx, n.Name, q); err != nil && list != "*" {
			// The files no longer match the recorded columns: show them as they are.
			q = "SELECT * FROM " + r.a.ReadDataset(dir, nil)
		} else if err == nil {
			r.setView(n.Name, q)
			return nil
		}
		if err := s.CreateView(ctx, n.Name, q); err != nil {
			return fmt.Errorf("read dataset of %s: %w", n.Name, err)
		}
	case len(cols) > 0:
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = fmt.Sprintf("CAST(NULL AS %s) AS %s", c.Type, r.d.Quote(c.Name))
		}
		q = "SELECT " + strings.Join(parts, ", ") + " WHERE false"
		if err := s.CreateView(ctx, n.Name, q); err != nil {
			return err
		}
	default:
		return nil
	}
	r.setView(n.Name, q)
	return nil
}

func (r *runner) schemaPath(model string) string {
	return filepath.Join(r.p.DataDir, ".etl", "schema", model+".json")
}

// schema returns the columns a model's dataset was last written with.
func (r *runner) schema(model string) ([]Column, bool) {
	data, err := os.ReadFile(r.schemaPath(model))
	if err != nil {
		return nil, false
	}
	var cols []Column
	if json.Unmarshal(data, &cols) != nil || len(cols) == 0 {
		return nil, false
	}
	return cols, true
}

func (r *runner) setView(name, query string) {
	r.mu.Lock()
	r.views[name] = query
	r.mu.Unlock()
}

func (r *runner) publish(ctx context.Context) error {
	r.mu.Lock()
	views := make([]View, 0, len(r.views))
	for name, q := range r.views {
		views = append(views, View{Name: name, Query: q})
	}
	r.mu.Unlock()
	// Views read other views: create them in build order.
	order, _ := r.c.Graph.Order()
	pos := map[string]int{}
	for i, id := range order {
		pos[id] = i
	}
	sort.Slice(views, func(i, j int) bool { return pos[views[i].Name] < pos[views[j].Name] })
	return r.a.Publish(ctx, views)
}

// exists reports whether a model's dataset holds data, for is_incremental.
func (r *runner) exists(model string) bool {
	return hasParquet(filepath.Join(r.p.DataDir, model))
}

func hasParquet(dir string) bool {
	found := errors.New("found")
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fs.SkipAll
		}
		if !d.IsDir() && strings.HasSuffix(path, ".parquet") {
			return found
		}
		return nil
	})
	return err == found
}

// schedule runs the nodes over the DAG with opts.Threads at once. A node
// runs when every selected parent succeeded; a failure skips its
// descendants, so the root cause is reported once. Among ready nodes the
// earliest in build order goes first, so one thread runs in build order.
func (r *runner) schedule(ctx context.Context, nodes []*compiler.Node, blockedBy map[string]string) []*Result {
	order, _ := r.c.Graph.Order()
	pos := make(map[string]int, len(order))
	for i, id := range order {
		pos[id] = i
	}
	selected := map[string]*compiler.Node{}
	for _, n := range nodes {
		selected[n.ID] = n
	}
	waiting := map[string]int{}
	children := map[string][]string{}
	for _, n := range nodes {
		parents := r.c.Graph.Parents(n.ID)
		// A relationships test reads its `to` before publishing: build
		// that first when it is selected and earlier in build order (so
		// this can never make a cycle).
		for _, t := range testsOf(n) {
			if t.Type == "relationships" && selected[t.To] != nil && pos[t.To] < pos[n.ID] && !slices.Contains(parents, t.To) {
				parents = append(parents, t.To)
			}
		}
		for _, p := range parents {
			if selected[p] != nil {
				waiting[n.ID]++
				children[p] = append(children[p], n.ID)
			}
		}
	}
	type done struct {
		id  string
		res *Result
	}
	work := make(chan *compiler.Node, r.opts.Threads)
	finished := make(chan done, r.opts.Threads)
	var wg sync.WaitGroup
	for i := 0; i < r.opts.Threads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range work {
				finished <- done{n.ID, r.execute(ctx, n)}
			}
		}()
	}

	results := map[string]*Result{}
	blocked := map[string]string{} // node -> the failed ancestor that blocks it
	for id, root := range blockedBy {
		blocked[id] = root
	}
	var ready []*compiler.Node
	var complete func(id string, res *Result)
	complete = func(id string, res *Result) {
		results[id] = res
		for _, c := range children[id] {
			if res.Status == StatusError || res.Status == StatusSkipped {
				if _, ok := blocked[c]; !ok {
					root := id
					if b, ok := blocked[id]; ok {
						root = b
					}
					blocked[c] = root
				}
			}
			if waiting[c]--; waiting[c] > 0 {
				continue
			}
			if root, ok := blocked[c]; ok {
				complete(c, r.skip(selected[c], "upstream "+root+" failed"))
				continue
			}
			ready = append(ready, selected[c])
		}
	}
	for _, id := range order {
		n := selected[id]
		if n == nil || waiting[id] > 0 {
			continue
		}
		if root, ok := blocked[id]; ok {
			complete(id, r.skip(n, "upstream "+root+" failed"))
			continue
		}
		ready = append(ready, n)
	}
	running, stop := 0, false
	for len(results) < len(nodes) {
		if !stop {
			sort.Slice(ready, func(i, j int) bool { return pos[ready[i].ID] < pos[ready[j].ID] })
			for running < r.opts.Threads && len(ready) > 0 {
				work <- ready[0]
				ready = ready[1:]
				running++
			}
		}
		if running == 0 {
			// Fail fast: what never started is skipped.
			for _, id := range order {
				if n := selected[id]; n != nil && results[id] == nil {
					results[id] = r.skip(n, "not started: --fail-fast after a failure")
				}
			}
			break
		}
		d := <-finished
		running--
		complete(d.id, d.res)
		if d.res.Status == StatusError && r.opts.FailFast {
			stop = true
		}
	}
	close(work)
	wg.Wait()
	out := make([]*Result, 0, len(nodes))
	for _, id := range order {
		if res := results[id]; res != nil {
			out = append(out, res)
			out = append(out, r.tests[id]...)
		}
	}
	return out
}

// testSources runs the data tests of the selected sources before any model
// reads them (on the window's rows, with a trigger). The models downstream
// of a source whose error-severity test fails are not built.
func (r *runner) testSources(ctx context.Context, ids []string) ([]*Result, map[string]string) {
	blocked := map[string]string{}
	var out []*Result
	s, err := r.a.Session(ctx)
	if err != nil {
		return nil, blocked
	}
	defer s.Close()
	for _, id := range ids {
		n := r.c.Nodes[id]
		if n.Source == nil || len(n.Source.Tests) == 0 || r.opts.Command == "run" {
			continue
		}
		rel, w, err := r.testRelation(ctx, s, n)
		var results []*Result
		failed := 0
		if err == nil {
			var checks []check
			if checks, err = r.checks(n.Name, n.Source.Tests, nil, scope{rel: rel}); err == nil {
				results, failed = r.runChecks(ctx, s, checks, w, "before the models that read it")
			}
		}
		if err != nil {
			results, failed = []*Result{{Node: id, Kind: "test", Path: n.Path, Status: StatusError, Error: err.Error()}}, 1
		}
		for _, res := range results {
			r.prog.test(res)
		}
		out = append(out, results...)
		if failed == 0 {
			continue
		}
		for _, d := range r.descendants(id) {
			if _, ok := blocked[d]; !ok {
				blocked[d] = id
			}
		}
	}
	return out, blocked
}

func (r *runner) descendants(id string) []string {
	seen := map[string]bool{}
	stack := []string{id}
	var out []string
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range r.c.Graph.Children(x) {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
				stack = append(stack, c)
			}
		}
	}
	return out
}

func (r *runner) skip(n *compiler.Node, why string) *Result {
	res := &Result{Node: n.ID, Kind: n.Kind, Path: n.Path, Status: StatusSkipped, Error: why}
	r.prog.node(res, compiler.Window{})
	return res
}
