package test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// kubectlComplete asks kubectl itself to complete `kubectl eksiam ARGS`: kubectl's
// plugin completion runs kubectl_complete-eksiam (completion/, on PATH), which runs
// kubectl-eksiam __complete.
func kubectlComplete(t *testing.T, kubeconfig string, args ...string) []string {
	t.Helper()
	scripts, err := filepath.Abs(filepath.Join("..", "completion"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "kubectl", append([]string{"__complete", "eksiam"}, args...)...)
	c.Env = append(os.Environ(), "PATH="+scripts+string(os.PathListSeparator)+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"KUBECONFIG="+kubeconfig, "HOME="+t.TempDir())
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	if err := c.Run(); err != nil {
		t.Fatalf("kubectl __complete eksiam %v: %v\n%s", args, err, errOut.String())
	}
	var words []string
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if strings.HasPrefix(l, ":") {
			continue // the directive
		}
		w, _, _ := strings.Cut(l, "\t")
		words = append(words, w)
	}
	return words
}

// `kubectl eksiam <TAB>` completes through kubectl's plugin completion, with the
// cluster's namespaces, its resource types (a CRD's too) and the ARNs aws-auth maps.
func TestCompletionThroughKubectl(t *testing.T) {
	cl := awsAuthCluster(t)
	ensureWidgetsCRD(t.Context(), t, cl)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{""}, []string{"who-can", "access", "aws-auth"}},
		{[]string{"who-can", "get", "pods", "-n", "kube-"}, []string{"kube-system", "kube-public"}},
		{[]string{"who-can", "get", "wid"}, []string{"widgets.example.com"}},
		{[]string{"aws-auth", "remove", "arn:aws:iam::111122223333:"}, []string{"arn:aws:iam::111122223333:role/PlatformAdmin", "arn:aws:iam::111122223333:user/alice"}},
		{[]string{"access", "arn:aws:iam::111122223333:r"}, []string{"arn:aws:iam::111122223333:role/PlatformAdmin"}},
	}
	for _, tc := range tests {
		got := kubectlComplete(t, cl.kubeconfig, tc.args...)
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("kubectl eksiam %s<TAB>: %q not offered; got %v", strings.Join(tc.args, " "), w, got)
			}
		}
	}
	t.Logf("%d completions through kubectl checked", len(tests))
}
