package rbac

import (
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Access of a matrix cell.
const (
	// AccessAll: the request is allowed whatever the object's name (and without one).
	AccessAll = "all"
	// AccessSomeNames: only rules limited to resourceNames match: the request is
	// allowed for those names only, and never without a name.
	AccessSomeNames = "some-names"
	// AccessNone: no name is allowed.
	AccessNone = "none"
)

// MatrixRow is one resource type of a matrix (a subresource when Subresource is set)
// and the verbs asked about it.
type MatrixRow struct {
	Group       string
	Resource    string
	Subresource string
	// Namespaced rows are asked in a namespace; the others at cluster scope.
	Namespaced bool
	Verbs      []string
}

// StandardVerbs are the verbs every resource type is asked about, kubectl's, in its
// order.
func StandardVerbs() []string {
	return []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
}

// ResourceType is a resource type a cluster serves, or that only RBAC knows, with its
// subresources.
type ResourceType struct {
	Group, Resource string
	Namespaced      bool
	// RBACOnly: users, groups, uids, userextras (impersonated), signers (approved).
	RBACOnly     bool
	Subresources []SubresourceType
}

// SubresourceType is a subresource and the verbs discovery lists for it.
type SubresourceType struct {
	Name  string
	Verbs []string
}

// MatrixRows are the rows of a matrix over types: each type with the standard verbs
// and the special verbs the API server checks on it (impersonate on serviceaccounts;
// bind and escalate on roles and clusterroles; only impersonate on users, groups,
// uids and userextras; only approve, sign and attest on signers), then each
// subresource with its verbs.
func MatrixRows(types []ResourceType) []MatrixRow {
	var rows []MatrixRow
	for _, t := range types {
		verbs := StandardVerbs()
		switch {
		case t.Group == "" && (t.Resource == "users" || t.Resource == "groups"),
			t.Group == "authentication.k8s.io" && (t.Resource == "uids" || t.Resource == "userextras"):
			verbs = []string{"impersonate"}
		case t.Group == "certificates.k8s.io" && t.Resource == "signers":
			verbs = []string{"approve", "sign", "attest"}
		case t.Group == "" && t.Resource == "serviceaccounts":
			verbs = append(verbs, "impersonate")
		case t.Group == rbacv1.GroupName && (t.Resource == "roles" || t.Resource == "clusterroles"):
			verbs = append(verbs, "bind", "escalate")
		}
		rows = append(rows, MatrixRow{Group: t.Group, Resource: t.Resource, Namespaced: t.Namespaced, Verbs: verbs})
		for _, sub := range t.Subresources {
			rows = append(rows, MatrixRow{Group: t.Group, Resource: t.Resource, Subresource: sub.Name, Namespaced: t.Namespaced, Verbs: sub.Verbs})
		}
	}
	return rows
}

// Authorizer is an authorizer the API server consults beside RBAC for one identity:
// EKS access policies for an IAM principal. Implementations are pure.
type Authorizer interface {
	// Allows reports whether the request is allowed, with a.Namespace as asked ("" at
	// cluster level), and what allows it.
	Allows(a *Attributes) (bool, string)
	// Namespaces lists those of known (and any others it names exactly) where it may
	// allow more than at cluster level, sorted.
	Namespaces(known []string) []string
}

// MatrixQuery asks for the access matrix of one identity.
type MatrixQuery struct {
	Identity Identity
	Rows     []MatrixRow
	// Namespace whose namespaced cells are asked; with AllNamespaces, the namespaced
	// cells are asked at cluster level ("in every namespace") and again in each
	// namespace where RoleBindings (or Extra) give more.
	Namespace     string
	AllNamespaces bool
	// Extra is consulted beside RBAC, nil for none.
	Extra Authorizer
}

// Cell is the access of one identity to one verb on one resource type in one
// namespace ("" at cluster level), exactly as the API server's RBAC authorizer (and
// Extra) would answer a request for it without a name (AccessAll) and with each name.
type Cell struct {
	Namespace   string
	Group       string
	Resource    string
	Subresource string
	Verb        string
	Access      string
	// Names are the names allowed, sorted, with AccessSomeNames.
	Names []string
}

// Matrix is the answer to a MatrixQuery.
type Matrix struct {
	// Namespaces that have cells of their own: with a Namespace, that one; with
	// AllNamespaces, those where RoleBindings or Extra give more than at cluster level,
	// sorted. In any other namespace every namespaced cell is the cluster-level one.
	Namespaces []string
	// Cells: first the cluster-level ones (namespaced rows too with AllNamespaces),
	// then each namespace's, rows and verbs in the order asked. With AllNamespaces a
	// namespace lists only the cells where it gives more than the cluster level.
	Cells []Cell
}

// cellState accumulates what the rules say of a cell.
type cellState struct {
	all   bool
	names []string
}

// Matrix evaluates every cell of q. Rules are matched row by row (the group and
// resource once per row, then the verbs), so that a full matrix over hundreds of
// namespaces costs a few times the rules of the identity.
func (ix *Index) Matrix(q MatrixQuery) Matrix {
	m := Matrix{Namespaces: []string{}, Cells: []Cell{}}
	width := 0
	offsets := make([]int, len(q.Rows))
	for i, r := range q.Rows {
		offsets[i] = width
		width += len(r.Verbs)
	}
	superuser := q.Identity.Superuser()
	var grants []RuleGrant
	if !superuser {
		grants = ix.RulesFor(q.Identity, q.Namespace, q.AllNamespaces)
	}
	var clusterRules []*rbacv1.PolicyRule
	nsRules := map[string][]*rbacv1.PolicyRule{}
	for i := range grants {
		if ns := grants[i].Namespace; ns == "" {
			clusterRules = append(clusterRules, &grants[i].Rule)
		} else {
			nsRules[ns] = append(nsRules[ns], &grants[i].Rule)
		}
	}
	all := func(*MatrixRow) bool { return true }
	namespaced := func(r *MatrixRow) bool { return r.Namespaced }

	cluster := make([]cellState, width)
	if superuser {
		for i := range cluster {
			cluster[i].all = true
		}
	}
	fillCells(cluster, q.Rows, offsets, clusterRules, all)

	// cell is the answer for state s of row ri, verb vi in namespace ns.
	cell := func(ns string, ri, vi int, s *cellState) Cell {
		row := &q.Rows[ri]
		c := Cell{Namespace: ns, Group: row.Group, Resource: row.Resource, Subresource: row.Subresource, Verb: row.Verbs[vi]}
		allowed := s.all
		if !allowed && q.Extra != nil {
			a := Attributes{Verb: c.Verb, APIGroup: c.Group, Resource: c.Resource, Subresource: c.Subresource, Namespace: ns}
			allowed, _ = q.Extra.Allows(&a)
		}
		switch {
		case allowed:
			c.Access = AccessAll
		case len(s.names) > 0:
			c.Access = AccessSomeNames
			c.Names = slices.Compact(slices.Sorted(slices.Values(s.names)))
		default:
			c.Access = AccessNone
		}
		return c
	}
	// emit appends the cells of the rows rowOK accepts that keep keeps, and counts them.
	emit := func(ns string, st []cellState, rowOK func(*MatrixRow) bool, keep func(i int, c *Cell) bool) int {
		n := 0
		for ri := range q.Rows {
			if !rowOK(&q.Rows[ri]) {
				continue
			}
			for vi := range q.Rows[ri].Verbs {
				i := offsets[ri] + vi
				c := cell(ns, ri, vi, &st[i])
				if keep == nil || keep(i, &c) {
					m.Cells = append(m.Cells, c)
					n++
				}
			}
		}
		return n
	}

	if !q.AllNamespaces {
		emit("", cluster, func(r *MatrixRow) bool { return !r.Namespaced }, nil)
		if q.Namespace != "" {
			m.Namespaces = append(m.Namespaces, q.Namespace)
			st := slices.Clone(cluster)
			fillCells(st, q.Rows, offsets, nsRules[q.Namespace], namespaced)
			emit(q.Namespace, st, namespaced, nil)
		}
		return m
	}

	// Every row at cluster level, then what each namespace adds.
	base := make([]Cell, width)
	emit("", cluster, all, func(i int, c *Cell) bool {
		base[i] = *c
		return true
	})
	if superuser {
		return m
	}
	namespaces := make([]string, 0, len(nsRules))
	for ns := range nsRules {
		namespaces = append(namespaces, ns)
	}
	if q.Extra != nil {
		namespaces = append(namespaces, q.Extra.Namespaces(ix.Namespaces())...)
	}
	slices.Sort(namespaces)
	for _, ns := range slices.Compact(namespaces) {
		st := slices.Clone(cluster)
		fillCells(st, q.Rows, offsets, nsRules[ns], namespaced)
		more := emit(ns, st, namespaced, func(i int, c *Cell) bool {
			return c.Access != base[i].Access || !slices.Equal(c.Names, base[i].Names)
		})
		if more > 0 {
			m.Namespaces = append(m.Namespaces, ns)
		}
	}
	return m
}

// fillCells applies rules to the cells of the rows rowOK accepts: a rule without
// resourceNames that matches a cell allows it (as RuleAllows does for a request
// without a name); a rule with resourceNames adds its names.
func fillCells(st []cellState, rows []MatrixRow, offsets []int, rules []*rbacv1.PolicyRule, rowOK func(*MatrixRow) bool) {
	for _, rule := range rules {
		if len(rule.Resources) == 0 {
			continue // a non-resource rule
		}
		for ri := range rows {
			row := &rows[ri]
			if !rowOK(row) || !apiGroupMatches(rule, row.Group) || !resourceMatches(rule, row.Resource, row.Subresource) {
				continue
			}
			for vi, verb := range row.Verbs {
				if !verbMatches(rule, verb) {
					continue
				}
				s := &st[offsets[ri]+vi]
				if len(rule.ResourceNames) == 0 {
					s.all = true
				} else if !s.all {
					// Never append in place: states are cloned per namespace.
					s.names = append(s.names[:len(s.names):len(s.names)], rule.ResourceNames...)
				}
			}
		}
	}
}

// Namespaces lists every namespace the snapshot names: of Roles, of RoleBindings, of
// ServiceAccount subjects and of system:serviceaccounts:NS groups, sorted.
func (ix *Index) Namespaces() []string {
	seen := map[string]bool{}
	for _, ns := range ix.roleNamespaces {
		seen[ns] = true
	}
	for _, r := range ix.clusterRoles {
		for _, nb := range r.rbList {
			seen[nb.namespace] = true
		}
	}
	for _, s := range ix.subjects {
		switch {
		case s.Kind == rbacv1.ServiceAccountKind:
			seen[s.Namespace] = true
		case s.Kind == rbacv1.GroupKind && len(s.Name) > len(serviceAccountsPrefix) && s.Name[:len(serviceAccountsPrefix)] == serviceAccountsPrefix:
			seen[s.Name[len(serviceAccountsPrefix):]] = true
		}
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		out = append(out, ns)
	}
	slices.Sort(out)
	return out
}
