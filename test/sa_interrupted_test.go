package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
)

// seedDefaultServiceAccounts creates n namespaces, each with its default service
// account (the bare control plane runs no controller that would), 16 at a time.
func seedDefaultServiceAccounts(t *testing.T, cl *cluster, n int) {
	t.Helper()
	ctx := t.Context()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ns := fmt.Sprintf("team-%04d", i)
			_, err := cl.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
			if err == nil {
				_, err = cl.client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}, metav1.CreateOptions{})
			}
			if err != nil {
				mu.Lock()
				first = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}

// hardenedCount counts the default service accounts of the team-* namespaces with
// automountServiceAccountToken: false.
func hardenedCount(t *testing.T, cl *cluster) (hardened, total int) {
	t.Helper()
	list, err := cl.client.CoreV1().ServiceAccounts("").List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sa := range list.Items {
		if sa.Name != "default" || !strings.HasPrefix(sa.Namespace, "team-") {
			continue
		}
		total++
		if sa.AutomountServiceAccountToken != nil && !*sa.AutomountServiceAccountToken {
			hardened++
		}
	}
	return hardened, total
}

// The API server dies in the middle of a large `sa harden`: the run stops starting
// writes, the report says exactly which service accounts were changed and which were
// not (and counts the remaining findings from that), the backup holds every object
// changed, and `sa restore` with it puts them all back.
func TestSAHardenAPIServerDiesMidRun(t *testing.T) {
	const n = 600
	cl, err := startCluster(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.stop)
	seedDefaultServiceAccounts(t, cl, n)
	backupDir := t.TempDir()

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	harden := exec.CommandContext(ctx, filepath.Join(binDir, "kubectl-eksiam"), "sa", "harden", "-A", "--exclude-namespace", "kube-system",
		"--backup-dir", backupDir, "-o", "json")
	harden.Env = append(os.Environ(), "KUBECONFIG="+cl.kubeconfig, "HOME="+t.TempDir())
	var out, errOut bytes.Buffer
	harden.Stdout, harden.Stderr = &out, &errOut
	if err := harden.Start(); err != nil {
		t.Fatal(err)
	}
	// Stop the API server once the backup shows some writes under way: each object is
	// appended to the backup just before its write.
	backedUp := func() int {
		files, _ := filepath.Glob(filepath.Join(backupDir, "sa-harden-*.yaml"))
		if len(files) != 1 {
			return 0
		}
		data, _ := os.ReadFile(files[0])
		return bytes.Count(data, []byte("\n- apiVersion: v1"))
	}
	for backedUp() < 40 {
		if ctx.Err() != nil {
			t.Fatalf("the run made no progress: %s", errOut.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cl.env.ControlPlane.APIServer.Stop(); err != nil {
		t.Fatalf("stopping kube-apiserver: %v", err)
	}
	err = harden.Wait()
	code := harden.ProcessState.ExitCode()
	var r v1alpha1.SAHardenReport
	if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil {
		t.Fatalf("exit %d (%v): the report is not JSON: %v\nstdout: %.2000s\nstderr: %s", code, err, jerr, out.String(), errOut.String())
	}
	results := map[string]int{}
	patched := map[string]bool{}
	for _, c := range r.Changes {
		kind, _, _ := strings.Cut(c.Result, ":")
		results[kind]++
		if c.Result == "patched" {
			patched[c.Object.Namespace] = true
		}
	}
	t.Logf("exit %d; %d changes: %v; failed %d, not attempted %d, remaining %d; backup holds %d objects",
		code, len(r.Changes), results, r.Failed, r.NotAttempted, r.Remaining, backedUp())
	t.Logf("stderr: %s", strings.TrimSpace(errOut.String()))
	if code != 2 || !strings.Contains(errOut.String(), "the run stopped after") || !strings.Contains(errOut.String(), "sa restore -f "+r.Backup) {
		t.Errorf("want exit 2 and a line saying the run stopped and how to undo it; got exit %d, stderr:\n%s", code, errOut.String())
	}
	if len(r.Changes) != n || results["patched"]+results["error"]+results["not attempted"] != n || r.Failed != results["error"] || r.NotAttempted != results["not attempted"] {
		t.Errorf("every planned change must be accounted for once: %d changes, %v, failed %d, not attempted %d", len(r.Changes), results, r.Failed, r.NotAttempted)
	}
	if r.NotAttempted == 0 {
		t.Errorf("the run went on writing after the API server died")
	}
	if r.Remaining != len(r.Findings)-results["patched"] {
		t.Errorf("remaining %d, want %d findings - %d patched", r.Remaining, len(r.Findings), results["patched"])
	}

	// Bring the API server back: the cluster holds exactly what the report says.
	if err := cl.env.ControlPlane.APIServer.Start(); err != nil {
		t.Fatalf("starting kube-apiserver again: %v", err)
	}
	list, err := cl.client.CoreV1().ServiceAccounts("").List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var wrong []string
	for _, sa := range list.Items {
		if sa.Name != "default" || !strings.HasPrefix(sa.Namespace, "team-") {
			continue
		}
		hardened := sa.AutomountServiceAccountToken != nil && !*sa.AutomountServiceAccountToken
		if hardened != patched[sa.Namespace] {
			wrong = append(wrong, fmt.Sprintf("%s (hardened %v, reported patched %v)", sa.Namespace, hardened, patched[sa.Namespace]))
		}
	}
	if len(wrong) > 0 {
		t.Errorf("%d service accounts differ from the report: %v", len(wrong), wrong[:min(5, len(wrong))])
	}

	// The backup holds every object changed: the restore puts them all back.
	restore := plugin(t, cl.kubeconfig, nil, "sa", "restore", "-f", r.Backup, "--backup-dir", t.TempDir())
	if restore.code != 0 {
		t.Fatalf("sa restore: %s", restore)
	}
	if h, total := hardenedCount(t, cl); h != 0 || total != n {
		t.Errorf("after the restore, %d of %d service accounts are still hardened", h, total)
	}
	t.Logf("restore: %d lines, %d restored", strings.Count(restore.stdout, "\n"), strings.Count(restore.stdout, " restored"))
}
