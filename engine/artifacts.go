// Package engine runs a compiled plan against a database adapter: it
// schedules models over the DAG, materializes them, commits their partitions
// and records run state and artifacts.
package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/project"
)

// CompiledPath is where a node's compiled SQL is written, relative to the
// target folder: compiled/<the node's own path>.
func CompiledPath(n *compiler.Node) string {
	return filepath.ToSlash(filepath.Join("compiled", n.Path))
}

// WriteCompiled writes the SQL of every compiled node under targetDir.
func WriteCompiled(targetDir string, plan *compiler.Plan) error {
	all := append(append([]*compiler.Compiled(nil), plan.Nodes...), plan.Tests...)
	var mu sync.Mutex
	made := map[string]bool{}
	errs := make([]error, len(all))
	project.Parallel(len(all), func(i int) {
		cn := all[i]
		if cn.SQL == "" {
			return
		}
		path := filepath.Join(targetDir, CompiledPath(cn.Node))
		dir := filepath.Dir(path)
		mu.Lock()
		if !made[dir] {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				mu.Unlock()
				errs[i] = err
				return
			}
			made[dir] = true
		}
		mu.Unlock()
		errs[i] = writeIfChanged(path, []byte(cn.SQL+"\n"))
	})
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("write compiled sql: %w", err)
		}
	}
	return nil
}

// writeIfChanged leaves a file alone when it already holds data, so that a
// recompile keeps modification times and costs reads instead of writes.
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return writeAtomic(path, data)
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

// WriteJSON writes v as indented JSON to targetDir/name, atomically.
func WriteJSON(targetDir, name string, v any) error {
	if err := os.MkdirAll(targetDir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(targetDir, name), append(data, '\n'))
}
