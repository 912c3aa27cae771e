package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/etl-dev/etl/adapters/duckdb"
	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/engine"
	"github.com/etl-dev/etl/project"
)

// runFlags are the flags of build, run and test.
type runFlags struct {
	selectFlags
	windowFlags
	start, end string
	threads    int
	failFast   bool
	fillGaps   bool
	logFormat  string
}

func (f *runFlags) add(c *cobra.Command) {
	f.selectFlags.add(c)
	f.windowFlags.add(c)
	c.Flags().StringVar(&f.start, "start", "", "backfill: build every window inside [--start, --end), oldest first")
	c.Flags().StringVar(&f.end, "end", "", "backfill: the end of the range (exclusive)")
	c.Flags().IntVar(&f.threads, "threads", 4, "models built at once")
	c.Flags().BoolVarP(&f.failFast, "fail-fast", "x", false, "stop starting models after the first failure")
	c.Flags().BoolVar(&f.fillGaps, "fill-gaps", false, "build only the windows not yet built, from each model's start to the trigger's window (or inside --start/--end)")
	c.Flags().StringVar(&f.logFormat, "log-format", "text", "progress as text or json (one object a line)")
}

func newBuild(g *globals, name string) *cobra.Command {
	var f runFlags
	short := map[string]string{
		"build": "Build seeds and models in DAG order, testing each before it is published",
		"run":   "Build models in DAG order, without seeds or tests",
	}[name]
	c := &cobra.Command{
		Use:   name,
		Short: short,
		Long: short + `.

Each model is written beside its live data and published by a crash-safe
commit; a failing model skips what depends on it and the run exits 1.
Incremental models need --trigger, or --start and --end for a backfill.`,
		Example: `  etl ` + name + ` --select daily_clicks+ --trigger 2026-11-25T04:00:00Z --env prod
  etl ` + name + ` --select tag:daily --start 2026-11-01 --end 2026-11-25
  etl ` + name + ` --fill-gaps --trigger 2026-11-25T04:00:00Z
  etl ` + name + ` --full-refresh --trigger now`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.logFormat != "text" && f.logFormat != "json" {
				return invalid(fmt.Errorf("--log-format %q: use text or json", f.logFormat))
			}
			c, ids, err := g.selected(&f.selectFlags)
			if err != nil {
				return err
			}
			if name == "run" {
				ids = only(c, ids, compiler.KindModel)
			}
			opts, err := f.engineOptions(g, c.Project, name)
			if err != nil {
				return err
			}
			if err := engine.Check(c, ids, opts); err != nil {
				return invalid(err)
			}
			a, err := openAdapter(c.Project)
			if err != nil {
				return err
			}
			defer a.Close()
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			res, err := engine.Run(ctx, c, a, ids, opts)
			if err != nil {
				return err
			}
			manifest := c.Manifest(nil, version, nil)
			if err := engine.WriteManifest(c.Project.TargetDir, manifest); err != nil {
				return err
			}
			if res.Failed() {
				return &exitError{code: exitFailed, err: errSilent}
			}
			return nil
		},
	}
	f.add(c)
	return c
}

func newTest(g *globals) *cobra.Command {
	var f runFlags
	c := &cobra.Command{
		Use:   "test",
		Short: "Run the data, singular and unit tests of the selected models",
		Long: `Run the data tests of the selected models and sources against what is built,
the singular tests (tests/*.sql) that read only selected models, and the unit
tests (tests/**/*.toml) of the selected models. With --trigger, incremental
models and sources are tested on that window's rows. Exits 1 when an
error-severity test fails.`,
		Example: `  etl test --select staging
  etl test --select daily_clicks --trigger 2026-11-25T04:00:00Z`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ids, err := g.selected(&f.selectFlags)
			if err != nil {
				return err
			}
			if len(f.include) == 0 && len(f.exclude) == 0 {
				// Without a selection, sources' tests run too.
				ids, _ = c.Graph.Order()
			}
			opts, err := f.engineOptions(g, c.Project, "test")
			if err != nil {
				return err
			}
			a, err := openAdapter(c.Project)
			if err != nil {
				return err
			}
			defer a.Close()
			res, err := engine.Test(context.Background(), c, a, ids, opts)
			if err != nil {
				return err
			}
			if res.Failed() {
				return &exitError{code: exitFailed, err: errSilent}
			}
			return nil
		},
	}
	f.selectFlags.add(c)
	c.Flags().StringVarP(&f.trigger, "trigger", "t", "", "test the window of this trigger (incremental models and sources)")
	c.Flags().StringVar(&f.logFormat, "log-format", "text", "progress as text or json")
	f.threads = 1
	return c
}

func only(c *compiler.Compiler, ids []string, kinds ...string) []string {
	var out []string
	for _, id := range ids {
		if slices.Contains(kinds, c.Nodes[id].Kind) {
			out = append(out, id)
		}
	}
	return out
}

func (f *runFlags) engineOptions(g *globals, p *project.Project, command string) (engine.Options, error) {
	opts := engine.Options{Command: command, FullRefresh: f.fullRefresh, FillGaps: f.fillGaps, Threads: f.threads, FailFast: f.failFast,
		Out: g.stdout, JSON: f.logFormat == "json", Version: version}
	if f.threads < 1 && command != "test" {
		return opts, invalid(fmt.Errorf("--threads %d: use 1 or more", f.threads))
	}
	parse := func(flag, v string) (time.Time, error) { return g.parseTime(flag, v, p) }
	var err error
	if opts.Trigger, err = parse("trigger", f.trigger); err != nil {
		return opts, err
	}
	if f.start != "" || f.end != "" {
		if f.trigger != "" {
			return opts, invalid(errors.New("--trigger and --start/--end do not go together: a backfill's windows come from its range"))
		}
		if f.start == "" || f.end == "" {
			return opts, invalid(errors.New("a backfill needs both --start and --end"))
		}
		if opts.Start, err = parse("start", f.start); err != nil {
			return opts, err
		}
		if opts.End, err = parse("end", f.end); err != nil {
			return opts, err
		}
		if !opts.Start.Before(opts.End) {
			return opts, invalid(fmt.Errorf("--start %s is not before --end %s", f.start, f.end))
		}
	}
	return opts, nil
}

func openAdapter(p *project.Project) (*duckdb.Adapter, error) {
	return duckdb.Open(duckdb.Settings{
		MemoryLimit:   p.Engine.MemoryLimit,
		Threads:       p.Engine.Threads,
		TempDirectory: p.Engine.TempDirectory,
		Catalog:       filepath.Join(p.TargetDir, "catalog.duckdb"),
	})
}

func newShow(g *globals) *cobra.Command {
	var limit int
	var trigger string
	c := &cobra.Command{
		Use:     "show MODEL",
		Short:   "Print rows of a model",
		Example: "  etl show daily_clicks --limit 20",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.compiler()
			if err != nil {
				return err
			}
			n := c.Nodes[args[0]]
			if n == nil || n.Kind == compiler.KindSource {
				if _, err := c.Select([]string{args[0]}, nil); err != nil {
					return invalid(err)
				}
				return invalid(fmt.Errorf("%s is not a model or seed: etl show prints rows of a model or seed", args[0]))
			}
			t, err := g.parseTime("trigger", trigger, c.Project)
			if err != nil {
				return err
			}
			a, err := openAdapter(c.Project)
			if err != nil {
				return err
			}
			defer a.Close()
			rows, err := engine.Show(context.Background(), c, a, n.ID, limit, t)
			if err != nil {
				return &exitError{code: exitFailed, err: err}
			}
			printRows(g, rows)
			return nil
		},
	}
	c.Flags().IntVarP(&limit, "limit", "n", 10, "rows to print")
	c.Flags().StringVarP(&trigger, "trigger", "t", "", "the trigger for a view that uses window functions")
	return c
}

func printRows(g *globals, rows *engine.Rows) {
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(rows.Columns, "\t"))
	for _, row := range rows.Values {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = engine.FormatValue(v)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
	fmt.Fprintf(g.stdout, "(%d %s)\n", len(rows.Values), map[bool]string{true: "row", false: "rows"}[len(rows.Values) == 1])
}

func newStatus(g *globals) *cobra.Command {
	var sel selectFlags
	var trigger string
	c := &cobra.Command{
		Use:   "status",
		Short: "Show the windows each incremental model has built, and the gaps",
		Long: `Show, for each selected incremental model, the event time it has built (from
<target_dir>/state/windows.jsonl) and the whole windows missing between its start
and the window of --trigger (default: the end of what it has built). Fill the
gaps with etl build --start ... --end ....`,
		Example: "  etl status --select tag:daily --trigger 2026-11-25T04:00:00Z",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ids, err := g.selected(&sel)
			if err != nil {
				return err
			}
			t, err := g.parseTime("trigger", trigger, c.Project)
			if err != nil {
				return err
			}
			entries, err := engine.OpenLedger(c.Project.TargetDir).Entries()
			if err != nil {
				return err
			}
			built := engine.Built(entries)
			tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "MODEL\tGRAIN\tBUILT\tMISSING")
			for _, id := range ids {
				m := c.Nodes[id].Model
				if m == nil || m.Config.Materialized != project.Incremental {
					continue
				}
				spans := built[m.Name]
				end := t
				if end.IsZero() && len(spans) > 0 {
					end = spans[len(spans)-1].End
				} else if !end.IsZero() {
					end = compiler.WindowFor(t, m.Window).End
				}
				var missing []compiler.Window
				if !m.Start.IsZero() && !end.IsZero() {
					missing = engine.Missing(spans, m.Start, end, m.Window)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, m.Window.Grain, describeSpans(spans, m.Window), describeMissing(missing))
			}
			return tw.Flush()
		},
	}
	sel.add(c)
	c.Flags().StringVarP(&trigger, "trigger", "t", "", "report gaps up to this trigger's window")
	return c
}

func describeSpans(spans []engine.Span, w project.Window) string {
	if len(spans) == 0 {
		return "nothing"
	}
	parts := make([]string, len(spans))
	for i, s := range spans {
		parts[i] = compiler.Window{Start: s.Start.In(w.Location), End: s.End.In(w.Location), Grain: w.Grain}.String()
	}
	return strings.Join(parts, " ")
}

func describeMissing(ws []compiler.Window) string {
	if len(ws) == 0 {
		return "none"
	}
	// Runs of adjacent windows read as one range.
	var parts []string
	start := ws[0]
	for i := 1; i <= len(ws); i++ {
		if i < len(ws) && ws[i].Start.Equal(ws[i-1].End) {
			continue
		}
		span := compiler.Window{Start: start.Start, End: ws[i-1].End, Grain: start.Grain}
		parts = append(parts, span.String())
		if i < len(ws) {
			start = ws[i]
		}
	}
	return fmt.Sprintf("%s (%d %s)", strings.Join(parts, " "), len(ws), plural(len(ws), "window"))
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
