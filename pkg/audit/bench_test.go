package audit

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/harden"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// scaleInput is the cluster hack/bench-scale seeds (500 namespaces × (20 Roles + 20
// RoleBindings), 500 ClusterRoles, 1,000 ClusterRoleBindings, aws-auth with 200
// mapRoles and 20 mapUsers: 22,000 objects), generated the same way, in memory.
func scaleInput() *Input {
	r := rand.New(rand.NewPCG(1, 2))
	verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	resources := []string{"pods", "pods/log", "pods/exec", "secrets", "configmaps", "services", "deployments", "jobs", "*"}
	groups := []string{"", "apps", "batch", "*"}
	rule := func() rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: []string{verbs[r.IntN(len(verbs))], verbs[r.IntN(len(verbs))]},
			APIGroups: []string{groups[r.IntN(len(groups))]}, Resources: []string{resources[r.IntN(len(resources))], resources[r.IntN(len(resources))]}}
	}
	rules := func() []rbacv1.PolicyRule { return []rbacv1.PolicyRule{rule(), rule(), rule()} }
	subj := func(ns string) rbacv1.Subject {
		switch r.IntN(3) {
		case 0:
			return subject(rbacv1.UserKind, fmt.Sprintf("user-%d", r.IntN(2000)), "")
		case 1:
			return subject(rbacv1.GroupKind, fmt.Sprintf("team-%d", r.IntN(200)), "")
		}
		return subject(rbacv1.ServiceAccountKind, fmt.Sprintf("sa-%d", r.IntN(10)), ns)
	}
	in := clean()
	s := in.RBAC
	var namespaces []string
	for i := range 500 {
		s.ClusterRoles = append(s.ClusterRoles, rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-cr-%04d", i)}, Rules: rules()})
	}
	for i := range 1000 {
		ns := fmt.Sprintf("ns-%04d", r.IntN(500))
		s.ClusterRoleBindings = append(s.ClusterRoleBindings, crb(fmt.Sprintf("bench-crb-%04d", i), fmt.Sprintf("bench-cr-%04d", r.IntN(500)), nil, subj(ns), subj(ns)))
	}
	for n := range 500 {
		ns := fmt.Sprintf("ns-%04d", n)
		namespaces = append(namespaces, ns)
		for i := range 20 {
			s.Roles = append(s.Roles, rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("role-%02d", i), Namespace: ns}, Rules: rules()})
			kind, role := "Role", fmt.Sprintf("role-%02d", i)
			if r.IntN(4) == 0 {
				kind, role = "ClusterRole", fmt.Sprintf("bench-cr-%04d", r.IntN(500))
			}
			s.RoleBindings = append(s.RoleBindings, rb(ns, fmt.Sprintf("rb-%02d", i), kind, role, subj(ns), subj(ns)))
		}
	}
	var roles, users strings.Builder
	for i := range 200 {
		arn := fmt.Sprintf("arn:aws:iam::111122223333:role/bench-role-%04d", i)
		switch i % 5 {
		case 0:
			fmt.Fprintf(&roles, "- rolearn: %s\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n", arn)
		case 1, 2:
			fmt.Fprintf(&roles, "- rolearn: %s\n  username: team-%d:{{SessionName}}\n  groups:\n  - team-%d\n", arn, i%200, i%200)
		case 3:
			fmt.Fprintf(&roles, "- rolearn: %s\n  username: user-%d\n  groups:\n  - team-%d\n  - readers\n", arn, i*7%2000, i%200)
		default:
			g := fmt.Sprintf("team-%d", i%200)
			if i%50 == 4 {
				g = rbac.SuperuserGroup
			}
			fmt.Fprintf(&roles, "- rolearn: %s\n  username: admin:{{AccountID}}:{{SessionName}}\n  groups:\n  - %s\n", arn, g)
		}
	}
	for i := range 20 {
		fmt.Fprintf(&users, "- userarn: arn:aws:iam::111122223333:user/bench-user-%03d\n  username: user-%d\n  groups:\n  - team-%d\n", i, i*13%2000, i%200)
	}
	in.AWSAuth = &awsauth.Object{APIVersion: "v1", Kind: "ConfigMap", Namespace: "kube-system", Name: "aws-auth", Data: map[string]string{"mapRoles": roles.String(), "mapUsers": users.String()}}
	in.Access = nil
	in.Harden = &harden.Input{Namespaces: namespaces, RBAC: s, BootstrapBindings: map[string]bool{}, Owners: map[string]harden.Ref{}}
	in.PodIdentity = &podidentity.Input{AllNamespaces: true, Namespaces: namespaces}
	in.Endpoint, in.AWSInputs = nil, nil
	return in
}

// BenchmarkAuditScale is the audit engine alone (every check, once the snapshot is
// read) on the 22,000-object benchmark cluster.
func BenchmarkAuditScale(b *testing.B) {
	in := scaleInput()
	var n int
	for b.Loop() {
		n = len(Run(in, Options{}).Findings)
	}
	b.ReportMetric(float64(n), "findings")
}

// BenchmarkSARIFScale renders the findings of the benchmark cluster as SARIF.
func BenchmarkSARIFScale(b *testing.B) {
	r := v1alpha1.NewAuditReport()
	AddCluster(r, v1alpha1.AuditCluster{Context: "bench", Status: v1alpha1.AuditStatusAudited, Complete: true}, Run(scaleInput(), Options{}))
	Finish(r)
	var n int
	for b.Loop() {
		data, err := SARIF(r, "bench")
		if err != nil {
			b.Fatal(err)
		}
		n = len(data)
	}
	b.ReportMetric(float64(n)/1e6, "MB")
}
