package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every reading command treats an input that lacks what it needs the same way: it
// prints its answer with complete: false, says what is missing on stderr, and exits
// 2 (anon revoke once answered "nothing found", exit 0, on a file with no RBAC).
func TestIncompleteInputEveryCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noRBAC := write("no-rbac.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: app}\n")
	customOnly := write("custom-only.yaml", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: [{verbs: [get], apiGroups: [""], resources: [pods]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: system:unauthenticated}]
`)
	arn := "arn:aws:iam::111122223333:role/X"
	tests := []struct {
		name    string
		args    []string
		missing string
	}{
		{"who-can, no RBAC", []string{"who-can", "get", "pods", "-n", "app", "-f", noRBAC, "--iam=false"}, "holds no RBAC objects"},
		{"who-can, no bootstrap policy", []string{"who-can", "get", "pods", "-n", "app", "-f", customOnly, "--iam=false"}, "of the bootstrap policy"},
		{"access, no RBAC", []string{"access", arn, "-f", noRBAC}, "holds no RBAC objects"},
		{"access, no aws-auth", []string{"access", arn, "-f", customOnly}, "holds no ConfigMap kube-system/aws-auth"},
		{"anon revoke, no RBAC", []string{"anon", "revoke", "-f", noRBAC}, "holds no RBAC objects"},
		{"anon revoke, no bootstrap policy", []string{"anon", "revoke", "-f", customOnly}, "of the bootstrap policy"},
		{"sa harden, no RBAC", []string{"sa", "harden", "-A", "-f", noRBAC}, "holds no RBAC objects"},
		{"sa harden, no bootstrap policy", []string{"sa", "harden", "-A", "-f", customOnly + "," + noRBAC}, "of the bootstrap policy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, append(tc.args, "-o", "json")...)
			var report struct {
				Complete *bool `json:"complete"`
			}
			if err := json.Unmarshal([]byte(stdout), &report); err != nil {
				t.Fatalf("stdout is not the report: %v\n%s\nstderr: %s", err, stdout, stderr)
			}
			if code != 2 || report.Complete == nil || *report.Complete || !strings.Contains(stderr, "error: ") || !strings.Contains(stderr, tc.missing) {
				t.Errorf("exit %d, complete %v, stderr:\n%s", code, report.Complete, stderr)
			}
		})
	}
}
