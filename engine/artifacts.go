// Package engine runs a compiled plan against a database adapter: it
// schedules models over the DAG, materializes them, commits their partitions
// and records run state and artifacts.
package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/project"
)

// CompiledPath is where a node's compiled SQL is written, relative to the
// target folder: compiled/<the node's own path>.
func CompiledPath(n *compiler.Node) string {
	return filepath.ToSlash(filepath.Join("compiled", n.Path))
}

// WriteCompiled writes the SQL of every compiled node under targetDir. A
// file whose SQL is unchanged since the last compile is not touched: an index
// of content hashes (compiled/.index) says so without opening it, since on
// many file systems opening thousands of small files costs more than
// compiling them.
func WriteCompiled(targetDir string, plan *compiler.Plan) error {
	dir := filepath.Join(targetDir, "compiled")
	indexPath := filepath.Join(dir, ".index")
	index := readIndex(indexPath)
	all := append(append([]*compiler.Compiled(nil), plan.Nodes...), plan.Tests...)
	type job struct {
		path string
		sql  string
	}
	rels := make([]string, len(all))
	hashes := make([]uint64, len(all))
	project.Parallel(len(all), func(i int) {
		if all[i].SQL != "" {
			rels[i], hashes[i] = CompiledPath(all[i].Node), hashString(all[i].SQL)
		}
	})
	var jobs []job
	changed := false
	for i, cn := range all {
		if cn.SQL == "" {
			continue
		}
		if old, ok := index[rels[i]]; ok && old == hashes[i] {
			continue
		}
		index[rels[i]] = hashes[i]
		changed = true
		jobs = append(jobs, job{filepath.Join(targetDir, rels[i]), cn.SQL + "\n"})
	}
	if !changed {
		return nil
	}
	var mu sync.Mutex
	made := map[string]bool{}
	errs := make([]error, len(jobs))
	project.Parallel(len(jobs), func(i int) {
		j := jobs[i]
		d := filepath.Dir(j.path)
		mu.Lock()
		if !made[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				mu.Unlock()
				errs[i] = err
				return
			}
			made[d] = true
		}
		mu.Unlock()
		errs[i] = writeFile(j.path, []byte(j.sql))
	})
	if err := errors.Join(errs...); err != nil {
		// Forget the index so that the next compile rewrites everything.
		os.Remove(indexPath)
		return fmt.Errorf("write compiled sql: %w", err)
	}
	return writeIndex(indexPath, index)
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func readIndex(path string) map[string]uint64 {
	index := map[string]uint64{}
	data, err := os.ReadFile(path)
	if err != nil {
		return index
	}
	for _, line := range strings.Split(string(data), "\n") {
		h, rel, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(h, 16, 64); err == nil {
			index[rel] = n
		}
	}
	return index
}

func writeIndex(path string, index map[string]uint64) error {
	keys := make([]string, 0, len(index))
	for k := range index {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(strconv.FormatUint(index[k], 16))
		b.WriteByte(' ')
		b.WriteString(k)
		b.WriteByte('\n')
	}
	return writeAtomic(path, []byte(b.String()))
}

// writeAtomic writes data to a temporary file beside path and renames it
// into place, so a reader never sees half a file.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteJSON writes v as JSON to targetDir/name, atomically.
func WriteJSON(targetDir, name string, v any) error {
	if err := os.MkdirAll(targetDir, 0o755); err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(targetDir, name), append(data, '\n'))
}

// WriteManifest writes manifest.json.
func WriteManifest(targetDir string, m *compiler.Manifest) error {
	data, err := m.MarshalJSON()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(targetDir, 0o755); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(targetDir, "manifest.json"), append(data, '\n'))
}
