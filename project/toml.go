package project

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// doc is one parsed TOML text: a file, a model's front matter, or a --set
// flag. Positions of keys are computed only when an error needs them, so that
// loading a large project pays for no position bookkeeping.
type doc struct {
	path       string // as shown in messages, relative to the project root
	data       []byte
	lineOffset int // lines before data in the file (front matter)

	once  sync.Once
	lines map[string]int
}

func parseDoc(path string, data []byte, lineOffset int) (*doc, map[string]any, error) {
	d := &doc{path: path, data: data, lineOffset: lineOffset}
	m := map[string]any{}
	if err := toml.Unmarshal(data, &m); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, col := de.Position()
			return d, nil, &FileError{Path: path, Line: line + lineOffset, Column: col, Err: errors.New(de.Error())}
		}
		return d, nil, &FileError{Path: path, Line: lineOffset + 1, Err: err}
	}
	return d, m, nil
}

// line returns the line in the file of the key at the dotted path, falling
// back to the nearest enclosing table that has a known line.
func (d *doc) line(path string) int {
	d.once.Do(d.index)
	if l, ok := d.lines[path+"[0]"]; ok { // an array of tables where a table was wanted
		return l + d.lineOffset
	}
	for p := path; ; {
		if l, ok := d.lines[p]; ok {
			return l + d.lineOffset
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			return d.lineOffset + 1
		}
		p = p[:i]
	}
}

// index records the line of every key, table header and array-table entry.
// Array-table entries are numbered in order: tests[0], tests[1], ...
func (d *doc) index() {
	d.lines = map[string]int{}
	counts := map[string]int{}
	var p unstable.Parser
	p.Reset(d.data)
	prefix := ""
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			key, line := d.keyOf(&p, e.Key())
			if e.Kind == unstable.ArrayTable {
				n := counts[key]
				counts[key] = n + 1
				key = fmt.Sprintf("%s[%d]", key, n)
			}
			prefix = key
			d.lines[key] = line
		case unstable.KeyValue:
			key, line := d.keyOf(&p, e.Key())
			full := join(prefix, key)
			d.lines[full] = line
			d.indexValue(&p, full, e.Value())
		}
	}
}

func (d *doc) indexValue(p *unstable.Parser, path string, v *unstable.Node) {
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			kv := it.Node()
			key, line := d.keyOf(p, kv.Key())
			d.lines[join(path, key)] = line
			d.indexValue(p, join(path, key), kv.Value())
		}
	case unstable.Array:
		it := v.Children()
		for i := 0; it.Next(); i++ {
			elem := fmt.Sprintf("%s[%d]", path, i)
			if r := it.Node().Raw; r.Length > 0 {
				d.lines[elem] = p.Shape(r).Start.Line
			}
			d.indexValue(p, elem, it.Node())
		}
	}
}

func (d *doc) keyOf(p *unstable.Parser, it unstable.Iterator) (string, int) {
	var parts []string
	line := 0
	for it.Next() {
		n := it.Node()
		parts = append(parts, string(n.Data))
		if line == 0 && n.Raw.Length > 0 {
			line = p.Shape(n.Raw).Start.Line
		}
	}
	return strings.Join(parts, "."), line
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// table is a TOML table of a doc at a key path, with typed getters that
// record errors at the right line instead of failing on the first one.
type table struct {
	doc  *doc
	path string
	m    map[string]any
	errs *ErrorList
}

func (t table) at(key string) string { return join(t.path, key) }

func (t table) errorf(key string, format string, args ...any) {
	*t.errs = append(*t.errs, &FileError{Path: t.doc.path, Line: t.doc.line(t.at(key)), Err: fmt.Errorf(format, args...)})
}

// keys reports every key of the table not in allowed, with a suggestion.
func (t table) keys(allowed ...string) {
	for _, k := range sortedKeys(t.m) {
		if !slices.Contains(allowed, k) {
			t.unknown(k, allowed)
		}
	}
}

func (t table) unknown(key string, allowed []string) {
	where := "here"
	if t.path != "" {
		where = "in [" + t.path + "]"
	}
	if s := Suggest(key, allowed); s != "" {
		t.errorf(key, "unknown key `%s` %s; did you mean `%s`?", key, where, s)
		return
	}
	t.errorf(key, "unknown key `%s` %s; known keys: %s", key, where, strings.Join(allowed, ", "))
}

func (t table) has(key string) bool { _, ok := t.m[key]; return ok }

func (t table) sub(key string) (table, bool) {
	v, ok := t.m[key]
	if !ok {
		return table{}, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.errorf(key, "`%s` must be a table, got %s", key, typeName(v))
		return table{}, false
	}
	return table{doc: t.doc, path: t.at(key), m: m, errs: t.errs}, true
}

func (t table) str(key string) *string {
	v, ok := t.m[key]
	if !ok {
		return nil
	}
	switch x := v.(type) {
	case string:
		return &x
	case toml.LocalDate:
		s := x.String()
		return &s
	case toml.LocalDateTime:
		s := x.String()
		return &s
	case time.Time:
		s := x.Format(time.RFC3339)
		return &s
	}
	t.errorf(key, "`%s` must be a string, got %s", key, typeName(v))
	return nil
}

func (t table) oneOf(key string, values ...string) *string {
	s := t.str(key)
	if s != nil && !slices.Contains(values, *s) {
		if sug := Suggest(*s, values); sug != "" {
			t.errorf(key, "`%s` = %q is not valid; did you mean %q?", key, *s, sug)
		} else {
			t.errorf(key, "`%s` = %q is not valid; use one of %s", key, *s, quoteList(values))
		}
		return nil
	}
	return s
}

func (t table) integer(key string) *int64 {
	v, ok := t.m[key]
	if !ok {
		return nil
	}
	switch x := v.(type) {
	case int64:
		return &x
	case float64:
		if x == math.Trunc(x) {
			n := int64(x)
			return &n
		}
	}
	t.errorf(key, "`%s` must be a whole number, got %s", key, typeName(v))
	return nil
}

func (t table) boolean(key string) *bool {
	v, ok := t.m[key]
	if !ok {
		return nil
	}
	if b, ok := v.(bool); ok {
		return &b
	}
	t.errorf(key, "`%s` must be true or false, got %s", key, typeName(v))
	return nil
}

// strings accepts a list of strings, or a single string as a list of one.
func (t table) strings(key string) *[]string {
	v, ok := t.m[key]
	if !ok {
		return nil
	}
	switch x := v.(type) {
	case string:
		return &[]string{x}
	case []any:
		out := make([]string, 0, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				t.errorf(fmt.Sprintf("%s[%d]", key, i), "`%s` must be a list of strings; item %d is %s", key, i+1, typeName(e))
				return nil
			}
			out = append(out, s)
		}
		return &out
	}
	t.errorf(key, "`%s` must be a list of strings, got %s", key, typeName(v))
	return nil
}

// tables returns the entries of an array of tables.
func (t table) tables(key string) ([]table, bool) {
	v, ok := t.m[key]
	if !ok {
		return nil, false
	}
	var list []any
	switch x := v.(type) {
	case []any:
		list = x
	case []map[string]any:
		for _, m := range x {
			list = append(list, m)
		}
	default:
		t.errorf(key, "`%s` must be an array of tables ([[%s]]), got %s", key, key, typeName(v))
		return nil, true
	}
	out := make([]table, 0, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			t.errorf(key, "`%s` must be an array of tables ([[%s]]); item %d is %s", key, key, i+1, typeName(e))
			continue
		}
		out = append(out, table{doc: t.doc, path: fmt.Sprintf("%s[%d]", t.at(key), i), m: m, errs: t.errs})
	}
	return out, true
}

func typeName(v any) string {
	switch x := v.(type) {
	case string:
		return "a string " + strconv.Quote(x)
	case int64:
		return "a number " + strconv.FormatInt(x, 10)
	case float64:
		return "a number " + strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return "a boolean " + strconv.FormatBool(x)
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("a %T", v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}
