package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/resources"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const example = "../../examples/eks-cluster.yaml"

// run executes the command tree as main does, offline (no kubeconfig is read: -f).
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewCmdEksiam(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	// A KUBECONFIG naming no file: client-go then uses an empty config (namespace "default").
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	root.SetArgs(args)
	err := root.ExecuteContext(t.Context())
	if msg := cmdutil.Message(err); msg != "" {
		errOut.WriteString("error: " + msg + "\n")
	}
	return out.String(), errOut.String(), cmdutil.ExitCode(err)
}

// Golden files pin the exact bytes of every output format on the bundled example.
// Regenerate with: go test ./pkg/cmd/ -run TestWhoCanGolden -update (and review the diff).
func TestWhoCanGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"secrets-app-table", []string{"who-can", "get", "secrets", "-n", "app"}},
		{"secrets-app-wide", []string{"who-can", "get", "secrets", "-n", "app", "-o", "wide"}},
		{"secrets-app-no-headers", []string{"who-can", "get", "secrets", "-n", "app", "--no-headers"}},
		{"secrets-app-json", []string{"who-can", "get", "secrets", "-n", "app", "-o", "json"}},
		{"secrets-app-yaml", []string{"who-can", "get", "secrets", "-n", "app", "-o", "yaml"}},
		{"named-secret-app", []string{"who-can", "get", "secrets/web-tls", "-n", "app"}},
		{"exec-all-namespaces-wide", []string{"who-can", "create", "pods", "--subresource", "exec", "-A", "-o", "wide"}},
		{"everything-all-namespaces", []string{"who-can", "*", "*", "-A"}},
		{"healthz", []string{"who-can", "get", "/healthz"}},
		{"nodes-with-namespace", []string{"who-can", "list", "no", "-n", "app"}},
		{"impersonate-users", []string{"who-can", "impersonate", "users"}},
		{"jsonpath-names", []string{"who-can", "get", "pods", "-n", "ci", "-o", "jsonpath={range .subjects[*]}{.kind}/{.name}{\"\\n\"}{end}"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, append(tc.args, "-f", example)...)
			got := "$ kubectl eksiam " + strings.Join(tc.args, " ") + " -f examples/eks-cluster.yaml\n" +
				"--- exit code\n" + string(rune('0'+code)) + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr
			path := filepath.Join("testdata", "who-can", tc.name+".golden")
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
			for _, line := range strings.Split(stdout, "\n") {
				if strings.HasSuffix(line, " ") {
					t.Errorf("trailing space in %q", line)
				}
			}
		})
	}
}

// whoCanOptions builds Options directly, as Complete would for a live cluster, with a
// fake clientset standing in for the API server.
func whoCanOptions(c *fake.Clientset, args ...string) (*WhoCanOptions, *bytes.Buffer, *bytes.Buffer) {
	d, err := resources.Builtin()
	if err != nil {
		panic(err)
	}
	var out, errOut bytes.Buffer
	o := NewWhoCanOptions(genericiooptions.IOStreams{Out: &out, ErrOut: &errOut})
	o.Verb, o.ResourceArg, o.IAM = args[0], args[1], false
	o.Scope.Namespace = "app"
	o.Input = source.Input{Clients: &source.Clients{Kube: c, Mapper: d.RESTMapper()}}
	return o, &out, &errOut
}

func forbidden(resource string) k8stesting.ReactionFunc {
	return func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: rbacv1.GroupName, Resource: resource}, "", errors.New(`User "bob" cannot list resource`))
	}
}

// A Forbidden LIST is an error naming what could not be read; nothing is printed.
func TestWhoCanRunForbidden(t *testing.T) {
	tests := []struct {
		name      string
		forbid    []string
		args      []string
		wantParts []string
	}{
		{"rolebindings", []string{"rolebindings"}, []string{"get", "pods"}, []string{"cannot list rolebindings in namespace app", "forbidden"}},
		{"cluster kinds", []string{"clusterroles", "clusterrolebindings"}, []string{"get", "pods"},
			[]string{"cannot list clusterroles: ", "; cannot list clusterrolebindings: "}},
		{"roles not needed for nodes", []string{"roles", "rolebindings"}, []string{"get", "nodes"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewClientset()
			for _, r := range tc.forbid {
				c.PrependReactor("list", r, forbidden(r))
			}
			o, out, _ := whoCanOptions(c, tc.args...)
			if err := o.Validate(); err != nil {
				t.Fatal(err)
			}
			err := o.Run(context.Background())
			if tc.wantParts == nil {
				if err != nil || !strings.Contains(out.String(), "system:masters") {
					t.Fatalf("want an answer, got err=%v out=%q", err, out)
				}
				return
			}
			var re *source.ReadError
			if !errors.As(err, &re) || cmdutil.ExitCode(err) != 2 || !apierrors.IsForbidden(err) {
				t.Fatalf("want a *source.ReadError (exit 2, Forbidden), got %T %v", err, err)
			}
			for _, p := range tc.wantParts {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not contain %q", err, p)
				}
			}
			if out.Len() != 0 {
				t.Errorf("printed a partial answer: %q", out)
			}
			// No write of any kind was attempted.
			for _, a := range c.Actions() {
				if a.GetVerb() != "list" {
					t.Errorf("unexpected %s %s", a.GetVerb(), a.GetResource().Resource)
				}
			}
		})
	}
}

// Live reads are one LIST per kind: never per namespace or per subject.
func TestWhoCanRunListsOncePerKind(t *testing.T) {
	objs := []runtime.Object{
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "r"}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "b"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "r"},
			Subjects: []rbacv1.Subject{{Kind: "User", Name: "alice"}}},
	}
	for ns := range 5 {
		name := string(rune('a' + ns))
		objs = append(objs, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: name}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "r"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default"}}})
	}
	c := fake.NewClientset(objs...)
	o, out, _ := whoCanOptions(c, "get", "pods")
	o.Scope.AllNamespaces = true
	o.Print.Output = "json"
	if err := o.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var lists []string
	for _, a := range c.Actions() {
		lists = append(lists, a.GetVerb()+" "+a.GetResource().Resource+" ns="+a.GetNamespace())
	}
	want := []string{"list clusterrolebindings ns=", "list clusterroles ns=", "list rolebindings ns=", "list roles ns="}
	if d := cmp.Diff(want, sortedCopy(lists)); d != "" {
		t.Errorf("API calls (-want +got):\n%s", d)
	}
	var report v1alpha1.WhoCanReport
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, s := range report.Subjects {
		rows = append(rows, s.Kind+"/"+s.Namespace+"/"+s.Name+" "+strings.Join(s.Namespaces, ","))
	}
	want = []string{"Group//system:masters ", "ServiceAccount/a/default a", "ServiceAccount/b/default b", "ServiceAccount/c/default c",
		"ServiceAccount/d/default d", "ServiceAccount/e/default e", "User//alice "}
	if d := cmp.Diff(want, rows); d != "" {
		t.Errorf("subjects (-want +got):\n%s", d)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func TestWhoCanValidate(t *testing.T) {
	opts := func(verb, resource, url, sub, output string) *WhoCanOptions {
		o := NewWhoCanOptions(genericiooptions.IOStreams{})
		o.Verb, o.ResourceArg, o.NonResourceURL, o.Subresource, o.Print.Output = verb, resource, url, sub, output
		return o
	}
	tests := []struct {
		name string
		o    *WhoCanOptions
		want string
	}{
		{"ok", opts("get", "pods", "", "", ""), ""},
		{"custom verb answered (with a warning)", opts("frobnicate", "pods", "", "", ""), ""},
		{"custom URL verb answered (with a warning)", opts("watch", "", "/x", "", ""), ""},
		{"URL and subresource", opts("get", "", "/x", "y", ""), "--subresource cannot be used"},
		{"slash in subresource", opts("get", "pods", "", "a/b", ""), "must not contain '/'"},
		{"empty type", opts("get", "", "", "", ""), "resource type must not be empty"},
		{"empty verb", opts("", "pods", "", "", ""), "VERB must not be empty"},
		{"bad output", opts("get", "pods", "", "", "csv"), `unknown output format "csv"`},
		{"jsonpath ok", opts("get", "pods", "", "", "jsonpath={.subjects}"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || cmdutil.ExitCode(err) != 2 {
				t.Fatalf("want exit-2 error containing %q, got %v", tc.want, err)
			}
		})
	}
}

// A verb RBAC does not know is answered, with a warning, as 'kubectl auth can-i' does:
// only rules with "*" verbs match it.
func TestWhoCanCustomVerb(t *testing.T) {
	stdout, stderr, code := run(t, "who-can", "frobnicate", "pods", "-n", "app", "-f", example, "--iam=false")
	if code != 0 || !strings.Contains(stderr, `Warning: verb "frobnicate" is not a known resource verb`) || !strings.Contains(stdout, "system:masters") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	star, _, _ := run(t, "who-can", "*", "pods", "-n", "app", "-f", example, "--iam=false")
	if fields := func(s string) string { return strings.Join(strings.Fields(s), " ") }; fields(stdout) != fields(star) {
		t.Errorf("a custom verb should be allowed exactly to those allowed every verb:\n%s\nvs\n%s", stdout, star)
	}
}

// who-can on RBAC as real projects write it: install manifests without a namespace, a
// ServiceAccount subject in an unrendered namespace, NAME that is a subresource, and
// '*' as the type.
func TestWhoCanRealWorldRBAC(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "install.yaml")
	if err := os.WriteFile(manifest, []byte(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: controller}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: controller}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: controller}
subjects:
- {kind: ServiceAccount, name: controller}
- {kind: ServiceAccount, name: karpenter, namespace: $KARPENTER_NAMESPACE}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	// Raw manifests take -n, with a warning, instead of being refused whole.
	stdout, stderr, code := run(t, "who-can", "get", "pods", "-n", "tools", "-f", example, "-f", manifest, "--iam=false", "-o", "json")
	var r v1alpha1.WhoCanReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != 0 {
		t.Fatalf("exit %d: %v\n%s\n%s", code, err, stdout, stderr)
	}
	var got []string
	for _, s := range r.Subjects {
		if s.Kind == "ServiceAccount" && (s.Name == "controller" || s.Name == "karpenter") {
			got = append(got, s.Kind+" "+s.Namespace+"/"+s.Name)
		}
	}
	if want := []string{"ServiceAccount $KARPENTER_NAMESPACE/karpenter", "ServiceAccount tools/controller"}; !slices.Equal(got, want) {
		t.Errorf("subjects %v, want %v", got, want)
	}
	for _, want := range []string{"read in namespace tools (-n, or the kubeconfig's)", "RoleBinding controller", "names ServiceAccount $KARPENTER_NAMESPACE/karpenter, whose namespace or name is not valid"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}

	// NAME that is a subresource: answered as asked, with a warning.
	_, stderr, code = run(t, "who-can", "create", "pods/exec", "-n", "app", "-f", example, "--iam=false")
	if code != 0 || !strings.Contains(stderr, "pods/exec asks about one object of pods, named \"exec\"; for the subresource, use 'pods --subresource exec'") {
		t.Errorf("pods/exec: exit %d: %s", code, stderr)
	}

	// '*' is every resource of every group: the same answer as '*.*'.
	star, _, _ := run(t, "who-can", "get", "*", "-n", "app", "-f", example, "--iam=false", "-o", "json")
	starStar, _, _ := run(t, "who-can", "get", "*.*", "-n", "app", "-f", example, "--iam=false", "-o", "json")
	core, _, _ := run(t, "who-can", "get", "*.", "-n", "app", "-f", example, "--iam=false", "-o", "json")
	if !strings.Contains(star, `"group": "*"`) || strings.ReplaceAll(star, `"*.*"`, `"*"`) != strings.ReplaceAll(starStar, `"*.*"`, `"*"`) || star == core {
		t.Errorf("'*' should be every group ('*.*'), not the core group ('*.')")
	}
}
