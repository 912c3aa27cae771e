package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/project"
)

// singular runs the singular tests of the given models: each query passes
// when it returns no row.
func (r *runner) singular(ctx context.Context, built []string) []*Result {
	tests := r.c.TestsOf(built)
	if len(tests) == 0 {
		return nil
	}
	s, err := r.a.Session(ctx)
	if err != nil {
		return []*Result{{Node: "tests", Kind: "test", Status: StatusError, Error: err.Error()}}
	}
	defer s.Close()
	var out []*Result
	for _, t := range tests {
		w := compiler.Window{}
		switch {
		case !r.opts.Trigger.IsZero():
			w = compiler.WindowFor(r.opts.Trigger, r.p.Window)
		case !r.opts.Start.IsZero():
			// A backfill's tests see the whole range it built.
			w = compiler.Window{Start: r.opts.Start, End: r.opts.End, Grain: r.p.Window.Grain}
		}
		sql, err := r.c.Render(t.ID, w, compiler.Options{Trigger: r.opts.Trigger, Existing: r.exists})
		if err != nil {
			res := &Result{Node: t.ID, Kind: "test", Path: t.Path, Status: StatusError, Error: err.Error()}
			var nw *compiler.NeedsWindowError
			if errors.As(err, &nw) {
				res.Status, res.Error = StatusSkipped, "uses "+nw.Func+": run with --trigger to check a window"
			}
			r.prog.test(res)
			out = append(out, res)
			continue
		}
		results, _ := r.runChecks(ctx, s, []check{{name: t.ID, severity: "error", query: sql, path: t.Path}}, w, "")
		for _, res := range results {
			r.prog.test(res)
		}
		out = append(out, results...)
	}
	return out
}

// Test runs the data tests of the selected models and sources, the singular
// tests of the selected models, and the unit tests of the selected models,
// against what is built. With a trigger, incremental models and sources
// are tested on that window's rows only.
func Test(ctx context.Context, c *compiler.Compiler, a Adapter, ids []string, opts Options) (*Results, error) {
	r := newRunner(c, a, opts)
	start := time.Now()
	if err := r.recoverAll(); err != nil {
		return nil, err
	}
	var nodes []*compiler.Node
	for _, id := range ids {
		nodes = append(nodes, c.Nodes[id])
	}
	var models []*compiler.Node
	for _, n := range nodes {
		if n.Kind != compiler.KindSource {
			models = append(models, n)
		}
	}
	if err := r.prepare(ctx, models); err != nil {
		return nil, err
	}
	units := UnitsFor(c, ids)
	total := len(c.TestsOf(ids)) + len(units)
	for _, n := range nodes {
		total += len(testsOf(n))
	}
	r.prog = newProgress(r.opts.Out, opts.JSON, total, nil)
	r.prog.tests = true
	r.prog.header(r.p.Name, opts, total)
	for _, w := range r.warnings {
		r.prog.warn(w)
	}
	s, err := a.Session(ctx)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var results []*Result
	for _, n := range nodes {
		tests := testsOf(n)
		var key []string
		if m := n.Model; m != nil && m.Config.Materialized == project.Incremental && m.Config.Strategy == project.Merge {
			key = m.Config.UniqueKey
		}
		if len(tests) == 0 && len(key) == 0 {
			continue
		}
		rel, w, err := r.testRelation(ctx, s, n)
		if err == nil {
			var checks []check
			if checks, err = r.checks(n.Name, tests, key, scope{rel: rel}); err == nil {
				res, _ := r.runChecks(ctx, s, checks, w, "")
				for _, x := range res {
					r.prog.test(x)
				}
				results = append(results, res...)
				continue
			}
		}
		res := &Result{Node: n.ID, Kind: "test", Path: n.Path, Status: StatusError, Error: err.Error()}
		r.prog.test(res)
		results = append(results, res)
	}
	results = append(results, r.singular(ctx, ids)...)
	for _, u := range units {
		results = append(results, r.unit(ctx, u))
	}
	res := &Results{Results: results}
	res.Metadata.Project, res.Metadata.Env, res.Metadata.Command = r.p.Name, r.p.Env, "test"
	res.Metadata.Run, res.Metadata.Version = r.run, opts.Version
	res.Metadata.GeneratedAt = time.Now().UTC().Format(time.RFC3339)
	res.Elapsed = time.Since(start).Seconds()
	r.prog.summary(results, time.Since(start))
	if err := WriteJSON(r.p.TargetDir, "run_results.json", res); err != nil {
		return res, fmt.Errorf("write run_results.json: %w", err)
	}
	return res, nil
}

func testsOf(n *compiler.Node) []project.Test {
	switch {
	case n.Model != nil:
		return n.Model.Config.Tests
	case n.Source != nil:
		return n.Source.Tests
	}
	return nil
}

// testRelation is what etl test checks of a node: all its rows, or with a
// trigger the window's rows of an incremental model or a source.
func (r *runner) testRelation(ctx context.Context, s Session, n *compiler.Node) (string, compiler.Window, error) {
	var rel, col string
	var spec project.Window
	switch {
	case n.Source != nil:
		pattern, hive := compiler.SourcePattern(n.Source)
		rel, col, spec = r.d.Scan(pattern, n.Source.Format, hive), n.Source.TimeColumn, r.p.Window
	default:
		r.mu.Lock()
		_, ok := r.views[n.Name]
		r.mu.Unlock()
		if !ok {
			return "", compiler.Window{}, fmt.Errorf("model %s has no data to test: build it first (etl build --select %s)", n.Name, n.Name)
		}
		rel, spec = r.d.Quote(n.Name), n.Model.Window
		if n.Model.Config.Materialized == project.Incremental {
			col = n.Model.Config.TimeColumn
		}
	}
	if r.opts.Trigger.IsZero() || col == "" {
		return rel, compiler.Window{}, nil
	}
	w := compiler.WindowFor(r.opts.Trigger, spec)
	kind := r.kind(ctx, s, n.ID, col, rel)
	return fmt.Sprintf("(SELECT * FROM %s WHERE %s)", rel, compiler.TimePredicate(r.d, col, kind, w)), w, nil
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
