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
	ReasonOddSubject           = "InvalidServiceAccountName"
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
	// RoleBindings to this role by namespace, and the same sorted by namespace.
	rbs    map[string][]*binding
	rbList []nsBindings
	// verbs has a bit for each verb the rules name (see Index.verbBits), so that a query
	// skips most roles without looking at their rules.
	verbs uint64
	// aggregationUnfilled marks a ClusterRole with an aggregationRule but no rules.
	aggregationUnfilled bool
}

type nsBindings struct {
	namespace string
	bindings  []*binding
}

// starVerb is the verb bit of "*"; allVerbs marks a role whose verbs were not indexed.
const (
	starVerb uint64 = 1 << 63
	allVerbs uint64 = ^uint64(0)
)

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
	// verbBits numbers up to 63 verbs named by rules; verbs beyond that get no bit and
	// their roles are always evaluated.
	verbBits map[string]uint64
}

// verbMask returns the bits a role's verbs must intersect for the role to be worth
// evaluating for verb.
func (ix *Index) verbMask(verb string) uint64 {
	if verb == rbacv1.VerbAll {
		return allVerbs // "*" requested: only rules with "*" match, but let RuleAllows decide
	}
	return ix.verbBits[verb] | starVerb
}

func (ix *Index) indexVerbs(r *role) {
	for i := range r.rules {
		for _, v := range r.rules[i].Verbs {
			if v == rbacv1.VerbAll {
				r.verbs |= starVerb
				continue
			}
			bit, ok := ix.verbBits[v]
			if !ok {
				if len(ix.verbBits) >= 63 {
					r.verbs = allVerbs
					return
				}
				bit = 1 << len(ix.verbBits)
				ix.verbBits[v] = bit
			}
			r.verbs |= bit
		}
	}
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

	ix := &Index{roles: map[string][]*role{}, verbBits: map[string]uint64{}}
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
			if reason != "" {
				warn(Warning{Reason: ReasonOddSubject, Object: ref, namespace: ref.Namespace,
					Message: fmt.Sprintf("%s: subject %d %s", ref, i, reason)})
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
		r.rbs[rb.Namespace] = append(r.rbs[rb.Namespace], newBinding(ref, rb.Subjects))
		used[r] = true
	}

	for r := range used {
		for ns, bs := range r.rbs {
			r.rbList = append(r.rbList, nsBindings{namespace: ns, bindings: bs})
		}
		slices.SortFunc(r.rbList, func(a, b nsBindings) int { return cmp.Compare(a.namespace, b.namespace) })
		ix.indexVerbs(r)
	}
	for _, r := range clusterRoles {
		if used[r] {
			ix.clusterRoles = append(ix.clusterRoles, r)
		}
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
	// First the bindings that allow the request, then their grants per subject.
	type match struct {
		b    *binding
		r    *role
		rule int
		ns   string
	}
	var matches []match
	clusterLevel := q.ClusterLevel()
	verbs := ix.verbMask(q.Verb)

	for _, r := range ix.clusterRoles {
		if r.verbs&verbs == 0 {
			continue
		}
		i := FirstAllowingRule(&q.Attributes, r.rules)
		if i < 0 {
			continue
		}
		for _, b := range r.crbs {
			matches = append(matches, match{b, r, i, ""})
		}
		switch {
		case clusterLevel:
		case q.AllNamespaces:
			for _, nb := range r.rbList {
				for _, b := range nb.bindings {
					matches = append(matches, match{b, r, i, nb.namespace})
				}
			}
		default:
			for _, b := range r.rbs[q.Namespace] {
				matches = append(matches, match{b, r, i, q.Namespace})
			}
		}
	}
	if !clusterLevel {
		namespaces := []string{q.Namespace}
		if q.AllNamespaces {
			namespaces = ix.roleNamespaces
		}
		for _, ns := range namespaces {
			for _, r := range ix.roles[ns] {
				if r.verbs&verbs == 0 {
					continue
				}
				if i := FirstAllowingRule(&q.Attributes, r.rules); i >= 0 {
					// A Role is bound only in its own namespace: rbList has that one entry.
					for _, b := range r.rbList[0].bindings {
						matches = append(matches, match{b, r, i, ns})
					}
				}
			}
		}
	}

	// Count grants per subject, then fill one slice, each subject's grants together.
	counts := make([]int32, len(ix.subjects)+1)
	total := 0
	for _, m := range matches {
		for _, s := range m.b.subjects {
			counts[s.id+1]++
			total++
		}
	}
	found := 0
	for id := 1; id < len(counts); id++ {
		if counts[id] > 0 {
			found++
		}
		counts[id] += counts[id-1] // counts[id] is now where subject id's grants start... shifted by one
	}
	all := make([]Grant, total)
	next := counts[:len(ix.subjects)] // next[id]: where subject id's next grant goes
	for _, m := range matches {
		for _, s := range m.b.subjects {
			all[next[s.id]] = Grant{Binding: m.b.ref, Role: m.r.ref, Namespace: m.ns, Rule: &m.r.rules[m.rule], BoundAs: s.boundAs}
			next[s.id]++
		}
	}
	// next[id] is now the end of subject id's grants; its start is the previous end.
	res := Result{Subjects: make([]SubjectAccess, 0, found+1)}
	start := int32(0)
	for id := range ix.subjects {
		end := next[id]
		gs := all[start:end:end]
		start = end
		superuser := int32(id) == ix.superuser
		if len(gs) == 0 && !superuser {
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
		if len(r.crbs) > 0 || (!clusterLevel && ((q.AllNamespaces && len(r.rbList) > 0) || len(r.rbs[q.Namespace]) > 0)) {
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
