package compiler

import (
	"fmt"
	"sort"
	"strings"
)

// Graph is a directed graph of node ids where an edge a -> b means b depends
// on a. It knows nothing of models: the compiler fills it, selection walks it.
type Graph struct {
	ids      []string
	index    map[string]int
	parents  [][]int
	children [][]int

	order    []string // computed once edges are in
	orderErr error
	ordered  bool
}

// NewGraph returns a graph of the given node ids, sorted so that every walk
// is deterministic.
func NewGraph(ids []string) *Graph {
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	g := &Graph{ids: sorted, index: make(map[string]int, len(sorted))}
	for i, id := range sorted {
		g.index[id] = i
	}
	g.parents = make([][]int, len(sorted))
	g.children = make([][]int, len(sorted))
	return g
}

// Edge records that to depends on from. Repeated edges are kept once.
func (g *Graph) Edge(from, to string) {
	g.ordered = false
	f, t := g.index[from], g.index[to]
	for _, p := range g.parents[t] {
		if p == f {
			return
		}
	}
	g.parents[t] = append(g.parents[t], f)
	g.children[f] = append(g.children[f], t)
}

// Has reports whether id is a node.
func (g *Graph) Has(id string) bool { _, ok := g.index[id]; return ok }

// IDs returns every node id, sorted.
func (g *Graph) IDs() []string { return g.ids }

// Parents returns the ids id depends on, sorted.
func (g *Graph) Parents(id string) []string { return g.names(g.parents[g.index[id]]) }

// Children returns the ids that depend on id, sorted.
func (g *Graph) Children(id string) []string { return g.names(g.children[g.index[id]]) }

func (g *Graph) names(idx []int) []string {
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = g.ids[n]
	}
	sort.Strings(out)
	return out
}

// Order returns the nodes in build order: every node after its parents,
// ties broken by id so the order is the same on every run. It fails with
// every cycle when the graph has any. The order is computed once.
func (g *Graph) Order() ([]string, error) {
	if !g.ordered {
		g.order, g.orderErr = g.sort()
		g.ordered = true
	}
	return g.order, g.orderErr
}

func (g *Graph) sort() ([]string, error) {
	if cycles := g.Cycles(); len(cycles) > 0 {
		msgs := make([]string, len(cycles))
		for i, c := range cycles {
			msgs[i] = strings.Join(append(c, c[0]), " -> ")
		}
		return nil, &CycleError{Cycles: cycles, msg: "dependency cycle: " + strings.Join(msgs, "; ")}
	}
	indeg := make([]int, len(g.ids))
	for i := range g.ids {
		indeg[i] = len(g.parents[i])
	}
	// Ids are sorted, so a min-heap of indexes gives the smallest ready id.
	ready := &intHeap{}
	for i, d := range indeg {
		if d == 0 {
			ready.push(i)
		}
	}
	out := make([]string, 0, len(g.ids))
	for ready.len() > 0 {
		n := ready.pop()
		out = append(out, g.ids[n])
		for _, c := range g.children[n] {
			if indeg[c]--; indeg[c] == 0 {
				ready.push(c)
			}
		}
	}
	return out, nil
}

// CycleError lists each cycle, rotated to start at its smallest id.
type CycleError struct {
	Cycles [][]string
	msg    string
}

func (e *CycleError) Error() string { return e.msg }

// Cycles finds every strongly connected component that is a cycle (Tarjan),
// each rotated to start at its smallest id and following its edges, sorted.
func (g *Graph) Cycles() [][]string {
	n := len(g.ids)
	index, low := make([]int, n), make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var sccs [][]int
	counter := 0
	// Iterative Tarjan: a deep chain of 100,000 models must not blow the stack.
	type frame struct{ v, next int }
	for root := 0; root < n; root++ {
		if index[root] >= 0 {
			continue
		}
		frames := []frame{{root, 0}}
		index[root], low[root] = counter, counter
		counter++
		stack = append(stack, root)
		onStack[root] = true
		for len(frames) > 0 {
			f := &frames[len(frames)-1]
			if f.next < len(g.children[f.v]) {
				w := g.children[f.v][f.next]
				f.next++
				if index[w] < 0 {
					index[w], low[w] = counter, counter
					counter++
					stack = append(stack, w)
					onStack[w] = true
					frames = append(frames, frame{w, 0})
				} else if onStack[w] {
					low[f.v] = min(low[f.v], index[w])
				}
				continue
			}
			v := f.v
			frames = frames[:len(frames)-1]
			if len(frames) > 0 {
				p := frames[len(frames)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] == index[v] {
				var scc []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					scc = append(scc, w)
					if w == v {
						break
					}
				}
				if len(scc) > 1 || g.selfLoop(v) {
					sccs = append(sccs, scc)
				}
			}
		}
	}
	var out [][]string
	for _, scc := range sccs {
		out = append(out, g.cyclePath(scc))
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

func (g *Graph) selfLoop(v int) bool {
	for _, c := range g.children[v] {
		if c == v {
			return true
		}
	}
	return false
}

// cyclePath walks one cycle through the component, from its smallest member,
// always taking the smallest next member, so the message is stable.
func (g *Graph) cyclePath(scc []int) []string {
	in := map[int]bool{}
	start := scc[0]
	for _, v := range scc {
		in[v] = true
		if v < start {
			start = v
		}
	}
	// Breadth-first search for the shortest way back to start.
	prev := map[int]int{start: -1}
	queue := []int{start}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		kids := append([]int(nil), g.children[v]...)
		sort.Ints(kids)
		for _, c := range kids {
			if c == start {
				path := []string{}
				for x := v; x != -1; x = prev[x] {
					path = append([]string{g.ids[x]}, path...)
				}
				return path
			}
			if _, seen := prev[c]; !seen && in[c] {
				prev[c] = v
				queue = append(queue, c)
			}
		}
	}
	return []string{g.ids[start]}
}

type intHeap struct{ a []int }

func (h *intHeap) len() int { return len(h.a) }

func (h *intHeap) push(x int) {
	h.a = append(h.a, x)
	for i := len(h.a) - 1; i > 0; {
		p := (i - 1) / 2
		if h.a[p] <= h.a[i] {
			break
		}
		h.a[p], h.a[i] = h.a[i], h.a[p]
		i = p
	}
}

func (h *intHeap) pop() int {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.a) && h.a[l] < h.a[m] {
			m = l
		}
		if r < len(h.a) && h.a[r] < h.a[m] {
			m = r
		}
		if m == i {
			return top
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
}

// String is for debugging and tests.
func (g *Graph) String() string {
	var b strings.Builder
	for i, id := range g.ids {
		fmt.Fprintf(&b, "%s <- %s\n", id, strings.Join(g.names(g.parents[i]), ", "))
	}
	return b.String()
}
