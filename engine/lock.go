package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// lock is an exclusive hold on one model's dataset. It is an flock on
// <data_dir>/.etl/locks/<model>.lock: the kernel releases it when the holder
// exits, even by kill -9, so a crash never leaves a stale lock.
type lock struct {
	f *os.File
}

// LockedError says who holds a dataset.
type LockedError struct {
	Model  string
	Holder string
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("model %s is being written by another run (%s): wait for it to finish; two runs never write one dataset at once", e.Model, e.Holder)
}

func acquire(p paths, what string) (*lock, error) {
	if err := os.MkdirAll(filepath.Dir(p.lock()), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p.lock(), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(p.lock())
		f.Close()
		h := strings.TrimSpace(string(holder))
		if h == "" {
			h = "holder unknown"
		}
		return nil, &LockedError{Model: p.model, Holder: h}
	}
	host, _ := os.Hostname()
	info := fmt.Sprintf("pid %d on %s, %s, since %s", os.Getpid(), host, what, time.Now().UTC().Format(time.RFC3339))
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(info+"\n"), 0)
	return &lock{f: f}, nil
}

func (l *lock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}
