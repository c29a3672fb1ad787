package rbac

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The expectations below follow the API server's RBAC authorizer: VisitRulesFor,
// GetRoleReferenceRules and appliesToUser in k8s.io/kubernetes
// pkg/registry/rbac/validation/rule.go, and serviceaccount.SplitUsername in
// k8s.io/apiserver (v1.37.2).

// ---- Builders ----

func mkClusterRole(name string, rules ...rbacv1.PolicyRule) rbacv1.ClusterRole {
	return rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
}

func mkAggregatedClusterRole(name string, rules ...rbacv1.PolicyRule) rbacv1.ClusterRole {
	cr := mkClusterRole(name, rules...)
	cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
		{MatchLabels: map[string]string{"rbac.example.com/aggregate-to-" + name: "true"}},
	}}
	return cr
}

func mkRole(ns, name string, rules ...rbacv1.PolicyRule) rbacv1.Role {
	return rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: rules}
}

func mkCRB(name, roleKind, roleName string, subjects ...rbacv1.Subject) rbacv1.ClusterRoleBinding {
	return rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: roleName},
		Subjects:   subjects,
	}
}

func mkRB(ns, name, roleKind, roleName string, subjects ...rbacv1.Subject) rbacv1.RoleBinding {
	return rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: roleName},
		Subjects:   subjects,
	}
}

func userSubj(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

func groupSubj(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func saSubj(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
}

func user(name string) Subject  { return Subject{Kind: rbacv1.UserKind, Name: name} }
func group(name string) Subject { return Subject{Kind: rbacv1.GroupKind, Name: name} }
func serviceAccount(ns, n string) Subject {
	return Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: n}
}

func crRef(name string) ObjectRef       { return ObjectRef{Kind: "ClusterRole", Name: name} }
func roleRef(ns, name string) ObjectRef { return ObjectRef{Kind: "Role", Namespace: ns, Name: name} }
func crbRef(name string) ObjectRef      { return ObjectRef{Kind: "ClusterRoleBinding", Name: name} }
func rbRef(ns, name string) ObjectRef {
	return ObjectRef{Kind: "RoleBinding", Namespace: ns, Name: name}
}

// masters is the row every answer has.
var masters = SubjectAccess{Subject: group(SuperuserGroup), Superuser: true}

// withMasters returns the expected subjects with the system:masters row at its sorted
// place (after any other Group whose name sorts before it).
func withMasters(subjects ...SubjectAccess) []SubjectAccess {
	out := append([]SubjectAccess{}, subjects...)
	for _, s := range out {
		if s.Subject == masters.Subject {
			return out
		}
	}
	out = append(out, masters)
	slices.SortStableFunc(out, func(a, b SubjectAccess) int { return CompareSubjects(a.Subject, b.Subject) })
	return out
}

func ptr[T any](v T) *T { return &v }

// Options for comparing results in tests. Warnings are compared by Reason and Object;
// their messages are checked separately.
var resultOpts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmpopts.IgnoreFields(Warning{}, "Message"),
	cmpopts.IgnoreUnexported(Warning{}),
}

// fullOpts compares everything, including warning messages and their scope.
var fullOpts = cmp.Options{cmp.AllowUnexported(Warning{})}

// ---- Rules used in the snapshots ----

var (
	ruleGetPods     = resourceRule(strs("get", "list", "watch"), strs(""), strs("pods"))
	ruleExecPods    = resourceRule(strs("create"), strs(""), strs("pods/exec"))
	ruleListNodes   = resourceRule(strs("get", "list"), strs(""), strs("nodes"))
	ruleGetHealthz  = urlRule(strs("get"), "/healthz", "/healthz/*")
	ruleAll         = resourceRule(strs("*"), strs("*"), strs("*"))
	ruleGetConfig   = resourceRule(strs("get"), strs(""), strs("configmaps"))
	ruleNamedPod    = resourceRule(strs("get"), strs(""), strs("pods"), "special")
	ruleDeployments = resourceRule(strs("get"), strs("apps"), strs("deployments"))
)

var (
	qGetPodsA      = Query{Attributes: Attributes{Verb: "get", Resource: "pods", Namespace: "team-a"}}
	qGetPodsB      = Query{Attributes: Attributes{Verb: "get", Resource: "pods", Namespace: "team-b"}}
	qGetPodsAll    = Query{Attributes: Attributes{Verb: "get", Resource: "pods"}, AllNamespaces: true}
	qGetPodsAllNsA = Query{Attributes: Attributes{Verb: "get", Resource: "pods", Namespace: "team-a"}, AllNamespaces: true}
	qGetPodsClust  = Query{Attributes: Attributes{Verb: "get", Resource: "pods"}}
	qListNodes     = Query{Attributes: Attributes{Verb: "list", Resource: "nodes"}}
	qHealthz       = Query{Attributes: Attributes{Verb: "get", Path: "/healthz"}}
	qHealthzNsA    = Query{Attributes: Attributes{Verb: "get", Path: "/healthz", Namespace: "team-a"}}
	qExecA         = Query{Attributes: Attributes{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "team-a", Name: "web-0"}}
)

func TestWhoCan(t *testing.T) {
	// One Role and one ClusterRole bound in team-a, one ClusterRole bound cluster-wide.
	scoped := &Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{
			mkClusterRole("pod-reader", ruleGetPods),
			mkClusterRole("node-reader", ruleListNodes),
			mkClusterRole("health", ruleGetHealthz),
		},
		Roles: []rbacv1.Role{mkRole("team-a", "pod-reader", ruleGetPods)},
		RoleBindings: []rbacv1.RoleBinding{
			mkRB("team-a", "alice-role", "Role", "pod-reader", userSubj("alice")),
			mkRB("team-a", "bob-clusterrole", "ClusterRole", "pod-reader", userSubj("bob")),
			// A RoleBinding can refer to ClusterRoles for cluster-scoped resources and
			// non-resource URLs, but never grants them.
			mkRB("team-a", "nodes", "ClusterRole", "node-reader", userSubj("nora")),
			mkRB("team-a", "health", "ClusterRole", "health", userSubj("hank")),
		},
	}
	aliceInA := SubjectAccess{Subject: user("alice"), Grants: []Grant{{
		Binding: rbRef("team-a", "alice-role"), Role: roleRef("team-a", "pod-reader"), Namespace: "team-a", Rule: &ruleGetPods,
	}}}
	bobInA := SubjectAccess{Subject: user("bob"), Grants: []Grant{{
		Binding: rbRef("team-a", "bob-clusterrole"), Role: crRef("pod-reader"), Namespace: "team-a", Rule: &ruleGetPods,
	}}}

	clusterWide := &Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{
			mkClusterRole("pod-reader", ruleGetPods),
			mkClusterRole("node-reader", ruleListNodes),
			mkClusterRole("health", ruleGetHealthz),
		},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			mkCRB("carol-pods", "ClusterRole", "pod-reader", userSubj("carol")),
			mkCRB("carol-nodes", "ClusterRole", "node-reader", userSubj("carol")),
			mkCRB("health", "ClusterRole", "health", groupSubj(AuthenticatedGroup), groupSubj(UnauthenticatedGroup)),
		},
	}
	carolPods := SubjectAccess{Subject: user("carol"), Grants: []Grant{{
		Binding: crbRef("carol-pods"), Role: crRef("pod-reader"), Rule: &ruleGetPods,
	}}}

	// Bindings across namespaces for AllNamespaces.
	multi := &Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{mkClusterRole("pod-reader", ruleGetPods), mkClusterRole("admin", ruleAll)},
		Roles: []rbacv1.Role{
			mkRole("team-a", "pods", ruleGetPods),
			mkRole("team-c", "pods", ruleGetConfig, ruleGetPods),
			mkRole("team-d", "config", ruleGetConfig),
		},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{mkCRB("admins", "ClusterRole", "admin", userSubj("root"))},
		RoleBindings: []rbacv1.RoleBinding{
			mkRB("team-c", "alice", "Role", "pods", userSubj("alice")),
			mkRB("team-a", "alice", "Role", "pods", userSubj("alice")),
			mkRB("team-b", "alice-cr", "ClusterRole", "pod-reader", userSubj("alice")),
			mkRB("team-b", "admin", "ClusterRole", "admin", userSubj("alice"), userSubj("root")),
			mkRB("team-d", "alice", "Role", "config", userSubj("alice")),
		},
	}

	dangling := &Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{mkClusterRole("pod-reader", ruleGetPods)},
		Roles:        []rbacv1.Role{mkRole("team-a", "pod-reader", ruleGetPods), mkRole("team-b", "exists-elsewhere", ruleGetPods)},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			mkCRB("missing-cr", "ClusterRole", "gone", userSubj("u1")),
			// A ClusterRoleBinding to a Role: the authorizer looks the Role up in
			// namespace "", which never finds one, even if a Role of that name exists.
			mkCRB("to-role", "Role", "pod-reader", userSubj("u2")),
			mkCRB("bad-kind", "Group", "pod-reader", userSubj("u3")),
		},
		RoleBindings: []rbacv1.RoleBinding{
			mkRB("team-a", "missing-role", "Role", "gone", userSubj("u4")),
			// The Role exists, but in another namespace.
			mkRB("team-a", "role-elsewhere", "Role", "exists-elsewhere", userSubj("u5")),
			mkRB("team-a", "missing-cr", "ClusterRole", "gone", userSubj("u6")),
			mkRB("team-a", "bad-kind", "", "pod-reader", userSubj("u7")),
			mkRB("team-b", "missing-role", "Role", "gone", userSubj("u8")),
			// A good binding alongside, so the answer is not empty by accident.
			mkRB("team-a", "good", "Role", "pod-reader", userSubj("ok")),
		},
	}
	okInA := SubjectAccess{Subject: user("ok"), Grants: []Grant{{
		Binding: rbRef("team-a", "good"), Role: roleRef("team-a", "pod-reader"), Namespace: "team-a", Rule: &ruleGetPods,
	}}}
	clusterDanglingWarnings := []Warning{
		{Reason: ReasonUnsupportedRoleRef, Object: crbRef("bad-kind")},
		{Reason: ReasonRoleNotFound, Object: crbRef("missing-cr")},
		{Reason: ReasonRoleNotFound, Object: crbRef("to-role")},
	}
	teamADanglingWarnings := []Warning{
		{Reason: ReasonUnsupportedRoleRef, Object: rbRef("team-a", "bad-kind")},
		{Reason: ReasonRoleNotFound, Object: rbRef("team-a", "missing-cr")},
		{Reason: ReasonRoleNotFound, Object: rbRef("team-a", "missing-role")},
		{Reason: ReasonRoleNotFound, Object: rbRef("team-a", "role-elsewhere")},
	}

	aggregation := &Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{
			mkAggregatedClusterRole("agg-crb"),
			mkAggregatedClusterRole("agg-rb"),
			mkAggregatedClusterRole("agg-unbound"),
			mkAggregatedClusterRole("agg-filled", ruleGetConfig, ruleGetPods),
			mkClusterRole("view-pods", ruleGetPods), // labelled for aggregation; the aggregator has not run
		},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			mkCRB("agg-crb", "ClusterRole", "agg-crb", userSubj("crb-user")),
			mkCRB("agg-filled", "ClusterRole", "agg-filled", userSubj("filled-user")),
		},
		RoleBindings: []rbacv1.RoleBinding{
			mkRB("team-a", "agg-rb", "ClusterRole", "agg-rb", userSubj("rb-user")),
		},
	}
	filledUser := SubjectAccess{Subject: user("filled-user"), Grants: []Grant{{
		Binding: crbRef("agg-filled"), Role: crRef("agg-filled"), Rule: &ruleGetPods,
	}}}

	subjects := &Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{mkClusterRole("pod-reader", ruleGetPods)},
		Roles:        []rbacv1.Role{mkRole("team-a", "pod-reader", ruleGetPods)},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			mkCRB("sa-no-ns", "ClusterRole", "pod-reader", saSubj("", "builder"), userSubj("dave")),
			mkCRB("sa-as-user", "ClusterRole", "pod-reader", userSubj("system:serviceaccount:team-a:deployer")),
			mkCRB("groups", "ClusterRole", "pod-reader",
				groupSubj(AuthenticatedGroup), groupSubj(UnauthenticatedGroup),
				groupSubj(AllServiceAccounts), groupSubj("system:serviceaccounts:team-a")),
			mkCRB("not-sa", "ClusterRole", "pod-reader",
				userSubj("system:serviceaccount:a:b:c"), userSubj("system:serviceaccount:Team-A:x")),
			mkCRB("bad-subjects", "ClusterRole", "pod-reader",
				rbacv1.Subject{Kind: "Robot", Name: "r2d2"}, userSubj("")),
		},
		RoleBindings: []rbacv1.RoleBinding{
			mkRB("team-a", "builder", "Role", "pod-reader", saSubj("", "builder")),
			mkRB("team-a", "deployer", "Role", "pod-reader", saSubj("team-a", "deployer")),
			mkRB("team-a", "other-ns-sa", "Role", "pod-reader", saSubj("team-b", "robot")),
			mkRB("team-a", "bad-subject", "Role", "pod-reader", rbacv1.Subject{Kind: "user", Name: "lowercase-kind"}),
			mkRB("team-b", "bad-subject", "ClusterRole", "pod-reader", rbacv1.Subject{Kind: "Group"}),
		},
	}
	podsCRB := func(binding string, boundAs *rbacv1.Subject) Grant {
		return Grant{Binding: crbRef(binding), Role: crRef("pod-reader"), Rule: &ruleGetPods, BoundAs: boundAs}
	}
	podsRB := func(binding string, boundAs *rbacv1.Subject) Grant {
		return Grant{Binding: rbRef("team-a", binding), Role: roleRef("team-a", "pod-reader"), Namespace: "team-a", Rule: &ruleGetPods, BoundAs: boundAs}
	}
	subjectsGroupRows := []SubjectAccess{
		{Subject: group(AuthenticatedGroup), Grants: []Grant{podsCRB("groups", nil)}},
		{Subject: group(AllServiceAccounts), Grants: []Grant{podsCRB("groups", nil)}},
		{Subject: group("system:serviceaccounts:team-a"), Grants: []Grant{podsCRB("groups", nil)}},
		{Subject: group(UnauthenticatedGroup), Grants: []Grant{podsCRB("groups", nil)}},
	}
	subjectsUserRows := []SubjectAccess{
		{Subject: user("dave"), Grants: []Grant{podsCRB("sa-no-ns", nil)}},
		{Subject: user("system:serviceaccount:Team-A:x"), Grants: []Grant{podsCRB("not-sa", nil)}},
		{Subject: user("system:serviceaccount:a:b:c"), Grants: []Grant{podsCRB("not-sa", nil)}},
	}
	subjectsClusterWarnings := []Warning{
		{Reason: ReasonInvalidSubject, Object: crbRef("bad-subjects")}, // unsupported kind
		{Reason: ReasonInvalidSubject, Object: crbRef("bad-subjects")}, // no name
		{Reason: ReasonInvalidSubject, Object: crbRef("sa-no-ns")},
	}

	superusers := &Snapshot{
		ClusterRoles:        []rbacv1.ClusterRole{mkClusterRole("cluster-admin", ruleAll, urlRule(strs("*"), "*"))},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{mkCRB("cluster-admin", "ClusterRole", "cluster-admin", groupSubj(SuperuserGroup))},
	}

	duplicates := &Snapshot{
		Roles: []rbacv1.Role{mkRole("team-a", "pod-reader", ruleGetPods)},
		RoleBindings: []rbacv1.RoleBinding{
			mkRB("team-a", "dup", "Role", "pod-reader",
				userSubj("alice"), userSubj("alice"),
				saSubj("", "builder"), saSubj("", "builder"),
				groupSubj("devs"), groupSubj("devs")),
			// The same identity spelt two ways in one binding.
			mkRB("team-a", "two-spellings", "Role", "pod-reader",
				saSubj("team-a", "deployer"), userSubj("system:serviceaccount:team-a:deployer")),
		},
	}
	dupGrant := func(binding string, boundAs *rbacv1.Subject) Grant {
		return Grant{Binding: rbRef("team-a", binding), Role: roleRef("team-a", "pod-reader"), Namespace: "team-a", Rule: &ruleGetPods, BoundAs: boundAs}
	}

	firstRule := &Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{
			mkClusterRole("ordered", ruleGetConfig, ruleNamedPod, ruleGetPods, ruleAll),
		},
		Roles: []rbacv1.Role{
			mkRole("team-a", "ordered", ruleDeployments, ruleAll, ruleGetPods),
		},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{mkCRB("ordered", "ClusterRole", "ordered", userSubj("cr-user"))},
		RoleBindings:        []rbacv1.RoleBinding{mkRB("team-a", "ordered", "Role", "ordered", userSubj("role-user"))},
	}

	tests := []struct {
		name string
		snap *Snapshot
		q    Query
		want Result
	}{
		// Scope of RoleBindings.
		{
			name: "rolebinding to role and to clusterrole grant in the binding namespace",
			snap: scoped, q: qGetPodsA,
			want: Result{Subjects: withMasters(aliceInA, bobInA)},
		},
		{
			name: "rolebindings in team-a grant nothing in team-b",
			snap: scoped, q: qGetPodsB,
			want: Result{Subjects: withMasters()},
		},
		{
			name: "cluster-level resource query ignores rolebindings",
			snap: scoped, q: qGetPodsClust,
			want: Result{Subjects: withMasters()},
		},
		{
			name: "rolebinding to a clusterrole never grants a cluster-scoped resource",
			snap: scoped, q: qListNodes,
			want: Result{Subjects: withMasters()},
		},
		{
			name: "rolebinding to a clusterrole never grants a non-resource URL",
			snap: scoped, q: qHealthz,
			want: Result{Subjects: withMasters()},
		},
		{
			name: "non-resource query ignores rolebindings even with a namespace set",
			snap: scoped, q: qHealthzNsA,
			want: Result{Subjects: withMasters()},
		},
		{
			name: "non-resource query with all namespaces still ignores rolebindings",
			snap: scoped, q: Query{Attributes: Attributes{Verb: "get", Path: "/healthz"}, AllNamespaces: true},
			want: Result{Subjects: withMasters()},
		},
		{
			name: "subresource query does not match a role granting only pods",
			snap: scoped, q: qExecA,
			want: Result{Subjects: withMasters()},
		},

		// ClusterRoleBindings.
		{
			name: "clusterrolebinding grants in a namespace with grant namespace empty",
			snap: clusterWide, q: qGetPodsA,
			want: Result{Subjects: withMasters(carolPods)},
		},
		{
			name: "clusterrolebinding grants a cluster-level query",
			snap: clusterWide, q: qGetPodsClust,
			want: Result{Subjects: withMasters(carolPods)},
		},
		{
			name: "clusterrolebinding grants an all-namespaces query",
			snap: clusterWide, q: qGetPodsAll,
			want: Result{Subjects: withMasters(carolPods)},
		},
		{
			name: "clusterrolebinding grants a cluster-scoped resource",
			snap: clusterWide, q: qListNodes,
			want: Result{Subjects: withMasters(SubjectAccess{Subject: user("carol"), Grants: []Grant{{
				Binding: crbRef("carol-nodes"), Role: crRef("node-reader"), Rule: &ruleListNodes,
			}}})},
		},
		{
			name: "clusterrolebinding grants a non-resource URL to well-known groups",
			snap: clusterWide, q: qHealthz,
			want: Result{Subjects: withMasters(
				SubjectAccess{Subject: group(AuthenticatedGroup), Grants: []Grant{{Binding: crbRef("health"), Role: crRef("health"), Rule: &ruleGetHealthz}}},
				SubjectAccess{Subject: group(UnauthenticatedGroup), Grants: []Grant{{Binding: crbRef("health"), Role: crRef("health"), Rule: &ruleGetHealthz}}},
			)},
		},
		{
			name: "non-resource prefix rule grants a deeper path",
			snap: clusterWide, q: Query{Attributes: Attributes{Verb: "get", Path: "/healthz/etcd"}},
			want: Result{Subjects: withMasters(
				SubjectAccess{Subject: group(AuthenticatedGroup), Grants: []Grant{{Binding: crbRef("health"), Role: crRef("health"), Rule: &ruleGetHealthz}}},
				SubjectAccess{Subject: group(UnauthenticatedGroup), Grants: []Grant{{Binding: crbRef("health"), Role: crRef("health"), Rule: &ruleGetHealthz}}},
			)},
		},
		{
			name: "non-resource verb mismatch grants nothing",
			snap: clusterWide, q: Query{Attributes: Attributes{Verb: "post", Path: "/healthz"}},
			want: Result{Subjects: withMasters()},
		},

		// AllNamespaces.
		{
			name: "all namespaces unions rolebindings and reports each grant's namespace",
			snap: multi, q: qGetPodsAll,
			want: Result{Subjects: withMasters(
				SubjectAccess{Subject: user("alice"), Grants: []Grant{
					{Binding: rbRef("team-a", "alice"), Role: roleRef("team-a", "pods"), Namespace: "team-a", Rule: &ruleGetPods},
					{Binding: rbRef("team-b", "admin"), Role: crRef("admin"), Namespace: "team-b", Rule: &ruleAll},
					{Binding: rbRef("team-b", "alice-cr"), Role: crRef("pod-reader"), Namespace: "team-b", Rule: &ruleGetPods},
					{Binding: rbRef("team-c", "alice"), Role: roleRef("team-c", "pods"), Namespace: "team-c", Rule: &ruleGetPods},
				}},
				SubjectAccess{Subject: user("root"), Grants: []Grant{
					{Binding: crbRef("admins"), Role: crRef("admin"), Rule: &ruleAll},
					{Binding: rbRef("team-b", "admin"), Role: crRef("admin"), Namespace: "team-b", Rule: &ruleAll},
				}},
			)},
		},
		{
			name: "all namespaces ignores the query namespace",
			snap: multi, q: qGetPodsAllNsA,
			want: Result{Subjects: withMasters(
				SubjectAccess{Subject: user("alice"), Grants: []Grant{
					{Binding: rbRef("team-a", "alice"), Role: roleRef("team-a", "pods"), Namespace: "team-a", Rule: &ruleGetPods},
					{Binding: rbRef("team-b", "admin"), Role: crRef("admin"), Namespace: "team-b", Rule: &ruleAll},
					{Binding: rbRef("team-b", "alice-cr"), Role: crRef("pod-reader"), Namespace: "team-b", Rule: &ruleGetPods},
					{Binding: rbRef("team-c", "alice"), Role: roleRef("team-c", "pods"), Namespace: "team-c", Rule: &ruleGetPods},
				}},
				SubjectAccess{Subject: user("root"), Grants: []Grant{
					{Binding: crbRef("admins"), Role: crRef("admin"), Rule: &ruleAll},
					{Binding: rbRef("team-b", "admin"), Role: crRef("admin"), Namespace: "team-b", Rule: &ruleAll},
				}},
			)},
		},
		{
			name: "single namespace query sees only that namespace's rolebindings",
			snap: multi, q: qGetPodsB,
			want: Result{Subjects: withMasters(
				SubjectAccess{Subject: user("alice"), Grants: []Grant{
					{Binding: rbRef("team-b", "admin"), Role: crRef("admin"), Namespace: "team-b", Rule: &ruleAll},
					{Binding: rbRef("team-b", "alice-cr"), Role: crRef("pod-reader"), Namespace: "team-b", Rule: &ruleGetPods},
				}},
				SubjectAccess{Subject: user("root"), Grants: []Grant{
					{Binding: crbRef("admins"), Role: crRef("admin"), Rule: &ruleAll},
					{Binding: rbRef("team-b", "admin"), Role: crRef("admin"), Namespace: "team-b", Rule: &ruleAll},
				}},
			)},
		},
		{
			name: "namespace without bindings sees only clusterrolebindings",
			snap: multi, q: Query{Attributes: Attributes{Verb: "get", Resource: "pods", Namespace: "nowhere"}},
			want: Result{Subjects: withMasters(
				SubjectAccess{Subject: user("root"), Grants: []Grant{{Binding: crbRef("admins"), Role: crRef("admin"), Rule: &ruleAll}}},
			)},
		},

		// Dangling role references.
		{
			name: "dangling refs in the query namespace and cluster-wide are warned",
			snap: dangling, q: qGetPodsA,
			want: Result{
				Subjects: withMasters(okInA),
				Warnings: append(append([]Warning{}, clusterDanglingWarnings...), teamADanglingWarnings...),
			},
		},
		{
			name: "dangling refs in another namespace are not warned",
			snap: dangling, q: Query{Attributes: Attributes{Verb: "get", Resource: "pods", Namespace: "team-c"}},
			want: Result{Subjects: withMasters(), Warnings: clusterDanglingWarnings},
		},
		{
			name: "cluster-level query warns only about clusterrolebindings",
			snap: dangling, q: qListNodes,
			want: Result{Subjects: withMasters(), Warnings: clusterDanglingWarnings},
		},
		{
			name: "non-resource query warns only about clusterrolebindings",
			snap: dangling, q: qHealthzNsA,
			want: Result{Subjects: withMasters(), Warnings: clusterDanglingWarnings},
		},
		{
			name: "all-namespaces query warns about every dangling binding",
			snap: dangling, q: qGetPodsAll,
			want: Result{
				Subjects: withMasters(okInA),
				Warnings: append(append(append([]Warning{}, clusterDanglingWarnings...), teamADanglingWarnings...),
					Warning{Reason: ReasonRoleNotFound, Object: rbRef("team-b", "missing-role")}),
			},
		},

		// Aggregated ClusterRoles.
		{
			name: "unfilled aggregated clusterrole bound cluster-wide is warned in a namespace query",
			snap: aggregation, q: qGetPodsB,
			want: Result{
				Subjects: withMasters(filledUser),
				Warnings: []Warning{{Reason: ReasonAggregationNotFilled, Object: crRef("agg-crb")}},
			},
		},
		{
			name: "unfilled aggregated clusterrole bound in the query namespace is warned",
			snap: aggregation, q: qGetPodsA,
			want: Result{
				Subjects: withMasters(filledUser),
				Warnings: []Warning{
					{Reason: ReasonAggregationNotFilled, Object: crRef("agg-crb")},
					{Reason: ReasonAggregationNotFilled, Object: crRef("agg-rb")},
				},
			},
		},
		{
			name: "unfilled aggregated clusterrole bound in some namespace is warned for all namespaces",
			snap: aggregation, q: qGetPodsAll,
			want: Result{
				Subjects: withMasters(filledUser),
				Warnings: []Warning{
					{Reason: ReasonAggregationNotFilled, Object: crRef("agg-crb")},
					{Reason: ReasonAggregationNotFilled, Object: crRef("agg-rb")},
				},
			},
		},
		{
			name: "cluster-level query does not warn about a clusterrole bound only by rolebindings",
			snap: aggregation, q: qGetPodsClust,
			want: Result{
				Subjects: withMasters(filledUser),
				Warnings: []Warning{{Reason: ReasonAggregationNotFilled, Object: crRef("agg-crb")}},
			},
		},
		{
			name: "aggregated clusterrole with rules is evaluated on its stored rules",
			snap: aggregation, q: Query{Attributes: Attributes{Verb: "get", Resource: "configmaps"}},
			want: Result{
				Subjects: withMasters(SubjectAccess{Subject: user("filled-user"), Grants: []Grant{{
					Binding: crbRef("agg-filled"), Role: crRef("agg-filled"), Rule: &ruleGetConfig,
				}}}),
				Warnings: []Warning{{Reason: ReasonAggregationNotFilled, Object: crRef("agg-crb")}},
			},
		},

		// Subjects.
		{
			name: "subject kinds in a namespace query",
			snap: subjects, q: qGetPodsA,
			want: Result{
				Subjects: withMasters(slices.Concat(
					subjectsGroupRows,
					[]SubjectAccess{
						// ServiceAccount without namespace in a RoleBinding: the binding's namespace.
						{Subject: serviceAccount("team-a", "builder"), Grants: []Grant{
							podsRB("builder", ptr(saSubj("", "builder"))),
						}},
						// A User subject naming a service account merges with the ServiceAccount subject.
						{Subject: serviceAccount("team-a", "deployer"), Grants: []Grant{
							podsCRB("sa-as-user", ptr(userSubj("system:serviceaccount:team-a:deployer"))),
							podsRB("deployer", nil),
						}},
						{Subject: serviceAccount("team-b", "robot"), Grants: []Grant{podsRB("other-ns-sa", nil)}},
					},
					subjectsUserRows,
				)...),
				Warnings: append(append([]Warning{}, subjectsClusterWarnings...),
					Warning{Reason: ReasonInvalidSubject, Object: rbRef("team-a", "bad-subject")}),
			},
		},
		{
			name: "subject kinds in a cluster-level query",
			snap: subjects, q: qGetPodsClust,
			want: Result{
				Subjects: withMasters(slices.Concat(
					subjectsGroupRows,
					[]SubjectAccess{
						{Subject: serviceAccount("team-a", "deployer"), Grants: []Grant{
							podsCRB("sa-as-user", ptr(userSubj("system:serviceaccount:team-a:deployer"))),
						}},
					},
					subjectsUserRows,
				)...),
				Warnings: subjectsClusterWarnings,
			},
		},

		// system:masters.
		{
			name: "empty snapshot lists only system:masters for a resource query",
			snap: &Snapshot{}, q: qGetPodsA,
			want: Result{Subjects: []SubjectAccess{masters}},
		},
		{
			name: "empty snapshot lists only system:masters for a non-resource query",
			snap: &Snapshot{}, q: qHealthz,
			want: Result{Subjects: []SubjectAccess{masters}},
		},
		{
			name: "bound system:masters is superuser and carries its grants",
			snap: superusers, q: qExecA,
			want: Result{Subjects: []SubjectAccess{{Subject: group(SuperuserGroup), Superuser: true, Grants: []Grant{{
				Binding: crbRef("cluster-admin"), Role: crRef("cluster-admin"), Rule: &ruleAll,
			}}}}},
		},
		{
			name: "bound system:masters without a matching rule is still superuser",
			snap: &Snapshot{
				ClusterRoles:        []rbacv1.ClusterRole{mkClusterRole("nodes", ruleListNodes)},
				ClusterRoleBindings: []rbacv1.ClusterRoleBinding{mkCRB("m", "ClusterRole", "nodes", groupSubj(SuperuserGroup))},
			},
			q:    qGetPodsA,
			want: Result{Subjects: []SubjectAccess{masters}},
		},

		// Duplicates.
		{
			name: "duplicate subjects in one binding give one grant; two spellings give one row",
			snap: duplicates, q: qGetPodsA,
			want: Result{Subjects: withMasters(
				SubjectAccess{Subject: group("devs"), Grants: []Grant{dupGrant("dup", nil)}},
				SubjectAccess{Subject: serviceAccount("team-a", "builder"), Grants: []Grant{dupGrant("dup", ptr(saSubj("", "builder")))}},
				// One row; the binding is listed once per spelling so both are visible.
				SubjectAccess{Subject: serviceAccount("team-a", "deployer"), Grants: []Grant{
					dupGrant("two-spellings", nil),
					dupGrant("two-spellings", ptr(userSubj("system:serviceaccount:team-a:deployer"))),
				}},
				SubjectAccess{Subject: user("alice"), Grants: []Grant{dupGrant("dup", nil)}},
			)},
		},

		// The rule reported.
		{
			name: "grant rule is the first allowing rule of each role",
			snap: firstRule, q: qGetPodsA,
			want: Result{Subjects: withMasters(
				SubjectAccess{Subject: user("cr-user"), Grants: []Grant{{Binding: crbRef("ordered"), Role: crRef("ordered"), Rule: &ruleGetPods}}},
				SubjectAccess{Subject: user("role-user"), Grants: []Grant{{Binding: rbRef("team-a", "ordered"), Role: roleRef("team-a", "ordered"), Namespace: "team-a", Rule: &ruleAll}}},
			)},
		},
		{
			name: "grant rule for a named request is the resourceNames rule",
			snap: firstRule, q: Query{Attributes: Attributes{Verb: "get", Resource: "pods", Name: "special", Namespace: "team-a"}},
			want: Result{Subjects: withMasters(
				SubjectAccess{Subject: user("cr-user"), Grants: []Grant{{Binding: crbRef("ordered"), Role: crRef("ordered"), Rule: &ruleNamedPod}}},
				SubjectAccess{Subject: user("role-user"), Grants: []Grant{{Binding: rbRef("team-a", "ordered"), Role: roleRef("team-a", "ordered"), Namespace: "team-a", Rule: &ruleAll}}},
			)},
		},
		{
			name: "grant rule for a deployment is the first matching rule",
			snap: firstRule, q: Query{Attributes: Attributes{Verb: "get", APIGroup: "apps", Resource: "deployments", Namespace: "team-a"}},
			want: Result{Subjects: withMasters(
				SubjectAccess{Subject: user("cr-user"), Grants: []Grant{{Binding: crbRef("ordered"), Role: crRef("ordered"), Rule: &ruleAll}}},
				SubjectAccess{Subject: user("role-user"), Grants: []Grant{{Binding: rbRef("team-a", "ordered"), Role: roleRef("team-a", "ordered"), Namespace: "team-a", Rule: &ruleDeployments}}},
			)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := deepCopySnapshot(tt.snap)
			got := NewIndex(tt.snap).WhoCan(tt.q)
			if diff := cmp.Diff(tt.want, got, resultOpts); diff != "" {
				t.Errorf("WhoCan(%+v) mismatch (-want +got):\n%s", tt.q, diff)
			}
			if diff := cmp.Diff(before, tt.snap); diff != "" {
				t.Errorf("NewIndex/WhoCan modified the snapshot (-before +after):\n%s", diff)
			}
		})
	}
}

func deepCopySnapshot(s *Snapshot) *Snapshot {
	out := &Snapshot{}
	for i := range s.ClusterRoles {
		out.ClusterRoles = append(out.ClusterRoles, *s.ClusterRoles[i].DeepCopy())
	}
	for i := range s.ClusterRoleBindings {
		out.ClusterRoleBindings = append(out.ClusterRoleBindings, *s.ClusterRoleBindings[i].DeepCopy())
	}
	for i := range s.Roles {
		out.Roles = append(out.Roles, *s.Roles[i].DeepCopy())
	}
	for i := range s.RoleBindings {
		out.RoleBindings = append(out.RoleBindings, *s.RoleBindings[i].DeepCopy())
	}
	return out
}

// TestWhoCanWarningMessages checks that warning messages name the binding and what is
// wrong with it.
func TestWhoCanWarningMessages(t *testing.T) {
	snap := &Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{mkAggregatedClusterRole("agg")},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			mkCRB("agg", "ClusterRole", "agg", userSubj("x")),
			mkCRB("sa", "ClusterRole", "agg", userSubj("x"), saSubj("", "nons")),
		},
		RoleBindings: []rbacv1.RoleBinding{
			mkRB("ns", "missing", "Role", "gone-role", userSubj("x")),
			mkRB("ns", "missing-cr", "ClusterRole", "gone-cr", userSubj("x")),
			mkRB("ns", "kind", "Robot", "r", userSubj("x")),
			mkRB("ns", "subj", "ClusterRole", "agg", rbacv1.Subject{Kind: "Robot", Name: "r2"}),
		},
	}
	got := NewIndex(snap).WhoCan(Query{Attributes: Attributes{Verb: "get", Resource: "pods", Namespace: "ns"}})
	tests := []struct {
		name     string
		reason   string
		object   ObjectRef
		contains []string
	}{
		{"aggregation names the clusterrole", ReasonAggregationNotFilled, crRef("agg"), []string{"ClusterRole/agg", "aggregationRule"}},
		{"service account without namespace names binding and subject index", ReasonInvalidSubject, crbRef("sa"), []string{"ClusterRoleBinding/sa", "subject 1", "without a namespace"}},
		{"missing role names the role in the binding namespace", ReasonRoleNotFound, rbRef("ns", "missing"), []string{"RoleBinding/ns/missing", "Role/ns/gone-role"}},
		{"missing clusterrole names the clusterrole", ReasonRoleNotFound, rbRef("ns", "missing-cr"), []string{"RoleBinding/ns/missing-cr", "ClusterRole/gone-cr"}},
		{"unsupported kind names the kind", ReasonUnsupportedRoleRef, rbRef("ns", "kind"), []string{"RoleBinding/ns/kind", `"Robot"`}},
		{"unsupported subject kind names the kind", ReasonInvalidSubject, rbRef("ns", "subj"), []string{"RoleBinding/ns/subj", "subject 0", `"Robot"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var found []Warning
			for _, w := range got.Warnings {
				if w.Reason == tt.reason && w.Object == tt.object {
					found = append(found, w)
				}
			}
			if len(found) != 1 {
				t.Fatalf("got %d warnings %s for %s, want 1; all warnings: %+v", len(found), tt.reason, tt.object, got.Warnings)
			}
			for _, s := range tt.contains {
				if !strings.Contains(found[0].Message, s) {
					t.Errorf("message %q does not contain %q", found[0].Message, s)
				}
			}
		})
	}
	if len(got.Warnings) != len(tests) {
		t.Errorf("got %d warnings, want %d: %+v", len(got.Warnings), len(tests), got.Warnings)
	}
}

func TestSubjectAccessScope(t *testing.T) {
	g := func(ns string) Grant { return Grant{Namespace: ns} }
	tests := []struct {
		name            string
		sa              SubjectAccess
		wantClusterWide bool
		wantNamespaces  []string
	}{
		{"no grants", SubjectAccess{Subject: user("a")}, false, nil},
		{"superuser without grants is cluster-wide", SubjectAccess{Subject: group(SuperuserGroup), Superuser: true}, true, nil},
		{"one cluster-wide grant", SubjectAccess{Grants: []Grant{g("")}}, true, nil},
		{"namespaced grants only", SubjectAccess{Grants: []Grant{g("b"), g("a")}}, false, []string{"a", "b"}},
		{"namespaces deduplicated and sorted", SubjectAccess{Grants: []Grant{g("b"), g("a"), g("b"), g("c"), g("a")}}, false, []string{"a", "b", "c"}},
		{"cluster-wide and namespaced", SubjectAccess{Grants: []Grant{g(""), g("z"), g("y")}}, true, []string{"y", "z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sa.ClusterWide(); got != tt.wantClusterWide {
				t.Errorf("ClusterWide() = %v, want %v", got, tt.wantClusterWide)
			}
			if diff := cmp.Diff(tt.wantNamespaces, tt.sa.Namespaces(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Namespaces() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWhoCanAllNamespacesScope checks Namespaces and ClusterWide on a real answer.
func TestWhoCanAllNamespacesScope(t *testing.T) {
	snap := &Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{mkClusterRole("pod-reader", ruleGetPods)},
		Roles:        []rbacv1.Role{mkRole("team-b", "pods", ruleGetPods), mkRole("team-a", "pods", ruleGetPods)},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			mkCRB("everyone", "ClusterRole", "pod-reader", userSubj("carol")),
		},
		RoleBindings: []rbacv1.RoleBinding{
			mkRB("team-b", "alice", "Role", "pods", userSubj("alice")),
			mkRB("team-a", "alice", "Role", "pods", userSubj("alice")),
			mkRB("team-a", "alice-again", "ClusterRole", "pod-reader", userSubj("alice")),
			mkRB("team-c", "carol", "ClusterRole", "pod-reader", userSubj("carol")),
		},
	}
	res := NewIndex(snap).WhoCan(qGetPodsAll)
	type scope struct {
		ClusterWide bool
		Namespaces  []string
	}
	got := map[Subject]scope{}
	for i := range res.Subjects {
		sa := &res.Subjects[i]
		got[sa.Subject] = scope{sa.ClusterWide(), sa.Namespaces()}
	}
	want := map[Subject]scope{
		group(SuperuserGroup): {ClusterWide: true},
		user("alice"):         {Namespaces: []string{"team-a", "team-b"}},
		user("carol"):         {ClusterWide: true, Namespaces: []string{"team-c"}},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("scopes mismatch (-want +got):\n%s", diff)
	}
}

func TestQueryClusterLevel(t *testing.T) {
	tests := []struct {
		name string
		q    Query
		want bool
	}{
		{"namespaced resource", qGetPodsA, false},
		{"resource without namespace", qGetPodsClust, true},
		{"all namespaces", qGetPodsAll, false},
		{"all namespaces with a namespace", qGetPodsAllNsA, false},
		{"non-resource", qHealthz, true},
		{"non-resource with a namespace", qHealthzNsA, true},
		{"non-resource with all namespaces", Query{Attributes: Attributes{Verb: "get", Path: "/healthz"}, AllNamespaces: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.q.ClusterLevel(); got != tt.want {
				t.Errorf("ClusterLevel() = %v, want %v", got, tt.want)
			}
		})
	}
}

// orderSnapshot has something of every kind, so that map iteration order or input order
// would show in the output if it leaked.
func orderSnapshot() *Snapshot {
	s := &Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{
			mkClusterRole("admin", ruleAll),
			mkClusterRole("pod-reader", ruleGetPods),
			mkClusterRole("exec", ruleExecPods, ruleGetPods),
			mkAggregatedClusterRole("agg-1"),
			mkAggregatedClusterRole("agg-2"),
		},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			mkCRB("admins", "ClusterRole", "admin", userSubj("root"), groupSubj("ops")),
			mkCRB("readers", "ClusterRole", "pod-reader", groupSubj(AuthenticatedGroup), userSubj("zed"), userSubj("amy")),
			mkCRB("agg-1", "ClusterRole", "agg-1", userSubj("amy")),
			mkCRB("agg-2", "ClusterRole", "agg-2", userSubj("amy")),
			mkCRB("gone-1", "ClusterRole", "gone", userSubj("amy")),
			mkCRB("gone-2", "Role", "gone", userSubj("amy")),
			mkCRB("sa-no-ns", "ClusterRole", "pod-reader", saSubj("", "x")),
		},
	}
	for _, ns := range []string{"ns-3", "ns-1", "ns-2", "ns-10"} {
		s.Roles = append(s.Roles,
			mkRole(ns, "pods", ruleGetPods),
			mkRole(ns, "exec", ruleExecPods),
			mkRole(ns, "config", ruleGetConfig))
		s.RoleBindings = append(s.RoleBindings,
			mkRB(ns, "pods-b", "Role", "pods", userSubj("zed"), saSubj("", "app"), groupSubj("devs")),
			mkRB(ns, "pods-a", "Role", "pods", userSubj("amy"), userSubj("system:serviceaccount:"+ns+":app")),
			mkRB(ns, "exec", "Role", "exec", userSubj("amy"), saSubj("ns-1", "debugger")),
			mkRB(ns, "admin", "ClusterRole", "admin", groupSubj("ops"), userSubj("bob")),
			mkRB(ns, "config", "Role", "config", userSubj("carl")),
			mkRB(ns, "exec-cr", "ClusterRole", "exec", saSubj("ns-2", "ci")),
			mkRB(ns, "gone", "Role", "gone", userSubj("amy")),
			mkRB(ns, "agg", "ClusterRole", "agg-1", userSubj("amy")),
			mkRB(ns, "bad", "Role", "pods", rbacv1.Subject{Kind: "Robot", Name: "r"}))
	}
	return s
}

func shuffled(s *Snapshot, r *rand.Rand) *Snapshot {
	out := deepCopySnapshot(s)
	r.Shuffle(len(out.ClusterRoles), func(i, j int) { out.ClusterRoles[i], out.ClusterRoles[j] = out.ClusterRoles[j], out.ClusterRoles[i] })
	r.Shuffle(len(out.ClusterRoleBindings), func(i, j int) {
		out.ClusterRoleBindings[i], out.ClusterRoleBindings[j] = out.ClusterRoleBindings[j], out.ClusterRoleBindings[i]
	})
	r.Shuffle(len(out.Roles), func(i, j int) { out.Roles[i], out.Roles[j] = out.Roles[j], out.Roles[i] })
	r.Shuffle(len(out.RoleBindings), func(i, j int) { out.RoleBindings[i], out.RoleBindings[j] = out.RoleBindings[j], out.RoleBindings[i] })
	return out
}

func TestWhoCanDeterministicOrder(t *testing.T) {
	queries := []struct {
		name string
		q    Query
	}{
		{"namespace", Query{Attributes: Attributes{Verb: "get", Resource: "pods", Namespace: "ns-2"}}},
		{"all namespaces", qGetPodsAll},
		{"all namespaces exec", Query{Attributes: Attributes{Verb: "create", Resource: "pods", Subresource: "exec"}, AllNamespaces: true}},
		{"cluster", qGetPodsClust},
		{"non-resource", qHealthz},
	}
	base := orderSnapshot()
	ix := NewIndex(base)
	for _, qq := range queries {
		t.Run(qq.name, func(t *testing.T) {
			want := ix.WhoCan(qq.q)

			// The order is the documented one, independent of how it was reached.
			if !slices.IsSortedFunc(want.Subjects, func(a, b SubjectAccess) int { return CompareSubjects(a.Subject, b.Subject) }) {
				t.Errorf("subjects not sorted by kind, namespace, name: %v", subjectNames(want.Subjects))
			}
			for _, sa := range want.Subjects {
				if !slices.IsSortedFunc(sa.Grants, func(a, b Grant) int {
					return strings.Compare(a.Namespace+"\x00"+a.Binding.String(), b.Namespace+"\x00"+b.Binding.String())
				}) {
					t.Errorf("grants of %s not sorted by namespace then binding: %+v", sa.Subject, sa.Grants)
				}
			}
			if !slices.IsSortedFunc(want.Warnings, compareWarnings) {
				t.Errorf("warnings not sorted: %+v", want.Warnings)
			}

			// The same index asked again gives the same answer (map iteration order
			// must not leak).
			for range 5 {
				if diff := cmp.Diff(want, ix.WhoCan(qq.q), fullOpts); diff != "" {
					t.Fatalf("second WhoCan differs (-first +again):\n%s", diff)
				}
			}
			// The same objects in another order give the same answer.
			for seed := range uint64(10) {
				s := shuffled(base, rand.New(rand.NewPCG(seed, 42)))
				if diff := cmp.Diff(want, NewIndex(s).WhoCan(qq.q), fullOpts); diff != "" {
					t.Fatalf("shuffled snapshot (seed %d) gives another answer (-original +shuffled):\n%s", seed, diff)
				}
			}
		})
	}
}

// TestWhoCanDeterministicOrderExpected pins the order of a small answer by hand.
func TestWhoCanDeterministicOrderExpected(t *testing.T) {
	got := NewIndex(orderSnapshot()).WhoCan(Query{Attributes: Attributes{Verb: "get", Resource: "pods", Namespace: "ns-2"}})
	want := []string{
		"Group/devs",
		"Group/ops",
		"Group/system:authenticated",
		"Group/system:masters",
		"ServiceAccount/ns-2/app",
		"ServiceAccount/ns-2/ci",
		"User/amy",
		"User/bob",
		"User/root",
		"User/zed",
	}
	if diff := cmp.Diff(want, subjectNames(got.Subjects)); diff != "" {
		t.Errorf("subject order mismatch (-want +got):\n%s", diff)
	}
	var amy []string
	for _, sa := range got.Subjects {
		if sa.Subject == user("amy") {
			for _, g := range sa.Grants {
				amy = append(amy, g.Binding.String())
			}
		}
	}
	// amy: cluster-wide grant first, then ns-2 bindings by name. exec-only and
	// aggregated bindings do not allow get pods.
	if diff := cmp.Diff([]string{"ClusterRoleBinding/readers", "RoleBinding/ns-2/pods-a"}, amy); diff != "" {
		t.Errorf("amy's grants mismatch (-want +got):\n%s", diff)
	}
}

func subjectNames(s []SubjectAccess) []string {
	var out []string
	for _, sa := range s {
		out = append(out, sa.Subject.String())
	}
	return out
}

func TestSubjectForUsername(t *testing.T) {
	tests := []struct {
		name     string
		username string
		want     Subject
	}{
		{"plain user", "alice", user("alice")},
		{"email user", "alice@example.com", user("alice@example.com")},
		{"empty user name", "", user("")},
		{"anonymous", AnonymousUser, user(AnonymousUser)},
		{"service account", "system:serviceaccount:kube-system:default", serviceAccount("kube-system", "default")},
		{"service account name with dots is valid", "system:serviceaccount:ns:my.sa", serviceAccount("ns", "my.sa")},
		{"too many parts stays a user", "system:serviceaccount:a:b:c", user("system:serviceaccount:a:b:c")},
		{"too few parts stays a user", "system:serviceaccount:ns", user("system:serviceaccount:ns")},
		{"uppercase namespace stays a user", "system:serviceaccount:Team:sa", user("system:serviceaccount:Team:sa")},
		{"uppercase name stays a user", "system:serviceaccount:ns:Sa", user("system:serviceaccount:ns:Sa")},
		{"namespace with a dot stays a user", "system:serviceaccount:my.ns:sa", user("system:serviceaccount:my.ns:sa")},
		{"namespace longer than 63 stays a user", "system:serviceaccount:" + strings.Repeat("n", 64) + ":sa", user("system:serviceaccount:" + strings.Repeat("n", 64) + ":sa")},
		{"namespace of 63 is valid", "system:serviceaccount:" + strings.Repeat("n", 63) + ":sa", serviceAccount(strings.Repeat("n", 63), "sa")},
		{"empty namespace stays a user", "system:serviceaccount::sa", user("system:serviceaccount::sa")},
		{"empty name stays a user", "system:serviceaccount:ns:", user("system:serviceaccount:ns:")},
		{"prefix only stays a user", "system:serviceaccount:", user("system:serviceaccount:")},
		{"prefix is case sensitive", "System:serviceaccount:ns:sa", user("System:serviceaccount:ns:sa")},
		{"group-style name stays a user", "system:serviceaccounts:ns", user("system:serviceaccounts:ns")},
		{"node user stays a user", "system:node:ip-10-0-0-1", user("system:node:ip-10-0-0-1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SubjectForUsername(tt.username)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SubjectForUsername(%q) mismatch (-want +got):\n%s", tt.username, diff)
			}
			// Either way the subject matches the same user name.
			if got.Username() != tt.username {
				t.Errorf("SubjectForUsername(%q).Username() = %q", tt.username, got.Username())
			}
		})
	}
}

func TestIdentityOf(t *testing.T) {
	tests := []struct {
		name       string
		subject    rbacv1.Subject
		bindingNS  string
		want       Subject
		wantOK     bool
		wantReason string
	}{
		{"user", userSubj("alice"), "", user("alice"), true, ""},
		{"user in a rolebinding", userSubj("alice"), "ns", user("alice"), true, ""},
		{"user with a namespace ignores it", rbacv1.Subject{Kind: rbacv1.UserKind, Name: "alice", Namespace: "ns"}, "", user("alice"), true, ""},
		{"user naming a service account", userSubj("system:serviceaccount:ns:sa"), "", serviceAccount("ns", "sa"), true, ""},
		{"user with invalid service account name", userSubj("system:serviceaccount:a:b:c"), "", user("system:serviceaccount:a:b:c"), true, ""},
		{"group", groupSubj("devs"), "", group("devs"), true, ""},
		{"group with a namespace ignores it", rbacv1.Subject{Kind: rbacv1.GroupKind, Name: "devs", Namespace: "ns"}, "ns", group("devs"), true, ""},
		{"system:authenticated is a group", groupSubj(AuthenticatedGroup), "", group(AuthenticatedGroup), true, ""},
		{"system:serviceaccounts:ns is a group", groupSubj("system:serviceaccounts:ns"), "ns", group("system:serviceaccounts:ns"), true, ""},
		{"group named like a service account stays a group", groupSubj("system:serviceaccount:ns:sa"), "", group("system:serviceaccount:ns:sa"), true, ""},
		{"service account with namespace in a clusterrolebinding", saSubj("ns", "sa"), "", serviceAccount("ns", "sa"), true, ""},
		{"service account with namespace in a rolebinding of another namespace", saSubj("other", "sa"), "ns", serviceAccount("other", "sa"), true, ""},
		{"service account without namespace defaults to the rolebinding namespace", saSubj("", "sa"), "ns", serviceAccount("ns", "sa"), true, ""},
		{"service account without namespace in a clusterrolebinding matches nobody", saSubj("", "sa"), "", Subject{}, false, "is a ServiceAccount without a namespace"},
		// The authorizer compares the user name with system:serviceaccount:ns:Bad, which
		// only a user of exactly that name has: it is still a ServiceAccount subject,
		// reported as one, with a warning.
		{"service account with invalid name stays a service account, with a warning", saSubj("ns", "Bad"), "", serviceAccount("ns", "Bad"), true,
			"names ServiceAccount ns/Bad, whose namespace or name is not valid (an unrendered template?): no pod runs as it, but a user of that name matches it"},
		{"service account in an unrendered namespace", saSubj("$KARPENTER_NAMESPACE", "karpenter"), "", serviceAccount("$KARPENTER_NAMESPACE", "karpenter"), true,
			"names ServiceAccount $KARPENTER_NAMESPACE/karpenter, whose namespace or name is not valid (an unrendered template?): no pod runs as it, but a user of that name matches it"},
		{"empty user name matches nobody", userSubj(""), "", Subject{}, false, "has no name"},
		{"empty group name matches nobody", groupSubj(""), "", Subject{}, false, "has no name"},
		{"empty service account name matches nobody", saSubj("ns", ""), "ns", Subject{}, false, "has no name"},
		{"unknown kind matches nobody", rbacv1.Subject{Kind: "Robot", Name: "r2d2"}, "", Subject{}, false, `has unsupported kind "Robot"`},
		{"kinds are case sensitive", rbacv1.Subject{Kind: "user", Name: "alice"}, "", Subject{}, false, `has unsupported kind "user"`},
		{"empty kind matches nobody", rbacv1.Subject{Name: "alice"}, "ns", Subject{}, false, `has unsupported kind ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason, ok := identityOf(tt.subject, tt.bindingNS)
			if ok != tt.wantOK {
				t.Fatalf("identityOf(%+v, %q) ok = %v, want %v (reason %q)", tt.subject, tt.bindingNS, ok, tt.wantOK, reason)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("identityOf(%+v, %q) mismatch (-want +got):\n%s", tt.subject, tt.bindingNS, diff)
			}
			if reason != tt.wantReason {
				t.Errorf("identityOf(%+v, %q) reason = %q, want %q", tt.subject, tt.bindingNS, reason, tt.wantReason)
			}
		})
	}
}
