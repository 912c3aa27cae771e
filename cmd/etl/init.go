package main

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/etl-dev/etl/project"
)

//go:embed all:skeleton
var skeleton embed.FS

func newInit(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "init DIR",
		Short: "Write a small working project into DIR",
		Long: `Write a small working project into DIR: a CSV source, a seed, a staging view,
an incremental daily model with a test, and a singular test. DIR may exist but
must not hold an etl_project.toml already.`,
		Example: "  etl init clicks && cd clicks && etl build --trigger 2026-11-25T04:00:00Z",
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			dir := args[0]
			if _, err := os.Stat(filepath.Join(dir, project.FileName)); err == nil {
				return invalid(fmt.Errorf("%s already holds a project (%s): choose another folder", dir, project.FileName))
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			name := strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
					return r
				}
				return '_'
			}, filepath.Base(abs))
			err = fs.WalkDir(skeleton, "skeleton", func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				rel := strings.TrimPrefix(strings.TrimPrefix(path, "skeleton"), "/")
				dst := filepath.Join(dir, filepath.FromSlash(rel))
				if d.IsDir() {
					return os.MkdirAll(dst, 0o755)
				}
				data, err := skeleton.ReadFile(path)
				if err != nil {
					return err
				}
				data = []byte(strings.ReplaceAll(string(data), "{{NAME}}", name))
				return os.WriteFile(dst, data, 0o644)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "wrote project %q to %s\nnext: cd %s && etl build --trigger 2026-11-25T04:00:00Z\n", name, dir, dir)
			return nil
		},
	}
}
