package rbac

import (
	"cmp"
	"container/heap"
	"fmt"
	"slices"
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
	for _, w := range []struct{ group, resource string }{
		{"apps", "deployments"}, {"apps", "replicasets"}, {"apps", "statefulsets"}, {"apps", "daemonsets"},
		{"batch", "jobs"}, {"batch", "cronjobs"}, {"", "replicationcontrollers"},
	} {
		ts = append(ts, trigger{t: tWorkload, verbs: cud, group: w.group, resource: w.resource})
	}
	return ts
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
	rule  *rbacv1.PolicyRule
	names []string // nil: any name
}

// capability is a roleCap an identity holds in a scope.
type capability struct {
	*roleCap
	// ns the grant applies in: "" at cluster level or (for namespaced triggers) in
	// every namespace.
	ns string
	// source in words: "RoleBinding/app/dev -> Role/app/dev", an access policy, or a
	// gained role.
	source string
	// gain is the index of the gain (in its node) that gave it, -1 for none.
	gain int
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
	if c.names != nil {
		s += " [" + strings.Join(c.names, ",") + "]"
	}
	return s + c.where() + " (" + c.source + ")"
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
				if verbMatches(rule, v) {
					out = append(out, roleCap{trig: t, verb: v, rule: rule, names: rule.ResourceNames})
					break
				}
			}
		}
	}
	return out
}

// boundRole is a role bound to a subject, and the scope of the binding.
type boundRole struct {
	role *role
	ns   string // "" for a ClusterRoleBinding
	ref  ObjectRef
}

// Escalator finds escalation paths over one snapshot: from one identity to what it can
// become (From), and to one action from every subject (Reaching). It is built once per
// snapshot (every rule is matched against the routes once) and is not safe for
// concurrent use.
type Escalator struct {
	ix       *Index
	opts     EscalationOptions
	triggers []trigger
	// caps of each subject (by index subject number), and the roles bound to it.
	caps  [][]capability
	bound [][]boundRole
	ids   map[Subject]int32
	// every role of the snapshot, bound or not, for the bind route.
	clusterRoles []rbacv1.ClusterRole
	roles        map[string][]*rbacv1.Role
	capsOf       map[*rbacv1.PolicyRule][]roleCap // by the first rule of a role
	sasIn        map[string][]Subject             // named service accounts by namespace
	namespaces   []string
	users        []Subject
	groups       []Subject
	// star is the rule a rewritten role gets: every verb on everything.
	star []rbacv1.PolicyRule

	g *graph
}

// NewEscalator prepares s (indexed as ix) for escalation questions.
func NewEscalator(s *Snapshot, ix *Index, opts EscalationOptions) *Escalator {
	e := &Escalator{ix: ix, opts: opts, triggers: staticTriggers(), ids: map[Subject]int32{},
		clusterRoles: s.ClusterRoles, roles: map[string][]*rbacv1.Role{}, capsOf: map[*rbacv1.PolicyRule][]roleCap{},
		sasIn: map[string][]Subject{}}
	for i, o := range opts.AdminObjects {
		e.triggers = append(e.triggers, trigger{t: tAdminObject, verbs: o.Verbs, group: o.Group, resource: o.Resource, cluster: o.Namespace == "", obj: i})
	}
	e.star = []rbacv1.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}
	for i := range s.Roles {
		r := &s.Roles[i]
		e.roles[r.Namespace] = append(e.roles[r.Namespace], r)
	}
	e.caps = make([][]capability, len(ix.subjects))
	e.bound = make([][]boundRole, len(ix.subjects))
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
			e.bound[s.id] = append(e.bound[s.id], boundRole{role: r, ns: ns, ref: b.ref})
		}
		caps := e.roleCaps(r.rules)
		if len(caps) == 0 {
			return
		}
		source := b.ref.String() + " -> " + r.ref.String()
		for i := range caps {
			if caps[i].trig.cluster && ns != "" {
				continue
			}
			for _, s := range b.subjects {
				e.caps[s.id] = append(e.caps[s.id], capability{roleCap: &caps[i], ns: ns, source: source, gain: -1})
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
	gained   []capability // capabilities from gains
	gains    []gain
	edges    []edge
}

// gain is a permission an identity gives itself (bind, escalate).
type gain struct {
	step Step
	deps []int // gains it needs
	// rules gained, and where: a namespace, "" cluster-wide, "*" in every namespace.
	rules []rbacv1.PolicyRule
	scope string
}

type edge struct {
	to   int32
	caps []*capability // the grants that open the route
	step Step          // Grant and Target are filled in when a path is built
	w    int           // steps it takes (0 for a hub's member)
}

type graph struct {
	nodes []*node
	byKey map[string]int32
}

func (e *Escalator) graph() *graph {
	if e.g == nil {
		e.g = &graph{byKey: map[string]int32{}}
		e.node("admin", func() *node { return &node{kind: kAdmin} })
	}
	return e.g
}

func (e *Escalator) node(key string, mk func() *node) int32 {
	g := e.graph()
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

func subjectLabel(s Subject) string {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		return "serviceaccount/" + s.Namespace + "/" + s.Name
	case rbacv1.UserKind:
		return "user/" + s.Name
	}
	return "group/" + s.Name
}

// forCaps calls fn with every capability of n: its subjects', Extra's, its gains'.
func (e *Escalator) forCaps(n *node, fn func(c *capability)) {
	for _, id := range n.ids {
		for i := range e.caps[id] {
			fn(&e.caps[id][i])
		}
	}
	for i := range n.gained {
		fn(&n.gained[i])
	}
}

// expand computes what n gives itself (gains) and where it can go (edges).
func (e *Escalator) expand(ni int32) {
	g := e.graph()
	n := g.nodes[ni]
	if n.expanded {
		return
	}
	n.expanded = true
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
			n.edges = append(n.edges, edge{to: e.subjectNode(Subject{Kind: rbacv1.ServiceAccountKind, Namespace: n.ns, Name: name})})
		}
		return
	case kHubAllSAs:
		for _, ns := range e.namespaces {
			n.edges = append(n.edges, edge{to: e.hubNS(ns)})
		}
		return
	case kHubUsers, kHubClients:
		for _, u := range e.users {
			n.edges = append(n.edges, edge{to: e.subjectNode(u)})
		}
		if n.kind == kHubClients {
			n.edges = append(n.edges, edge{to: e.hub(kHubGroups)})
		}
		return
	case kHubGroups:
		for _, grp := range e.groups {
			n.edges = append(n.edges, edge{to: e.subjectNode(grp)})
		}
		return
	}
	if n.kind == kStart && n.extra != nil {
		e.extraCaps(n)
	}
	if n.id.Superuser() {
		n.edges = append(n.edges, edge{to: adminNode, step: Step{Route: RouteAdmin, LeadsTo: ReachesClusterAdmin,
			Grant: "member of " + SuperuserGroup + ", which the API server allows everything"}, w: 0})
		return
	}
	e.gainsOf(n)
	e.edgesOf(ni, n)
	// A cluster admin reaches everything: nothing beyond it is worth a path.
	for _, ed := range n.edges {
		if ed.to == adminNode && ed.step.Route == RouteAdmin {
			n.edges = []edge{ed}
			break
		}
	}
}

// extraCaps asks Extra about every trigger, at cluster level and in each namespace
// where it grants more.
func (e *Escalator) extraCaps(n *node) {
	namespaces := n.extra.Namespaces(e.namespaces)
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
				if ok, source := n.extra.Allows(&a); ok {
					rc := &roleCap{trig: t, verb: v}
					n.gained = append(n.gained, capability{roleCap: rc, ns: ns, source: source, gain: -1})
					break
				}
			}
		}
	}
}

// gainsOf gives n, to a fixed point, the roles it can bind to itself and the
// permissions it can write into roles it is bound to (or into a new role of its own).
func (e *Escalator) gainsOf(n *node) {
	have := map[string]bool{}
	addGain := func(key string, step Step, deps []int, rules []rbacv1.PolicyRule, scope string) bool {
		if have[key] {
			return false
		}
		have[key] = true
		gi := len(n.gains)
		n.gains = append(n.gains, gain{step: step, deps: deps, rules: rules, scope: scope})
		source := "gained: " + step.LeadsTo
		for _, rc := range e.roleCaps(rules) {
			if rc.trig.cluster && scope != "" {
				continue
			}
			ns := scope
			if scope == "*" {
				ns = ""
			}
			rcc := rc
			n.gained = append(n.gained, capability{roleCap: &rcc, ns: ns, source: source, gain: gi})
		}
		return true
	}
	depsOf := func(cs ...*capability) []int {
		var d []int
		for _, c := range cs {
			if c.gain >= 0 && !slices.Contains(d, c.gain) {
				d = append(d, c.gain)
			}
		}
		return d
	}
	star := e.star

	// admin reports whether n is allowed everything cluster-wide: then nothing more is
	// worth gaining.
	admin := func() bool {
		found := false
		e.forCaps(n, func(c *capability) { found = found || (c.trig.t == tAdmin && c.ns == "") })
		return found
	}
	for changed := !admin(); changed; {
		changed = false
		var creates, binds, escs, newRoles, updates []*capability
		e.forCaps(n, func(c *capability) {
			switch c.trig.t {
			case tCreateRB, tCreateCRB:
				creates = append(creates, c)
			case tBindRole, tBindCR:
				binds = append(binds, c)
			case tEscRole, tEscCR:
				escs = append(escs, c)
			case tCreateRole, tCreateCR:
				newRoles = append(newRoles, c)
			case tUpdateRole, tUpdateCR:
				updates = append(updates, c)
			}
		})
		// bind: a binding to a role the identity may bind, naming itself.
		for _, cb := range creates {
			for _, cr := range binds {
				for _, cand := range e.bindable(cb, cr) {
					step := Step{Route: RouteBind, As: n.subject, Namespace: cand.scopeNS(),
						Grant: cb.describe() + " and " + cr.describe(), Role: &cand.ref,
						LeadsTo: cand.ref.String() + cand.scopeWords()}
					if addGain("bind/"+cand.ref.String()+"/"+cand.scope, step, depsOf(cb, cr), cand.rules, cand.scope) {
						changed = true
					}
				}
			}
		}
		// escalate: rewrite a role bound to the identity.
		for _, ce := range escs {
			for _, cu := range updates {
				if (ce.trig.t == tEscRole) != (cu.trig.t == tUpdateRole) {
					continue
				}
				for _, id := range n.ids {
					for _, br := range e.bound[id] {
						r := br.role.ref
						if (r.Kind == "Role") != (ce.trig.t == tEscRole) || !ce.allowsName(r.Name) || !cu.allowsName(r.Name) ||
							!covers(ce, r.Namespace) || !covers(cu, r.Namespace) {
							continue
						}
						scope := br.ns
						ref := r
						step := Step{Route: RouteEscalate, As: n.subject, Namespace: r.Namespace, Role: &ref,
							Grant:   ce.describe() + " and " + cu.describe(),
							LeadsTo: "every permission" + scopeWords(scope) + " (" + r.String() + " is bound to it by " + br.ref.String() + ")"}
						if addGain("star/"+scope, step, depsOf(ce, cu), star, scope) {
							changed = true
						}
					}
				}
				// Or a new role of its own, bound to itself while still empty.
				for _, cc := range newRoles {
					if (cc.trig.t == tCreateRole) != (ce.trig.t == tEscRole) {
						continue
					}
					name, ok := commonName(ce, cu)
					if !ok {
						continue
					}
					for _, cb := range creates {
						scope, ok := newRoleScope(ce, cu, cc, cb)
						if !ok {
							continue
						}
						kind := "ClusterRole"
						roleNS := ""
						if ce.trig.t == tEscRole {
							kind, roleNS = "Role", scope
						}
						ref := ObjectRef{Kind: kind, Namespace: roleNS, Name: name}
						step := Step{Route: RouteEscalate, As: n.subject, Namespace: scope, Role: &ref,
							Grant:   cc.describe() + ", " + cb.describe() + ", " + ce.describe() + " and " + cu.describe(),
							LeadsTo: "every permission" + scopeWords(scope) + " (a new " + kind + " " + name + ", bound to itself while empty, then rewritten)"}
						if addGain("star/"+scope, step, depsOf(ce, cu, cc, cb), star, scope) {
							changed = true
						}
					}
				}
			}
		}
		if changed && admin() {
			return
		}
	}
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

// covers reports whether capability c applies in namespace ns ("" a cluster-level
// object).
func covers(c *capability, ns string) bool {
	return c.ns == "" || c.ns == ns
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

// newRoleScope is where a new role can be created, escalated and bound: the namespace
// of a Role, or the scope of the binding of a ClusterRole.
func newRoleScope(ce, cu, cc, cb *capability) (string, bool) {
	if ce.trig.t == tEscCR {
		switch cb.trig.t {
		case tCreateCRB:
			return "", true
		case tCreateRB:
			if cb.ns != "" {
				return cb.ns, true
			}
		}
		return "", false
	}
	if cb.trig.t != tCreateRB {
		return "", false
	}
	// A Role: every capability must apply in one namespace.
	ns := ""
	for _, c := range []*capability{ce, cu, cc, cb} {
		if c.ns != "" {
			if ns != "" && ns != c.ns {
				return "", false
			}
			ns = c.ns
		}
	}
	if ns == "" {
		return "*", false // every namespace: name one when it matters
	}
	return ns, true
}

// bindCandidate is a role the identity can bind to itself, and where.
type bindCandidate struct {
	ref   ObjectRef
	rules []rbacv1.PolicyRule
	// scope: a namespace, "" (a ClusterRoleBinding) or "*" (a RoleBinding in every
	// namespace).
	scope string
}

func (c bindCandidate) scopeNS() string {
	if c.scope == "*" {
		return ""
	}
	return c.scope
}

func (c bindCandidate) scopeWords() string { return " bound" + scopeWords(c.scope) }

// bindable lists the roles a binding creation cb and a bind grant cr let the identity
// bind, and where (the RBAC authorizer checks bind in the binding's namespace).
func (e *Escalator) bindable(cb, cr *capability) []bindCandidate {
	var out []bindCandidate
	clusterRoles := func(scope string) {
		for i := range e.clusterRoles {
			r := &e.clusterRoles[i]
			if cr.allowsName(r.Name) && len(r.Rules) > 0 {
				out = append(out, bindCandidate{ref: ObjectRef{Kind: "ClusterRole", Name: r.Name}, rules: r.Rules, scope: scope})
			}
		}
	}
	roles := func(ns string) {
		for _, r := range e.roles[ns] {
			if cr.allowsName(r.Name) && len(r.Rules) > 0 {
				out = append(out, bindCandidate{ref: ObjectRef{Kind: "Role", Namespace: ns, Name: r.Name}, rules: r.Rules, scope: ns})
			}
		}
	}
	switch {
	case cb.trig.t == tCreateCRB:
		if cr.trig.t == tBindCR && cr.ns == "" {
			clusterRoles("")
		}
	case cb.ns != "": // RoleBindings in one namespace
		if cr.ns != "" && cr.ns != cb.ns {
			return nil
		}
		if cr.trig.t == tBindCR {
			clusterRoles(cb.ns)
		} else {
			roles(cb.ns)
		}
	default: // RoleBindings in every namespace
		switch {
		case cr.trig.t == tBindCR && cr.ns == "":
			clusterRoles("*")
		case cr.trig.t == tBindCR:
			clusterRoles(cr.ns)
		case cr.ns == "":
			for _, ns := range slices.Sorted(mapKeys(e.roles)) {
				roles(ns)
			}
		default:
			roles(cr.ns)
		}
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// edgesOf lists where n can go.
func (e *Escalator) edgesOf(ni int32, n *node) {
	type key struct {
		to    int32
		route string
	}
	seen := map[key]bool{}
	add := func(to int32, route string, step Step, caps ...*capability) {
		k := key{to, route}
		if seen[k] {
			return
		}
		seen[k] = true
		step.Route = route
		step.As = n.subject
		w := 1
		if route == RouteAdmin {
			w = 0
		}
		n.edges = append(n.edges, edge{to: to, caps: caps, step: step, w: w})
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
	var impersonators []*capability // of users or service accounts, which group impersonation needs
	var csrCreate, csrApprove, signers []*capability
	e.forCaps(n, func(c *capability) {
		switch c.trig.t {
		case tImpUser, tImpSA:
			impersonators = append(impersonators, c)
		case tCSRCreate:
			csrCreate = append(csrCreate, c)
		case tCSRApprove:
			csrApprove = append(csrApprove, c)
		case tSigner:
			signers = append(signers, c)
		}
	})
	e.forCaps(n, func(c *capability) {
		switch c.trig.t {
		case tAdmin:
			if c.ns == "" {
				add(adminNode, RouteAdmin, Step{LeadsTo: ReachesClusterAdmin, Grant: c.describe()}, c)
			}
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
				return
			}
			for _, name := range c.names {
				if s := SubjectForUsername(name); s.Kind == rbacv1.UserKind {
					add(e.subjectNode(s), RouteImpersonate, Step{}, c)
				}
			}
		case tImpGroup:
			if len(impersonators) == 0 {
				return
			}
			if c.allowsName(SuperuserGroup) {
				add(adminNode, RouteImpersonate, Step{Target: &Subject{Kind: rbacv1.GroupKind, Name: SuperuserGroup},
					LeadsTo: "group " + SuperuserGroup + " (cluster admin)"}, c, impersonators[0])
			}
			if c.names == nil {
				add(e.hub(kHubGroups), RouteImpersonate, Step{}, c, impersonators[0])
				return
			}
			for _, name := range c.names {
				if name != SuperuserGroup {
					add(e.subjectNode(Subject{Kind: rbacv1.GroupKind, Name: name}), RouteImpersonate, Step{}, c, impersonators[0])
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
	})
	// csr: create a request, approve it (update its approval, approve for the signer).
	for _, cs := range csrCreate {
		for _, ca := range csrApprove {
			for _, sg := range signers {
				if sg.allowsName(signerClient) || sg.allowsName("kubernetes.io/*") {
					add(e.hub(kHubClients), RouteCSR, Step{Name: signerClient,
						Condition: "the cluster's " + signerClient + " signer issues certificates (EKS's may not), for any user and groups but " + SuperuserGroup},
						cs, ca, sg)
				}
				if sg.allowsName(signerKubeletClient) || sg.allowsName("kubernetes.io/*") {
					add(e.subjectNode(Subject{Kind: rbacv1.GroupKind, Name: "system:nodes"}), RouteCSR, Step{Name: signerKubeletClient,
						Condition: "the cluster's " + signerKubeletClient + " signer issues certificates (a node's identity, system:node:NAME in system:nodes)"},
						cs, ca, sg)
				}
			}
		}
	}
}

// ---- Searches ----

// pq is a priority queue of nodes by distance.
type pq struct {
	items []int32
	dist  []int
}

func (q *pq) Len() int           { return len(q.items) }
func (q *pq) Less(i, j int) bool { return q.dist[q.items[i]] < q.dist[q.items[j]] }
func (q *pq) Swap(i, j int)      { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *pq) Push(x any)         { q.items = append(q.items, x.(int32)) }
func (q *pq) Pop() any {
	x := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return x
}

const unreached = int(^uint(0) >> 1)

// edgeWeight is the steps an edge takes: its route and the gains it needs.
func (e *Escalator) edgeWeight(n *node, ed *edge) int {
	return ed.w + len(gainClosure(n, ed.caps))
}

// gainClosure lists, in order, the gains of n that caps need (and what those need).
func gainClosure(n *node, caps []*capability) []int {
	var need []int
	var visit func(int)
	visit = func(gi int) {
		if gi < 0 || slices.Contains(need, gi) {
			return
		}
		need = append(need, gi)
		for _, d := range n.gains[gi].deps {
			visit(d)
		}
	}
	for _, c := range caps {
		visit(c.gain)
	}
	slices.Sort(need)
	return need
}

// EscalationResult is what an identity can become.
type EscalationResult struct {
	// Paths: the shortest to cluster admin first (when reached and the identity is not
	// one already), then the shortest to each subject some binding names and to each
	// role the identity can give itself, by length then what they reach.
	Paths []Path
	// ClusterAdmin: the identity is a cluster admin already (no path needed).
	ClusterAdmin bool
}

// From finds what the identity id (shown as subject) can become, following the
// routes transitively to a fixed point. extra is consulted beside RBAC for the
// identity itself (EKS access policies), nil for none.
func (e *Escalator) From(subject Subject, id Identity, extra Authorizer) EscalationResult {
	res := EscalationResult{Paths: []Path{}}
	g := e.graph()
	// A fresh start node each time (its Extra differs), which no other node points to.
	start := int32(len(g.nodes))
	g.nodes = append(g.nodes, &node{kind: kStart, subject: subject, id: id, ids: e.idsOf(id), extra: extra})

	dist := map[int32]int{start: 0}
	parent := map[int32]struct {
		from int32
		edge int
	}{}
	q := &pq{}
	distOf := func(i int32) int {
		if d, ok := dist[i]; ok {
			return d
		}
		return unreached
	}
	// pq needs a slice of distances: keep one in step with the map.
	grow := func() {
		for len(q.dist) < len(g.nodes) {
			q.dist = append(q.dist, unreached)
		}
	}
	grow()
	q.dist[start] = 0
	heap.Push(q, start)
	done := map[int32]bool{}
	for q.Len() > 0 {
		ni := heap.Pop(q).(int32)
		if done[ni] {
			continue
		}
		done[ni] = true
		e.expand(ni)
		grow()
		n := g.nodes[ni]
		for k := range n.edges {
			ed := &n.edges[k]
			d := distOf(ni) + e.edgeWeight(n, ed)
			if d < distOf(ed.to) {
				dist[ed.to] = d
				q.dist[ed.to] = d
				parent[ed.to] = struct {
					from int32
					edge int
				}{ni, k}
				heap.Push(q, ed.to)
			}
		}
	}
	// The path to a node, hubs folded into the step that enters them.
	pathTo := func(to int32) Path {
		var steps []Step
		var hops []int32
		for at := to; at != start; at = parent[at].from {
			hops = append(hops, at)
		}
		slices.Reverse(hops)
		for _, at := range hops {
			p := parent[at]
			n := g.nodes[p.from]
			ed := &n.edges[p.edge]
			if n.kind >= kHubNS { // a hub's member: the target of the step that entered the hub
				if len(steps) > 0 {
					setTarget(&steps[len(steps)-1], g.nodes[at])
				}
				continue
			}
			for _, gi := range gainClosure(n, ed.caps) {
				steps = append(steps, n.gains[gi].step)
			}
			steps = append(steps, e.stepOf(n, ed, g.nodes[at]))
		}
		return finishPath(steps, g.nodes[to])
	}

	startNode := g.nodes[start]
	if d, ok := dist[adminNode]; ok {
		if d == 0 {
			res.ClusterAdmin = true
			return res
		}
		res.Paths = append(res.Paths, pathTo(adminNode))
	}
	var others []Path
	for ni, d := range dist {
		n := g.nodes[ni]
		if ni == start || d == unreached || (n.kind != kSA && n.kind != kUser && n.kind != kGroup) || len(n.ids) == 0 {
			continue
		}
		// Only what brings something new: a subject some binding names (or the default
		// service account of a namespace whose group is bound) that the start is not.
		_, named := e.ids[n.subject]
		named = named || (n.kind == kSA && n.subject.Name == "default")
		if named && slices.ContainsFunc(n.ids, func(id int32) bool { return !slices.Contains(startNode.ids, id) }) {
			others = append(others, pathTo(ni))
		}

	}
	// Roles the identity gives itself.
	for gi := range startNode.gains {
		var steps []Step
		for _, d := range gainClosure(startNode, []*capability{{gain: gi}}) {
			steps = append(steps, startNode.gains[d].step)
		}
		last := steps[len(steps)-1]
		others = append(others, finishPath(steps, nil, last.LeadsTo))
	}
	slices.SortFunc(others, func(a, b Path) int {
		return cmp.Or(cmp.Compare(len(a.Steps), len(b.Steps)), cmp.Compare(a.Reaches, b.Reaches))
	})
	res.Paths = append(res.Paths, others...)
	return res
}

func setTarget(s *Step, n *node) {
	if n.kind != kSA && n.kind != kUser && n.kind != kGroup {
		return
	}
	t := n.subject
	s.Target = &t
	s.LeadsTo = subjectLabel(t)
}

// stepOf is the step of edge ed from n to m.
func (e *Escalator) stepOf(n *node, ed *edge, m *node) Step {
	s := ed.step
	var grants []string
	for _, c := range ed.caps {
		grants = append(grants, c.describe())
	}
	if s.Grant == "" {
		s.Grant = strings.Join(grants, ", ")
	}
	if n.kind == kStart {
		s.As = n.subject
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
		p.Reaches, p.Target = subjectLabel(t), &t
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
// or permissions that allow it, each with its shortest path. direct are the subjects
// WhoCan(q) lists; action is what the paths reach, in words. Sorted like WhoCan.
func (e *Escalator) Reaching(q Query, direct []SubjectAccess, action string) []Reached {
	g := e.graph()
	goal := map[int32]bool{}
	for _, sa := range direct {
		if id, ok := e.ids[sa.Subject]; ok {
			goal[id] = true
		}
	}
	// Every candidate, and everything it reaches.
	var candidates []int32
	for _, s := range e.ix.subjects {
		if s.Kind == rbacv1.GroupKind && s.Name == SuperuserGroup {
			continue
		}
		candidates = append(candidates, e.subjectNode(s))
	}
	for i := 0; i < len(g.nodes); i++ {
		e.expand(int32(i))
	}
	// Reverse edges.
	type rev struct {
		from int32
		edge int
	}
	back := make([][]rev, len(g.nodes))
	for ni, n := range g.nodes {
		for k := range n.edges {
			back[n.edges[k].to] = append(back[n.edges[k].to], rev{int32(ni), k})
		}
	}
	// Goals: cluster admin, the identities allowed directly, and permissions an
	// identity gives itself that allow the action (at the cost of their steps).
	dist := make([]int, len(g.nodes))
	next := make([]int, len(g.nodes)) // edge to follow; -1: a goal; -2-gi: gain gi allows it
	for i := range dist {
		dist[i], next[i] = unreached, -1
	}
	q2 := &pq{dist: dist}
	setGoal := func(ni int32, d, via int) {
		if d < dist[ni] {
			dist[ni], next[ni] = d, via
			heap.Push(q2, ni)
		}
	}
	setGoal(adminNode, 0, -1)
	clusterLevel := q.ClusterLevel()
	for ni, n := range g.nodes {
		if slices.ContainsFunc(n.ids, func(id int32) bool { return goal[id] }) {
			setGoal(int32(ni), 0, -1)
			continue
		}
		for gi := range n.gains {
			gn := &n.gains[gi]
			in := gn.scope == "" || (!clusterLevel && (gn.scope == "*" || q.AllNamespaces || gn.scope == q.Namespace))
			if in && FirstAllowingRule(&q.Attributes, gn.rules) >= 0 {
				setGoal(int32(ni), len(gainClosure(n, []*capability{{gain: gi}})), -2-gi)
			}
		}
	}
	done := make([]bool, len(g.nodes))
	for q2.Len() > 0 {
		mi := heap.Pop(q2).(int32)
		if done[mi] {
			continue
		}
		done[mi] = true
		for _, r := range back[mi] {
			n := g.nodes[r.from]
			d := dist[mi] + e.edgeWeight(n, &n.edges[r.edge])
			if d < dist[r.from] {
				dist[r.from], next[r.from] = d, r.edge
				heap.Push(q2, r.from)
			}
		}
	}

	var out []Reached
	for _, ci := range candidates {
		if dist[ci] == 0 || dist[ci] == unreached {
			continue
		}
		var steps []Step
		at := ci
		for next[at] >= 0 {
			n := g.nodes[at]
			ed := &n.edges[next[at]]
			m := g.nodes[ed.to]
			if n.kind >= kHubNS {
				if len(steps) > 0 {
					setTarget(&steps[len(steps)-1], m)
				}
			} else {
				for _, gi := range gainClosure(n, ed.caps) {
					steps = append(steps, n.gains[gi].step)
				}
				steps = append(steps, e.stepOf(n, ed, m))
			}
			at = ed.to
		}
		n := g.nodes[at]
		var p Path
		switch {
		case at == adminNode:
			p = finishPath(steps, n)
		case next[at] <= -2:
			gi := -2 - next[at]
			for _, d := range gainClosure(n, []*capability{{gain: gi}}) {
				steps = append(steps, n.gains[d].step)
			}
			p = finishPath(steps, nil, action)
		default:
			p = finishPath(steps, nil, action)
			t := n.subject
			p.Target = &t
		}
		out = append(out, Reached{Subject: g.nodes[ci].subject, Path: p})
	}
	slices.SortFunc(out, func(a, b Reached) int { return CompareSubjects(a.Subject, b.Subject) })
	return out
}
