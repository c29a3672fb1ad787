package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeeks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
)

// The cluster's access entries, served by a local EKS API: Developer has an entry with
// AmazonEKSEditPolicy in app (shadowing its aws-auth mapping), Auditor exists only as
// an entry, bound through its group.
func eksSnapshot() eks.Snapshot {
	return eks.Snapshot{Cluster: eks.Cluster{Name: "prod", AuthenticationMode: eks.ModeAPIAndConfigMap}, Entries: []eks.AccessEntry{
		{PrincipalARN: "arn:aws:iam::111122223333:role/Developer", Type: eks.TypeStandard, Username: "dev:{{SessionName}}", KubernetesGroups: []string{},
			AccessPolicies: []eks.AssociatedPolicy{{PolicyARN: eks.PolicyARNPrefix + "AmazonEKSEditPolicy", Scope: eks.Scope{Type: eks.ScopeNamespace, Namespaces: []string{"app"}}}}},
		{PrincipalARN: "arn:aws:iam::111122223333:role/teams/Auditor", Type: eks.TypeStandard, KubernetesGroups: []string{"platform:admins"}, AccessPolicies: []eks.AssociatedPolicy{}},
		{PrincipalARN: "arn:aws:iam::111122223333:role/eks-node-group-role", Type: eks.TypeEC2Linux, KubernetesGroups: []string{}, AccessPolicies: []eks.AssociatedPolicy{}},
	}}
}

func whoCanReport(t *testing.T, r result) v1alpha1.WhoCanReport {
	t.Helper()
	var rep v1alpha1.WhoCanReport
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r)
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, r)
	}
	return rep
}

func principalStatuses(rep v1alpha1.WhoCanReport) map[string]string {
	out := map[string]string{}
	for _, p := range rep.IAMPrincipals {
		out[p.ARN+" "+p.Source] = p.Status
	}
	return out
}

// TestAccessEntriesEndToEnd runs the plugin binary, as `kubectl eksiam`, against the
// real kube-apiserver and a local EKS API reached through the unchanged AWS SDK
// configuration (AWS_ENDPOINT_URL_EKS and keys in the environment).
func TestAccessEntriesEndToEnd(t *testing.T) {
	cl := awsAuthCluster(t)
	srv := fakeeks.New(t, eksSnapshot())
	fakeeks.Env(t, srv.URL)

	// who-can in IAM terms: the entry's policy allows delete pods in app; the aws-auth
	// mapping of Developer is shadowed; Auditor reaches platform:admins through its entry.
	rep := whoCanReport(t, plugin(t, cl.kubeconfig, nil, "who-can", "delete", "pods", "-n", "app", "-o", "json", "--cluster-name", "prod"))
	if rep.AuthenticationMode != eks.ModeAPIAndConfigMap {
		t.Errorf("authenticationMode %q", rep.AuthenticationMode)
	}
	got := principalStatuses(rep)
	want := map[string]string{
		"arn:aws:iam::111122223333:role/Developer access entry (STANDARD)":     "active",
		"arn:aws:iam::111122223333:role/teams/Auditor access entry (STANDARD)": "active",
		"arn:aws:iam::111122223333:role/PlatformAdmin aws-auth mapRoles[1]":    "active",
		"arn:aws:iam::111122223333:user/alice aws-auth mapUsers[0]":            "active",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: status %q, want %q (all: %v)", k, got[k], w, got)
		}
	}
	for _, p := range rep.IAMPrincipals {
		if p.ARN == "arn:aws:iam::111122223333:role/Developer" && p.Source == "access entry (STANDARD)" &&
			(len(p.ViaAccessPolicies) != 1 || p.ViaAccessPolicies[0].PolicyARN != eks.PolicyARNPrefix+"AmazonEKSEditPolicy") {
			t.Errorf("Developer should be allowed through AmazonEKSEditPolicy: %+v", p)
		}
	}
	t.Logf("who-can: %d IAM principals; EKS API: %s", len(rep.IAMPrincipals), srv.Summary())
	if srv.Requests(fakeeks.DescribeCluster) == 0 || srv.Requests(fakeeks.ListAssociatedAccessPolicies) < 3 {
		t.Errorf("the EKS API was not read as expected: %s", srv.Summary())
	}

	// access ARN: the session of Developer is the entry's identity; delete pods in app
	// comes from the access policy, in ci nothing allows it.
	r := plugin(t, cl.kubeconfig, nil, "access", "arn:aws:sts::111122223333:assumed-role/Developer/jo@example.com",
		"--verb", "delete", "--resource", "pods", "-n", "app", "-o", "json", "--cluster-name", "prod")
	var acc v1alpha1.AccessReport
	if err := json.Unmarshal([]byte(r.stdout), &acc); err != nil || r.code != 0 {
		t.Fatalf("access: %v %s", err, r)
	}
	if acc.Username != "dev:jo-example.com" || acc.Decision == nil || !acc.Decision.Allowed || !strings.Contains(acc.Decision.Reason, "AmazonEKSEditPolicy") ||
		len(acc.Others) != 1 || acc.Others[0].Status != "shadowed" {
		t.Errorf("access: %+v", acc)
	}
	if r := plugin(t, cl.kubeconfig, nil, "access", "arn:aws:sts::111122223333:assumed-role/Developer/jo", "--verb", "delete", "--resource", "pods", "-n", "ci", "--cluster-name", "prod"); r.code != 1 {
		t.Errorf("access in ci: want exit 1 (not allowed), got %s", r)
	}

	// Export, then the same answer offline from the file.
	exp := plugin(t, cl.kubeconfig, nil, "access-entries", "export", "--cluster-name", "prod")
	if exp.code != 0 || !strings.Contains(exp.stderr, "3 access entries") {
		t.Fatalf("export: %s", exp)
	}
	file := filepath.Join(t.TempDir(), "entries.json")
	if err := os.WriteFile(file, []byte(exp.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	offline := whoCanReport(t, plugin(t, cl.kubeconfig, nil, "who-can", "delete", "pods", "-n", "app", "-o", "json", "--access-entries-file", file))
	if d := cmp.Diff(rep, offline); d != "" {
		t.Errorf("who-can from the export differs from who-can live (-live +file):\n%s", d)
	}

	// Throttling, then success: the SDK retries, the answer is the same.
	srv.ResetCounts()
	srv.Throttle(fakeeks.DescribeAccessEntry, 2)
	srv.Throttle(fakeeks.ListAccessEntries, 1)
	again := whoCanReport(t, plugin(t, cl.kubeconfig, nil, "who-can", "delete", "pods", "-n", "app", "-o", "json", "--cluster-name", "prod"))
	if d := cmp.Diff(rep, again); d != "" || srv.Failures(fakeeks.DescribeAccessEntry) != 2 {
		t.Errorf("after throttling (%s): %s", srv.Summary(), d)
	}
	srv.ClearFaults()

	// AccessDenied: one line naming the call, exit 2, no partial answer; aws-auth alone
	// only when asked for.
	srv.Deny(fakeeks.ListAssociatedAccessPolicies)
	denied := plugin(t, cl.kubeconfig, nil, "who-can", "delete", "pods", "-n", "app", "--cluster-name", "prod")
	oneErrorLine(t, denied, "eks:ListAssociatedAccessPolicies on cluster prod: access denied", "--access-entries=false")
	if denied.stdout != "" {
		t.Errorf("output despite the error: %q", denied.stdout)
	}
	exportDenied := plugin(t, cl.kubeconfig, nil, "access-entries", "export", "--cluster-name", "prod")
	oneErrorLine(t, exportDenied, "access denied")
	if exportDenied.stdout != "" {
		t.Errorf("export wrote despite the error: %q", exportDenied.stdout)
	}
	if r := plugin(t, cl.kubeconfig, nil, "who-can", "delete", "pods", "-n", "app", "--cluster-name", "prod", "--access-entries=false"); r.code != 0 {
		t.Errorf("--access-entries=false: %s", r)
	}
	srv.ClearFaults()

	// Unknown cluster: a clear error.
	oneErrorLine(t, plugin(t, cl.kubeconfig, nil, "who-can", "delete", "pods", "-n", "app", "--cluster-name", "nope"), "cluster nope not found")

	// No AWS credentials: one warning, and aws-auth alone.
	fakeeks.EnvNoCredentials(t, srv.URL)
	srv.ResetCounts()
	nc := plugin(t, cl.kubeconfig, nil, "who-can", "delete", "pods", "-n", "app", "-o", "json", "--cluster-name", "prod")
	ncRep := whoCanReport(t, nc)
	if !strings.Contains(nc.stderr, "no AWS credentials") || strings.Count(nc.stderr, "\n") != 1 || ncRep.AuthenticationMode != "" || srv.TotalRequests() != 0 {
		t.Errorf("no credentials: %s (EKS API: %s)", nc, srv.Summary())
	}
	if slices.ContainsFunc(ncRep.IAMPrincipals, func(p v1alpha1.IAMPrincipal) bool { return strings.HasPrefix(p.Source, "access entry") }) {
		t.Errorf("no credentials, yet access entries: %+v", ncRep.IAMPrincipals)
	}
}
