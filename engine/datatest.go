package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/project"
)

// check is one data test compiled to a query that returns the failing rows.
type check struct {
	name     string
	severity string
	query    string
	path     string
}

// sampleRows is how many failing rows a failed test shows.
const sampleRows = 5

// scope is what a model's tests check: the relation of its rows, and, for
// an incremental model's new rows, the rows of the dataset that stay, so
// that uniqueness holds across the whole dataset.
type scope struct {
	rel  string // the rows under test, a relation
	rest string // rows of the dataset that stay beside them; "" when none
	// skipRest lists column sets for which rest cannot collide with rel
	// (they hold the date partition key, or the merge key).
	skipRest [][]string
}

// checks compiles the data tests of a model or source against a scope.
// uniqueKey adds the implicit uniqueness test of a merge model.
func (r *runner) checks(owner string, tests []project.Test, uniqueKey []string, sc scope) ([]check, error) {
	if len(uniqueKey) > 0 && !hasUnique(tests, uniqueKey) {
		tests = append([]project.Test{{Type: "unique", Columns: uniqueKey, Severity: "error"}}, tests...)
	}
	var out []check
	for _, t := range tests {
		q, name, err := r.testQuery(t, sc)
		if err != nil {
			return nil, &project.FileError{Path: t.File, Line: t.Line(), Err: fmt.Errorf("%s test: %w", t.Type, err)}
		}
		out = append(out, check{name: owner + "." + name, severity: t.Severity, query: q, path: t.File})
	}
	return out, nil
}

func (r *runner) testQuery(t project.Test, sc scope) (query, name string, err error) {
	q := r.d.Quote
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = q(c)
	}
	switch t.Type {
	case "not_null":
		conds := make([]string, len(cols))
		for i, c := range cols {
			conds[i] = c + " IS NULL"
		}
		return fmt.Sprintf("SELECT * FROM %s WHERE %s", sc.rel, strings.Join(conds, " OR ")),
			fmt.Sprintf("not_null(%s)", strings.Join(t.Columns, ", ")), nil
	case "unique":
		list := r.columnList(t.Columns)
		rows := sc.rel
		if sc.rest != "" && !covers(sc.skipRest, t.Columns) {
			// New rows against the rows that stay: only those sharing a
			// value with a new row are read into the count.
			rows = fmt.Sprintf("(SELECT %s FROM %s UNION ALL SELECT %s FROM %s WHERE (%s) IN (SELECT %s FROM %s))",
				list, sc.rel, list, sc.rest, list, list, sc.rel)
		}
		return fmt.Sprintf("SELECT %s, count(*) AS duplicates FROM %s GROUP BY %s HAVING count(*) > 1", list, rows, list),
			fmt.Sprintf("unique(%s)", strings.Join(t.Columns, ", ")), nil
	case "accepted_values":
		vals := make([]string, len(t.Values))
		for i, v := range t.Values {
			if vals[i], err = sqlLiteral(v); err != nil {
				return "", "", err
			}
		}
		return fmt.Sprintf("SELECT * FROM %s WHERE %s NOT IN (%s)", sc.rel, q(t.Column), strings.Join(vals, ", ")),
			fmt.Sprintf("accepted_values(%s)", t.Column), nil
	case "relationships":
		to, err := r.c.Relation(t.To)
		if err != nil {
			return "", "", err
		}
		return fmt.Sprintf("SELECT * FROM %s c WHERE c.%s IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %s p WHERE p.%s = c.%s)",
				sc.rel, q(t.Column), to, q(t.Field), q(t.Column)),
			fmt.Sprintf("relationships(%s -> %s.%s)", t.Column, t.To, t.Field), nil
	case "expression":
		return fmt.Sprintf("SELECT * FROM %s WHERE (%s) IS NOT TRUE", sc.rel, t.Expression),
			fmt.Sprintf("expression(%s)", t.Expression), nil
	case "row_count":
		var conds []string
		if t.Min != nil {
			conds = append(conds, fmt.Sprintf("count(*) < %d", *t.Min))
		}
		if t.Max != nil {
			conds = append(conds, fmt.Sprintf("count(*) > %d", *t.Max))
		}
		return fmt.Sprintf("SELECT count(*) AS row_count FROM %s HAVING %s", sc.rel, strings.Join(conds, " OR ")),
			"row_count" + bounds(t.Min, t.Max), nil
	}
	return "", "", fmt.Errorf("unknown test type %q", t.Type)
}

func hasUnique(tests []project.Test, cols []string) bool {
	for _, t := range tests {
		if t.Type == "unique" && strings.Join(t.Columns, ",") == strings.Join(cols, ",") {
			return true
		}
	}
	return false
}

func bounds(lo, hi *int64) string {
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf("(%d..%d)", *lo, *hi)
	case lo != nil:
		return fmt.Sprintf("(>= %d)", *lo)
	case hi != nil:
		return fmt.Sprintf("(<= %d)", *hi)
	}
	return ""
}

// covers reports whether some column set in sets is within cols.
func covers(sets [][]string, cols []string) bool {
	for _, set := range sets {
		all := len(set) > 0
		for _, c := range set {
			found := false
			for _, x := range cols {
				found = found || x == c
			}
			all = all && found
		}
		if all {
			return true
		}
	}
	return false
}

func sqlLiteral(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'", nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("value %v: use strings, numbers or booleans", v)
}

// runChecks runs each check and returns its result, and how many
// error-severity checks failed. Callers print the results where they belong:
// under a model's line in a build, one a line in etl test.
func (r *runner) runChecks(ctx context.Context, s Session, checks []check, w compiler.Window, when string) (results []*Result, failed int) {
	for _, ch := range checks {
		start := time.Now()
		res := &Result{Node: ch.name, Kind: "test", Path: ch.path, Status: StatusSuccess, Window: windowJSON(w)}
		n, err := count(ctx, s, ch.query)
		switch {
		case err != nil:
			res.Status, res.Error = StatusError, err.Error()
			failed++
		case n > 0:
			res.Failures = n
			res.Status = StatusError
			if ch.severity == "warn" {
				res.Status = StatusWarn
			} else {
				failed++
			}
			res.Error = fmt.Sprintf("%s %s", thousands(n), plural64(n, "failing row"))
			if rows, err := s.Query(ctx, fmt.Sprintf("SELECT * FROM (%s) LIMIT %d", ch.query, sampleRows)); err == nil {
				res.Sample = sample(rows)
			}
		}
		res.Seconds = time.Since(start).Seconds()
		res.When = when
		results = append(results, res)
	}
	return results, failed
}

// sample turns rows into "col=value" lines for output and run_results.json.
func sample(rows *Rows) []string {
	out := make([]string, 0, len(rows.Values))
	for _, row := range rows.Values {
		parts := make([]string, len(row))
		for i, v := range row {
			val := FormatValue(v)
			if str, ok := v.(string); ok {
				val = strconv.Quote(str) // a failing value may be "" or " x"
			}
			parts[i] = rows.Columns[i] + "=" + val
		}
		out = append(out, strings.Join(parts, ", "))
	}
	return out
}

// FormatValue renders a value of a result for people: midnight times as
// dates, NULL as NULL.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05.999999")
	case []byte:
		return fmt.Sprintf("%x", x)
	}
	return fmt.Sprint(v)
}
