package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/etl-dev/etl/adapters/duckdb"
	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/project"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit statuses, as the contract says.
const (
	exitOK      = 0
	exitFailed  = 1 // a model or an error-severity test failed
	exitInvalid = 2 // the command line, the project or a model could not be understood
)

// exitError carries an exit status through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func invalid(err error) error { return &exitError{code: exitInvalid, err: err} }

// globals are the flags every command takes.
type globals struct {
	projectDir string
	env        string
	vars       []string
	set        []string
	stdout     io.Writer
	stderr     io.Writer
	now        func() time.Time

	stopProfile func()
}

func (g *globals) stop() {
	if g.stopProfile != nil {
		g.stopProfile()
		g.stopProfile = nil
	}
}

// run builds the command tree and runs it; only main calls os.Exit.
func run(args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr, now: time.Now}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	g.stop()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	code := exitInvalid // cobra's own errors are command-line errors
	if errors.As(err, &ee) {
		code = ee.code
		err = ee.err
	}
	if err != errSilent {
		fmt.Fprintln(stderr, formatError(err))
	}
	return code
}

// errSilent is a failure already reported, such as failed models.
var errSilent = errors.New("")

func formatError(err error) string {
	var list project.ErrorList
	if errors.As(err, &list) && len(list) > 1 {
		lines := make([]string, 0, len(list)+1)
		for _, e := range list {
			lines = append(lines, "error: "+e.Error())
		}
		lines = append(lines, fmt.Sprintf("%d errors", len(list)))
		return strings.Join(lines, "\n")
	}
	return "error: " + err.Error()
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "etl",
		Short: "Declarative SQL-plus-Go transforms over Parquet, run on a schedule",
		Long: `etl compiles a project of SQL models into a DAG, turns a scheduler's trigger
time into an event-time window, and builds the models with embedded DuckDB
into hive-partitioned Parquet.

A scheduled run:
  etl build --select daily_clicks+ --trigger 2026-11-25T04:00:00Z --env prod`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return invalid(fmt.Errorf("%w (see etl %s --help)", err, c.Name()))
	})
	pf := root.PersistentFlags()
	pf.StringVar(&g.projectDir, "project-dir", ".", "the project folder (holding etl_project.toml)")
	pf.StringVar(&g.env, "env", os.Getenv("ETL_ENV"), "apply the [env.NAME] overlay of etl_project.toml (default $ETL_ENV)")
	pf.StringArrayVar(&g.vars, "var", nil, "set a template var, NAME=VALUE (repeatable)")
	pf.StringArrayVar(&g.set, "set", nil, "override a config key, key=value with dotted keys as in etl_project.toml (repeatable)")

	var cpuProfile string
	pf.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the command to `FILE`")
	_ = pf.MarkHidden("cpuprofile")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return invalid(fmt.Errorf("--cpuprofile: %w", err))
		}
		g.stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		return pprof.StartCPUProfile(f)
	}
	root.PersistentPostRun = func(*cobra.Command, []string) { g.stop() }
	root.AddCommand(
		newInit(g),
		newLs(g),
		newCompile(g),
		newVersion(g),
	)
	root.AddCommand(newBuild(g, "build"), newBuild(g, "run"), newShow(g), newStatus(g))
	root.AddCommand(newTest(g))
	return root
}

// load reads the project with the command-line layers of config.
func (g *globals) load() (*project.Project, error) {
	p, err := project.Load(g.projectDir, project.Options{Env: g.env, Vars: g.vars, Set: g.set, Environ: os.Environ()})
	if err != nil {
		return nil, invalid(err)
	}
	return p, nil
}

// compiler loads the project and parses it.
func (g *globals) compiler() (*compiler.Compiler, error) {
	p, err := g.load()
	if err != nil {
		return nil, err
	}
	c, err := compiler.New(p, duckdb.Dialect{})
	if err != nil {
		return nil, invalid(err)
	}
	return c, nil
}

// selectFlags are --select and --exclude.
type selectFlags struct {
	include, exclude []string
}

func (s *selectFlags) add(c *cobra.Command) {
	c.Flags().StringArrayVarP(&s.include, "select", "s", nil, "nodes to select: name, +name, name+, 2+name, @name, tag:x, path:models/x, source:x; space = union, comma = intersection")
	c.Flags().StringArrayVar(&s.exclude, "exclude", nil, "nodes to leave out, in the same syntax")
}

// selected loads and parses the project and evaluates the selection.
func (g *globals) selected(s *selectFlags) (*compiler.Compiler, []string, error) {
	c, err := g.compiler()
	if err != nil {
		return nil, nil, err
	}
	ids, err := s.resolve(c)
	return c, ids, err
}

func (s *selectFlags) resolve(c *compiler.Compiler) ([]string, error) {
	ids, err := c.Select(s.include, s.exclude)
	if err != nil {
		return nil, invalid(err)
	}
	return ids, nil
}
