package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/project"
)

// UnitsFor returns the unit tests of the selected models.
func UnitsFor(c *compiler.Compiler, ids []string) []*project.UnitTest {
	in := map[string]bool{}
	for _, id := range ids {
		in[id] = true
	}
	var out []*project.UnitTest
	for _, u := range c.Project.UnitTests {
		if in[u.Model] {
			out = append(out, u)
		}
	}
	return out
}

// unit runs one unit test in its own session: the given rows become
// temporary tables that the model reads in place of its inputs, and what the
// model returns for the window is compared with the expected rows.
func (r *runner) unit(ctx context.Context, u *project.UnitTest) *Result {
	start := time.Now()
	res := &Result{Node: "unit:" + u.Name, Kind: "test", Path: u.Path, Status: StatusSuccess}
	diff, err := r.runUnit(ctx, u)
	switch {
	case err != nil:
		res.Status, res.Error = StatusError, fmt.Sprintf("%s: %v", u.Path, err)
	case diff != "":
		res.Status, res.Error = StatusError, diff
	}
	res.Seconds = time.Since(start).Seconds()
	r.prog.test(res)
	return res
}

func (r *runner) runUnit(ctx context.Context, u *project.UnitTest) (string, error) {
	n := r.c.Nodes[u.Model]
	m := n.Model
	trigger, err := compiler.ParseTime(u.Trigger, m.Window.Location, time.Now)
	if err != nil {
		return "", fmt.Errorf("trigger: %w", err)
	}
	w := compiler.WindowFor(trigger, m.Window)
	s, err := r.a.Session(ctx)
	if err != nil {
		return "", err
	}
	defer s.Close()
	if err := s.SetTimeZone(ctx, m.Window.Timezone); err != nil {
		return "", err
	}
	opts := compiler.Options{Trigger: trigger, Relations: map[string]string{}, Kinds: map[string]compiler.Kind{}, Vars: u.Vars}
	existing := false
	for i, g := range u.Given {
		name := fmt.Sprintf("etl_given_%d", i)
		q, err := rowsQuery(r.d, g.Rows)
		if err != nil {
			return "", fmt.Errorf("given %s: %w", g.Name(), err)
		}
		if _, err := s.Materialize(ctx, name, q); err != nil {
			return "", fmt.Errorf("given %s: %w", g.Name(), err)
		}
		id, col := n.ID, m.Config.TimeColumn
		switch {
		case g.Ref != "":
			id, col = g.Ref, ""
			if t := r.c.Nodes[g.Ref]; t.Model != nil {
				col = t.Model.Config.TimeColumn
			}
		case g.Source != "":
			id, col = compiler.SourceID(g.Source), r.c.Nodes[compiler.SourceID(g.Source)].Source.TimeColumn
		default:
			existing = true
		}
		opts.Relations[id] = r.d.Quote(name)
		if col != "" {
			if cols, err := s.Describe(ctx, fmt.Sprintf("SELECT %s FROM %s", r.d.Quote(col), r.d.Quote(name))); err == nil && len(cols) == 1 {
				opts.Kinds[id] = cols[0].Kind
			}
		}
	}
	for _, p := range n.Parents {
		if _, ok := opts.Relations[p]; !ok {
			t := r.c.Nodes[p]
			what := "ref = " + strconv.Quote(t.Name)
			if t.Source != nil {
				what = "source = " + strconv.Quote(t.Name)
			}
			return "", fmt.Errorf("%s reads %s but the test gives no rows for it: add [[given]] with %s", m.Name, t.ID, what)
		}
	}
	opts.Existing = func(string) bool { return existing }
	sql, err := r.c.Render(n.ID, w, opts)
	if err != nil {
		return "", err
	}
	if _, err := s.Materialize(ctx, "etl_actual", sql); err != nil {
		return "", fmt.Errorf("model %s: %w", m.Name, err)
	}
	actual := r.d.Quote("etl_actual")
	if m.Config.Materialized == project.Incremental {
		// What a build would write: rows outside the window are dropped.
		cols, err := s.Describe(ctx, "SELECT "+r.d.Quote(m.Config.TimeColumn)+" FROM "+actual)
		if err != nil {
			return "", fmt.Errorf("model %s: its output has no time_column %q", m.Name, m.Config.TimeColumn)
		}
		actual = fmt.Sprintf("(SELECT * FROM %s WHERE %s)", actual, compiler.TimePredicate(r.d, m.Config.TimeColumn, cols[0].Kind, w))
	}
	q, err := rowsQuery(r.d, u.Expect)
	if err != nil {
		return "", fmt.Errorf("expect: %w", err)
	}
	if _, err := s.Materialize(ctx, "etl_expected", q); err != nil {
		return "", fmt.Errorf("expect: %w", err)
	}
	return r.compare(ctx, s, u, actual, r.d.Quote("etl_expected"))
}

// compare renders both sides as text, the expected values cast to the types
// the model returns (so 1 and 1.0, or "2026-11-24" and a DATE, agree), and
// diffs them. Only the expected columns are compared.
func (r *runner) compare(ctx context.Context, s Session, u *project.UnitTest, actual, expected string) (string, error) {
	got, err := s.Describe(ctx, "SELECT * FROM "+actual)
	if err != nil {
		return "", err
	}
	want, err := s.Describe(ctx, "SELECT * FROM "+expected)
	if err != nil {
		return "", err
	}
	var names []string
	for _, c := range got {
		names = append(names, c.Name)
	}
	wanted := map[string]bool{}
	for _, c := range want {
		if c.Name == "etl_no_columns" {
			continue
		}
		wanted[c.Name] = true
		if !slices.Contains(names, c.Name) {
			return "", fmt.Errorf("expected column %q is not in the output of %s (its columns: %s)", c.Name, u.Model, strings.Join(names, ", "))
		}
	}
	// The expected columns, in the order the model returns them.
	var cols, castExp, castAct []string
	for _, c := range got {
		if !wanted[c.Name] {
			continue
		}
		q := r.d.Quote(c.Name)
		cols = append(cols, c.Name)
		castExp = append(castExp, fmt.Sprintf("CAST(CAST(%s AS %s) AS VARCHAR)", q, c.Type))
		castAct = append(castAct, fmt.Sprintf("CAST(%s AS VARCHAR)", q))
	}
	if len(cols) == 0 {
		castExp, castAct = []string{"'row'"}, []string{"'row'"}
		cols = []string{"(row)"}
	}
	exp, err := s.Query(ctx, fmt.Sprintf("SELECT %s FROM %s", strings.Join(castExp, ", "), expected))
	if err != nil {
		return "", fmt.Errorf("expect: %w", err)
	}
	act, err := s.Query(ctx, fmt.Sprintf("SELECT %s FROM %s", strings.Join(castAct, ", "), actual))
	if err != nil {
		return "", err
	}
	return rowDiff(u, cols, exp.Values, act.Values), nil
}

// rowDiff returns a readable diff of the rows (-expected +actual), or ""
// when they agree.
func rowDiff(u *project.UnitTest, cols []string, exp, act [][]any) string {
	widths := make([]int, len(cols))
	for i, c := range cols {
		widths[i] = len(c)
	}
	cell := func(v any) string {
		if v == nil {
			return "NULL"
		}
		return fmt.Sprint(v)
	}
	for _, rows := range [][][]any{exp, act} {
		for _, row := range rows {
			for i, v := range row {
				widths[i] = max(widths[i], len(cell(v)))
			}
		}
	}
	line := func(cells []string) string {
		parts := make([]string, len(cells))
		for i, c := range cells {
			parts[i] = fmt.Sprintf("%-*s", widths[i], c)
		}
		return strings.TrimRight(strings.Join(parts, " | "), " ") + "\n"
	}
	text := func(rows [][]any) string {
		lines := make([]string, len(rows))
		for i, row := range rows {
			cells := make([]string, len(row))
			for j, v := range row {
				cells[j] = cell(v)
			}
			lines[i] = line(cells)
		}
		if !u.Ordered {
			sort.Strings(lines)
		}
		return strings.Join(lines, "")
	}
	want, got := text(exp), text(act)
	if want == got {
		return ""
	}
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToChars(want, got)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), lines)
	var out strings.Builder
	missing, extra := 0, 0
	out.WriteString("    " + line(cols))
	for _, d := range diffs {
		prefix := "    "
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			prefix = "  - "
		case diffmatchpatch.DiffInsert:
			prefix = "  + "
		}
		for _, l := range strings.SplitAfter(d.Text, "\n") {
			if l == "" {
				continue
			}
			switch d.Type {
			case diffmatchpatch.DiffDelete:
				missing++
			case diffmatchpatch.DiffInsert:
				extra++
			}
			out.WriteString(prefix + l)
		}
	}
	head := fmt.Sprintf("unit test %s of %s (%s): %d expected %s missing, %d unexpected (-expected +actual)",
		u.Name, u.Model, u.Path, missing, plural(missing, "row"), extra)
	return head + "\n" + strings.TrimRight(out.String(), "\n")
}

// rowsQuery turns a unit test's rows into a query: inline rows as VALUES,
// with the union of their columns (a missing value is NULL), or a CSV file.
func rowsQuery(d compiler.Dialect, r project.Rows) (string, error) {
	if r.CSV != "" {
		return "SELECT * FROM " + d.Scan(r.CSV, "csv", false), nil
	}
	seen := map[string]bool{}
	var cols []string
	for _, row := range r.Rows {
		for k := range row {
			if !seen[k] {
				seen[k] = true
				cols = append(cols, k)
			}
		}
	}
	sort.Strings(cols)
	if len(cols) == 0 {
		return "SELECT 1 AS etl_no_columns WHERE false", nil
	}
	var tuples []string
	for _, row := range r.Rows {
		vals := make([]string, len(cols))
		for i, c := range cols {
			lit, err := literal(d, row[c])
			if err != nil {
				return "", fmt.Errorf("column %s: %w", c, err)
			}
			vals[i] = lit
		}
		tuples = append(tuples, "("+strings.Join(vals, ", ")+")")
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = d.Quote(c)
	}
	return fmt.Sprintf("SELECT * FROM (VALUES %s) AS t(%s)", strings.Join(tuples, ", "), strings.Join(quoted, ", ")), nil
}

func literal(d compiler.Dialect, v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "NULL", nil
	case time.Time:
		return d.Timestamp(x), nil
	case toml.LocalDate:
		return d.Date(x.AsTime(time.UTC)), nil
	case toml.LocalDateTime:
		// A local date-time is wall-clock time without a zone: UTC, as a
		// zone-less TIMESTAMP column holds it.
		return d.UTCTimestamp(x.AsTime(time.UTC)), nil
	case toml.LocalTime:
		return "TIME '" + x.String() + "'", nil
	}
	return sqlLiteral(v)
}
