package project

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pelletier/go-toml/v2"
	"golang.org/x/sync/errgroup"
)

// FileName marks a project root.
const FileName = "etl_project.toml"

// DefaultEnv is the environment name of a run without --env.
const DefaultEnv = "default"

// Options are the command-line layers of config.
type Options struct {
	Env     string   // --env: the [env.X] overlay to apply
	Vars    []string // --var NAME=VALUE
	Set     []string // --set key=value, dotted keys as in etl_project.toml
	Environ []string // os.Environ(), for ETL_VAR_<NAME>
}

// Load reads and validates the project rooted at dir. Every problem found is
// returned at once as an ErrorList of FileErrors.
func Load(dir string, opts Options) (*Project, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(root, FileName))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no %s in %s: pass the project folder with --project-dir, or create one with `etl init DIR`", FileName, dir)
		}
		return nil, err
	}
	var errs ErrorList
	pdoc, m, err := parseDoc(FileName, data, 0)
	if err != nil {
		return nil, err
	}
	rootT := table{doc: pdoc, m: m, errs: &errs}
	layers := []*layer{decodeLayer(rootT, true)}

	envName := DefaultEnv
	if opts.Env != "" {
		envName = opts.Env
		envs, _ := rootT.sub("env")
		et, ok := envs.sub(opts.Env)
		if envs.m == nil || !ok {
			var names []string
			if envs.m != nil {
				names = sortedKeys(envs.m)
			}
			msg := fmt.Sprintf("--env %s: no [env.%s] in %s", opts.Env, opts.Env, FileName)
			if s := Suggest(opts.Env, names); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			} else if len(names) > 0 {
				msg += "; environments defined: " + strings.Join(names, ", ")
			}
			return nil, errors.New(msg)
		}
		layers = append(layers, decodeLayer(et, false))
	} else if envs, ok := rootT.sub("env"); ok {
		for _, name := range sortedKeys(envs.m) {
			et, _ := envs.sub(name)
			decodeLayer(et, false) // validate overlays that are not applied too
		}
	}
	for _, kv := range opts.Set {
		l, err := setLayer(kv, &errs)
		if err != nil {
			return nil, err
		}
		layers = append(layers, l)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}

	p := &Project{
		Root:     root,
		Env:      envName,
		Vars:     map[string]any{},
		Sources:  map[string]*Source{},
		Models:   map[string]*Model{},
		Seeds:    map[string]*Seed{},
		disabled: map[string]string{},
		Window:   Window{Grain: "day", Timezone: "UTC", Location: time.UTC},
	}
	if err := p.merge(layers, rootT, opts, &errs); err != nil {
		return nil, err
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	p.loadModels(layers, &errs)
	p.loadSeedsAndTests(&errs)
	return p, errs.Err()
}

// setLayer turns --set key=value into a layer, reading the value as TOML
// when it parses and as a string otherwise (so --set data_dir=/tmp/x works).
func setLayer(kv string, errs *ErrorList) (*layer, error) {
	key, value, ok := strings.Cut(kv, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return nil, fmt.Errorf("--set %s: want key=value, such as --set window.lookback=2", kv)
	}
	text := key + " = " + value
	d, m, err := parseDoc("--set "+kv, []byte(text), 0)
	if err != nil {
		text = key + " = " + strconv.Quote(value)
		if d, m, err = parseDoc("--set "+kv, []byte(text), 0); err != nil {
			return nil, fmt.Errorf("--set %s: cannot read the key %q", kv, key)
		}
	}
	n := len(*errs)
	l := decodeLayer(table{doc: d, m: m, errs: errs}, false)
	for _, e := range (*errs)[n:] {
		if fe, ok := e.(*FileError); ok {
			fe.Line = 0
		}
	}
	return l, nil
}

func (p *Project) merge(layers []*layer, rootT table, opts Options, errs *ErrorList) error {
	var name, dataDir, targetDir, start *string
	w := windowLayer{}
	e := engineLayer{}
	sources := map[string]*sourceLayer{}
	var order []string
	for _, l := range layers {
		set(&name, l.name)
		set(&dataDir, l.dataDir)
		set(&targetDir, l.targetDir)
		set(&start, l.start)
		set(&w.grain, l.window.grain)
		set(&w.delay, l.window.delay)
		set(&w.lookback, l.window.lookback)
		set(&w.timezone, l.window.timezone)
		set(&w.loc, l.window.loc)
		set(&e.memoryLimit, l.engine.memoryLimit)
		set(&e.tempDirectory, l.engine.tempDirectory)
		set(&e.threads, l.engine.threads)
		for k, v := range l.vars {
			p.Vars[k] = v
		}
		for _, sname := range l.sourceOrder {
			s := l.sources[sname]
			cur, ok := sources[sname]
			if !ok {
				cur = &sourceLayer{doc: s.doc, at: s.at}
				sources[sname] = cur
				order = append(order, sname)
			}
			set(&cur.path, s.path)
			set(&cur.format, s.format)
			set(&cur.timeColumn, s.timeColumn)
			set(&cur.timePartition, s.timePartition)
			set(&cur.tests, s.tests)
		}
	}
	if name == nil || *name == "" {
		*errs = append(*errs, &FileError{Path: FileName, Line: 1, Err: errors.New("`name` is required: add name = \"my_project\" at the top")})
	} else {
		p.Name = *name
	}
	p.DataDir = p.abs(deref(dataDir, "data"))
	p.TargetDir = p.abs(deref(targetDir, "target"))
	if w.grain != nil {
		p.Window.Grain = *w.grain
	}
	if w.delay != nil {
		p.Window.Delay = *w.delay
	}
	if w.lookback != nil {
		p.Window.Lookback = int(*w.lookback)
	}
	if w.loc != nil {
		p.Window.Timezone, p.Window.Location = *w.timezone, w.loc
	}
	if start != nil {
		p.Start, _ = parseStart(*start, p.Window.Location)
	}
	p.Engine = Engine{MemoryLimit: deref(e.memoryLimit, ""), TempDirectory: deref(e.tempDirectory, "")}
	if e.threads != nil {
		p.Engine.Threads = int(*e.threads)
	}
	if p.Engine.TempDirectory != "" {
		p.Engine.TempDirectory = p.abs(p.Engine.TempDirectory)
	}
	for _, sname := range order {
		s := sources[sname]
		src := &Source{Name: sname, File: s.doc.path, Line: s.doc.line(s.at)}
		if !validName(sname) {
			*errs = append(*errs, Errorf(src.File, src.Line, "source name %q: use letters, digits and underscores, starting with a letter", sname))
		}
		if s.path == nil || *s.path == "" {
			*errs = append(*errs, Errorf(src.File, src.Line, "source %q has no `path`: add path = \"raw/%s\"", sname, sname))
			continue
		}
		src.Path = p.abs(*s.path)
		src.Format = deref(s.format, formatOf(*s.path))
		src.TimeColumn = deref(s.timeColumn, "")
		src.TimePartition = deref(s.timePartition, "")
		if s.tests != nil {
			src.Tests = *s.tests
		}
		p.Sources[sname] = src
	}
	return p.applyVars(rootT, opts)
}

// applyVars layers ETL_VAR_<NAME> and then --var over [vars]. A value is
// converted to the type of the declared default, so --var min_clicks=5 stays
// a number.
func (p *Project) applyVars(rootT table, opts Options) error {
	byUpper := map[string]string{}
	for k := range p.Vars {
		byUpper[strings.ToUpper(k)] = k
	}
	for _, kv := range opts.Environ {
		k, v, _ := strings.Cut(kv, "=")
		upper, ok := strings.CutPrefix(k, "ETL_VAR_")
		if !ok || upper == "" {
			continue
		}
		name, ok := byUpper[upper]
		if !ok {
			name = strings.ToLower(upper)
		}
		val, err := convertVar(p.Vars[name], v)
		if err != nil {
			return fmt.Errorf("environment variable %s: %w", k, err)
		}
		p.Vars[name] = val
	}
	for _, kv := range opts.Vars {
		name, v, ok := strings.Cut(kv, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return fmt.Errorf("--var %s: want NAME=VALUE, such as --var min_clicks=5", kv)
		}
		val, err := convertVar(p.Vars[name], v)
		if err != nil {
			return fmt.Errorf("--var %s: %w", kv, err)
		}
		p.Vars[name] = val
	}
	return nil
}

func convertVar(def any, s string) (any, error) {
	switch def.(type) {
	case int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want a whole number like its default %v", def)
		}
		return n, nil
	case float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("want a number like its default %v", def)
		}
		return f, nil
	case bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("want true or false like its default %v", def)
		}
		return b, nil
	case string:
		return s, nil
	}
	var m map[string]any
	if err := toml.Unmarshal([]byte("v = "+s), &m); err == nil {
		switch v := m["v"].(type) {
		case int64, float64, bool:
			return v, nil
		}
	}
	return s, nil
}

func (p *Project) abs(path string) string {
	if filepath.IsAbs(path) || strings.Contains(path, "://") {
		return path
	}
	return filepath.Join(p.Root, path)
}

func deref(s *string, def string) string {
	if s == nil {
		return def
	}
	return *s
}

func formatOf(path string) string {
	switch strings.ToLower(filepath.Ext(strings.TrimSuffix(path, ".gz"))) {
	case ".csv", ".tsv":
		return "csv"
	case ".json", ".jsonl", ".ndjson":
		return "json"
	}
	return "parquet"
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// modelFile is one file under models/ as read from disk.
type modelFile struct {
	rel   string // models/a/b.sql
	stem  string
	dir   string // a
	ext   string
	data  []byte
	sql   string
	front *doc
	fm    map[string]any
	cfg   modelLayer // what the file's own config says
	errs  ErrorList
	err   error
}

func (p *Project) loadModels(layers []*layer, errs *ErrorList) {
	files, dirs, err := p.scanModels()
	if err != nil {
		*errs = append(*errs, err)
		return
	}
	p.checkFolders(layers, dirs, errs)

	// Pair each .sql with its sibling .toml, and find duplicate names.
	type pair struct{ sql, cfg *modelFile }
	byName := map[string]*pair{}
	var names []string
	for _, f := range files {
		if f.err != nil {
			*errs = append(*errs, f.err)
			continue
		}
		*errs = append(*errs, f.errs...)
		pr := byName[f.stem]
		if pr == nil {
			pr = &pair{}
			byName[f.stem] = pr
			names = append(names, f.stem)
		}
		slot := &pr.sql
		if f.ext == ".toml" {
			slot = &pr.cfg
		}
		other := pr.sql
		if other == nil {
			other = pr.cfg
		}
		if *slot != nil || (other != nil && other.dir != f.dir) {
			*errs = append(*errs, Errorf(f.rel, 0, "model name %q is also used by %s; model names are unique in a project: rename one file", f.stem, other.rel))
			continue
		}
		*slot = f
	}
	sort.Strings(names)
	for _, name := range names {
		pr := byName[name]
		main := pr.sql
		if main == nil {
			main = pr.cfg
		}
		if main == nil {
			continue
		}
		if !validName(name) {
			*errs = append(*errs, Errorf(main.rel, 0, "model name %q: name the file with letters, digits and underscores, starting with a letter", name))
			continue
		}
		var cfg modelLayer
		for _, l := range layers[:1] {
			l.models.chain(main.dir, &cfg)
		}
		if pr.cfg != nil {
			cfg.apply(pr.cfg.cfg)
		}
		if pr.sql != nil && pr.sql.fm != nil {
			cfg.apply(pr.sql.cfg)
		}
		for _, l := range layers[1:] {
			l.models.chain(main.dir, &cfg)
		}
		m := &Model{Name: name, Path: main.rel, Dir: main.dir, Enabled: true}
		if pr.sql != nil {
			m.SQL = pr.sql.sql
		}
		if cfg.enabled != nil && !*cfg.enabled {
			p.disabled[name] = main.rel
			continue
		}
		p.resolveModel(m, cfg, pr.sql == nil, errs)
		p.Models[name] = m
	}
}

// scanModels walks models/ and reads and decodes every .sql and .toml file.
// Folders are listed and files read concurrently, with more workers than
// CPUs since most of the time is spent waiting on the kernel.
func (p *Project) scanModels() ([]*modelFile, map[string]bool, error) {
	var (
		mu    sync.Mutex
		files []*modelFile
		dirs  = map[string]bool{}
		wg    sync.WaitGroup
		sem   = make(chan struct{}, 4*runtime.GOMAXPROCS(0))
		errs  []error
	)
	var visit func(dir string) // dir relative to models/, "" for the top
	visit = func(dir string) {
		defer wg.Done()
		sem <- struct{}{}
		defer func() { <-sem }()
		entries, err := os.ReadDir(filepath.Join(p.Root, "models", filepath.FromSlash(dir)))
		if err != nil {
			if !(dir == "" && errors.Is(err, fs.ErrNotExist)) {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			return
		}
		mu.Lock()
		dirs[dir] = true
		mu.Unlock()
		var mine []*modelFile
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			if e.IsDir() {
				wg.Add(1)
				go visit(join2(dir, name))
				continue
			}
			ext := filepath.Ext(name)
			if ext != ".sql" && ext != ".toml" {
				continue
			}
			f := &modelFile{rel: "models/" + join2(dir, name), stem: strings.TrimSuffix(name, ext), dir: dir, ext: ext}
			p.readModel(f)
			mine = append(mine, f)
		}
		mu.Lock()
		files = append(files, mine...)
		mu.Unlock()
	}
	wg.Add(1)
	visit("")
	wg.Wait()
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	return files, dirs, nil
}

// readModel reads a model file and decodes its own config.
func (p *Project) readModel(f *modelFile) {
	f.data, f.err = readFile(filepath.Join(p.Root, filepath.FromSlash(f.rel)))
	if f.err != nil {
		return
	}
	if f.ext == ".toml" {
		f.front, f.fm, f.err = parseDoc(f.rel, f.data, 0)
	} else {
		f.sql, f.front, f.fm, f.err = splitFrontMatter(f.rel, f.data)
	}
	if f.err == nil && f.fm != nil {
		f.cfg = decodeModel(table{doc: f.front, m: f.fm, errs: &f.errs})
	}
}

// chain applies the defaults of [models], then of each folder down to dir.
func (f *folder) chain(dir string, cfg *modelLayer) {
	for f != nil {
		cfg.apply(f.cfg)
		if dir == "" {
			return
		}
		head, rest, _ := strings.Cut(dir, "/")
		f, dir = f.sub[head], rest
	}
}

// checkFolders reports [models.x] tables that name no folder under models/.
func (p *Project) checkFolders(layers []*layer, dirs map[string]bool, errs *ErrorList) {
	var known []string
	for d := range dirs {
		if d != "" {
			known = append(known, d)
		}
	}
	sort.Strings(known)
	var walk func(f *folder, prefix string)
	walk = func(f *folder, prefix string) {
		for _, name := range sortedKeys(f.sub) {
			d := join2(prefix, name)
			if !dirs[d] {
				msg := fmt.Sprintf("[%s] configures models/%s/, which does not exist", f.sub[name].t.path, d)
				if s := Suggest(d, known); s != "" {
					msg += fmt.Sprintf("; did you mean models/%s/?", s)
				} else if s := Suggest(name, modelKeys); s != "" {
					msg += fmt.Sprintf("; did you mean the key `%s`?", s)
				}
				f.sub[name].t.errorf("", "%s", msg)
				continue
			}
			walk(f.sub[name], d)
		}
	}
	for _, l := range layers {
		if l.models != nil {
			walk(l.models, "")
		}
	}
}

func join2(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}

func (p *Project) resolveModel(m *Model, cfg modelLayer, goModel bool, errs *ErrorList) {
	where := func() (string, int) { return m.Path, 1 }
	fail := func(format string, args ...any) {
		path, line := where()
		*errs = append(*errs, Errorf(path, line, format, args...))
	}
	c := ModelConfig{
		Materialized: deref(cfg.materialized, View),
		Strategy:     deref(cfg.strategy, Overwrite),
		TimeColumn:   deref(cfg.timeColumn, ""),
		Transform:    deref(cfg.transform, ""),
	}
	for dst, src := range map[*[]string]*[]string{&c.PartitionBy: cfg.partitionBy, &c.UniqueKey: cfg.uniqueKey, &c.Tags: cfg.tags, &c.Inputs: cfg.inputs} {
		if src != nil {
			*dst = *src
		}
	}
	if cfg.tests != nil {
		c.Tests = *cfg.tests
	}
	m.Config = c
	m.Window = p.Window
	if cfg.grain != nil {
		m.Window.Grain = *cfg.grain
	}
	if cfg.delay != nil {
		m.Window.Delay = *cfg.delay
	}
	if cfg.lookback != nil {
		m.Window.Lookback = int(*cfg.lookback)
	}
	if cfg.loc != nil {
		m.Window.Timezone, m.Window.Location = *cfg.timezone, cfg.loc
	}
	m.Start = p.Start
	if cfg.start != nil {
		m.Start, _ = parseStart(*cfg.start, m.Window.Location)
	} else if !p.Start.IsZero() && m.Window.Location != p.Window.Location {
		y, mo, d := p.Start.Date()
		m.Start = time.Date(y, mo, d, 0, 0, 0, 0, m.Window.Location)
	}
	switch {
	case goModel && c.Transform == "":
		fail("%s configures no model: add %s.sql beside it, or set transform = \"name\" for a Go transform", m.Path, strings.TrimSuffix(filepath.Base(m.Path), ".toml"))
	case !goModel && c.Transform != "":
		fail("model has both SQL and transform = %q: remove one", c.Transform)
	case goModel && c.Materialized == View:
		fail("a Go transform cannot be materialized as a view: set materialized = \"table\" or \"incremental\"")
	}
	if c.Materialized == Incremental && c.TimeColumn == "" {
		fail("incremental model needs `time_column`, the output column holding event time: add time_column = \"dt\"")
	}
	if c.Materialized == Incremental && c.Strategy == Merge && len(c.UniqueKey) == 0 {
		fail("strategy = \"merge\" needs `unique_key`: add unique_key = [\"id\"]")
	}
	if c.Materialized == View && len(c.PartitionBy) > 0 && cfg.partitionBy != nil && cfg.materialized != nil {
		fail("a view has no files to partition: remove `partition_by` or materialize as a table")
	}
}

// splitFrontMatter separates the /*--- ... ---*/ block from the SQL. The
// block is replaced by blank lines so that template line numbers match the file.
func splitFrontMatter(rel string, data []byte) (string, *doc, map[string]any, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if !bytes.HasPrefix(trimmed, []byte("/*---")) {
		return string(data), nil, nil, nil
	}
	start := len(data) - len(trimmed)
	open := start + len("/*---")
	closeAt := bytes.Index(data[open:], []byte("---*/"))
	if closeAt < 0 {
		return "", nil, nil, Errorf(rel, bytes.Count(data[:start], []byte("\n"))+1, "front matter opened with /*--- is not closed: end it with ---*/ on its own line")
	}
	body := data[open : open+closeAt]
	lineOffset := bytes.Count(data[:open], []byte("\n"))
	d, m, err := parseDoc(rel, body, lineOffset)
	if err != nil {
		return "", nil, nil, err
	}
	end := open + closeAt + len("---*/")
	sql := strings.Repeat("\n", bytes.Count(data[:end], []byte("\n"))) + string(data[end:])
	return sql, d, m, nil
}

func (p *Project) loadSeedsAndTests(errs *ErrorList) {
	walk := func(dir, ext string, fn func(rel, stem string)) {
		root := filepath.Join(p.Root, dir)
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(path) != ext {
				return nil
			}
			rel, _ := filepath.Rel(p.Root, path)
			fn(filepath.ToSlash(rel), strings.TrimSuffix(d.Name(), ext))
			return nil
		})
	}
	walk("seeds", ".csv", func(rel, stem string) {
		switch {
		case !validName(stem):
			*errs = append(*errs, Errorf(rel, 0, "seed name %q: name the file with letters, digits and underscores", stem))
		case p.Models[stem] != nil:
			*errs = append(*errs, Errorf(rel, 0, "seed %q has the name of model %s: rename one", stem, p.Models[stem].Path))
		case p.Seeds[stem] != nil:
			*errs = append(*errs, Errorf(rel, 0, "seed name %q is also used by %s: rename one", stem, p.Seeds[stem].Path))
		default:
			p.Seeds[stem] = &Seed{Name: stem, Path: rel}
		}
	})
	names := map[string]string{}
	walk("tests", ".sql", func(rel, stem string) {
		data, err := os.ReadFile(filepath.Join(p.Root, rel))
		if err != nil {
			*errs = append(*errs, err)
			return
		}
		if prev, ok := names[stem]; ok {
			*errs = append(*errs, Errorf(rel, 0, "test name %q is also used by %s: rename one", stem, prev))
			return
		}
		names[stem] = rel
		p.Tests = append(p.Tests, &SingularTest{Name: stem, Path: rel, SQL: string(data)})
	})
	walk("tests", ".toml", func(rel, stem string) { p.Units = append(p.Units, rel) })
	sort.Slice(p.Tests, func(i, j int) bool { return p.Tests[i].Name < p.Tests[j].Name })
	p.loadUnits(errs)
}

// Parallel runs fn for 0..n-1 on every CPU, in chunks so that scheduling
// costs nothing next to the work.
func Parallel(n int, fn func(i int)) {
	parallelN(n, runtime.GOMAXPROCS(0), fn)
}

func parallelN(n, workers int, fn func(i int)) {
	const chunk = 32
	var g errgroup.Group
	g.SetLimit(workers)
	for lo := 0; lo < n; lo += chunk {
		g.Go(func() error {
			for i := lo; i < min(lo+chunk, n); i++ {
				fn(i)
			}
			return nil
		})
	}
	_ = g.Wait()
}
