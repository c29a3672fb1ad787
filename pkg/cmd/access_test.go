package cmd

import (
	"path/filepath"
	"strings"
	"testing"
)

const exampleEntries = "../../examples/access-entries.json"

// configMapEntries: a cluster in CONFIG_MAP mode (no access entries), its creator made
// an admin.
const configMapEntries = "testdata/access/config-map-entries.json"

// Golden files of the IAM view on the bundled example with its access entries
// (API_AND_CONFIG_MAP): access, who-can with entries, and aws-auth migrate.
func TestIAMViewGolden(t *testing.T) {
	dev := "arn:aws:sts::111122223333:assumed-role/Developer/jo@example.com"
	tests := []struct {
		dir, name string
		args      []string
	}{
		{"access", "developer-app", []string{"access", dev, "-n", "app", "-f", example, "--access-entries-file", exampleEntries}},
		{"access", "developer-app-wide", []string{"access", dev, "-n", "app", "-o", "wide", "-f", example, "--access-entries-file", exampleEntries}},
		{"access", "developer-delete-pods-app", []string{"access", dev, "--verb", "delete", "--resource", "pods", "-n", "app", "-f", example, "--access-entries-file", exampleEntries}},
		{"access", "developer-delete-pods-ci", []string{"access", dev, "--verb", "delete", "--resource", "pods", "-n", "ci", "-f", example, "--access-entries-file", exampleEntries}},
		{"access", "alice-json", []string{"access", "arn:aws:iam::111122223333:user/alice", "-n", "app", "-o", "json", "-f", example, "--access-entries-file", exampleEntries}},
		{"access", "alice-no-entries", []string{"access", "arn:aws:iam::111122223333:user/alice", "--verb", "delete", "--resource", "nodes", "-f", example}},
		{"access", "readonly-path-secrets", []string{"access", "arn:aws:sts::111122223333:assumed-role/ReadOnly/sam", "--verb", "get", "--resource", "secrets", "-n", "app", "-f", example, "--access-entries-file", exampleEntries}},
		{"access", "unmapped", []string{"access", "arn:aws:iam::111122223333:role/Nobody", "-A", "-f", example, "--access-entries-file", exampleEntries}},
		{"access", "ci-bot-all-namespaces", []string{"access", "arn:aws:iam::111122223333:user/ci-bot", "-A", "-f", example}},
		// The cluster creator in CONFIG_MAP mode (issue 14, point 3).
		{"access", "config-map-unmapped", []string{"access", "arn:aws:iam::111122223333:role/Nobody", "-f", example, "--access-entries-file", configMapEntries}},
		{"access", "config-map-creator-delete-nodes", []string{"access", "arn:aws:sts::111122223333:assumed-role/Creator/jo", "--verb", "delete", "--resource", "nodes", "-f", example,
			"--access-entries-file", configMapEntries, "--cluster-creator", "arn:aws:iam::111122223333:role/Creator"}},
		{"who-can", "delete-nodes-config-map-creator", []string{"who-can", "delete", "nodes", "-f", example, "--access-entries-file", configMapEntries, "--cluster-creator", "arn:aws:iam::111122223333:role/Creator"}},
		{"who-can", "delete-pods-app-entries-wide", []string{"who-can", "delete", "pods", "-n", "app", "-o", "wide", "-f", example, "--access-entries-file", exampleEntries}},
		{"who-can", "get-secrets-app-entries-json", []string{"who-can", "get", "secrets", "-n", "app", "-o", "json", "-f", example, "--access-entries-file", exampleEntries}},
		{"aws-auth", "migrate-example", []string{"aws-auth", "migrate", "-f", example}},
		{"aws-auth", "migrate-example-entries-wide", []string{"aws-auth", "migrate", "-f", example, "--access-entries-file", exampleEntries, "-o", "wide"}},
		{"aws-auth", "migrate-example-shell", []string{"aws-auth", "migrate", "-f", example, "--access-entries-file", exampleEntries, "-o", "shell"}},
		{"aws-auth", "migrate-risky-json", []string{"aws-auth", "migrate", "-f", "testdata/aws-auth/risky.yaml", "--cluster-name", "prod", "-o", "json"}},
	}
	for _, tc := range tests {
		t.Run(tc.dir+"/"+tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, tc.args...)
			shown := strings.ReplaceAll(strings.Join(tc.args, " "), "../../", "")
			got := "$ kubectl eksiam " + shown + "\n--- exit code\n" + string(rune('0'+code)) +
				"\n--- stdout\n" + stdout + "--- stderr\n" + stderr
			checkGolden(t, filepath.Join("testdata", tc.dir, tc.name+".golden"), got)
			for _, line := range strings.Split(stdout, "\n") {
				if strings.HasSuffix(line, " ") {
					t.Errorf("trailing space in %q", line)
				}
			}
		})
	}
}
