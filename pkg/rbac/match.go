// Package rbac evaluates Kubernetes RBAC objects exactly as the API server's RBAC
// authorizer does (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac), and answers
// "who can do this?" over a snapshot of ClusterRoles, ClusterRoleBindings, Roles and
// RoleBindings.
//
// The package is pure: typed values in, typed values out, deterministic order, no
// clients and no I/O.
package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Attributes is the part of an authorization request that RBAC looks at. A request
// is either a resource request (Resource set) or a non-resource request (Path set).
type Attributes struct {
	Verb string

	// Resource requests.
	APIGroup    string
	Resource    string
	Subresource string
	Name        string
	// Namespace of the request; "" for cluster-scoped resources, for requests that span
	// all namespaces, and for non-resource requests.
	Namespace string

	// Path is the URL of a non-resource request, for example /healthz.
	Path string
}

// IsResourceRequest reports whether a is a resource request rather than a request for a
// non-resource URL.
func (a *Attributes) IsResourceRequest() bool { return a.Path == "" }

// RuleAllows reports whether rule allows the request a. It mirrors RuleAllows in the
// API server's RBAC authorizer, including its corner cases:
//   - "*" matches any verb, API group or resource (and "*/sub" any resource's subresource sub);
//   - a resource like "pods/*" is matched literally, so it does not cover pods/exec;
//   - a rule with resourceNames never matches a request without a name;
//   - a non-resource URL ending in "*" matches every path with that prefix.
func RuleAllows(a *Attributes, rule *rbacv1.PolicyRule) bool {
	if !verbMatches(rule, a.Verb) {
		return false
	}
	if !a.IsResourceRequest() {
		return nonResourceURLMatches(rule, a.Path)
	}
	return apiGroupMatches(rule, a.APIGroup) &&
		resourceMatches(rule, a.Resource, a.Subresource) &&
		resourceNameMatches(rule, a.Name)
}

func verbMatches(rule *rbacv1.PolicyRule, verb string) bool {
	for _, v := range rule.Verbs {
		if v == rbacv1.VerbAll || v == verb {
			return true
		}
	}
	return false
}

func apiGroupMatches(rule *rbacv1.PolicyRule, group string) bool {
	for _, g := range rule.APIGroups {
		if g == rbacv1.APIGroupAll || g == group {
			return true
		}
	}
	return false
}

func resourceMatches(rule *rbacv1.PolicyRule, resource, subresource string) bool {
	combined := resource
	if subresource != "" {
		combined = resource + "/" + subresource
	}
	for _, r := range rule.Resources {
		if r == rbacv1.ResourceAll || r == combined {
			return true
		}
		// "*/subresource" matches that subresource of every resource.
		if subresource != "" && len(r) == len(subresource)+2 &&
			strings.HasPrefix(r, "*/") && strings.HasSuffix(r, subresource) {
			return true
		}
	}
	return false
}

func resourceNameMatches(rule *rbacv1.PolicyRule, name string) bool {
	if len(rule.ResourceNames) == 0 {
		return true
	}
	for _, n := range rule.ResourceNames {
		if n == name {
			return true
		}
	}
	return false
}

func nonResourceURLMatches(rule *rbacv1.PolicyRule, path string) bool {
	for _, u := range rule.NonResourceURLs {
		if u == rbacv1.NonResourceAll || u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}

// FirstAllowingRule returns the index of the first rule in rules that allows a, or -1.
func FirstAllowingRule(a *Attributes, rules []rbacv1.PolicyRule) int {
	for i := range rules {
		if RuleAllows(a, &rules[i]) {
			return i
		}
	}
	return -1
}

// RuleResources are the resources of a resource rule as resource[/subresource] with
// ".group" appended for groups other than the core one ("pods", "deployments.apps").
func RuleResources(r rbacv1.PolicyRule) []string {
	var out []string
	for _, g := range r.APIGroups {
		for _, x := range r.Resources {
			if g == "" {
				out = append(out, x)
			} else {
				out = append(out, x+"."+g)
			}
		}
	}
	return out
}

// RuleString summarizes a rule on one line: "get,list pods,services",
// "get pods [web]" (resource names), "get /healthz,/version".
func RuleString(r rbacv1.PolicyRule) string {
	verbs := strings.Join(r.Verbs, ",")
	if len(r.NonResourceURLs) > 0 {
		return verbs + " " + strings.Join(r.NonResourceURLs, ",")
	}
	s := verbs + " " + strings.Join(RuleResources(r), ",")
	if len(r.ResourceNames) > 0 {
		s += " [" + strings.Join(r.ResourceNames, ",") + "]"
	}
	return s
}
