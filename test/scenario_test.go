package test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// A generated RBAC scenario: random roles and bindings over a small vocabulary that
// overlaps the generated queries, so that many queries are allowed for some subjects
// and denied for others, through every path the authorizer has.
type scenario struct {
	namespaces          []string
	clusterRoles        []rbacv1.ClusterRole
	clusterRoleBindings []rbacv1.ClusterRoleBinding
	roles               []rbacv1.Role
	roleBindings        []rbacv1.RoleBinding
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func pickN[T comparable](r *rand.Rand, n int, xs ...T) []T {
	var out []T
	for len(out) < n {
		x := xs[r.IntN(len(xs))]
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

var (
	genVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
		"impersonate", "bind", "escalate"}
	genGroups    = []string{"", "apps", "batch", "rbac.authorization.k8s.io", "example.com", "authentication.k8s.io"}
	genResources = []string{"pods", "deployments", "secrets", "configmaps", "nodes", "namespaces", "roles",
		"clusterroles", "users", "groups", "serviceaccounts", "uids", "widgets", "jobs", "cronjobs",
		"pods/exec", "pods/log", "pods/*", "*/scale", "deployments/scale", "pods/status", "*/status", "widgets/scale"}
	genNames = []string{"a", "b", "web"}
	genURLs  = []string{"/healthz", "/healthz/*", "/api", "/api/*", "/apis*", "/metrics", "/logs/*", "*", "/version"}
)

func genRule(r *rand.Rand, nonResourceOK bool) rbacv1.PolicyRule {
	if nonResourceOK && r.IntN(5) == 0 {
		verbs := pickN(r, 1+r.IntN(2), "get", "post", "put", "head")
		if r.IntN(8) == 0 {
			verbs = []string{"*"}
		}
		return rbacv1.PolicyRule{Verbs: verbs, NonResourceURLs: pickN(r, 1+r.IntN(2), genURLs...)}
	}
	rule := rbacv1.PolicyRule{
		Verbs:     pickN(r, 1+r.IntN(3), genVerbs...),
		APIGroups: pickN(r, 1+r.IntN(2), genGroups...),
		Resources: pickN(r, 1+r.IntN(3), genResources...),
	}
	if r.IntN(10) == 0 {
		rule.Verbs = []string{"*"}
	}
	if r.IntN(10) == 0 {
		rule.APIGroups = []string{"*"}
	}
	if r.IntN(10) == 0 {
		rule.Resources = []string{"*"}
	}
	if r.IntN(4) == 0 {
		rule.ResourceNames = pickN(r, 1+r.IntN(2), genNames...)
	}
	return rule
}

func genRules(r *rand.Rand, nonResourceOK bool) []rbacv1.PolicyRule {
	rules := make([]rbacv1.PolicyRule, 1+r.IntN(3))
	for i := range rules {
		rules[i] = genRule(r, nonResourceOK)
	}
	return rules
}

// genSubjects draws 1-3 subjects of every kind and special group. ns is the binding's
// namespace ("" for a ClusterRoleBinding); namespaces are those of the scenario.
func genSubjects(r *rand.Rand, ns string, namespaces []string) []rbacv1.Subject {
	n := 1 + r.IntN(3)
	var out []rbacv1.Subject
	for range n {
		saNS := pick(r, namespaces...)
		switch r.IntN(3) {
		case 0:
			out = append(out, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: pick(r,
				"alice", "bob", "carol", "system:anonymous",
				"system:serviceaccount:"+saNS+":builder", // a User naming a service account
				"system:serviceaccount:"+saNS+":x:y",     // not a valid service account name
			)})
		case 1:
			out = append(out, rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: pick(r,
				"dev", "ops", "system:authenticated", "system:unauthenticated", "system:serviceaccounts",
				"system:serviceaccounts:"+saNS, "system:masters")})
		default:
			s := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: pick(r, "default", "builder", "deployer"), Namespace: saNS}
			if ns != "" && r.IntN(4) == 0 {
				s.Namespace = "" // defaults to the RoleBinding's namespace
			}
			out = append(out, s)
		}
	}
	return out
}

// genScenario draws a scenario whose object names start with prefix.
func genScenario(r *rand.Rand, prefix string) *scenario {
	s := &scenario{namespaces: []string{prefix + "-a", prefix + "-b", prefix + "-c"}}
	meta := func(name, ns string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"eksiam-test": prefix}}
	}
	for i := range 10 {
		cr := rbacv1.ClusterRole{ObjectMeta: meta(fmt.Sprintf("%s-cr-%d", prefix, i), ""), Rules: genRules(r, true)}
		switch r.IntN(7) {
		case 0: // aggregated, as the controller leaves it: evaluate the stored rules
			cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"agg": prefix}}}}
		case 1: // aggregated but never filled in: grants nothing
			cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"agg": prefix}}}}
			cr.Rules = nil
		}
		s.clusterRoles = append(s.clusterRoles, cr)
	}
	roleRefCR := func() rbacv1.RoleRef {
		name := s.clusterRoles[r.IntN(len(s.clusterRoles))].Name
		switch r.IntN(14) {
		case 0:
			name = prefix + "-missing-cr"
		case 1:
			name = pick(r, "view", "edit", "admin", "cluster-admin", "system:discovery")
		}
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}
	}
	for i := range 8 {
		s.clusterRoleBindings = append(s.clusterRoleBindings, rbacv1.ClusterRoleBinding{
			ObjectMeta: meta(fmt.Sprintf("%s-crb-%d", prefix, i), ""),
			RoleRef:    roleRefCR(),
			Subjects:   genSubjects(r, "", s.namespaces),
		})
	}
	for _, ns := range s.namespaces {
		var names []string
		for i := range 4 {
			role := rbacv1.Role{ObjectMeta: meta(fmt.Sprintf("%s-role-%d", prefix, i), ns), Rules: genRules(r, false)}
			s.roles = append(s.roles, role)
			names = append(names, role.Name)
		}
		for i := range 6 {
			ref := roleRefCR()
			if r.IntN(2) == 0 {
				ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: pick(r, names...)}
				if r.IntN(12) == 0 {
					ref.Name = prefix + "-missing-role"
				}
			}
			s.roleBindings = append(s.roleBindings, rbacv1.RoleBinding{
				ObjectMeta: meta(fmt.Sprintf("%s-rb-%d", prefix, i), ns),
				RoleRef:    ref,
				Subjects:   genSubjects(r, ns, s.namespaces),
			})
		}
	}
	return s
}

// apply creates the scenario, then waits until the API server's RBAC authorizer has
// seen all of it: it creates one sentinel object of each RBAC kind last and waits for
// SubjectAccessReview to allow what the sentinels grant. Each kind's informer delivers
// events in order, so once a kind's sentinel is visible, so is everything before it.
func (s *scenario) apply(ctx context.Context, t *testing.T, c kubernetes.Interface, prefix string) {
	t.Helper()
	rb := c.RbacV1()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	sentinelNS := prefix + "-sentinel"
	for _, ns := range append(slices.Clone(s.namespaces), sentinelNS) {
		must(c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	}
	for i := range s.clusterRoles {
		must(rb.ClusterRoles().Create(ctx, &s.clusterRoles[i], metav1.CreateOptions{}))
	}
	for i := range s.roles {
		must(rb.Roles(s.roles[i].Namespace).Create(ctx, &s.roles[i], metav1.CreateOptions{}))
	}
	for i := range s.clusterRoleBindings {
		must(rb.ClusterRoleBindings().Create(ctx, &s.clusterRoleBindings[i], metav1.CreateOptions{}))
	}
	for i := range s.roleBindings {
		must(rb.RoleBindings(s.roleBindings[i].Namespace).Create(ctx, &s.roleBindings[i], metav1.CreateOptions{}))
	}

	// Sentinels: a ClusterRole+ClusterRoleBinding and a Role+RoleBinding, each granting
	// a resource nothing else grants, to a user nothing else names.
	user := prefix + "-sentinel-user"
	name := prefix + "-sentinel"
	subjects := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}}
	clusterRes, nsRes := name+"-cluster", name+"-namespaced"
	grant := func(resource string) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{"sentinel.test"}, Resources: []string{resource}}}
	}
	must(rb.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: grant(clusterRes)}, metav1.CreateOptions{}))
	must(rb.Roles(sentinelNS).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: sentinelNS}, Rules: grant(nsRes)}, metav1.CreateOptions{}))
	must(rb.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}, Subjects: subjects}, metav1.CreateOptions{}))
	must(rb.RoleBindings(sentinelNS).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: sentinelNS},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}, Subjects: subjects}, metav1.CreateOptions{}))
	waitAllowed(ctx, t, c, authzv1.SubjectAccessReviewSpec{User: user, ResourceAttributes: &authzv1.ResourceAttributes{
		Verb: "get", Group: "sentinel.test", Resource: clusterRes}})
	waitAllowed(ctx, t, c, authzv1.SubjectAccessReviewSpec{User: user, ResourceAttributes: &authzv1.ResourceAttributes{
		Namespace: sentinelNS, Verb: "get", Group: "sentinel.test", Resource: nsRes}})
}

func waitAllowed(ctx context.Context, t *testing.T, c kubernetes.Interface, spec authzv1.SubjectAccessReviewSpec) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		r, err := c.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
		if err != nil {
			return false, err
		}
		return r.Status.Allowed, nil
	})
	if err != nil {
		t.Fatalf("waiting for the RBAC authorizer to allow %+v: %v", spec, err)
	}
}

// ensureWidgetsCRD installs a namespaced custom resource (widgets.example.com, short
// name wd, with a scale subresource) so queries exercise group-qualified resolution
// of resources that only discovery knows.
func ensureWidgetsCRD(ctx context.Context, t *testing.T, cl *cluster) {
	t.Helper()
	c, err := apiextensionsclient.NewForConfig(cl.admin)
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets.example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "example.com",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Singular: "widget", Kind: "Widget", ShortNames: []string{"wd"}},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema:       &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: ptr.To(true)}},
				Subresources: &apiextensionsv1.CustomResourceSubresources{Scale: &apiextensionsv1.CustomResourceSubresourceScale{SpecReplicasPath: ".spec.replicas", StatusReplicasPath: ".status.replicas"}},
			}},
		},
	}
	if _, err := c.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		lists, err := cl.client.Discovery().ServerResourcesForGroupVersion("example.com/v1")
		if err != nil {
			return false, nil
		}
		return slices.ContainsFunc(lists.APIResources, func(r metav1.APIResource) bool { return r.Name == "widgets" }), nil
	})
	if err != nil {
		t.Fatalf("widgets.example.com never appeared in discovery: %v", err)
	}
}
