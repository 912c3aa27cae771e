package compiler

import (
	"time"

	"github.com/etl-dev/etl/project"
)

// Compiled is one node of a plan with its window and SQL.
type Compiled struct {
	Node   *Node
	Window Window
	SQL    string // empty for sources, seeds and Go transforms
}

// Plan is the compiled selection, in build order, with the singular tests
// of what was selected.
type Plan struct {
	Trigger time.Time
	Nodes   []*Compiled
	Tests   []*Compiled
}

// Compile renders every selected node for the trigger in opts. Models render
// concurrently; all errors are returned together.
func (c *Compiler) Compile(ids []string, opts Options) (*Plan, error) {
	plan := &Plan{Trigger: opts.Trigger}
	for _, id := range ids {
		plan.Nodes = append(plan.Nodes, &Compiled{Node: c.Nodes[id], Window: c.Window(id, opts.Trigger)})
	}
	for _, t := range c.TestsOf(ids) {
		plan.Tests = append(plan.Tests, &Compiled{Node: t, Window: c.testWindow(t, opts.Trigger)})
	}
	all := append(append([]*Compiled(nil), plan.Nodes...), plan.Tests...)
	errs := make([]error, len(all))
	memo := &inlined{}
	project.Parallel(len(all), func(i int) {
		cn := all[i]
		if !cn.Node.hasSQL() {
			return
		}
		if m := cn.Node.Model; m != nil && m.Config.Materialized == project.Incremental && cn.Window.IsZero() {
			errs[i] = &project.FileError{Path: cn.Node.Path, Err: &NoWindowError{Model: m.Name}}
			return
		}
		windowed := cn.Node.Model != nil && cn.Node.Model.Config.Materialized == project.Incremental
		cn.SQL, errs[i] = c.render(cn.Node, cn.Window, opts, windowed, memo)
	})
	var list project.ErrorList
	for _, err := range errs {
		if err != nil {
			list = append(list, err)
		}
	}
	if err := list.Err(); err != nil {
		return nil, err
	}
	return plan, nil
}

// testWindow gives a singular test the window of the project's [window]
// spec, so that it can check what a run just built.
func (c *Compiler) testWindow(t *Node, trigger time.Time) Window {
	if trigger.IsZero() {
		return Window{}
	}
	return WindowFor(trigger, c.Project.Window)
}
