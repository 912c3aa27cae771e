package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/etl-dev/etl/compiler"
)

// Show returns up to limit rows of a model or seed, as the catalog has it.
func Show(ctx context.Context, c *compiler.Compiler, a Adapter, id string, limit int, trigger time.Time) (*Rows, error) {
	r := newRunner(c, a, Options{Trigger: trigger})
	n := c.Nodes[id]
	if err := r.prepare(ctx, []*compiler.Node{n}); err != nil {
		return nil, err
	}
	if _, ok := r.views[id]; !ok {
		return nil, fmt.Errorf("%s has no data yet: build it first (etl build --select %s)", id, id)
	}
	s, err := a.Session(ctx)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Query(ctx, fmt.Sprintf("SELECT * FROM %s LIMIT %d", r.d.Quote(id), max(limit, 0)))
}
