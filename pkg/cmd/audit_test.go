package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeeks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// Golden files of audit on files: the example cluster, an IRSA pod that runs as root
// and a token Secret, the access entries export and the AWS CLI output.
// Regenerate with: go test ./pkg/cmd/ -run TestAuditGolden -update
func TestAuditGolden(t *testing.T) {
	files := []string{"-f", "../../examples/eks-cluster.yaml", "-f", "testdata/audit/extra.yaml",
		"--access-entries-file", "../../examples/access-entries.json", "--aws-file", "testdata/audit/aws.json"}
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"table", files, 1},
		{"wide", append([]string{"-o", "wide"}, files...), 1},
		{"json", append([]string{"-o", "json"}, files...), 1},
		{"yaml", append([]string{"-o", "yaml"}, files...), 1},
		{"sarif", append([]string{"-o", "sarif"}, files...), 1},
		{"check-aa-an01", append([]string{"--check", "AA", "--check", "AN01"}, files...), 1},
		{"skip-sa-fail-on-high", append([]string{"--skip", "SA", "--skip", "AN01", "--skip", "LP01", "--fail-on", "high"}, files...), 0},
		{"no-aws", []string{"-f", "../../examples/eks-cluster.yaml", "--no-headers"}, 1},
		{"namespace-app", append([]string{"-n", "app", "--fail-on", "none"}, files...), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"audit"}, tc.args...)
			stdout, stderr, code := run(t, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			got := "$ kubectl eksiam " + strings.Join(args, " ") + "\n--- exit code\n" + fmt.Sprint(code) + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr
			checkGolden(t, filepath.Join("testdata", "audit", tc.name+".golden"), got)
			switch tc.name {
			case "json":
				var r v1alpha1.AuditReport
				if err := json.Unmarshal([]byte(stdout), &r); err != nil || r.Kind != "AuditReport" || len(r.Findings) == 0 {
					t.Errorf("JSON: %v %q, %d findings", err, r.Kind, len(r.Findings))
				}
			case "sarif":
				var log struct {
					Version string `json:"version"`
					Runs    []struct {
						Results []json.RawMessage `json:"results"`
					} `json:"runs"`
				}
				if err := json.Unmarshal([]byte(stdout), &log); err != nil || log.Version != "2.1.0" || len(log.Runs[0].Results) == 0 {
					t.Errorf("SARIF: %v %+v", err, log)
				}
			}
		})
	}
}

func TestAuditUsage(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters:
- {name: a, cluster: {server: "https://127.0.0.1:1"}}
- {name: b, cluster: {server: "https://127.0.0.1:2"}}
users:
- {name: u, user: {token: x}}
contexts:
- {name: a, context: {cluster: a, user: u}}
- {name: b, context: {cluster: b, user: u}}
current-context: a
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--check", "XX01", "-f", "../../examples/eks-cluster.yaml"}, `unknown check or finding id "XX01"`},
		{[]string{"audit", "--fail-on", "critical", "-f", "../../examples/eks-cluster.yaml"}, `--fail-on "critical"`},
		{[]string{"audit", "--context", "a", "-f", "../../examples/eks-cluster.yaml"}, "do not go with -f"},
		{[]string{"audit", "-o", "xml", "-f", "../../examples/eks-cluster.yaml"}, "sarif"},
		{[]string{"audit", "--concurrency", "0", "-f", "../../examples/eks-cluster.yaml"}, "--concurrency"},
		{[]string{"audit", "merge"}, "requires at least 1 arg"},
		{[]string{"audit", "--all-contexts", "--cluster-name", "prod", "--kubeconfig", kubeconfig}, "--cluster-name is about one cluster"},
		{[]string{"audit", "--context", "a", "--context", "b", "--aws-file", "x", "--kubeconfig", kubeconfig}, "--aws-file is about one cluster"},
	} {
		_, stderr, code := run(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// auditObjects is a live cluster for the Options tests: the bootstrap cluster-admin
// binding, aws-auth mapping a role to system:masters, and one namespace.
func auditObjects() []runtime.Object {
	boot := map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}
	return []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "app"}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "app"}, AutomountServiceAccountToken: new(bool)},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin", Labels: boot}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin", Labels: boot}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: "Group", Name: "system:masters"}}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"}, Data: map[string]string{
			"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/admin\n  username: admin:{{SessionName}}\n  groups:\n  - system:masters\n"}},
	}
}

// liveInput is a live input on a fake clientset (and an empty metadata client, for
// the token Secrets).
func liveInput(c *fake.Clientset) source.Input {
	scheme := runtime.NewScheme()
	_ = metav1.AddMetaToScheme(scheme)
	return source.Input{Clients: &source.Clients{Kube: c, Metadata: metadatafake.NewSimpleMetadataClient(scheme)}}
}

func runAudit(t *testing.T, o *AuditOptions) (v1alpha1.AuditReport, string, int) {
	t.Helper()
	o.Print.Output = "json"
	err := o.Run(context.Background())
	stdout, stderr := o.Out.(*bytes.Buffer), o.ErrOut.(*bytes.Buffer)
	var r v1alpha1.AuditReport
	if stdout.Len() > 0 {
		if jerr := json.Unmarshal(stdout.Bytes(), &r); jerr != nil {
			t.Fatalf("%v: %s", jerr, stdout)
		}
	}
	msg := stderr.String()
	if m := cmdutil.Message(err); m != "" {
		msg += "error: " + m + "\n"
	}
	return r, msg, cmdutil.ExitCode(err)
}

// Live: the cluster's API (fake clientset) and the local EKS API, through the real
// SDK: the endpoint and the mode come from DescribeCluster.
func TestAuditLive(t *testing.T) {
	srv := fakeeks.New(t, eks.Snapshot{Cluster: eks.Cluster{Name: "prod", AuthenticationMode: eks.ModeConfigMap}, Entries: []eks.AccessEntry{}})
	srv.SetPodIdentity("prod", fakeeks.PodIdentity{Issuer: "https://oidc.eks.us-west-2.amazonaws.com/id/LIVE"})
	fakeeks.Env(t, srv.URL)
	t.Setenv("AWS_ENDPOINT_URL_IAM", srv.URL) // no IAM call is needed: no IRSA role
	t.Setenv("AWS_ENDPOINT_URL_EC2", srv.URL)
	newOptions := func() *AuditOptions {
		o := NewAuditOptions(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
		o.EKS.ClusterName = "prod"
		o.Targets = []AuditTarget{{Context: "prod", Input: liveInput(fake.NewClientset(auditObjects()...))}}
		return o
	}
	r, stderr, code := runAudit(t, newOptions())
	got := map[string]bool{}
	for _, f := range r.Findings {
		got[f.ID] = true
	}
	for _, id := range []string{"EP01", "AM01", "EKS01", "AA29", "CA01"} {
		if !got[id] {
			t.Errorf("no %s finding: %v\n%s", id, got, stderr)
		}
	}
	if code != 1 || !r.Complete || r.Clusters[0].Endpoint == nil || r.Clusters[0].AuthenticationMode != eks.ModeConfigMap {
		t.Errorf("exit %d, complete %v, clusters %+v\n%s", code, r.Complete, r.Clusters, stderr)
	}
	t.Logf("EKS: %s", srv.Summary())

	// The endpoint limited to CIDRs: EP01 no more.
	srv.SetEndpoint("prod", fakeeks.Endpoint{Public: true, Private: true, PublicAccessCIDRs: []string{"198.51.100.0/24"}})
	r, _, _ = runAudit(t, newOptions())
	for _, f := range r.Findings {
		if f.ID == "EP01" {
			t.Errorf("EP01 with CIDRs: %+v", f)
		}
	}

	// DescribeCluster denied: the access entries read fails (as for every command):
	// one cluster, so exit 2.
	srv.Deny(fakeeks.DescribeCluster)
	if _, stderr, code := runAudit(t, newOptions()); code != 2 || !strings.Contains(stderr, "access denied") {
		t.Errorf("denied: exit %d: %s", code, stderr)
	}
	srv.ClearFaults()

	// --access-entries=false: the mode checks are not run, with the reason.
	o := newOptions()
	o.EKS.AccessEntries = false
	r, _, _ = runAudit(t, o)
	for _, c := range r.Checks {
		if (c.ID == "AM01" || c.ID == "EKS01") && (c.Status != v1alpha1.CheckNotRun || !strings.Contains(c.Reason, "--access-entries=false")) {
			t.Errorf("%s: %+v", c.ID, c)
		}
	}
}

// Several clusters: one whose reads are forbidden is an error row; the others are
// audited; the progress line goes to stderr; exit 1 for the findings.
func TestAuditMultiContext(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	forbidden := fake.NewClientset(auditObjects()...)
	forbidden.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", fmt.Errorf("no"))
	})
	o := NewAuditOptions(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	o.EKS.AccessEntries = false
	o.Multi, o.Progress, o.Concurrency = true, true, 2
	o.Targets = []AuditTarget{
		{Context: "b-prod", Input: liveInput(fake.NewClientset(auditObjects()...))},
		{Context: "a-broken", Input: liveInput(forbidden)},
		{Context: "c-missing", Err: fmt.Errorf(`context "c-missing" does not exist`)},
	}
	r, stderr, code := runAudit(t, o)
	var rows []string
	for _, c := range r.Clusters {
		rows = append(rows, c.Context+"="+c.Status)
	}
	if strings.Join(rows, ",") != "a-broken=error,b-prod=audited,c-missing=error" || r.Complete {
		t.Errorf("clusters %v, complete %v", rows, r.Complete)
	}
	if !strings.Contains(r.Clusters[0].Error, "cannot list pods") {
		t.Errorf("error row: %q", r.Clusters[0].Error)
	}
	if code != 1 || !strings.Contains(stderr, "\raudit: 3/3 clusters done") || !strings.Contains(stderr, "2 cluster(s) could not be audited") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	for _, f := range r.Findings {
		if f.Context != "b-prod" {
			t.Errorf("finding of %s", f.Context)
		}
	}
	// Every cluster an error row: exit 2.
	o.Out, o.ErrOut = &bytes.Buffer{}, &bytes.Buffer{}
	o.Targets = o.Targets[1:]
	if _, stderr, code := runAudit(t, o); code != 2 || !strings.Contains(stderr, "no cluster could be audited") {
		t.Errorf("all failed: exit %d: %s", code, stderr)
	}
}

// audit merge joins per-context JSON reports; a context twice is an error.
func TestAuditMerge(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, args ...string) string {
		stdout, stderr, code := run(t, append([]string{"audit", "-o", "json"}, args...)...)
		if code > 1 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(stdout), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.json", "-f", "../../examples/eks-cluster.yaml")
	b := write("b.json", "-f", "../../examples/eks-cluster.yaml", "-f", "testdata/audit/extra.yaml", "--check", "RT01")
	// The two offline reports have the same (empty) context: name one of them.
	data, _ := os.ReadFile(b)
	var r v1alpha1.AuditReport
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	r.Clusters[0].Context = "extra"
	for i := range r.Findings {
		r.Findings[i].Context = "extra"
	}
	data, _ = json.Marshal(&r)
	if err := os.WriteFile(b, data, 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, "audit", "merge", a, b, "--fail-on", "high")
	if code != 1 || !strings.Contains(stdout, "CONTEXT") || !strings.Contains(stdout, "extra") {
		t.Errorf("merge: exit %d\n%s\n%s", code, stdout, stderr)
	}
	stdout, _, _ = run(t, "audit", "merge", a, b, "-o", "json")
	var m v1alpha1.AuditReport
	if err := json.Unmarshal([]byte(stdout), &m); err != nil || len(m.Clusters) != 2 || m.Clusters[1].Context != "extra" {
		t.Errorf("merged JSON: %v %+v", err, m.Clusters)
	}
	if _, stderr, code := run(t, "audit", "merge", a, a); code != 2 || !strings.Contains(stderr, "is in both") {
		t.Errorf("same report twice: exit %d: %s", code, stderr)
	}
	if _, stderr, code := run(t, "audit", "merge", "../../examples/access-entries.json"); code != 2 || !strings.Contains(stderr, "not an AuditReport") {
		t.Errorf("not a report: exit %d: %s", code, stderr)
	}
}
