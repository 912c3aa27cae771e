package engine

import (
	"context"
	"slices"
	"sort"
	"sync"

	"github.com/etl-dev/etl/compiler"
)

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
