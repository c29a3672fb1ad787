package rbac

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// benchResource is one resource of the generated cluster's API.
type benchResource struct {
	group        string
	resource     string
	subresources []string
}

var benchResources = []benchResource{
	{"", "pods", []string{"exec", "log", "attach", "portforward", "status", "eviction"}},
	{"", "services", []string{"proxy", "status"}},
	{"", "configmaps", nil},
	{"", "secrets", nil},
	{"", "serviceaccounts", []string{"token"}},
	{"", "persistentvolumeclaims", []string{"status"}},
	{"", "events", nil},
	{"", "endpoints", nil},
	{"", "nodes", []string{"proxy", "status"}},
	{"", "namespaces", []string{"status", "finalize"}},
	{"", "persistentvolumes", nil},
	{"apps", "deployments", []string{"scale", "status"}},
	{"apps", "statefulsets", []string{"scale", "status"}},
	{"apps", "daemonsets", []string{"status"}},
	{"apps", "replicasets", []string{"scale"}},
	{"batch", "jobs", []string{"status"}},
	{"batch", "cronjobs", nil},
	{"networking.k8s.io", "ingresses", []string{"status"}},
	{"networking.k8s.io", "networkpolicies", nil},
	{"rbac.authorization.k8s.io", "roles", nil},
	{"rbac.authorization.k8s.io", "rolebindings", nil},
	{"coordination.k8s.io", "leases", nil},
	{"autoscaling", "horizontalpodautoscalers", []string{"status"}},
	{"policy", "poddisruptionbudgets", nil},
	{"storage.k8s.io", "storageclasses", nil},
	{"apiextensions.k8s.io", "customresourcedefinitions", nil},
	{"example.com", "widgets", []string{"status", "scale"}},
	{"monitoring.coreos.com", "servicemonitors", nil},
}

var (
	benchReadVerbs  = []string{"get", "list", "watch"}
	benchWriteVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}
	benchURLs       = []string{"/healthz", "/healthz/*", "/livez", "/readyz", "/metrics", "/version", "/api*", "/apis/*", "/openapi/*", "/logs/**", "*"}
)

// benchSnapshot generates a deterministic snapshot of roles Roles and ClusterRoles and
// bindings RoleBindings and ClusterRoleBindings. One role in five is a ClusterRole,
// the Roles are spread over namespaces ns-0… (16 per namespace); one binding in ten is
// a ClusterRoleBinding. Each role has 3–8 rules: realistic verbs, groups and resources,
// some wildcards, some subresources, some resourceNames, and on ClusterRoles some
// nonResourceURLs. Each binding has 1–3 subjects (users user-N, groups group-N and a
// few well-known groups, service accounts sa-N); 2% of bindings refer to a role that
// does not exist.
func benchSnapshot(seed uint64, roles, bindings int) *Snapshot {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pick := func(s []string) string { return s[r.IntN(len(s))] }

	nClusterRoles := roles / 5
	nRoles := roles - nClusterRoles
	nNamespaces := max(1, nRoles/16)
	ns := func(i int) string { return fmt.Sprintf("ns-%d", i) }
	nUsers, nGroups, nSAs := max(1, bindings/6), max(1, bindings/100), 20

	verbs := func() []string {
		switch p := r.IntN(100); {
		case p < 55:
			return append([]string{}, benchReadVerbs...)
		case p < 80:
			return append(append([]string{}, benchReadVerbs...), benchWriteVerbs...)
		case p < 85:
			return []string{"*"}
		default:
			return []string{pick(append(append([]string{}, benchReadVerbs...), benchWriteVerbs...))}
		}
	}
	genResourceRule := func() rbacv1.PolicyRule {
		rule := rbacv1.PolicyRule{Verbs: verbs()}
		switch p := r.IntN(100); {
		case p < 3: // everything
			rule.APIGroups, rule.Resources = []string{"*"}, []string{"*"}
			return rule
		case p < 6: // every resource of a group
			rule.APIGroups, rule.Resources = []string{benchResources[r.IntN(len(benchResources))].group}, []string{"*"}
			return rule
		case p < 8: // every scale subresource
			rule.APIGroups, rule.Resources = []string{"*"}, []string{"*/scale"}
			return rule
		}
		first := benchResources[r.IntN(len(benchResources))]
		rule.APIGroups = []string{first.group}
		for n := 1 + r.IntN(3); len(rule.Resources) < n; {
			res := benchResources[r.IntN(len(benchResources))]
			if res.group != first.group {
				res = first
			}
			name := res.resource
			if len(res.subresources) > 0 && r.IntN(4) == 0 {
				name += "/" + pick(res.subresources)
			}
			rule.Resources = append(rule.Resources, name)
		}
		if r.IntN(10) == 0 {
			for n := 1 + r.IntN(2); len(rule.ResourceNames) < n; {
				rule.ResourceNames = append(rule.ResourceNames, fmt.Sprintf("obj-%d", r.IntN(50)))
			}
		}
		return rule
	}
	rules := func(cluster bool) []rbacv1.PolicyRule {
		out := make([]rbacv1.PolicyRule, 3+r.IntN(6))
		for i := range out {
			if cluster && r.IntN(10) == 0 {
				out[i] = rbacv1.PolicyRule{Verbs: []string{pick([]string{"get", "get", "get", "*"})}}
				for n := 1 + r.IntN(2); len(out[i].NonResourceURLs) < n; {
					out[i].NonResourceURLs = append(out[i].NonResourceURLs, pick(benchURLs))
				}
				continue
			}
			out[i] = genResourceRule()
		}
		return out
	}
	subjects := func(bindingNS string) []rbacv1.Subject {
		out := make([]rbacv1.Subject, 1+r.IntN(3))
		for i := range out {
			switch p := r.IntN(100); {
			case p < 45:
				out[i] = rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("user-%d", r.IntN(nUsers))}
			case p < 70:
				out[i] = rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("group-%d", r.IntN(nGroups))}
			case p < 73:
				g := pick([]string{AuthenticatedGroup, AllServiceAccounts, serviceAccountsPrefix + ns(r.IntN(nNamespaces))})
				out[i] = rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: g}
			default:
				saNS := ns(r.IntN(nNamespaces))
				if bindingNS != "" && r.IntN(2) == 0 {
					saNS = "" // defaults to the RoleBinding's namespace
				}
				out[i] = rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: saNS, Name: fmt.Sprintf("sa-%d", r.IntN(nSAs))}
			}
		}
		return out
	}

	s := &Snapshot{
		ClusterRoles: make([]rbacv1.ClusterRole, 0, nClusterRoles),
		Roles:        make([]rbacv1.Role, 0, nRoles),
	}
	for i := range nClusterRoles {
		s.ClusterRoles = append(s.ClusterRoles, rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cr-%d", i)},
			Rules:      rules(true),
		})
	}
	rolesIn := make([][]string, nNamespaces)
	for i := range nRoles {
		n, name := i%nNamespaces, fmt.Sprintf("role-%d", i)
		rolesIn[n] = append(rolesIn[n], name)
		s.Roles = append(s.Roles, rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns(n), Name: name},
			Rules:      rules(false),
		})
	}

	nCRBs := bindings / 10
	dangling := func() bool { return r.IntN(50) == 0 }
	for i := range nCRBs {
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("cr-%d", r.IntN(max(1, nClusterRoles)))}
		if dangling() || nClusterRoles == 0 {
			ref.Name = fmt.Sprintf("missing-%d", i)
		}
		s.ClusterRoleBindings = append(s.ClusterRoleBindings, rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("crb-%d", i)},
			RoleRef:    ref,
			Subjects:   subjects(""),
		})
	}
	for i := range bindings - nCRBs {
		n := r.IntN(nNamespaces)
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName}
		if r.IntN(10) < 3 || len(rolesIn[n]) == 0 {
			ref.Kind, ref.Name = "ClusterRole", fmt.Sprintf("cr-%d", r.IntN(max(1, nClusterRoles)))
		} else {
			ref.Kind, ref.Name = "Role", pick(rolesIn[n])
		}
		if dangling() {
			ref.Name = fmt.Sprintf("missing-%d", i)
		}
		s.RoleBindings = append(s.RoleBindings, rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns(n), Name: fmt.Sprintf("rb-%d", i)},
			RoleRef:    ref,
			Subjects:   subjects(ns(n)),
		})
	}
	return s
}

var benchQueries = []struct {
	name string
	q    Query
}{
	{"namespace/get-pods", Query{Attributes: Attributes{Verb: "get", Resource: "pods", Namespace: "ns-7"}}},
	{"all-namespaces/get-secrets", Query{Attributes: Attributes{Verb: "get", Resource: "secrets"}, AllNamespaces: true}},
	{"cluster/list-nodes", Query{Attributes: Attributes{Verb: "list", Resource: "nodes"}}},
	{"nonresource/get-healthz", Query{Attributes: Attributes{Verb: "get", Path: "/healthz"}}},
	{"all-namespaces/create-pods-exec", Query{Attributes: Attributes{Verb: "create", Resource: "pods", Subresource: "exec"}, AllNamespaces: true}},
}

func BenchmarkWhoCan(b *testing.B) {
	snap := benchSnapshot(1, 10_000, 20_000)
	b.Run("NewIndex", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			NewIndex(snap)
		}
	})
	ix := NewIndex(snap)
	for _, bq := range benchQueries {
		b.Run(bq.name, func(b *testing.B) {
			b.ReportAllocs()
			var res Result
			for b.Loop() {
				res = ix.WhoCan(bq.q)
			}
			grants := 0
			for i := range res.Subjects {
				grants += len(res.Subjects[i].Grants)
			}
			b.ReportMetric(float64(len(res.Subjects)), "subjects")
			b.ReportMetric(float64(grants), "grants")
			b.ReportMetric(float64(len(res.Warnings)), "warnings")
		})
	}
}

// TestBenchSnapshot checks that the generator makes what it promises, so that the
// benchmark measures a realistic workload.
func TestBenchSnapshot(t *testing.T) {
	const roles, bindings = 10_000, 20_000
	s := benchSnapshot(1, roles, bindings)

	if got, want := len(s.ClusterRoles), 2_000; got != want {
		t.Errorf("ClusterRoles = %d, want %d", got, want)
	}
	if got, want := len(s.Roles), 8_000; got != want {
		t.Errorf("Roles = %d, want %d", got, want)
	}
	if got, want := len(s.ClusterRoleBindings), 2_000; got != want {
		t.Errorf("ClusterRoleBindings = %d, want %d", got, want)
	}
	if got, want := len(s.RoleBindings), 18_000; got != want {
		t.Errorf("RoleBindings = %d, want %d", got, want)
	}

	namespaces := map[string]bool{}
	var urlRules, nameRules, wildcardRules int
	checkRules := func(kind string, rs []rbacv1.PolicyRule) {
		if len(rs) < 3 || len(rs) > 8 {
			t.Errorf("%s has %d rules, want 3–8", kind, len(rs))
		}
		for _, r := range rs {
			if len(r.NonResourceURLs) > 0 {
				urlRules++
				if kind != "ClusterRole" {
					t.Errorf("%s has nonResourceURLs", kind)
				}
			}
			if len(r.ResourceNames) > 0 {
				nameRules++
			}
			for _, res := range r.Resources {
				if strings.Contains(res, "*") {
					wildcardRules++
					break
				}
			}
		}
	}
	for _, cr := range s.ClusterRoles {
		checkRules("ClusterRole", cr.Rules)
	}
	for _, r := range s.Roles {
		namespaces[r.Namespace] = true
		checkRules("Role", r.Rules)
	}
	if len(namespaces) != 500 {
		t.Errorf("Roles span %d namespaces, want 500", len(namespaces))
	}
	if urlRules == 0 || nameRules == 0 || wildcardRules == 0 {
		t.Errorf("rules lack variety: %d nonResourceURL, %d resourceNames, %d wildcard-resource rules", urlRules, nameRules, wildcardRules)
	}

	kinds := map[string]int{}
	countSubjects := func(ss []rbacv1.Subject) {
		if len(ss) < 1 || len(ss) > 3 {
			t.Errorf("binding has %d subjects, want 1–3", len(ss))
		}
		for _, s := range ss {
			kinds[s.Kind]++
		}
	}
	crNames := map[string]bool{}
	for _, cr := range s.ClusterRoles {
		crNames[cr.Name] = true
	}
	roleNames := map[[2]string]bool{}
	for _, r := range s.Roles {
		roleNames[[2]string{r.Namespace, r.Name}] = true
	}
	danglingCount := 0
	for _, b := range s.ClusterRoleBindings {
		countSubjects(b.Subjects)
		if !crNames[b.RoleRef.Name] {
			danglingCount++
		}
	}
	for _, b := range s.RoleBindings {
		countSubjects(b.Subjects)
		if (b.RoleRef.Kind == "ClusterRole" && !crNames[b.RoleRef.Name]) ||
			(b.RoleRef.Kind == "Role" && !roleNames[[2]string{b.Namespace, b.RoleRef.Name}]) {
			danglingCount++
		}
	}
	for _, k := range []string{rbacv1.UserKind, rbacv1.GroupKind, rbacv1.ServiceAccountKind} {
		if kinds[k] == 0 {
			t.Errorf("no %s subjects", k)
		}
	}
	// 2% of 20,000 is 400; allow for sampling noise.
	if danglingCount < 300 || danglingCount > 500 {
		t.Errorf("%d dangling bindings, want about 400", danglingCount)
	}

	if !reflect.DeepEqual(s, benchSnapshot(1, roles, bindings)) {
		t.Error("benchSnapshot is not deterministic for a fixed seed")
	}
	if reflect.DeepEqual(s.Roles[0].Rules, benchSnapshot(2, roles, bindings).Roles[0].Rules) {
		t.Error("benchSnapshot ignores the seed")
	}

	// Every benchmark query finds somebody besides system:masters.
	ix := NewIndex(s)
	for _, bq := range benchQueries {
		if res := ix.WhoCan(bq.q); len(res.Subjects) < 2 {
			t.Errorf("query %s finds only %d subjects", bq.name, len(res.Subjects))
		}
	}
}
