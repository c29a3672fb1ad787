package anon

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

var (
	anonymous = rbacv1.Subject{Kind: "User", Name: "system:anonymous"}
	unauth    = rbacv1.Subject{Kind: "Group", Name: "system:unauthenticated"}
	authed    = rbacv1.Subject{Kind: "Group", Name: "system:authenticated"}
	bootstrap = map[string]string{BootstrapLabel: BootstrapLabelValue}
	autoTrue  = map[string]string{AutoUpdate: "true"}
)

func crb(name, role string, labels, ann map[string]string, subjects ...rbacv1.Subject) rbacv1.ClusterRoleBinding {
	return rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: ann},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: role}, Subjects: subjects}
}

func TestFind(t *testing.T) {
	snap := &rbac.Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{{ObjectMeta: metav1.ObjectMeta{Name: "system:public-info-viewer"},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz", "/version"}}}}},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			crb("system:public-info-viewer", "system:public-info-viewer", bootstrap, autoTrue, authed, unauth),
			crb("system:discovery", "system:discovery", bootstrap, autoTrue, authed, unauth),
			crb("bootstrap-only-anon", "x", bootstrap, autoTrue, anonymous),
			crb("lookalike", "system:public-info-viewer", nil, nil, unauth),
			crb("clean", "x", nil, nil, authed),
			crb("only-anon", "missing-role", nil, nil, anonymous, unauth),
		},
		RoleBindings: []rbacv1.RoleBinding{{ObjectMeta: metav1.ObjectMeta{Name: "rb", Namespace: "app"},
			RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "r"}, Subjects: []rbacv1.Subject{unauth, {Kind: "ServiceAccount", Name: "web"}}}},
		Roles: []rbacv1.Role{{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "app"},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}}},
	}
	summary := func(fs []Finding) []string {
		var out []string
		for _, f := range fs {
			s := f.Binding.Ref() + " " + f.Action
			if f.DisableAutoUpdate {
				s += " +autoupdate=false"
			}
			if !f.RoleExists {
				s += " (no role)"
			}
			out = append(out, s)
		}
		return out
	}
	want := []string{
		"clusterrolebinding/bootstrap-only-anon remove-subjects-keep-empty (no role)",
		"clusterrolebinding/lookalike delete",
		"clusterrolebinding/only-anon delete (no role)",
		// system:discovery's default subjects no longer include system:unauthenticated,
		// so the bootstrap will not re-add it: no need to stop its reconciliation.
		"clusterrolebinding/system:discovery remove-subjects (no role)",
		"rolebinding/rb -n app remove-subjects",
	}
	if d := cmp.Diff(want, summary(Find(snap, Options{}))); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	want = append([]string{}, want[:4]...)
	want = append(want, "clusterrolebinding/system:public-info-viewer remove-subjects +autoupdate=false", "rolebinding/rb -n app remove-subjects")
	if d := cmp.Diff(want, summary(Find(snap, Options{IncludePublicInfoViewer: true}))); d != "" {
		t.Errorf("with public-info-viewer (-want +got):\n%s", d)
	}
}

func TestRevoke(t *testing.T) {
	pub := &Finding{Binding: Binding{Kind: "ClusterRoleBinding", Name: PublicInfoViewer, Labels: bootstrap, Annotations: autoTrue}, DisableAutoUpdate: true}
	subjects, ann, del, changed := Revoke(pub, []rbacv1.Subject{authed, unauth}, autoTrue)
	if del || !changed || len(subjects) != 1 || ann[AutoUpdate] != "false" || autoTrue[AutoUpdate] != "true" {
		t.Errorf("public-info-viewer: %v %v %v %v (the input map must not change)", subjects, ann, del, changed)
	}
	custom := &Finding{Binding: Binding{Kind: "ClusterRoleBinding", Name: "x"}}
	if _, _, del, changed := Revoke(custom, []rbacv1.Subject{anonymous}, nil); !del || !changed {
		t.Error("a custom binding left empty is deleted")
	}
	boot := &Finding{Binding: Binding{Kind: "ClusterRoleBinding", Name: "y", Labels: bootstrap}}
	if subjects, _, del, changed := Revoke(boot, []rbacv1.Subject{anonymous}, nil); del || !changed || len(subjects) != 0 {
		t.Error("a bootstrap binding left empty is kept")
	}
	// Re-planned on a fresh read that no longer has the subject: nothing to do.
	if _, _, del, changed := Revoke(custom, []rbacv1.Subject{authed}, nil); del || changed {
		t.Error("nothing left to revoke")
	}
}

func TestProbes(t *testing.T) {
	f := &Finding{Binding: Binding{Kind: "RoleBinding", Namespace: "app"}, Rules: []rbacv1.PolicyRule{
		{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
		{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"public"}},
		{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods/exec"}},
		{Verbs: []string{"get"}, NonResourceURLs: []string{"/logs/*"}},
	}}
	var got []string
	for _, p := range Probes(f) {
		got = append(got, p.Description)
		if p.Path == "" && !RuleAllowsAny(f.Rules, p.Attributes) {
			t.Errorf("%s: the probe is not allowed by the rule it comes from", p.Description)
		}
	}
	want := []string{"get pods in app", "get configmaps public in app", "create pods/exec in app", "get /logs/"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func RuleAllowsAny(rules []rbacv1.PolicyRule, a rbac.Attributes) bool {
	return rbac.FirstAllowingRule(&a, rules) >= 0
}
