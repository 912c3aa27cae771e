package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/etl-dev/etl/bench/synth"
)

// BenchmarkCompile runs `etl compile -q` of a synthetic project from disk, as a
// user would: load, parse, render and write every model. Targets (issue 2):
// 10,000 models under 0.5 s and 500 MB; 100,000 under 5 s. The project is
// written once per size under the test's temp folder; the second and later
// iterations find compiled files unchanged and leave them alone.
//
//	go test ./cmd/etl -run '^$' -bench Compile -benchtime 5x
//	go test ./cmd/etl -run '^$' -bench 'Compile/models=100000' -benchtime 2x
//
// synthProject writes a synthetic project of n models once per test binary:
// b.Run calls a benchmark several times, and writing 100,000 files is slow.
func synthProject(b *testing.B, n int) string {
	b.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if dir, ok := synthDirs[n]; ok {
		return dir
	}
	if synthRoot == "" {
		var err error
		if synthRoot, err = os.MkdirTemp("", "etl-bench"); err != nil {
			b.Fatal(err)
		}
	}
	dir := filepath.Join(synthRoot, fmt.Sprint(n))
	if err := synth.Write(dir, n); err != nil {
		b.Fatal(err)
	}
	synthDirs[n] = dir
	return dir
}

var (
	synthMu   sync.Mutex
	synthRoot string
	synthDirs = map[int]string{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if synthRoot != "" {
		os.RemoveAll(synthRoot)
	}
	os.Exit(code)
}

func BenchmarkCompile(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			dir := synthProject(b, n)
			args := []string{"compile", "-q", "--trigger", "2026-11-25T04:00:00Z", "--project-dir", dir}
			if code := run(args, io.Discard, os.Stderr); code != 0 {
				b.Fatalf("exit %d", code)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if code := run(args, io.Discard, os.Stderr); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/model")
		})
	}
}
