package identity

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// PrincipalSubject is an IAM principal as the API server's authorizers see it: the identity
// it gets under the authentication mode (Resolve, as `access ARN` has it) and its EKS
// access policies, an authorizer beside RBAC. `can ARN` runs the RBAC engines (the
// matrix, explain, escalation) with it.
type PrincipalSubject struct {
	Resolved *Resolved
	// Identity is the username and groups (empty when not mapped: no request of it
	// is authenticated).
	Identity rbac.Identity
	// Policies decide requests by the principal's access policies; nil when it has
	// none (or is not mapped).
	Policies *PolicyAuthorizer
	// Warnings about the principal (Resolve's, unmodelled policies, the unknown mode).
	Warnings []v1alpha1.Warning
	// Findings about the cluster's IAM access configuration.
	Findings []v1alpha1.IAMFinding
}

// ResolveSubject resolves arn for the RBAC engines (`access ARN` and `can ARN` both
// start here). An ARN that is not a principal's is an error.
func ResolveSubject(src Sources, arn string) (*PrincipalSubject, error) {
	resolved, err := Resolve(src, arn)
	if err != nil {
		return nil, err
	}
	s := &PrincipalSubject{Resolved: resolved, Warnings: []v1alpha1.Warning{}, Findings: CreatorFindings(src)}
	if src.Mode() == "" {
		s.Warnings = append(s.Warnings, v1alpha1.Warning{Reason: "ModeUnknown", Message: "the cluster's authentication mode is unknown (access entries not read): aws-auth is taken as what counts"})
	}
	s.Warnings = append(s.Warnings, resolved.Warnings...)
	if resolved.Ambiguous {
		s.Warnings = append(s.Warnings, v1alpha1.Warning{Reason: "Ambiguous", Message: "aws-auth maps this ARN in several cases: the authenticator picks one at random"})
	}
	if resolved.Principal == nil {
		return s, nil
	}
	s.Identity = rbac.Identity{Username: resolved.Username, Groups: resolved.Groups}
	policies := eks.Policies()
	for _, ap := range resolved.Principal.AccessPolicies {
		if pol := policies[eks.PolicyName(ap.PolicyARN)]; !pol.Modelled {
			s.Warnings = append(s.Warnings, UnmodelledPolicyWarning(resolved.Principal.ARN, ap.PolicyARN, pol))
		}
	}
	if len(resolved.Principal.AccessPolicies) > 0 {
		s.Policies = &PolicyAuthorizer{principal: resolved.Principal}
	}
	return s, nil
}

// Extra is the principal's access policies as an rbac.Authorizer, nil for none.
func (s *PrincipalSubject) Extra() rbac.Authorizer {
	if s.Policies == nil {
		return nil
	}
	return s.Policies
}

// PolicyAuthorizer is EKS's authorizer for one principal: its access policies,
// each request decided by eks.Policy.Decide (through PolicyDecisions, as `access`
// and `who-can` decide). Access the EKS user guide does not document (undocumented
// namespace patterns, a namespace object under a namespace scope) is not counted.
type PolicyAuthorizer struct{ principal *Principal }

// Allows implements rbac.Authorizer.
func (p *PolicyAuthorizer) Allows(a *rbac.Attributes) (bool, string) {
	allowing, _ := policyDecisions(p.principal, a, false, true)
	if len(allowing) == 0 {
		return false, ""
	}
	return true, policySource(allowing[0])
}

func policySource(ap eks.AssociatedPolicy) string {
	return "access policy " + eks.PolicyName(ap.PolicyARN) + " (" + eks.ScopeString(ap.Scope) + ")"
}

// Namespaces implements rbac.Authorizer: the namespaces namespace-scoped associations
// of modelled policies cover: their exact names, and those of known that match a
// documented prefix pattern.
func (p *PolicyAuthorizer) Namespaces(known []string) []string {
	policies := eks.Policies()
	var out []string
	for _, ap := range p.principal.AccessPolicies {
		if ap.Scope.Type != eks.ScopeNamespace || !policies[eks.PolicyName(ap.PolicyARN)].Modelled {
			continue
		}
		unverified := eks.Unverified(ap.Scope)
		for _, pat := range ap.Scope.Namespaces {
			if !strings.Contains(pat, "*") && !slices.Contains(unverified, pat) {
				out = append(out, pat)
			}
		}
		for _, ns := range known {
			if eks.Covers(ap.Scope, ns, false) {
				out = append(out, ns)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Explain lists the associations that allow a, and those whose policy allows it but
// whose scope does not cover its namespace (near misses), with the warnings about
// associations that might allow it in a way AWS does not document.
func (p *PolicyAuthorizer) Explain(a *rbac.Attributes) (grants, nearMisses []v1alpha1.ExplainedGrant, warnings []v1alpha1.Warning) {
	allowing, warnings := policyDecisions(p.principal, a, false, true)
	policies := eks.Policies()
	for _, ap := range p.principal.AccessPolicies {
		pg := &v1alpha1.AccessPolicyGrant{PolicyARN: ap.PolicyARN, Scope: ap.Scope.Type, Namespaces: nonNil(ap.Scope.Namespaces)}
		if slices.ContainsFunc(allowing, func(x eks.AssociatedPolicy) bool {
			return x.PolicyARN == ap.PolicyARN && x.Scope.Type == ap.Scope.Type && slices.Equal(x.Scope.Namespaces, ap.Scope.Namespaces)
		}) {
			grants = append(grants, v1alpha1.ExplainedGrant{AccessPolicy: pg, Reason: policySource(ap) + " allows it"})
			continue
		}
		pol := policies[eks.PolicyName(ap.PolicyARN)]
		if pol.Modelled && rbac.FirstAllowingRule(a, pol.Rules) >= 0 {
			where := "cluster-level requests"
			if a.Namespace != "" {
				where = "namespace " + a.Namespace
			}
			nearMisses = append(nearMisses, v1alpha1.ExplainedGrant{AccessPolicy: pg, Miss: rbac.MissNamespace,
				Reason: fmt.Sprintf("%s would allow it, but its scope does not cover %s", policySource(ap), where)})
		}
	}
	return grants, nearMisses, warnings
}

// AWSAuthRoute is the escalation route aws-auth opens when the authentication mode
// reads it (CONFIG_MAP, API_AND_CONFIG_MAP, or unknown): whoever can write
// kube-system/aws-auth can map any IAM principal to system:masters. Without an
// aws-auth, creating it does the same. Nil in API mode.
func AWSAuthRoute(src Sources) []rbac.AdminObject {
	if src.Mode() == eks.ModeAPI {
		return nil
	}
	o := rbac.AdminObject{Route: "aws-auth", Resource: "configmaps", Namespace: awsauth.Namespace, Name: awsauth.Name,
		Verbs:     []string{"update", "patch"},
		LeadsTo:   "any IAM principal mapped to " + rbac.SuperuserGroup + " (cluster admin)",
		Condition: "an IAM principal it controls (any role or user of an account it can reach)"}
	if src.AWSAuth == nil {
		o.Verbs, o.Name = []string{"create"}, ""
	}
	return []rbac.AdminObject{o}
}
