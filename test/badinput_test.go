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
	noNamespace := write("no-ns.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: x}\nroleRef: {kind: Role, name: r}\n")
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
		{"unknown verb", "", []string{"who-can", "gett", "pods", "-f", good}, []string{`unknown verb "gett"`}},
		{"unknown non-resource verb", "", []string{"who-can", "list", "/healthz", "-f", good}, []string{`unknown verb "list" for a non-resource URL`}},
		{"subresource on a URL", "", []string{"who-can", "get", "/healthz", "--subresource", "x", "-f", good}, []string{"--subresource cannot be used with a non-resource URL"}},
		{"unknown output format", "", []string{"who-can", "get", "pods", "-o", "xml", "-f", good}, []string{`unknown output format "xml"`}},
		{"unknown resource offline", "", []string{"who-can", "get", "gizmos", "-f", good}, []string{`no resource type "gizmos"`, "CustomResourceDefinition"}},
		{"unknown resource live", shared.kubeconfig, []string{"who-can", "get", "gizmos.nowhere.example"}, []string{`the server doesn't have a resource type "gizmos.nowhere.example"`}},
		{"missing file", "", []string{"who-can", "get", "pods", "-f", filepath.Join(dir, "nope.yaml")}, []string{"nope.yaml", "does not exist"}},
		{"malformed YAML", "", []string{"who-can", "get", "pods", "-f", badYAML}, []string{"bad.yaml"}},
		{"wrong field type", "", []string{"who-can", "get", "pods", "-f", wrongType}, []string{"wrong-type.yaml", "ClusterRole x"}},
		{"namespaced kind without namespace", "", []string{"who-can", "get", "pods", "-f", noNamespace}, []string{"no-ns.yaml", "RoleBinding x", "metadata.namespace is missing"}},
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

// -f - reads standard input; an input without ClusterRoles or ClusterRoleBindings is
// not a full dump: the report says complete: false and the exit code is 2.
func TestWhoCanOfflineInputs(t *testing.T) {
	noKubeconfig := filepath.Join(t.TempDir(), "none")
	r := plugin(t, noKubeconfig, []byte(minimalRBAC), "who-can", "get", "pods", "-n", "default", "-f", "-")
	if r.code != 0 || !strings.Contains(r.stdout, "alice") {
		t.Errorf("-f -: %s", r)
	}
	onlyRoles := "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: a}\nrules: []\n"
	r = plugin(t, noKubeconfig, []byte(onlyRoles), "who-can", "get", "pods", "-n", "a", "-f", "-", "-o", "json")
	if r.code != 2 || !strings.Contains(r.stdout, `"complete": false`) ||
		!strings.Contains(r.stderr, "error: the input holds no ClusterRoles and ClusterRoleBindings") {
		t.Errorf("incomplete input: %s", r)
	}
	// The same object twice: read once, with a warning.
	r = plugin(t, noKubeconfig, []byte(minimalRBAC+"---\n"+minimalRBAC), "who-can", "get", "pods", "-n", "default", "-f", "-")
	if r.code != 0 || strings.Count(r.stdout, "alice") != 1 || !strings.Contains(r.stderr, "appears more than once") {
		t.Errorf("duplicate objects: %s", r)
	}
}
