package rbac

import "slices"

// Why a rule that names the identity does not allow a request.
const (
	// MissNamespace: the rule allows the request, but through a RoleBinding in
	// another namespace (or a cluster-level request that only a ClusterRoleBinding
	// can grant).
	MissNamespace = "namespace"
	// MissName: the rule applies where the request is made, but is limited to
	// resourceNames that do not include the request's name (or the request has none).
	MissName = "name"
)

// NearMiss is a rule the identity gets that allows all of a request but its
// namespace or its name.
type NearMiss struct {
	RuleGrant
	Miss string
}

// Explanation says why RBAC allows a request for an identity, or why not.
type Explanation struct {
	Allowed bool
	// Superuser: the identity is in system:masters, allowed before RBAC is asked.
	Superuser bool
	// Grants are every rule that allows the request, with the binding and role that
	// give it, in RulesFor order.
	Grants []RuleGrant
	// NearMisses are the rules that allow all of it but the namespace or the name.
	NearMisses []NearMiss
}

// Explain lists every binding -> role -> rule that allows a for id, and the ones that
// nearly do. A rule that misses both the namespace and the name is not a near miss.
func (ix *Index) Explain(id Identity, a Attributes) Explanation {
	e := Explanation{Superuser: id.Superuser(), Grants: []RuleGrant{}, NearMisses: []NearMiss{}}
	for _, g := range ix.RulesFor(id, "", true) {
		// A RoleBinding applies only to requests in its namespace: never to
		// cluster-level requests, non-resource URLs included.
		inScope := g.Namespace == "" || (a.IsResourceRequest() && g.Namespace == a.Namespace)
		switch {
		case RuleAllows(&a, &g.Rule) && inScope:
			e.Grants = append(e.Grants, g)
		case RuleAllows(&a, &g.Rule):
			e.NearMisses = append(e.NearMisses, NearMiss{RuleGrant: g, Miss: MissNamespace})
		case inScope && a.IsResourceRequest() && len(g.Rule.ResourceNames) > 0 && !slices.Contains(g.Rule.ResourceNames, a.Name) &&
			verbMatches(&g.Rule, a.Verb) && apiGroupMatches(&g.Rule, a.APIGroup) && resourceMatches(&g.Rule, a.Resource, a.Subresource):
			e.NearMisses = append(e.NearMisses, NearMiss{RuleGrant: g, Miss: MissName})
		}
	}
	e.Allowed = e.Superuser || len(e.Grants) > 0
	return e
}
