package test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
)

// seedAudit gives a cluster an anonymous binding and an aws-auth that maps a role to
// system:masters: AN01, AA29 and CA01 findings.
func seedAudit(t *testing.T, cl *cluster) {
	t.Helper()
	ctx := t.Context()
	if _, err := cl.client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "audit-anonymous"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "system:anonymous"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.client.CoreV1().ConfigMaps("kube-system").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"},
		Data: map[string]string{"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/admin\n  username: admin:{{SessionName}}\n  groups:\n  - system:masters\n"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// stallingProxy forwards plain HTTP to a cluster's API server with its admin
// credentials, and holds the first LIST request until release is closed, after
// calling started: a test can stop the API server while a run is reading it.
func stallingProxy(t *testing.T, admin *rest.Config) (srv *httptest.Server, started <-chan struct{}, release chan<- struct{}) {
	t.Helper()
	target, err := url.Parse(admin.Host)
	if err != nil {
		t.Fatal(err)
	}
	transport, err := rest.TransportFor(admin)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = transport
	proxy.ErrorLog = log.New(io.Discard, "", 0) // B stops on purpose
	startedCh, releaseCh := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("limit") != "" {
			first := false
			once.Do(func() { first = true })
			if first {
				close(startedCh)
				<-releaseCh
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, startedCh, releaseCh
}

// twoContexts writes a kubeconfig with context a (cluster A, directly) and context b
// (cluster B through the proxy at bURL).
func twoContexts(t *testing.T, a *rest.Config, bURL string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["a"] = &clientcmdapi.Cluster{Server: a.Host, CertificateAuthorityData: a.CAData}
	cfg.AuthInfos["a"] = &clientcmdapi.AuthInfo{ClientCertificateData: a.CertData, ClientKeyData: a.KeyData}
	cfg.Clusters["b"] = &clientcmdapi.Cluster{Server: bURL}
	cfg.AuthInfos["b"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["a"] = &clientcmdapi.Context{Cluster: "a", AuthInfo: "a"}
	cfg.Contexts["b"] = &clientcmdapi.Context{Cluster: "b", AuthInfo: "b"}
	cfg.CurrentContext = "a"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func auditReport(t *testing.T, r result) v1alpha1.AuditReport {
	t.Helper()
	var rep v1alpha1.AuditReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r)
	}
	return rep
}

// The audit runs on two real API servers at once (--all-contexts, then --context a
// --context b); the second time, B's API server is stopped while the audit is reading
// it: B is an error row, A is audited, the run is not failed (exit 1, for A's
// findings), and nothing but the report is on stdout.
func TestAuditTwoClustersOneStoppedMidRun(t *testing.T) {
	var (
		wg     sync.WaitGroup
		a, b   *cluster
		errA   error
		errB   error
		tmpDir = t.TempDir()
	)
	wg.Go(func() { a, errA = startCluster(filepath.Join(tmpDir, "a")) })
	wg.Go(func() { b, errB = startCluster(filepath.Join(tmpDir, "b")) })
	wg.Wait()
	for _, c := range []*cluster{a, b} {
		if c != nil {
			t.Cleanup(c.stop)
		}
	}
	if errA != nil || errB != nil {
		t.Fatalf("starting the control planes: %v, %v", errA, errB)
	}
	seedAudit(t, a)
	seedAudit(t, b)

	// Both up: every context audited.
	proxy, started, release := stallingProxy(t, b.admin)
	close(release)
	kubeconfig := twoContexts(t, a.admin, proxy.URL)
	all := plugin(t, kubeconfig, nil, "audit", "--all-contexts", "-o", "json")
	rep := auditReport(t, all)
	<-started
	if all.code != 1 || len(rep.Clusters) != 2 || rep.Clusters[0].Status != "audited" || rep.Clusters[1].Status != "audited" || !rep.Complete {
		t.Fatalf("--all-contexts: %s", all)
	}
	for _, ctx := range []string{"a", "b"} {
		ids := map[string]bool{}
		for _, f := range rep.Findings {
			if f.Context == ctx {
				ids[f.ID] = true
			}
		}
		if !ids["AN01"] || !ids["AA29"] || !ids["CA01"] {
			t.Errorf("context %s: findings %v", ctx, ids)
		}
	}

	// B stopped mid-run.
	proxy, started, release = stallingProxy(t, b.admin)
	kubeconfig = twoContexts(t, a.admin, proxy.URL)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, "kubectl", "eksiam", "audit", "--context", "a", "--context", "b", "--concurrency", "2", "-o", "json", "--request-timeout", "20s")
	run.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"), "KUBECONFIG="+kubeconfig, "HOME="+t.TempDir())
	var out, errOut bytes.Buffer
	run.Stdout, run.Stderr = &out, &errOut
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatalf("the audit never read cluster B: %s", errOut.String())
	}
	if err := b.env.ControlPlane.APIServer.Stop(); err != nil {
		t.Fatalf("stopping B's kube-apiserver: %v", err)
	}
	close(release)
	_ = run.Wait()
	res := result{stdout: out.String(), stderr: errOut.String(), code: run.ProcessState.ExitCode()}
	rep = auditReport(t, res)
	t.Logf("exit %d; stderr: %s", res.code, strings.TrimSpace(res.stderr))
	if res.code != 1 || len(rep.Clusters) != 2 || rep.Complete {
		t.Fatalf("want exit 1 (A's findings), two clusters, complete false: %s", res)
	}
	ra, rb := rep.Clusters[0], rep.Clusters[1]
	if ra.Context != "a" || ra.Status != "audited" || ra.Findings == 0 {
		t.Errorf("A: %+v", ra)
	}
	if rb.Context != "b" || rb.Status != "error" || rb.Error == "" || rb.Findings != 0 {
		t.Errorf("B: %+v", rb)
	}
	for _, f := range rep.Findings {
		if f.Context != "a" {
			t.Errorf("a finding of %s: %+v", f.Context, f)
		}
	}
	if !strings.Contains(res.stderr, "1 cluster(s) could not be audited") || strings.Contains(res.stderr, "\r") {
		t.Errorf("stderr (no terminal, so no progress line): %q", res.stderr)
	}
	t.Logf("B's error row: %s", rb.Error)
}
