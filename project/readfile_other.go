//go:build !unix

package project

import "os"

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }
