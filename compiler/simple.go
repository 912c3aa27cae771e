package compiler

import (
	"fmt"
	"strconv"
	"strings"
)

// simple is a template whose every action is a plain call of one of etl's
// functions with at most one quoted argument, such as {{ ref "x" }} or
// {{- this -}}: most models. It is parsed and rendered without text/template,
// whose parse and reflective calls cost more than the rest of a compile.
// Anything else (if, range, pipelines, comments) is left to text/template;
// for what both accept, the output is the same.
type simple struct {
	parts []part
}

type part struct {
	text   string // literal text, when fn is ""
	fn     string
	arg    string
	hasArg bool
	pos    int // byte offset of fn, for errors
}

var funcSet = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range funcNames {
		m[f] = true
	}
	return m
}()

var needsArg = map[string]bool{"ref": true, "ref_full": true, "source": true, "source_full": true, "var": true}

// parseSimple returns the simple form of text, or false when text needs
// text/template.
func parseSimple(text string) (*simple, bool) {
	s := &simple{}
	i := 0
	trimNext := false
	for {
		j := strings.Index(text[i:], "{{")
		lit := text[i:]
		if j >= 0 {
			lit = text[i : i+j]
		}
		if trimNext {
			lit = strings.TrimLeft(lit, " \t\r\n")
		}
		if j < 0 {
			s.add(part{text: lit})
			return s, true
		}
		start := i + j + 2
		if len(text) > start+1 && text[start] == '-' && isSpace(text[start+1]) {
			lit = strings.TrimRight(lit, " \t\r\n")
			start++
		}
		s.add(part{text: lit})
		k := strings.Index(text[start:], "}}")
		if k < 0 {
			return nil, false
		}
		end := start + k
		body := text[start:end]
		trimNext = false
		if len(body) >= 2 && body[len(body)-1] == '-' && isSpace(body[len(body)-2]) {
			body = body[:len(body)-1]
			trimNext = true
		}
		lead := len(body) - len(strings.TrimLeft(body, " \t\r\n"))
		body = strings.TrimSpace(body)
		n := 0
		for n < len(body) && (body[n] == '_' || body[n] >= 'a' && body[n] <= 'z') {
			n++
		}
		fn, rest := body[:n], strings.TrimSpace(body[n:])
		if !funcSet[fn] || (n < len(body) && !isSpace(body[n])) {
			return nil, false
		}
		p := part{fn: fn, pos: start + lead}
		if rest != "" {
			if rest[0] != '"' && rest[0] != '`' {
				return nil, false
			}
			arg, err := strconv.Unquote(rest)
			if err != nil {
				return nil, false
			}
			p.arg, p.hasArg = arg, true
		}
		if p.hasArg != needsArg[fn] {
			return nil, false
		}
		s.parts = append(s.parts, p)
		i = end + 2
	}
}

func (s *simple) add(p part) {
	if p.text != "" {
		s.parts = append(s.parts, p)
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// execute renders the template with r, writing to b.
func (s *simple) execute(b *strings.Builder, r *renderer, text, path string) error {
	for _, p := range s.parts {
		if p.fn == "" {
			b.WriteString(p.text)
			continue
		}
		out, err := r.call(p.fn, p.arg)
		if err != nil {
			line, col := lineCol(text, p.pos)
			return positionedErr(path, line, col, err)
		}
		b.WriteString(out)
	}
	return nil
}

// call runs one template function by name, as the text/template funcs do.
func (r *renderer) call(fn, arg string) (string, error) {
	switch fn {
	case "ref", "ref_full", "source", "source_full":
		return r.relation(fn, arg)
	case "var":
		v, err := r.variable(arg)
		if err != nil {
			return "", err
		}
		return fmt.Sprint(v), nil
	case "window_start":
		return r.instant(r.w.Start, fn)
	case "window_end":
		return r.instant(r.w.End, fn)
	case "window_start_date":
		return r.date(r.w.Start, fn)
	case "window_end_date":
		return r.date(r.w.End, fn)
	case "trigger":
		return r.trigger()
	case "this":
		return r.this(), nil
	case "is_incremental":
		return strconv.FormatBool(r.isIncremental()), nil
	case "env":
		return r.c.Project.Env, nil
	}
	return "", fmt.Errorf("unknown template function %q", fn)
}

// lineCol returns the 1-based line and column of a byte offset.
func lineCol(text string, off int) (int, int) {
	before := text[:off]
	line := strings.Count(before, "\n") + 1
	return line, off - strings.LastIndexByte(before, '\n')
}
