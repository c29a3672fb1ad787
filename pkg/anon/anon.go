// Package anon finds what RBAC grants to anonymous and unauthenticated callers
// (User system:anonymous, Group system:unauthenticated) and plans its removal so that
// it stays removed: the API server's RBAC bootstrap re-adds missing default subjects
// to bindings marked rbac.authorization.kubernetes.io/autoupdate=true at every start,
// and re-creates missing default bindings. Pure.
package anon

import (
	"cmp"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// Labels and annotations of the RBAC bootstrap policy.
const (
	BootstrapLabel      = "kubernetes.io/bootstrapping"
	BootstrapLabelValue = "rbac-defaults"
	AutoUpdate          = rbacv1.AutoUpdateAnnotationKey // rbac.authorization.kubernetes.io/autoupdate
	PublicInfoViewer    = "system:public-info-viewer"
)

// bootstrapAnonymousSubjects are the subjects of the API server's bootstrap policy
// (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy, v1.37) that are
// anonymous or unauthenticated, by ClusterRoleBinding: the ones the bootstrap re-adds.
// system:discovery and system:basic-user bound system:unauthenticated before 1.14 and
// keep it on upgraded clusters, but the policy no longer lists it, so it is not re-added.
func bootstrapAnonymousSubjects(binding string) []rbacv1.Subject {
	if binding == PublicInfoViewer {
		return []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: rbac.UnauthenticatedGroup}}
	}
	return nil
}

// Binding is a RoleBinding or ClusterRoleBinding as the finder needs it.
type Binding struct {
	Kind        string // RoleBinding or ClusterRoleBinding
	Namespace   string
	Name        string
	RoleRef     rbacv1.RoleRef
	Subjects    []rbacv1.Subject
	Labels      map[string]string
	Annotations map[string]string
}

// Ref names the binding.
func (b *Binding) Ref() string {
	if b.Namespace == "" {
		return strings.ToLower(b.Kind) + "/" + b.Name
	}
	return strings.ToLower(b.Kind) + "/" + b.Name + " -n " + b.Namespace
}

// Bootstrap reports whether the binding is part of the RBAC bootstrap policy.
func (b *Binding) Bootstrap() bool { return b.Labels[BootstrapLabel] == BootstrapLabelValue }

// IsAnonymous reports whether s is User system:anonymous or Group system:unauthenticated.
func IsAnonymous(s rbacv1.Subject) bool {
	return (s.Kind == rbacv1.UserKind && s.Name == rbac.AnonymousUser) || (s.Kind == rbacv1.GroupKind && s.Name == rbac.UnauthenticatedGroup)
}

// Actions on a binding.
const (
	ActionRemoveSubjects = "remove-subjects"
	ActionDelete         = "delete"
	// ActionEmpty: a bootstrap binding whose only subjects were anonymous is kept
	// empty, because a deleted bootstrap binding is re-created at the next start.
	ActionEmpty = "remove-subjects-keep-empty"
)

// Finding is one binding that grants something to anonymous callers.
type Finding struct {
	Binding Binding
	// Anonymous are the subjects to remove.
	Anonymous []rbacv1.Subject
	// Rules the binding's role grants, in scope (the binding's namespace or
	// cluster-wide); nil when the role does not exist.
	Rules      []rbacv1.PolicyRule
	RoleExists bool
	// Action is what the revoke does.
	Action string
	// DisableAutoUpdate: the removal would be undone at the next API server start, so
	// the autoupdate annotation is set to "false" in the same write.
	DisableAutoUpdate bool
}

// Options of the finder.
type Options struct {
	// IncludePublicInfoViewer also revokes the bootstrap binding of ClusterRole
	// system:public-info-viewer (/healthz, /livez, /readyz, /version).
	IncludePublicInfoViewer bool
}

// IsPublicInfoViewer recognizes the bootstrap binding of system:public-info-viewer by
// its role and its bootstrap label, not by its name alone.
func IsPublicInfoViewer(b *Binding) bool {
	return b.Kind == "ClusterRoleBinding" && b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == PublicInfoViewer && b.Bootstrap()
}

// Find lists every binding with an anonymous subject, sorted (ClusterRoleBindings
// first), and decides what revoking does to each.
func Find(s *rbac.Snapshot, opts Options) []Finding {
	clusterRoles := map[string][]rbacv1.PolicyRule{}
	for _, r := range s.ClusterRoles {
		clusterRoles[r.Name] = r.Rules
	}
	roles := map[string][]rbacv1.PolicyRule{}
	for _, r := range s.Roles {
		roles[r.Namespace+"/"+r.Name] = r.Rules
	}
	var out []Finding
	consider := func(b Binding) {
		var anon []rbacv1.Subject
		for _, sub := range b.Subjects {
			if IsAnonymous(sub) {
				anon = append(anon, sub)
			}
		}
		if len(anon) == 0 || (IsPublicInfoViewer(&b) && !opts.IncludePublicInfoViewer) {
			return
		}
		f := Finding{Binding: b, Anonymous: anon}
		switch b.RoleRef.Kind {
		case "ClusterRole":
			f.Rules, f.RoleExists = clusterRoles[b.RoleRef.Name]
		case "Role":
			f.Rules, f.RoleExists = roles[b.Namespace+"/"+b.RoleRef.Name]
		}
		switch {
		case len(anon) < len(b.Subjects):
			f.Action = ActionRemoveSubjects
		case b.Bootstrap():
			f.Action = ActionEmpty
		default:
			f.Action = ActionDelete
		}
		// The bootstrap re-adds its default subjects to a binding with autoupdate
		// "true" at every API server start.
		if b.Kind == "ClusterRoleBinding" && b.Annotations[AutoUpdate] == "true" {
			for _, d := range bootstrapAnonymousSubjects(b.Name) {
				if slices.ContainsFunc(anon, func(s rbacv1.Subject) bool { return s.Kind == d.Kind && s.Name == d.Name }) {
					f.DisableAutoUpdate = true
				}
			}
		}
		out = append(out, f)
	}
	for _, b := range s.ClusterRoleBindings {
		consider(Binding{Kind: "ClusterRoleBinding", Name: b.Name, RoleRef: b.RoleRef, Subjects: b.Subjects, Labels: b.Labels, Annotations: b.Annotations})
	}
	for _, b := range s.RoleBindings {
		consider(Binding{Kind: "RoleBinding", Namespace: b.Namespace, Name: b.Name, RoleRef: b.RoleRef, Subjects: b.Subjects, Labels: b.Labels, Annotations: b.Annotations})
	}
	slices.SortFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Binding.Kind, b.Binding.Kind), cmp.Compare(a.Binding.Namespace, b.Binding.Namespace), cmp.Compare(a.Binding.Name, b.Binding.Name))
	})
	return out
}

// Revoke returns a binding's new subjects and annotations, given its live ones, or
// deleteIt when the binding should go. It is what the write re-plans on each attempt.
func Revoke(f *Finding, subjects []rbacv1.Subject, annotations map[string]string) (newSubjects []rbacv1.Subject, newAnnotations map[string]string, deleteIt, changed bool) {
	var keep []rbacv1.Subject
	for _, s := range subjects {
		if !IsAnonymous(s) {
			keep = append(keep, s)
		}
	}
	newAnnotations = annotations
	if f.DisableAutoUpdate && annotations[AutoUpdate] != "false" {
		newAnnotations = make(map[string]string, len(annotations))
		for k, v := range annotations {
			newAnnotations[k] = v
		}
		newAnnotations[AutoUpdate] = "false"
		changed = true
	}
	if len(keep) == len(subjects) {
		return subjects, newAnnotations, false, changed
	}
	if len(keep) == 0 && !f.Binding.Bootstrap() {
		return nil, nil, true, true
	}
	return keep, newAnnotations, false, true
}

// Probe is a request an anonymous caller could make through a rule: what the
// verification asks SubjectAccessReview after a revoke.
type Probe struct {
	rbac.Attributes
	// Description such as "get pods in app", "get /healthz".
	Description string
}

// Probes turns a finding's rules into concrete requests, one per rule: the first
// verb, group and resource (a "*" becomes a representative value), in the binding's
// namespace for RoleBindings; or the first URL (a prefix "x/*" becomes "x/").
func Probes(f *Finding) []Probe {
	var out []Probe
	concrete := func(v, fallback string) string {
		if v == "*" || v == "" {
			return fallback
		}
		return v
	}
	for _, r := range f.Rules {
		if len(r.Verbs) == 0 {
			continue
		}
		if len(r.NonResourceURLs) > 0 {
			path := strings.TrimRight(r.NonResourceURLs[0], "*")
			if path == "" {
				path = "/"
			}
			verb := concrete(r.Verbs[0], "get")
			out = append(out, Probe{Attributes: rbac.Attributes{Verb: verb, Path: path}, Description: verb + " " + path})
			continue
		}
		if len(r.Resources) == 0 || len(r.APIGroups) == 0 {
			continue
		}
		verb := concrete(r.Verbs[0], "get")
		group := concrete(r.APIGroups[0], "")
		resource, sub, _ := strings.Cut(r.Resources[0], "/")
		resource = concrete(resource, "pods")
		if sub == "*" {
			sub = "status"
		}
		name := ""
		if len(r.ResourceNames) > 0 {
			name = r.ResourceNames[0]
		}
		a := rbac.Attributes{Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Name: name, Namespace: f.Binding.Namespace}
		desc := verb + " " + resource
		if group != "" {
			desc += "." + group
		}
		if sub != "" {
			desc += "/" + sub
		}
		if name != "" {
			desc += " " + name
		}
		if a.Namespace != "" {
			desc += " in " + a.Namespace
		} else {
			desc += " (cluster-wide)"
		}
		out = append(out, Probe{Attributes: a, Description: desc})
	}
	return out
}
