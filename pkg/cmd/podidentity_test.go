package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeec2"
	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeeks"
	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeiam"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// Golden files of pod-identity on files (cluster dump and AWS CLI output).
// Regenerate with: go test ./pkg/cmd/ -run TestPodIdentityGolden -update
func TestPodIdentityGolden(t *testing.T) {
	const dir = "testdata/pod-identity/"
	files := []string{"-f", dir + "cluster.yaml", "--aws-file", dir + "aws.json"}
	tests := []struct {
		name string
		args []string
	}{
		{"all", append([]string{"pod-identity", "-A"}, files...)},
		{"all-wide", append([]string{"pod-identity", "-A", "-o", "wide"}, files...)},
		{"app-json", append([]string{"pod-identity", "-n", "app", "-o", "json"}, files...)},
		{"role-web", append([]string{"pod-identity", "-A", "--role", "arn:aws:iam::111122223333:role/web"}, files...)},
		{"role-web-json", append([]string{"pod-identity", "-A", "--role", "arn:aws:iam::111122223333:role/web", "-o", "json"}, files...)},
		{"no-aws", []string{"pod-identity", "-A", "-f", dir + "cluster.yaml"}},
		{"bad-role", []string{"pod-identity", "-A", "-f", dir + "cluster.yaml", "--role", "arn:aws:iam::111122223333:user/x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, tc.args...)
			got := "$ kubectl eksiam " + strings.Join(tc.args, " ") + "\n--- exit code\n" + string(rune('0'+code)) +
				"\n--- stdout\n" + stdout + "--- stderr\n" + stderr
			checkGolden(t, filepath.Join("testdata", "pod-identity", tc.name+".golden"), got)
			if strings.HasSuffix(tc.name, "json") {
				if strings.Contains(stdout, "null") {
					t.Errorf("null in JSON output")
				}
				var r v1alpha1.PodIdentityReport
				if err := json.Unmarshal([]byte(stdout), &r); err != nil || r.Kind != "PodIdentityReport" {
					t.Errorf("JSON: %v %q", err, r.Kind)
				}
			}
		})
	}
}

// TestPodIdentityLive runs the command's Options against a fake clientset and the
// local EKS, IAM and EC2 APIs, through the real AWS SDK clients.
func TestPodIdentityLive(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/web"
	host := "oidc.eks.us-west-2.amazonaws.com/id/LIVE"
	eksSrv := fakeeks.New(t)
	eksSrv.SetPodIdentity("prod", fakeeks.PodIdentity{Issuer: "https://" + host, Associations: []fakeeks.Association{
		{ID: "a-1", Namespace: "app", ServiceAccount: "ghost", RoleARN: "arn:aws:iam::111122223333:role/pi"}}})
	iamSrv := fakeiam.New(t, []fakeiam.Role{
		{ARN: role, Trust: `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/` + host + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + host + `:sub":"system:serviceaccount:app:web","` + host + `:aud":"sts.amazonaws.com"}}}]}`},
		{ARN: "arn:aws:iam::111122223333:role/pi", Trust: `{"Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"aws:RequestTag/eks-cluster-name":"prod"}}}]}`},
	}, nil)
	ec2Srv := fakeec2.New(t, fakeec2.Instance{ID: "i-1", HTTPTokens: "required", HopLimit: 1, HTTPEndpoint: "enabled"})
	fakeeks.Env(t, eksSrv.URL)
	t.Setenv("AWS_ENDPOINT_URL_IAM", iamSrv.URL)
	t.Setenv("AWS_ENDPOINT_URL_EC2", ec2Srv.URL)

	objects := []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "app"}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "app", Annotations: map[string]string{"eks.amazonaws.com/role-arn": role}}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Spec: corev1.NodeSpec{ProviderID: "aws:///us-west-2a/i-1"}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "app"}, Spec: corev1.PodSpec{ServiceAccountName: "web", NodeName: "n1",
			Containers: []corev1.Container{{Name: "c", Env: []corev1.EnvVar{{Name: "AWS_ROLE_ARN", Value: role}, {Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: "/t"}}}}}},
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "eks-pod-identity-agent", Namespace: "kube-system"}},
	}
	runLive := func(c *fake.Clientset, extra ...string) (v1alpha1.PodIdentityReport, string, int) {
		var out, errOut bytes.Buffer
		o := NewPodIdentityOptions(genericiooptions.IOStreams{Out: &out, ErrOut: &errOut})
		o.Scope.AllNamespaces, o.Print.Output = true, "json"
		o.Input = source.Input{Clients: &source.Clients{Kube: c}}
		o.EKS.ClusterName = "prod"
		if len(extra) > 0 {
			o.RoleARN = extra[0]
		}
		err := o.Run(context.Background())
		var r v1alpha1.PodIdentityReport
		if out.Len() > 0 {
			if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil {
				t.Fatal(jerr)
			}
		}
		msg := errOut.String()
		if m := cmdutil.Message(err); m != "" {
			msg += "error: " + m + "\n"
		}
		return r, msg, cmdutil.ExitCode(err)
	}

	r, stderr, code := runLive(fake.NewClientset(objects...))
	if code != 1 || !r.Complete {
		t.Fatalf("exit %d, complete %v: %s", code, r.Complete, stderr)
	}
	got := []string{}
	for _, f := range r.Findings {
		got = append(got, f.ID+" "+f.Namespace+"/"+f.ServiceAccount)
	}
	if strings.Join(got, ",") != "PI07 app/ghost" {
		t.Errorf("findings %v", got)
	}
	if len(r.ServiceAccounts) != 3 || r.ServiceAccounts[1].Name != "web" || r.ServiceAccounts[1].Pods[0].Credentials[0].Via != "irsa" {
		t.Errorf("service accounts %+v", r.ServiceAccounts)
	}
	t.Logf("EKS %s; IAM %s", eksSrv.Summary(), iamSrv.Summary())

	// AccessDenied on IAM: the map is still there, incomplete, with a warning.
	iamSrv.Deny(fakeiam.GetRole)
	r, stderr, code = runLive(fake.NewClientset(objects...))
	if code != 1 || r.Complete || !strings.Contains(stderr, "iam:GetRole: denied") {
		t.Errorf("IAM denied: exit %d, complete %v: %s", code, r.Complete, stderr)
	}
	iamSrv.ClearFaults()

	// --role, with no RBAC at all: only the superusers.
	r, stderr, code = runLive(fake.NewClientset(objects...), role)
	if code != 0 || len(r.Actors) != 1 || r.Actors[0].Name != "system:masters" || len(r.ServiceAccounts) != 1 {
		t.Errorf("--role: exit %d, actors %+v, %s", code, r.Actors, stderr)
	}

	// Forbidden on pods: exit 2, nothing on stdout.
	c := fake.NewClientset(objects...)
	c.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", fmt.Errorf("no"))
	})
	if _, stderr, code := runLive(c); code != 2 || !strings.Contains(stderr, "cannot list pods") {
		t.Errorf("forbidden: exit %d: %s", code, stderr)
	}

	// Cluster unknown to EKS: an error naming it.
	fakeeks.Env(t, eksSrv.URL)
	var out, errOut bytes.Buffer
	o := NewPodIdentityOptions(genericiooptions.IOStreams{Out: &out, ErrOut: &errOut})
	o.Scope.AllNamespaces = true
	o.Input = source.Input{Clients: &source.Clients{Kube: fake.NewClientset(objects...)}}
	o.EKS.ClusterName = "nope"
	if err := o.Run(context.Background()); cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "cluster nope not found") {
		t.Errorf("unknown cluster: %v", err)
	}
}
