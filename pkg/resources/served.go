package resources

import (
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Served is a resource type a cluster serves, with its subresources: a row of an
// access matrix.
type Served struct {
	Group    string `json:"group"`
	Resource string `json:"resource"`
	// Namespaced requests carry a namespace.
	Namespaced bool `json:"namespaced"`
	// RBACOnly marks the resources RBAC rules name that no API serves (users, groups,
	// uids, userextras, signers).
	RBACOnly     bool          `json:"rbacOnly,omitempty"`
	Subresources []Subresource `json:"subresources,omitempty"`
}

// Subresource is a subresource and the verbs discovery lists for it.
type Subresource struct {
	Name  string   `json:"name"`
	Verbs []string `json:"verbs"`
}

// builtinSubresourcesJSON lists the subresources a stock kube-apiserver serves, with
// their verbs (discovery's document of resources leaves them out). Regenerate it with:
// go test ./test/ -run TestBuiltinSubresourcesCurrent -update
//
//go:embed subresources.json
var builtinSubresourcesJSON []byte

// BuiltinSubresources returns the subresources of the built-in resource types.
func BuiltinSubresources() ([]Served, error) {
	var out []Served
	if err := json.Unmarshal(builtinSubresourcesJSON, &out); err != nil {
		return nil, fmt.Errorf("built-in subresource table: %w", err)
	}
	return out, nil
}

// ServedFromDiscovery lists what discovery serves: every resource of every group once
// (in the group's preferred version when several serve it), with its subresources and
// their verbs, sorted by group and resource. Subresources of a resource in a version
// other than the one kept are merged in.
func ServedFromDiscovery(groups []*metav1.APIGroup, lists []*metav1.APIResourceList) []Served {
	byGV := map[string]*metav1.APIResourceList{}
	for _, l := range lists {
		byGV[l.GroupVersion] = l
	}
	type key struct{ group, resource string }
	seen := map[key]int{}
	var out []Served
	for _, g := range groups {
		versions := []string{g.PreferredVersion.Version}
		for _, v := range g.Versions {
			if !slices.Contains(versions, v.Version) {
				versions = append(versions, v.Version)
			}
		}
		for _, v := range versions {
			l := byGV[schema.GroupVersion{Group: g.Name, Version: v}.String()]
			if l == nil {
				continue
			}
			for _, r := range l.APIResources {
				base, sub, isSub := strings.Cut(r.Name, "/")
				k := key{g.Name, base}
				i, ok := seen[k]
				if !ok {
					if isSub {
						continue // a subresource of a resource this version does not serve
					}
					i = len(out)
					seen[k] = i
					out = append(out, Served{Group: g.Name, Resource: base, Namespaced: r.Namespaced})
				}
				if isSub && !slices.ContainsFunc(out[i].Subresources, func(s Subresource) bool { return s.Name == sub }) {
					out[i].Subresources = append(out[i].Subresources, Subresource{Name: sub, Verbs: slices.Sorted(slices.Values(r.Verbs))})
				}
			}
		}
	}
	return sortServed(out)
}

// Served lists the resource types of d (the built-in table and the input's CRDs,
// offline), with the subresources subs gives for them.
func (d *Discovery) Served(subs []Served) []Served {
	type key struct{ group, resource string }
	subsOf := map[key][]Subresource{}
	for _, s := range subs {
		subsOf[key{s.Group, s.Resource}] = s.Subresources
	}
	seen := map[key]bool{}
	var out []Served
	for _, g := range d.Groups {
		for _, v := range g.Versions {
			for _, r := range v.Resources {
				k := key{g.Name, r.Name}
				if seen[k] {
					continue
				}
				seen[k] = true
				out = append(out, Served{Group: g.Name, Resource: r.Name, Namespaced: r.Namespaced, Subresources: slices.Clone(subsOf[k])})
			}
		}
	}
	return sortServed(out)
}

// WithRBACOnly adds the resources only RBAC knows (see Resolve): users, groups and
// serviceaccounts are impersonated, uids and userextras too, signers approved.
func WithRBACOnly(served []Served) []Served {
	out := slices.Clone(served)
	for _, r := range []Served{
		{Resource: "users"}, {Resource: "groups"},
		{Group: "authentication.k8s.io", Resource: "uids"}, {Group: "authentication.k8s.io", Resource: "userextras"},
		{Group: "certificates.k8s.io", Resource: "signers"},
	} {
		if !slices.ContainsFunc(out, func(s Served) bool { return s.Group == r.Group && s.Resource == r.Resource }) {
			r.RBACOnly = true
			out = append(out, r)
		}
	}
	return sortServed(out)
}

func sortServed(s []Served) []Served {
	for i := range s {
		slices.SortFunc(s[i].Subresources, func(a, b Subresource) int { return cmp.Compare(a.Name, b.Name) })
	}
	slices.SortFunc(s, func(a, b Served) int {
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Resource, b.Resource))
	})
	return s
}
