package cmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/remedy"
)

// Golden files of the read-only aws-auth commands on fixtures.
// Regenerate with: go test ./pkg/cmd/ -run TestAWSAuthGolden -update
func TestAWSAuthGolden(t *testing.T) {
	const dir = "testdata/aws-auth/"
	tests := []struct {
		name string
		args []string
	}{
		{"get-example", []string{"aws-auth", "get", "-f", "../../examples/eks-cluster.yaml"}},
		{"get-risky-wide", []string{"aws-auth", "get", "-f", dir + "risky.yaml", "-o", "wide"}},
		{"validate-example", []string{"aws-auth", "validate", "-f", "../../examples/eks-cluster.yaml"}},
		{"validate-risky", []string{"aws-auth", "validate", "-f", dir + "risky.yaml"}},
		{"validate-risky-json", []string{"aws-auth", "validate", "-f", dir + "risky.yaml", "-o", "json"}},
		{"validate-risky-wide", []string{"aws-auth", "validate", "-f", dir + "risky.yaml", "-o", "wide"}},
		{"validate-example-strict", []string{"aws-auth", "validate", "-f", "../../examples/eks-cluster.yaml", "--strict"}},
		{"diff-risky-desired", []string{"aws-auth", "diff", "--from", dir + "risky.yaml", "-f", dir + "desired.yaml"}},
		{"diff-risky-desired-yaml", []string{"aws-auth", "diff", "--from", dir + "risky.yaml", "-f", dir + "desired.yaml", "-o", "yaml"}},
		{"diff-same", []string{"aws-auth", "diff", "--from", dir + "desired.yaml", "-f", dir + "desired.yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, tc.args...)
			got := "$ kubectl eksiam " + strings.Join(tc.args, " ") + "\n--- exit code\n" + string(rune('0'+code)) +
				"\n--- stdout\n" + stdout + "--- stderr\n" + stderr
			checkGolden(t, filepath.Join("testdata", "aws-auth", tc.name+".golden"), got)
		})
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}

const fakeMapRoles = "- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups:\n  - system:masters\n"

// fakeCluster is a fake clientset holding aws-auth, an RBAC admin binding, and
// answering SelfSubjectReview.
func fakeCluster() *fake.Clientset {
	c := fake.NewClientset(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system", ResourceVersion: "10"},
			Data: map[string]string{"mapRoles": fakeMapRoles}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin"},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}},
	)
	// The fake tracker ignores dryRun: answer a dry-run update as the server would,
	// persisting nothing.
	c.PrependReactor("update", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		u := a.(k8stesting.UpdateActionImpl)
		if len(u.GetUpdateOptions().DryRun) > 0 {
			return true, u.GetObject(), nil
		}
		return false, nil, nil
	})
	c.PrependReactor("create", "selfsubjectreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, &authenticationv1.SelfSubjectReview{Status: authenticationv1.SelfSubjectReviewStatus{
			UserInfo: authenticationv1.UserInfo{Username: "kubernetes-admin", Groups: []string{"system:masters"}}}}, nil
	})
	return c
}

func writer(c *fake.Clientset, dryRun cmdutil.DryRunStrategy, backupDir string) (*awsAuthWriter, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	w := &awsAuthWriter{Remediation: cmdutil.RemediationFlags{DryRun: dryRun, BackupDir: backupDir}, Print: cmdutil.NewObjectPrintFlags(""),
		Client: c, IOStreams: genericiooptions.IOStreams{Out: &out, ErrOut: &errOut}}
	return w, &out, &errOut
}

func addPlan(arn string) remedy.AWSAuthPlan {
	return func(live map[string]string, _ bool) (map[string]string, []string, error) {
		out := map[string]string{}
		for k, v := range live {
			out[k] = v
		}
		out["mapRoles"] += "- rolearn: " + arn + "\n  username: x\n  groups:\n  - x\n"
		return out, nil, nil
	}
}

func writeActions(c *fake.Clientset) []string {
	var out []string
	for _, a := range c.Actions() {
		if v := a.GetVerb(); v != "get" && v != "list" && !(v == "create" && a.GetResource().Resource == "selfsubjectreviews") {
			dry := ""
			if u, ok := a.(k8stesting.UpdateActionImpl); ok && len(u.GetUpdateOptions().DryRun) > 0 {
				dry = " dryRun"
			}
			out = append(out, v+" "+a.GetResource().Resource+dry)
		}
	}
	return out
}

func TestAWSAuthWriteDryRunClientSendsNothing(t *testing.T) {
	c := fakeCluster()
	dir := t.TempDir()
	w, out, _ := writer(c, cmdutil.DryRunClient, dir)
	err := w.run(context.Background(), addPlan("arn:aws:iam::111122223333:role/New"))
	if cmdutil.ExitCode(err) != 1 {
		t.Fatalf("want exit 1 (changes pending), got %v", err)
	}
	if got := writeActions(c); len(got) != 0 {
		t.Errorf("client dry run made write calls: %v", got)
	}
	if !strings.Contains(out.String(), "configmap/aws-auth updated (dry run)") {
		t.Errorf("stdout: %s", out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("client dry run wrote a backup")
	}
}

func TestAWSAuthWriteServerDryRunThenWrite(t *testing.T) {
	c := fakeCluster()
	dir := t.TempDir()
	w, _, errOut := writer(c, cmdutil.DryRunNone, dir)
	if err := w.run(context.Background(), addPlan("arn:aws:iam::111122223333:role/New")); err != nil {
		t.Fatal(err)
	}
	// The server checks the write first, then it is sent for real.
	if d := cmp.Diff([]string{"update configmaps dryRun", "update configmaps"}, writeActions(c)); d != "" {
		t.Errorf("write calls (-want +got):\n%s", d)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 || !strings.Contains(errOut.String(), "Backup of the previous aws-auth") {
		t.Errorf("want one backup announced, got %d: %s", len(entries), errOut)
	}
}

// A conflict re-reads, re-plans and retries; the backup of the failed attempt is dropped.
func TestAWSAuthWriteRetriesConflict(t *testing.T) {
	c := fakeCluster()
	dir := t.TempDir()
	conflicts := 1
	c.PrependReactor("update", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if len(a.(k8stesting.UpdateActionImpl).GetUpdateOptions().DryRun) == 0 && conflicts > 0 {
			conflicts--
			return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, "aws-auth", errors.New("the object has been modified"))
		}
		return false, nil, nil
	})
	plans := 0
	w, _, errOut := writer(c, cmdutil.DryRunNone, dir)
	err := w.run(context.Background(), func(live map[string]string, exists bool) (map[string]string, []string, error) {
		plans++
		return addPlan("arn:aws:iam::111122223333:role/New")(live, exists)
	})
	if err != nil {
		t.Fatal(err)
	}
	if plans != 2 || !strings.Contains(errOut.String(), "re-read and re-checked 1 time") {
		t.Errorf("want 2 plans and a note, got %d: %s", plans, errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("want exactly one backup (the successful attempt's), got %d", len(entries))
	}
}

// A Forbidden update fails at the server dry run: nothing written, no backup.
func TestAWSAuthWriteForbidden(t *testing.T) {
	c := fakeCluster()
	c.PrependReactor("update", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "aws-auth", errors.New(`User "bob" cannot update resource "configmaps"`))
	})
	dir := t.TempDir()
	w, out, _ := writer(c, cmdutil.DryRunNone, dir)
	err := w.run(context.Background(), addPlan("arn:aws:iam::111122223333:role/New"))
	if !apierrors.IsForbidden(err) || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("want Forbidden (exit 2), got %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a forbidden write left a backup")
	}
	if out.Len() != 0 {
		t.Errorf("printed a result: %s", out)
	}
}

// A guard refusal is an exit-2 error naming the guard; nothing is sent.
func TestAWSAuthWriteGuardRefuses(t *testing.T) {
	c := fakeCluster()
	w, _, _ := writer(c, cmdutil.DryRunNone, t.TempDir())
	err := w.run(context.Background(), func(map[string]string, bool) (map[string]string, []string, error) {
		return map[string]string{"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/Other\n  username: o\n"}, nil, nil
	})
	var ge *remedy.GuardError
	if !errors.As(err, &ge) || cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "no working admin mapping") {
		t.Fatalf("want the admin-path guard, got %v", err)
	}
	if got := writeActions(c); len(got) != 0 {
		t.Errorf("a refused edit made write calls: %v", got)
	}
}

func TestDryRunFlag(t *testing.T) {
	tests := []struct {
		args []string
		want cmdutil.DryRunStrategy
		err  bool
	}{
		{nil, cmdutil.DryRunNone, false},
		{[]string{"--dry-run"}, cmdutil.DryRunClient, false},
		{[]string{"--dry-run=client"}, cmdutil.DryRunClient, false},
		{[]string{"--dry-run=server"}, cmdutil.DryRunServer, false},
		{[]string{"--dry-run=none"}, cmdutil.DryRunNone, false},
		{[]string{"--dry-run=true"}, cmdutil.DryRunClient, false},
		{[]string{"--dry-run=false"}, cmdutil.DryRunNone, false},
		{[]string{"--dry-run=maybe"}, cmdutil.DryRunNone, true},
	}
	for _, tc := range tests {
		cmd := NewCmdAWSAuthRemove(nil, genericiooptions.IOStreams{})
		if err := cmd.ParseFlags(tc.args); err != nil {
			t.Fatal(err)
		}
		got, err := cmdutil.GetDryRunStrategy(cmd, func(string) {})
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%v: got %v, %v", tc.args, got, err)
		}
	}
}

// Validating a file before 'kubectl apply' is the job: a file that does not parse, or
// whose object is not ConfigMap kube-system/aws-auth, is a finding with its line and
// column (exit 1); the data-only document kubectl prints with -o jsonpath='{.data}' is
// read as aws-auth's data; mappings under binaryData are dropped by the authenticator.
func TestAWSAuthValidateFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	roles := `- rolearn: arn:aws:iam::111122223333:role/A\n  username: a\n  groups: [x]\n`
	tests := []struct {
		name, file string
		code       int
		want       string
	}{
		{"not YAML", write("broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth\n  namespace: kube-system}\n"), 1, "AA00 not-yaml   object (file line"},
		{"kind is case-sensitive", write("kind.yaml", "apiVersion: v1\nkind: Configmap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata: {mapRoles: \"\"}\n"), 1, `AA01 wrong-object   object (file line 2, column 7)   the object named aws-auth is a "Configmap"`},
		{"a Secret named aws-auth", write("secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: aws-auth, namespace: kube-system}\n"), 1, `is a "Secret", not a ConfigMap`},
		{"data only, JSON", write("data.json", `{"mapRoles":"`+roles+`"}`), 0, ""},
		{"data only, YAML", write("data.yaml", "mapRoles: |\n  - rolearn: arn:aws:iam::111122223333:role/A\n    username: a\n    groups: [x]\n"), 0, ""},
		{"mapRoles under binaryData", write("binary.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\nbinaryData:\n  mapRoles: LSByb2xlYXJuOiB4Cg==\n"), 1, "AA34 mapping-in-binarydata"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, "aws-auth", "validate", "-f", tc.file)
			if code != tc.code || !strings.Contains(stdout, tc.want) || strings.Contains(stderr, "error:") {
				t.Errorf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
		})
	}
	// Other commands refuse such a file (exit 2), naming where.
	_, stderr, code := run(t, "aws-auth", "diff", "-f", filepath.Join(dir, "kind.yaml"), "--from", filepath.Join(dir, "data.yaml"))
	if code != 2 || !strings.Contains(stderr, "kind.yaml (line 2, column 7): the object named aws-auth") {
		t.Errorf("diff: exit %d: %s", code, stderr)
	}
}
