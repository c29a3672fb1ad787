// Package benchpolicy generates the RBAC policy and aws-auth of the benchmark cluster
// (hack/bench-scale seeds it into an API server; the audit Go benchmark builds it in
// memory): namespaces × (Roles + RoleBindings), ClusterRoles, ClusterRoleBindings, and
// an aws-auth shaped like a real one. The same Scale gives the same objects.
package benchpolicy

import (
	"fmt"
	"math/rand/v2"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Scale is how much to generate.
type Scale struct {
	Namespaces, PerNamespace, ClusterRoles, ClusterRoleBindings, MapRoles, MapUsers int
}

// Default is the cluster of docs/benchmarks.md §2: about 22,000 RBAC objects.
var Default = Scale{Namespaces: 500, PerNamespace: 20, ClusterRoles: 500, ClusterRoleBindings: 1000, MapRoles: 200, MapUsers: 20}

// Policy is what Generate makes.
type Policy struct {
	Namespaces          []string
	ClusterRoles        []rbacv1.ClusterRole
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
	Roles               []rbacv1.Role
	RoleBindings        []rbacv1.RoleBinding
	// AWSAuth is the data of kube-system/aws-auth (mapRoles, mapUsers).
	AWSAuth map[string]string
}

// Generate makes the policy of sc, deterministically.
func Generate(sc Scale) *Policy {
	r := rand.New(rand.NewPCG(1, 2))
	verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	resources := []string{"pods", "pods/log", "pods/exec", "secrets", "configmaps", "services", "deployments", "jobs", "*"}
	groups := []string{"", "apps", "batch", "*"}
	rule := func() rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: []string{verbs[r.IntN(len(verbs))], verbs[r.IntN(len(verbs))]},
			APIGroups: []string{groups[r.IntN(len(groups))]}, Resources: []string{resources[r.IntN(len(resources))], resources[r.IntN(len(resources))]}}
	}
	rules := func() []rbacv1.PolicyRule { return []rbacv1.PolicyRule{rule(), rule(), rule()} }
	subject := func(ns string) rbacv1.Subject {
		switch r.IntN(3) {
		case 0:
			return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("user-%d", r.IntN(2000))}
		case 1:
			return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("team-%d", r.IntN(200))}
		}
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: fmt.Sprintf("sa-%d", r.IntN(10))}
	}
	clusterRole := func(i int) string { return fmt.Sprintf("bench-cr-%04d", i) }

	p := &Policy{}
	for i := range sc.ClusterRoles {
		p.ClusterRoles = append(p.ClusterRoles, rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: clusterRole(i)}, Rules: rules()})
	}
	for i := range sc.ClusterRoleBindings {
		ns := fmt.Sprintf("ns-%04d", r.IntN(sc.Namespaces))
		p.ClusterRoleBindings = append(p.ClusterRoleBindings, rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-crb-%04d", i)},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole(r.IntN(sc.ClusterRoles))},
			Subjects: []rbacv1.Subject{subject(ns), subject(ns)}})
	}
	for n := range sc.Namespaces {
		ns := fmt.Sprintf("ns-%04d", n)
		p.Namespaces = append(p.Namespaces, ns)
		for i := range sc.PerNamespace {
			role := rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("role-%02d", i), Namespace: ns}, Rules: rules()}
			ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name}
			if r.IntN(4) == 0 {
				ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole(r.IntN(sc.ClusterRoles))}
			}
			p.Roles = append(p.Roles, role)
			p.RoleBindings = append(p.RoleBindings, rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rb-%02d", i), Namespace: ns},
				RoleRef: ref, Subjects: []rbacv1.Subject{subject(ns), subject(ns)}})
		}
	}
	p.AWSAuth = awsAuth(sc)
	return p
}

// awsAuth is an aws-auth of realistic shape: node roles with the node username
// template, human roles with {{SessionName}} usernames in team groups, fixed usernames
// that RBAC names as Users, a few system:masters roles, and IAM users.
func awsAuth(sc Scale) map[string]string {
	var roles, users strings.Builder
	for i := range sc.MapRoles {
		arn := fmt.Sprintf("arn:aws:iam::111122223333:role/bench-role-%04d", i)
		switch i % 5 {
		case 0:
			fmt.Fprintf(&roles, "- rolearn: %s\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n", arn)
		case 1, 2:
			fmt.Fprintf(&roles, "- rolearn: %s\n  username: team-%d:{{SessionName}}\n  groups:\n  - team-%d\n", arn, i%200, i%200)
		case 3:
			fmt.Fprintf(&roles, "- rolearn: %s\n  username: user-%d\n  groups:\n  - team-%d\n  - readers\n", arn, i*7%2000, i%200)
		default:
			groups := fmt.Sprintf("team-%d", i%200)
			if i%50 == 4 {
				groups = "system:masters"
			}
			fmt.Fprintf(&roles, "- rolearn: %s\n  username: admin:{{AccountID}}:{{SessionName}}\n  groups:\n  - %s\n", arn, groups)
		}
	}
	for i := range sc.MapUsers {
		fmt.Fprintf(&users, "- userarn: arn:aws:iam::111122223333:user/bench-user-%03d\n  username: user-%d\n  groups:\n  - team-%d\n", i, i*13%2000, i%200)
	}
	return map[string]string{"mapRoles": roles.String(), "mapUsers": users.String()}
}
