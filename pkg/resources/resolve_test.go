package resources

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Offline resolution uses the built-in table of a stock kube-apiserver the way kubectl
// resolves against a live cluster: short names, singular, plural, kind, group suffix.
func TestResolveBuiltin(t *testing.T) {
	d, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	d.AddWellKnownAddOns()
	d.Add("example.com", "v1", APIResource{Name: "widgets", SingularName: "widget", Kind: "Widget", ShortNames: []string{"wd"}, Namespaced: true})
	mapper := d.RESTMapper()
	tests := []struct {
		arg     string
		want    Resource
		wantErr bool
	}{
		{arg: "pods", want: Resource{Resource: "pods", Namespaced: true}},
		{arg: "po", want: Resource{Resource: "pods", Namespaced: true}},
		{arg: "pod", want: Resource{Resource: "pods", Namespaced: true}},
		{arg: "Pod", want: Resource{Resource: "pods", Namespaced: true}},
		{arg: "PODS", want: Resource{Resource: "pods", Namespaced: true}},
		{arg: "deploy", want: Resource{Group: "apps", Resource: "deployments", Namespaced: true}},
		{arg: "deployments.apps", want: Resource{Group: "apps", Resource: "deployments", Namespaced: true}},
		{arg: "deployments.v1.apps", want: Resource{Group: "apps", Resource: "deployments", Namespaced: true}},
		{arg: "Deployment.apps", want: Resource{Group: "apps", Resource: "deployments", Namespaced: true}},
		{arg: "nodes", want: Resource{Resource: "nodes"}},
		{arg: "no", want: Resource{Resource: "nodes"}},
		{arg: "ns", want: Resource{Resource: "namespaces"}},
		{arg: "clusterroles", want: Resource{Group: "rbac.authorization.k8s.io", Resource: "clusterroles"}},
		{arg: "roles", want: Resource{Group: "rbac.authorization.k8s.io", Resource: "roles", Namespaced: true}},
		{arg: "sa", want: Resource{Resource: "serviceaccounts", Namespaced: true}},
		{arg: "csr", want: Resource{Group: "certificates.k8s.io", Resource: "certificatesigningrequests"}},
		{arg: "cronjobs.batch", want: Resource{Group: "batch", Resource: "cronjobs", Namespaced: true}},
		{arg: "wd", want: Resource{Group: "example.com", Resource: "widgets", Namespaced: true}},
		{arg: "widget.example.com", want: Resource{Group: "example.com", Resource: "widgets", Namespaced: true}},
		// RBAC-only resources, never in discovery.
		{arg: "users", want: Resource{Resource: "users", RBACOnly: true}},
		{arg: "groups", want: Resource{Resource: "groups", RBACOnly: true}},
		{arg: "uids", want: Resource{Group: "authentication.k8s.io", Resource: "uids", RBACOnly: true}},
		{arg: "userextras.authentication.k8s.io", want: Resource{Group: "authentication.k8s.io", Resource: "userextras", RBACOnly: true}},
		{arg: "signers", want: Resource{Group: "certificates.k8s.io", Resource: "signers", RBACOnly: true}},
		// Wildcards.
		{arg: "*", want: Resource{Group: "*", Resource: "*", Namespaced: true}}, // every group, as users read it
		{arg: "*.", want: Resource{Resource: "*", Namespaced: true}},            // the core group's
		{arg: "*.apps", want: Resource{Group: "apps", Resource: "*", Namespaced: true}},
		{arg: "*.*", want: Resource{Group: "*", Resource: "*", Namespaced: true}},
		// Unknown.
		{arg: "gizmos", wantErr: true},
		{arg: "pods.nosuch.group", wantErr: true},
		{arg: "pods.metrics.k8s.io", want: Resource{Group: "metrics.k8s.io", Resource: "pods", Namespaced: true}},
		{arg: "nodes.metrics.k8s.io", want: Resource{Group: "metrics.k8s.io", Resource: "nodes"}},
	}
	for _, tc := range tests {
		t.Run(tc.arg, func(t *testing.T) {
			got, err := Resolve(mapper, tc.arg)
			if tc.wantErr {
				var nf *NotFoundError
				if !errors.As(err, &nf) {
					t.Fatalf("want *NotFoundError, got %v, %v", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// RBAC-only resources and wildcards need no discovery at all.
func TestResolveWithoutMapper(t *testing.T) {
	for _, arg := range []string{"users", "groups", "uids", "userextras", "signers", "*", "*.apps"} {
		if _, err := Resolve(nil, arg); err != nil {
			t.Errorf("%s: %v", arg, err)
		}
	}
	if _, err := Resolve(nil, "pods"); err == nil {
		t.Error("pods resolved without a mapper")
	}
}
