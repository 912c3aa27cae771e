//go:build unix

package project

import (
	"os"
	"sync"
	"syscall"
)

// readFile reads a small file with three system calls (open, read, close).
// os.ReadFile also stats the file and registers it with the poller; on
// virtual machines, where each system call is dear, that doubles the cost
// of loading a project of thousands of models.
func readFile(path string) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	// Read into a pooled buffer and keep an exact copy: a model is a few
	// hundred bytes, and fresh 8 KiB buffers for thousands of files cost
	// more in page faults than the reads.
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := (*bp)[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := cap(buf) - len(buf)
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		buf = buf[:len(buf)+n]
		// A regular file reads short only at its end: no need to ask again.
		if n == 0 || n < room {
			*bp = buf
			return append([]byte(nil), buf...), nil
		}
	}
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}
