package podidentity

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/identity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// Options of an answer.
type Options struct {
	// RoleARN asks the reverse question: who gets this role, and who can act as them.
	RoleARN string
	// RBAC is the who-can index (required with RoleARN).
	RBAC *rbac.Index
	// Identity maps RBAC subjects to IAM principals (aws-auth, access entries); nil
	// leaves the IAM view out.
	Identity *identity.Sources
}

type key struct{ ns, name string }

func (k key) String() string { return k.ns + "/" + k.name }

type saState struct {
	entry v1alpha1.PodIdentityServiceAccount
	sa    *ServiceAccount
	assoc []*Association
	pods  []*Pod
}

type builder struct {
	in    *Input
	opts  Options
	r     *v1alpha1.PodIdentityReport
	sas   map[key]*saState
	order []key
	ns    map[string]bool
	nodes map[string]*Node
	host  string // the cluster's OIDC issuer without https://, "" when unknown
	notes map[string]bool
	// admitsCache holds, per IRSA role, the service accounts its trust admits.
	admitsCache map[string]*admission
	// annotatedWith lists, per role, the service accounts annotated with it.
	annotatedWith map[string][]key
	roleChecked   map[string]bool
	// reverseSAs are the service accounts that get the role asked about (--role).
	reverseSAs map[key]bool
}

// Build answers the question in opts over in.
func Build(in *Input, opts Options) *v1alpha1.PodIdentityReport {
	b := &builder{in: in, opts: opts, r: v1alpha1.NewPodIdentityReport(), sas: map[key]*saState{}, ns: map[string]bool{},
		nodes: map[string]*Node{}, notes: map[string]bool{}, admitsCache: map[string]*admission{},
		annotatedWith: map[string][]key{}, roleChecked: map[string]bool{}}
	b.r.Query = v1alpha1.PodIdentityQuery{Scope: "AllNamespaces", RoleARN: opts.RoleARN}
	if !in.AllNamespaces {
		b.r.Query = v1alpha1.PodIdentityQuery{Scope: "Namespace", Namespace: in.Namespace, RoleARN: opts.RoleARN}
	}
	b.r.Cluster.PodIdentityAgent = in.PodIdentityAgent
	if c := in.Cluster; c != nil {
		b.r.Cluster.Name, b.r.Cluster.ARN, b.r.Cluster.OIDCIssuer, b.r.Cluster.AutoMode = c.Name, c.ARN, c.OIDCIssuer, c.AutoMode
		b.host = c.IssuerHost()
	}
	for _, n := range in.Namespaces {
		b.ns[n] = true
	}
	for i := range in.Nodes {
		b.nodes[in.Nodes[i].Name] = &in.Nodes[i]
	}
	b.collect()
	for _, k := range b.order {
		b.serviceAccount(b.sas[k])
	}
	b.findings()
	if opts.RoleARN != "" {
		b.reverse()
	}
	b.finish()
	return b.r
}

func (b *builder) inScope(ns string) bool { return b.in.AllNamespaces || ns == b.in.Namespace }

func (b *builder) state(k key, exists bool) *saState {
	st := b.sas[k]
	if st == nil {
		st = &saState{entry: v1alpha1.NewPodIdentityServiceAccount(k.ns, k.name, exists)}
		b.sas[k] = st
		b.order = append(b.order, k)
	}
	return st
}

func (b *builder) note(format string, args ...any) { b.notes[fmt.Sprintf(format, args...)] = true }

// collect gathers service accounts, associations, pods and workloads by service account.
func (b *builder) collect() {
	for i := range b.in.ServiceAccounts {
		sa := &b.in.ServiceAccounts[i]
		if b.inScope(sa.Namespace) {
			k := key{sa.Namespace, sa.Name}
			b.state(k, true).sa = sa
			if sa.RoleARN != "" {
				b.annotatedWith[sa.RoleARN] = append(b.annotatedWith[sa.RoleARN], k)
			}
		}
	}
	for i := range b.in.Associations {
		a := &b.in.Associations[i]
		if b.inScope(a.Namespace) {
			st := b.state(key{a.Namespace, a.ServiceAccount}, false)
			st.assoc = append(st.assoc, a)
		}
	}
	for i := range b.in.Pods {
		p := &b.in.Pods[i]
		if !b.inScope(p.Namespace) || p.Phase == "Succeeded" || p.Phase == "Failed" {
			continue
		}
		st := b.state(key{p.Namespace, cmp.Or(p.ServiceAccount, "default")}, false)
		st.pods = append(st.pods, p)
	}
	for i := range b.in.Workloads {
		w := &b.in.Workloads[i]
		if !b.inScope(w.Namespace) {
			continue
		}
		st := b.state(key{w.Namespace, cmp.Or(w.ServiceAccount, "default")}, false)
		st.entry.Workloads = append(st.entry.Workloads, v1alpha1.ObjectRef{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name})
	}
	slices.SortFunc(b.order, func(a, c key) int { return cmp.Or(cmp.Compare(a.ns, c.ns), cmp.Compare(a.name, c.name)) })
}

// serviceAccount fills in the roles and pods of one service account.
func (b *builder) serviceAccount(st *saState) {
	e := &st.entry
	if !b.in.AssociationsRead {
		e.Complete = false
	}
	if st.sa != nil && st.sa.RoleARN != "" {
		role := v1alpha1.PodIdentityRole{ARN: st.sa.RoleARN, Via: v1alpha1.ViaIRSA, Effective: len(st.assoc) == 0, Source: "annotation " + RoleARNAnnotation}
		if len(st.assoc) > 0 {
			role.Note = "a Pod Identity association exists for this service account: pods created now get the association's role, not this one"
		}
		e.Roles = append(e.Roles, role)
	}
	for _, a := range st.assoc {
		arn := a.EffectiveRole()
		if arn == "" {
			e.Complete = false
			b.note("association %s (%s/%s): its role is unknown (DescribePodIdentityAssociation not read)", a.ID, a.Namespace, a.ServiceAccount)
			continue
		}
		role := v1alpha1.PodIdentityRole{ARN: arn, Via: v1alpha1.ViaPodIdentity, Effective: true, Source: "association " + a.ID}
		if a.TargetRoleARN != "" {
			role.AssociationRoleARN = a.RoleARN
		}
		e.Roles = append(e.Roles, role)
	}
	nodeRoles := map[string]int{}
	for _, p := range st.pods {
		pe := v1alpha1.PodIdentityPod{Namespace: p.Namespace, Name: p.Name, Node: p.Node, HostNetwork: p.HostNetwork, Credentials: []v1alpha1.PodCredentials{}}
		for _, c := range p.Containers {
			via, role := b.credentials(st, p, &c)
			if via == v1alpha1.ViaUnknown {
				e.Complete = false
			}
			if via == v1alpha1.ViaNode && role != "" {
				nodeRoles[role]++
			}
			if i := slices.IndexFunc(pe.Credentials, func(pc v1alpha1.PodCredentials) bool { return pc.Via == via && pc.RoleARN == role }); i >= 0 {
				pe.Credentials[i].Containers = append(pe.Credentials[i].Containers, c.Name)
			} else {
				pe.Credentials = append(pe.Credentials, v1alpha1.PodCredentials{Via: via, RoleARN: role, Containers: []string{c.Name}})
			}
		}
		e.Pods = append(e.Pods, pe)
	}
	for _, arn := range sortedKeys(nodeRoles) {
		e.Roles = append(e.Roles, v1alpha1.PodIdentityRole{ARN: arn, Via: v1alpha1.ViaNode, Effective: true,
			Source: fmt.Sprintf("node instance role through IMDS (%d container(s))", nodeRoles[arn])})
	}
}

// credentials returns how one container gets AWS credentials: the variables the
// webhook injected when the pod was created (web identity first, as the AWS SDKs'
// default chains look for it before container credentials), else the node's role
// through IMDS when the pod can reach it.
func (b *builder) credentials(st *saState, p *Pod, c *Container) (via, role string) {
	switch {
	case c.HasRoleARN && c.WebIdentity:
		return v1alpha1.ViaIRSA, c.RoleARN
	case c.ContainerCredentials:
		for _, a := range st.assoc {
			return v1alpha1.ViaPodIdentity, a.EffectiveRole()
		}
		return v1alpha1.ViaPodIdentity, ""
	}
	r := b.reach(p)
	switch r.kind {
	case reachNone:
		return v1alpha1.ViaNone, ""
	case reachUnknown:
		return v1alpha1.ViaUnknown, ""
	}
	roles := b.nodeRoles(p.Node)
	if len(roles) == 0 {
		return v1alpha1.ViaNode, ""
	}
	return v1alpha1.ViaNode, roles[0]
}

type reachKind int

const (
	reachNone    reachKind = iota
	reachV1                // IMDSv1 allowed: no token, no hop limit
	reachV2                // IMDSv2 required, hop limit above 1
	reachHost              // IMDSv2 from the node's network (hostNetwork)
	reachUnknown           // an input is missing
)

type reachability struct {
	kind     reachKind
	instance *Instance
}

// reach says whether a pod can reach its node's instance metadata service.
func (b *builder) reach(p *Pod) reachability {
	if p.Node == "" {
		return reachability{kind: reachNone} // not scheduled: not running anywhere
	}
	n := b.nodes[p.Node]
	switch {
	case n == nil:
		b.note("node %s of pod %s/%s was not read: IMDS reachability unknown", p.Node, p.Namespace, p.Name)
		return reachability{kind: reachUnknown}
	case n.Fargate:
		return reachability{kind: reachNone}
	case n.InstanceID == "":
		b.note("node %s is not an EC2 instance (no i- id in spec.providerID): IMDS reachability not evaluated", n.Name)
		return reachability{kind: reachUnknown}
	case !b.in.InstancesRead:
		return reachability{kind: reachUnknown}
	}
	inst := b.in.Instances[n.InstanceID]
	if inst == nil {
		b.note("instance %s (node %s) was not found by DescribeInstances: IMDS reachability unknown", n.InstanceID, n.Name)
		return reachability{kind: reachUnknown}
	}
	r := reachability{instance: inst}
	switch {
	case inst.HTTPEndpoint == "disabled":
		r.kind = reachNone
	case inst.HTTPTokens != "required":
		r.kind = reachV1
	case p.HostNetwork:
		r.kind = reachHost
	case inst.HopLimit >= 2:
		r.kind = reachV2
	default:
		r.kind = reachNone
	}
	return r
}

// nodeRoles are the roles of a node's instance profile (the profile's ARN when the
// profile was not read).
func (b *builder) nodeRoles(node string) []string {
	n := b.nodes[node]
	if n == nil || b.in.Instances == nil {
		return nil
	}
	inst := b.in.Instances[n.InstanceID]
	if inst == nil || inst.InstanceProfileARN == "" {
		return nil
	}
	if roles, ok := b.in.InstanceProfiles[inst.InstanceProfileARN]; ok {
		return roles
	}
	b.note("instance profile %s was not read (iam:GetInstanceProfile): its ARN stands for its role", inst.InstanceProfileARN)
	return []string{inst.InstanceProfileARN}
}

func (b *builder) finish() {
	r := b.r
	for _, k := range b.order {
		st := b.sas[k]
		if b.opts.RoleARN != "" && !b.reverseSAs[k] {
			continue
		}
		e := st.entry
		slices.SortStableFunc(e.Roles, func(a, c v1alpha1.PodIdentityRole) int {
			return cmp.Or(cmp.Compare(viaRank(a.Via), viaRank(c.Via)), cmp.Compare(a.ARN, c.ARN))
		})
		slices.SortFunc(e.Pods, func(a, c v1alpha1.PodIdentityPod) int { return cmp.Compare(a.Name, c.Name) })
		slices.SortFunc(e.Workloads, func(a, c v1alpha1.ObjectRef) int {
			return cmp.Or(cmp.Compare(a.Kind, c.Kind), cmp.Compare(a.Name, c.Name))
		})
		if !e.Complete {
			r.Complete = false
		}
		r.ServiceAccounts = append(r.ServiceAccounts, e)
	}
	slices.SortFunc(r.Findings, func(a, c v1alpha1.PodIdentityFinding) int {
		return cmp.Or(cmp.Compare(a.ID, c.ID), cmp.Compare(a.Namespace, c.Namespace), cmp.Compare(a.ServiceAccount, c.ServiceAccount),
			cmp.Compare(a.RoleARN, c.RoleARN), cmp.Compare(a.Message, c.Message))
	})
	r.Findings = slices.CompactFunc(r.Findings, func(a, c v1alpha1.PodIdentityFinding) bool { return a == c })
	r.NotEvaluated = sortedKeys(b.notes)
}

func viaRank(via string) int {
	return slices.Index([]string{v1alpha1.ViaIRSA, v1alpha1.ViaPodIdentity, v1alpha1.ViaNode}, via)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// serviceAccountOf parses system:serviceaccount:NS:NAME as the API server does.
func serviceAccountOf(username string) (key, bool) {
	s := rbac.SubjectForUsername(username)
	if s.Kind != rbacv1.ServiceAccountKind {
		return key{}, false
	}
	return key{s.Namespace, s.Name}, true
}

// providerARN is the IAM OIDC provider of issuer host in the role's account.
func providerARN(roleARN, host string) string {
	parts := strings.SplitN(roleARN, ":", 6)
	partition, account := "aws", ""
	if len(parts) == 6 {
		partition, account = parts[1], parts[4]
	}
	return "arn:" + partition + ":iam::" + account + ":oidc-provider/" + host
}

// idpKey reports whether a condition key belongs to an identity provider (such as
// oidc.eks.REGION.amazonaws.com/id/ID:sub) rather than to AWS or STS.
func idpKey(k string) bool {
	return !strings.HasPrefix(k, "aws:") && !strings.HasPrefix(k, "sts:") && !strings.HasPrefix(k, "iam:")
}
