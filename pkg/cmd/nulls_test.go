package cmd

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// No report prints a null list: every golden output (JSON and YAML reports of every
// command, filled from the bundled example) is scanned for one.
func TestGoldenReportsHaveNoNull(t *testing.T) {
	null := regexp.MustCompile(`(?m)(": null[,\n]|^\s*[A-Za-z]+: null$)`)
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.golden"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := null.Find(data); m != nil {
			t.Errorf("%s: %q", f, m)
		}
	}
	t.Logf("%d golden outputs scanned", len(files))
}
