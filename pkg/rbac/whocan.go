package rbac

import (
	"cmp"
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Snapshot is the set of RBAC objects an answer is computed from.
type Snapshot struct {
	ClusterRoles        []rbacv1.ClusterRole
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
	Roles               []rbacv1.Role
	RoleBindings        []rbacv1.RoleBinding
}

// ObjectRef names an RBAC object. Namespace is empty for cluster-scoped kinds.
type ObjectRef struct {
	Kind      string
	Namespace string
	Name      string
}

func (r ObjectRef) String() string {
	if r.Namespace != "" {
		return r.Kind + "/" + r.Namespace + "/" + r.Name
	}
	return r.Kind + "/" + r.Name
}

// Query is a who-can question: the request, and whether any namespace will do.
type Query struct {
	Attributes
	// AllNamespaces asks whether the request is allowed cluster-wide or in at least
	// one namespace; Attributes.Namespace is then ignored. For cluster-scoped resources
	// and non-resource URLs leave it false and Namespace empty.
	AllNamespaces bool
}

// ClusterLevel reports whether only ClusterRoleBindings can grant the request: a
// non-resource URL, or a resource request without a namespace and not AllNamespaces.
func (q *Query) ClusterLevel() bool {
	return !q.IsResourceRequest() || (q.Namespace == "" && !q.AllNamespaces)
}

// Result answers a Query.
type Result struct {
	// Subjects allowed to make the request, sorted by kind, namespace and name.
	Subjects []SubjectAccess
	// Warnings about objects in scope that affect the answer, in a stable order.
	Warnings []Warning
}

// SubjectAccess is one subject allowed to make the request, and why.
type SubjectAccess struct {
	Subject Subject
	// Superuser is set for the group system:masters, which the API server allows
	// everything before RBAC is consulted.
	Superuser bool
	// Grants are the RBAC bindings that allow the request, sorted.
	Grants []Grant
}

// ClusterWide reports whether the subject is allowed in every namespace.
func (s *SubjectAccess) ClusterWide() bool {
	if s.Superuser {
		return true
	}
	for i := range s.Grants {
		if s.Grants[i].Namespace == "" {
			return true
		}
	}
	return false
}

// Namespaces returns the namespaces in which RoleBindings allow the request, sorted.
func (s *SubjectAccess) Namespaces() []string {
	var out []string
	for i := range s.Grants {
		if ns := s.Grants[i].Namespace; ns != "" && !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	slices.Sort(out)
	return out
}

// Grant is one binding that allows the request for a subject.
type Grant struct {
	Binding ObjectRef
	Role    ObjectRef
	// Namespace the grant applies in; "" means cluster-wide (a ClusterRoleBinding).
	Namespace string
	// Rule is the first rule of the role that allows the request. It points into the
	// Snapshot the Index was built from.
	Rule *rbacv1.PolicyRule
	// BoundAs is the subject as the binding writes it, when that differs from the
	// identity it names: a User subject naming a service account, or a ServiceAccount
	// subject whose namespace defaults to the RoleBinding's.
	BoundAs *rbacv1.Subject
}

// Warning reasons.
const (
	ReasonRoleNotFound         = "RoleNotFound"
	ReasonUnsupportedRoleRef   = "UnsupportedRoleRef"
	ReasonAggregationNotFilled = "AggregationRuleWithoutRules"
	ReasonInvalidSubject       = "InvalidSubject"
)

// Warning is something about the objects in scope that a reader of the answer should
// know: a binding that grants nothing, or a subject nobody can match.
type Warning struct {
	Reason  string
	Message string
	Object  ObjectRef
	// namespace is where the warning matters: "" for cluster-scoped objects.
	namespace string
}

type boundSubject struct {
	id      int32 // index into Index.subjects
	boundAs *rbacv1.Subject
}

type binding struct {
	ref      ObjectRef
	subjects []boundSubject
}

type role struct {
	ref   ObjectRef
	rules []rbacv1.PolicyRule
	// ClusterRoleBindings to this ClusterRole.
	crbs []*binding
	// RoleBindings to this role by namespace, and their namespaces sorted.
	rbs          map[string][]*binding
	rbNamespaces []string
	// aggregationUnfilled marks a ClusterRole with an aggregationRule but no rules.
	aggregationUnfilled bool
}

// Index is a Snapshot prepared for many queries: roles resolved, bindings grouped by
// the role they grant, subjects resolved to identities. It is safe for concurrent use.
type Index struct {
	// subjects are every identity some binding names, sorted with CompareSubjects, so
	// that a query collects subjects by index and needs no sorting or hashing.
	subjects       []Subject
	superuser      int32              // index of system:masters in subjects
	clusterRoles   []*role            // ClusterRoles some binding refers to, by name
	roles          map[string][]*role // Roles some RoleBinding refers to, by namespace
	roleNamespaces []string           // keys of roles, sorted
	warnings       []Warning          // all static warnings, sorted
}

// NewIndex prepares s for queries. It does not modify s.
func NewIndex(s *Snapshot) *Index {
	clusterRoles := make(map[string]*role, len(s.ClusterRoles))
	for i := range s.ClusterRoles {
		cr := &s.ClusterRoles[i]
		clusterRoles[cr.Name] = &role{
			ref:                 ObjectRef{Kind: "ClusterRole", Name: cr.Name},
			rules:               cr.Rules,
			aggregationUnfilled: cr.AggregationRule != nil && len(cr.Rules) == 0,
		}
	}
	type nsName struct{ ns, name string }
	roles := make(map[nsName]*role, len(s.Roles))
	for i := range s.Roles {
		r := &s.Roles[i]
		roles[nsName{r.Namespace, r.Name}] = &role{
			ref:   ObjectRef{Kind: "Role", Namespace: r.Namespace, Name: r.Name},
			rules: r.Rules,
		}
	}

	ix := &Index{roles: map[string][]*role{}}
	used := map[*role]bool{}
	ids := map[Subject]int32{}
	var bindings []*binding
	intern := func(s Subject) int32 {
		id, ok := ids[s]
		if !ok {
			id = int32(len(ix.subjects))
			ids[s] = id
			ix.subjects = append(ix.subjects, s)
		}
		return id
	}
	warn := func(w Warning) { ix.warnings = append(ix.warnings, w) }
	newBinding := func(ref ObjectRef, subjects []rbacv1.Subject) *binding {
		b := &binding{ref: ref}
		for i := range subjects {
			s := &subjects[i]
			id, reason, ok := identityOf(*s, ref.Namespace)
			if !ok {
				warn(Warning{Reason: ReasonInvalidSubject, Object: ref, namespace: ref.Namespace,
					Message: fmt.Sprintf("%s: subject %d %s and matches nobody", ref, i, reason)})
				continue
			}
			bs := boundSubject{id: intern(id)}
			if s.Kind != id.Kind || (s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "") {
				bs.boundAs = s
			}
			b.subjects = append(b.subjects, bs)
		}
		bindings = append(bindings, b)
		return b
	}
	dangling := func(ref ObjectRef, roleRef rbacv1.RoleRef, roleNS string) {
		w := Warning{Reason: ReasonRoleNotFound, Object: ref, namespace: ref.Namespace}
		switch roleRef.Kind {
		case "ClusterRole", "Role":
			target := ObjectRef{Kind: roleRef.Kind, Namespace: roleNS, Name: roleRef.Name}
			w.Message = fmt.Sprintf("%s refers to %s, which does not exist: it grants nothing", ref, target)
		default:
			w.Reason = ReasonUnsupportedRoleRef
			w.Message = fmt.Sprintf("%s refers to a role of unsupported kind %q: it grants nothing", ref, roleRef.Kind)
		}
		warn(w)
	}

	for i := range s.ClusterRoleBindings {
		crb := &s.ClusterRoleBindings[i]
		ref := ObjectRef{Kind: "ClusterRoleBinding", Name: crb.Name}
		r := clusterRoles[crb.RoleRef.Name]
		if crb.RoleRef.Kind != "ClusterRole" || r == nil {
			// The authorizer looks a Role up in namespace "" for a ClusterRoleBinding,
			// which never finds one.
			dangling(ref, crb.RoleRef, "")
			continue
		}
		r.crbs = append(r.crbs, newBinding(ref, crb.Subjects))
		used[r] = true
	}
	for i := range s.RoleBindings {
		rb := &s.RoleBindings[i]
		ref := ObjectRef{Kind: "RoleBinding", Namespace: rb.Namespace, Name: rb.Name}
		var r *role
		switch rb.RoleRef.Kind {
		case "ClusterRole":
			r = clusterRoles[rb.RoleRef.Name]
		case "Role":
			r = roles[nsName{rb.Namespace, rb.RoleRef.Name}]
		}
		if r == nil {
			roleNS := rb.Namespace
			if rb.RoleRef.Kind == "ClusterRole" {
				roleNS = ""
			}
			dangling(ref, rb.RoleRef, roleNS)
			continue
		}
		if r.rbs == nil {
			r.rbs = map[string][]*binding{}
		}
		if _, seen := r.rbs[rb.Namespace]; !seen {
			r.rbNamespaces = append(r.rbNamespaces, rb.Namespace)
		}
		r.rbs[rb.Namespace] = append(r.rbs[rb.Namespace], newBinding(ref, rb.Subjects))
		used[r] = true
	}

	for _, r := range clusterRoles {
		if !used[r] {
			continue
		}
		slices.Sort(r.rbNamespaces)
		ix.clusterRoles = append(ix.clusterRoles, r)
	}
	slices.SortFunc(ix.clusterRoles, func(a, b *role) int { return cmp.Compare(a.ref.Name, b.ref.Name) })
	for _, r := range roles {
		if used[r] {
			ix.roles[r.ref.Namespace] = append(ix.roles[r.ref.Namespace], r)
		}
	}
	for ns, rs := range ix.roles {
		slices.SortFunc(rs, func(a, b *role) int { return cmp.Compare(a.ref.Name, b.ref.Name) })
		ix.roleNamespaces = append(ix.roleNamespaces, ns)
	}
	slices.Sort(ix.roleNamespaces)
	slices.SortStableFunc(ix.warnings, compareWarnings)

	// Number subjects in output order.
	masters := Subject{Kind: rbacv1.GroupKind, Name: SuperuserGroup}
	intern(masters)
	order := make([]int32, len(ix.subjects))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return CompareSubjects(ix.subjects[a], ix.subjects[b]) })
	renumber := make([]int32, len(order))
	sorted := make([]Subject, len(order))
	for newID, oldID := range order {
		renumber[oldID] = int32(newID)
		sorted[newID] = ix.subjects[oldID]
	}
	ix.subjects = sorted
	ix.superuser = renumber[ids[masters]]
	for _, b := range bindings {
		for i := range b.subjects {
			b.subjects[i].id = renumber[b.subjects[i].id]
		}
	}
	return ix
}

func compareWarnings(a, b Warning) int {
	return cmp.Or(
		cmp.Compare(a.namespace, b.namespace),
		cmp.Compare(a.Object.Kind, b.Object.Kind),
		cmp.Compare(a.Object.Namespace, b.Object.Namespace),
		cmp.Compare(a.Object.Name, b.Object.Name),
		cmp.Compare(a.Message, b.Message),
	)
}

// WhoCan lists every subject allowed to make the request in q, with the grants that
// allow it. The group system:masters is always listed, marked Superuser.
func (ix *Index) WhoCan(q Query) Result {
	// grants[id] collects the grants of subject id; most queries touch few subjects.
	grants := make([][]Grant, len(ix.subjects))
	found := 0
	add := func(b *binding, r *role, rule int, ns string) {
		for _, s := range b.subjects {
			if grants[s.id] == nil {
				found++
			}
			grants[s.id] = append(grants[s.id], Grant{Binding: b.ref, Role: r.ref, Namespace: ns, Rule: &r.rules[rule], BoundAs: s.boundAs})
		}
	}

	clusterLevel := q.ClusterLevel()
	var namespaces []string // the namespaces whose RoleBindings count
	switch {
	case clusterLevel:
	case q.AllNamespaces:
		namespaces = nil // all of them; see below
	default:
		namespaces = []string{q.Namespace}
	}

	for _, r := range ix.clusterRoles {
		i := FirstAllowingRule(&q.Attributes, r.rules)
		if i < 0 {
			continue
		}
		for _, b := range r.crbs {
			add(b, r, i, "")
		}
		if clusterLevel {
			continue
		}
		nss := namespaces
		if q.AllNamespaces {
			nss = r.rbNamespaces
		}
		for _, ns := range nss {
			for _, b := range r.rbs[ns] {
				add(b, r, i, ns)
			}
		}
	}
	if !clusterLevel {
		nss := namespaces
		if q.AllNamespaces {
			nss = ix.roleNamespaces
		}
		for _, ns := range nss {
			for _, r := range ix.roles[ns] {
				if i := FirstAllowingRule(&q.Attributes, r.rules); i >= 0 {
					for _, b := range r.rbs[ns] {
						add(b, r, i, ns)
					}
				}
			}
		}
	}

	res := Result{Subjects: make([]SubjectAccess, 0, found+1)}
	for id, gs := range grants {
		superuser := int32(id) == ix.superuser
		if gs == nil && !superuser {
			continue
		}
		slices.SortFunc(gs, compareGrants)
		// A binding that names the same identity twice grants it once.
		gs = slices.CompactFunc(gs, func(a, b Grant) bool { return compareGrants(a, b) == 0 })
		res.Subjects = append(res.Subjects, SubjectAccess{Subject: ix.subjects[id], Superuser: superuser, Grants: gs})
	}

	for _, w := range ix.warnings {
		if w.namespace == "" || (!clusterLevel && (q.AllNamespaces || w.namespace == q.Namespace)) {
			res.Warnings = append(res.Warnings, w)
		}
	}
	for _, r := range ix.clusterRoles {
		if !r.aggregationUnfilled {
			continue
		}
		if len(r.crbs) > 0 || (!clusterLevel && ((q.AllNamespaces && len(r.rbNamespaces) > 0) || len(r.rbs[q.Namespace]) > 0)) {
			res.Warnings = append(res.Warnings, Warning{Reason: ReasonAggregationNotFilled, Object: r.ref,
				Message: fmt.Sprintf("%s has an aggregationRule but no rules (the controller that aggregates it has not filled it in): bindings to it grant nothing", r.ref)})
		}
	}
	slices.SortStableFunc(res.Warnings, compareWarnings)
	return res
}

// CompareSubjects orders subjects by kind, then namespace, then name.
func CompareSubjects(a, b Subject) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

func compareGrants(a, b Grant) int {
	c := cmp.Or(
		cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(a.Binding.Kind, b.Binding.Kind),
		cmp.Compare(a.Binding.Namespace, b.Binding.Namespace),
		cmp.Compare(a.Binding.Name, b.Binding.Name),
	)
	if c != 0 {
		return c
	}
	// The same binding can name one identity twice (as a User and as a ServiceAccount).
	return cmp.Compare(boundAsKey(a.BoundAs), boundAsKey(b.BoundAs))
}

func boundAsKey(s *rbacv1.Subject) string {
	if s == nil {
		return ""
	}
	return s.Kind + "/" + s.Namespace + "/" + s.Name
}
