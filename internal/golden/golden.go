// Package golden compares test output with files under testdata/, which
// `go test -update` rewrites for review in the diff.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Update is the -update flag of every test binary that uses golden files.
var Update = flag.Bool("update", false, "rewrite golden files under testdata/")

// Check compares got with the file at path; with -update it writes the file
// (and removes it when got is empty, for optional outputs such as stderr).
func Check(t testing.TB, path, got string) {
	t.Helper()
	if *Update {
		if got == "" {
			os.Remove(path)
			return
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if os.IsNotExist(err) && got != "" {
		t.Fatalf("%s does not exist (run go test -update to write it)", path)
	}
	if string(want) != got {
		dmp := diffmatchpatch.New()
		t.Errorf("%s differs (-want +got):\n%s", path, dmp.DiffPrettyText(dmp.DiffMain(string(want), got, false)))
	}
}
