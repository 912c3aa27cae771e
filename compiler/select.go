package compiler

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/etl-dev/etl/project"
)

// Select evaluates dbt's selection syntax over the graph and returns the ids
// of the selected nodes in build order. No selectors selects every model and
// seed. Each argument may hold several space-separated terms (a union); a
// term's comma-separated parts are intersected. A selector that matches
// nothing is an error, since a typo must not silently build nothing.
func (c *Compiler) Select(selectors, excludes []string) ([]string, error) {
	selected := map[string]bool{}
	terms := splitTerms(selectors)
	if len(terms) == 0 {
		for id, n := range c.Nodes {
			if n.Kind == KindModel || n.Kind == KindSeed {
				selected[id] = true
			}
		}
	}
	for _, term := range terms {
		set, err := c.evalTerm(term, true)
		if err != nil {
			return nil, err
		}
		for id := range set {
			selected[id] = true
		}
	}
	for _, term := range splitTerms(excludes) {
		set, err := c.evalTerm(term, false)
		if err != nil {
			return nil, fmt.Errorf("--exclude: %w", err)
		}
		for id := range set {
			delete(selected, id)
		}
	}
	order, err := c.Graph.Order()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(selected))
	for _, id := range order {
		if selected[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

func splitTerms(args []string) []string {
	var out []string
	for _, a := range args {
		out = append(out, strings.Fields(a)...)
	}
	return out
}

func (c *Compiler) evalTerm(term string, strict bool) (map[string]bool, error) {
	var result map[string]bool
	for i, part := range strings.Split(term, ",") {
		set, err := c.evalAtom(part, strict)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			result = set
			continue
		}
		for id := range result {
			if !set[id] {
				delete(result, id)
			}
		}
	}
	return result, nil
}

// selector is one parsed atom: [@][N]+method:value+[N].
type selector struct {
	at           bool
	up, down     int // -1: unlimited; 0: none
	method       string
	value        string
	raw          string
	upSet, dnSet bool
}

func parseSelector(s string) (selector, error) {
	sel := selector{raw: s}
	bad := func() (selector, error) {
		return sel, fmt.Errorf("cannot read selector %q: write name, +name, name+, 2+name, name+1, @name, tag:x, path:models/x, source:x or config.materialized:x", sel.raw)
	}
	if s == "" {
		return bad()
	}
	if strings.HasPrefix(s, "@") {
		sel.at, s = true, s[1:]
	}
	if i := strings.IndexByte(s, '+'); i >= 0 && isDigits(s[:i]) {
		sel.upSet = true
		sel.up = -1
		if i > 0 {
			sel.up, _ = strconv.Atoi(s[:i])
		}
		s = s[i+1:]
	}
	if i := strings.LastIndexByte(s, '+'); i >= 0 && isDigits(s[i+1:]) {
		sel.dnSet = true
		sel.down = -1
		if i+1 < len(s) {
			sel.down, _ = strconv.Atoi(s[i+1:])
		}
		s = s[:i]
	}
	if sel.at && (sel.upSet || sel.dnSet) {
		return bad()
	}
	if m, v, ok := strings.Cut(s, ":"); ok {
		sel.method, sel.value = m, v
	} else {
		sel.value = s
	}
	if sel.value == "" || strings.ContainsAny(sel.value, "+@") {
		return bad()
	}
	return sel, nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (c *Compiler) evalAtom(atom string, strict bool) (map[string]bool, error) {
	sel, err := parseSelector(atom)
	if err != nil {
		return nil, err
	}
	base, err := c.match(sel)
	if err != nil {
		return nil, err
	}
	if len(base) == 0 && strict {
		return nil, c.noMatch(sel)
	}
	out := map[string]bool{}
	for id := range base {
		out[id] = true
	}
	switch {
	case sel.at:
		down := c.walkFrom(base, -1, c.Graph.Children)
		for id := range down {
			out[id] = true
		}
		for id := range c.walkFrom(down, -1, c.Graph.Parents) {
			out[id] = true
		}
	default:
		if sel.upSet {
			for id := range c.walkFrom(base, sel.up, c.Graph.Parents) {
				out[id] = true
			}
		}
		if sel.dnSet {
			for id := range c.walkFrom(base, sel.down, c.Graph.Children) {
				out[id] = true
			}
		}
	}
	return out, nil
}

// walkFrom returns the starting ids and every id reached within depth steps
// (-1: unlimited).
func (c *Compiler) walkFrom(start map[string]bool, depth int, next func(string) []string) map[string]bool {
	seen := map[string]bool{}
	frontier := make([]string, 0, len(start))
	for id := range start {
		seen[id] = true
		frontier = append(frontier, id)
	}
	for d := 0; len(frontier) > 0 && (depth < 0 || d < depth); d++ {
		var nextFrontier []string
		for _, id := range frontier {
			for _, x := range next(id) {
				if !seen[x] {
					seen[x] = true
					nextFrontier = append(nextFrontier, x)
				}
			}
		}
		frontier = nextFrontier
	}
	return seen
}

func (c *Compiler) match(sel selector) (map[string]bool, error) {
	out := map[string]bool{}
	each := func(keep func(n *Node) bool) {
		for id, n := range c.Nodes {
			if keep(n) {
				out[id] = true
			}
		}
	}
	switch {
	case sel.method == "":
		each(func(n *Node) bool {
			if n.Kind != KindModel && n.Kind != KindSeed {
				return false
			}
			ok, _ := path.Match(sel.value, n.Name)
			return ok
		})
	case sel.method == "tag":
		each(func(n *Node) bool {
			if n.Model == nil {
				return false
			}
			for _, t := range n.Model.Config.Tags {
				if ok, _ := path.Match(sel.value, t); ok {
					return true
				}
			}
			return false
		})
	case sel.method == "path":
		p := strings.TrimSuffix(path.Clean(strings.TrimPrefix(sel.value, "./")), "/")
		each(func(n *Node) bool {
			return (n.Kind == KindModel || n.Kind == KindSeed) && (n.Path == p || strings.HasPrefix(n.Path, p+"/"))
		})
	case sel.method == "source":
		each(func(n *Node) bool {
			ok, _ := path.Match(sel.value, n.Name)
			return n.Kind == KindSource && ok
		})
	case strings.HasPrefix(sel.method, "config."):
		key := strings.TrimPrefix(sel.method, "config.")
		get, ok := configGetters[key]
		if !ok {
			return nil, fmt.Errorf("selector %q: cannot select on config.%s; use one of %s", sel.raw, key, strings.Join(sortedKeys(configGetters), ", "))
		}
		each(func(n *Node) bool {
			if n.Model == nil {
				return false
			}
			for _, v := range get(n.Model) {
				if v == sel.value {
					return true
				}
			}
			return false
		})
	default:
		return nil, fmt.Errorf("selector %q: unknown method %q%s; use tag, path, source or config.KEY", sel.raw, sel.method, project.DidYouMean(sel.method, []string{"tag", "path", "source"}))
	}
	return out, nil
}

var configGetters = map[string]func(*project.Model) []string{
	"materialized": func(m *project.Model) []string { return []string{m.Config.Materialized} },
	"strategy": func(m *project.Model) []string {
		if m.Config.Materialized != project.Incremental {
			return nil
		}
		return []string{m.Config.Strategy}
	},
	"grain":       func(m *project.Model) []string { return []string{m.Window.Grain} },
	"time_column": func(m *project.Model) []string { return []string{m.Config.TimeColumn} },
	"transform":   func(m *project.Model) []string { return []string{m.Config.Transform} },
}

func (c *Compiler) noMatch(sel selector) error {
	switch sel.method {
	case "":
		var names []string
		for id, n := range c.Nodes {
			if n.Kind == KindModel || n.Kind == KindSeed {
				names = append(names, id)
			}
		}
		sort.Strings(names)
		msg := fmt.Sprintf("selector %q matches no model or seed", sel.raw)
		if s := project.Suggest(sel.value, names); s != "" {
			return fmt.Errorf("%s; did you mean %q?", msg, s)
		}
		if _, ok := c.Project.Sources[sel.value]; ok {
			return fmt.Errorf("%s; %q is a source: select it with source:%s", msg, sel.value, sel.value)
		}
		return fmt.Errorf("%s", msg)
	case "source":
		return fmt.Errorf("selector %q matches no source%s", sel.raw, project.DidYouMean(sel.value, sortedKeys(c.Project.Sources)))
	case "tag":
		tags := map[string]bool{}
		for _, m := range c.Project.Models {
			for _, t := range m.Config.Tags {
				tags[t] = true
			}
		}
		return fmt.Errorf("selector %q matches no model%s", sel.raw, project.DidYouMean(sel.value, sortedKeys(tags)))
	}
	return fmt.Errorf("selector %q matches no model", sel.raw)
}

// TestsOf returns the singular tests whose every input is selected (a test of
// models that were not built would test stale data).
func (c *Compiler) TestsOf(selected []string) []*Node {
	in := map[string]bool{}
	for _, id := range selected {
		in[id] = true
	}
	var out []*Node
	for _, t := range c.Tests {
		ok := len(t.Parents) > 0
		for _, p := range t.Parents {
			if !in[p] && c.Nodes[p].Kind != KindSource {
				ok = false
			}
		}
		if ok {
			out = append(out, t)
		}
	}
	return out
}
