package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeeks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	iamidentity "github.com/kubectl-eksiam/kubectl-eksiam/pkg/identity"
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

// TestEKSAccessModelLive checks issue 14's corrected answers end to end: the plugin
// binary against the real kube-apiserver and the local EKS API, which answers as EKS
// does (node entries carry system:nodes and the node username; CONFIG_MAP clusters
// refuse the access entry calls; DescribeCluster reports
// bootstrapClusterCreatorAdminPermissions; managed node groups name their role).
//   - the cluster creator (CONFIG_MAP): who-can lists its implicit admin, access ARN
//     says an unmapped principal cannot authenticate unless it is the creator, and
//     with --cluster-creator answers as the API server does for system:masters;
//   - a node entry: the identity EKS reports, system:nodes only;
//   - an IAM user with a path in mapUsers: mapped, allowed as the API server says,
//     and planned for migration;
//   - migrate: the managed node group's role is managed by EKS, not differing.
func TestEKSAccessModelLive(t *testing.T) {
	ctx := t.Context()
	cl := awsAuthCluster(t)
	const (
		acct    = "111122223333"
		pat     = "arn:aws:iam::" + acct + ":user/team/dev/pat"
		nodeARN = "arn:aws:iam::" + acct + ":role/eks-node-group-role"
		creator = "arn:aws:iam::" + acct + ":role/Creator"
	)
	cm := liveAWSAuth(t, cl)
	cm.Data["mapUsers"] += "- userarn: " + pat + "\n  username: pat\n  groups:\n    - platform:admins\n"
	if _, err := cl.client.CoreV1().ConfigMaps("kube-system").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	managed := &eks.ManagedRoles{NodeGroups: []eks.NamedRole{{Name: "ng-1", RoleARN: nodeARN}}, FargateProfiles: []eks.NamedRole{}}
	legacy := eks.Snapshot{Cluster: eks.Cluster{Name: "legacy", AuthenticationMode: eks.ModeConfigMap}, Entries: []eks.AccessEntry{}, Managed: managed}
	prod := eks.Snapshot{Cluster: eks.Cluster{Name: "prod", AuthenticationMode: eks.ModeAPIAndConfigMap}, Managed: managed, Entries: []eks.AccessEntry{
		// As created: EKS sets the username and groups of the node entry itself.
		{PrincipalARN: nodeARN, Type: eks.TypeEC2Linux, KubernetesGroups: []string{}, AccessPolicies: []eks.AssociatedPolicy{}},
	}}
	srv := fakeeks.New(t, legacy, prod)
	fakeeks.Env(t, srv.URL)

	sar := func(user string, groups []string, verb, resource string) bool {
		t.Helper()
		r, err := cl.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
			User: user, Groups: groups, ResourceAttributes: &authzv1.ResourceAttributes{Verb: verb, Resource: resource}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Status.Allowed
	}
	access := func(wantCode int, args ...string) v1alpha1.AccessReport {
		t.Helper()
		r := plugin(t, cl.kubeconfig, nil, append([]string{"access"}, append(args, "-o", "json")...)...)
		var rep v1alpha1.AccessReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != wantCode {
			t.Fatalf("access %v: %v, want exit %d\n%s", args, err, wantCode, r)
		}
		return rep
	}

	// The creator, CONFIG_MAP mode.
	srv.ResetCounts()
	rep := whoCanReport(t, plugin(t, cl.kubeconfig, nil, "who-can", "delete", "nodes", "-o", "json", "--cluster-name", "legacy"))
	if n := srv.Requests(fakeeks.ListAccessEntries); n != 0 || rep.AuthenticationMode != eks.ModeConfigMap {
		t.Errorf("CONFIG_MAP: mode %q, %d ListAccessEntries calls (EKS refuses them); %s", rep.AuthenticationMode, n, srv.Summary())
	}
	creatorLine := func(rep v1alpha1.WhoCanReport) (v1alpha1.IAMPrincipal, bool) {
		for _, p := range rep.IAMPrincipals {
			if p.Source == iamidentity.CreatorSource {
				return p, true
			}
		}
		return v1alpha1.IAMPrincipal{}, false
	}
	masters := func(rep v1alpha1.WhoCanReport) []string {
		for _, s := range rep.Subjects {
			if s.Kind == "Group" && s.Name == "system:masters" {
				return s.IAMPrincipals
			}
		}
		return nil
	}
	if p, ok := creatorLine(rep); !ok || p.ARN != iamidentity.UnknownCreatorARN || !slices.Contains(masters(rep), iamidentity.UnknownCreatorARN) {
		t.Errorf("who-can: creator line %+v (found %v), system:masters reached by %v", p, ok, masters(rep))
	}
	if len(rep.Findings) != 1 || rep.Findings[0].ID != iamidentity.FindingCreatorAdmin || rep.Findings[0].Severity != v1alpha1.SeverityMedium {
		t.Errorf("who-can findings %+v, want EKS01 medium", rep.Findings)
	}
	rep = whoCanReport(t, plugin(t, cl.kubeconfig, nil, "who-can", "delete", "nodes", "-o", "json", "--cluster-name", "legacy", "--cluster-creator", creator))
	if p, ok := creatorLine(rep); !ok || p.ARN != creator || !slices.Contains(masters(rep), creator) {
		t.Errorf("who-can --cluster-creator: creator line %+v (found %v), system:masters reached by %v", p, ok, masters(rep))
	}
	// The path case in who-can: pat reaches platform:admins.
	if !slices.ContainsFunc(rep.IAMPrincipals, func(p v1alpha1.IAMPrincipal) bool { return p.ARN == pat && p.Status == "active" }) {
		t.Errorf("who-can: %s (mapUsers with a path) not listed: %+v", pat, rep.IAMPrincipals)
	}

	nobody := access(1, "arn:aws:iam::"+acct+":role/Nobody", "--verb", "delete", "--resource", "nodes", "--cluster-name", "legacy")
	if nobody.Mapped || nobody.ClusterCreator != "possible" || !strings.Contains(nobody.Decision.Reason, "unless it is the cluster creator") {
		t.Errorf("access, unmapped in CONFIG_MAP: mapped %v, clusterCreator %q, decision %+v", nobody.Mapped, nobody.ClusterCreator, nobody.Decision)
	}
	cr := access(0, "arn:aws:sts::"+acct+":assumed-role/Creator/jo", "--verb", "delete", "--resource", "nodes", "--cluster-name", "legacy", "--cluster-creator", creator)
	if !cr.Mapped || cr.ClusterCreator != "yes" || !slices.Equal(cr.Groups, []string{"system:authenticated", "system:masters"}) || !cr.Decision.Allowed ||
		cr.Decision.Allowed != sar("", cr.Groups, "delete", "nodes") {
		t.Errorf("access, the creator: %+v", cr)
	}
	if other := access(1, "arn:aws:iam::"+acct+":role/Nobody", "--verb", "delete", "--resource", "nodes", "--cluster-name", "legacy", "--cluster-creator", creator); other.Mapped || other.ClusterCreator != "" {
		t.Errorf("access, not the creator given: mapped %v, clusterCreator %q", other.Mapped, other.ClusterCreator)
	}

	// The path case in access: mapped, and the same answer as the API server's.
	p := access(0, pat, "--verb", "delete", "--resource", "nodes", "--cluster-name", "legacy")
	if !p.Mapped || p.Username != "pat" || !p.Decision.Allowed || p.Decision.Allowed != sar(p.Username, p.Groups, "delete", "nodes") {
		t.Errorf("access, a user with a path: %+v", p)
	}

	// The node entry, API_AND_CONFIG_MAP: the identity EKS reports.
	node := access(1, "arn:aws:sts::"+acct+":assumed-role/eks-node-group-role/i-0123456789abcdef0", "--verb", "delete", "--resource", "nodes", "--cluster-name", "prod")
	if !node.Mapped || node.Principal.Source != "access entry (EC2_LINUX)" || node.Username != "system:node:{{EC2PrivateDNSName}}" ||
		!slices.Equal(node.Groups, []string{"system:authenticated", "system:nodes"}) || node.Decision.Allowed != sar(node.Username, node.Groups, "delete", "nodes") {
		t.Errorf("access, a node entry: %+v", node)
	}
	all := whoCanReport(t, plugin(t, cl.kubeconfig, nil, "who-can", "create", "selfsubjectaccessreviews", "-o", "json", "--cluster-name", "prod"))
	if !slices.ContainsFunc(all.IAMPrincipals, func(p v1alpha1.IAMPrincipal) bool {
		return p.ARN == nodeARN && p.EntryType == eks.TypeEC2Linux && slices.Equal(p.Groups, []string{"system:nodes"})
	}) {
		t.Errorf("who-can: the node entry's groups are not what EKS reports: %+v", all.IAMPrincipals)
	}

	// migrate: the managed node group's role is EKS's; the user with a path moves.
	for _, cluster := range []string{"prod", "legacy"} {
		r := plugin(t, cl.kubeconfig, nil, "aws-auth", "migrate", "--cluster-name", cluster, "-o", "json")
		var plan v1alpha1.AWSAuthMigration
		if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil || r.code != 0 {
			t.Fatalf("migrate %s: %v\n%s", cluster, err, r)
		}
		actions := map[string]string{}
		for _, e := range plan.Entries {
			actions[e.PrincipalARN] = e.Action
		}
		if actions[nodeARN] != "managed" || actions[pat] != "create" || len(plan.Blocked) != 0 {
			t.Errorf("migrate %s: actions %v, blocked %+v", cluster, actions, plan.Blocked)
		}
		for _, c := range plan.Commands {
			if strings.Contains(c, "create-access-entry") && strings.Contains(c, nodeARN) {
				t.Errorf("migrate %s: creates the managed node group's entry: %s", cluster, c)
			}
		}
		if cluster == "legacy" && (len(plan.Commands) < 2 || !strings.HasPrefix(plan.Commands[1], "aws eks wait cluster-active --name legacy")) {
			t.Errorf("migrate legacy: commands %q, want the mode change and a wait first", plan.Commands)
		}
	}
	t.Logf("EKS API: %s", srv.Summary())
}
