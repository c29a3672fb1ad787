package podidentity

import (
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

func binding(ns, name, role string, subjects ...rbacv1.Subject) rbacv1.RoleBinding {
	return rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: role}, Subjects: subjects}
}

func TestReverse(t *testing.T) {
	snap := &rbac.Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{
			{ObjectMeta: metav1.ObjectMeta{Name: "pods"}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods"}}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "token-api"}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, ResourceNames: []string{"api"}}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "read"}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}},
		},
		RoleBindings: []rbacv1.RoleBinding{
			binding("app", "a", "pods", rbacv1.Subject{Kind: "User", Name: "alice"}),
			binding("other", "b", "pods", rbacv1.Subject{Kind: "User", Name: "bob"}),
			binding("app", "c", "token-api", rbacv1.Subject{Kind: "Group", Name: "ci"}),
			binding("app", "d", "read", rbacv1.Subject{Kind: "User", Name: "reader"}),
		},
	}
	ix := rbac.NewIndex(snap)
	actors := func(in *Input, role string) []string {
		r := Build(in, Options{RoleARN: role, RBAC: ix})
		var out []string
		for _, a := range r.Actors {
			out = append(out, a.Kind+"/"+a.Name+" "+strings.Join(a.Routes, ";"))
		}
		return out
	}

	// app/api gets pi through its association; alice creates pods in app, ci makes api's
	// tokens; bob (other namespace) and reader (get only) are near misses.
	got := actors(base(t), piRole)
	want := []string{"Group/ci create serviceaccounts/token app/api", "Group/system:masters superuser (system:masters)", "User/alice create pods -n app"}
	if !slices.Equal(got, want) {
		t.Errorf("actors of %s:\n got %q\nwant %q", piRole, got, want)
	}

	// A trust that admits app/api with no annotation on it: app/api is listed, from the trust.
	in := base(t)
	in.Roles[webRole] = role(t, webRole, irsaTrust(host, sub("StringEquals", `["system:serviceaccount:app:web","system:serviceaccount:app:api"]`)))
	r := Build(in, Options{RoleARN: webRole, RBAC: ix})
	var names []string
	for _, sa := range r.ServiceAccounts {
		names = append(names, sa.Namespace+"/"+sa.Name+":"+sa.Roles[0].Source)
	}
	if !slices.Equal(names, []string{"app/api:trust policy", "app/web:annotation eks.amazonaws.com/role-arn"}) {
		t.Errorf("service accounts of %s: %v", webRole, names)
	}

	// The node role: whoever can run a pod anywhere (bob too), with a warning.
	in = base(t)
	in.Instances["i-1"].HopLimit = 2
	got = actors(in, nodeRole)
	want = []string{"Group/system:masters superuser (system:masters)", "User/alice create pods (any namespace)", "User/bob create pods (any namespace)"}
	if !slices.Equal(got, want) {
		t.Errorf("actors of the node role:\n got %q\nwant %q", got, want)
	}
	t.Logf("%d routes per service account with pods, %d for a node role", len(ServiceAccountRoutes("app", "web", true)), len(AnyNamespaceRoutes()))
}
