package cmd

import (
	"path/filepath"
	"strings"
	"testing"
)

// Golden files of anon revoke on the bundled example (offline: nothing is changed).
func TestAnonRevokeGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"example", []string{"anon", "revoke", "-f", "../../examples/eks-cluster.yaml"}},
		{"example-include-public-info-viewer-wide", []string{"anon", "revoke", "-f", "../../examples/eks-cluster.yaml", "--include-public-info-viewer", "-o", "wide"}},
		{"example-yaml", []string{"anon", "revoke", "-f", "../../examples/eks-cluster.yaml", "-o", "yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, tc.args...)
			got := "$ kubectl eksiam " + strings.Join(tc.args, " ") + "\n--- exit code\n" + string(rune('0'+code)) +
				"\n--- stdout\n" + stdout + "--- stderr\n" + stderr
			checkGolden(t, filepath.Join("testdata", "anon-revoke", tc.name+".golden"), got)
		})
	}
}
