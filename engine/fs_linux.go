//go:build linux

package engine

import "golang.org/x/sys/unix"

// exchange swaps two folders in one atomic step: a reader of either path
// sees the old folder or the new one, never neither.
func exchange(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}
