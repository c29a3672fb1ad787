package podidentity

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iampolicy"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/identity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// Route is one way to act as a service account (or, for a node role, to run a pod
// that reaches the node's instance metadata), and the who-can question that decides it.
type Route struct {
	Label string
	Query rbac.Query
}

// WorkloadKinds are the pod-creating kinds whose create, update or patch lets one
// choose the service account their pods run as: the escalation routes' list.
var WorkloadKinds = rbac.PodCreatingKinds

func resourceName(group, resource string) string {
	if group == "" {
		return resource
	}
	return resource + "." + group
}

// ServiceAccountRoutes are the routes to act as service account ns/name: create pods
// in its namespace; create, update or patch a pod-creating workload there; create a
// token for it (serviceaccounts/token); impersonate it; and, when pods run as it,
// exec into them or add an ephemeral container to them. Superusers
// (system:masters) are allowed every route.
func ServiceAccountRoutes(ns, name string, hasPods bool) []Route {
	q := func(verb, group, resource, sub, objName string) rbac.Query {
		return rbac.Query{Attributes: rbac.Attributes{Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Name: objName, Namespace: ns}}
	}
	out := []Route{{Label: "create pods -n " + ns, Query: q("create", "", "pods", "", "")}}
	for _, w := range WorkloadKinds {
		for _, verb := range []string{"create", "update", "patch"} {
			out = append(out, Route{Label: fmt.Sprintf("%s %s -n %s", verb, resourceName(w.Group, w.Resource), ns), Query: q(verb, w.Group, w.Resource, "", "")})
		}
	}
	out = append(out,
		Route{Label: fmt.Sprintf("create serviceaccounts/token %s/%s", ns, name), Query: q("create", "", "serviceaccounts", "token", name)},
		Route{Label: fmt.Sprintf("impersonate serviceaccounts %s/%s", ns, name), Query: q("impersonate", "", "serviceaccounts", "", name)},
	)
	if hasPods {
		out = append(out,
			Route{Label: "create pods/exec -n " + ns, Query: q("create", "", "pods", "exec", "")},
			Route{Label: "update pods/ephemeralcontainers -n " + ns, Query: q("update", "", "pods", "ephemeralcontainers", "")},
		)
	}
	return out
}

// AnyNamespaceRoutes are the routes to run a pod anywhere: for a node's role, which
// every pod that reaches the node's instance metadata gets.
func AnyNamespaceRoutes() []Route {
	q := func(verb, group, resource string) rbac.Query {
		return rbac.Query{Attributes: rbac.Attributes{Verb: verb, APIGroup: group, Resource: resource}, AllNamespaces: true}
	}
	out := []Route{{Label: "create pods (any namespace)", Query: q("create", "", "pods")}}
	for _, w := range WorkloadKinds {
		for _, verb := range []string{"create", "update", "patch"} {
			out = append(out, Route{Label: fmt.Sprintf("%s %s (any namespace)", verb, resourceName(w.Group, w.Resource)), Query: q(verb, w.Group, w.Resource)})
		}
	}
	return out
}

type actor struct {
	entry v1alpha1.PodIdentityActor
	iam   map[string]bool
}

// reverse answers --role: the service accounts that get the role, and who can act
// as one of them.
func (b *builder) reverse() {
	arn := b.opts.RoleARN
	b.reverseSAs = map[key]bool{}
	same := func(a string) bool { return a != "" && strings.EqualFold(a, arn) }
	for _, k := range b.order {
		st := b.sas[k]
		for _, r := range st.entry.Roles {
			if same(r.ARN) || same(r.AssociationRoleARN) {
				b.reverseSAs[k] = true
			}
		}
		for _, p := range st.entry.Pods {
			for _, c := range p.Credentials {
				if same(c.RoleARN) {
					b.reverseSAs[k] = true
				}
			}
		}
	}
	// IRSA needs no annotation: a pod that sets the variables itself and projects a
	// token gets any role whose trust admits its service account.
	if b.in.Cluster != nil && b.host != "" {
		if trust := b.trust(arn); trust != nil {
			a := b.admits(arn, trust)
			for k, o := range a.outcome {
				st := b.sas[k]
				if o != iampolicy.Allowed || st == nil || !st.entry.Exists || b.reverseSAs[k] {
					continue
				}
				b.reverseSAs[k] = true
				st.entry.Roles = append(st.entry.Roles, v1alpha1.PodIdentityRole{ARN: arn, Via: v1alpha1.ViaIRSA, Effective: false, Source: "trust policy",
					Note: "no annotation names the role, but its trust policy admits this service account: a pod that sets AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE itself, with a token projected for audience " + DefaultAudience + ", gets it"})
			}
		}
	} else {
		b.note("service accounts that the role's trust admits without an annotation are not listed: the cluster's OIDC issuer was not read")
	}
	nodeRole := false
	for _, n := range b.in.Nodes {
		if slices.ContainsFunc(b.nodeRoles(n.Name), same) {
			nodeRole = true
		}
	}

	// Findings about this role or these service accounts only.
	kept := b.r.Findings[:0]
	for _, f := range b.r.Findings {
		if same(f.RoleARN) || b.reverseSAs[key{f.Namespace, f.ServiceAccount}] {
			kept = append(kept, f)
		}
	}
	b.r.Findings = kept

	var routes []Route
	seen := map[string]bool{}
	addRoutes := func(rs []Route) {
		for _, r := range rs {
			if !seen[r.Label] {
				seen[r.Label] = true
				routes = append(routes, r)
			}
		}
	}
	if nodeRole {
		b.r.Warnings = append(b.r.Warnings, v1alpha1.Warning{Reason: "NodeRole",
			Message: arn + " is a node's instance role: every pod that reaches that node's instance metadata gets it, so whoever can run a pod in any namespace is listed"})
		addRoutes(AnyNamespaceRoutes())
	}
	for _, k := range b.order {
		if b.reverseSAs[k] && b.sas[k].entry.Exists {
			addRoutes(ServiceAccountRoutes(k.ns, k.name, len(b.sas[k].pods) > 0))
		}
	}
	if len(b.reverseSAs) == 0 && !nodeRole {
		return
	}
	if b.opts.RBAC == nil {
		b.note("actors are not computed: no RBAC snapshot")
		return
	}
	actors := map[rbac.Subject]*actor{}
	var order []rbac.Subject
	principals := map[string]*v1alpha1.IAMPrincipal{}
	var principalOrder []string
	warned := map[string]bool{}
	for _, rt := range routes {
		res := b.opts.RBAC.WhoCan(rt.Query)
		wr := &v1alpha1.WhoCanReport{}
		for _, s := range res.Subjects {
			ac := actors[s.Subject]
			if ac == nil {
				ac = &actor{entry: v1alpha1.PodIdentityActor{Kind: s.Subject.Kind, Name: s.Subject.Name, Namespace: s.Subject.Namespace,
					Superuser: s.Superuser, Routes: []string{}, IAMPrincipals: []string{}}, iam: map[string]bool{}}
				actors[s.Subject] = ac
				order = append(order, s.Subject)
			}
			label := rt.Label
			if s.Superuser {
				label = "superuser (system:masters)"
			}
			if !slices.Contains(ac.entry.Routes, label) {
				ac.entry.Routes = append(ac.entry.Routes, label)
			}
			wr.Subjects = append(wr.Subjects, v1alpha1.Subject{Kind: s.Subject.Kind, Name: s.Subject.Name, Namespace: s.Subject.Namespace,
				Superuser: s.Superuser, Namespaces: []string{}, Grants: []v1alpha1.Grant{}, IAMPrincipals: []string{}})
		}
		if b.opts.Identity == nil {
			continue
		}
		q := rt.Query
		identity.AddToWhoCan(wr, *b.opts.Identity, &q)
		b.r.AuthenticationMode = wr.AuthenticationMode
		for _, s := range wr.Subjects {
			ac := actors[rbac.Subject{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace}]
			for _, p := range s.IAMPrincipals {
				if !ac.iam[p] {
					ac.iam[p] = true
					ac.entry.IAMPrincipals = append(ac.entry.IAMPrincipals, p)
				}
			}
		}
		for _, p := range wr.IAMPrincipals {
			id := p.ARN + "\x00" + p.Source
			have := principals[id]
			if have == nil {
				cp := p
				cp.Via = []v1alpha1.SubjectRef{}
				cp.ViaAccessPolicies = []v1alpha1.AccessPolicyGrant{}
				have = &cp
				principals[id] = have
				principalOrder = append(principalOrder, id)
			}
			for _, v := range p.Via {
				if !slices.Contains(have.Via, v) {
					have.Via = append(have.Via, v)
				}
			}
			for _, g := range p.ViaAccessPolicies {
				if !slices.ContainsFunc(have.ViaAccessPolicies, func(x v1alpha1.AccessPolicyGrant) bool {
					return x.PolicyARN == g.PolicyARN && x.Scope == g.Scope && slices.Equal(x.Namespaces, g.Namespaces)
				}) {
					have.ViaAccessPolicies = append(have.ViaAccessPolicies, g)
				}
			}
		}
		for _, w := range wr.Warnings {
			if !warned[w.Message] {
				warned[w.Message] = true
				b.r.Warnings = append(b.r.Warnings, w)
			}
		}
	}
	slices.SortFunc(order, rbac.CompareSubjects)
	for _, s := range order {
		b.r.Actors = append(b.r.Actors, actors[s].entry)
	}
	for _, id := range principalOrder {
		p := principals[id]
		slices.SortFunc(p.Via, func(a, c v1alpha1.SubjectRef) int {
			return cmp.Or(cmp.Compare(a.Kind, c.Kind), cmp.Compare(a.Namespace, c.Namespace), cmp.Compare(a.Name, c.Name))
		})
		b.r.IAMPrincipals = append(b.r.IAMPrincipals, *p)
	}
	slices.SortStableFunc(b.r.IAMPrincipals, func(a, c v1alpha1.IAMPrincipal) int {
		return cmp.Or(cmp.Compare(a.Type, c.Type), cmp.Compare(strings.ToLower(a.ARN), strings.ToLower(c.ARN)), cmp.Compare(a.Source, c.Source))
	})
}
