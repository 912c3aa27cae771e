// Package compiler turns a loaded project into a plan: it parses each model's
// template, finds refs and sources, builds the DAG, selects nodes, computes
// windows from a trigger and renders SQL with the window's predicates. It is
// pure: it reads no file and touches no database. What it needs of the data
// (time column kinds, which datasets exist) it is told.
package compiler

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/etl-dev/etl/project"
)

// Node kinds.
const (
	KindModel  = "model"
	KindSeed   = "seed"
	KindSource = "source"
	KindTest   = "test"
)

// Node is one vertex of the project's graph.
type Node struct {
	ID     string // the model or seed name; "source:NAME"; "test:NAME"
	Kind   string
	Name   string
	Path   string // file relative to the project root
	Model  *project.Model
	Source *project.Source
	Seed   *project.Seed
	Test   *project.SingularTest

	Parents []string // ids this node reads

	simple *simple    // the template, when it is simple; else tmpl
	mu     sync.Mutex // held by a render of tmpl: its funcs call cur
	cur    *renderer
	tmpl   *template.Template
}

// Compiler holds a parsed project: its graph and templates, ready to render
// any node for any window.
type Compiler struct {
	Project *project.Project
	Graph   *Graph
	Nodes   map[string]*Node
	Tests   []*Node // singular tests, by name; not in Graph
	d       Dialect
}

// SourceID returns the node id of a source.
func SourceID(name string) string { return "source:" + name }

// New parses every model and singular test of p and builds the graph. All
// problems are returned together as a project.ErrorList.
func New(p *project.Project, d Dialect) (*Compiler, error) {
	c := &Compiler{Project: p, Nodes: map[string]*Node{}, d: d}
	var ids []string
	add := func(n *Node) {
		c.Nodes[n.ID] = n
		ids = append(ids, n.ID)
	}
	for _, s := range p.Sources {
		add(&Node{ID: SourceID(s.Name), Kind: KindSource, Name: s.Name, Path: s.File, Source: s})
	}
	for _, s := range p.Seeds {
		add(&Node{ID: s.Name, Kind: KindSeed, Name: s.Name, Path: s.Path, Seed: s})
	}
	models := make([]*Node, 0, len(p.Models))
	for _, m := range p.Models {
		n := &Node{ID: m.Name, Kind: KindModel, Name: m.Name, Path: m.Path, Model: m}
		add(n)
		models = append(models, n)
	}
	for _, t := range p.Tests {
		c.Tests = append(c.Tests, &Node{ID: "test:" + t.Name, Kind: KindTest, Name: t.Name, Path: t.Path, Test: t})
	}
	sort.Slice(models, func(i, j int) bool { return models[i].ID < models[j].ID })

	parsed := append(append([]*Node(nil), models...), c.Tests...)
	errs := make([][]error, len(parsed))
	project.Parallel(len(parsed), func(i int) { errs[i] = c.parse(parsed[i]) })
	var all project.ErrorList
	for _, e := range errs {
		all = append(all, e...)
	}
	all = append(all, c.checkTests()...)
	all = append(all, c.checkUnits()...)
	if err := all.Err(); err != nil {
		return nil, err
	}

	c.Graph = NewGraph(ids)
	for _, n := range models {
		for _, parent := range n.Parents {
			c.Graph.Edge(parent, n.ID)
		}
	}
	if _, err := c.Graph.Order(); err != nil {
		return nil, err
	}
	return c, nil
}

// funcNames are every template function, for parsing before any render.
var funcNames = []string{"ref", "ref_full", "source", "source_full", "var", "window_start", "window_end",
	"window_start_date", "window_end_date", "trigger", "this", "is_incremental", "env"}

// parse reads the node's template and its static refs. A ref's name must be a
// quoted string so that the graph is known without rendering.
func (c *Compiler) parse(n *Node) []error {
	text := ""
	switch {
	case n.Model != nil && n.Model.Config.Transform != "":
		return c.goInputs(n)
	case n.Model != nil:
		text = n.Model.SQL
	case n.Test != nil:
		text = n.Test.SQL
	}
	if strings.TrimSpace(text) == "" && n.Model != nil {
		return []error{&project.FileError{Path: n.Path, Line: 1, Err: errors.New("the model has no SQL: write a select after its front matter, or delete the file")}}
	}
	var errs []error
	seen := map[string]bool{}
	// check validates one static ref, source or var and records the parent.
	check := func(fn, name string, at func(format string, args ...any)) {
		if fn == "var" {
			if _, ok := c.Project.Vars[name]; !ok {
				at("unknown var %q%s: declare it under [vars] in %s or pass --var %s=VALUE", name, project.DidYouMean(name, sortedKeys(c.Project.Vars)), project.FileName, name)
			}
			return
		}
		id, err := c.resolve(fn, name)
		if err != nil {
			at("%v", err)
			return
		}
		if n.Model != nil && id == n.ID {
			at("model %s refers to itself: use {{ this }} for its own existing data", n.Name)
			return
		}
		if !seen[id] {
			seen[id] = true
			n.Parents = append(n.Parents, id)
		}
	}
	if s, ok := parseSimple(text); ok {
		n.simple = s
		for _, p := range s.parts {
			if needsArg[p.fn] {
				check(p.fn, p.arg, func(format string, args ...any) {
					line, col := lineCol(text, p.pos)
					errs = append(errs, positionedErr(n.Path, line, col, fmt.Errorf(format, args...)))
				})
			}
		}
		sort.Strings(n.Parents)
		return errs
	}
	t, err := template.New(n.Path).Option("missingkey=error").Funcs(n.funcs()).Parse(text)
	if err != nil {
		return []error{templateError(n.Path, err)}
	}
	n.tmpl = t
	walk(t.Tree.Root, func(cmd *parse.CommandNode) {
		ident, ok := cmd.Args[0].(*parse.IdentifierNode)
		if !ok {
			return
		}
		fn := ident.Ident
		switch fn {
		case "ref", "ref_full", "source", "source_full", "var":
		default:
			return
		}
		at := func(format string, args ...any) {
			loc, _ := t.ErrorContext(cmd)
			errs = append(errs, positioned(n.Path, loc, fmt.Sprintf(format, args...)))
		}
		if len(cmd.Args) != 2 {
			at("%s takes one quoted name, such as {{ %s \"name\" }}", fn, fn)
			return
		}
		arg, ok := cmd.Args[1].(*parse.StringNode)
		if !ok {
			at("%s takes a quoted name, such as {{ %s \"name\" }}: the graph must be known before rendering", fn, fn)
			return
		}
		check(fn, arg.Text, at)
	})
	sort.Strings(n.Parents)
	return errs
}

// goInputs resolves a Go model's inputs: each a model, seed or source name.
func (c *Compiler) goInputs(n *Node) []error {
	var errs []error
	for _, in := range n.Model.Config.Inputs {
		id, err := c.resolve("ref", in)
		if err != nil {
			if id2, err2 := c.resolve("source", in); err2 == nil {
				id, err = id2, nil
			}
		}
		if err != nil {
			errs = append(errs, project.Errorf(n.Path, 0, "inputs: unknown model or source %q%s", in, project.DidYouMean(in, c.names(true))))
			continue
		}
		n.Parents = append(n.Parents, id)
	}
	sort.Strings(n.Parents)
	return errs
}

// resolve finds the node id a ref or source names, or explains the miss.
func (c *Compiler) resolve(fn, name string) (string, error) {
	p := c.Project
	isSource := fn == "source" || fn == "source_full"
	if isSource {
		if _, ok := p.Sources[name]; ok {
			return SourceID(name), nil
		}
		if _, ok := c.Nodes[name]; ok {
			return "", fmt.Errorf("unknown source %q: %q is a model; use {{ ref %q }}", name, name, name)
		}
		return "", fmt.Errorf("unknown source %q%s: declare it as [sources.%s] in %s", name, project.DidYouMean(name, sortedKeys(p.Sources)), name, project.FileName)
	}
	if n, ok := c.Nodes[name]; ok && n.Kind != KindSource {
		return name, nil
	}
	if file, ok := p.Disabled(name); ok {
		return "", fmt.Errorf("ref to disabled model %q: %s sets enabled = false", name, file)
	}
	if _, ok := p.Sources[name]; ok {
		return "", fmt.Errorf("unknown ref %q: %q is a source; use {{ source %q }}", name, name, name)
	}
	return "", fmt.Errorf("unknown ref %q%s", name, project.DidYouMean(name, c.names(false)))
}

func (c *Compiler) names(withSources bool) []string {
	var out []string
	for id, n := range c.Nodes {
		if n.Kind != KindSource {
			out = append(out, id)
		} else if withSources {
			out = append(out, n.Name)
		}
	}
	sort.Strings(out)
	return out
}

// walk calls fn for every command in the template, in every branch.
func walk(node parse.Node, fn func(*parse.CommandNode)) {
	switch n := node.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, x := range n.Nodes {
			walk(x, fn)
		}
	case *parse.ActionNode:
		walk(n.Pipe, fn)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, cmd := range n.Cmds {
			walk(cmd, fn)
		}
	case *parse.CommandNode:
		fn(n)
		for _, a := range n.Args {
			walk(a, fn)
		}
	case *parse.IfNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.RangeNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.WithNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.TemplateNode:
		walk(n.Pipe, fn)
	}
}

var templateErrRE = regexp.MustCompile(`^template: [^:]*:(\d+)(?::(\d+))?: (?:executing "[^"]*" at <.*?>: )?(?:error calling \w+: )?(.*)$`)

// templateError turns a text/template error into a FileError with the line.
func templateError(path string, err error) error {
	msg := err.Error()
	m := templateErrRE.FindStringSubmatch(msg)
	if m == nil {
		return &project.FileError{Path: path, Err: err}
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2])
	if m[2] != "" {
		col++ // text/template counts columns from 0; editors from 1
	}
	text := m[3]
	if fm := regexp.MustCompile(`^function "(\w+)" not defined$`).FindStringSubmatch(text); fm != nil {
		text = fmt.Sprintf("unknown template function %q%s", fm[1], project.DidYouMean(fm[1], funcNames))
	}
	var inner error = errors.New(text)
	var nw *NeedsWindowError
	if errors.As(err, &nw) {
		inner = nw
	}
	return &project.FileError{Path: path, Line: line, Column: col, Err: inner}
}

// positioned builds a FileError from a text/template location "name:line:col".
func positioned(path, loc, msg string) error {
	fe := &project.FileError{Path: path, Err: errors.New(msg)}
	parts := strings.Split(loc, ":")
	if len(parts) >= 3 {
		fe.Line, _ = strconv.Atoi(parts[len(parts)-2])
		fe.Column, _ = strconv.Atoi(parts[len(parts)-1])
		fe.Column++ // text/template counts columns from 0; editors from 1
	}
	return fe
}

func positionedErr(path string, line, col int, err error) error {
	return &project.FileError{Path: path, Line: line, Column: col, Err: err}
}

// Window returns the window of node id for a trigger; zero without a trigger
// or for nodes that have no window spec.
func (c *Compiler) Window(id string, trigger time.Time) Window {
	n := c.Nodes[id]
	if trigger.IsZero() || n == nil || n.Model == nil {
		return Window{}
	}
	return WindowFor(trigger, n.Model.Window)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Relation renders a model, seed or source by name, unfiltered: what a data
// test's `to` names.
func (c *Compiler) Relation(name string) (string, error) {
	if id, err := c.resolve("ref", name); err == nil {
		return c.d.Quote(id), nil
	}
	id, err := c.resolve("source", name)
	if err != nil {
		return "", fmt.Errorf("unknown model or source %q%s", name, project.DidYouMean(name, c.names(true)))
	}
	s := c.Nodes[id].Source
	pattern, hive := SourcePattern(s)
	return c.d.Scan(pattern, s.Format, hive), nil
}

// checkTests reports data tests whose `to` names nothing.
func (c *Compiler) checkTests() []error {
	var errs []error
	check := func(tests []project.Test) {
		for _, t := range tests {
			if t.Type != "relationships" {
				continue
			}
			if _, err := c.Relation(t.To); err != nil {
				errs = append(errs, project.Errorf(t.File, t.Line(), "relationships test: `to` = %q: %v", t.To, err))
			}
		}
	}
	for _, n := range c.Nodes {
		if n.Model != nil {
			check(n.Model.Config.Tests)
		}
		if n.Source != nil {
			check(n.Source.Tests)
		}
	}
	return errs
}

// checkUnits reports unit tests of unknown models or with unknown inputs.
func (c *Compiler) checkUnits() []error {
	var errs []error
	for _, u := range c.Project.UnitTests {
		n := c.Nodes[u.Model]
		if u.Model != "" && (n == nil || n.Model == nil) {
			errs = append(errs, project.Errorf(u.Path, u.ModelLine, "unit test of unknown model %q%s", u.Model, project.DidYouMean(u.Model, c.names(false))))
			continue
		}
		for _, g := range u.Given {
			var err error
			switch {
			case g.Ref != "":
				_, err = c.resolve("ref", g.Ref)
			case g.Source != "":
				_, err = c.resolve("source", g.Source)
			}
			if err != nil {
				errs = append(errs, project.Errorf(u.Path, g.Line, "given: %v", err))
			}
		}
	}
	return errs
}
