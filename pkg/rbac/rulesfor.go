package rbac

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// RuleGrant is one rule an identity gets, and the binding and role it comes through.
type RuleGrant struct {
	Binding ObjectRef
	Role    ObjectRef
	// Namespace the rule applies in; "" for a ClusterRoleBinding (everywhere).
	Namespace string
	Rule      rbacv1.PolicyRule
}

// Identity is who a request is made as: a user name and groups.
type Identity struct {
	Username string
	Groups   []string
}

// Superuser reports whether the identity is in system:masters.
func (id Identity) Superuser() bool { return slices.Contains(id.Groups, SuperuserGroup) }

// matches returns the set of subject numbers that name the identity: its user name
// (as a User, or the ServiceAccount it is) and each of its groups.
func (ix *Index) matches(id Identity) map[int32]bool {
	want := map[Subject]bool{}
	if id.Username != "" {
		want[SubjectForUsername(id.Username)] = true
		if sa, ok := serviceAccountForm(id.Username); ok {
			want[sa] = true
		}
	}
	for _, g := range id.Groups {
		want[Subject{Kind: rbacv1.GroupKind, Name: g}] = true
	}
	out := map[int32]bool{}
	for i, s := range ix.subjects {
		if want[s] {
			out[int32(i)] = true
		}
	}
	return out
}

func (b *binding) names(ids map[int32]bool) bool {
	for _, s := range b.subjects {
		if ids[s.id] {
			return true
		}
	}
	return false
}

// RulesFor lists every rule RBAC gives the identity, as the authorizer collects them
// (VisitRulesFor): through ClusterRoleBindings everywhere, and through RoleBindings in
// namespace ns (every namespace with allNamespaces; none when ns is "" and not
// allNamespaces). Grants are sorted by namespace, binding, then rule order.
func (ix *Index) RulesFor(id Identity, ns string, allNamespaces bool) []RuleGrant {
	ids := ix.matches(id)
	var out []RuleGrant
	add := func(b *binding, r *role, namespace string) {
		for _, rule := range r.rules {
			out = append(out, RuleGrant{Binding: b.ref, Role: r.ref, Namespace: namespace, Rule: rule})
		}
	}
	inScope := func(namespace string) bool { return allNamespaces || (ns != "" && namespace == ns) }
	for _, r := range ix.clusterRoles {
		for _, b := range r.crbs {
			if b.names(ids) {
				add(b, r, "")
			}
		}
		for _, nb := range r.rbList {
			if inScope(nb.namespace) {
				for _, b := range nb.bindings {
					if b.names(ids) {
						add(b, r, nb.namespace)
					}
				}
			}
		}
	}
	for _, namespace := range ix.roleNamespaces {
		if !inScope(namespace) {
			continue
		}
		for _, r := range ix.roles[namespace] {
			for _, b := range r.rbList[0].bindings {
				if b.names(ids) {
					add(b, r, namespace)
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b RuleGrant) int {
		return compareGrants(Grant{Binding: a.Binding, Namespace: a.Namespace}, Grant{Binding: b.Binding, Namespace: b.Namespace})
	})
	return out
}

// Allows reports whether RBAC allows the identity the request a, and the first grant
// that does. The superuser group is allowed everything (grant nil).
func (ix *Index) Allows(id Identity, a Attributes) (bool, *RuleGrant) {
	if id.Superuser() {
		return true, nil
	}
	for _, g := range ix.RulesFor(id, a.Namespace, false) {
		if RuleAllows(&a, &g.Rule) {
			return true, &g
		}
	}
	return false, nil
}

// ClusterAdmins are the subjects allowed every verb on every resource of every group,
// cluster-wide (through ClusterRoleBindings), and system:masters.
type ClusterAdmins map[Subject]bool

// ClusterAdmins finds them once; Is then answers for any identity.
func (ix *Index) ClusterAdmins() ClusterAdmins {
	admins := ClusterAdmins{}
	for _, s := range ix.WhoCan(Query{Attributes: Attributes{Verb: "*", APIGroup: "*", Resource: "*"}}).Subjects {
		if s.ClusterWide() {
			admins[s.Subject] = true
		}
	}
	return admins
}

// Is reports whether an identity with username and groups (system:authenticated is
// added) is a cluster admin. A username template ({{SessionName}}...) names no fixed
// user, so only its groups count.
func (a ClusterAdmins) Is(username string, groups []string) bool {
	if username != "" && !strings.Contains(username, "{{") && a[SubjectForUsername(username)] {
		return true
	}
	if a[Subject{Kind: "Group", Name: AuthenticatedGroup}] {
		return true
	}
	return slices.ContainsFunc(groups, func(g string) bool { return a[Subject{Kind: "Group", Name: g}] })
}
