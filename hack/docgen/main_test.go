package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReferenceCurrent regenerates the command reference and requires the committed
// docs/reference to be the same, page for page. Fix with: go run ./hack/docgen
func TestReferenceCurrent(t *testing.T) {
	home := os.Getenv("HOME")
	t.Cleanup(func() { os.Setenv("HOME", home) })
	dir := t.TempDir()
	if err := generate(dir); err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("..", "..", "docs", "reference")
	want, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	have, _ := filepath.Glob(filepath.Join(committed, "*.md"))
	if len(want) == 0 || len(want) != len(have) {
		t.Fatalf("docs/reference has %d pages, the commands give %d: run 'go run ./hack/docgen'", len(have), len(want))
	}
	for _, w := range want {
		got, err := os.ReadFile(filepath.Join(committed, filepath.Base(w)))
		if err != nil {
			t.Errorf("%v: run 'go run ./hack/docgen'", err)
			continue
		}
		exp, _ := os.ReadFile(w)
		if d := cmp.Diff(string(exp), string(got)); d != "" {
			t.Errorf("docs/reference/%s is out of date (run 'go run ./hack/docgen'); (-generated +committed):\n%s", filepath.Base(w), d)
		}
	}
	t.Logf("%d reference pages checked", len(want))
}
