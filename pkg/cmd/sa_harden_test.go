package cmd

import (
	"path/filepath"
	"strings"
	"testing"
)

// Golden files of sa harden on the bundled example (offline: nothing is changed).
func TestSAHardenGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"example-all", []string{"sa", "harden", "-A", "-f", "../../examples/eks-cluster.yaml"}},
		{"example-app-wide", []string{"sa", "harden", "-n", "app", "-f", "../../examples/eks-cluster.yaml", "-o", "wide", "--remove-default-bindings"}},
		{"example-ci-json", []string{"sa", "harden", "-n", "ci", "-f", "../../examples/eks-cluster.yaml", "-o", "json"}},
		{"example-exclude", []string{"sa", "harden", "-A", "--exclude-namespace", "kube-system", "--exclude-namespace", "kube-public", "-f", "../../examples/eks-cluster.yaml", "--no-headers"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, tc.args...)
			got := "$ kubectl eksiam " + strings.Join(tc.args, " ") + "\n--- exit code\n" + string(rune('0'+code)) +
				"\n--- stdout\n" + stdout + "--- stderr\n" + stderr
			checkGolden(t, filepath.Join("testdata", "sa-harden", tc.name+".golden"), got)
		})
	}
}
