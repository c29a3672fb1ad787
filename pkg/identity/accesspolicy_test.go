package identity

import (
	"strings"
	"testing"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// Point 5 of issue 14: namespace patterns other than an exact name or a trailing '*'
// grant nothing, in who-can and in access alike, and a warning says why.
func TestUndocumentedNamespacePatterns(t *testing.T) {
	view := eks.PolicyARNPrefix + "AmazonEKSViewPolicy"
	entry := func(arn string, patterns ...string) eks.AccessEntry {
		return eks.AccessEntry{PrincipalARN: arn, Type: eks.TypeStandard, KubernetesGroups: []string{},
			AccessPolicies: []eks.AssociatedPolicy{{PolicyARN: view, Scope: eks.Scope{Type: eks.ScopeNamespace, Namespaces: patterns}}}}
	}
	src := Sources{Access: &eks.Snapshot{Cluster: eks.Cluster{AuthenticationMode: eks.ModeAPI}, Entries: []eks.AccessEntry{
		entry("arn:aws:iam::111122223333:role/Glob", "dev-?"),
		entry("arn:aws:iam::111122223333:role/Prefix", "dev-*"),
	}}}
	tests := []struct {
		name          string
		ns            string
		allNamespaces bool
		wantGranted   []string
		wantWarnings  int
	}{
		{"a namespace both would match", "dev-1", false, []string{"arn:aws:iam::111122223333:role/Prefix"}, 1},
		{"a namespace the glob does not match", "dev-10", false, []string{"arn:aws:iam::111122223333:role/Prefix"}, 0},
		{"all namespaces", "", true, []string{"arn:aws:iam::111122223333:role/Prefix"}, 1},
	}
	for _, tc := range tests {
		r := &v1alpha1.WhoCanReport{}
		AddToWhoCan(r, src, &rbac.Query{Attributes: rbac.Attributes{Verb: "get", Resource: "pods", Namespace: tc.ns}, AllNamespaces: tc.allNamespaces})
		var granted []string
		for _, p := range r.IAMPrincipals {
			if len(p.ViaAccessPolicies) > 0 {
				granted = append(granted, p.ARN)
			}
		}
		var unverified []v1alpha1.Warning
		for _, w := range r.Warnings {
			if w.Reason == ReasonUnverifiedScope {
				unverified = append(unverified, w)
			}
		}
		if strings.Join(granted, " ") != strings.Join(tc.wantGranted, " ") || len(unverified) != tc.wantWarnings {
			t.Errorf("%s: granted %v, warnings %+v; want %v and %d warning(s)", tc.name, granted, unverified, tc.wantGranted, tc.wantWarnings)
		}
		for _, w := range unverified {
			if !strings.Contains(w.Message, "role/Glob") || !strings.Contains(w.Message, `"dev-?"`) {
				t.Errorf("%s: warning %q does not name the principal and the pattern", tc.name, w.Message)
			}
		}
	}

	// access ARN: the identity's warnings name the pattern; the decision does not count it.
	res, err := Resolve(src, "arn:aws:sts::111122223333:assumed-role/Glob/jo")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Reason != ReasonUnverifiedScope || !strings.Contains(res.Warnings[0].Message, `"dev-?"`) {
		t.Errorf("Resolve warnings %+v, want one naming \"dev-?\"", res.Warnings)
	}
	allowing, _ := PolicyDecisions(res.Principal, &rbac.Attributes{Verb: "get", Resource: "pods", Namespace: "dev-1"}, false)
	if len(allowing) != 0 {
		t.Errorf("access: %v allow get pods in dev-1 through an undocumented pattern", allowing)
	}
	if res, _ := Resolve(src, "arn:aws:iam::111122223333:role/Prefix"); len(res.Warnings) != 0 {
		t.Errorf("documented pattern: warnings %+v", res.Warnings)
	}
}

// Issue 14, "Also": an EC2 (Auto Mode) entry carries AmazonEKSAutoNodePolicy (user
// guide, "Create node class access entry"): access policies are not for STANDARD
// entries only. The policy is known and not modelled: listed, warned about, not counted.
func TestAutoModeNodeEntryPolicy(t *testing.T) {
	node := eks.AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/AutoNode", Type: eks.TypeEC2, KubernetesGroups: []string{},
		AccessPolicies: []eks.AssociatedPolicy{{PolicyARN: eks.PolicyARNPrefix + "AmazonEKSAutoNodePolicy", Scope: eks.Scope{Type: eks.ScopeCluster}}}}
	src := Sources{Access: &eks.Snapshot{Cluster: eks.Cluster{AuthenticationMode: eks.ModeAPI}, Entries: []eks.AccessEntry{node}}}
	r, err := Resolve(src, "arn:aws:sts::111122223333:assumed-role/AutoNode/i-0123456789abcdef0")
	if err != nil || r.Principal == nil || len(r.Principal.AccessPolicies) != 1 {
		t.Fatalf("Resolve: %+v, %v; want the entry with its policy", r, err)
	}
	rep := &v1alpha1.WhoCanReport{}
	AddToWhoCan(rep, src, &rbac.Query{Attributes: rbac.Attributes{Verb: "get", Resource: "nodes"}})
	found := false
	for _, w := range rep.Warnings {
		if w.Reason == "UnmodelledAccessPolicy" && strings.Contains(w.Message, "AmazonEKSAutoNodePolicy") && strings.Contains(w.Message, "Auto Mode node role") {
			found = true
		}
	}
	if !found {
		t.Errorf("warnings %+v, want AmazonEKSAutoNodePolicy named as known and not modelled", rep.Warnings)
	}
}

// Issue 14, "Also": a namespace-scoped policy and a request for the namespace object
// itself (get namespaces/dev) is not documented: not counted, with a warning, in
// who-can and in access alike.
func TestNamespaceObjectRequest(t *testing.T) {
	e := eks.AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/Dev", Type: eks.TypeStandard, KubernetesGroups: []string{},
		AccessPolicies: []eks.AssociatedPolicy{{PolicyARN: eks.PolicyARNPrefix + "AmazonEKSViewPolicy", Scope: eks.Scope{Type: eks.ScopeNamespace, Namespaces: []string{"dev"}}}}}
	src := Sources{Access: &eks.Snapshot{Cluster: eks.Cluster{AuthenticationMode: eks.ModeAPI}, Entries: []eks.AccessEntry{e}}}
	a := rbac.Attributes{Verb: "get", Resource: "namespaces", Name: "dev"}
	rep := &v1alpha1.WhoCanReport{}
	AddToWhoCan(rep, src, &rbac.Query{Attributes: a})
	if len(rep.IAMPrincipals) != 0 || len(rep.Warnings) != 1 || rep.Warnings[0].Reason != ReasonUnverifiedScope || !strings.Contains(rep.Warnings[0].Message, `namespace object "dev"`) {
		t.Errorf("who-can: principals %+v, warnings %+v", rep.IAMPrincipals, rep.Warnings)
	}
	r, err := Resolve(src, "arn:aws:iam::111122223333:role/Dev")
	if err != nil {
		t.Fatal(err)
	}
	allowing, warnings := r.DecidePolicies(&a)
	if len(allowing) != 0 || len(warnings) != 1 || warnings[0].Message != rep.Warnings[0].Message {
		t.Errorf("access: allowing %v, warnings %+v; want the warning who-can gives", allowing, warnings)
	}
}
