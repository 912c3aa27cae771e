package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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
	views    map[string]string             // name -> query of the view each model has in the catalog
	warnings []string                      // found before progress starts
	built    map[string][]Span             // what the ledger says each model has built, for FillGaps
	sql      map[string]*compiler.Compiled // the SQL each model last ran, for target/compiled
	tests    map[string][]*Result          // data tests run for each node
	pending  []*Result                     // tests not yet printed
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
	r := newRunner(c, a, opts)
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
	r.prog = newProgress(r.opts.Out, opts.JSON, r.units(nodes), names)
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
	if err := r.writeCompiled(); err != nil {
		r.prog.warn(err.Error())
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

func newRunner(c *compiler.Compiler, a Adapter, opts Options) *runner {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	return &runner{
		c: c, p: c.Project, a: a, d: a.Dialect(), opts: opts,
		run:    newRunID(),
		ledger: OpenLedger(c.Project.TargetDir),
		kinds:  map[string]compiler.Kind{},
		views:  map[string]string{},
	}
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

// ran records the SQL a model ran (its last window's), for target/compiled.
func (r *runner) ran(n *compiler.Node, w compiler.Window, sql string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sql == nil {
		r.sql = map[string]*compiler.Compiled{}
	}
	r.sql[n.ID] = &compiler.Compiled{Node: n, Window: w, SQL: sql}
}

// writeCompiled writes what each model ran under target/compiled, as etl
// compile does, so that a failed model's SQL can be read and rerun by hand.
func (r *runner) writeCompiled() error {
	plan := &compiler.Plan{Trigger: r.opts.Trigger}
	for _, cn := range r.sql {
		plan.Nodes = append(plan.Nodes, cn)
	}
	return WriteCompiled(r.p.TargetDir, plan)
}
