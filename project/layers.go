package project

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// A layer is what one place of config says: the project file, an [env.X]
// overlay, a --set flag. Unset keys are nil so that layers merge by precedence.
type layer struct {
	name, dataDir, targetDir, start *string
	window                          windowLayer
	vars                            map[string]any
	varsAt                          map[string]table // where each var was set, for errors
	sources                         map[string]*sourceLayer
	sourceOrder                     []string
	models                          *folder
	engine                          engineLayer
}

type windowLayer struct {
	grain, timezone *string
	delay           *time.Duration
	lookback        *int64
	loc             *time.Location
}

type engineLayer struct {
	memoryLimit, tempDirectory *string
	threads                    *int64
}

type sourceLayer struct {
	path, format, timeColumn, timePartition *string
	tests                                   *[]Test
	doc                                     *doc
	at                                      string
}

// folder is the model defaults of [models] or [models.a.b], with its sub-folders.
type folder struct {
	cfg modelLayer
	sub map[string]*folder
	t   table
}

type modelLayer struct {
	materialized, strategy, timeColumn, grain, timezone, start, transform *string
	delay                                                                 *time.Duration
	lookback                                                              *int64
	enabled                                                               *bool
	partitionBy, uniqueKey, tags, inputs                                  *[]string
	tests                                                                 *[]Test
	loc                                                                   *time.Location
}

var (
	projectKeys = []string{"name", "data_dir", "target_dir", "start", "window", "vars", "sources", "models", "engine", "env"}
	windowKeys  = []string{"grain", "delay", "lookback", "timezone"}
	engineKeys  = []string{"memory_limit", "threads", "temp_directory"}
	sourceKeys  = []string{"path", "format", "time_column", "time_partition", "tests"}
	modelKeys   = []string{"materialized", "strategy", "time_column", "partition_by", "unique_key", "grain", "delay", "lookback", "timezone", "start", "tags", "enabled", "transform", "inputs", "tests"}
	testKeys    = []string{"type", "severity", "columns", "column", "values", "to", "field", "expression", "min", "max"}
	grains      = []string{"hour", "day", "week", "month"}
	formats     = []string{"parquet", "csv", "json"}
)

// decodeLayer reads the project-level keys of t. The project file's root may
// hold [env.X] tables; overlays may not nest them.
func decodeLayer(t table, root bool) *layer {
	allowed := projectKeys
	if !root {
		allowed = projectKeys[:len(projectKeys)-1]
	}
	t.keys(allowed...)
	l := &layer{
		name:      t.str("name"),
		dataDir:   t.str("data_dir"),
		targetDir: t.str("target_dir"),
		start:     t.str("start"),
	}
	if l.start != nil {
		if _, err := parseStart(*l.start, time.UTC); err != nil {
			t.errorf("start", "%v", err)
		}
	}
	if w, ok := t.sub("window"); ok {
		w.keys(windowKeys...)
		l.window = windowLayer{
			grain:    w.oneOf("grain", grains...),
			delay:    duration(w, "delay"),
			lookback: lookback(w),
			timezone: w.str("timezone"),
		}
		l.window.loc = location(w, l.window.timezone)
	}
	if v, ok := t.sub("vars"); ok {
		l.vars, l.varsAt = map[string]any{}, map[string]table{}
		for k, val := range v.m {
			l.vars[k] = normalize(val)
			l.varsAt[k] = v
		}
	}
	if e, ok := t.sub("engine"); ok {
		e.keys(engineKeys...)
		l.engine = engineLayer{memoryLimit: e.str("memory_limit"), tempDirectory: e.str("temp_directory"), threads: e.integer("threads")}
		if l.engine.threads != nil && *l.engine.threads < 1 {
			e.errorf("threads", "`threads` must be at least 1")
		}
	}
	if s, ok := t.sub("sources"); ok {
		l.sources = map[string]*sourceLayer{}
		for _, name := range sortedKeys(s.m) {
			st, ok := s.sub(name)
			if !ok {
				continue
			}
			st.keys(sourceKeys...)
			l.sources[name] = &sourceLayer{
				path:          st.str("path"),
				format:        st.oneOf("format", formats...),
				timeColumn:    st.str("time_column"),
				timePartition: st.str("time_partition"),
				tests:         decodeTests(st),
				doc:           st.doc,
				at:            st.path,
			}
			l.sourceOrder = append(l.sourceOrder, name)
		}
	}
	if m, ok := t.sub("models"); ok {
		l.models = decodeFolder(m)
	}
	return l
}

func decodeFolder(t table) *folder {
	f := &folder{t: t, sub: map[string]*folder{}}
	own := map[string]any{}
	for k, v := range t.m {
		if slices.Contains(modelKeys, k) {
			own[k] = v
			continue
		}
		if _, isTable := v.(map[string]any); isTable {
			sub, _ := t.sub(k)
			f.sub[k] = decodeFolder(sub)
			continue
		}
		t.unknown(k, modelKeys)
	}
	f.cfg = decodeModel(table{doc: t.doc, path: t.path, m: own, errs: t.errs})
	return f
}

func decodeModel(t table) modelLayer {
	t.keys(modelKeys...)
	m := modelLayer{
		materialized: t.oneOf("materialized", View, Table, Incremental),
		strategy:     t.oneOf("strategy", Overwrite, Merge),
		timeColumn:   t.str("time_column"),
		grain:        t.oneOf("grain", grains...),
		delay:        duration(t, "delay"),
		lookback:     lookback(t),
		timezone:     t.str("timezone"),
		start:        t.str("start"),
		transform:    t.str("transform"),
		enabled:      t.boolean("enabled"),
		partitionBy:  t.strings("partition_by"),
		uniqueKey:    t.strings("unique_key"),
		tags:         t.strings("tags"),
		inputs:       t.strings("inputs"),
		tests:        decodeTests(t),
	}
	m.loc = location(t, m.timezone)
	if m.start != nil {
		if _, err := parseStart(*m.start, time.UTC); err != nil {
			t.errorf("start", "%v", err)
		}
	}
	return m
}

func (m *modelLayer) apply(o modelLayer) {
	set(&m.materialized, o.materialized)
	set(&m.strategy, o.strategy)
	set(&m.timeColumn, o.timeColumn)
	set(&m.grain, o.grain)
	set(&m.timezone, o.timezone)
	set(&m.loc, o.loc)
	set(&m.start, o.start)
	set(&m.transform, o.transform)
	set(&m.delay, o.delay)
	set(&m.lookback, o.lookback)
	set(&m.enabled, o.enabled)
	set(&m.partitionBy, o.partitionBy)
	set(&m.uniqueKey, o.uniqueKey)
	set(&m.tags, o.tags)
	set(&m.inputs, o.inputs)
	if o.tests != nil {
		// Tests add up through the layers: a folder's tests apply to each of
		// its models beside the model's own.
		all := append(append([]Test(nil), deref2(m.tests)...), *o.tests...)
		m.tests = &all
	}
}

func deref2[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}

func set[T any](dst **T, src *T) {
	if src != nil {
		*dst = src
	}
}

func decodeTests(t table) *[]Test {
	list, ok := t.tables("tests")
	if !ok {
		return nil
	}
	tests := make([]Test, 0, len(list))
	for _, tt := range list {
		tt.keys(testKeys...)
		test := Test{File: tt.doc.path, doc: tt.doc, path: tt.path, Severity: "error"}
		typ := tt.oneOf("type", TestTypes...)
		if typ == nil {
			if !tt.has("type") {
				tt.errorf("type", "a test needs `type`, one of %s", quoteList(TestTypes))
			}
			continue
		}
		test.Type = *typ
		if s := tt.oneOf("severity", "error", "warn"); s != nil {
			test.Severity = *s
		}
		if c := tt.strings("columns"); c != nil {
			test.Columns = *c
		}
		if c := tt.str("column"); c != nil {
			test.Column = *c
		}
		if v, ok := tt.m["values"].([]any); ok {
			test.Values = v
		} else if tt.has("values") {
			tt.errorf("values", "`values` must be a list")
		}
		if s := tt.str("to"); s != nil {
			test.To = *s
		}
		if s := tt.str("field"); s != nil {
			test.Field = *s
		}
		if s := tt.str("expression"); s != nil {
			test.Expression = *s
		}
		test.Min, test.Max = tt.integer("min"), tt.integer("max")
		need := func(key string, ok bool) {
			if !ok {
				tt.errorf("type", "a %s test needs `%s`", test.Type, key)
			}
		}
		switch test.Type {
		case "not_null", "unique":
			need("columns", len(test.Columns) > 0)
		case "accepted_values":
			need("column", test.Column != "")
			need("values", len(test.Values) > 0)
		case "relationships":
			need("column", test.Column != "")
			need("to", test.To != "")
			need("field", test.Field != "")
		case "expression":
			need("expression", test.Expression != "")
		case "row_count":
			need("min` or `max", test.Min != nil || test.Max != nil)
		}
		tests = append(tests, test)
	}
	return &tests
}

func duration(t table, key string) *time.Duration {
	s := t.str(key)
	if s == nil {
		return nil
	}
	d, err := ParseDuration(*s)
	if err != nil {
		t.errorf(key, "%v", err)
		return nil
	}
	return &d
}

// ParseDuration reads a delay: Go durations ("4h", "90m", "1h30m") plus whole
// days ("1d", "2d6h").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var days int64
	if i := strings.IndexByte(s, 'd'); i > 0 {
		if _, err := fmt.Sscanf(s[:i], "%d", &days); err != nil || fmt.Sprint(days) != s[:i] {
			return 0, fmt.Errorf("cannot read duration %q; write it like \"4h\", \"90m\" or \"1d\"", s)
		}
		s = s[i+1:]
	}
	var d time.Duration
	if s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("cannot read duration %q; write it like \"4h\", \"90m\" or \"1d\"", s)
		}
	}
	d += time.Duration(days) * 24 * time.Hour
	if d < 0 {
		return 0, fmt.Errorf("duration %q must not be negative", s)
	}
	return d, nil
}

func lookback(t table) *int64 {
	n := t.integer("lookback")
	if n != nil && *n < 0 {
		t.errorf("lookback", "`lookback` must be 0 or more whole grains")
		return nil
	}
	return n
}

func location(t table, tz *string) *time.Location {
	if tz == nil {
		return nil
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil || *tz == "" || *tz == "Local" {
		t.errorf("timezone", "unknown time zone %q; use an IANA name such as \"UTC\" or \"Europe/Berlin\"", *tz)
		return nil
	}
	return loc
}

// parseStart reads a start date ("2026-01-01", read in loc) or an RFC 3339 time.
func parseStart(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05", s, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("cannot read start %q; write a date like \"2026-01-01\"", s)
}

// normalize turns TOML-specific values into plain Go values for templates.
func normalize(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case fmt.Stringer:
		return x.String()
	}
	return v
}
