package engine

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/project"
)

// windowDates returns the local dates a window touches, in its zone.
func windowDates(w compiler.Window) []string {
	loc := w.Start.Location()
	var out []string
	for d := compiler.Floor(w.Start, "day", loc); d.Before(w.End); d = compiler.AddGrains(d, "day", 1) {
		out = append(out, d.Format("2006-01-02"))
	}
	return out
}

// partitionFiles lists the files ending in ext under root/key=DATE/ for each
// local date of the window, by listing folders: no data file is opened. ok is
// false when root is not a folder partitioned by key at its top level.
func partitionFiles(root, key, ext string, w compiler.Window) ([]string, bool) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, false
	}
	partitioned := false
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), key+"=") {
			partitioned = true
			break
		}
	}
	if !partitioned {
		return nil, false
	}
	var files []string
	for _, date := range windowDates(w) {
		dir := filepath.Join(root, key+"="+date)
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), ext) && !strings.HasPrefix(d.Name(), ".") {
				files = append(files, path)
			}
			return nil
		})
	}
	return files, true
}

// windowFiles tells the compiler which files hold a window of an input whose
// folders are partitioned by event date: a source by its time_partition, a
// model whose first partition key is its DATE time_column.
func (r *runner) windowFiles(id string, w compiler.Window) ([]string, bool) {
	n := r.c.Nodes[id]
	switch {
	case n.Source != nil && n.Source.TimePartition != "":
		pattern, hive := compiler.SourcePattern(n.Source)
		if !hive || pattern != strings.TrimRight(n.Source.Path, "/")+"/**/*."+n.Source.Format {
			return nil, false
		}
		return partitionFiles(n.Source.Path, n.Source.TimePartition, "."+n.Source.Format, w)
	case n.Model != nil && r.dateAligned(n.Model):
		return partitionFiles(filepath.Join(r.p.DataDir, n.Name), n.Model.Config.TimeColumn, ".parquet", w)
	}
	return nil, false
}

// dateAligned reports whether a dataset's top partition key is its time
// column holding dates, so that a window is a set of folders.
func (r *runner) dateAligned(m *project.Model) bool {
	if m.Config.Materialized == project.View || len(m.Config.PartitionBy) == 0 || m.Config.PartitionBy[0] != m.Config.TimeColumn {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.kinds[m.Name] == compiler.KindDate
}

// firstFile returns the last file (in name order, the newest partition)
// ending in ext under root, or "" when there is none or root is not a folder.
func firstFile(root, ext string) string {
	for {
		entries, err := os.ReadDir(root)
		if err != nil {
			return ""
		}
		next := ""
		for i := len(entries) - 1; i >= 0; i-- {
			e := entries[i]
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if !e.IsDir() && strings.HasSuffix(e.Name(), ext) {
				return filepath.Join(root, e.Name())
			}
			if e.IsDir() && next == "" {
				next = filepath.Join(root, e.Name())
			}
		}
		if next == "" {
			return ""
		}
		root = next
	}
}
