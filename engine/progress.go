package engine

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/etl-dev/etl/compiler"
)

// progress prints one line per finished node (or window) and a summary, for a
// person or, with --log-format json, as JSON lines for a machine.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	json  bool
	total int
	index int
	name  int  // width of the name column
	tests bool // etl test: tests are numbered lines of their own
}

func newProgress(w io.Writer, asJSON bool, total int, names []string) *progress {
	p := &progress{w: w, json: asJSON, total: total}
	for _, n := range names {
		p.name = max(p.name, len(n))
	}
	return p
}

func (p *progress) emit(v map[string]any) {
	data, _ := json.Marshal(v)
	fmt.Fprintf(p.w, "%s\n", data)
}

func (p *progress) header(project string, opts Options, nodes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	when := ""
	switch {
	case !opts.Start.IsZero():
		when = fmt.Sprintf("windows in [%s, %s)", opts.Start.Format(time.RFC3339), opts.End.Format(time.RFC3339))
	case !opts.Trigger.IsZero():
		when = "trigger " + opts.Trigger.Format(time.RFC3339)
	}
	if opts.FullRefresh {
		when += ", full refresh"
	}
	if opts.FillGaps {
		when += ", missing windows only"
	}
	if p.json {
		p.emit(map[string]any{"event": "start", "command": opts.Command, "project": project, "nodes": nodes, "when": when, "time": time.Now().UTC().Format(time.RFC3339Nano)})
		return
	}
	what := "node"
	if p.tests {
		what = "test"
	}
	fmt.Fprintf(p.w, "etl %s: %s, %d %s", opts.Command, project, nodes, plural(nodes, what))
	if when != "" {
		fmt.Fprintf(p.w, ", %s", when)
	}
	fmt.Fprintln(p.w)
}

var statusWords = map[string]string{StatusSuccess: "OK", StatusError: "ERROR", StatusSkipped: "SKIP", StatusWarn: "WARN"}

func (p *progress) node(res *Result, w compiler.Window) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.nodeLocked(res, w)
	tests := res.tests
	p.mu.Unlock()
	for _, t := range tests {
		p.test(t)
	}
}

func (p *progress) nodeLocked(res *Result, w compiler.Window) {
	p.index++
	if p.json {
		v := map[string]any{"event": "node", "index": p.index, "total": p.total, "node": res.Node, "kind": res.Kind,
			"status": res.Status, "rows": res.Rows, "seconds": round(res.Seconds)}
		if !w.IsZero() {
			v["window"] = windowJSON(w)
		}
		if res.Error != "" {
			v["error"] = res.Error
		}
		if len(res.Warnings) > 0 {
			v["warnings"] = res.Warnings
		}
		p.emit(v)
		return
	}
	status := statusWords[res.Status]
	if status == "OK" && len(res.Warnings) > 0 {
		status = "WARN"
	}
	width := len(fmt.Sprint(p.total))
	var b strings.Builder
	fmt.Fprintf(&b, "%*d/%d %-5s %-*s", width, p.index, p.total, status, p.name, res.Node)
	if !w.IsZero() {
		fmt.Fprintf(&b, " %s", w)
	}
	switch res.Status {
	case StatusSkipped:
		fmt.Fprintf(&b, " (%s)", res.Error)
	case StatusError:
		fmt.Fprintf(&b, " %.2fs", res.Seconds)
	default:
		if res.Kind == "model" || res.Kind == "seed" {
			if res.Rows > 0 || res.Partitions > 0 || w.IsZero() && res.Kind == "seed" {
				fmt.Fprintf(&b, " %s %s", thousands(res.Rows), plural64(res.Rows, "row"))
			}
		}
		fmt.Fprintf(&b, " %.2fs", res.Seconds)
	}
	fmt.Fprintln(p.w, b.String())
	for _, warning := range res.Warnings {
		fmt.Fprintf(p.w, "%*s warning: %s\n", width*2+2, "", warning)
	}
}

// test prints a data or singular test's outcome, indented under its model
// in a build, numbered in etl test.
func (p *progress) test(res *Result) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		v := map[string]any{"event": "test", "test": res.Node, "status": res.Status, "failures": res.Failures, "seconds": round(res.Seconds)}
		if res.When != "" {
			v["when"] = res.When
		}
		if res.Error != "" {
			v["error"] = res.Error
		}
		if len(res.Sample) > 0 {
			v["sample"] = res.Sample
		}
		p.emit(v)
		return
	}
	word := map[string]string{StatusSuccess: "PASS", StatusError: "FAIL", StatusWarn: "WARN", StatusSkipped: "SKIP"}[res.Status]
	width := len(fmt.Sprint(p.total))
	var b strings.Builder
	if p.tests {
		p.index++
		fmt.Fprintf(&b, "%*d/%d %-5s %s", width, p.index, p.total, word, res.Node)
	} else {
		fmt.Fprintf(&b, "%*s %-5s %s", width*2+1, "", word, res.Node)
	}
	if res.When != "" {
		fmt.Fprintf(&b, " (%s)", res.When)
	}
	if res.Error != "" {
		fmt.Fprintf(&b, ": %s", res.Error)
	}
	fmt.Fprintf(&b, " %.2fs", res.Seconds)
	fmt.Fprintln(p.w, b.String())
	for _, row := range res.Sample {
		fmt.Fprintf(p.w, "%*s   %s\n", width*2+1, "", row)
	}
	if res.Failures > int64(len(res.Sample)) && len(res.Sample) > 0 {
		fmt.Fprintf(p.w, "%*s   ... and %s more\n", width*2+1, "", thousands(res.Failures-int64(len(res.Sample))))
	}
}

func (p *progress) warn(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		p.emit(map[string]any{"event": "warning", "message": msg})
		return
	}
	fmt.Fprintf(p.w, "warning: %s\n", msg)
}

func (p *progress) summary(results []*Result, elapsed time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	counts, tests := map[string]int{}, map[string]int{}
	for _, r := range results {
		if r.Kind == "test" {
			tests[r.Status]++
		} else {
			counts[r.Status]++
		}
	}
	if p.json {
		p.emit(map[string]any{"event": "done", "ok": counts[StatusSuccess], "warn": counts[StatusWarn], "error": counts[StatusError], "skipped": counts[StatusSkipped],
			"tests_passed": tests[StatusSuccess], "tests_warned": tests[StatusWarn], "tests_failed": tests[StatusError], "seconds": round(elapsed.Seconds())})
		return
	}
	var parts []string
	if !p.tests {
		parts = append(parts, fmt.Sprintf("%d ok", counts[StatusSuccess]))
		if counts[StatusWarn] > 0 {
			parts = append(parts, fmt.Sprintf("%d with warnings", counts[StatusWarn]))
		}
		if counts[StatusError] > 0 {
			parts = append(parts, fmt.Sprintf("%d failed", counts[StatusError]))
		}
		if counts[StatusSkipped] > 0 {
			parts = append(parts, fmt.Sprintf("%d skipped", counts[StatusSkipped]))
		}
	}
	if n := tests[StatusSuccess] + tests[StatusWarn] + tests[StatusError]; n > 0 || p.tests {
		t := fmt.Sprintf("%d %s passed", tests[StatusSuccess], plural(tests[StatusSuccess], "test"))
		if tests[StatusWarn] > 0 {
			t += fmt.Sprintf(", %d warned", tests[StatusWarn])
		}
		if tests[StatusError] > 0 {
			t += fmt.Sprintf(", %d failed", tests[StatusError])
		}
		if tests[StatusSkipped] > 0 {
			t += fmt.Sprintf(", %d skipped", tests[StatusSkipped])
		}
		parts = append(parts, t)
	}
	fmt.Fprintf(p.w, "Done in %.2fs: %s.\n", elapsed.Seconds(), strings.Join(parts, "; "))
	for _, r := range results {
		if r.Status == StatusError {
			fmt.Fprintf(p.w, "error: %s\n", r.Error)
		}
	}
}

func round(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func plural64(n int64, word string) string { return plural(int(min(n, 2)), word) }

// thousands formats 1234567 as 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
