package identity

import (
	"fmt"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// AccessQuery is what `kubectl eksiam access ARN` asks about one IAM principal.
type AccessQuery struct {
	ARN string
	// Namespace whose rules are listed, or AllNamespaces.
	Namespace     string
	AllNamespaces bool
	// Request, when set, is a yes/no question (Attributes resolved by the caller),
	// described in words by Description ("delete pods in app").
	Request     *rbac.Attributes
	Description string
}

// Access answers an AccessQuery: the identity the principal gets under the
// authentication mode, the RBAC rules and EKS access-policy rules it reaches, and,
// for a Request, whether it is allowed and by what. An ARN that is not a principal's
// is an error.
func Access(src Sources, ix *rbac.Index, q AccessQuery) (*v1alpha1.AccessReport, error) {
	subject, err := ResolveSubject(src, q.ARN)
	if err != nil {
		return nil, err
	}
	resolved := subject.Resolved
	r := v1alpha1.NewAccessReport()
	r.ARN, r.CanonicalARN, r.AuthenticationMode, r.Groups = q.ARN, resolved.CanonicalARN, src.Mode(), resolved.Groups
	r.ClusterCreator = resolved.ClusterCreator
	r.Findings = append(r.Findings, subject.Findings...)
	r.Warnings = append(r.Warnings, subject.Warnings...)
	for i := range resolved.Others {
		r.Others = append(r.Others, PrincipalReport(&resolved.Others[i]))
	}
	id := rbac.Identity{Username: resolved.Username, Groups: resolved.Groups}
	if resolved.Principal != nil {
		r.Mapped = true
		pr := PrincipalReport(resolved.Principal)
		r.Principal = &pr
		r.Username = resolved.Username
		r.Superuser = id.Superuser()
		for _, g := range ix.RulesFor(id, q.Namespace, q.AllNamespaces) {
			r.RBACRules = append(r.RBACRules, v1alpha1.AccessRule{Source: g.Binding.String() + " -> " + g.Role.String(), Namespace: g.Namespace, Rule: g.Rule})
		}
		policies := eks.Policies()
		for _, ap := range resolved.Principal.AccessPolicies {
			pol := policies[eks.PolicyName(ap.PolicyARN)]
			if !pol.Modelled {
				continue // ResolveSubject warned
			}
			if !eks.Covers(ap.Scope, q.Namespace, q.AllNamespaces) {
				continue
			}
			ns := "" // cluster scope: every namespace
			if ap.Scope.Type == eks.ScopeNamespace {
				ns = q.Namespace
				if q.AllNamespaces {
					ns = strings.Join(ap.Scope.Namespaces, ",")
				}
			}
			for _, rule := range pol.Rules {
				r.PolicyRules = append(r.PolicyRules, v1alpha1.AccessRule{Source: pol.Name + " (" + eks.ScopeString(ap.Scope) + ")", Namespace: ns, Rule: rule})
			}
		}
	}
	if q.Request != nil {
		var warnings []v1alpha1.Warning
		r.Decision, warnings = decide(ix, id, resolved, q.Request, q.Description)
		r.Warnings = append(r.Warnings, warnings...)
	}
	return r, nil
}

// decide answers one request: RBAC (as the resolved identity), else an access policy
// (with warnings for associations that might allow it in a way AWS does not document).
func decide(ix *rbac.Index, id rbac.Identity, resolved *Resolved, a *rbac.Attributes, description string) (*v1alpha1.AccessDecision, []v1alpha1.Warning) {
	d := &v1alpha1.AccessDecision{Verb: a.Verb, Request: description}
	switch {
	case resolved.Principal == nil:
		d.Reason = resolved.NotMappedReason()
		return d, nil
	case id.Superuser():
		d.Allowed, d.Reason = true, "group system:masters: the API server allows everything"
		return d, nil
	}
	if ok, g := ix.Allows(id, *a); ok {
		d.Allowed, d.Reason = true, fmt.Sprintf("RBAC: %s grants %s", g.Binding, g.Role)
		return d, nil
	}
	allowing, warnings := resolved.DecidePolicies(a)
	if len(allowing) > 0 {
		d.Allowed, d.Reason = true, fmt.Sprintf("EKS access policy %s (%s)", eks.PolicyName(allowing[0].PolicyARN), eks.ScopeString(allowing[0].Scope))
		return d, warnings
	}
	d.Reason = "no RBAC rule and no access policy allows it"
	return d, warnings
}

// PrincipalReport is the report entry of a principal with all its access policies.
func PrincipalReport(p *Principal) v1alpha1.IAMPrincipal {
	ip := principalEntry(p)
	for _, ap := range p.AccessPolicies {
		ip.ViaAccessPolicies = append(ip.ViaAccessPolicies, v1alpha1.AccessPolicyGrant{PolicyARN: ap.PolicyARN, Scope: ap.Scope.Type, Namespaces: nonNil(ap.Scope.Namespaces)})
	}
	return ip
}
