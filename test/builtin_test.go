package test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/resources"
)

var update = flag.Bool("update", false, "rewrite golden files and the built-in resource table")

const builtinPath = "../pkg/resources/builtin.json"

// The offline resource table must be what a stock kube-apiserver serves. Regenerate it
// with: go test ./test/ -run TestBuiltinResourcesCurrent -update
func TestBuiltinResourcesCurrent(t *testing.T) {
	disc := shared.client.Discovery()
	groups, lists, err := disc.ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	version, err := disc.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	builtinGroups := withoutCRDGroups(t, groups)
	got := resources.FromServer(version.GitVersion, builtinGroups, lists)
	checkGolden(t, builtinPath, got)
	n := 0
	for _, g := range got.Groups {
		for _, v := range g.Versions {
			n += len(v.Resources)
		}
	}
	t.Logf("built-in resource table: %d groups, %d group-version resources, server %s", len(got.Groups), n, version.GitVersion)
}

// checkGolden compares got, as indented JSON, with the file at path (rewritten first
// with -update), and fails with a diff of the decoded values when they differ.
func checkGolden[T any](t *testing.T, path string, got T) {
	t.Helper()
	data, err := json.MarshalIndent(got, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, '\n')
	if *update {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, data) {
		var w T
		_ = json.Unmarshal(want, &w)
		t.Fatalf("%s is out of date (-file +server); run with -update:\n%s", path, cmp.Diff(w, got))
	}
}

// withoutCRDGroups leaves out of groups those that CustomResourceDefinitions (created
// by other tests) serve.
func withoutCRDGroups(t *testing.T, groups []*metav1.APIGroup) []*metav1.APIGroup {
	t.Helper()
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
	var out []*metav1.APIGroup
	for _, g := range groups {
		if !crdGroups[g.Name] {
			out = append(out, g)
		}
	}
	return out
}
