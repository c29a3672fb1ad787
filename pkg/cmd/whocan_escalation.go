package cmd

import (
	"fmt"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/identity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// addEscalation adds to a who-can report the subjects that are not allowed the action
// but reach it through an escalation path (the engine of `can`), each with its
// shortest path and no grants. iam adds the aws-auth route (the mode and aws-auth are
// known then).
func addEscalation(r *v1alpha1.WhoCanReport, snap *source.Snapshot, ix *rbac.Index, q *rbac.Query, direct *rbac.Result, iam bool) {
	var opts rbac.EscalationOptions
	if iam {
		opts.AdminObjects = identity.AWSAuthRoute(identitySources(snap))
	}
	action := q.Verb + " " + whoCanTarget(r.Query)
	for _, x := range rbac.NewEscalator(snap.RBAC, ix, opts).Reaching(*q, direct.Subjects, action) {
		s := v1alpha1.NewSubject(x.Subject.Kind, x.Subject.Name, x.Subject.Namespace)
		p := escalationPath(x.Path, nil)
		s.Escalation = &p
		r.Subjects = append(r.Subjects, s)
	}
}

// whoCanTarget is the question's object in words: "pods in app", "nodes", "/healthz".
func whoCanTarget(q v1alpha1.WhoCanQuery) string {
	if q.Resource == nil {
		return q.NonResourceURL
	}
	s := resourceName(q.Resource.Group, q.Resource.Resource, q.Resource.Subresource)
	if q.Resource.Name != "" {
		s += " " + q.Resource.Name
	}
	switch q.Scope {
	case v1alpha1.ScopeNamespace:
		s += " in " + q.Namespace
	case v1alpha1.ScopeAllNamespaces:
		s += " in some namespace"
	}
	return s
}

// escalationCell is the SCOPE of a subject that reaches the action by escalation.
func escalationCell(p *v1alpha1.EscalationPath) string {
	cond := ""
	if p.Conditional {
		cond = ", conditional"
	}
	return fmt.Sprintf("by escalation (%s%s)", steps(len(p.Steps)), cond)
}

func steps(n int) string {
	if n == 1 {
		return "1 step"
	}
	return fmt.Sprintf("%d steps", n)
}
