package rbac

import (
	"cmp"
	"container/heap"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Routes: what an escalation step does. Each needs a grant (or, for bind, escalate and
// csr, a few grants held by the same identity), and leads to another identity, to
// more permissions, or to cluster admin.
const (
	// RouteCreatePods: create pods in a namespace -> any service account there (a pod
	// names its service account and gets its token).
	RouteCreatePods = "create-pods"
	// RouteWorkloads: create, update or patch a pod-creating workload (deployments,
	// replicasets, statefulsets, daemonsets, jobs, cronjobs, replicationcontrollers)
	// -> any service account of its namespace (the pod template names it).
	RouteWorkloads = "workloads"
	// RouteRunningPods: update or patch pods (their images), create pods/exec or
	// pods/attach, update pods/ephemeralcontainers -> the service accounts of the pods
	// that run in the namespace.
	RouteRunningPods = "running-pods"
	// RouteToken: create serviceaccounts/token -> that service account (TokenRequest).
	RouteToken = "serviceaccount-token"
	// RouteImpersonate: impersonate users, groups or serviceaccounts -> that identity.
	RouteImpersonate = "impersonate"
	// RouteBind: create (or update) a RoleBinding or ClusterRoleBinding, with bind on
	// the role -> the role's permissions in that scope.
	RouteBind = "bind"
	// RouteEscalate: escalate and update on a role -> any permission for whoever is
	// bound to it (or, with create of roles and bindings, a new role bound to oneself).
	RouteEscalate = "escalate"
	// RouteSecrets: get, list or watch Secrets -> the service accounts whose legacy
	// token Secret is there.
	RouteSecrets = "secrets"
	// RouteNodeProxy: get or create nodes/proxy -> the kubelet's API: exec in any pod
	// of the node, so the service accounts of the pods it runs.
	RouteNodeProxy = "nodes-proxy"
	// RouteCSR: create certificatesigningrequests, update their approval and approve
	// for a client signer -> a client certificate for any user and groups
	// (system:masters excepted: the CertificateSubjectRestriction admission plugin).
	RouteCSR = "csr"
	// RouteWebhook: create or update mutating or validating webhook configurations ->
	// the objects written from then on: pods rewritten to run as any service account,
	// token Secrets seen.
	RouteWebhook = "webhook"
	// RouteAdmin: the identity is allowed every verb on every resource cluster-wide.
	RouteAdmin = "cluster-admin"
)

// ReachesClusterAdmin is Path.Reaches for a path that ends in cluster admin.
const ReachesClusterAdmin = "cluster-admin"

// AdminObject is an object whose update makes its writer a cluster admin outside
// RBAC, such as EKS's kube-system/aws-auth (which maps any IAM principal to
// system:masters). The caller says which: this package knows no authenticator.
type AdminObject struct {
	// Route names the step ("aws-auth").
	Route                            string
	Group, Resource, Namespace, Name string
	Verbs                            []string
	// LeadsTo says what writing it gives, in words.
	LeadsTo string
	// Condition, when not "", is what the step also needs.
	Condition string
}

// EscalationOptions configure an Escalator.
type EscalationOptions struct {
	AdminObjects []AdminObject
}

// Step is one step of an escalation path.
type Step struct {
	Route string
	// As is who takes the step.
	As Subject
	// Grant is the permission that opens the route and where it comes from, in words.
	Grant string
	// LeadsTo is what the step leads to, in words.
	LeadsTo string
	// Condition, when not "", is what the step also needs that RBAC does not show.
	Condition string
	// Namespace the step acts in ("" at cluster level, or in any namespace).
	Namespace string
	// Target is the identity the step leads to, when it leads to one.
	Target *Subject
	// Role is the role bound or rewritten (bind, escalate).
	Role *ObjectRef
	// Name is the object written (an AdminObject) or the signer (csr).
	Name string
	// AnyServiceAccount: the step leads to any service account of Namespace (of every
	// namespace when Namespace is ""), not to one of them.
	AnyServiceAccount bool
}

// Path is a sequence of steps from an identity to what it reaches.
type Path struct {
	Steps []Step
	// Reaches is ReachesClusterAdmin, a subject ("serviceaccount/NS/NAME",
	// "user/NAME", "group/NAME"), a role gained ("ClusterRole/NAME in namespace NS"),
	// or the action a who-can question asks about.
	Reaches string
	// Target is the identity reached, when Reaches names one.
	Target       *Subject
	ClusterAdmin bool
	// Conditional: some step has a Condition.
	Conditional bool
}

type trig uint8

const (
	tCreatePods trig = iota
	tWorkload
	tRunningPod
	tToken
	tImpUser
	tImpGroup
	tImpSA
	tCreateRB
	tCreateCRB
	tBindRole
	tBindCR
	tEscRole
	tEscCR
	tCreateRole
	tCreateCR
	tUpdateRole
	tUpdateCR
	tSecrets
	tNodeProxy
	tCSRCreate
	tCSRApprove
	tSigner
	tWebhook
	tAdmin
	tAdminObject
)

// trigger is a request whose grant opens a route (names aside).
type trigger struct {
	t        trig
	verbs    []string
	group    string
	resource string
	sub      string
	// cluster: a cluster-level request, which only ClusterRoleBindings grant.
	cluster bool
	// obj indexes EscalationOptions.AdminObjects for tAdminObject.
	obj int
}

func (t *trigger) String() string {
	r := t.resource
	if t.sub != "" {
		r += "/" + t.sub
	}
	if t.group != "" {
		r += "." + t.group
	}
	return r
}

const rbacGroup = rbacv1.GroupName

func staticTriggers() []trigger {
	cud := []string{"create", "update", "patch"}
	ts := []trigger{
		{t: tCreatePods, verbs: []string{"create"}, resource: "pods"},
		{t: tRunningPod, verbs: []string{"update", "patch"}, resource: "pods"},
		{t: tRunningPod, verbs: []string{"create"}, resource: "pods", sub: "exec"},
		{t: tRunningPod, verbs: []string{"create"}, resource: "pods", sub: "attach"},
		{t: tRunningPod, verbs: []string{"update", "patch"}, resource: "pods", sub: "ephemeralcontainers"},
		{t: tToken, verbs: []string{"create"}, resource: "serviceaccounts", sub: "token"},
		{t: tImpUser, verbs: []string{"impersonate"}, resource: "users", cluster: true},
		{t: tImpGroup, verbs: []string{"impersonate"}, resource: "groups", cluster: true},
		{t: tImpSA, verbs: []string{"impersonate"}, resource: "serviceaccounts"},
		{t: tCreateRB, verbs: cud, group: rbacGroup, resource: "rolebindings"},
		{t: tCreateCRB, verbs: cud, group: rbacGroup, resource: "clusterrolebindings", cluster: true},
		{t: tBindRole, verbs: []string{"bind"}, group: rbacGroup, resource: "roles"},
		{t: tBindCR, verbs: []string{"bind"}, group: rbacGroup, resource: "clusterroles"},
		{t: tEscRole, verbs: []string{"escalate"}, group: rbacGroup, resource: "roles"},
		{t: tEscCR, verbs: []string{"escalate"}, group: rbacGroup, resource: "clusterroles", cluster: true},
		{t: tCreateRole, verbs: []string{"create"}, group: rbacGroup, resource: "roles"},
		{t: tCreateCR, verbs: []string{"create"}, group: rbacGroup, resource: "clusterroles", cluster: true},
		{t: tUpdateRole, verbs: []string{"update", "patch"}, group: rbacGroup, resource: "roles"},
		{t: tUpdateCR, verbs: []string{"update", "patch"}, group: rbacGroup, resource: "clusterroles", cluster: true},
		{t: tSecrets, verbs: []string{"list", "watch", "get"}, resource: "secrets"},
		{t: tNodeProxy, verbs: []string{"create", "get"}, resource: "nodes", sub: "proxy", cluster: true},
		{t: tCSRCreate, verbs: []string{"create"}, group: "certificates.k8s.io", resource: "certificatesigningrequests", cluster: true},
		{t: tCSRApprove, verbs: []string{"update", "patch"}, group: "certificates.k8s.io", resource: "certificatesigningrequests", sub: "approval", cluster: true},
		{t: tSigner, verbs: []string{"approve"}, group: "certificates.k8s.io", resource: "signers", cluster: true},
		{t: tWebhook, verbs: cud, group: "admissionregistration.k8s.io", resource: "mutatingwebhookconfigurations", cluster: true},
		{t: tWebhook, verbs: cud, group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations", cluster: true},
		{t: tAdmin, verbs: []string{"*"}, group: "*", resource: "*", cluster: true},
	}
	for _, w := range PodCreatingKinds {
		ts = append(ts, trigger{t: tWorkload, verbs: cud, group: w.Group, resource: w.Resource})
	}
	return ts
}

// PodCreatingKinds are the built-in workload kinds whose create, update or patch lets
// one choose the service account their pods run as (the pod template names it).
var PodCreatingKinds = []struct{ Group, Resource string }{
	{"apps", "deployments"}, {"apps", "replicasets"}, {"apps", "statefulsets"}, {"apps", "daemonsets"},
	{"batch", "jobs"}, {"batch", "cronjobs"}, {"", "replicationcontrollers"},
}

// Client signers of the csr route (Kubernetes' built-in signers).
const (
	signerClient        = "kubernetes.io/kube-apiserver-client"
	signerKubeletClient = "kubernetes.io/kube-apiserver-client-kubelet"
)

// roleCap is one rule of a role that matches a trigger, names aside.
type roleCap struct {
	trig  *trigger
	verb  string // the trigger verb the rule allows
	names []string
	// namesKey is names joined, for capKey.
	namesKey string
	// shown are the names the rule is limited to when they do not limit the route
	// (namesIrrelevant): the grant is worded with them all the same.
	shown []string
}

// capKey identifies what a capability opens, whatever gives it.
type capKey struct {
	trig  *trigger
	ns    string
	names string
}

// capability is a roleCap an identity holds in a scope.
type capability struct {
	*roleCap
	// ns the grant applies in: "" at cluster level or (for namespaced triggers) in
	// every namespace.
	ns string
	// binding and role give it (base capabilities); for a gained capability, role is
	// the role bound or rewritten.
	binding, role *ObjectRef
	// source, when set, is what gives it instead: an access policy.
	source string
	// gain is the index of the gain (in gs) that gave it, -1 for none.
	gain int
	gs   *gainSet
	// kid is its interned key plus one (0: not yet interned).
	kid int32
}

func (c *capability) key() capKey {
	return capKey{trig: c.trig, ns: c.ns, names: c.namesKey}
}

func (c *capability) allowsName(name string) bool {
	return c.names == nil || slices.Contains(c.names, name)
}

// where says where a capability applies.
func (c *capability) where() string {
	switch {
	case c.trig.cluster:
		return ""
	case c.ns == "":
		return " in every namespace"
	}
	return " in namespace " + c.ns
}

// describe is the grant in words: "create pods in namespace app (RoleBinding/app/x -> Role/app/y)".
func (c *capability) describe() string {
	s := c.verb + " " + c.trig.String()
	names := c.names
	if names == nil {
		names = c.shown
	}
	if names != nil {
		s += " [" + strings.Join(names, ",") + "]"
	}
	source := c.source
	switch {
	case c.gain >= 0:
		source = "gained: " + c.gs.gains[c.gain].leadsTo(c.role)
	case source == "":
		source = c.binding.String() + " -> " + c.role.String()
	}
	return s + c.where() + " (" + source + ")"
}

// ruleCaps matches rules against the triggers, names aside.
func ruleCaps(triggers []trigger, rules []rbacv1.PolicyRule) []roleCap {
	var out []roleCap
	for ri := range rules {
		rule := &rules[ri]
		if len(rule.Resources) == 0 {
			continue
		}
		for ti := range triggers {
			t := &triggers[ti]
			if !apiGroupMatches(rule, t.group) || !resourceMatches(rule, t.resource, t.sub) {
				continue
			}
			if t.t == tAdmin && len(rule.ResourceNames) > 0 {
				continue
			}
			for _, v := range t.verbs {
				if !verbMatches(rule, v) {
					continue
				}
				rc := roleCap{trig: t, verb: v, names: rule.ResourceNames}
				switch {
				case rc.names == nil:
				case v == "create" && t.sub == "":
					continue // a create names no object: a rule limited to names never allows it
				case namesIrrelevant(t.t):
					rc.shown, rc.names = rc.names, nil
				case !namesMatter(t.t):
					continue
				}
				if rc.names != nil {
					rc.namesKey = "\x00" + strings.Join(rc.names, "\x00")
				}
				out = append(out, rc)
				break
			}
		}
	}
	return out
}

// namesIrrelevant: a grant limited to names opens the route all the same (the pods,
// nodes, workloads or webhook configurations named will do).
func namesIrrelevant(t trig) bool {
	switch t {
	case tRunningPod, tWorkload, tNodeProxy, tWebhook, tCSRApprove:
		return true
	}
	return false
}

// namesMatter: a grant limited to names opens the route for those names only (the
// service accounts, users, groups, roles, signers or object named). Any other
// route needs a grant for every name (secrets: whose token is where is unknown;
// bindings: updating one cannot change its role).
func namesMatter(t trig) bool {
	switch t {
	case tToken, tImpUser, tImpGroup, tImpSA, tBindRole, tBindCR, tEscRole, tEscCR, tUpdateRole, tUpdateCR, tSigner, tAdminObject:
		return true
	}
	return false
}

// boundRole is a role bound to a subject, and the scope of the binding.
type boundRole struct {
	role *role
	ns   string // "" for a ClusterRoleBinding
	ref  *ObjectRef
}

// unionRole is a role of a set and the capabilities it is the first (in name order)
// to give.
type unionRole struct {
	role ObjectRef
	caps []*roleCap
}

// Escalator finds escalation paths over one snapshot: from one identity to what it can
// become (From), and to one action from every subject (Reaching). It is built once per
// snapshot (every rule is matched against the routes once) and is not safe for
// concurrent use.
type Escalator struct {
	ix       *Index
	opts     EscalationOptions
	triggers []trigger
	// caps of each subject (by index subject number), the kinds among them (a bit per
	// trig), the roles bound to it, and the edges its caps alone open.
	caps      [][]capability
	kinds     []uint64
	bound     [][]boundRole
	subjEdges [][]edge
	subjDone  []bool
	ids       map[Subject]int32
	// every role of the snapshot, bound or not, for the bind route.
	clusterRoles map[string]*rbacv1.ClusterRole
	crNames      []string
	roles        map[string][]*rbacv1.Role
	capsOf       map[*rbacv1.PolicyRule][]roleCap // by the first rule of a role
	crUnion      []unionRole
	crUnions     map[string][]unionRole // by names
	roleUnion    map[string][]unionRole
	sasIn        map[string][]Subject // named service accounts by namespace
	namespaces   []string
	users        []Subject
	groups       []Subject
	// star is the rule a rewritten role gets: every verb on everything.
	star []rbacv1.PolicyRule
	// gainsMemo: the gains of an identity by the subjects that give them.
	gainsMemo map[string]*gainSet
	// targetMemo: the role a bind grant binds that allows the target, by grant and scope.
	targetMemo map[targetKey]*ObjectRef
	// keyIDs interns capability keys; bindMemo and starMemo are what binding and
	// rewriting roles give in a scope.
	keyIDs   map[capKey]int32
	bindMemo map[targetKey][]item
	starMemo map[string][]item

	// target is the who-can question the graph was built for (Reaching), nil for From.
	target *Query
	g      *graph
}

func bit(t trig) uint64 { return 1 << t }

// gainKinds are the capabilities gains come from.
const gainKinds = 1<<tCreateRB | 1<<tCreateCRB | 1<<tBindRole | 1<<tBindCR | 1<<tEscRole | 1<<tEscCR |
	1<<tCreateRole | 1<<tCreateCR | 1<<tUpdateRole | 1<<tUpdateCR

// NewEscalator prepares s (indexed as ix) for escalation questions.
func NewEscalator(s *Snapshot, ix *Index, opts EscalationOptions) *Escalator {
	e := &Escalator{ix: ix, opts: opts, triggers: staticTriggers(), ids: map[Subject]int32{},
		clusterRoles: map[string]*rbacv1.ClusterRole{}, roles: map[string][]*rbacv1.Role{}, capsOf: map[*rbacv1.PolicyRule][]roleCap{},
		keyIDs: map[capKey]int32{}, bindMemo: map[targetKey][]item{}, starMemo: map[string][]item{},
		roleUnion: map[string][]unionRole{}, crUnions: map[string][]unionRole{}, sasIn: map[string][]Subject{}, gainsMemo: map[string]*gainSet{},
		star: []rbacv1.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}}
	for i, o := range opts.AdminObjects {
		e.triggers = append(e.triggers, trigger{t: tAdminObject, verbs: o.Verbs, group: o.Group, resource: o.Resource, cluster: o.Namespace == "", obj: i})
	}
	for i := range s.ClusterRoles {
		cr := &s.ClusterRoles[i]
		e.clusterRoles[cr.Name] = cr
		e.crNames = append(e.crNames, cr.Name)
	}
	slices.Sort(e.crNames)
	for i := range s.Roles {
		r := &s.Roles[i]
		e.roles[r.Namespace] = append(e.roles[r.Namespace], r)
	}
	n := len(ix.subjects)
	e.caps, e.kinds, e.bound = make([][]capability, n), make([]uint64, n), make([][]boundRole, n)
	e.subjEdges, e.subjDone = make([][]edge, n), make([]bool, n)
	for i, sub := range ix.subjects {
		e.ids[sub] = int32(i)
		switch sub.Kind {
		case rbacv1.ServiceAccountKind:
			e.sasIn[sub.Namespace] = append(e.sasIn[sub.Namespace], sub)
		case rbacv1.UserKind:
			e.users = append(e.users, sub)
		case rbacv1.GroupKind:
			if sub.Name != SuperuserGroup && sub.Name != AuthenticatedGroup && sub.Name != UnauthenticatedGroup {
				e.groups = append(e.groups, sub)
			}
		}
	}
	e.namespaces = ix.Namespaces()
	add := func(r *role, b *binding, ns string) {
		for _, s := range b.subjects {
			e.bound[s.id] = append(e.bound[s.id], boundRole{role: r, ns: ns, ref: &b.ref})
		}
		caps := e.roleCaps(r.rules)
		for i := range caps {
			if caps[i].trig.cluster && ns != "" {
				continue
			}
			for _, s := range b.subjects {
				e.caps[s.id] = append(e.caps[s.id], capability{roleCap: &caps[i], ns: ns, binding: &b.ref, role: &r.ref, gain: -1})
				e.kinds[s.id] |= bit(caps[i].trig.t)
			}
		}
	}
	for _, r := range ix.clusterRoles {
		for _, b := range r.crbs {
			add(r, b, "")
		}
		for _, nb := range r.rbList {
			for _, b := range nb.bindings {
				add(r, b, nb.namespace)
			}
		}
	}
	for _, ns := range ix.roleNamespaces {
		for _, r := range ix.roles[ns] {
			for _, b := range r.rbList[0].bindings {
				add(r, b, ns)
			}
		}
	}
	return e
}

// roleCaps are the trigger matches of a role's rules, computed once per role.
func (e *Escalator) roleCaps(rules []rbacv1.PolicyRule) []roleCap {
	if len(rules) == 0 {
		return nil
	}
	key := &rules[0]
	if c, ok := e.capsOf[key]; ok {
		return c
	}
	c := ruleCaps(e.triggers, rules)
	e.capsOf[key] = c
	return c
}

// union is what a set of roles gives: each capability once, with the first role
// (in name order) that gives it.
func (e *Escalator) union(refs []ObjectRef, rules [][]rbacv1.PolicyRule) []unionRole {
	out := []unionRole{}
	seen := map[capKey]bool{}
	for i := range refs {
		caps := e.roleCaps(rules[i])
		var novel []*roleCap
		for j := range caps {
			c := capability{roleCap: &caps[j]}
			if k := c.key(); !seen[k] {
				seen[k] = true
				novel = append(novel, &caps[j])
			}
		}
		if len(novel) > 0 {
			out = append(out, unionRole{role: refs[i], caps: novel})
		}
	}
	// A capability limited to names adds nothing to the same one for any name.
	for i := range out {
		out[i].caps = slices.DeleteFunc(out[i].caps, func(rc *roleCap) bool {
			return rc.names != nil && seen[capKey{trig: rc.trig}]
		})
	}
	return slices.DeleteFunc(out, func(u unionRole) bool { return len(u.caps) == 0 })
}

// bindableCRs is what binding ClusterRoles with names (nil: any) gives.
func (e *Escalator) bindableCRs(names []string) []unionRole {
	if names == nil && e.crUnion != nil {
		return e.crUnion
	}
	key := strings.Join(names, "\x00")
	if u, ok := e.crUnions[key]; ok && names != nil {
		return u
	}
	var refs []ObjectRef
	var rules [][]rbacv1.PolicyRule
	for _, name := range e.crNames {
		if names == nil || slices.Contains(names, name) {
			refs = append(refs, ObjectRef{Kind: "ClusterRole", Name: name})
			rules = append(rules, e.clusterRoles[name].Rules)
		}
	}
	u := e.union(refs, rules)
	if names == nil {
		e.crUnion = u
	} else {
		e.crUnions[key] = u
	}
	return u
}

// bindableRoles is what binding the Roles of ns with names (nil: any) gives.
func (e *Escalator) bindableRoles(ns string, names []string) []unionRole {
	if u, ok := e.roleUnion[ns]; ok && names == nil {
		return u
	}
	var refs []ObjectRef
	var rules [][]rbacv1.PolicyRule
	for _, r := range e.roles[ns] {
		if names == nil || slices.Contains(names, r.Name) {
			refs = append(refs, ObjectRef{Kind: "Role", Namespace: ns, Name: r.Name})
			rules = append(rules, r.Rules)
		}
	}
	u := e.union(refs, rules)
	if names == nil {
		e.roleUnion[ns] = u
	}
	return u
}

// ---- The graph ----

type nodeKind uint8

const (
	kStart nodeKind = iota
	kSA
	kUser
	kGroup
	kAdmin
	kHubNS      // every service account of a namespace
	kHubAllSAs  // every service account
	kHubUsers   // every user some binding names
	kHubGroups  // every group some binding names, system:masters excepted
	kHubClients // every user and group a client certificate can name
)

type node struct {
	kind    nodeKind
	subject Subject // kStart, kSA, kUser, kGroup
	ns      string  // kHubNS
	id      Identity
	ids     []int32    // index subjects the identity is
	extra   Authorizer // kStart only

	expanded bool
	*gainSet
	// own capabilities besides its subjects' (Extra's); with the gains', in forCaps.
	own []capability
	// edges: its own, then its subjects' (shared).
	edgeSets [][]edge
}

// gainSet is what an identity gives itself (bind, escalate), and the capabilities
// that brings.
type gainSet struct {
	gains  []gain
	gained []capability
	// admin: a gain gives every verb on every resource cluster-wide.
	admin bool
}

// gain is permissions an identity gives itself: roles it binds in a scope with one
// pair of grants (each capability it brings names its role), or a role it rewrites.
type gain struct {
	route string
	// caps are the grants that make it possible.
	caps  []*capability
	scope string // a namespace, "" cluster-wide, "*" in every namespace
	// role rewritten (escalate), and the binding that binds it to the identity (nil
	// for a new role).
	role    *ObjectRef
	binding *ObjectRef
	// target is a role it binds that allows the who-can question the graph is built
	// for (for a rewritten role: role).
	target *ObjectRef
}

// leadsTo says what the gain gives through role, in words.
func (g *gain) leadsTo(role *ObjectRef) string {
	switch {
	case g.route == RouteBind:
		return role.String() + " bound" + scopeWords(g.scope)
	case g.binding != nil:
		return "every permission" + scopeWords(g.scope) + " (" + g.role.String() + ", bound to it by " + g.binding.String() + ", rewritten)"
	}
	return "every permission" + scopeWords(g.scope) + " (a new " + g.role.String() + ", bound to itself while empty, then rewritten)"
}

// gainUse is a gain a path needs, through one of its roles.
type gainUse struct {
	gain int
	role *ObjectRef
}

type edge struct {
	to   int32
	caps []*capability // the grants that open the route
	step Step          // Grant, As and Target are filled in when a path is built
	w    int           // steps it takes (0 for a hub's member)
}

type graph struct {
	nodes []*node
	byKey map[string]int32
}

// graphFor returns the graph for target (nil: for From), built anew when the last
// one was built for another purpose.
func (e *Escalator) graphFor(target *Query) *graph {
	if e.g == nil || e.target != target {
		e.target = target
		e.gainsMemo = map[string]*gainSet{}
		e.targetMemo = map[targetKey]*ObjectRef{}
		e.g = &graph{byKey: map[string]int32{}}
		e.node("admin", func() *node { return &node{kind: kAdmin} })
	}
	return e.g
}

func (e *Escalator) node(key string, mk func() *node) int32 {
	g := e.g
	if i, ok := g.byKey[key]; ok {
		return i
	}
	n := mk()
	if n.kind != kAdmin && n.kind < kHubNS {
		n.ids = e.idsOf(n.id)
	}
	i := int32(len(g.nodes))
	g.nodes = append(g.nodes, n)
	g.byKey[key] = i
	return i
}

const adminNode int32 = 0

func (e *Escalator) idsOf(id Identity) []int32 {
	var out []int32
	if id.Username != "" {
		if i, ok := e.ids[SubjectForUsername(id.Username)]; ok {
			out = append(out, i)
		}
	}
	for _, grp := range id.Groups {
		if i, ok := e.ids[Subject{Kind: rbacv1.GroupKind, Name: grp}]; ok && !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	return out
}

// subjectNode is the node of an RBAC subject, with its implicit groups (IdentityOf).
func (e *Escalator) subjectNode(s Subject) int32 {
	if s.Kind == rbacv1.UserKind {
		s = SubjectForUsername(s.Name)
	}
	if s.Kind == rbacv1.GroupKind && s.Name == SuperuserGroup {
		return adminNode
	}
	kind := map[string]nodeKind{rbacv1.ServiceAccountKind: kSA, rbacv1.UserKind: kUser, rbacv1.GroupKind: kGroup}[s.Kind]
	return e.node(s.String(), func() *node { return &node{kind: kind, subject: s, id: IdentityOf(s)} })
}

func (e *Escalator) hubNS(ns string) int32 {
	return e.node("hub-ns/"+ns, func() *node { return &node{kind: kHubNS, ns: ns} })
}

func (e *Escalator) hub(kind nodeKind) int32 {
	return e.node(fmt.Sprint("hub/", kind), func() *node { return &node{kind: kind} })
}

// SubjectLabel is how a subject is written in paths: serviceaccount/NS/NAME,
// user/NAME, group/NAME (another kind in lower case, then its name).
func SubjectLabel(s Subject) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return "serviceaccount/" + s.Namespace + "/" + s.Name
	}
	return strings.ToLower(s.Kind) + "/" + s.Name
}

// forCaps calls fn with every capability of n: its subjects', its own, its gains'.
func (e *Escalator) forCaps(n *node, fn func(c *capability)) {
	for _, id := range n.ids {
		for i := range e.caps[id] {
			fn(&e.caps[id][i])
		}
	}
	for i := range n.own {
		fn(&n.own[i])
	}
	if n.gainSet != nil {
		for i := range n.gained {
			fn(&n.gained[i])
		}
	}
}

// edges calls fn with every edge of n.
func (n *node) edges(fn func(ed *edge)) {
	for _, set := range n.edgeSets {
		for i := range set {
			fn(&set[i])
		}
	}
}

// expand computes what n gives itself (gains) and where it can go (edges).
func (e *Escalator) expand(ni int32) {
	n := e.g.nodes[ni]
	if n.expanded {
		return
	}
	n.expanded = true
	var own []edge
	member := func(to int32) { own = append(own, edge{to: to}) }
	switch n.kind {
	case kAdmin:
		return
	case kHubNS:
		names := []string{"default"}
		for _, s := range e.sasIn[n.ns] {
			names = append(names, s.Name)
		}
		slices.Sort(names)
		for _, name := range slices.Compact(names) {
			member(e.subjectNode(Subject{Kind: rbacv1.ServiceAccountKind, Namespace: n.ns, Name: name}))
		}
	case kHubAllSAs:
		for _, ns := range e.namespaces {
			member(e.hubNS(ns))
		}
	case kHubUsers, kHubClients:
		for _, u := range e.users {
			member(e.subjectNode(u))
		}
		if n.kind == kHubClients {
			member(e.hub(kHubGroups))
		}
	case kHubGroups:
		for _, grp := range e.groups {
			member(e.subjectNode(grp))
		}
	}
	if n.kind >= kHubNS {
		n.edgeSets = [][]edge{own}
		return
	}

	var kinds uint64
	for _, id := range n.ids {
		kinds |= e.kinds[id]
	}
	if n.kind == kStart && n.extra != nil {
		n.own = e.extraCaps(n.extra)
		for i := range n.own {
			kinds |= bit(n.own[i].trig.t)
		}
	}
	if n.id.Superuser() {
		n.edgeSets = [][]edge{{{to: adminNode, step: Step{Route: RouteAdmin, LeadsTo: ReachesClusterAdmin,
			Grant: "member of " + SuperuserGroup + ", which the API server allows everything"}}}}
		return
	}
	// A cluster admin reaches everything: nothing beyond it is worth a path.
	if kinds&bit(tAdmin) != 0 {
		if c := e.firstCap(n, tAdmin); c != nil {
			n.edgeSets = [][]edge{{{to: adminNode, caps: []*capability{c}, step: Step{Route: RouteAdmin, LeadsTo: ReachesClusterAdmin}}}}
			return
		}
	}
	if kinds&gainKinds != 0 {
		e.gainsOf(n)
	}
	if n.gainSet != nil {
		for i := range n.gained {
			if c := &n.gained[i]; c.trig.t == tAdmin && c.ns == "" {
				n.edgeSets = [][]edge{{{to: adminNode, caps: []*capability{c}, w: 0, step: Step{Route: RouteAdmin, LeadsTo: ReachesClusterAdmin}}}}
				return
			}
		}
	}
	// Its own edges: from Extra and gained capabilities, and the routes that need
	// capabilities of several subjects together; then its subjects' edges.
	var mine []*capability
	for i := range n.own {
		mine = append(mine, &n.own[i])
	}
	if n.gainSet != nil {
		for i := range n.gained {
			mine = append(mine, &n.gained[i])
		}
	}
	own = e.simpleEdges(mine)
	if kinds&(bit(tImpGroup)|bit(tCSRCreate)) != 0 {
		own = append(own, e.jointEdges(n)...)
	}
	n.edgeSets = [][]edge{own}
	for _, id := range n.ids {
		if !e.subjDone[id] {
			e.subjDone[id] = true
			caps := make([]*capability, len(e.caps[id]))
			for i := range e.caps[id] {
				caps[i] = &e.caps[id][i]
			}
			e.subjEdges[id] = e.simpleEdges(caps)
		}
		if len(e.subjEdges[id]) > 0 {
			n.edgeSets = append(n.edgeSets, e.subjEdges[id])
		}
	}
}

func (e *Escalator) firstCap(n *node, t trig) *capability {
	var found *capability
	e.forCaps(n, func(c *capability) {
		if found == nil && c.trig.t == t && (t != tAdmin || c.ns == "") {
			found = c
		}
	})
	return found
}

// extraCaps asks an Extra about every trigger, at cluster level and in each namespace
// where it grants more.
func (e *Escalator) extraCaps(extra Authorizer) []capability {
	var out []capability
	namespaces := extra.Namespaces(e.namespaces)
	for ti := range e.triggers {
		t := &e.triggers[ti]
		scopes := []string{""}
		if !t.cluster {
			scopes = append(scopes, namespaces...)
		}
		if t.t == tAdminObject && !t.cluster {
			scopes = []string{e.opts.AdminObjects[t.obj].Namespace}
		}
		for _, ns := range scopes {
			for _, v := range t.verbs {
				a := Attributes{Verb: v, APIGroup: t.group, Resource: t.resource, Subresource: t.sub, Namespace: ns}
				if t.t == tAdminObject {
					a.Name = e.opts.AdminObjects[t.obj].Name
				}
				if ok, source := extra.Allows(&a); ok {
					out = append(out, capability{roleCap: &roleCap{trig: t, verb: v}, ns: ns, source: source, gain: -1})
					break
				}
			}
		}
	}
	return out
}

// gainsOf gives n, to a fixed point, the roles it can bind to itself and the
// permissions it can write into roles it is bound to (or into a new role of its own).
// Only a gain that brings a capability n lacks (or, for Reaching, allows the action)
// is kept. The result is shared by the identities whose gains come from the same
// subjects.
func (e *Escalator) gainsOf(n *node) {
	// The subjects the gains come from: those with capabilities gains need, or all
	// of them when a role bound to the identity can be rewritten.
	var from []int32
	for _, id := range n.ids {
		if e.kinds[id]&gainKinds != 0 {
			from = append(from, id)
		}
	}
	if e.hasKinds(n, bit(tEscRole)|bit(tEscCR)) {
		from = n.ids
	}
	memo := ""
	if n.kind != kStart {
		memo = fmt.Sprint(from)
		if gs, ok := e.gainsMemo[memo]; ok {
			n.gainSet = gs
			return
		}
	}
	// Answering who-can (Reaching), a path to cluster admin is enough: when one of the
	// subjects alone gives itself cluster admin, so does the identity (it holds the
	// same grants), and that subject's gains (computed once) stand for the identity's.
	// Subjects share groups (system:authenticated above all), so this saves working
	// out the same gains once per identity. From keeps the shortest path and does not
	// take it.
	if e.target != nil && len(from) > 1 {
		for _, id := range from {
			if e.kinds[id]&gainKinds == 0 {
				continue
			}
			one := &node{kind: kGroup, ids: []int32{id}, id: n.id}
			e.gainsOf(one)
			if one.gainSet.admin {
				n.gainSet = one.gainSet
				if memo != "" {
					e.gainsMemo[memo] = one.gainSet
				}
				return
			}
		}
	}
	gs := &gainSet{}
	n.gainSet = gs
	if memo != "" {
		e.gainsMemo[memo] = gs
	}
	// forFrom calls fn with the capabilities of those subjects, Extra's and the gains'.
	forFrom := func(fn func(c *capability)) {
		e.forCaps(&node{ids: from, own: n.own, gainSet: gs}, fn)
	}
	// have: what the identity holds (capability keys, interned).
	var have bitset
	forFrom(func(c *capability) { have.set(e.capID(c)) })
	gainAt := map[string]int{}
	// grant adds a gain (once per route, pair of grants, scope and rewritten role)
	// with the capabilities items bring in scope that the identity lacks (in scope,
	// or everywhere).
	grant := func(route string, scope string, caps []*capability, role, binding *ObjectRef, items []item, target *ObjectRef) {
		ns := scope
		if scope == "*" {
			ns = ""
		}
		fresh := false
		for i := range items {
			if it := &items[i]; !have.has(it.id) && !have.has(it.idAll) {
				fresh = true
				break
			}
		}
		if !fresh && target == nil {
			return
		}
		var kb strings.Builder
		kb.WriteString(route + "|" + scope)
		for _, c := range caps {
			kb.WriteString("|" + strconv.Itoa(int(e.capID(c))))
		}
		if role != nil {
			kb.WriteString("|" + role.String())
		}
		k := kb.String()
		gi, ok := gainAt[k]
		if !ok {
			gi = len(gs.gains)
			gainAt[k] = gi
			gs.gains = append(gs.gains, gain{route: route, caps: caps, scope: scope, role: role, binding: binding})
		}
		if target != nil && gs.gains[gi].target == nil {
			gs.gains[gi].target = target
		}
		for i := range items {
			it := &items[i]
			if have.has(it.id) || have.has(it.idAll) {
				continue
			}
			r := it.role
			if r == nil {
				r = role
			}
			have.set(it.id)
			gs.gained = append(gs.gained, capability{roleCap: it.rc, ns: ns, role: r, gain: gi, gs: gs, kid: it.id + 1})
			if it.rc.trig.t == tAdmin && ns == "" {
				gs.admin = true
			}
		}
	}

	type pairKey struct {
		cr    capKey
		scope string
	}
	donePairs := map[pairKey]bool{}
	for changed := true; changed && !gs.admin; {
		before := len(gs.gained) + len(gs.gains)
		byKind := map[trig][]*capability{}
		var seen bitset
		forFrom(func(c *capability) {
			if gainKinds&bit(c.trig.t) == 0 {
				return
			}
			if k := e.capID(c); !seen.has(k) {
				seen.set(k)
				byKind[c.trig.t] = append(byKind[c.trig.t], c)
			}
		})
		// Everywhere first: what it gives makes the same in one namespace nothing new.
		for _, cs := range byKind {
			slices.SortStableFunc(cs, func(a, b *capability) int { return cmp.Compare(a.ns, b.ns) })
		}
		// Capabilities by kind and namespace ("" at cluster level or everywhere).
		byNS := map[trig]map[string][]*capability{}
		for t, cs := range byKind {
			m := map[string][]*capability{}
			for _, c := range cs {
				m[c.ns] = append(m[c.ns], c)
			}
			byNS[t] = m
		}
		at := func(t trig, ns string) []*capability { return byNS[t][ns] }
		covering := func(t trig, ns string) []*capability { // in ns, or everywhere (not to be appended to)
			all := at(t, "")
			if ns == "" {
				return all
			}
			in := at(t, ns)
			switch {
			case len(in) == 0:
				return all
			case len(all) == 0:
				return in
			}
			return slices.Concat(all, in)
		}
		// bind: a binding naming itself, to a role it may bind (the authorizer checks
		// bind in the binding's namespace).
		bind := func(cb, cr *capability, scope string) {
			// The roles a bind grant reaches in a scope give the same whichever grant
			// creates the binding: once is enough (capabilities only grow).
			pk := pairKey{capKey{trig: cr.trig, names: cr.namesKey}, scope}
			if gs.admin || donePairs[pk] {
				return // nothing it gives is new since
			}
			donePairs[pk] = true
			target, _ := e.bindableTarget(cr, scope)
			grant(RouteBind, scope, []*capability{cb, cr}, nil, nil, e.bindItems(cr, scope), target)
		}
		for _, cb := range byKind[tCreateCRB] {
			for _, cr := range at(tBindCR, "") {
				bind(cb, cr, "")
			}
		}
		for _, cb := range byKind[tCreateRB] {
			// RoleBindings in one namespace: bind there or everywhere. In every
			// namespace: bind anywhere.
			var crs []*capability
			if cb.ns != "" {
				crs = slices.Concat(covering(tBindCR, cb.ns), covering(tBindRole, cb.ns))
			} else {
				crs = slices.Concat(byKind[tBindCR], byKind[tBindRole])
			}
			for _, cr := range crs {
				scope, ok := bindScope(cb, cr)
				switch {
				case !ok:
				case cr.trig.t == tBindRole && scope == "*":
					for _, ns := range e.roleNamespaces() { // a Role binds in its own namespace only
						bind(cb, cr, ns)
					}
				default:
					bind(cb, cr, scope)
				}
			}
		}
		// escalate: rewrite a role bound to the identity (escalate and update on it)...
		if len(byKind[tEscRole])+len(byKind[tEscCR]) > 0 {
			for _, id := range n.ids {
				for _, br := range e.bound[id] {
					r := br.role.ref
					esc, upd := tEscCR, tUpdateCR
					if r.Kind == "Role" {
						esc, upd = tEscRole, tUpdateRole
					}
					ce := firstAllowing(covering(esc, r.Namespace), r.Name)
					cu := firstAllowing(covering(upd, r.Namespace), r.Name)
					if ce != nil && cu != nil {
						role := &br.role.ref
						var target *ObjectRef
						if e.scopeCoversTarget(br.ns) {
							target = role
						}
						grant(RouteEscalate, br.ns, []*capability{ce, cu}, role, br.ref, e.starItems(br.ns), target)
					}
				}
			}
		}
		// ...or a new role of its own, created empty, bound to itself, then rewritten.
		newRole := func(ref ObjectRef, scope string, caps ...*capability) {
			if gs.admin {
				return
			}
			role := &ref
			var target *ObjectRef
			if e.scopeCoversTarget(scope) {
				target = role
			}
			grant(RouteEscalate, scope, caps, role, nil, e.starItems(scope), target)
		}
		if cc := firstAllowing(byKind[tCreateCR], ""); cc != nil {
			if ce, cu, name, ok := nameable(byKind[tEscCR], byKind[tUpdateCR]); ok {
				ref := ObjectRef{Kind: "ClusterRole", Name: name}
				if cb := firstAllowing(byKind[tCreateCRB], ""); cb != nil {
					newRole(ref, "", cc, cb, ce, cu)
				}
				for _, cb := range byKind[tCreateRB] {
					scope := cb.ns
					if scope == "" {
						scope = "*"
					}
					newRole(ref, scope, cc, cb, ce, cu)
				}
			}
		}
		if len(byKind[tEscRole]) > 0 && len(byKind[tCreateRole]) > 0 {
			for _, ns := range e.namespaces {
				cc, cb := firstAllowing(covering(tCreateRole, ns), ""), firstAllowing(covering(tCreateRB, ns), "")
				if cc == nil || cb == nil {
					continue
				}
				if ce, cu, name, ok := nameable(covering(tEscRole, ns), covering(tUpdateRole, ns)); ok {
					newRole(ObjectRef{Kind: "Role", Namespace: ns, Name: name}, ns, cc, cb, ce, cu)
				}
			}
		}
		changed = len(gs.gained)+len(gs.gains) > before
	}
}

// bitset is a set of small non-negative integers (interned capability keys).
type bitset []uint64

func (b *bitset) set(i int32) {
	for int(i>>6) >= len(*b) {
		*b = append(*b, 0)
	}
	(*b)[i>>6] |= 1 << (i & 63)
}

func (b bitset) has(i int32) bool {
	w := int(i >> 6)
	return w < len(b) && b[w]&(1<<(i&63)) != 0
}

// capID is the interned key of what c opens (computed once per capability).
func (e *Escalator) capID(c *capability) int32 {
	if c.kid == 0 {
		c.kid = e.keyID(c.key()) + 1
	}
	return c.kid - 1
}

func (e *Escalator) keyID(k capKey) int32 {
	if id, ok := e.keyIDs[k]; ok {
		return id
	}
	id := int32(len(e.keyIDs))
	e.keyIDs[k] = id
	return id
}

// item is a capability a gain brings in its scope: a rule of a role bound, or of a
// role rewritten (role nil: the gain's).
type item struct {
	rc   *roleCap
	role *ObjectRef
	// id and idAll are the interned keys of rc in the scope and everywhere.
	id, idAll int32
}

// items are the capabilities u gives in scope ("*": every namespace), cluster-level
// ones only at cluster level.
func (e *Escalator) items(u []unionRole, scope string) []item {
	ns := scope
	if scope == "*" {
		ns = ""
	}
	var out []item
	for i := range u {
		for _, rc := range u[i].caps {
			if rc.trig.cluster && scope != "" {
				continue
			}
			out = append(out, item{rc: rc, role: &u[i].role,
				id: e.keyID(capKey{trig: rc.trig, ns: ns, names: rc.namesKey}), idAll: e.keyID(capKey{trig: rc.trig, names: rc.namesKey})})
		}
	}
	return out
}

// bindItems is what binding the roles bind grant cr allows gives in scope, worked
// out once per snapshot.
func (e *Escalator) bindItems(cr *capability, scope string) []item {
	k := targetKey{t: cr.trig.t, names: cr.namesKey, scope: scope}
	if it, ok := e.bindMemo[k]; ok {
		return it
	}
	u := e.bindableCRs(cr.names)
	if cr.trig.t == tBindRole {
		u = e.bindableRoles(scope, cr.names)
	}
	it := e.items(u, scope)
	e.bindMemo[k] = it
	return it
}

// starItems is what a rewritten role (every verb on everything) gives in scope.
func (e *Escalator) starItems(scope string) []item {
	if it, ok := e.starMemo[scope]; ok {
		return it
	}
	caps := e.roleCaps(e.star)
	u := []unionRole{{}}
	for i := range caps {
		u[0].caps = append(u[0].caps, &caps[i])
	}
	it := e.items(u, scope)
	for i := range it {
		it[i].role = nil
	}
	e.starMemo[scope] = it
	return it
}

// roleNamespaces are the namespaces that have Roles, sorted.
func (e *Escalator) roleNamespaces() []string {
	return slices.Sorted(maps.Keys(e.roles))
}

func (e *Escalator) hasKinds(n *node, kinds uint64) bool {
	for _, id := range n.ids {
		if e.kinds[id]&kinds != 0 {
			return true
		}
	}
	return false
}

// bindScope is where a binding creation cb and a bind grant cr let the identity bind:
// a namespace, "" (a ClusterRoleBinding) or "*" (RoleBindings in every namespace).
func bindScope(cb, cr *capability) (string, bool) {
	switch {
	case cb.trig.t == tCreateCRB:
		return "", cr.trig.t == tBindCR && cr.ns == ""
	case cb.ns != "":
		return cb.ns, cr.ns == "" || cr.ns == cb.ns
	case cr.ns != "":
		return cr.ns, true
	}
	return "*", true
}

// bindableTarget is the first role bind grant cr lets the identity bind in scope that
// allows the who-can question the graph is built for.
func (e *Escalator) bindableTarget(cr *capability, scope string) (*ObjectRef, bool) {
	if e.target == nil || !e.scopeCoversTarget(scope) {
		return nil, false
	}
	k := targetKey{t: cr.trig.t, names: cr.namesKey, scope: scope}
	if r, ok := e.targetMemo[k]; ok {
		return r, r != nil
	}
	r, ok := e.findBindableTarget(cr, scope)
	e.targetMemo[k] = r
	return r, ok
}

type targetKey struct {
	t            trig
	names, scope string
}

func (e *Escalator) findBindableTarget(cr *capability, scope string) (*ObjectRef, bool) {
	a := &e.target.Attributes
	if cr.trig.t == tBindCR {
		for _, name := range e.crNames {
			if cr.allowsName(name) && FirstAllowingRule(a, e.clusterRoles[name].Rules) >= 0 {
				return &ObjectRef{Kind: "ClusterRole", Name: name}, true
			}
		}
		return nil, false
	}
	for _, r := range e.roles[scope] {
		if cr.allowsName(r.Name) && FirstAllowingRule(a, r.Rules) >= 0 {
			return &ObjectRef{Kind: "Role", Namespace: scope, Name: r.Name}, true
		}
	}
	return nil, false
}

// scopeCoversTarget reports whether permissions in scope apply to the who-can question.
func (e *Escalator) scopeCoversTarget(scope string) bool {
	q := e.target
	if q == nil {
		return false
	}
	if scope == "" {
		return true
	}
	return !q.ClusterLevel() && (scope == "*" || q.AllNamespaces || scope == q.Namespace)
}

// gainStep is a gain of n, through one of its roles, as a step.
func gainStep(n *node, use gainUse) Step {
	g := &n.gains[use.gain]
	var grants []string
	for _, c := range g.caps {
		grants = append(grants, c.describe())
	}
	role := *use.role
	ns := g.scope
	if ns == "*" {
		ns = ""
	}
	return Step{Route: g.route, As: n.subject, Grant: strings.Join(grants, ", "), LeadsTo: g.leadsTo(use.role), Namespace: ns, Role: &role}
}

func scopeWords(scope string) string {
	switch scope {
	case "":
		return " cluster-wide"
	case "*":
		return " in every namespace"
	}
	return " in namespace " + scope
}

// commonName is a role name both capabilities allow ("eksiam-escalate" when neither
// limits names).
func commonName(a, b *capability) (string, bool) {
	switch {
	case a.names == nil && b.names == nil:
		return "eksiam-escalate", true
	case a.names == nil:
		return b.names[0], true
	case b.names == nil:
		return a.names[0], true
	}
	for _, x := range a.names {
		if slices.Contains(b.names, x) {
			return x, true
		}
	}
	return "", false
}

// firstAllowing is the first of caps that allows name ("": any capability; a create
// is never limited to names).
func firstAllowing(caps []*capability, name string) *capability {
	for _, c := range caps {
		if name == "" && c.trig.verbs[0] == "create" {
			if c.names == nil {
				return c
			}
			continue
		}
		if name == "" || c.allowsName(name) {
			return c
		}
	}
	return nil
}

// nameable finds an escalate and an update capability that allow one role name.
func nameable(escs, updates []*capability) (ce, cu *capability, name string, ok bool) {
	for _, ce := range escs {
		for _, cu := range updates {
			if name, ok := commonName(ce, cu); ok {
				return ce, cu, name, true
			}
		}
	}
	return nil, nil, "", false
}

// simpleEdges are the routes capabilities open one at a time.
func (e *Escalator) simpleEdges(caps []*capability) []edge {
	type key struct {
		to    int32
		route string
	}
	seen := map[key]bool{}
	var out []edge
	add := func(to int32, route string, step Step, caps ...*capability) {
		k := key{to, route}
		if seen[k] {
			return
		}
		seen[k] = true
		step.Route = route
		out = append(out, edge{to: to, caps: caps, step: step, w: 1})
	}
	sas := func(c *capability) int32 {
		if c.ns == "" {
			return e.hub(kHubAllSAs)
		}
		return e.hubNS(c.ns)
	}
	// namedSAs are the service accounts called name in c's namespace (or any).
	namedSAs := func(c *capability, fn func(int32)) {
		for _, name := range c.names {
			if c.ns != "" {
				fn(e.subjectNode(Subject{Kind: rbacv1.ServiceAccountKind, Namespace: c.ns, Name: name}))
				continue
			}
			for _, ns := range e.namespaces {
				if name == "default" || slices.Contains(e.sasIn[ns], Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}) {
					fn(e.subjectNode(Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}))
				}
			}
		}
	}
	for _, c := range caps {
		switch c.trig.t {
		case tCreatePods:
			if c.names == nil {
				add(sas(c), RouteCreatePods, Step{Namespace: c.ns}, c)
			}
		case tWorkload:
			if c.names == nil {
				add(sas(c), RouteWorkloads, Step{Namespace: c.ns}, c)
			}
		case tRunningPod:
			add(sas(c), RouteRunningPods, Step{Namespace: c.ns, Condition: "a pod runs as it there"}, c)
		case tSecrets:
			if c.names == nil {
				add(sas(c), RouteSecrets, Step{Namespace: c.ns, Condition: "a legacy token Secret of it exists there"}, c)
			}
		case tToken, tImpSA:
			route := RouteToken
			if c.trig.t == tImpSA {
				route = RouteImpersonate
			}
			if c.names == nil {
				add(sas(c), route, Step{Namespace: c.ns}, c)
			} else {
				namedSAs(c, func(to int32) { add(to, route, Step{Namespace: c.ns}, c) })
			}
		case tImpUser:
			if c.names == nil {
				add(e.hub(kHubUsers), RouteImpersonate, Step{}, c)
				continue
			}
			for _, name := range c.names {
				if s := SubjectForUsername(name); s.Kind == rbacv1.UserKind {
					add(e.subjectNode(s), RouteImpersonate, Step{}, c)
				}
			}
		case tNodeProxy:
			add(e.hub(kHubAllSAs), RouteNodeProxy, Step{Condition: "a pod runs as it on a node it can proxy to"}, c)
		case tWebhook:
			cond := "pods are created from then on (the webhook rewrites them to run as it)"
			if c.trig.resource == "validatingwebhookconfigurations" {
				cond = "a legacy token Secret of it is written from then on (the webhook sees it)"
			}
			add(e.hub(kHubAllSAs), RouteWebhook, Step{Condition: cond}, c)
		case tAdminObject:
			o := e.opts.AdminObjects[c.trig.obj]
			if (c.ns == "" || c.ns == o.Namespace) && c.allowsName(o.Name) {
				add(adminNode, o.Route, Step{Namespace: o.Namespace, Name: o.Name, LeadsTo: o.LeadsTo, Condition: o.Condition}, c)
			}
		}
	}
	return out
}

// jointEdges are the routes that need capabilities together: impersonating groups
// (with a user or service account), and a client certificate (create a request,
// approve it, for the signer).
func (e *Escalator) jointEdges(n *node) []edge {
	var out []edge
	var imp, groups, csrCreate, csrApprove, signers []*capability
	e.forCaps(n, func(c *capability) {
		switch c.trig.t {
		case tImpUser, tImpSA:
			imp = append(imp, c)
		case tImpGroup:
			groups = append(groups, c)
		case tCSRCreate:
			csrCreate = append(csrCreate, c)
		case tCSRApprove:
			csrApprove = append(csrApprove, c)
		case tSigner:
			signers = append(signers, c)
		}
	})
	if len(imp) > 0 {
		for _, c := range groups {
			caps := []*capability{c, imp[0]}
			if c.allowsName(SuperuserGroup) {
				out = append(out, edge{to: adminNode, caps: caps, w: 1, step: Step{Route: RouteImpersonate,
					Target: &Subject{Kind: rbacv1.GroupKind, Name: SuperuserGroup}, LeadsTo: "group " + SuperuserGroup + " (cluster admin)"}})
			}
			if c.names == nil {
				out = append(out, edge{to: e.hub(kHubGroups), caps: caps, w: 1, step: Step{Route: RouteImpersonate}})
				continue
			}
			for _, name := range c.names {
				if name != SuperuserGroup {
					out = append(out, edge{to: e.subjectNode(Subject{Kind: rbacv1.GroupKind, Name: name}), caps: caps, w: 1, step: Step{Route: RouteImpersonate}})
				}
			}
		}
	}
	if len(csrCreate) == 0 || len(csrApprove) == 0 {
		return out
	}
	for _, sg := range signers {
		caps := []*capability{csrCreate[0], csrApprove[0], sg}
		if sg.allowsName(signerClient) || sg.allowsName("kubernetes.io/*") {
			out = append(out, edge{to: e.hub(kHubClients), caps: caps, w: 1, step: Step{Route: RouteCSR, Name: signerClient,
				Condition: "the cluster's " + signerClient + " signer issues certificates (EKS's may not), for any user and groups but " + SuperuserGroup}})
		}
		if sg.allowsName(signerKubeletClient) || sg.allowsName("kubernetes.io/*") {
			out = append(out, edge{to: e.subjectNode(Subject{Kind: rbacv1.GroupKind, Name: "system:nodes"}), caps: caps, w: 1, step: Step{Route: RouteCSR, Name: signerKubeletClient,
				Condition: "the cluster's " + signerKubeletClient + " signer issues certificates (a node's identity, system:node:NAME in system:nodes)"}})
		}
	}
	return out
}

// ---- Searches ----

// pq is a priority queue of nodes by distance.
type pq struct {
	items []int32
	dist  func(int32) int
}

func (q *pq) Len() int { return len(q.items) }
func (q *pq) Less(i, j int) bool {
	a, b := q.items[i], q.items[j]
	return cmp.Or(cmp.Compare(q.dist(a), q.dist(b)), cmp.Compare(a, b)) < 0
}
func (q *pq) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *pq) Push(x any)    { q.items = append(q.items, x.(int32)) }
func (q *pq) Pop() any {
	x := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return x
}

const unreached = int(^uint(0) >> 1)

// edgeWeight is the steps an edge takes: its route and the gains it needs.
func edgeWeight(n *node, ed *edge) int {
	for _, c := range ed.caps {
		if c.gain >= 0 {
			return ed.w + len(gainClosure(n, ed.caps))
		}
	}
	return ed.w
}

// gainClosure lists, in order, the gains of n (each through a role) that caps need,
// and what those need.
func gainClosure(n *node, caps []*capability) []gainUse {
	var need []gainUse
	var visit func(c *capability)
	visit = func(c *capability) {
		if c.gain < 0 {
			return
		}
		use := gainUse{c.gain, c.role}
		if slices.ContainsFunc(need, func(u gainUse) bool { return u.gain == use.gain && *u.role == *use.role }) {
			return
		}
		need = append(need, use)
		for _, d := range n.gains[c.gain].caps {
			visit(d)
		}
	}
	for _, c := range caps {
		visit(c)
	}
	slices.SortStableFunc(need, func(a, b gainUse) int { return cmp.Compare(a.gain, b.gain) })
	return need
}

// gainSteps are the steps of the gains caps need.
func gainSteps(n *node, caps []*capability) []Step {
	var out []Step
	for _, use := range gainClosure(n, caps) {
		out = append(out, gainStep(n, use))
	}
	return out
}

// gainCap is a capability standing for gain gi through role (its target, its first
// role), for the gains a path ends with.
func gainCap(n *node, gi int, role *ObjectRef) *capability {
	if role == nil {
		for i := range n.gained {
			if n.gained[i].gain == gi {
				role = n.gained[i].role
				break
			}
		}
	}
	return &capability{gain: gi, role: role}
}

// EscalationResult is what an identity can become.
type EscalationResult struct {
	// Paths: the shortest to cluster admin, alone, when there is one (cluster admin
	// reaches everything else). Otherwise one per route the identity's own grants open
	// (what one step reaches: a subject, the service accounts of a namespace, every
	// user...), each role it can give itself, and the shortest to each further subject
	// some binding names: by length, then what they reach, at most MaxPaths.
	Paths []Path
	// ClusterAdmin: the identity is a cluster admin already (no path needed).
	ClusterAdmin bool
	// Omitted counts the paths left out beyond MaxPaths.
	Omitted int
}

// MaxPaths bounds the paths From lists when cluster admin is out of reach, the
// shortest first: a subject that can create pods everywhere reaches every service
// account.
const MaxPaths = 100

type via struct {
	from int32
	ed   *edge
}

// From finds what the identity id (shown as subject) can become, following the
// routes transitively to a fixed point. extra is consulted beside RBAC for the
// identity itself (EKS access policies), nil for none.
func (e *Escalator) From(subject Subject, id Identity, extra Authorizer) EscalationResult {
	res := EscalationResult{Paths: []Path{}}
	g := e.graphFor(nil)
	// A fresh start node each time (its Extra differs), which no other node points to.
	start := int32(len(g.nodes))
	g.nodes = append(g.nodes, &node{kind: kStart, subject: subject, id: id, ids: e.idsOf(id), extra: extra})

	var dist []int
	var parent []via
	distOf := func(i int32) int {
		if int(i) < len(dist) {
			return dist[i]
		}
		return unreached
	}
	setDist := func(i int32, d int, p via) {
		for len(dist) <= int(i) {
			dist = append(dist, unreached)
			parent = append(parent, via{})
		}
		dist[i], parent[i] = d, p
	}
	setDist(start, 0, via{})
	q := &pq{dist: distOf}
	heap.Push(q, start)
	done := map[int32]bool{}
	for q.Len() > 0 {
		ni := heap.Pop(q).(int32)
		if done[ni] {
			continue
		}
		done[ni] = true
		if ni == adminNode {
			break // the shortest path to cluster admin, which reaches everything else
		}
		e.expand(ni)
		n := g.nodes[ni]
		n.edges(func(ed *edge) {
			if d := distOf(ni) + edgeWeight(n, ed); d < distOf(ed.to) {
				setDist(ed.to, d, via{ni, ed})
				heap.Push(q, ed.to)
			}
		})
	}
	pathTo := func(to int32) Path {
		return finishPath(e.stepsTo(start, to, func(i int32) via { return parent[i] }), g.nodes[to])
	}

	startNode := g.nodes[start]
	if d := distOf(adminNode); d != unreached {
		// Cluster admin reaches everything: its path says it all.
		if d == 0 {
			res.ClusterAdmin = true
		} else {
			res.Paths = append(res.Paths, pathTo(adminNode))
		}
		return res
	}
	var others []Path
	// The routes its own grants open, one step each (hubs named as such).
	firstStep := map[int32]bool{}
	startNode.edges(func(ed *edge) {
		if ed.to == adminNode {
			return
		}
		firstStep[ed.to] = true
		steps := e.appendStep(nil, startNode, ed, g.nodes[ed.to])
		last := &steps[len(steps)-1]
		if last.LeadsTo == "" {
			hub := g.nodes[ed.to]
			last.LeadsTo = e.hubLabel(hub)
			switch hub.kind {
			case kHubNS:
				last.AnyServiceAccount, last.Namespace = true, hub.ns
			case kHubAllSAs:
				last.AnyServiceAccount, last.Namespace = true, ""
			}
		}
		others = append(others, finishPath(steps, nil, last.LeadsTo))
		if m := g.nodes[ed.to]; m.kind == kSA || m.kind == kUser || m.kind == kGroup {
			t := m.subject
			others[len(others)-1].Target = &t
		}
	})
	// Roles it gives itself.
	if startNode.gainSet != nil {
		for gi := range startNode.gains {
			steps := gainSteps(startNode, []*capability{gainCap(startNode, gi, nil)})
			others = append(others, finishPath(steps, nil, steps[len(steps)-1].LeadsTo))
		}
	}
	// Further subjects, when cluster admin (which reaches them all) is out of reach:
	// those some binding names (or the default service account of a namespace whose
	// group is bound) that bring something the identity lacks.
	var further []int32
	for i, d := range dist {
		ni := int32(i)
		n := g.nodes[ni]
		if ni == start || d == unreached || firstStep[ni] || (n.kind != kSA && n.kind != kUser && n.kind != kGroup) {
			continue
		}
		if _, named := e.ids[n.subject]; named && slices.ContainsFunc(n.ids, func(id int32) bool { return !slices.Contains(startNode.ids, id) }) {
			further = append(further, ni)
		}
	}
	slices.SortStableFunc(further, func(a, b int32) int {
		return cmp.Or(cmp.Compare(dist[a], dist[b]), CompareSubjects(g.nodes[a].subject, g.nodes[b].subject))
	})
	for _, ni := range further {
		if len(others) >= MaxPaths {
			break
		}
		others = append(others, pathTo(ni))
	}
	slices.SortStableFunc(others, func(a, b Path) int {
		return cmp.Or(cmp.Compare(len(a.Steps), len(b.Steps)), cmp.Compare(a.Reaches, b.Reaches))
	})
	if len(others)+len(further) > MaxPaths {
		res.Omitted = len(others) + len(further) - MaxPaths
	}
	if len(others) > MaxPaths {
		others = others[:MaxPaths]
	}
	res.Paths = append(res.Paths, others...)
	return res
}

// hubLabel says what a hub stands for.
func (e *Escalator) hubLabel(n *node) string {
	switch n.kind {
	case kHubNS:
		return "any service account in namespace " + n.ns
	case kHubAllSAs:
		return "any service account in any namespace"
	case kHubUsers:
		return "any user"
	case kHubGroups:
		return "any group but " + SuperuserGroup
	case kHubClients:
		return "any user and groups but " + SuperuserGroup
	}
	return ""
}

// appendStep appends the steps of edge ed from n to m: the gains it needs, then its
// route; a hub's member is the target of the step that entered the hub.
func (e *Escalator) appendStep(steps []Step, n *node, ed *edge, m *node) []Step {
	if n.kind >= kHubNS {
		if len(steps) > 0 {
			setTarget(&steps[len(steps)-1], m)
		}
		return steps
	}
	steps = append(steps, gainSteps(n, ed.caps)...)
	return append(steps, e.stepOf(n, ed, m))
}

func setTarget(s *Step, n *node) {
	if n.kind != kSA && n.kind != kUser && n.kind != kGroup {
		return
	}
	t := n.subject
	s.Target = &t
	s.LeadsTo = SubjectLabel(t)
}

// stepOf is the step of edge ed from n to m.
func (e *Escalator) stepOf(n *node, ed *edge, m *node) Step {
	s := ed.step
	s.As = n.subject
	if s.Grant == "" {
		var grants []string
		for _, c := range ed.caps {
			grants = append(grants, c.describe())
		}
		s.Grant = strings.Join(grants, ", ")
	}
	if s.LeadsTo == "" {
		switch {
		case m.kind == kSA || m.kind == kUser || m.kind == kGroup:
			setTarget(&s, m)
		case m.kind == kAdmin:
			s.LeadsTo = ReachesClusterAdmin
		}
	}
	return s
}

func finishPath(steps []Step, to *node, reaches ...string) Path {
	p := Path{Steps: steps}
	switch {
	case len(reaches) > 0:
		p.Reaches = reaches[0]
	case to.kind == kAdmin:
		p.Reaches, p.ClusterAdmin = ReachesClusterAdmin, true
	default:
		t := to.subject
		p.Reaches, p.Target = SubjectLabel(t), &t
	}
	for _, s := range steps {
		if s.Condition != "" {
			p.Conditional = true
		}
	}
	return p
}

// Reached is a subject that reaches an action only through an escalation path.
type Reached struct {
	Subject Subject
	Path    Path
}

// Reaching answers the who-can question q from the escalation side: the subjects some
// binding names (system:masters aside) that are not allowed q, as IdentityOf has them
// (their implicit groups included), but reach an identity that is, or cluster admin,
// or permissions that allow it, each with a path. direct are the subjects WhoCan(q)
// lists; action is what the paths reach, in words. Sorted like WhoCan.
//
// Every identity is its own subject plus groups others share (system:authenticated,
// system:serviceaccounts and the namespace's). When those groups alone reach the
// action, the identity does too, by the same path (its steps taken as the identity):
// that path is found once per set of groups, and it is the one shown, which may be
// longer than one through the identity's own grants. Otherwise the identity's own
// search runs. The searches share what they learn (reachMemo): the distance to the
// action from every node on a path found, and the nodes that lead nowhere.
func (e *Escalator) Reaching(q Query, direct []SubjectAccess, action string) []Reached {
	return e.reaching(q, direct, action, true)
}

// reaching is Reaching; share=false gives each search a memo of its own (the tests
// compare the two).
func (e *Escalator) reaching(q Query, direct []SubjectAccess, action string, share bool) []Reached {
	e.graphFor(&q)
	goal := map[int32]bool{}
	for _, sa := range direct {
		if id, ok := e.ids[sa.Subject]; ok {
			goal[id] = true
		}
	}
	isGoal := func(ni int32) bool {
		return ni == adminNode || slices.ContainsFunc(e.g.nodes[ni].ids, func(id int32) bool { return goal[id] })
	}
	newMemo := func() *reachMemo {
		return &reachMemo{isGoal: isGoal, known: map[int32]int{}, next: map[int32]via{}, gain: map[int32]int{}, dead: map[int32]bool{}}
	}
	m := newMemo()
	shared := map[string]*Path{}
	groups := Subject{Kind: "shared groups"} // As of the steps a shared search takes
	var out []Reached
	for _, s := range e.ix.subjects {
		if s.Kind == rbacv1.GroupKind && s.Name == SuperuserGroup {
			continue
		}
		ci := e.subjectNode(s)
		if isGoal(ci) {
			continue // allowed as it is
		}
		if !share {
			m = newMemo()
		}
		n := e.g.nodes[ci]
		own, hasOwn := e.ids[n.subject]
		var others []int32
		var names []string
		for _, id := range n.ids {
			if !hasOwn || id != own {
				others = append(others, id)
				names = append(names, e.ix.subjects[id].Name)
			}
		}
		var p *Path
		if hasOwn && len(others) > 0 {
			key := fmt.Sprint(others)
			sp, ok := shared[key]
			if !ok {
				si := e.node("shared/"+key, func() *node {
					return &node{kind: kGroup, subject: groups, id: Identity{Groups: names}}
				})
				sp = e.search(si, m, action)
				shared[key] = sp
			}
			if sp != nil {
				c := *sp
				c.Steps = slices.Clone(c.Steps)
				for i := range c.Steps {
					if c.Steps[i].As == groups {
						c.Steps[i].As = n.subject
					}
				}
				p = &c
			}
		}
		if p == nil {
			p = e.search(ci, m, action)
		}
		if p != nil {
			out = append(out, Reached{Subject: n.subject, Path: *p})
		}
	}
	slices.SortFunc(out, func(a, b Reached) int { return CompareSubjects(a.Subject, b.Subject) })
	return out
}

// reachMemo is what Reaching's searches have learnt, shared between them: the exact
// distance to a goal of every node on a path found (a part of a shortest path is a
// shortest path), the next hop from it, the gain a path ends with, and the nodes from
// which no goal can be reached.
type reachMemo struct {
	isGoal func(int32) bool
	known  map[int32]int
	next   map[int32]via // via.from is the next node here
	gain   map[int32]int // a path's last node, when it ends with a gain: the gain
	dead   map[int32]bool
}

// search is the shortest path from node start to a goal (isGoal, or a role it can
// give itself that allows the question the graph is built for), nil when there is
// none. A node on a path found before is not expanded again: its distance to a goal
// is known, and the path goes on as it did. When nothing is found, every node the
// search explored is marked dead, and later searches stop there.
func (e *Escalator) search(start int32, m *reachMemo, action string) *Path {
	if _, ok := m.known[start]; !ok {
		if !e.explore(start, m) {
			return nil
		}
	}
	// Follow the next hops to the last node.
	var steps []Step
	at := start
	for {
		nx, ok := m.next[at]
		if !ok {
			break
		}
		steps = e.appendStep(steps, e.g.nodes[at], nx.ed, e.g.nodes[nx.from])
		at = nx.from
	}
	n := e.g.nodes[at]
	var p Path
	gi, withGain := m.gain[at]
	switch {
	case at == adminNode:
		p = finishPath(steps, n)
	case withGain:
		steps = append(steps, gainSteps(n, []*capability{gainCap(n, gi, n.gains[gi].target)})...)
		p = finishPath(steps, nil, action)
	default:
		p = finishPath(steps, nil, action)
		t := n.subject
		p.Target = &t
	}
	return &p
}

// explore runs Dijkstra from start (not yet known) to the nearest goal and records
// the path in m; false when no goal is reachable.
func (e *Escalator) explore(start int32, m *reachMemo) bool {
	g := e.g
	dist := map[int32]int{start: 0}
	parent := map[int32]via{}
	q := &pq{dist: func(i int32) int { return dist[i] }}
	heap.Push(q, start)
	done := map[int32]bool{}
	best, bestAt, bestGain := unreached, int32(-1), -1
	var explored []int32
	for q.Len() > 0 {
		ni := heap.Pop(q).(int32)
		if done[ni] {
			continue
		}
		d := dist[ni]
		if d >= best {
			break
		}
		done[ni] = true
		explored = append(explored, ni)
		if m.isGoal(ni) {
			bestAt, bestGain = ni, -1
			m.known[ni] = 0
			best = d
			break
		}
		if h, ok := m.known[ni]; ok {
			if d+h < best {
				best, bestAt, bestGain = d+h, ni, -1
			}
			continue // its path is known; going through it again cannot do better
		}
		if m.dead[ni] {
			continue
		}
		e.expand(ni)
		n := g.nodes[ni]
		if n.gainSet != nil {
			for gi := range n.gains {
				if t := n.gains[gi].target; t != nil {
					if c := d + len(gainClosure(n, []*capability{gainCap(n, gi, t)})); c < best {
						best, bestAt, bestGain = c, ni, gi
					}
				}
			}
		}
		n.edges(func(ed *edge) {
			nd := d + edgeWeight(n, ed)
			if old, ok := dist[ed.to]; !ok || nd < old {
				dist[ed.to], parent[ed.to] = nd, via{ni, ed}
				heap.Push(q, ed.to)
			}
		})
	}
	if bestAt < 0 {
		for _, ni := range explored {
			m.dead[ni] = true
		}
		return false
	}
	if bestGain >= 0 {
		m.gain[bestAt] = bestGain
		m.known[bestAt] = best - dist[bestAt]
	}
	for at := bestAt; at != start; {
		p := parent[at]
		m.next[p.from] = via{from: at, ed: p.ed}
		m.known[p.from] = best - dist[p.from]
		at = p.from
	}
	return true
}

// stepsTo are the steps of the path a search found from start to node to, following
// parentOf (the edge each node was reached by) back.
func (e *Escalator) stepsTo(start, to int32, parentOf func(int32) via) []Step {
	var hops []int32
	for at := to; at != start; at = parentOf(at).from {
		hops = append(hops, at)
	}
	slices.Reverse(hops)
	var steps []Step
	for _, at := range hops {
		p := parentOf(at)
		steps = e.appendStep(steps, e.g.nodes[p.from], p.ed, e.g.nodes[at])
	}
	return steps
}
