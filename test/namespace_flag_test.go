package test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
)

// `-n ""` is the kubeconfig context's namespace, as in kubectl, for every command;
// only -A means all namespaces. An unset variable in a script (`-n "$NS"`) must not
// turn a one-namespace fix into a cluster-wide one.
func TestEmptyNamespaceFlagIsTheKubeconfigNamespace(t *testing.T) {
	cl := shared
	ctx := t.Context()
	for _, ns := range []string{"nsflag-a", "nsflag-b"} {
		if _, err := cl.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The admin kubeconfig, with its context's namespace set to nsflag-a.
	data, err := os.ReadFile(cl.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "ns.kubeconfig")
	if err := os.WriteFile(kc, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("kubectl", "--kubeconfig", kc, "config", "set-context", "--current", "--namespace=nsflag-a").CombinedOutput(); err != nil {
		t.Fatalf("kubectl config set-context: %v\n%s", err, out)
	}

	// sa harden: the write path. Client dry run: the plan is what matters.
	r := plugin(t, kc, nil, "sa", "harden", "-n", "", "--dry-run=client", "-o", "json")
	var h v1alpha1.SAHardenReport
	if err := json.Unmarshal([]byte(r.stdout), &h); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	var planned []string
	for _, c := range h.Changes {
		planned = append(planned, c.Object.Namespace+"/"+c.Object.Name)
	}
	if !slices.Equal(h.Namespaces, []string{"nsflag-a"}) || !slices.Equal(planned, []string{"nsflag-a/default"}) {
		t.Errorf(`sa harden -n "": namespaces %v, changes %v; want nsflag-a only`, h.Namespaces, planned)
	}
	// -A is what means every namespace.
	r = plugin(t, kc, nil, "sa", "harden", "-A", "--dry-run=client", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &h); err != nil || !slices.Contains(h.Namespaces, "nsflag-b") {
		t.Errorf("sa harden -A: %v %v", h.Namespaces, err)
	}

	// who-can and access read the same namespace.
	r = plugin(t, kc, nil, "who-can", "get", "pods", "-n", "", "-o", "json", "--iam=false")
	var w v1alpha1.WhoCanReport
	if err := json.Unmarshal([]byte(r.stdout), &w); err != nil || w.Query.Scope != v1alpha1.ScopeNamespace || w.Query.Namespace != "nsflag-a" {
		t.Errorf(`who-can -n "": %+v %v`, w.Query, err)
	}
	t.Logf(`-n "" read as nsflag-a by sa harden (%d change planned), who-can (scope %s)`, len(planned), w.Query.Scope)
}
