package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/etl-dev/etl/internal/golden"
)

// TestEndToEnd runs each case folder under testdata/e2e: the project in its
// project/ folder (or the example project when the case has a file named
// example), the arguments in args, and compares stdout, stderr and the exit
// status with the files of those names. Paths of the copied project print
// as $PROJECT.
func TestEndToEnd(t *testing.T) {
	cases, err := os.ReadDir("testdata/e2e")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			dir := filepath.Join("testdata/e2e", c.Name())
			src := filepath.Join(dir, "project")
			if _, err := os.Stat(filepath.Join(dir, "example")); err == nil {
				src = "../../example_project"
			}
			root := copyProject(t, src)
			argsText, err := os.ReadFile(filepath.Join(dir, "args"))
			if err != nil {
				t.Fatal(err)
			}
			args := append(strings.Fields(string(argsText)), "--project-dir", root)
			var stdout, stderr bytes.Buffer
			code := run(args, &stdout, &stderr)
			clean := func(b bytes.Buffer) string { return strings.ReplaceAll(b.String(), root, "$PROJECT") }
			golden.Check(t, filepath.Join(dir, "stdout"), clean(stdout))
			golden.Check(t, filepath.Join(dir, "stderr"), clean(stderr))
			golden.Check(t, filepath.Join(dir, "exit"), strconv.Itoa(code)+"\n")
		})
	}
}

func copyProject(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if d.Name() == "target" || d.Name() == "data" || d.Name() == "gen" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestCompileWritesArtifacts(t *testing.T) {
	root := copyProject(t, "../../example_project")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"compile", "-q", "--trigger", "2026-11-25T04:00:00Z", "--project-dir", root}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	sql, err := os.ReadFile(filepath.Join(root, "target/compiled/models/marts/daily_clicks.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sql), `"dt" >= DATE '2026-11-24'`) {
		t.Errorf("compiled daily_clicks has no window predicate:\n%s", sql)
	}
	var manifest struct {
		Metadata map[string]string `json:"metadata"`
		Nodes    map[string]struct {
			Kind         string   `json:"kind"`
			DependsOn    []string `json:"depends_on"`
			CompiledPath string   `json:"compiled_path"`
			Window       *struct{ Start, End string }
			Config       map[string]any
		} `json:"nodes"`
	}
	data, err := os.ReadFile(filepath.Join(root, "target/manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	dc := manifest.Nodes["daily_clicks"]
	if got := strings.Join(dc.DependsOn, ","); got != "stg_events,stg_pages" {
		t.Errorf("daily_clicks depends_on: got %s", got)
	}
	if dc.Window == nil || dc.Window.Start != "2026-11-24T00:00:00Z" || dc.CompiledPath != "compiled/models/marts/daily_clicks.sql" {
		t.Errorf("daily_clicks: window %+v, compiled_path %q", dc.Window, dc.CompiledPath)
	}
	if manifest.Nodes["source:events"].Kind != "source" || manifest.Metadata["trigger"] != "2026-11-25T04:00:00Z" {
		t.Errorf("manifest: %s", data)
	}
}

func TestInitThenCompile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new-project")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"init", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"compile", "--trigger", "2026-11-25T04:00:00Z", "--project-dir", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("compile: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "-- daily_page_views") {
		t.Errorf("compile printed:\n%s", stdout.String())
	}
	if code := run([]string{"init", dir}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "already holds a project") {
		t.Errorf("second init: exit %d, %s", code, stderr.String())
	}
}
