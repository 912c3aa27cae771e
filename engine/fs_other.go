//go:build unix && !linux

package engine

import "os"

// exchange swaps two folders. Without an atomic exchange this takes two
// renames: between them the partition is absent (never half-written). A
// crash between them is finished by the next run from the journal.
func exchange(a, b string) error {
	tmp := a + ".old" // beside the staged folder, outside the dataset
	if err := os.Rename(b, tmp); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		os.Rename(tmp, b)
		return err
	}
	return os.Rename(tmp, a)
}
