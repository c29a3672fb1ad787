package test

import (
	"encoding/json"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

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
	dyn, err := dynamic.NewForConfig(shared.admin)
	if err != nil {
		t.Fatal(err)
	}
	crds, err := dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	crdGroups := map[string]bool{}
	for _, u := range crds.Items {
		var crd apiextensionsv1.CustomResourceDefinition
		if b, err := u.MarshalJSON(); err == nil && json.Unmarshal(b, &crd) == nil {
			crdGroups[crd.Spec.Group] = true
		}
	}
	var builtin []*metav1.APIGroup
	for _, g := range groups {
		if !crdGroups[g.Name] {
			builtin = append(builtin, g)
		}
	}
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
