package rbac

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
)

func rule(verbs, groups, resources string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: strings.Split(verbs, ","), APIGroups: strings.Split(groups, ","),
		Resources: strings.Split(resources, ","), ResourceNames: names}
}

var std = []string{"get", "list", "create", "delete"}

// matrixRows is a small API: pods and three subresources, deployments and scale,
// nodes, secrets, a custom resource.
var matrixRows = []MatrixRow{
	{Resource: "pods", Namespaced: true, Verbs: std},
	{Resource: "pods", Subresource: "exec", Namespaced: true, Verbs: []string{"create", "get"}},
	{Resource: "pods", Subresource: "log", Namespaced: true, Verbs: []string{"get"}},
	{Resource: "pods", Subresource: "status", Namespaced: true, Verbs: []string{"get", "update"}},
	{Group: "apps", Resource: "deployments", Namespaced: true, Verbs: std},
	{Group: "apps", Resource: "deployments", Subresource: "scale", Namespaced: true, Verbs: []string{"get", "update"}},
	{Resource: "secrets", Namespaced: true, Verbs: std},
	{Resource: "nodes", Verbs: std},
	{Group: "example.com", Resource: "widgets", Namespaced: true, Verbs: std},
	{Resource: "users", Verbs: []string{"impersonate"}},
}

// cellKey is a cell without its answer.
func cellKey(c Cell) string {
	r := c.Resource
	if c.Subresource != "" {
		r += "/" + c.Subresource
	}
	if c.Group != "" {
		r += "." + c.Group
	}
	return c.Namespace + "|" + c.Verb + " " + r
}

// answers maps cellKey to "all", "none" or "some-names:a,b".
func answers(m Matrix) map[string]string {
	out := map[string]string{}
	for _, c := range m.Cells {
		a := c.Access
		if c.Access == AccessSomeNames {
			a += ":" + strings.Join(c.Names, ",")
		}
		out[cellKey(c)] = a
	}
	return out
}

func TestMatrix(t *testing.T) {
	snap := &Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{
			mkClusterRole("pods-star", rule("get", "", "pods/*")),       // literal: no subresource matches
			mkClusterRole("star-scale", rule("update", "*", "*/scale")), // every scale subresource
			mkClusterRole("named-secrets", rule("get,delete", "", "secrets", "a", "b")),
			mkClusterRole("named-secrets-2", rule("get", "", "secrets", "c", "a")),
			mkClusterRole("node-reader", rule("get,list", "", "nodes")),
			mkClusterRole("everything-in-example", rule("*", "example.com", "*")),
			mkAggregatedClusterRole("unfilled"), // an aggregationRule the controller never filled: nothing
			mkAggregatedClusterRole("filled", rule("create", "", "pods/exec")),
			mkClusterRole("impersonator", rule("impersonate", "", "users", "bob")),
		},
		Roles: []rbacv1.Role{mkRole("app", "logs", rule("get", "", "pods/log"), rule("list", "", "pods"))},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			mkCRB("scale", "ClusterRole", "star-scale", groupSubj("dev")),
			mkCRB("secrets", "ClusterRole", "named-secrets", userSubj("alice")),
			mkCRB("unfilled", "ClusterRole", "unfilled", userSubj("alice")),
			mkCRB("authn", "ClusterRole", "pods-star", groupSubj(AuthenticatedGroup)),
			mkCRB("sa", "ClusterRole", "node-reader", groupSubj("system:serviceaccounts:app")),
			mkCRB("imp", "ClusterRole", "impersonator", userSubj("system:serviceaccount:app:ci")),
		},
		RoleBindings: []rbacv1.RoleBinding{
			mkRB("app", "logs", "Role", "logs", saSubj("", "ci")), // namespace defaults to the binding's
			mkRB("app", "secrets", "ClusterRole", "named-secrets-2", userSubj("alice")),
			mkRB("app", "example", "ClusterRole", "everything-in-example", groupSubj("dev")),
			mkRB("app", "exec", "ClusterRole", "filled", userSubj("alice")),
			// A RoleBinding never grants a cluster-scoped resource.
			mkRB("app", "nodes", "ClusterRole", "node-reader", userSubj("alice")),
			mkRB("other", "example", "ClusterRole", "everything-in-example", userSubj("alice")),
		},
	}
	ix := NewIndex(snap)
	tests := []struct {
		name string
		q    MatrixQuery
		want map[string]string // cells not listed are "none"
		ns   []string
	}{
		{
			name: "user in one namespace: names merged across bindings, pods/* literal, RoleBinding no nodes",
			q:    MatrixQuery{Identity: IdentityOf(user("alice")), Namespace: "app"},
			want: map[string]string{
				"app|get secrets":      "some-names:a,b,c",
				"app|delete secrets":   "some-names:a,b",
				"app|create pods/exec": "all",
			},
			ns: []string{"app"},
		},
		{
			name: "group member: */scale, wildcard group resources in its namespace only",
			q:    MatrixQuery{Identity: IdentityOf(group("dev")), Namespace: "app"},
			want: map[string]string{
				"app|update deployments/scale.apps": "all",
				"app|get widgets.example.com":       "all", "app|list widgets.example.com": "all",
				"app|create widgets.example.com": "all", "app|delete widgets.example.com": "all",
			},
			ns: []string{"app"},
		},
		{
			name: "service account: its namespace's group, a User binding of its name, the defaulted namespace",
			q:    MatrixQuery{Identity: IdentityOf(serviceAccount("app", "ci")), Namespace: "app"},
			want: map[string]string{
				"|get nodes": "all", "|list nodes": "all",
				"|impersonate users": "some-names:bob",
				"app|get pods/log":   "all", "app|list pods": "all",
			},
			ns: []string{"app"},
		},
		{
			name: "the same service account elsewhere: cluster grants only",
			q:    MatrixQuery{Identity: IdentityOf(serviceAccount("app", "ci")), Namespace: "other"},
			want: map[string]string{"|get nodes": "all", "|list nodes": "all", "|impersonate users": "some-names:bob"},
			ns:   []string{"other"},
		},
		{
			name: "all namespaces: cluster level, then only what each namespace adds",
			q:    MatrixQuery{Identity: IdentityOf(user("alice")), AllNamespaces: true},
			want: map[string]string{
				"|get secrets": "some-names:a,b", "|delete secrets": "some-names:a,b",
				"app|get secrets":               "some-names:a,b,c",
				"app|create pods/exec":          "all",
				"other|get widgets.example.com": "all", "other|list widgets.example.com": "all",
				"other|create widgets.example.com": "all", "other|delete widgets.example.com": "all",
			},
			ns: []string{"app", "other"},
		},
		{
			name: "system:masters: everything, no namespace of its own",
			q:    MatrixQuery{Identity: Identity{Username: "root", Groups: []string{SuperuserGroup}}, AllNamespaces: true},
			ns:   []string{},
		},
		{
			name: "cluster scope only",
			q:    MatrixQuery{Identity: IdentityOf(serviceAccount("app", "ci"))},
			want: map[string]string{"|get nodes": "all", "|list nodes": "all", "|impersonate users": "some-names:bob"},
			ns:   []string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Rows = matrixRows
			m := ix.Matrix(tc.q)
			got := answers(m)
			superuser := tc.q.Identity.Superuser()
			for k, v := range got {
				want, ok := tc.want[k]
				switch {
				case superuser:
					want = AccessAll
				case !ok:
					want = AccessNone
				}
				if v != want {
					t.Errorf("%s = %s, want %s", k, v, want)
				}
			}
			for k := range tc.want {
				if _, ok := got[k]; !ok {
					t.Errorf("no cell %s", k)
				}
			}
			if d := cmp.Diff(tc.ns, m.Namespaces); d != "" {
				t.Errorf("namespaces (-want +got):\n%s", d)
			}
		})
	}
}

// Every cell of random matrices agrees with Allows, the authorizer's own evaluation,
// for the request without a name and with each name: all allows every name, some-names
// exactly the names listed, none no name.
func TestMatrixAgreesWithAllows(t *testing.T) {
	snap := benchSnapshot(7, 300, 600)
	ix := NewIndex(snap)
	var rows []MatrixRow
	for _, r := range benchResources {
		ns := r.resource != "nodes" && r.resource != "namespaces" && r.resource != "persistentvolumes" &&
			r.resource != "storageclasses" && r.resource != "customresourcedefinitions"
		rows = append(rows, MatrixRow{Group: r.group, Resource: r.resource, Namespaced: ns,
			Verbs: append(append([]string{}, benchReadVerbs...), benchWriteVerbs...)})
		for _, sub := range r.subresources {
			rows = append(rows, MatrixRow{Group: r.group, Resource: r.resource, Subresource: sub, Namespaced: ns, Verbs: []string{"get", "create", "update"}})
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	var ids []Identity
	for i := range 16 {
		switch i % 4 {
		case 0:
			ids = append(ids, IdentityOf(user(fmt.Sprintf("user-%d", r.IntN(100)))))
		case 1:
			ids = append(ids, IdentityOf(group(fmt.Sprintf("group-%d", r.IntN(12)))))
		case 2:
			ids = append(ids, IdentityOf(serviceAccount(fmt.Sprintf("ns-%d", r.IntN(30)), fmt.Sprintf("sa-%d", r.IntN(20)))))
		default:
			ids = append(ids, Identity{Username: fmt.Sprintf("user-%d", r.IntN(100)), Groups: []string{fmt.Sprintf("group-%d", r.IntN(12)), AuthenticatedGroup}})
		}
	}
	probe := []string{"obj-7", "zzz"}
	var checks, all, some int
	for _, id := range ids {
		for _, allNS := range []bool{false, true} {
			q := MatrixQuery{Identity: id, Rows: rows, AllNamespaces: allNS, Namespace: fmt.Sprintf("ns-%d", r.IntN(30))}
			if allNS {
				q.Namespace = ""
			}
			m := ix.Matrix(q)
			for _, c := range m.Cells {
				a := Attributes{Verb: c.Verb, APIGroup: c.Group, Resource: c.Resource, Subresource: c.Subresource, Namespace: c.Namespace}
				ok, _ := ix.Allows(id, a)
				checks++
				switch c.Access {
				case AccessAll:
					all++
					if !ok {
						t.Fatalf("%v %s: all, but Allows says no", id, cellKey(c))
					}
				case AccessSomeNames, AccessNone:
					if ok {
						t.Fatalf("%v %s: %s, but Allows says yes", id, cellKey(c), c.Access)
					}
					if c.Access == AccessSomeNames {
						some++
					}
					names := append(slices.Clone(c.Names), probe...)
					for _, n := range names {
						a.Name = n
						ok, _ := ix.Allows(id, a)
						checks++
						if ok != slices.Contains(c.Names, n) {
							t.Fatalf("%v %s name %s: Allows %v, cell %s %v", id, cellKey(c), n, ok, c.Access, c.Names)
						}
					}
				}
			}
			// With all namespaces, a namespace not listed is the cluster level.
			if allNS {
				for _, c := range m.Cells {
					if c.Namespace != "" || !rowNamespaced(rows, c) {
						continue
					}
					ns := "ns-unlisted"
					for i := 0; i < 30; i++ {
						if cand := fmt.Sprintf("ns-%d", i); !slices.Contains(m.Namespaces, cand) {
							ns = cand
							break
						}
					}
					a := Attributes{Verb: c.Verb, APIGroup: c.Group, Resource: c.Resource, Subresource: c.Subresource, Namespace: ns}
					ok, _ := ix.Allows(id, a)
					checks++
					if ok != (c.Access == AccessAll) {
						t.Fatalf("%v %s in unlisted %s: Allows %v, cluster level %s", id, cellKey(c), ns, ok, c.Access)
					}
				}
			}
		}
	}
	t.Logf("%d identities, %d checks against Allows (%d all cells, %d some-names cells)", len(ids), checks, all, some)
	if all == 0 || some == 0 {
		t.Errorf("degenerate: %d all, %d some-names", all, some)
	}
}

func rowNamespaced(rows []MatrixRow, c Cell) bool {
	for _, r := range rows {
		if r.Group == c.Group && r.Resource == c.Resource && r.Subresource == c.Subresource {
			return r.Namespaced
		}
	}
	return false
}

func TestIdentityOfSubject(t *testing.T) {
	tests := []struct {
		s    Subject
		want Identity
	}{
		{serviceAccount("app", "ci"), Identity{Username: "system:serviceaccount:app:ci", Groups: []string{AllServiceAccounts, "system:serviceaccounts:app", AuthenticatedGroup}}},
		{user("system:serviceaccount:app:ci"), Identity{Username: "system:serviceaccount:app:ci", Groups: []string{AllServiceAccounts, "system:serviceaccounts:app", AuthenticatedGroup}}},
		{user("system:serviceaccount:app:x:y"), Identity{Username: "system:serviceaccount:app:x:y", Groups: []string{AuthenticatedGroup}}},
		{user("alice"), Identity{Username: "alice", Groups: []string{AuthenticatedGroup}}},
		{user(AnonymousUser), Identity{Username: AnonymousUser, Groups: []string{UnauthenticatedGroup}}},
		{group("dev"), Identity{Groups: []string{"dev", AuthenticatedGroup}}},
		{group(UnauthenticatedGroup), Identity{Groups: []string{UnauthenticatedGroup}}},
		{group(AuthenticatedGroup), Identity{Groups: []string{AuthenticatedGroup}}},
	}
	for _, tc := range tests {
		if d := cmp.Diff(tc.want, IdentityOf(tc.s)); d != "" {
			t.Errorf("%v (-want +got):\n%s", tc.s, d)
		}
	}
}

func TestExplain(t *testing.T) {
	snap := &Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{
			mkClusterRole("secrets", rule("get", "", "secrets")),
			mkClusterRole("named", rule("get", "", "secrets", "a")),
			mkClusterRole("nodes", rule("get", "", "nodes")),
		},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{mkCRB("named", "ClusterRole", "named", groupSubj("dev"))},
		RoleBindings: []rbacv1.RoleBinding{
			mkRB("app", "secrets", "ClusterRole", "secrets", userSubj("alice")),
			mkRB("ci", "secrets", "ClusterRole", "secrets", userSubj("alice")),
			mkRB("app", "nodes", "ClusterRole", "nodes", userSubj("alice")),
		},
	}
	ix := NewIndex(snap)
	alice := Identity{Username: "alice", Groups: []string{"dev", AuthenticatedGroup}}
	type brief struct{ Binding, Miss string }
	summarize := func(e Explanation) (grants []string, misses []brief) {
		for _, g := range e.Grants {
			grants = append(grants, g.Binding.String())
		}
		for _, m := range e.NearMisses {
			misses = append(misses, brief{m.Binding.String(), m.Miss})
		}
		return
	}
	tests := []struct {
		name    string
		a       Attributes
		allowed bool
		grants  []string
		misses  []brief
	}{
		{"allowed in app; ci misses the namespace; the named rule misses the name", Attributes{Verb: "get", Resource: "secrets", Namespace: "app", Name: "x"}, true,
			[]string{"RoleBinding/app/secrets"}, []brief{{"ClusterRoleBinding/named", MissName}, {"RoleBinding/ci/secrets", MissNamespace}}},
		{"the named rule allows its name", Attributes{Verb: "get", Resource: "secrets", Namespace: "dev", Name: "a"}, true,
			[]string{"ClusterRoleBinding/named"}, []brief{{"RoleBinding/app/secrets", MissNamespace}, {"RoleBinding/ci/secrets", MissNamespace}}},
		{"a RoleBinding never grants nodes", Attributes{Verb: "get", Resource: "nodes"}, false,
			nil, []brief{{"RoleBinding/app/nodes", MissNamespace}}},
		{"list across namespaces: only ClusterRoleBindings", Attributes{Verb: "get", Resource: "secrets"}, false,
			nil, []brief{{"ClusterRoleBinding/named", MissName}, {"RoleBinding/app/secrets", MissNamespace}, {"RoleBinding/ci/secrets", MissNamespace}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := ix.Explain(alice, tc.a)
			grants, misses := summarize(e)
			if e.Allowed != tc.allowed {
				t.Errorf("allowed %v, want %v", e.Allowed, tc.allowed)
			}
			if d := cmp.Diff(tc.grants, grants); d != "" {
				t.Errorf("grants (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.misses, misses); d != "" {
				t.Errorf("near misses (-want +got):\n%s", d)
			}
			if ok, _ := ix.Allows(alice, tc.a); ok != e.Allowed {
				t.Errorf("Explain says %v, Allows %v", e.Allowed, ok)
			}
		})
	}
}
