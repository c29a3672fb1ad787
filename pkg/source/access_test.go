package source

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeeks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
)

// eksKubeconfig is an in-memory kubeconfig whose current user runs the exec plugin
// command with args.
func eksKubeconfig(command string, args ...string) clientcmd.ClientConfig {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: "https://cluster.invalid"}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
		APIVersion: "client.authentication.k8s.io/v1beta1", Command: command, Args: args, InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
	}}
	cfg.Contexts["ctx"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	cfg.CurrentContext = "ctx"
	return clientcmd.NewDefaultClientConfig(*cfg, &clientcmd.ConfigOverrides{})
}

// eksFlagsServer is a fake EKS with clusters "prod" (API mode) and "staging"
// (API_AND_CONFIG_MAP), with the SDK pointed at it.
func eksFlagsServer(t *testing.T) *fakeeks.Server {
	t.Helper()
	s := fakeeks.New(t, fakeeks.Generate("prod", eks.ModeAPI, 25), fakeeks.Generate("staging", eks.ModeAPIAndConfigMap, 5))
	fakeeks.Env(t, s.URL)
	return s
}

func sortedEntries(s eks.Snapshot) eks.Snapshot {
	s.Entries = slices.Clone(s.Entries)
	slices.SortFunc(s.Entries, func(a, b eks.AccessEntry) int { return strings.Compare(a.PrincipalARN, b.PrincipalARN) })
	return s
}

func TestAccessRequestLoadReadsTheAPI(t *testing.T) {
	tests := []struct {
		name       string
		flags      AccessRequest
		loader     clientcmd.ClientConfig
		wantName   string
		wantRegion string
	}{
		{"--cluster-name, region from AWS_REGION", AccessRequest{ClusterName: "prod"}, nil, "prod", fakeeks.Region},
		{"--cluster-name --region", AccessRequest{ClusterName: "prod", Region: "eu-central-1"}, nil, "prod", "eu-central-1"},
		{"--cluster-name beats the kubeconfig", AccessRequest{ClusterName: "prod"},
			eksKubeconfig("aws", "eks", "get-token", "--cluster-name", "staging", "--region", "eu-west-1"), "prod", fakeeks.Region},
		{"from the kubeconfig", AccessRequest{},
			eksKubeconfig("aws", "eks", "get-token", "--cluster-name", "staging", "--region", "eu-west-1"), "staging", "eu-west-1"},
		{"from the kubeconfig, --region wins", AccessRequest{Region: "ap-northeast-1"},
			eksKubeconfig("aws", "eks", "get-token", "--cluster-name=staging", "--region=eu-west-1"), "staging", "ap-northeast-1"},
		{"from aws-iam-authenticator, region from AWS_REGION", AccessRequest{},
			eksKubeconfig("aws-iam-authenticator", "token", "-i", "prod"), "prod", fakeeks.Region},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := eksFlagsServer(t)
			snap, warning, err := tt.flags.Load(context.Background(), tt.loader, false)
			if err != nil || warning != "" || snap == nil {
				t.Fatalf("load: %v, warning %q, err %v", snap, warning, err)
			}
			want, _ := s.Cluster(tt.wantName)
			want.Cluster.Region = tt.wantRegion
			if d := gocmp.Diff(sortedEntries(fakeeks.DescribedSnapshot(want)), sortedEntries(*snap)); d != "" {
				t.Errorf("snapshot (-server +loaded):\n%s", d)
			}
			if r := s.Regions(); !slices.Equal(r, []string{tt.wantRegion}) {
				t.Errorf("requests signed for %v, want [%s]", r, tt.wantRegion)
			}
			t.Logf("cluster %s region %s: %d entries; %s", snap.Cluster.Name, snap.Cluster.Region, len(snap.Entries), s.Summary())
		})
	}
}

func TestAccessRequestLoadReadsNothing(t *testing.T) {
	tests := []struct {
		name    string
		flags   AccessRequest
		loader  clientcmd.ClientConfig
		offline bool
	}{
		{"offline", AccessRequest{ClusterName: "prod"}, nil, true},
		{"offline, EKS kubeconfig", AccessRequest{}, eksKubeconfig("aws", "eks", "get-token", "--cluster-name", "prod"), true},
		{"--access-entries=false", AccessRequest{ClusterName: "prod", Disabled: true}, nil, false},
		{"--access-entries=false, EKS kubeconfig", AccessRequest{Disabled: true}, eksKubeconfig("aws", "eks", "get-token", "--cluster-name", "prod"), false},
		{"not an EKS kubeconfig", AccessRequest{}, eksKubeconfig("gke-gcloud-auth-plugin"), false},
		{"no kubeconfig, no --cluster-name", AccessRequest{}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := eksFlagsServer(t)
			snap, warning, err := tt.flags.Load(context.Background(), tt.loader, tt.offline)
			if snap != nil || warning != "" || err != nil {
				t.Errorf("got %v, warning %q, err %v; want nothing", snap, warning, err)
			}
			if n := s.TotalRequests(); n != 0 {
				t.Errorf("%d requests to EKS, want none (%s)", n, s.Summary())
			}
			t.Logf("%s", s.Summary())
		})
	}
}

func TestAccessRequestLoadNoCredentials(t *testing.T) {
	s := fakeeks.New(t, fakeeks.Generate("prod", eks.ModeAPI, 25))
	fakeeks.EnvNoCredentials(t, s.URL)
	for _, loader := range []clientcmd.ClientConfig{nil, eksKubeconfig("aws", "eks", "get-token", "--cluster-name", "prod")} {
		f := AccessRequest{}
		if loader == nil {
			f.ClusterName = "prod"
		}
		snap, warning, err := f.Load(context.Background(), loader, false)
		if err != nil || snap != nil {
			t.Fatalf("got %v, err %v; want no snapshot and no error", snap, err)
		}
		for _, want := range []string{"no AWS credentials", "aws-auth alone"} {
			if !strings.Contains(warning, want) {
				t.Errorf("warning %q does not say %q", warning, want)
			}
		}
		t.Logf("warning: %s", warning)
	}
	if n := s.TotalRequests(); n != 0 {
		t.Errorf("%d requests without credentials, want 0", n)
	}
}

func TestAccessRequestLoadFails(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*fakeeks.Server)
		flags AccessRequest
		want  []string
	}{
		{"access denied", func(s *fakeeks.Server) { s.Deny(fakeeks.ListAssociatedAccessPolicies) }, AccessRequest{ClusterName: "prod"},
			[]string{"incomplete view", "eks:ListAssociatedAccessPolicies", "cluster prod", "access denied", "--access-entries=false"}},
		{"unknown cluster", nil, AccessRequest{ClusterName: "nope"},
			[]string{"cluster nope not found", "--access-entries=false"}},
		{"no region", func(*fakeeks.Server) { os.Unsetenv("AWS_REGION") }, AccessRequest{ClusterName: "prod"},
			[]string{"no AWS region", "--region", "--access-entries=false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := eksFlagsServer(t)
			if tt.setup != nil {
				tt.setup(s)
			}
			snap, warning, err := tt.flags.Load(context.Background(), nil, false)
			if err == nil || snap != nil || warning != "" {
				t.Fatalf("got %v, warning %q, err %v; want an error only", snap, warning, err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			t.Logf("error: %v; %s", err, s.Summary())
		})
	}
}

func TestAccessRequestLoadFileWins(t *testing.T) {
	want := fakeeks.Generate("from-file", eks.ModeAPIAndConfigMap, 7)
	want.Cluster.Region = "eu-west-2"
	data, err := json.Marshal(AccessEntriesFile{APIVersion: "kubectl-eksiam.io/v1alpha1", Kind: AccessEntriesKind, AccessConfig: want})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "entries.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, offline := range []bool{false, true} {
		s := eksFlagsServer(t)
		f := AccessRequest{ClusterName: "prod", File: path}
		snap, warning, err := f.Load(context.Background(), eksKubeconfig("aws", "eks", "get-token", "--cluster-name", "prod"), offline)
		if err != nil || warning != "" {
			t.Fatalf("offline=%v: warning %q, err %v", offline, warning, err)
		}
		if d := gocmp.Diff(want, *snap); d != "" {
			t.Errorf("offline=%v: snapshot (-file +loaded):\n%s", offline, d)
		}
		if n := s.TotalRequests(); n != 0 {
			t.Errorf("offline=%v: %d requests to EKS with --access-entries-file, want 0", offline, n)
		}
		t.Logf("offline=%v: %d entries from the file; %s", offline, len(snap.Entries), s.Summary())
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"kind": "ConfigMap"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	f := AccessRequest{File: bad}
	if snap, _, err := f.Load(context.Background(), nil, true); err == nil || snap != nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad file: got %v, %v; want an error naming %s", snap, err, bad)
	}
}
