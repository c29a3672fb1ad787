package rbac_test

import (
	"testing"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/resources"
)

// builtinRows are the rows `can` asks offline: every type of the built-in table with
// its subresources, and the types only RBAC knows.
func builtinRows(tb testing.TB) []rbac.MatrixRow {
	d, err := resources.Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	subs, err := resources.BuiltinSubresources()
	if err != nil {
		tb.Fatal(err)
	}
	var types []rbac.ResourceType
	for _, s := range resources.WithRBACOnly(d.Served(subs)) {
		t := rbac.ResourceType{Group: s.Group, Resource: s.Resource, Namespaced: s.Namespaced, RBACOnly: s.RBACOnly}
		for _, sub := range s.Subresources {
			t.Subresources = append(t.Subresources, rbac.SubresourceType{Name: sub.Name, Verbs: sub.Verbs})
		}
		types = append(types, t)
	}
	return rbac.MatrixRows(types)
}

// The subjects measured: a user in a group and system:authenticated (bound in many
// namespaces), and a service account (its three implicit groups).
var benchSubjects = []struct {
	name    string
	subject rbac.Subject
	groups  []string
}{
	{"user", rbac.Subject{Kind: "User", Name: "user-17"}, []string{"group-3"}},
	{"serviceaccount", rbac.Subject{Kind: "ServiceAccount", Namespace: "ns-7", Name: "sa-3"}, nil},
}

// BenchmarkCanMatrix is a full -A matrix for one subject on the 20,000-binding
// snapshot, once the snapshot is loaded and indexed.
func BenchmarkCanMatrix(b *testing.B) {
	snap := rbac.BenchSnapshot(1, 10_000, 20_000)
	ix := rbac.NewIndex(snap)
	rows := builtinRows(b)
	for _, s := range benchSubjects {
		id := rbac.IdentityOf(s.subject)
		id.Groups = append(id.Groups, s.groups...)
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			var m rbac.Matrix
			for b.Loop() {
				m = ix.Matrix(rbac.MatrixQuery{Identity: id, Rows: rows, AllNamespaces: true})
			}
			b.ReportMetric(float64(len(rows)), "rows")
			b.ReportMetric(float64(len(m.Namespaces)), "namespaces")
			b.ReportMetric(float64(len(m.Cells)), "cells")
		})
	}
}

// BenchmarkCanEscalation is `can`'s escalation paths for one subject, the escalator
// built each time (as a run builds it once).
func BenchmarkCanEscalation(b *testing.B) {
	snap := rbac.BenchSnapshot(1, 10_000, 20_000)
	ix := rbac.NewIndex(snap)
	for _, s := range benchSubjects {
		id := rbac.IdentityOf(s.subject)
		id.Groups = append(id.Groups, s.groups...)
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			var res rbac.EscalationResult
			for b.Loop() {
				res = rbac.NewEscalator(snap, ix, rbac.EscalationOptions{}).From(s.subject, id, nil)
			}
			b.ReportMetric(float64(len(res.Paths)), "paths")
		})
	}
}

// BenchmarkWhoCanEscalation is `who-can --escalation`: the direct answer, then every
// subject's escalation paths to the action, on the same snapshot.
func BenchmarkWhoCanEscalation(b *testing.B) {
	snap := rbac.BenchSnapshot(1, 10_000, 20_000)
	ix := rbac.NewIndex(snap)
	for _, q := range []struct {
		name string
		q    rbac.Query
	}{
		{"all-namespaces/get-secrets", rbac.Query{Attributes: rbac.Attributes{Verb: "get", Resource: "secrets"}, AllNamespaces: true}},
		{"cluster/delete-nodes", rbac.Query{Attributes: rbac.Attributes{Verb: "delete", Resource: "nodes"}}},
		// Questions system:authenticated is not allowed directly: thousands reach them.
		{"namespace/create-pods-exec", rbac.Query{Attributes: rbac.Attributes{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "ns-7"}}},
		{"cluster/escalate-clusterroles", rbac.Query{Attributes: rbac.Attributes{Verb: "escalate", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles"}}},
	} {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			var reached []rbac.Reached
			var direct rbac.Result
			for b.Loop() {
				direct = ix.WhoCan(q.q)
				reached = rbac.NewEscalator(snap, ix, rbac.EscalationOptions{}).Reaching(q.q, direct.Subjects, q.name)
			}
			b.ReportMetric(float64(len(direct.Subjects)), "direct")
			b.ReportMetric(float64(len(reached)), "escalation")
		})
	}
}
