package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const minimalRBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
- {verbs: [get], apiGroups: [""], resources: [pods]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}
`

// bootstrapAndAWSAuth completes minimalRBAC into what a dump of a cluster holds at the
// least: the bootstrap policy's cluster-admin and an aws-auth ConfigMap.
const bootstrapAndAWSAuth = `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {verbs: ["*"], apiGroups: ["*"], resources: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cluster-admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: Group, apiGroup: rbac.authorization.k8s.io, name: system:masters}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: kube-system}
data:
  mapRoles: |
    - rolearn: arn:aws:iam::111122223333:role/Reader
      username: alice
`

// Bad input of every kind gives one precise line on stderr, nothing on stdout and exit 2.
func TestWhoCanBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", minimalRBAC)
	badYAML := write("bad.yaml", "apiVersion: v1\nkind: List\nitems:\n- kind: ClusterRole\n\tmetadata: {name: x}\n")
	wrongType := write("wrong-type.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x}\nrules: everything\n")
	noKind := write("no-kind.yaml", "metadata: {name: x}\n")
	unreachable := write("unreachable.kubeconfig", `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: not-a-real-token}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`)

	tests := []struct {
		name       string
		kubeconfig string
		args       []string
		fragments  []string
	}{
		{"unknown flag", "", []string{"who-can", "get", "pods", "--bogus"}, []string{"unknown flag: --bogus"}},
		{"one argument", "", []string{"who-can", "get"}, []string{"exactly two arguments", "got 1"}},
		{"three arguments", "", []string{"who-can", "get", "pods", "extra"}, []string{"exactly two arguments", "got 3"}},
		{"subresource on a URL", "", []string{"who-can", "get", "/healthz", "--subresource", "x", "-f", good}, []string{"--subresource cannot be used with a non-resource URL"}},
		{"unknown output format", "", []string{"who-can", "get", "pods", "-o", "xml", "-f", good}, []string{`unknown output format "xml"`}},
		{"unknown resource offline", "", []string{"who-can", "get", "gizmos", "-f", good}, []string{`no resource type "gizmos"`, "CustomResourceDefinition"}},
		{"unknown resource live", shared.kubeconfig, []string{"who-can", "get", "gizmos.nowhere.example"}, []string{`the server doesn't have a resource type "gizmos.nowhere.example"`}},
		{"missing file", "", []string{"who-can", "get", "pods", "-f", filepath.Join(dir, "nope.yaml")}, []string{"nope.yaml", "does not exist"}},
		{"malformed YAML", "", []string{"who-can", "get", "pods", "-f", badYAML}, []string{"bad.yaml"}},
		{"wrong field type", "", []string{"who-can", "get", "pods", "-f", wrongType}, []string{"wrong-type.yaml", "ClusterRole x"}},
		{"object without kind", "", []string{"who-can", "get", "pods", "-f", noKind}, []string{"no-kind.yaml", "kind"}},
		{"unreachable server", unreachable, []string{"who-can", "get", "pods", "--request-timeout", "5s"}, []string{"127.0.0.1:1"}},
		{"unknown subcommand", "", []string{"who-cant"}, []string{`unknown command "who-cant"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kc := tc.kubeconfig
			if kc == "" {
				kc = filepath.Join(dir, "no-such-kubeconfig")
			}
			oneErrorLine(t, plugin(t, kc, nil, tc.args...), tc.fragments...)
		})
	}
}

// -f - reads standard input; an input without the bootstrap ClusterRoles and
// ClusterRoleBindings, or without aws-auth when the IAM view is asked for, is not a
// full dump: the report says complete: false and the exit code is 2.
func TestWhoCanOfflineInputs(t *testing.T) {
	noKubeconfig := filepath.Join(t.TempDir(), "none")
	full := minimalRBAC + bootstrapAndAWSAuth
	r := plugin(t, noKubeconfig, []byte(full), "who-can", "get", "pods", "-n", "default", "-f", "-")
	if r.code != 0 || !strings.Contains(r.stdout, "alice") || !strings.Contains(r.stdout, "role/Reader") {
		t.Errorf("-f -: %s", r)
	}
	r = plugin(t, noKubeconfig, []byte(minimalRBAC), "who-can", "get", "pods", "-n", "default", "-f", "-", "-o", "json")
	if r.code != 2 || !strings.Contains(r.stdout, `"complete": false`) || !strings.Contains(r.stdout, "alice") ||
		!strings.Contains(r.stderr, "error: the input holds no ClusterRoles and ClusterRoleBindings of the bootstrap policy") ||
		!strings.Contains(r.stderr, "holds no ConfigMap kube-system/aws-auth") {
		t.Errorf("no bootstrap policy, no aws-auth: %s", r)
	}
	r = plugin(t, noKubeconfig, []byte(minimalRBAC), "who-can", "get", "pods", "-n", "default", "-f", "-", "--iam=false")
	if r.code != 2 || strings.Contains(r.stderr, "aws-auth") {
		t.Errorf("--iam=false does not ask for aws-auth: %s", r)
	}
	// A verb RBAC does not know is answered, with a warning.
	for _, args := range [][]string{{"gett", "pods"}, {"list", "/healthz"}} {
		r = plugin(t, noKubeconfig, []byte(full), append([]string{"who-can"}, append(args, "-f", "-")...)...)
		if r.code != 0 || !strings.Contains(r.stderr, `Warning: verb "`+args[0]+`" is not a known`) || !strings.Contains(r.stdout, "system:masters") {
			t.Errorf("custom verb %v: %s", args, r)
		}
	}
	onlyRoles := "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: a}\nrules: []\n"
	r = plugin(t, noKubeconfig, []byte(onlyRoles), "who-can", "get", "pods", "-n", "a", "-f", "-", "-o", "json")
	if r.code != 2 || !strings.Contains(r.stdout, `"complete": false`) ||
		!strings.Contains(r.stderr, "error: the input holds no ClusterRoles and ClusterRoleBindings") {
		t.Errorf("incomplete input: %s", r)
	}
	// The same object twice: read once, with a warning.
	r = plugin(t, noKubeconfig, []byte(full+"---\n"+minimalRBAC), "who-can", "get", "pods", "-n", "default", "-f", "-")
	if r.code != 0 || strings.Count(r.stdout, "alice") != 1 || !strings.Contains(r.stderr, "appears more than once") {
		t.Errorf("duplicate objects: %s", r)
	}
}
