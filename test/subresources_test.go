package test

import (
	"testing"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/resources"
)

const subresourcesPath = "../pkg/resources/subresources.json"

// The offline subresource table (the rows of `can` besides the resources) must be what
// a stock kube-apiserver serves. Regenerate it with:
// go test ./test/ -run TestBuiltinSubresourcesCurrent -update
func TestBuiltinSubresourcesCurrent(t *testing.T) {
	groups, lists, err := shared.client.Discovery().ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	builtin := withoutCRDGroups(t, groups)
	var withSubs []resources.Served
	n := 0
	for _, s := range resources.ServedFromDiscovery(builtin, lists) {
		if len(s.Subresources) > 0 {
			withSubs = append(withSubs, resources.Served{Group: s.Group, Resource: s.Resource, Namespaced: s.Namespaced, Subresources: s.Subresources})
			n += len(s.Subresources)
		}
	}
	checkGolden(t, subresourcesPath, withSubs)
	t.Logf("built-in subresource table: %d subresources of %d resource types", n, len(withSubs))
}
