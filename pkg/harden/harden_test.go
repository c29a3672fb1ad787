package harden

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

func bp(b bool) *bool { return &b }

func keys(r *Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Namespace+" "+f.Check+" "+string(f.Severity)+" "+f.Object.String())
	}
	return out
}

func TestAudit(t *testing.T) {
	sub := func(kind, ns, name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: kind, Namespace: ns, Name: name}
	}
	snap := &rbac.Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{{ObjectMeta: metav1.ObjectMeta{Name: "view"},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			{ObjectMeta: metav1.ObjectMeta{Name: "issuer"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"}, Subjects: []rbacv1.Subject{sub("Group", "", "system:serviceaccounts")}},
			{ObjectMeta: metav1.ObjectMeta{Name: "all-sa"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"}, Subjects: []rbacv1.Subject{sub("Group", "", "system:serviceaccounts")}},
			{ObjectMeta: metav1.ObjectMeta{Name: "b-default-as-user"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "missing"}, Subjects: []rbacv1.Subject{sub("User", "", "system:serviceaccount:b:default")}},
		},
		RoleBindings: []rbacv1.RoleBinding{
			{ObjectMeta: metav1.ObjectMeta{Name: "implicit", Namespace: "a"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"},
				Subjects: []rbacv1.Subject{sub("ServiceAccount", "", "default"), sub("ServiceAccount", "", "web")}},
			{ObjectMeta: metav1.ObjectMeta{Name: "out-of-scope", Namespace: "z"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"}, Subjects: []rbacv1.Subject{sub("ServiceAccount", "", "default")}},
		},
	}
	in := &Input{
		Namespaces:        []string{"a", "b", "c"},
		ServiceAccounts:   []ServiceAccount{{Namespace: "a", Name: "default"}, {Namespace: "b", Name: "default", Automount: bp(false)}, {Namespace: "a", Name: "x", RoleARN: "arn:aws:iam::111122223333:role/teams/"}},
		RBAC:              snap,
		BootstrapBindings: map[string]bool{"ClusterRoleBinding//issuer": true},
		Pods: []Pod{
			{Namespace: "a", Name: "mounted", TokenMounted: true, Phase: "Running", Owner: &Ref{Kind: "ReplicaSet", Namespace: "a", Name: "web-1"}},
			{Namespace: "a", Name: "override", Automount: bp(true), Phase: "Running"},
			{Namespace: "b", Name: "quiet", Phase: "Running"},
			{Namespace: "a", Name: "done", TokenMounted: true, Phase: "Succeeded"},
		},
		Owners:    map[string]Ref{"ReplicaSet/a/web-1": {Kind: "Deployment", Namespace: "a", Name: "web"}},
		Workloads: []Workload{{Ref: Ref{Kind: "Deployment", Namespace: "a", Name: "web"}}, {Ref: Ref{Kind: "Job", Namespace: "b", Name: "j"}, Owner: &Ref{Kind: "CronJob", Namespace: "b", Name: "cj"}}},
	}
	r := Audit(in, Options{RemoveDefaultBindings: true})
	want := []string{
		" default-sa-group-binding medium clusterrolebinding/all-sa",
		"a default-sa-automount high serviceaccount/a/default",
		"a default-sa-binding high rolebinding/a/implicit",
		"a workload-default-sa high deployment/a/web",
		"a pod-default-sa high pod/a/done",
		"a pod-default-sa high pod/a/mounted",
		"a pod-default-sa medium pod/a/override",
		"a malformed-irsa-annotation medium serviceaccount/a/x",
		"b default-sa-binding high clusterrolebinding/b-default-as-user",
		"b pod-default-sa medium pod/b/quiet",
		"c default-sa-missing medium serviceaccount/c/default",
	}
	if d := cmp.Diff(want, keys(r)); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Ref{{Kind: "ServiceAccount", Namespace: "a", Name: "default"}}, r.Plan.DisableAutomount); d != "" {
		t.Errorf("disable automount: %s", d)
	}
	// The implicit-namespace subject and the User naming the account are both removed;
	// web stays; the out-of-scope namespace is untouched.
	var edits []string
	for _, e := range r.Plan.RemoveSubjects {
		for _, s := range e.Subjects {
			edits = append(edits, e.Binding.String()+" -"+s.Kind+":"+s.Namespace+":"+s.Name)
		}
	}
	if d := cmp.Diff([]string{"clusterrolebinding/b-default-as-user -User::system:serviceaccount:b:default", "rolebinding/a/implicit -ServiceAccount::default"}, edits); d != "" {
		t.Errorf("binding edits (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Ref{{Kind: "Pod", Namespace: "a", Name: "mounted"}}, r.Plan.KeepTokens); d != "" {
		t.Errorf("keep tokens (a finished pod does not count): %s", d)
	}
	if d := cmp.Diff([]Ref{{Kind: "Pod", Namespace: "a", Name: "override"}}, r.Plan.Overrides); d != "" {
		t.Errorf("overrides: %s", d)
	}
	for _, f := range r.Findings {
		if f.Object.Name == "mounted" && !strings.Contains(f.Message, "deployment/a/web") {
			t.Errorf("the pod finding names its workload: %s", f.Message)
		}
		if f.Check == CheckDefaultSABinding && f.Object.Name == "b-default-as-user" && !strings.Contains(strings.Join(f.Grants, ""), "does not exist") {
			t.Errorf("grants of a dangling binding: %v", f.Grants)
		}
	}
	// Without --remove-default-bindings the bindings are reported, not planned.
	r = Audit(in, Options{})
	if len(r.Plan.RemoveSubjects) != 0 {
		t.Errorf("bindings planned without the option")
	}
	for _, f := range r.Findings {
		if f.Check == CheckDefaultSABinding && f.Fixable {
			t.Errorf("binding finding fixable without the option")
		}
	}
}

func TestAWSNodeAndIRSA(t *testing.T) {
	in := &Input{Namespaces: []string{"kube-system"}, ServiceAccounts: []ServiceAccount{{Namespace: "kube-system", Name: "default", Automount: bp(false),
		RoleARN: "arn:aws:iam::111122223333:role/node"}}, AWSNode: &ServiceAccount{Namespace: "kube-system", Name: "aws-node"}}
	got := keys(Audit(in, Options{}))
	want := []string{"kube-system irsa-on-default-sa high serviceaccount/kube-system/default", "kube-system aws-node-without-irsa medium serviceaccount/kube-system/aws-node"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	in.AWSNode.RoleARN = "arn:aws:iam::111122223333:role/cni"
	if got := keys(Audit(in, Options{})); len(got) != 1 {
		t.Errorf("aws-node with IRSA is fine: %v", got)
	}
}
