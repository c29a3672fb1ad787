package source

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/client-go/discovery"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/resources"
)

// ReadServed lists the resource types the cluster serves, with their subresources,
// through discovery (cached as kubectl caches it). A group whose discovery fails (an
// aggregated API that does not answer) is left out, and a warning names it; any other
// failure is an error.
func ReadServed(d discovery.DiscoveryInterface) ([]resources.Served, string, error) {
	groups, lists, err := d.ServerGroupsAndResources()
	var failed *discovery.ErrGroupDiscoveryFailed
	warning := ""
	switch {
	case errors.As(err, &failed):
		var names []string
		for gv := range failed.Groups {
			names = append(names, gv.String())
		}
		slices.Sort(names)
		warning = fmt.Sprintf("discovery failed for %s: the resource types of those group versions are not in the matrix", strings.Join(names, ", "))
	case err != nil:
		return nil, "", fmt.Errorf("cannot discover the resource types the cluster serves: %w", err)
	}
	return resources.ServedFromDiscovery(groups, lists), warning, nil
}

// servedOffline is what an input serves: the built-in table of a stock kube-apiserver
// with its subresources, the well-known add-ons, and the input's CRDs with theirs
// (status and scale, with the verbs the API server gives them).
func (f *Files) servedOffline() ([]resources.Served, error) {
	d, err := f.Discovery()
	if err != nil {
		return nil, err
	}
	subs, err := resources.BuiltinSubresources()
	if err != nil {
		return nil, err
	}
	for _, c := range f.CRDs {
		s := resources.Served{Group: c.Group, Resource: c.Resource.Name}
		for _, name := range c.Subresources {
			s.Subresources = append(s.Subresources, resources.Subresource{Name: name, Verbs: []string{"get", "patch", "update"}})
		}
		subs = append(subs, s)
	}
	return d.Served(subs), nil
}

// readServed reads discovery with the live clients' discovery client (the clientset's
// when Connect did not set one, as in tests with fake clients).
func readServed(c *Clients) ([]resources.Served, string, error) {
	d := c.Discovery
	if d == nil {
		if k, ok := c.Kube.(interface {
			Discovery() discovery.DiscoveryInterface
		}); ok {
			d = k.Discovery()
		}
	}
	if d == nil {
		return nil, "", errors.New("source: no discovery client for a live read")
	}
	return ReadServed(d)
}
