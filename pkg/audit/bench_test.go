package audit

import (
	"testing"

	"github.com/kubectl-eksiam/kubectl-eksiam/internal/benchpolicy"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/harden"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
)

// scaleInput is the cluster hack/bench-scale seeds (500 namespaces × (20 Roles + 20
// RoleBindings), 500 ClusterRoles, 1,000 ClusterRoleBindings, aws-auth with 200
// mapRoles and 20 mapUsers: 22,000 objects), generated the same way, in memory.
func scaleInput() *Input {
	p := benchpolicy.Generate(benchpolicy.Default)
	in := clean()
	s := in.RBAC
	s.ClusterRoles = append(s.ClusterRoles, p.ClusterRoles...)
	s.ClusterRoleBindings = append(s.ClusterRoleBindings, p.ClusterRoleBindings...)
	s.Roles = append(s.Roles, p.Roles...)
	s.RoleBindings = append(s.RoleBindings, p.RoleBindings...)
	namespaces := p.Namespaces
	in.AWSAuth = &awsauth.Object{APIVersion: "v1", Kind: "ConfigMap", Namespace: "kube-system", Name: "aws-auth", Data: p.AWSAuth}
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
