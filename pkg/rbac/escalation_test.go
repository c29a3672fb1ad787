package rbac

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
)

// escalationSnapshot has one route of each kind, each ending at a cluster admin.
func escalationSnapshot() *Snapshot {
	clusterAdmin := mkClusterRole("cluster-admin", rule("*", "*", "*"), rbacv1.PolicyRule{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}})
	return &Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{
			clusterAdmin,
			mkClusterRole("admin", rule("*", "", "pods,secrets,configmaps"), rule("*", "apps", "deployments")),
			mkClusterRole("pod-creator", rule("create", "", "pods")),
			mkClusterRole("deployer", rule("create,update", "apps", "deployments")),
			mkClusterRole("exec", rule("create", "", "pods/exec")),
			mkClusterRole("token-of-ops", rule("create", "", "serviceaccounts/token", "ops")),
			mkClusterRole("impersonate-root", rule("impersonate", "", "users", "root")),
			mkClusterRole("impersonate-all", rule("impersonate", "", "users,groups")),
			mkClusterRole("binder", rule("create", "rbac.authorization.k8s.io", "rolebindings,clusterrolebindings"),
				rule("bind", "rbac.authorization.k8s.io", "clusterroles", "cluster-admin")),
			mkClusterRole("ns-binder", rule("create", "rbac.authorization.k8s.io", "rolebindings"),
				rule("bind", "rbac.authorization.k8s.io", "clusterroles", "admin")),
			mkClusterRole("escalator", rule("escalate,update", "rbac.authorization.k8s.io", "clusterroles", "team")),
			mkClusterRole("team", rule("get", "", "pods")),
			mkClusterRole("role-writer", rule("create,update,escalate", "rbac.authorization.k8s.io", "clusterroles"),
				rule("create", "rbac.authorization.k8s.io", "clusterrolebindings")),
			mkClusterRole("secret-lister", rule("list", "", "secrets")),
			mkClusterRole("node-proxy", rule("get", "", "nodes/proxy")),
			mkClusterRole("aws-auth-editor", rule("update,patch", "", "configmaps", "aws-auth")),
			mkClusterRole("csr-approver", rule("create", "certificates.k8s.io", "certificatesigningrequests"),
				rule("update", "certificates.k8s.io", "certificatesigningrequests/approval"),
				rule("approve", "certificates.k8s.io", "signers", "kubernetes.io/kube-apiserver-client")),
			mkClusterRole("webhooks", rule("create", "admissionregistration.k8s.io", "mutatingwebhookconfigurations")),
			mkClusterRole("reader", rule("get,list", "", "pods")),
		},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			mkCRB("cluster-admin", "ClusterRole", "cluster-admin", groupSubj(SuperuserGroup), userSubj("root"), saSubj("kube-system", "deployer"),
				saSubj("kube-system", "ops")),
			mkCRB("escalator", "ClusterRole", "escalator", userSubj("escalator")),
			mkCRB("team", "ClusterRole", "team", userSubj("escalator")),
			mkCRB("role-writer", "ClusterRole", "role-writer", userSubj("writer")),
			mkCRB("imp-root", "ClusterRole", "impersonate-root", userSubj("imp-root")),
			mkCRB("imp-all", "ClusterRole", "impersonate-all", userSubj("imp-all")),
			mkCRB("binder", "ClusterRole", "binder", userSubj("binder")),
			mkCRB("node-proxy", "ClusterRole", "node-proxy", userSubj("proxy")),
			mkCRB("csr", "ClusterRole", "csr-approver", userSubj("csr")),
			mkCRB("webhooks", "ClusterRole", "webhooks", userSubj("hooks")),
			mkCRB("readers", "ClusterRole", "reader", groupSubj(AuthenticatedGroup)),
		},
		RoleBindings: []rbacv1.RoleBinding{
			mkRB("kube-system", "pods", "ClusterRole", "pod-creator", userSubj("podder")),
			mkRB("kube-system", "deploy", "ClusterRole", "deployer", userSubj("deployer-user")),
			mkRB("kube-system", "exec", "ClusterRole", "exec", userSubj("execer")),
			mkRB("kube-system", "secrets", "ClusterRole", "secret-lister", userSubj("lister")),
			mkRB("kube-system", "aws-auth", "ClusterRole", "aws-auth-editor", userSubj("aws")),
			mkRB("kube-system", "ns-binder", "ClusterRole", "ns-binder", userSubj("nsbinder")),
			// Two hops: pods in app -> app/builder, which has a token of kube-system/ops -> an admin.
			mkRB("app", "pods", "ClusterRole", "pod-creator", userSubj("dev")),
			mkRB("kube-system", "token", "ClusterRole", "token-of-ops", saSubj("app", "builder")),
			mkRB("kube-system", "ops", "ClusterRole", "reader", saSubj("kube-system", "ops")),
			// A dead end: pods in quiet, whose service accounts have nothing.
			mkRB("quiet", "pods", "ClusterRole", "pod-creator", userSubj("quiet")),
		},
	}
}

func routesOf(p Path) string {
	var rs []string
	for _, s := range p.Steps {
		r := s.Route
		if s.Target != nil {
			r += ">" + SubjectLabel(*s.Target)
		}
		rs = append(rs, r)
	}
	return strings.Join(rs, " ")
}

func TestEscalationFrom(t *testing.T) {
	snap := escalationSnapshot()
	ix := NewIndex(snap)
	e := NewEscalator(snap, ix, EscalationOptions{AdminObjects: []AdminObject{{Route: "aws-auth", Resource: "configmaps",
		Namespace: "kube-system", Name: "aws-auth", Verbs: []string{"update", "patch"}, LeadsTo: "system:masters"}}})
	tests := []struct {
		start Subject
		// want is the routes of the shortest path to cluster admin, "" for none.
		want string
	}{
		{user("podder"), "create-pods>serviceaccount/kube-system/deployer cluster-admin"},
		{user("deployer-user"), "workloads>serviceaccount/kube-system/deployer cluster-admin"},
		{user("execer"), "running-pods>serviceaccount/kube-system/deployer cluster-admin"},
		{user("dev"), "create-pods>serviceaccount/app/builder serviceaccount-token>serviceaccount/kube-system/ops cluster-admin"},
		{user("imp-root"), "impersonate>user/root cluster-admin"},
		{user("imp-all"), "impersonate>group/system:masters"},
		{user("binder"), "bind cluster-admin"},
		{user("escalator"), "escalate cluster-admin"},
		{user("writer"), "escalate cluster-admin"},
		{user("lister"), "secrets>serviceaccount/kube-system/deployer cluster-admin"},
		{user("proxy"), "nodes-proxy>serviceaccount/kube-system/deployer cluster-admin"},
		{user("aws"), "aws-auth"},
		{user("csr"), "csr>user/root cluster-admin"},
		{user("hooks"), "webhook>serviceaccount/kube-system/deployer cluster-admin"},
		{user("quiet"), ""},
		{user("nsbinder"), "bind aws-auth"}, // admin in kube-system includes configmaps
	}
	for _, tc := range tests {
		t.Run(tc.start.Name, func(t *testing.T) {
			res := e.From(tc.start, IdentityOf(tc.start), nil)
			got := ""
			if len(res.Paths) > 0 && res.Paths[0].ClusterAdmin {
				got = routesOf(res.Paths[0])
			}
			if got != tc.want {
				t.Errorf("path to cluster admin: %q, want %q", got, tc.want)
				for _, p := range res.Paths {
					t.Logf("  %s: %s", p.Reaches, routesOf(p))
				}
			}
			for _, p := range res.Paths {
				for _, s := range p.Steps {
					if s.Grant == "" || s.LeadsTo == "" {
						t.Errorf("step without grant or target: %+v", s)
					}
				}
			}
		})
	}

	// A cluster admin needs no path; a dead end reaches service accounts with nothing.
	if res := e.From(user("root"), IdentityOf(user("root")), nil); !res.ClusterAdmin || len(res.Paths) != 0 {
		t.Errorf("root: %+v", res)
	}
	// Cluster admin reaches everything: its path is the only one.
	if res := e.From(user("nsbinder"), IdentityOf(user("nsbinder")), nil); len(res.Paths) != 1 {
		t.Errorf("nsbinder: %d paths, want the one to cluster admin", len(res.Paths))
	}
	// Out of reach of cluster admin: the routes its grants open, and what they lead to.
	quiet := e.From(user("quiet"), IdentityOf(user("quiet")), nil)
	var reaches []string
	for _, p := range quiet.Paths {
		reaches = append(reaches, p.Reaches+": "+routesOf(p))
	}
	if d := cmp.Diff([]string{"any service account in namespace quiet: create-pods"}, reaches); d != "" {
		t.Errorf("quiet (-want +got):\n%s", d)
	}
}

func TestEscalationReaching(t *testing.T) {
	snap := escalationSnapshot()
	ix := NewIndex(snap)
	e := NewEscalator(snap, ix, EscalationOptions{})
	q := Query{Attributes: Attributes{Verb: "delete", Resource: "nodes"}}
	direct := ix.WhoCan(q)
	got := map[string]string{}
	for _, r := range e.Reaching(q, direct.Subjects, "delete nodes") {
		got[SubjectLabel(r.Subject)] = routesOf(r.Path)
		if r.Path.Reaches != ReachesClusterAdmin && r.Path.Reaches != "delete nodes" {
			t.Errorf("%v reaches %q", r.Subject, r.Path.Reaches)
		}
	}
	want := map[string]string{
		"user/podder":                "create-pods>serviceaccount/kube-system/ops",
		"user/dev":                   "create-pods>serviceaccount/app/builder serviceaccount-token>serviceaccount/kube-system/ops",
		"user/imp-root":              "impersonate>user/root",
		"user/imp-all":               "impersonate>group/system:masters",
		"user/binder":                "bind",
		"user/csr":                   "csr>user/root",
		"serviceaccount/app/builder": "serviceaccount-token>serviceaccount/kube-system/ops",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	for _, direct := range []string{"user/root", "serviceaccount/kube-system/deployer", "group/system:masters", "user/quiet"} {
		if _, ok := got[direct]; ok {
			t.Errorf("%s listed: it is allowed directly, or reaches nothing", direct)
		}
	}
	t.Logf("%d subjects reach delete nodes by escalation", len(got))
}

// A grant limited to names that opens a route whatever the names (exec into the pods
// named) is worded with its names: the grant as the API server checks it.
func TestEscalationGrantKeepsNames(t *testing.T) {
	snap := &Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{
			mkClusterRole("cluster-admin", rule("*", "*", "*")),
			mkClusterRole("exec-web", rule("create", "", "pods/exec", "web")),
		},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{mkCRB("cluster-admin", "ClusterRole", "cluster-admin", saSubj("app", "root"))},
		RoleBindings:        []rbacv1.RoleBinding{mkRB("app", "exec", "ClusterRole", "exec-web", userSubj("execer"))},
	}
	e := NewEscalator(snap, NewIndex(snap), EscalationOptions{})
	res := e.From(user("execer"), IdentityOf(user("execer")), nil)
	if len(res.Paths) == 0 || !res.Paths[0].ClusterAdmin {
		t.Fatalf("no path to cluster admin: %+v", res)
	}
	step := res.Paths[0].Steps[0]
	if want := "create pods/exec [web] in namespace app (RoleBinding/app/exec -> ClusterRole/exec-web)"; step.Route != RouteRunningPods || step.Grant != want {
		t.Errorf("step [%s] grant %q, want [%s] %q", step.Route, step.Grant, RouteRunningPods, want)
	}
}

// The searches of Reaching share what they learn; sharing must not change the answer:
// the same subjects, each with a path of the same length to the same end, as searches
// that each start from nothing. On generated snapshots with and without
// system:authenticated bound (then paths go through each subject's own grants).
func TestReachingSharedSearchesAgree(t *testing.T) {
	queries := []Query{
		{Attributes: Attributes{Verb: "delete", Resource: "nodes"}},
		{Attributes: Attributes{Verb: "escalate", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles"}},
		{Attributes: Attributes{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "ns-3"}},
		{Attributes: Attributes{Verb: "get", Resource: "secrets", Namespace: "ns-1"}},
		{Attributes: Attributes{Verb: "impersonate", Resource: "users"}},
	}
	total, compared := 0, 0
	for _, seed := range []uint64{3, 4} {
		for _, shared := range []bool{true, false} {
			snap := benchSnapshot(seed, 1_000, 2_000)
			if !shared {
				// No group every identity shares: each subject's own grants count.
				for i := range snap.ClusterRoleBindings {
					b := &snap.ClusterRoleBindings[i]
					b.Subjects = slices.DeleteFunc(b.Subjects, func(s rbacv1.Subject) bool { return strings.HasPrefix(s.Name, "system:") })
				}
				for i := range snap.RoleBindings {
					b := &snap.RoleBindings[i]
					b.Subjects = slices.DeleteFunc(b.Subjects, func(s rbacv1.Subject) bool { return strings.HasPrefix(s.Name, "system:") })
				}
			}
			ix := NewIndex(snap)
			for _, q := range queries {
				direct := ix.WhoCan(q)
				got := NewEscalator(snap, ix, EscalationOptions{}).reaching(q, direct.Subjects, "x", true)
				want := NewEscalator(snap, ix, EscalationOptions{}).reaching(q, direct.Subjects, "x", false)
				key := func(r []Reached) map[Subject]string {
					m := map[Subject]string{}
					for _, x := range r {
						m[x.Subject] = fmt.Sprintf("%d steps to %s", len(x.Path.Steps), x.Path.Reaches)
					}
					return m
				}
				if d := cmp.Diff(key(want), key(got)); d != "" {
					t.Errorf("seed %d, shared groups %v, %+v (-each alone +shared):\n%s", seed, shared, q.Attributes, d)
				}
				total += len(want)
				compared++
			}
		}
	}
	t.Logf("%d questions, %d subjects reaching by escalation compared", compared, total)
}
