package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// The commit protocol. A model's new data is written beside the live
// dataset, in <data_dir>/.etl/staging/<model>/<run>/new/, never inside
// <data_dir>/<model>/, so that a reader globbing the dataset never sees it.
// Publishing it then goes:
//
//  1. staged: every file of the new data is written and synced.
//  2. journal: <data_dir>/.etl/journal/<model>.json lists each partition to
//     replace, add or delete, with the inode of its staged folder; it is
//     synced and renamed into place.
//  3. swap: each partition is exchanged with its staged folder in one
//     atomic rename (renameat2 RENAME_EXCHANGE on Linux), added by a rename,
//     or deleted by a rename out of the dataset. A reader sees each
//     partition wholly old or wholly new.
//  4. done: the journal is removed and the old data deleted.
//
// A run killed at any point leaves either no journal (nothing of the new
// data is live, and its staging is deleted by the next run) or a journal
// that the next run finishes: a partition whose live folder has the staged
// inode is done; the others are swapped then. Partitions outside the commit
// are never touched: same files, same modification times.

// partitionChange is one step of a commit.
type partitionChange struct {
	Rel       string `json:"rel"`                  // folder relative to the dataset; "" for the whole dataset
	StagedIno uint64 `json:"staged_ino,omitempty"` // 0: the partition is deleted
}

// journal is what a commit in progress has promised to finish.
type journal struct {
	Model   string            `json:"model"`
	Run     string            `json:"run"`
	Changes []partitionChange `json:"changes"`
	Record  *LedgerEntry      `json:"record,omitempty"` // the window to record once published
	Started time.Time         `json:"started"`
}

// paths of one model's dataset and its bookkeeping.
type paths struct {
	dataset string // <data_dir>/<model>
	meta    string // <data_dir>/.etl
	model   string
}

func newPaths(dataDir, model string) paths {
	return paths{dataset: filepath.Join(dataDir, model), meta: filepath.Join(dataDir, ".etl"), model: model}
}

func (p paths) stagingRoot() string       { return filepath.Join(p.meta, "staging", p.model) }
func (p paths) staging(run string) string { return filepath.Join(p.stagingRoot(), run) }
func (p paths) newData(run string) string { return filepath.Join(p.staging(run), "new") }
func (p paths) oldData(run string) string { return filepath.Join(p.staging(run), "old") }
func (p paths) journal() string           { return filepath.Join(p.meta, "journal", p.model+".json") }
func (p paths) lock() string              { return filepath.Join(p.meta, "locks", p.model+".lock") }

// faultHook, when set by a test, is called at each step of a commit with the
// step's name; the test kills the process there to prove recovery.
var faultHook func(step string)

func fault(step string) {
	if faultHook != nil {
		faultHook(step)
	}
}

// commit publishes the staged data of run: changes lists every partition
// to replace, add or delete. record is written to the ledger in the same
// step, so that a recovered commit is recorded too.
func commit(p paths, run string, rels []string, record *LedgerEntry, ledger *Ledger) error {
	newRoot := p.newData(run)
	if err := syncTree(newRoot); err != nil {
		return fmt.Errorf("sync staged data: %w", err)
	}
	fault("staged")
	j := journal{Model: p.model, Run: run, Record: record, Started: time.Now().UTC()}
	for _, rel := range rels {
		ch := partitionChange{Rel: rel}
		if fi, err := os.Stat(filepath.Join(newRoot, rel)); err == nil {
			ch.StagedIno = inode(fi)
		}
		j.Changes = append(j.Changes, ch)
	}
	if err := writeJournal(p, &j); err != nil {
		return err
	}
	fault("journal")
	return finish(p, &j, ledger)
}

// finish carries out a journal; it is what a commit does after writing it,
// and what recovery does with one found after a crash.
func finish(p paths, j *journal, ledger *Ledger) error {
	newRoot, oldRoot := p.newData(j.Run), p.oldData(j.Run)
	for i, ch := range j.Changes {
		live := filepath.Join(p.dataset, ch.Rel)
		staged := filepath.Join(newRoot, ch.Rel)
		liveInfo, liveErr := os.Stat(live)
		switch {
		case ch.StagedIno == 0: // delete the partition
			if liveErr == nil {
				if err := moveAside(live, filepath.Join(oldRoot, ch.Rel)); err != nil {
					return err
				}
			}
		case liveErr == nil && inode(liveInfo) == ch.StagedIno:
			// already swapped before a crash
		case liveErr == nil:
			if err := exchange(staged, live); err != nil {
				return fmt.Errorf("publish partition %s: %w", displayRel(ch.Rel), err)
			}
		default:
			if err := os.MkdirAll(filepath.Dir(live), 0o755); err != nil {
				return err
			}
			if err := os.Rename(staged, live); err != nil {
				return fmt.Errorf("publish partition %s: %w", displayRel(ch.Rel), err)
			}
		}
		fault(fmt.Sprintf("swap-%d", i))
	}
	syncDir(p.dataset)
	fault("swapped")
	if j.Record != nil && ledger != nil {
		if err := ledger.Append(*j.Record); err != nil {
			return fmt.Errorf("record window: %w", err)
		}
	}
	fault("recorded")
	if err := os.Remove(p.journal()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	fault("journal-removed")
	removeEmptyParents(p.dataset, j.Changes)
	return os.RemoveAll(p.staging(j.Run))
}

// recover finishes an interrupted commit of the model, or removes the staging
// of one that had not reached its journal. It must be called with the lock held.
func recoverModel(p paths, ledger *Ledger) (bool, error) {
	data, err := os.ReadFile(p.journal())
	if errors.Is(err, fs.ErrNotExist) {
		// No commit was under way: any staging is of a run that died before
		// publishing anything. Roll it back.
		if _, err := os.Stat(p.stagingRoot()); err == nil {
			return false, os.RemoveAll(p.stagingRoot())
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var j journal
	if err := json.Unmarshal(data, &j); err != nil {
		return false, fmt.Errorf("read journal %s: %w (move it away to give up on that commit)", p.journal(), err)
	}
	if err := finish(p, &j, ledger); err != nil {
		return false, fmt.Errorf("finish the interrupted commit of run %s: %w", j.Run, err)
	}
	return true, os.RemoveAll(p.stagingRoot())
}

func writeJournal(p paths, j *journal) error {
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(p.journal())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := p.journal() + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, p.journal()); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

func moveAside(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.Rename(from, to)
}

// removeEmptyParents removes folders of the dataset left empty by deleted
// partitions (dt=X/ once its last country=Y/ is gone).
func removeEmptyParents(dataset string, changes []partitionChange) {
	for _, ch := range changes {
		for dir := filepath.Dir(filepath.Join(dataset, ch.Rel)); strings.HasPrefix(dir, dataset+string(filepath.Separator)); dir = filepath.Dir(dir) {
			if os.Remove(dir) != nil {
				break
			}
		}
	}
}

func displayRel(rel string) string {
	if rel == "" {
		return "(whole dataset)"
	}
	return rel
}

func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}

// syncTree syncs every file and folder under root, so that a journal never
// points at data that a power cut could lose.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return nil
			}
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil && d.IsDir() {
			return nil // some file systems cannot sync folders
		}
		return err
	})
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
}

// leafDirs lists the partition folders under root: folders holding files,
// relative to root, sorted. An unpartitioned dataset is the one entry "".
func leafDirs(root string, partitioned bool) ([]string, error) {
	if !partitioned {
		if _, err := os.Stat(root); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil
			}
			return nil, err
		}
		return []string{""}, nil
	}
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return fs.SkipAll
			}
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			if rel != "." {
				seen[filepath.ToSlash(rel)] = true
			}
		}
		return nil
	})
	out := make([]string, 0, len(seen))
	for rel := range seen {
		out = append(out, rel)
	}
	sort.Strings(out)
	return out, err
}
