// Command synth writes a synthetic project: go run ./bench/synth/cmd -models 10000 -out /tmp/p10k
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/etl-dev/etl/bench/synth"
)

func main() {
	n := flag.Int("models", 10000, "number of models")
	out := flag.String("out", "", "folder to write the project into (must not exist)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "synth: -out DIR is required")
		os.Exit(2)
	}
	if _, err := os.Stat(*out); err == nil {
		fmt.Fprintf(os.Stderr, "synth: %s exists; choose a new folder\n", *out)
		os.Exit(2)
	}
	if err := synth.Write(*out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d models to %s\n", *n, *out)
}
