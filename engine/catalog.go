package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/project"
)

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
