package source

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// pagedClusterRoles serves n ClusterRoles in pages of the requested limit, with
// continue tokens, as the API server does.
func pagedClusterRoles(n int, calls *[]metav1.ListOptions) k8stesting.ReactionFunc {
	return func(a k8stesting.Action) (bool, runtime.Object, error) {
		opts := a.(k8stesting.ListActionImpl).ListOptions
		*calls = append(*calls, opts)
		start := 0
		if opts.Continue != "" {
			start, _ = strconv.Atoi(opts.Continue)
		}
		end := min(start+int(opts.Limit), n)
		list := &rbacv1.ClusterRoleList{}
		for i := start; i < end; i++ {
			list.Items = append(list.Items, rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cr-%03d", i), UID: "u",
				Labels:        map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"},
				Annotations:   map[string]string{rbacv1.AutoUpdateAnnotationKey: "true", "kubectl.kubernetes.io/last-applied-configuration": "{}"},
				ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}},
				Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}})
		}
		if end < n {
			list.Continue = strconv.Itoa(end)
			remaining := int64(n - end)
			list.RemainingItemCount = &remaining
		}
		return true, list, nil
	}
}

func TestReadRBACPaginates(t *testing.T) {
	c := fake.NewClientset()
	var calls []metav1.ListOptions
	c.PrependReactor("list", "clusterroles", pagedClusterRoles(25, &calls))
	s, err := ReadRBAC(context.Background(), c.RbacV1(), RBACScope{PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.ClusterRoles) != 25 || s.ClusterRoles[24].Name != "cr-024" {
		t.Fatalf("got %d ClusterRoles, want all 25 across pages", len(s.ClusterRoles))
	}
	if cap(s.ClusterRoles) != 25 {
		t.Errorf("capacity %d: the first page's remainingItemCount should size the slice once", cap(s.ClusterRoles))
	}
	// What the engines read is kept; managed fields and other annotations are not.
	want0 := metav1.ObjectMeta{Name: "cr-000", Labels: map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"},
		Annotations: map[string]string{rbacv1.AutoUpdateAnnotationKey: "true"}}
	if d := cmp.Diff(want0, s.ClusterRoles[0].ObjectMeta); d != "" {
		t.Errorf("metadata kept (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}, s.ClusterRoles[1].Rules); d != "" {
		t.Errorf("rules (-want +got):\n%s", d)
	}
	want := []string{"limit=10 continue=", "limit=10 continue=10", "limit=10 continue=20"}
	var got []string
	for _, o := range calls {
		got = append(got, fmt.Sprintf("limit=%d continue=%s", o.Limit, o.Continue))
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("LIST calls (-want +got):\n%s", d)
	}
	if s.Roles != nil || s.RoleBindings != nil {
		t.Errorf("namespaced kinds were read although the scope did not ask for them")
	}
}

func TestReadRBACScope(t *testing.T) {
	c := fake.NewClientset(
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "a"}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "b"}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "rb", Namespace: "b"}},
	)
	s, err := ReadRBAC(context.Background(), c.RbacV1(), RBACScope{Namespaced: true, Namespace: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Roles) != 1 || s.Roles[0].Namespace != "b" || len(s.RoleBindings) != 1 {
		t.Errorf("-n b read roles %v and %d rolebindings", s.Roles, len(s.RoleBindings))
	}
	for _, a := range c.Actions() {
		if ns := a.GetNamespace(); a.GetResource().Resource == "roles" && ns != "b" {
			t.Errorf("listed roles in namespace %q", ns)
		}
	}
	s, err = ReadRBAC(context.Background(), c.RbacV1(), RBACScope{Namespaced: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Roles) != 2 {
		t.Errorf("all namespaces: %d roles, want 2", len(s.Roles))
	}
}

const listYAML = `apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: reader}
  rules: [{verbs: [get], apiGroups: [""], resources: [pods]}]
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: other, namespace: default}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: rb, namespace: app}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
  subjects: [{kind: ServiceAccount, name: default}]
`

const multiDocYAML = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r, namespace: app}
rules: []
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - {name: v1beta1, served: true, storage: false}
  - {name: v1, served: true, storage: true}
`

const jsonList = `{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBindingList", "items": [
 {"metadata": {"name": "b"}, "roleRef": {"kind": "ClusterRole", "name": "reader"},
  "subjects": [{"kind": "Group", "name": "dev"}]}]}`

func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	nested := filepath.Join(dir, "nested")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"list.yaml":          listYAML,
		"nested/multi.yaml":  multiDocYAML,
		"nested/crbs.json":   jsonList,
		"nested/ignored.txt": "not kubernetes",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	getter := genericclioptions.NewConfigFlags(false)

	f, err := ReadFiles(getter, []string{dir}, true, "")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{"ClusterRole": 1, "ClusterRoleBinding": 1, "Role": 1, "RoleBinding": 1, "CustomResourceDefinition": 1}
	if d := cmp.Diff(counts, f.Counts); d != "" {
		t.Errorf("counts (-want +got):\n%s", d)
	}
	if got := f.RBAC.ClusterRoleBindings[0].Subjects[0].Name; got != "dev" {
		t.Errorf("typed List items lack their kind in JSON: subject %q", got)
	}
	wantCRD := CRD{Group: "example.com", Version: "v1"}
	wantCRD.Resource.Name, wantCRD.Resource.SingularName, wantCRD.Resource.Kind = "widgets", "widget", "Widget"
	wantCRD.Resource.ShortNames = []string{"wd"}
	if d := cmp.Diff([]CRD{wantCRD}, f.CRDs); d != "" {
		t.Errorf("CRDs (-want +got):\n%s", d)
	}

	// Without -R a directory's subdirectories are not read.
	f, err = ReadFiles(getter, []string{dir}, false, "")
	if err != nil {
		t.Fatal(err)
	}
	if f.Counts["Role"] != 0 || f.Counts["ClusterRole"] != 1 {
		t.Errorf("non-recursive read: %v", f.Counts)
	}
}

// Loose manifests: an RBAC kind at a version the API server does not serve is refused,
// an object without apiVersion is skipped with a warning (it was skipped silently), and
// a List of no known apiVersion is read with a warning.
func TestReadFilesLooseInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	getter := genericclioptions.NewConfigFlags(false)
	future := write("future.yaml", "apiVersion: rbac.authorization.k8s.io/v2\nkind: ClusterRole\nmetadata: {name: future}\nrules: []\n")
	if _, err := ReadFiles(getter, []string{future}, false, ""); err == nil || !strings.Contains(err.Error(), "apiVersion rbac.authorization.k8s.io/v2 is not a version the API server serves") {
		t.Errorf("v2: %v", err)
	}
	old := write("old.yaml", "apiVersion: rbac.authorization.k8s.io/v1beta1\nkind: Role\nmetadata: {name: old, namespace: a}\nrules: []\n")
	if _, err := ReadFiles(getter, []string{old}, false, ""); err == nil || !strings.Contains(err.Error(), "removed in Kubernetes 1.22") {
		t.Errorf("v1beta1: %v", err)
	}
	loose := write("loose.yaml", `kind: ClusterRoleBinding
metadata: {name: noversion}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: x}
---
apiVersion: foo/v9
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: inlist}
`)
	f, err := ReadFiles(getter, []string{loose}, false, "")
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, w := range f.Warnings {
		reasons = append(reasons, w.Reason)
	}
	if !slices.Equal(reasons, []string{"UnknownListVersion", "NoAPIVersion"}) || len(f.RBAC.ClusterRoles) != 1 || len(f.RBAC.ClusterRoleBindings) != 0 {
		t.Errorf("warnings %v, %d ClusterRoles, %d ClusterRoleBindings", f.Warnings, len(f.RBAC.ClusterRoles), len(f.RBAC.ClusterRoleBindings))
	}
}
