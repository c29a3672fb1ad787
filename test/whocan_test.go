package test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
)

func mustCreate[T any](t *testing.T, create func() (T, error)) T {
	t.Helper()
	obj, err := create()
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// oneErrorLine checks the error contract: nothing on stdout, exit 2, and exactly one
// "error: " line on stderr containing every fragment.
func oneErrorLine(t *testing.T, r result, fragments ...string) {
	t.Helper()
	if r.code != 2 || r.stdout != "" {
		t.Errorf("want exit 2 and empty stdout, got %s", r)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: ") {
		t.Errorf("want one 'error: ' line on stderr, got %q", r.stderr)
	}
	for _, f := range fragments {
		if !strings.Contains(r.stderr, f) {
			t.Errorf("stderr %q does not mention %q", r.stderr, f)
		}
	}
}

// A caller who may read nothing gets a precise Forbidden error, never an answer.
func TestWhoCanForbidden(t *testing.T) {
	kc := shared.userKubeconfig(t, "reader-of-nothing")
	r := plugin(t, kc, nil, "who-can", "get", "pods", "-n", "default")
	oneErrorLine(t, r, "incomplete view of RBAC", "cannot list clusterroles", "cannot list clusterrolebindings",
		"cannot list roles in namespace default", "cannot list rolebindings in namespace default", "forbidden")
}

// A caller who may read cluster-level RBAC but not namespaced RBAC gets answers that
// need only the former, and a clear refusal for the rest: no partial answer.
func TestWhoCanPartialView(t *testing.T) {
	ctx := t.Context()
	rb := shared.client.RbacV1()
	mustCreate(t, func() (any, error) {
		return rb.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "pv-cluster-rbac-reader"},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"list"}, APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"clusterroles", "clusterrolebindings"}}}}, metav1.CreateOptions{})
	})
	mustCreate(t, func() (any, error) {
		return rb.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "pv-ns-rbac-reader"},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"list"}, APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"roles", "rolebindings"}}}}, metav1.CreateOptions{})
	})
	subjects := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "partial-viewer"}}
	mustCreate(t, func() (any, error) {
		return rb.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "pv-cluster-rbac-reader"},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "pv-cluster-rbac-reader"}, Subjects: subjects}, metav1.CreateOptions{})
	})
	mustCreate(t, func() (any, error) {
		return shared.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "pv-team"}}, metav1.CreateOptions{})
	})
	mustCreate(t, func() (any, error) {
		return rb.RoleBindings("pv-team").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "pv-ns-rbac-reader", Namespace: "pv-team"},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "pv-ns-rbac-reader"}, Subjects: subjects}, metav1.CreateOptions{})
	})
	waitAllowedAs(t, "partial-viewer", "pv-team", "list", "rbac.authorization.k8s.io", "rolebindings")
	kc := shared.userKubeconfig(t, "partial-viewer")

	// Cluster-scoped questions need only ClusterRoles and ClusterRoleBindings.
	// (--iam=false: this caller may not read aws-auth; the IAM view has its own tests.)
	for _, args := range [][]string{{"who-can", "delete", "nodes", "--iam=false"}, {"who-can", "get", "/healthz", "--iam=false"}, {"who-can", "impersonate", "users", "--iam=false"}} {
		if r := plugin(t, kc, nil, args...); r.code != 0 || !strings.Contains(r.stdout, "system:masters") {
			t.Errorf("%v: want an answer, got %s", args, r)
		}
	}
	// The namespace it may read.
	if r := plugin(t, kc, nil, "who-can", "list", "rolebindings", "-n", "pv-team", "--iam=false"); r.code != 0 || !strings.Contains(r.stdout, "partial-viewer") {
		t.Errorf("-n pv-team: want an answer naming partial-viewer, got %s", r)
	}
	// A namespace it may not read, and all namespaces.
	oneErrorLine(t, plugin(t, kc, nil, "who-can", "get", "pods", "-n", "default", "--iam=false"),
		"cannot list roles in namespace default", "cannot list rolebindings in namespace default")
	r := plugin(t, kc, nil, "who-can", "get", "pods", "-A", "--iam=false")
	oneErrorLine(t, r, "cannot list roles:", "cannot list rolebindings:")
	if strings.Contains(r.stderr, "clusterroles") {
		t.Errorf("clusterroles were readable, the error should not name them: %s", r.stderr)
	}
}

func waitAllowedAs(t *testing.T, user, ns, verb, group, resource string) {
	t.Helper()
	waitAllowedOn(t, shared, user, ns, verb, group, resource)
}

// waitAllowedOn waits until cl's RBAC authorizer allows user the action in ns.
func waitAllowedOn(t *testing.T, cl *cluster, user, ns, verb, group, resource string) {
	t.Helper()
	waitAllowed(t.Context(), t, cl.client, authzv1.SubjectAccessReviewSpec{User: user,
		ResourceAttributes: &authzv1.ResourceAttributes{Namespace: ns, Verb: verb, Group: group, Resource: resource}})
}

// applyCRD applies a CustomResourceDefinition with kubectl and waits until discovery
// serves resource in groupVersion.
func applyCRD(t *testing.T, file, groupVersion, resource string) {
	t.Helper()
	if out, err := exec.Command("kubectl", "--kubeconfig", shared.kubeconfig, "apply", "-f", file).CombinedOutput(); err != nil {
		t.Fatalf("kubectl apply -f %s: %v\n%s", file, err, out)
	}
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		l, err := shared.client.Discovery().ServerResourcesForGroupVersion(groupVersion)
		return err == nil && slices.ContainsFunc(l.APIResources, func(r metav1.APIResource) bool { return r.Name == resource }), nil
	})
	if err != nil {
		t.Fatalf("%s never appeared in discovery: %v", resource, err)
	}
}

// A hand-made scenario with exactly known answers: the shape of each row, the
// merging of a User that names a service account with the ServiceAccount itself,
// defaulted namespaces, scopes, and the warnings.
func TestWhoCanKnownAnswers(t *testing.T) {
	ctx := t.Context()
	rb := shared.client.RbacV1()
	for _, ns := range []string{"ka-app", "ka-ci"} {
		mustCreate(t, func() (any, error) {
			return shared.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		})
	}
	rules := []rbacv1.PolicyRule{{Verbs: []string{"create"}, APIGroups: []string{"ka.example"}, Resources: []string{"gizmos"}}}
	ref := func(kind, name string) rbacv1.RoleRef {
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: name}
	}
	user, group, sa := userSubject, groupSubject, saSubject
	create := func(obj any) {
		t.Helper()
		var err error
		switch o := obj.(type) {
		case *rbacv1.ClusterRole:
			_, err = rb.ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.ClusterRoleBinding:
			_, err = rb.ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.Role:
			_, err = rb.Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.RoleBinding:
			_, err = rb.RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	om := func(name, ns string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Namespace: ns} }
	create(&rbacv1.ClusterRole{ObjectMeta: om("ka-gizmo-reader", ""), Rules: rules})
	create(&rbacv1.ClusterRole{ObjectMeta: om("ka-aggregated-empty", ""),
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"ka": "none"}}}}})
	create(&rbacv1.Role{ObjectMeta: om("ka-gizmo-reader", "ka-app"), Rules: rules})
	create(&rbacv1.ClusterRoleBinding{ObjectMeta: om("ka-auditors", ""), RoleRef: ref("ClusterRole", "ka-gizmo-reader"),
		Subjects: []rbacv1.Subject{group("ka:auditors")}})
	create(&rbacv1.ClusterRoleBinding{ObjectMeta: om("ka-empty", ""), RoleRef: ref("ClusterRole", "ka-aggregated-empty"),
		Subjects: []rbacv1.Subject{user("ka-nobody")}})
	create(&rbacv1.RoleBinding{ObjectMeta: om("ka-builders", "ka-app"), RoleRef: ref("Role", "ka-gizmo-reader"),
		// builder without a namespace is ka-app/builder; the User names the same account.
		Subjects: []rbacv1.Subject{sa("", "builder"), user("system:serviceaccount:ka-app:builder"), user("ka-alice")}})
	create(&rbacv1.RoleBinding{ObjectMeta: om("ka-ci-readers", "ka-ci"), RoleRef: ref("ClusterRole", "ka-gizmo-reader"),
		Subjects: []rbacv1.Subject{sa("ka-app", "builder"), group("system:serviceaccounts:ka-ci")}})
	create(&rbacv1.RoleBinding{ObjectMeta: om("ka-dangling", "ka-ci"), RoleRef: ref("Role", "ka-no-such-role"),
		Subjects: []rbacv1.Subject{user("ka-bob")}})
	waitAllowedAs(t, "ka-alice", "ka-app", "create", "ka.example", "gizmos")
	waitAllowedAs(t, "system:serviceaccount:ka-app:builder", "ka-ci", "create", "ka.example", "gizmos")

	// gizmos.ka.example is a custom resource: served live, and declared offline by its
	// CustomResourceDefinition in the dump.
	dir := t.TempDir()
	crd := filepath.Join(dir, "crd.yaml")
	if err := os.WriteFile(crd, []byte(gizmoCRD), 0o644); err != nil {
		t.Fatal(err)
	}
	applyCRD(t, crd, "ka.example/v1", "gizmos")
	dump := filepath.Join(dir, "rbac.yaml")
	dumpRBAC(t, shared.kubeconfig, dump)

	var report v1alpha1.WhoCanReport
	live := plugin(t, shared.kubeconfig, nil, "who-can", "create", "gizmos.ka.example", "-A", "-o", "json", "--iam=false")
	offline := plugin(t, shared.kubeconfig, nil, "who-can", "create", "gizmos.ka.example", "-A", "-o", "json", "--iam=false", "-f", dump)
	if live.code != 0 || offline.code != 0 || live.stdout != offline.stdout {
		t.Fatalf("live and offline answers differ:\nlive: %s\noffline: %s", live, offline)
	}
	if err := json.Unmarshal([]byte(live.stdout), &report); err != nil {
		t.Fatalf("%v: %s", err, live)
	}
	type row struct {
		Kind, Name, Namespace string
		ClusterWide           bool
		Namespaces            []string
		Grants                int
	}
	var got []row
	for _, s := range report.Subjects {
		got = append(got, row{s.Kind, s.Name, s.Namespace, s.ClusterWide, s.Namespaces, len(s.Grants)})
	}
	wantRows := []row{
		{"Group", "ka:auditors", "", true, []string{}, 1},
		{"Group", "system:masters", "", true, []string{}, 1},
		{"Group", "system:serviceaccounts:ka-ci", "", false, []string{"ka-ci"}, 1},
		// The ServiceAccount subject (namespace defaulted), the User naming it, and the
		// RoleBinding in ka-ci: one row, three grants.
		{"ServiceAccount", "builder", "ka-app", false, []string{"ka-app", "ka-ci"}, 3},
		{"User", "ka-alice", "", false, []string{"ka-app"}, 1},
	}
	if d := cmp.Diff(wantRows, got); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
	var reasons []string
	for _, w := range report.Warnings {
		if strings.Contains(w.Message, "ka-") {
			reasons = append(reasons, w.Reason+" "+w.Object.Name)
		}
	}
	if d := cmp.Diff([]string{"AggregationRuleWithoutRules ka-aggregated-empty", "RoleNotFound ka-dangling"}, reasons); d != "" {
		t.Errorf("warnings (-want +got):\n%s", d)
	}
	// BoundAs tells how each binding wrote the subject.
	for _, s := range report.Subjects {
		if s.Name != "builder" {
			continue
		}
		var bound []string
		for _, g := range s.Grants {
			b := "-"
			if g.BoundAs != nil {
				b = g.BoundAs.Kind + ":" + g.BoundAs.Namespace + ":" + g.BoundAs.Name
			}
			bound = append(bound, g.Binding.Name+"="+b)
		}
		want := []string{"ka-builders=ServiceAccount::builder", "ka-builders=User::system:serviceaccount:ka-app:builder", "ka-ci-readers=-"}
		if d := cmp.Diff(want, bound); d != "" {
			t.Errorf("builder grants (-want +got):\n%s", d)
		}
	}

	// In one namespace only that namespace's RoleBindings count.
	r := plugin(t, shared.kubeconfig, nil, "who-can", "create", "gizmo.ka.example", "-n", "ka-ci", "--no-headers", "--iam=false")
	wantTable := "Group            ka:auditors                             cluster-wide\n" +
		"Group            system:masters                          cluster-wide (superuser)\n" +
		"Group            system:serviceaccounts:ka-ci            ka-ci\n" +
		"ServiceAccount   builder                        ka-app   ka-ci\n"
	if r.code != 0 || r.stdout != wantTable {
		t.Errorf("-n ka-ci --no-headers:\n%s\nwant stdout:\n%s", r, wantTable)
	}
	if !strings.Contains(r.stderr, "Warning: RoleBinding/ka-ci/ka-dangling refers to Role/ka-ci/ka-no-such-role, which does not exist") {
		t.Errorf("want the dangling binding warned about on stderr, got %q", r.stderr)
	}
}

const gizmoCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gizmos.ka.example
spec:
  group: ka.example
  names: {plural: gizmos, singular: gizmo, kind: Gizmo}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object}}
`

// userSubject, groupSubject and saSubject are RBAC subjects as bindings write them.
func userSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

func groupSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func saSubject(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
}
