package test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
)

var (
	anonUser   = rbacv1.Subject{Kind: "User", APIGroup: rbacv1.GroupName, Name: "system:anonymous"}
	unauthGrp  = rbacv1.Subject{Kind: "Group", APIGroup: rbacv1.GroupName, Name: "system:unauthenticated"}
	aliceUser  = rbacv1.Subject{Kind: "User", APIGroup: rbacv1.GroupName, Name: "alice"}
	anonLabels = map[string]string{"eksiam-test": "anon"}
)

// anonCluster has anonymous access of every shape: bootstrap bindings of an upgraded
// cluster (system:discovery and system:basic-user with extra anonymous subjects),
// cluster-wide and namespaced bindings with only anonymous subjects or mixed with
// others, and a look-alike of the public-info-viewer binding without its label.
func anonCluster(t *testing.T) *cluster {
	t.Helper()
	cl, err := startCluster(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.stop)
	ctx := t.Context()
	rb := cl.client.RbacV1()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"system:discovery", "system:basic-user"} {
		b, err := rb.ClusterRoleBindings().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		extra := unauthGrp
		if name == "system:basic-user" {
			extra = anonUser
		}
		b.Subjects = append(b.Subjects, extra)
		must(rb.ClusterRoleBindings().Update(ctx, b, metav1.UpdateOptions{}))
	}
	must(rb.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "anon-pods", Labels: anonLabels},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}, metav1.CreateOptions{}))
	must(rb.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "anon-pods", Labels: anonLabels},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "anon-pods"}, Subjects: []rbacv1.Subject{anonUser, unauthGrp}}, metav1.CreateOptions{}))
	must(rb.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "mixed", Labels: anonLabels, Annotations: map[string]string{"owner": "team-a"}},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "anon-pods"}, Subjects: []rbacv1.Subject{aliceUser, unauthGrp}}, metav1.CreateOptions{}))
	must(rb.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "public-info-viewer-lookalike", Labels: anonLabels},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:public-info-viewer"}, Subjects: []rbacv1.Subject{unauthGrp}}, metav1.CreateOptions{}))
	must(cl.client.CoreV1().Namespaces().Create(ctx, nsObject("app"), metav1.CreateOptions{}))
	must(rb.Roles("app").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "config-reader", Namespace: "app"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"public"}}}}, metav1.CreateOptions{}))
	must(rb.RoleBindings("app").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "anon-config", Namespace: "app"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "config-reader"},
		Subjects: []rbacv1.Subject{unauthGrp, {Kind: "ServiceAccount", Name: "web", Namespace: "app"}}}, metav1.CreateOptions{}))
	must(rb.RoleBindings("app").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "only-anon", Namespace: "app"},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "anon-pods"}, Subjects: []rbacv1.Subject{anonUser}}, metav1.CreateOptions{}))
	waitAllowedOn(t, cl, "system:anonymous", "app", "list", "", "pods")
	return cl
}

// bindingsState is every binding's subjects and annotations, to compare before and after.
func bindingsState(t *testing.T, cl *cluster) map[string]string {
	t.Helper()
	ctx := t.Context()
	out := map[string]string{}
	crbs, err := cl.client.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range crbs.Items {
		out["crb/"+b.Name] = fmt.Sprintf("%v %v %v %v", b.RoleRef, b.Subjects, b.Annotations, b.Labels)
	}
	rbs, err := cl.client.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range rbs.Items {
		out["rb/"+b.Namespace+"/"+b.Name] = fmt.Sprintf("%v %v %v %v", b.RoleRef, b.Subjects, b.Annotations, b.Labels)
	}
	return out
}

func anonReport(t *testing.T, r result) v1alpha1.AnonReport {
	t.Helper()
	var rep v1alpha1.AnonReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, r)
	}
	return rep
}

func bindingActions(rep v1alpha1.AnonReport) []string {
	var out []string
	for _, b := range rep.Bindings {
		out = append(out, fmt.Sprintf("%s/%s/%s %s autoupdate=%v", b.Binding.Kind, b.Binding.Namespace, b.Binding.Name, b.Action, b.DisableAutoUpdate))
	}
	return out
}

func crbSubjects(t *testing.T, cl *cluster, name string) []string {
	t.Helper()
	b, err := cl.client.RbacV1().ClusterRoleBindings().Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range b.Subjects {
		out = append(out, s.Kind+"/"+s.Name)
	}
	return out
}

// Find, dry runs, a real revoke with verification, an API server restart proving it
// stays, the public-info-viewer opt-in with its autoupdate annotation (and proof
// that without it the bootstrap re-adds the subject), and restore.
func TestAnonRevoke(t *testing.T) {
	cl := anonCluster(t)
	ctx := t.Context()
	dir := t.TempDir()
	run := func(args ...string) result {
		return plugin(t, cl.kubeconfig, nil, append([]string{"anon", "revoke", "--backup-dir", dir, "-o", "json"}, args...)...)
	}
	before := bindingsState(t, cl)

	r := run("--dry-run=client")
	if r.code != 1 {
		t.Fatalf("dry run: %s", r)
	}
	want := []string{
		"ClusterRoleBinding//anon-pods delete autoupdate=false",
		"ClusterRoleBinding//mixed remove-subjects autoupdate=false",
		"ClusterRoleBinding//public-info-viewer-lookalike delete autoupdate=false",
		"ClusterRoleBinding//system:basic-user remove-subjects autoupdate=false",
		"ClusterRoleBinding//system:discovery remove-subjects autoupdate=false",
		"RoleBinding/app/anon-config remove-subjects autoupdate=false",
		"RoleBinding/app/only-anon delete autoupdate=false",
	}
	if got := bindingActions(anonReport(t, r)); !slices.Equal(got, want) {
		t.Errorf("bindings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r := run("--dry-run=server"); r.code != 1 || strings.Count(r.stdout, "(server dry run)") != 7 {
		t.Errorf("server dry run: %s", r)
	}
	if after := bindingsState(t, cl); !mapsEqual(before, after) {
		t.Fatal("a dry run changed bindings")
	}

	// The real revoke, verified.
	r = run()
	if r.code != 0 {
		t.Fatalf("revoke: %s", r)
	}
	rep := anonReport(t, r)
	if len(rep.Verification) == 0 {
		t.Fatal("no verification")
	}
	kept := 0
	for _, p := range rep.Verification {
		switch {
		case p.Kept:
			kept++ // the look-alike's rules, still granted by the real public-info-viewer binding
		case p.Allowed:
			t.Errorf("still allowed after revoke: %+v", p)
		}
	}
	if kept != 1 {
		t.Errorf("want one probe kept by system:public-info-viewer, got %d", kept)
	}
	if rep.AnonymousAuth == nil || rep.AnonymousAuth.StatusCode == 0 {
		t.Errorf("anonymous auth not reported: %+v", rep.AnonymousAuth)
	}
	if got := crbSubjects(t, cl, "mixed"); !slices.Equal(got, []string{"User/alice"}) {
		t.Errorf("mixed keeps its other subjects: %v", got)
	}
	for _, name := range []string{"anon-pods", "public-info-viewer-lookalike"} {
		if _, err := cl.client.RbacV1().ClusterRoleBindings().Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s not deleted: %v", name, err)
		}
	}
	if got := crbSubjects(t, cl, "system:public-info-viewer"); !slices.Contains(got, "Group/system:unauthenticated") {
		t.Errorf("public-info-viewer is left alone by default: %v", got)
	}

	// The revoke survives an API server restart (its RBAC bootstrap runs again).
	cl.restartAPIServer(t)
	for _, name := range []string{"system:discovery", "system:basic-user"} {
		got := crbSubjects(t, cl, name)
		if slices.Contains(got, "Group/system:unauthenticated") || slices.Contains(got, "User/system:anonymous") {
			t.Errorf("%s got anonymous subjects back after a restart: %v", name, got)
		}
	}
	if _, err := cl.client.RbacV1().ClusterRoleBindings().Get(ctx, "anon-pods", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("anon-pods came back: %v", err)
	}

	// Without the annotation, the bootstrap re-adds a default subject at restart...
	pub, err := cl.client.RbacV1().ClusterRoleBindings().Get(ctx, "system:public-info-viewer", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pub.Subjects = slices.DeleteFunc(pub.Subjects, func(s rbacv1.Subject) bool { return s.Name == "system:unauthenticated" })
	if _, err := cl.client.RbacV1().ClusterRoleBindings().Update(ctx, pub, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	cl.restartAPIServer(t)
	if got := crbSubjects(t, cl, "system:public-info-viewer"); !slices.Contains(got, "Group/system:unauthenticated") {
		t.Fatalf("control: the bootstrap did not re-add system:unauthenticated: %v", got)
	}
	// ...so the opt-in revoke also sets autoupdate=false, and it stays removed.
	r = run("--include-public-info-viewer")
	rep = anonReport(t, r)
	if r.code != 0 || len(rep.Bindings) != 1 || !rep.Bindings[0].DisableAutoUpdate {
		t.Fatalf("public-info-viewer revoke: %s", r)
	}
	// envtest tells the restarted server is up by an unauthenticated GET /readyz, which
	// the revoke just forbade: let the probe in through a binding of its own.
	if _, err := cl.client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "test-probe"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/readyz", "/healthz", "/livez"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "test-probe"},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "test-probe"}, Subjects: []rbacv1.Subject{anonUser}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cl.restartAPIServer(t)
	if got := crbSubjects(t, cl, "system:public-info-viewer"); slices.Contains(got, "Group/system:unauthenticated") {
		t.Errorf("system:unauthenticated came back despite autoupdate=false: %v", got)
	}

	// Restore every backup, newest first: the bindings are exactly as before.
	files := backups(t, dir)
	slices.Reverse(files)
	for _, f := range files {
		if r := plugin(t, cl.kubeconfig, nil, "anon", "restore", "-f", f, "--backup-dir", t.TempDir()); r.code != 0 {
			t.Fatalf("restore %s: %s", f, r)
		}
	}
	after := bindingsState(t, cl)
	delete(after, "crb/test-probe")
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s after restore:\n%s\nwant:\n%s", k, after[k], v)
		}
	}
}

// A caller who may read RBAC but not change it gets an error per binding; nothing
// changes and no backup is left.
func TestAnonRevokeForbidden(t *testing.T) {
	cl := anonCluster(t)
	kc := rbacOnlyReader(t, cl)
	before := bindingsState(t, cl)
	dir := t.TempDir()
	r := plugin(t, kc, nil, "anon", "revoke", "--backup-dir", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "error: 7 of 7 binding(s) could not be changed") || strings.Count(r.stdout, "forbidden") < 7 {
		t.Errorf("forbidden: %s", r)
	}
	if after := bindingsState(t, cl); !mapsEqual(before, after) {
		t.Error("a forbidden revoke changed bindings")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Error("a forbidden revoke left a backup")
	}
	// Offline, on a dump, it finds the same bindings and changes nothing.
	dump := dir + "/rbac.yaml"
	dumpRBAC(t, cl.kubeconfig, dump)
	r = plugin(t, kc, nil, "anon", "revoke", "-f", dump, "-o", "json")
	if got := bindingActions(anonReport(t, r)); r.code != 1 || len(got) != 7 {
		t.Errorf("offline: %v %s", got, r)
	}
}

func nsObject(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}
