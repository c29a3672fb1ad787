package source

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeec2"
	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeeks"
	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeiam"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
)

const piIssuer = "https://oidc.eks.us-west-2.amazonaws.com/id/FAKE1"

type fakeAWS struct {
	eks *fakeeks.Server
	iam *fakeiam.Server
	ec2 *fakeec2.Server
}

// startFakeAWS starts the three local APIs with n associations, n roles and n
// instances, and points the unchanged SDK at them.
func startFakeAWS(t *testing.T, n int) *fakeAWS {
	t.Helper()
	f := &fakeAWS{eks: fakeeks.New(t)}
	var assocs []fakeeks.Association
	var roles []fakeiam.Role
	var instances []fakeec2.Instance
	for i := range n {
		role := fmt.Sprintf("arn:aws:iam::%s:role/team/r-%d", fakeeks.Account, i)
		assocs = append(assocs, fakeeks.Association{ID: fmt.Sprintf("a-%d", i), Namespace: "ns", ServiceAccount: fmt.Sprintf("sa-%d", i), RoleARN: role})
		roles = append(roles, fakeiam.Role{ARN: role, Trust: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"aws:RequestTag/kubernetes-namespace":"ns+x"}}}]}`})
		instances = append(instances, fakeec2.Instance{ID: fmt.Sprintf("i-%04d", i), HTTPTokens: "required", HopLimit: 1 + i%2, HTTPEndpoint: "enabled",
			InstanceProfileARN: "arn:aws:iam::" + fakeeks.Account + ":instance-profile/nodes"})
	}
	roles = append(roles, fakeiam.Role{ARN: "arn:aws:iam::" + fakeeks.Account + ":role/node", Trust: `{"Statement":[]}`})
	f.eks.SetPodIdentity("prod", fakeeks.PodIdentity{Issuer: piIssuer, Associations: assocs})
	f.iam = fakeiam.New(t, roles, []fakeiam.InstanceProfile{{ARN: "arn:aws:iam::" + fakeeks.Account + ":instance-profile/nodes", Roles: []string{"arn:aws:iam::" + fakeeks.Account + ":role/node"}}})
	f.ec2 = fakeec2.New(t, instances...)
	fakeeks.Env(t, f.eks.URL)
	t.Setenv("AWS_ENDPOINT_URL_IAM", f.iam.URL)
	t.Setenv("AWS_ENDPOINT_URL_EC2", f.ec2.URL)
	return f
}

func readFake(t *testing.T, n int) (*AWSInputs, error) {
	t.Helper()
	c, err := NewAWSClients(context.Background(), EKSCluster{Name: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	needs := func(a *AWSInputs) ([]string, []string) {
		var roles, ids []string
		for _, as := range a.Associations {
			roles = append(roles, as.RoleARN)
		}
		for i := range n {
			ids = append(ids, fmt.Sprintf("i-%04d", i))
		}
		return append(roles, "arn:aws:iam::"+fakeeks.Account+":role/missing"), ids
	}
	return ReadPodIdentityAWS(context.Background(), c, "prod", "", needs)
}

func statuses(a *AWSInputs) string {
	var out []string
	for _, in := range a.Inputs {
		out = append(out, fmt.Sprintf("%s=%s/%d", in.Name, in.Status, in.Count))
	}
	return strings.Join(out, " ")
}

func TestReadPodIdentityAWS(t *testing.T) {
	const n = 7
	f := startFakeAWS(t, n)
	a, err := readFake(t, n)
	if err != nil {
		t.Fatal(err)
	}
	want := "eks:DescribeCluster=read/1 eks:ListPodIdentityAssociations=read/7 eks:DescribePodIdentityAssociation=read/7 iam:GetRole=read/7 ec2:DescribeInstances=read/7 iam:GetInstanceProfile=read/1"
	if got := statuses(a); got != want {
		t.Errorf("inputs\n got %s\nwant %s", got, want)
	}
	if a.Cluster == nil || a.Cluster.OIDCIssuer != piIssuer || len(a.Associations) != n || a.Associations[3].RoleARN == "" {
		t.Errorf("cluster %+v, associations %+v", a.Cluster, a.Associations)
	}
	r := a.Roles["arn:aws:iam::"+fakeeks.Account+":role/team/r-3"]
	if r == nil || r.Trust == nil || r.Trust.Statements[0].Conditions[0].Values[0] != "ns+x" {
		t.Errorf("role r-3 (the URL-encoded document decoded, '+' kept): %+v", r)
	}
	if m := a.Roles["arn:aws:iam::"+fakeeks.Account+":role/missing"]; m == nil || !m.NotFound {
		t.Errorf("missing role: %+v", m)
	}
	if i := a.Instances["i-0003"]; i == nil || i.HopLimit != 2 || i.HTTPTokens != "required" || len(a.InstanceProfiles) != 1 {
		t.Errorf("instance %+v, profiles %v", i, a.InstanceProfiles)
	}
	reqs, _ := f.ec2.Requests()
	t.Logf("EKS: %s; IAM: %s; EC2: %d requests", f.eks.Summary(), f.iam.Summary(), reqs)
	if f.eks.Requests(fakeeks.ListPodIdentityAssociations) != 4 || reqs != 4 {
		t.Errorf("pagination: want 4 pages of 2 from EKS and EC2")
	}

	// Export, then read back: the same inputs.
	var buf bytes.Buffer
	if err := WriteAWSDocs(&buf, a.Docs); err != nil {
		t.Fatal(err)
	}
	back := NewAWSInputs()
	if err := back.readDocs(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	opts := cmp.AllowUnexported()
	if d := cmp.Diff(a.Associations, back.Associations, opts); d != "" {
		t.Errorf("associations after export (-api +file):\n%s", d)
	}
	if d := cmp.Diff(a.Instances, back.Instances); d != "" {
		t.Errorf("instances after export:\n%s", d)
	}
	if d := cmp.Diff(a.Roles["arn:aws:iam::"+fakeeks.Account+":role/team/r-3"], back.Roles["arn:aws:iam::"+fakeeks.Account+":role/team/r-3"]); d != "" {
		t.Errorf("role after export:\n%s", d)
	}

	// Throttling on every API: the SDK retries, the answer is the same.
	f.eks.Throttle(fakeeks.ListPodIdentityAssociations, 2)
	f.eks.Throttle(fakeeks.DescribePodIdentityAssociation, 2)
	f.iam.Throttle(fakeiam.GetRole, 2)
	f.ec2.Throttle(2)
	again, err := readFake(t, n)
	if err != nil {
		t.Fatalf("after throttling: %v", err)
	}
	if statuses(again) != want || f.iam.Failures(fakeiam.GetRole) < 2 {
		t.Errorf("after throttling: %s (IAM %s)", statuses(again), f.iam.Summary())
	}
	f.eks.ClearFaults()

	// Access denied on one API: that input is left out, the rest is read.
	f.iam.Deny(fakeiam.GetRole)
	f.ec2.Deny()
	denied, err := readFake(t, n)
	if err != nil {
		t.Fatal(err)
	}
	wantDenied := "eks:DescribeCluster=read/1 eks:ListPodIdentityAssociations=read/7 eks:DescribePodIdentityAssociation=read/7 iam:GetRole=denied/0 ec2:DescribeInstances=denied/0 iam:GetInstanceProfile=missing/0"
	if got := statuses(denied); got != wantDenied || denied.InstancesRead {
		t.Errorf("denied\n got %s\nwant %s", got, wantDenied)
	}
	f.iam.ClearFaults()
	f.ec2.ClearFaults()
	f.eks.Deny(fakeeks.DescribePodIdentityAssociation)
	noRoles, err := readFake(t, n)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(statuses(noRoles), "eks:DescribePodIdentityAssociation=denied/0") || noRoles.Associations[0].RoleARN != "" {
		t.Errorf("describe denied: %s", statuses(noRoles))
	}
	f.eks.ClearFaults()

	// No credentials at all: nothing is sent, every input says so.
	fakeeks.EnvNoCredentials(t, f.eks.URL)
	f.eks.ResetCounts()
	none, err := readFake(t, n)
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(none); strings.Count(got, "no-credentials") != 6 || f.eks.TotalRequests() != 0 {
		t.Errorf("no credentials: %s (%d requests)", got, f.eks.TotalRequests())
	}
}

func TestReadAWSFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := writePIFile(dir+"/"+name, body); err != nil {
			t.Fatal(err)
		}
	}
	// As the AWS CLI prints them (from its own examples), fields the reader ignores kept.
	write("cluster.json", `{"cluster":{"name":"my-cluster","arn":"arn:aws:eks:us-west-2:012345678910:cluster/my-cluster","createdAt":"2024-03-14T11:31:44.348000-04:00","version":"1.26",
		"identity":{"oidc":{"issuer":"https://oidc.eks.us-west-2.amazonaws.com/id/DALSJ343KE23J3RN45653DSKJTT647TYD"}},"status":"ACTIVE","computeConfig":{"enabled":true}}}`)
	write("assoc.json", `{"association":{"clusterName":"eks-customer","namespace":"default","serviceAccount":"default","roleArn":"arn:aws:iam::123456789012:role/my-role",
		"associationArn":"arn:aws:eks:us-west-2:123456789012:podidentityassociation/eks-customer/a-9njjin9gfghecgocd","associationId":"a-9njjin9gfghecgocd","tags":{},"createdAt":1700862734.922,"modifiedAt":1700862734.922}}`)
	write("roles.json", `{"Role":{"Path":"/","RoleName":"my-role","RoleId":"AROA","Arn":"arn:aws:iam::123456789012:role/my-role","CreateDate":"2023-11-24T21:52:14Z",
		"AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]},"MaxSessionDuration":3600}}
{"Role":{"RoleName":"enc","Arn":"arn:aws:iam::123456789012:role/enc","AssumeRolePolicyDocument":"%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%22%2A%22%2C%22Action%22%3A%22sts%3A%2A%22%7D%7D"}}`)
	write("instances.json", `{"Reservations":[{"Groups":[],"Instances":[{"AmiLaunchIndex":0,"InstanceId":"i-1234567890abcdef0","InstanceType":"t3.micro",
		"MetadataOptions":{"State":"applied","HttpTokens":"optional","HttpPutResponseHopLimit":2,"HttpEndpoint":"enabled","HttpProtocolIpv6":"disabled","InstanceMetadataTags":"disabled"}}],"OwnerId":"123456789012"}]}`)
	write("ignored.txt", `not json`)
	a, err := ReadAWSFiles([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Cluster.Name != "my-cluster" || !a.Cluster.AutoMode || a.Cluster.IssuerHost() != "oidc.eks.us-west-2.amazonaws.com/id/DALSJ343KE23J3RN45653DSKJTT647TYD" {
		t.Errorf("cluster %+v", a.Cluster)
	}
	if len(a.Associations) != 1 || a.Associations[0].RoleARN != "arn:aws:iam::123456789012:role/my-role" || !a.AssociationsRead {
		t.Errorf("associations %+v", a.Associations)
	}
	if r := a.Roles["arn:aws:iam::123456789012:role/enc"]; r == nil || r.Trust == nil || r.Trust.Statements[0].Actions[0] != "sts:*" {
		t.Errorf("URL-encoded role: %+v", r)
	}
	if i := a.Instances["i-1234567890abcdef0"]; i == nil || i.HTTPTokens != "optional" || i.HopLimit != 2 {
		t.Errorf("instance %+v", i)
	}
	want := "eks:DescribeCluster=read/1 eks:ListPodIdentityAssociations=read/0 eks:DescribePodIdentityAssociation=read/1 iam:GetRole=read/2 ec2:DescribeInstances=read/1 iam:GetInstanceProfile=missing/0"
	if got := statuses(a); got != want {
		t.Errorf("inputs\n got %s\nwant %s", got, want)
	}
	for _, bad := range []string{`{"Foo":1}`, `{"Role":`, ``} {
		write("bad.json", bad)
		if _, err := ReadAWSFiles([]string{dir + "/bad.json"}, nil); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	var _ = podidentity.DefaultAudience
}

func writePIFile(path, body string) error { return os.WriteFile(path, []byte(body), 0o644) }
