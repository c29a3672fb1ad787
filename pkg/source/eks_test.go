package source

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeeks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
)

// The tests here run the real aws-sdk-go-v2 client, built by NewEKSClient exactly as
// the commands build it, against fakeeks on loopback (pointed at with
// AWS_ENDPOINT_URL_EKS).

// eksFixture starts a fake EKS holding snaps, points the SDK at it and returns it
// with a client.
func eksFixture(t *testing.T, snaps ...eks.Snapshot) (*fakeeks.Server, EKSAPI) {
	t.Helper()
	s := fakeeks.New(t, snaps...)
	fakeeks.Env(t, s.URL)
	c, err := NewEKSClient(context.Background(), EKSCluster{})
	if err != nil {
		t.Fatalf("NewEKSClient: %v", err)
	}
	return s, c
}

// sortedSnapshot orders entries by principal ARN and each entry's policies by ARN
// and scope, so that snapshots compare structurally whatever the read order.
func sortedSnapshot(s eks.Snapshot) eks.Snapshot {
	out := eks.Snapshot{Cluster: s.Cluster, Entries: slices.Clone(s.Entries)}
	for i := range out.Entries {
		out.Entries[i].AccessPolicies = slices.Clone(out.Entries[i].AccessPolicies)
		slices.SortFunc(out.Entries[i].AccessPolicies, func(a, b eks.AssociatedPolicy) int {
			return cmp.Or(strings.Compare(a.PolicyARN, b.PolicyARN), strings.Compare(eks.ScopeString(a.Scope), eks.ScopeString(b.Scope)))
		})
	}
	slices.SortFunc(out.Entries, func(a, b eks.AccessEntry) int { return strings.Compare(a.PrincipalARN, b.PrincipalARN) })
	return out
}

// pages is how many pages a listing of n items takes at size per page (an empty
// listing still takes one call).
func pages(n, size int) int { return max(1, (n+size-1)/size) }

// policyPages is how many ListAssociatedAccessPolicies calls reading snap takes.
func policyPages(snap eks.Snapshot, size int) int {
	n := 0
	for _, e := range snap.Entries {
		n += pages(len(e.AccessPolicies), size)
	}
	return n
}

// bigCluster is 27 generated entries plus one whose ARN needs escaping in a URL path
// (a path and IAM's +=,.@_- characters) and a STANDARD entry with no policy.
func bigCluster(name, mode string) eks.Snapshot {
	s := fakeeks.Generate(name, mode, 27)
	s.Entries = append(s.Entries,
		eks.AccessEntry{
			PrincipalARN: "arn:aws:iam::111122223333:role/a/b+c=d,e.f@g_h-i/Role+Name=1,x.y@z_w-v", Type: eks.TypeStandard,
			Username: "odd:{{SessionName}}", KubernetesGroups: []string{"g with space", "g/slash"},
			AccessPolicies: []eks.AssociatedPolicy{
				{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", Scope: eks.Scope{Type: eks.ScopeNamespace, Namespaces: []string{"a", "b-*", "c"}}},
				{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy", Scope: eks.Scope{Type: eks.ScopeCluster, Namespaces: []string{}}},
				{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy", Scope: eks.Scope{Type: eks.ScopeNamespace, Namespaces: []string{"team-*"}}},
			},
		},
		eks.AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:user/no-policies", Type: eks.TypeStandard, KubernetesGroups: []string{}, AccessPolicies: []eks.AssociatedPolicy{}},
	)
	return s
}

func TestReadAccessEntriesReadsEveryPage(t *testing.T) {
	for _, mode := range []string{eks.ModeAPI, eks.ModeAPIAndConfigMap, eks.ModeConfigMap, ""} {
		name := mode
		if name == "" {
			name = "no-accessConfig"
		}
		t.Run(name, func(t *testing.T) {
			want := bigCluster("prod", mode)
			s, c := eksFixture(t, want)
			got, err := ReadAccessEntries(context.Background(), c, "prod")
			if err != nil {
				t.Fatalf("ReadAccessEntries: %v", err)
			}
			want = fakeeks.DescribedSnapshot(want)
			switch mode {
			case "":
				want.Cluster.AuthenticationMode = eks.ModeConfigMap // what a cluster without accessConfig means
				want.Entries = []eks.AccessEntry{}
			case eks.ModeConfigMap:
				// EKS refuses the access entry calls in CONFIG_MAP mode (point 3 of
				// issue 14): none are made, and there are no entries.
				want.Entries = []eks.AccessEntry{}
			}
			if d := gocmp.Diff(sortedSnapshot(want), sortedSnapshot(*got)); d != "" {
				t.Errorf("snapshot (-server +read):\n%s", d)
			}
			if mode != "" && (got.Cluster.BootstrapClusterCreatorAdminPermissions == nil || !*got.Cluster.BootstrapClusterCreatorAdminPermissions) {
				t.Errorf("bootstrapClusterCreatorAdminPermissions %v, want true (EKS's default, reported in accessConfig)", got.Cluster.BootstrapClusterCreatorAdminPermissions)
			}
			if !slices.IsSortedFunc(got.Entries, func(a, b eks.AccessEntry) int { return strings.Compare(a.PrincipalARN, b.PrincipalARN) }) {
				t.Errorf("entries are not sorted by principal ARN")
			}
			nPolicies := 0
			for _, e := range want.Entries {
				nPolicies += len(e.AccessPolicies)
			}
			wantCalls := map[fakeeks.Op]int{
				fakeeks.DescribeCluster:              1,
				fakeeks.ListAccessEntries:            pages(len(want.Entries), fakeeks.DefaultPageSize),
				fakeeks.DescribeAccessEntry:          len(want.Entries),
				fakeeks.ListAssociatedAccessPolicies: policyPages(want, fakeeks.DefaultPageSize),
			}
			if got.Cluster.AuthenticationMode == eks.ModeConfigMap {
				wantCalls[fakeeks.ListAccessEntries] = 0
			}
			for op, n := range wantCalls {
				if got := s.Requests(op); got != n {
					t.Errorf("%s: %d requests, want %d", op, got, n)
				}
			}
			if r := s.Regions(); !slices.Equal(r, []string{fakeeks.Region}) {
				t.Errorf("requests signed for regions %v, want [%s]", r, fakeeks.Region)
			}
			t.Logf("%d entries, %d policies, pages of %d; %s", len(got.Entries), nPolicies, fakeeks.DefaultPageSize, s.Summary())
		})
	}
}

func TestReadAccessEntriesRetriesThrottling(t *testing.T) {
	tests := []struct {
		op       fakeeks.Op
		throttle int
	}{
		{fakeeks.ListAccessEntries, 2}, // the same page twice: the third (last) attempt succeeds
		{fakeeks.DescribeAccessEntry, 3},
		{fakeeks.ListAssociatedAccessPolicies, 2},
	}
	for _, tt := range tests {
		t.Run(string(tt.op), func(t *testing.T) {
			want := bigCluster("prod", eks.ModeAPI)
			s, c := eksFixture(t, want)
			s.Throttle(tt.op, tt.throttle)
			start := time.Now()
			got, err := ReadAccessEntries(context.Background(), c, "prod")
			if err != nil {
				t.Fatalf("ReadAccessEntries after %d throttled %s: %v", tt.throttle, tt.op, err)
			}
			if d := gocmp.Diff(sortedSnapshot(fakeeks.DescribedSnapshot(want)), sortedSnapshot(*got)); d != "" {
				t.Errorf("snapshot (-server +read):\n%s", d)
			}
			succeeded := map[fakeeks.Op]int{
				fakeeks.DescribeCluster:              1,
				fakeeks.ListAccessEntries:            pages(len(want.Entries), fakeeks.DefaultPageSize),
				fakeeks.DescribeAccessEntry:          len(want.Entries),
				fakeeks.ListAssociatedAccessPolicies: policyPages(want, fakeeks.DefaultPageSize),
			}
			for op, n := range succeeded {
				wantReq, wantFail := n, 0
				if op == tt.op {
					wantReq, wantFail = n+tt.throttle, tt.throttle
				}
				if got := s.Requests(op); got != wantReq {
					t.Errorf("%s: %d requests, want %d", op, got, wantReq)
				}
				if got := s.Failures(op); got != wantFail {
					t.Errorf("%s: %d failed requests, want %d", op, got, wantFail)
				}
			}
			t.Logf("%d entries after %d throttled %s in %v; %s", len(got.Entries), tt.throttle, tt.op, time.Since(start).Round(time.Millisecond), s.Summary())
		})
	}
}

func TestReadAccessEntriesGivesUpOnPersistentThrottling(t *testing.T) {
	s, c := eksFixture(t, bigCluster("prod", eks.ModeAPI))
	s.FailAlways(fakeeks.DescribeCluster, fakeeks.Throttling())
	snap, err := ReadAccessEntries(context.Background(), c, "prod")
	if err == nil || snap != nil {
		t.Fatalf("got %v, %v; want an error and no snapshot", snap, err)
	}
	msg := err.Error()
	for _, want := range []string{"eks:DescribeCluster", "prod", "ThrottlingException"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if n := s.Requests(fakeeks.DescribeCluster); n != 3 {
		t.Errorf("DescribeCluster: %d attempts, want the SDK's default 3", n)
	}
	if n := s.TotalRequests(); n != 3 {
		t.Errorf("%d requests in all, want only the 3 DescribeCluster attempts", n)
	}
	t.Logf("error: %v; %s", err, s.Summary())
}

func TestReadAccessEntriesAccessDenied(t *testing.T) {
	for _, op := range fakeeks.AllOps() {
		t.Run(string(op), func(t *testing.T) {
			want := bigCluster("prod", eks.ModeAPIAndConfigMap)
			s, c := eksFixture(t, want)
			s.Deny(op)
			snap, err := ReadAccessEntries(context.Background(), c, "prod")
			if err == nil || snap != nil {
				t.Fatalf("got %v, %v; want an error and no (partial) snapshot", snap, err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, want := range []string{"eks:" + string(op) + " ", "cluster prod", "access denied", "is not authorized to perform"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			var nc *NoCredentialsError
			if errors.As(err, &nc) {
				t.Errorf("access denied reported as no credentials: %v", err)
			}
			if n := s.Requests(op); n < 1 || n != s.Failures(op) {
				t.Errorf("%s: %d requests, %d failed; want every one denied", op, n, s.Failures(op))
			}
			// The first denial fails the read: the calls still to come are not made.
			if n := s.Requests(fakeeks.DescribeAccessEntry); n > 2*accessEntryConcurrency {
				t.Errorf("DescribeAccessEntry: %d requests after the read had failed; want at most %d", n, 2*accessEntryConcurrency)
			}
			t.Logf("error: %v; %s", err, s.Summary())
		})
	}
}

func TestReadAccessEntriesNotFound(t *testing.T) {
	t.Run("cluster", func(t *testing.T) {
		s, c := eksFixture(t, bigCluster("prod", eks.ModeAPI))
		snap, err := ReadAccessEntries(context.Background(), c, "prdo")
		if err == nil || snap != nil {
			t.Fatalf("got %v, %v; want an error", snap, err)
		}
		msg := err.Error()
		for _, want := range []string{"cluster prdo not found", "--cluster-name", "--region"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not say %q", msg, want)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("error is not one line: %q", msg)
		}
		if n := s.TotalRequests(); n != 1 {
			t.Errorf("%d requests, want the one DescribeCluster", n)
		}
		t.Logf("error: %v; %s", err, s.Summary())
	})
	t.Run("entry deleted while reading", func(t *testing.T) {
		s, c := eksFixture(t, bigCluster("prod", eks.ModeAPI))
		s.FailFirst(fakeeks.DescribeAccessEntry, 1, fakeeks.Error{Status: 404, Code: "ResourceNotFoundException", Message: "The specified principalArn could not be found."})
		snap, err := ReadAccessEntries(context.Background(), c, "prod")
		if err == nil || snap != nil {
			t.Fatalf("got %v, %v; want an error", snap, err)
		}
		msg := err.Error()
		for _, want := range []string{"eks:DescribeAccessEntry on cluster prod", "access entry arn:aws:iam::111122223333:", "not found", "run again"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not say %q", msg, want)
			}
		}
		if strings.Contains(msg, "cluster prod not found") {
			t.Errorf("error %q blames the cluster for a missing entry", msg)
		}
		t.Logf("error: %v; %s", err, s.Summary())
	})
}

func TestReadAccessEntriesNoCredentials(t *testing.T) {
	s := fakeeks.New(t, bigCluster("prod", eks.ModeAPI))
	fakeeks.EnvNoCredentials(t, s.URL)
	start := time.Now()
	c, err := NewEKSClient(context.Background(), EKSCluster{})
	if err != nil {
		t.Fatalf("NewEKSClient: %v", err)
	}
	snap, err := ReadAccessEntries(context.Background(), c, "prod")
	took := time.Since(start)
	var nc *NoCredentialsError
	if !errors.As(err, &nc) {
		t.Fatalf("got %v, %T %v; want a *NoCredentialsError", snap, err, err)
	}
	if snap != nil {
		t.Errorf("got a snapshot with no credentials: %+v", snap)
	}
	if n := s.TotalRequests(); n != 0 {
		t.Errorf("%d requests sent without credentials, want 0", n)
	}
	if took > 5*time.Second {
		t.Errorf("took %v to find there are no credentials; want it at once (no IMDS probing)", took)
	}
	t.Logf("in %v: %v", took.Round(time.Millisecond), err)
}

func TestNewEKSClientRegion(t *testing.T) {
	s := fakeeks.New(t, bigCluster("prod", eks.ModeAPI))
	fakeeks.Env(t, s.URL)
	c, err := NewEKSClient(context.Background(), EKSCluster{Region: "eu-central-1"})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Options().Region; r != "eu-central-1" {
		t.Errorf("client region %q, want the one given (over AWS_REGION=%s)", r, fakeeks.Region)
	}
	if _, err := ReadAccessEntries(context.Background(), c, "prod"); err != nil {
		t.Fatal(err)
	}
	if r := s.Regions(); !slices.Equal(r, []string{"eu-central-1"}) {
		t.Errorf("requests signed for %v, want [eu-central-1]", r)
	}

	t.Setenv("AWS_REGION", "")
	if _, err := NewEKSClient(context.Background(), EKSCluster{}); err == nil || !strings.Contains(err.Error(), "--region") {
		t.Errorf("no region anywhere: got %v, want an error pointing at --region", err)
	}
	t.Logf("regions signed: %v; %s", s.Regions(), s.Summary())
}

func TestReadAccessEntriesConcurrencyIsBounded(t *testing.T) {
	want := fakeeks.Generate("prod", eks.ModeAPI, 40)
	s, c := eksFixture(t, want)
	s.SetDelay(15 * time.Millisecond)
	start := time.Now()
	got, err := ReadAccessEntries(context.Background(), c, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Entries) != len(want.Entries) {
		t.Fatalf("read %d entries, want %d", len(got.Entries), len(want.Entries))
	}
	m := s.MaxInFlight()
	if m > accessEntryConcurrency {
		t.Errorf("%d requests in flight at once, want at most %d", m, accessEntryConcurrency)
	}
	if m < 2 {
		t.Errorf("at most %d request in flight: the per-entry calls are not concurrent", m)
	}
	t.Logf("%d entries in %v with at most %d requests in flight (bound %d); %s", len(got.Entries), time.Since(start).Round(time.Millisecond), m, accessEntryConcurrency, s.Summary())
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadAccessEntriesFileRoundTrip(t *testing.T) {
	want := bigCluster("prod", eks.ModeAPIAndConfigMap)
	want.Cluster.Region = "eu-west-1"
	data, err := json.MarshalIndent(AccessEntriesFile{APIVersion: "kubectl-eksiam.io/v1alpha1", Kind: AccessEntriesKind, AccessConfig: want}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadAccessEntriesFile(writeFile(t, "entries.json", string(data)))
	if err != nil {
		t.Fatalf("ReadAccessEntriesFile: %v", err)
	}
	if d := gocmp.Diff(want, *got); d != "" {
		t.Errorf("snapshot (-written +read):\n%s", d)
	}
	t.Logf("%d entries, %d bytes round-tripped", len(got.Entries), len(data))
}

func TestReadAccessEntriesFileRejects(t *testing.T) {
	valid := func(edit func(m map[string]any)) string {
		m := map[string]any{
			"apiVersion": "kubectl-eksiam.io/v1alpha1",
			"kind":       "AccessEntries",
			"cluster":    map[string]any{"name": "prod", "authenticationMode": "API"},
			"accessEntries": []any{map[string]any{
				"principalArn": "arn:aws:iam::111122223333:role/admin", "type": "STANDARD", "kubernetesGroups": []string{},
				"accessPolicies": []any{map[string]any{
					"policyArn":   "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
					"accessScope": map[string]any{"type": "namespace", "namespaces": []string{"dev"}},
				}},
			}},
		}
		if edit != nil {
			edit(m)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	entry := func(m map[string]any) map[string]any { return m["accessEntries"].([]any)[0].(map[string]any) }
	if _, err := ReadAccessEntriesFile(writeFile(t, "valid.json", valid(nil))); err != nil {
		t.Fatalf("the base case is not valid: %v", err)
	}

	tests := []struct {
		name, data, want string
	}{
		{"unknown field", valid(func(m map[string]any) { entry(m)["kubernetesGroup"] = []string{"x"} }), `unknown field "kubernetesGroup"`},
		{"wrong kind", valid(func(m map[string]any) { m["kind"] = "ConfigMap" }), `kind "ConfigMap"`},
		{"no kind", valid(func(m map[string]any) { delete(m, "kind") }), `kind ""`},
		{"bad mode", valid(func(m map[string]any) { m["cluster"].(map[string]any)["authenticationMode"] = "api" }), `authenticationMode "api"`},
		{"missing principalArn", valid(func(m map[string]any) { delete(entry(m), "principalArn") }), `accessEntries[0] has no principalArn`},
		{"bad scope type", valid(func(m map[string]any) {
			entry(m)["accessPolicies"].([]any)[0].(map[string]any)["accessScope"] = map[string]any{"type": "namespaces"}
		}), `accessScope.type "namespaces"`},
		{"malformed JSON", `{"kind": "AccessEntries", "cluster": {`, "truncated JSON"},
		{"not an object", `[]`, "cannot unmarshal array"},
		{"wrong type", valid(func(m map[string]any) { entry(m)["kubernetesGroups"] = "system:masters" }), "cannot unmarshal string"},
		{"trailing data", valid(nil) + `{"kind": "AccessEntries"}`, "after the JSON object"},
		{"empty", ``, "empty file"},
		{"blank", "  \n", "empty file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "entries.json", tt.data)
			snap, err := ReadAccessEntriesFile(path)
			if err == nil {
				t.Fatalf("accepted: %+v", snap)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+": ") {
				t.Errorf("error %q does not start with the file name", msg)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not say %q", msg, tt.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			t.Logf("%s", msg)
		})
	}
	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope.json")
		_, err := ReadAccessEntriesFile(path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("got %v, want an error naming %s", err, path)
		}
	})
}

// kubeconfig is an in-memory kubeconfig whose users are given; the current
// context "ctx-a" uses user "user-a" and "ctx-b" uses "user-b".
func kubeconfig(users map[string]*clientcmdapi.AuthInfo, overrides clientcmd.ConfigOverrides) clientcmd.ClientConfig {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: "https://cluster.invalid"}
	cfg.Contexts["ctx-a"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "user-a"}
	cfg.Contexts["ctx-b"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "user-b"}
	cfg.CurrentContext = "ctx-a"
	maps := cfg.AuthInfos
	for k, v := range users {
		maps[k] = v
	}
	return clientcmd.NewDefaultClientConfig(*cfg, &overrides)
}

func execUser(command string, args []string, env ...clientcmdapi.ExecEnvVar) *clientcmdapi.AuthInfo {
	return &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
		APIVersion: "client.authentication.k8s.io/v1beta1", Command: command, Args: args, Env: env, InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
	}}
}

func TestDetectEKSCluster(t *testing.T) {
	region := func(name, value string) clientcmdapi.ExecEnvVar {
		return clientcmdapi.ExecEnvVar{Name: name, Value: value}
	}
	tests := []struct {
		name       string
		user       *clientcmdapi.AuthInfo
		wantOK     bool
		wantName   string
		wantRegion string
		// wantProfile and wantRole are checked when set ("-" means must be empty).
		wantProfile, wantRole string
	}{
		{"aws --profile and --role-arn", execUser("aws", []string{"--profile", "ops", "eks", "get-token", "--cluster-name", "prod", "--role-arn", "arn:aws:iam::111122223333:role/EKSAdmin"}),
			true, "prod", "", "ops", "arn:aws:iam::111122223333:role/EKSAdmin"},
		{"aws AWS_PROFILE in env", execUser("aws", []string{"eks", "get-token", "--cluster-name", "prod"}, region("AWS_PROFILE", "dev")),
			true, "prod", "", "dev", "-"},
		{"AWS_REGION wins over AWS_DEFAULT_REGION in any order", execUser("aws", []string{"eks", "get-token", "--cluster-name", "prod"}, region("AWS_DEFAULT_REGION", "us-east-1"), region("AWS_REGION", "eu-west-2")),
			true, "prod", "eu-west-2", "-", "-"},
		{"aws --cluster-id is an Outposts ID, not a name", execUser("aws", []string{"eks", "get-token", "--cluster-id", "0123-abcd"}), false, "", "", "", ""},
		{"aws-iam-authenticator -r role", execUser("aws-iam-authenticator", []string{"token", "-i", "legacy", "-r", "arn:aws:iam::111122223333:role/K8s"}, region("AWS_REGION", "eu-north-1")),
			true, "legacy", "eu-north-1", "-", "arn:aws:iam::111122223333:role/K8s"},
		{"aws eks get-token", execUser("aws", []string{"--region", "eu-west-1", "eks", "get-token", "--cluster-name", "prod", "--output", "json"}),
			true, "prod", "eu-west-1", "", ""},
		{"aws flags after get-token", execUser("aws", []string{"eks", "get-token", "--cluster-name", "prod", "--region", "us-east-2"}),
			true, "prod", "us-east-2", "", ""},
		{"aws --cluster-name=X --region=Y", execUser("/usr/local/bin/aws", []string{"eks", "get-token", "--cluster-name=prod", "--region=ap-south-1"}),
			true, "prod", "ap-south-1", "", ""},
		{"aws with region in env", execUser("aws", []string{"eks", "get-token", "--cluster-name", "prod"}, region("AWS_PROFILE", "p"), region("AWS_REGION", "sa-east-1")),
			true, "prod", "sa-east-1", "", ""},
		{"aws --region beats env", execUser("aws", []string{"eks", "get-token", "--cluster-name", "prod", "--region", "us-west-1"}, region("AWS_REGION", "sa-east-1")),
			true, "prod", "us-west-1", "", ""},
		{"aws without region", execUser("aws", []string{"eks", "get-token", "--cluster-name", "prod"}),
			true, "prod", "", "", ""},
		{"aws-iam-authenticator -i X, AWS_REGION", execUser("aws-iam-authenticator", []string{"token", "-i", "legacy"}, region("AWS_REGION", "eu-north-1")),
			true, "legacy", "eu-north-1", "", ""},
		{"aws-iam-authenticator --cluster-id=X, AWS_DEFAULT_REGION", execUser("/opt/bin/aws-iam-authenticator", []string{"token", "--cluster-id=legacy"}, region("AWS_DEFAULT_REGION", "eu-west-3")),
			true, "legacy", "eu-west-3", "", ""},
		{"aws without get-token", execUser("aws", []string{"sts", "get-caller-identity", "--cluster-name", "prod"}), false, "", "", "", ""},
		{"aws get-token without a cluster", execUser("aws", []string{"eks", "get-token", "--cluster-name"}), false, "", "", "", ""},
		{"non-EKS exec", execUser("gke-gcloud-auth-plugin", []string{"--cluster-name", "gke"}), false, "", "", "", ""},
		{"kubelogin", execUser("kubelogin", []string{"get-token", "--server-id", "x"}), false, "", "", "", ""},
		{"no exec", &clientcmdapi.AuthInfo{Token: "t0ken"}, false, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := DetectEKSCluster(kubeconfig(map[string]*clientcmdapi.AuthInfo{"user-a": tt.user}, clientcmd.ConfigOverrides{}))
			if ok != tt.wantOK || got.Name != tt.wantName || got.Region != tt.wantRegion {
				t.Fatalf("got %+v, %v; want name %q region %q, %v", got, ok, tt.wantName, tt.wantRegion, tt.wantOK)
			}
			for _, c := range []struct{ field, got, want string }{{"profile", got.Profile, tt.wantProfile}, {"role", got.RoleARN, tt.wantRole}} {
				if c.want == "-" && c.got != "" || c.want != "" && c.want != "-" && c.got != c.want {
					t.Errorf("%s %q, want %q", c.field, c.got, c.want)
				}
			}
			if ok && !strings.Contains(got.DetectedFrom, `"user-a"`) {
				t.Errorf("DetectedFrom %q does not name the kubeconfig user", got.DetectedFrom)
			}
			t.Logf("%+v, %v", got, ok)
		})
	}
}

// TestDetectEKSClusterFollowsOverrides: --context and --user (kubeconfig overrides,
// which RawConfig does not apply) choose the user detection reads.
func TestDetectEKSClusterFollowsOverrides(t *testing.T) {
	users := map[string]*clientcmdapi.AuthInfo{
		"user-a": execUser("aws", []string{"eks", "get-token", "--cluster-name", "prod", "--region", "eu-west-1"}),
		"user-b": execUser("aws", []string{"eks", "get-token", "--cluster-name", "staging", "--region", "us-east-1"}),
		"user-c": {Token: "t0ken"},
	}
	tests := []struct {
		name      string
		overrides clientcmd.ConfigOverrides
		wantOK    bool
		wantName  string
		wantUser  string
	}{
		{"current context", clientcmd.ConfigOverrides{}, true, "prod", "user-a"},
		{"--context", clientcmd.ConfigOverrides{CurrentContext: "ctx-b"}, true, "staging", "user-b"},
		{"--user", clientcmd.ConfigOverrides{Context: clientcmdapi.Context{AuthInfo: "user-b"}}, true, "staging", "user-b"},
		{"--user without exec", clientcmd.ConfigOverrides{Context: clientcmdapi.Context{AuthInfo: "user-c"}}, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := DetectEKSCluster(kubeconfig(users, tt.overrides))
			if ok != tt.wantOK || got.Name != tt.wantName {
				t.Fatalf("got %+v, %v; want cluster %q, %v", got, ok, tt.wantName, tt.wantOK)
			}
			if ok && !strings.Contains(got.DetectedFrom, `"`+tt.wantUser+`"`) {
				t.Errorf("DetectedFrom %q does not name user %q", got.DetectedFrom, tt.wantUser)
			}
			t.Logf("%+v, %v", got, ok)
		})
	}
}

// BenchmarkReadAccessEntries reads 200 entries (1-4 policies each) from the local EKS
// API with 20ms of latency per request and pages of 100, as EKS pages: the time is
// dominated by the two calls per entry, 8 entries at a time.
//
//	go test ./pkg/source -run '^$' -bench ReadAccessEntries -benchtime 3x
func BenchmarkReadAccessEntries(b *testing.B) {
	s := fakeeks.New(b, fakeeks.Generate("bench", eks.ModeAPIAndConfigMap, 200))
	s.SetPageSize(100)
	s.SetDelay(20 * time.Millisecond)
	fakeeks.Env(b, s.URL)
	c, err := NewEKSClient(context.Background(), EKSCluster{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		snap, err := ReadAccessEntries(context.Background(), c, "bench")
		if err != nil || len(snap.Entries) != 200 {
			b.Fatalf("%v, %d entries", err, len(snap.Entries))
		}
	}
	b.ReportMetric(float64(s.TotalRequests())/float64(b.N), "requests/op")
}

// Point 6 of issue 14: the roles EKS manages itself, read page by page through the
// real SDK: managed node groups' node roles and Fargate profiles' pod execution roles.
func TestReadManagedRoles(t *testing.T) {
	want := &eks.ManagedRoles{NodeGroups: []eks.NamedRole{}, FargateProfiles: []eks.NamedRole{}}
	for i := range 5 {
		want.NodeGroups = append(want.NodeGroups, eks.NamedRole{Name: fmt.Sprintf("ng-%d", i), RoleARN: fmt.Sprintf("arn:aws:iam::111122223333:role/ng-role-%d", i%2)})
	}
	want.FargateProfiles = append(want.FargateProfiles, eks.NamedRole{Name: "fp", RoleARN: "arn:aws:iam::111122223333:role/fargate"})
	cluster := bigCluster("prod", eks.ModeConfigMap)
	cluster.Managed = want
	s, c := eksFixture(t, cluster, fakeeks.Generate("empty", eks.ModeAPI, 1))
	got, err := ReadManagedRoles(context.Background(), c.(ManagedRolesAPI), "prod")
	if err != nil {
		t.Fatalf("ReadManagedRoles: %v", err)
	}
	if d := gocmp.Diff(want, got); d != "" {
		t.Errorf("managed roles (-server +read):\n%s", d)
	}
	for op, n := range map[fakeeks.Op]int{fakeeks.ListNodegroups: pages(5, fakeeks.DefaultPageSize), fakeeks.DescribeNodegroup: 5,
		fakeeks.ListFargateProfiles: 1, fakeeks.DescribeFargateProfile: 1} {
		if got := s.Requests(op); got != n {
			t.Errorf("%s: %d requests, want %d", op, got, n)
		}
	}
	if got, err := ReadManagedRoles(context.Background(), c.(ManagedRolesAPI), "empty"); err != nil || len(got.NodeGroups) != 0 || got.NodeGroups == nil || got.FargateProfiles == nil {
		t.Errorf("no node groups or profiles: %+v, %v; want empty lists", got, err)
	}
	s.Deny(fakeeks.DescribeNodegroup)
	if _, err := ReadManagedRoles(context.Background(), c.(ManagedRolesAPI), "prod"); err == nil || !strings.Contains(err.Error(), "eks:DescribeNodegroup on cluster prod: access denied") {
		t.Errorf("denied: %v", err)
	}
	t.Logf("%s", s.Summary())
}
