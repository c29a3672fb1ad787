package resources

import (
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/restmapper"
)

// builtinJSON is the discovery document of a stock kube-apiserver (see Builtin), so
// that offline mode resolves resource types like kubectl does against a cluster.
// Regenerate it with: go test ./test/ -run TestBuiltinResourcesCurrent -update
//
//go:embed builtin.json
var builtinJSON []byte

// Discovery is the part of a discovery document a RESTMapper is built from.
type Discovery struct {
	// KubernetesVersion of the server the document was read from.
	KubernetesVersion string  `json:"kubernetesVersion"`
	Groups            []Group `json:"groups"`
}

// Group is one API group with its versions, preferred first, and their resources.
type Group struct {
	Name     string    `json:"name"`
	Versions []Version `json:"versions"`
}

// Version is one version of a group and the resources it serves (no subresources).
type Version struct {
	Version   string        `json:"version"`
	Resources []APIResource `json:"resources"`
}

// APIResource is the subset of metav1.APIResource a RESTMapper needs.
type APIResource struct {
	Name         string   `json:"name"`
	SingularName string   `json:"singularName"`
	Namespaced   bool     `json:"namespaced"`
	Kind         string   `json:"kind"`
	ShortNames   []string `json:"shortNames,omitempty"`
}

// Builtin returns the embedded discovery document of a stock kube-apiserver.
func Builtin() (*Discovery, error) {
	d := &Discovery{}
	if err := json.Unmarshal(builtinJSON, d); err != nil {
		return nil, fmt.Errorf("built-in resource table: %w", err)
	}
	return d, nil
}

// AddWellKnownAddOns adds API groups that are not part of kube-apiserver but that
// almost every EKS cluster serves, so that offline mode resolves them as a live
// cluster would: metrics.k8s.io (metrics-server).
func (d *Discovery) AddWellKnownAddOns() {
	d.Add("metrics.k8s.io", "v1beta1", APIResource{Name: "pods", SingularName: "", Namespaced: true, Kind: "PodMetrics"})
	d.Add("metrics.k8s.io", "v1beta1", APIResource{Name: "nodes", SingularName: "", Namespaced: false, Kind: "NodeMetrics"})
}

// FromServer reduces what a discovery client returns to a Discovery, dropping
// subresources, and orders it deterministically (groups in server order).
func FromServer(version string, groups []*metav1.APIGroup, lists []*metav1.APIResourceList) *Discovery {
	byGV := map[string]*metav1.APIResourceList{}
	for _, l := range lists {
		byGV[l.GroupVersion] = l
	}
	d := &Discovery{KubernetesVersion: version}
	for _, g := range groups {
		out := Group{Name: g.Name}
		versions := []string{g.PreferredVersion.Version}
		for _, v := range g.Versions {
			if !slices.Contains(versions, v.Version) {
				versions = append(versions, v.Version)
			}
		}
		for _, v := range versions {
			gv := schema.GroupVersion{Group: g.Name, Version: v}.String()
			l := byGV[gv]
			if l == nil {
				continue
			}
			ver := Version{Version: v}
			for _, r := range l.APIResources {
				if r.Name == "" || strings.Contains(r.Name, "/") {
					continue
				}
				ver.Resources = append(ver.Resources, APIResource{Name: r.Name, SingularName: r.SingularName, Namespaced: r.Namespaced, Kind: r.Kind, ShortNames: r.ShortNames})
			}
			slices.SortFunc(ver.Resources, func(a, b APIResource) int { return cmp.Compare(a.Name, b.Name) })
			out.Versions = append(out.Versions, ver)
		}
		if len(out.Versions) > 0 {
			d.Groups = append(d.Groups, out)
		}
	}
	return d
}

// Add appends a group version's resources (for example from a CustomResourceDefinition)
// unless the group already serves a resource of that name.
func (d *Discovery) Add(group, version string, r APIResource) {
	for gi := range d.Groups {
		g := &d.Groups[gi]
		if g.Name != group {
			continue
		}
		for _, v := range g.Versions {
			for _, existing := range v.Resources {
				if existing.Name == r.Name {
					return
				}
			}
		}
		for vi := range g.Versions {
			if g.Versions[vi].Version == version {
				g.Versions[vi].Resources = append(g.Versions[vi].Resources, r)
				return
			}
		}
		g.Versions = append(g.Versions, Version{Version: version, Resources: []APIResource{r}})
		return
	}
	d.Groups = append(d.Groups, Group{Name: group, Versions: []Version{{Version: version, Resources: []APIResource{r}}}})
}

// RESTMapper builds the same kind of RESTMapper kubectl builds from discovery
// (restmapper.NewDiscoveryRESTMapper), plus short names.
func (d *Discovery) RESTMapper() meta.RESTMapper {
	var grs []*restmapper.APIGroupResources
	short := map[string]schema.GroupResource{}
	for _, g := range d.Groups {
		agr := &restmapper.APIGroupResources{VersionedResources: map[string][]metav1.APIResource{}}
		agr.Group.Name = g.Name
		for i, v := range g.Versions {
			gvd := metav1.GroupVersionForDiscovery{GroupVersion: schema.GroupVersion{Group: g.Name, Version: v.Version}.String(), Version: v.Version}
			if i == 0 {
				agr.Group.PreferredVersion = gvd
			}
			agr.Group.Versions = append(agr.Group.Versions, gvd)
			for _, r := range v.Resources {
				agr.VersionedResources[v.Version] = append(agr.VersionedResources[v.Version], metav1.APIResource{
					Name: r.Name, SingularName: r.SingularName, Namespaced: r.Namespaced, Kind: r.Kind, ShortNames: r.ShortNames,
				})
				for _, s := range r.ShortNames {
					if _, taken := short[s]; !taken {
						short[s] = schema.GroupResource{Group: g.Name, Resource: r.Name}
					}
				}
			}
		}
		grs = append(grs, agr)
	}
	return shortNameMapper{RESTMapper: restmapper.NewDiscoveryRESTMapper(grs), short: short}
}

// shortNameMapper expands short names (po, deploy, ...) that the delegate does not know,
// as kubectl's shortcut expander does for a live cluster.
type shortNameMapper struct {
	meta.RESTMapper
	short map[string]schema.GroupResource
}

func (m shortNameMapper) expand(r schema.GroupVersionResource) (schema.GroupVersionResource, bool) {
	gr, ok := m.short[r.Resource]
	if !ok || (r.Group != "" && r.Group != gr.Group) {
		return r, false
	}
	return schema.GroupVersionResource{Group: gr.Group, Version: r.Version, Resource: gr.Resource}, true
}

func (m shortNameMapper) KindFor(r schema.GroupVersionResource) (schema.GroupVersionKind, error) {
	gvk, err := m.RESTMapper.KindFor(r)
	if meta.IsNoMatchError(err) {
		if e, ok := m.expand(r); ok {
			return m.RESTMapper.KindFor(e)
		}
	}
	return gvk, err
}

func (m shortNameMapper) KindsFor(r schema.GroupVersionResource) ([]schema.GroupVersionKind, error) {
	gvks, err := m.RESTMapper.KindsFor(r)
	if meta.IsNoMatchError(err) {
		if e, ok := m.expand(r); ok {
			return m.RESTMapper.KindsFor(e)
		}
	}
	return gvks, err
}

func (m shortNameMapper) ResourceFor(r schema.GroupVersionResource) (schema.GroupVersionResource, error) {
	gvr, err := m.RESTMapper.ResourceFor(r)
	if meta.IsNoMatchError(err) {
		if e, ok := m.expand(r); ok {
			return m.RESTMapper.ResourceFor(e)
		}
	}
	return gvr, err
}

func (m shortNameMapper) ResourcesFor(r schema.GroupVersionResource) ([]schema.GroupVersionResource, error) {
	gvrs, err := m.RESTMapper.ResourcesFor(r)
	if meta.IsNoMatchError(err) {
		if e, ok := m.expand(r); ok {
			return m.RESTMapper.ResourcesFor(e)
		}
	}
	return gvrs, err
}
