// Command docgen writes the command reference, docs/reference/*.md, from the cobra
// command tree: one page per command, with its usage, help text, examples and flags.
// CI checks that the committed pages are current (main_test.go).
//
//	go run ./hack/docgen            # rewrite docs/reference
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmd"
)

func main() {
	dir := filepath.Join("docs", "reference")
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := generate(dir); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// generate writes the pages into dir, removing pages of commands that no longer exist.
func generate(dir string) error {
	// Defaults that depend on the machine (the cache directory under $HOME) are
	// written with $HOME, so that the pages are the same everywhere.
	if err := os.Setenv("HOME", "$HOME"); err != nil {
		return err
	}
	root := cmd.NewCmdEksiam(genericiooptions.NewTestIOStreamsDiscard())
	root.DisableAutoGenTag = true
	root.InitDefaultCompletionCmd() // cobra adds it at Execute time; document it too
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	prepend := func(string) string { return "" }
	link := func(name string) string { return name }
	var walk func(*cobra.Command) error
	walk = func(c *cobra.Command) error {
		for _, sub := range c.Commands() {
			if err := walk(sub); err != nil {
				return err
			}
		}
		if !c.IsAvailableCommand() && c != root {
			return nil
		}
		name := strings.ReplaceAll(c.CommandPath(), " ", "_") + ".md"
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if _, err := f.WriteString(prepend(name)); err != nil {
			return err
		}
		if err := doc.GenMarkdownCustom(c, f, link); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return walk(root)
}
