package engine

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/project"
)

// LedgerEntry records that a model's window was built and published.
type LedgerEntry struct {
	Model   string    `json:"model"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Rows    int64     `json:"rows"`
	Run     string    `json:"run"`
	BuiltAt time.Time `json:"built_at"`
	Trigger time.Time `json:"trigger,omitzero"`
}

// Ledger is the record of every window each model has built, kept as JSON
// lines in <target_dir>/state/windows.jsonl. Appends of one line are atomic,
// so concurrent runs of different models can share it.
type Ledger struct {
	path string
	mu   sync.Mutex
}

// OpenLedger returns the ledger of a project's target folder.
func OpenLedger(targetDir string) *Ledger {
	return &Ledger{path: filepath.Join(targetDir, "state", "windows.jsonl")}
}

// Append records an entry.
func (l *Ledger) Append(e LedgerEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(l.path), 0o755); err != nil {
		return err
	}
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(l.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Entries returns every entry, oldest first. A line that cannot be read (a
// crash in the middle of an append) is skipped.
func (l *Ledger) Entries() ([]LedgerEntry, error) {
	f, err := os.Open(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []LedgerEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var e LedgerEntry
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Model != "" {
			out = append(out, e)
		}
	}
	return out, sc.Err()
}

// Span is a half-open interval of event time.
type Span struct {
	Start, End time.Time
}

func (s Span) String() string {
	return fmt.Sprintf("[%s, %s)", s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339))
}

// Built returns the event time each model has built, as sorted, merged spans.
func Built(entries []LedgerEntry) map[string][]Span {
	by := map[string][]Span{}
	for _, e := range entries {
		by[e.Model] = append(by[e.Model], Span{e.Start, e.End})
	}
	for m, spans := range by {
		by[m] = merge(spans)
	}
	return by
}

func merge(spans []Span) []Span {
	sort.Slice(spans, func(i, j int) bool { return spans[i].Start.Before(spans[j].Start) })
	var out []Span
	for _, s := range spans {
		if n := len(out); n > 0 && !s.Start.After(out[n-1].End) {
			if s.End.After(out[n-1].End) {
				out[n-1].End = s.End
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// Missing returns the whole windows of spec inside [from, to) that built
// does not cover: the gaps a backfill would fill.
func Missing(built []Span, from, to time.Time, spec project.Window) []compiler.Window {
	var out []compiler.Window
	for _, w := range compiler.WindowsBetween(from, to, spec) {
		covered := false
		for _, s := range built {
			if !s.Start.After(w.Start) && !s.End.Before(w.End) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, w)
		}
	}
	return out
}
