package source

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeeks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
)

// The endpoint access comes from DescribeCluster's resourcesVpcConfig: through the
// unchanged SDK against the local EKS API (whose answer has EKS's shape), then written
// as the AWS CLI prints it and read back from that file.
func TestEndpointAccessLiveAndFromFile(t *testing.T) {
	tests := []struct {
		name string
		set  *fakeeks.Endpoint
		want v1alpha1.EndpointAccess
	}{
		{"EKS default", nil, v1alpha1.EndpointAccess{PublicAccess: true, PublicAccessCIDRs: []string{"0.0.0.0/0"}}},
		{"public with CIDRs and private", &fakeeks.Endpoint{Public: true, Private: true, PublicAccessCIDRs: []string{"203.0.113.0/24"}},
			v1alpha1.EndpointAccess{PublicAccess: true, PrivateAccess: true, PublicAccessCIDRs: []string{"203.0.113.0/24"}}},
		{"private only", &fakeeks.Endpoint{Private: true}, v1alpha1.EndpointAccess{PrivateAccess: true, PublicAccessCIDRs: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFakeAWS(t, 1)
			if tt.set != nil {
				f.eks.SetEndpoint("prod", *tt.set)
			}
			live, err := readFake(t, 1)
			if err != nil {
				t.Fatal(err)
			}
			if live.Endpoint == nil {
				t.Fatal("no endpoint access read")
			}
			if d := cmp.Diff(tt.want, *live.Endpoint); d != "" {
				t.Errorf("live (-want +got):\n%s", d)
			}
			var buf bytes.Buffer
			if err := WriteAWSDocs(&buf, live.Docs[:1]); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "cluster.json")
			if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			fromFile, err := ReadAWSFiles([]string{file}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, *fromFile.Endpoint); d != "" {
				t.Errorf("from file (-want +got):\n%s\n%s", d, buf.String())
			}
		})
	}
	t.Logf("%d endpoint configurations read live and from file", len(tests))
}

// A describe-cluster document without resourcesVpcConfig leaves the endpoint unknown.
func TestEndpointAccessAbsent(t *testing.T) {
	a := NewAWSInputs()
	if err := a.readDocs([]byte(`{"cluster":{"name":"x"}}`)); err != nil {
		t.Fatal(err)
	}
	if a.Cluster == nil || a.Endpoint != nil {
		t.Errorf("cluster %v, endpoint %v; want the cluster and no endpoint", a.Cluster, a.Endpoint)
	}
}
