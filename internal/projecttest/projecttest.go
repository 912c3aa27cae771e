// Package projecttest writes small projects into temporary folders for tests.
package projecttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Write writes files (path relative to the root -> content) into a new
// temporary folder and returns it. A file named etl_project.toml is added
// with name = "test" when files has none.
func Write(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	if _, ok := files["etl_project.toml"]; !ok {
		files["etl_project.toml"] = "name = \"test\"\n"
	}
	for rel, content := range files {
		path := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(strings.TrimPrefix(content, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}
