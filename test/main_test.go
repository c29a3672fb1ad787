// Package test holds the integration tests: a real etcd and kube-apiserver with RBAC
// authorization, started by the suite itself (controller-runtime's envtest), and the
// built binary run as a kubectl plugin. hack/test.sh installs and caches the control
// plane binaries and sets KUBEBUILDER_ASSETS.
package test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmd"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
)

// cluster is one running control plane and what the tests need to reach it.
type cluster struct {
	env        *envtest.Environment
	admin      *rest.Config
	client     kubernetes.Interface
	kubeconfig string // admin kubeconfig file (group system:masters)
	dir        string
}

var (
	shared *cluster // started by TestMain, stopped after all tests
	binDir string   // holds the built kubectl-eksiam
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Println("integration tests skipped: -short")
		return 0
	}
	ctrllog.SetLogger(logr.Discard())
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		// A plain `go test ./...` on a fresh clone runs the unit tests and says, in one
		// line, how to get these; under CI, not running them is a failure.
		const why = "integration tests (package test) skipped: KUBEBUILDER_ASSETS is not set; run ./hack/test.sh, or export KUBEBUILDER_ASSETS=$(./hack/test-deps.sh) to use a real control plane"
		if os.Getenv("CI") != "" {
			fmt.Fprintln(os.Stderr, "FAIL: "+why)
			return 1
		}
		fmt.Println(why)
		return 0
	}
	tmp, err := os.MkdirTemp("", "eksiam-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)

	binDir = filepath.Join(tmp, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(binDir, "kubectl-eksiam"), "../cmd/kubectl-eksiam")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building kubectl-eksiam:", err)
		return 1
	}

	shared, err = startCluster(filepath.Join(tmp, "shared"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the control plane:", err)
		return 1
	}
	defer shared.stop()
	return m.Run()
}

// startCluster starts etcd and kube-apiserver (RBAC authorization on) and writes an
// admin kubeconfig under dir.
func startCluster(dir string) (*cluster, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	env := &envtest.Environment{}
	// A fixed certificate directory lets a test restart the API server with the
	// same certificates (see restartAPIServer).
	certs := filepath.Join(dir, "certs")
	if err := os.MkdirAll(certs, 0o700); err != nil {
		return nil, err
	}
	env.ControlPlane.GetAPIServer().CertDir = certs
	cfg, err := env.Start()
	if err != nil {
		return nil, err
	}
	c := &cluster{env: env, dir: dir}
	user, err := env.AddUser(envtest.User{Name: "eksiam-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		c.stop()
		return nil, err
	}
	c.admin = user.Config()
	c.admin.QPS, c.admin.Burst = -1, 0 // no client-side throttling in tests
	if c.kubeconfig, err = c.writeKubeconfig(user, "admin"); err != nil {
		c.stop()
		return nil, err
	}
	if c.client, err = kubernetes.NewForConfig(c.admin); err != nil {
		c.stop()
		return nil, err
	}
	_ = cfg
	return c, nil
}

func (c *cluster) writeKubeconfig(user *envtest.AuthenticatedUser, name string) (string, error) {
	data, err := user.KubeConfig()
	if err != nil {
		return "", err
	}
	path := filepath.Join(c.dir, name+".kubeconfig")
	return path, os.WriteFile(path, data, 0o600)
}

// userKubeconfig provisions a user with the given groups and returns its kubeconfig path.
func (c *cluster) userKubeconfig(t *testing.T, name string, groups ...string) string {
	t.Helper()
	path, err := c.writeKubeconfig(c.addUser(t, name, groups...), name)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// addUser provisions a user with the given groups: a client certificate the API
// server authenticates as that user name and those groups.
func (c *cluster) addUser(t *testing.T, name string, groups ...string) *envtest.AuthenticatedUser {
	t.Helper()
	user, err := c.env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return user
}

// userConfig is a client configuration authenticated as name in groups (no admin).
func (c *cluster) userConfig(t *testing.T, name string, groups ...string) *rest.Config {
	t.Helper()
	cfg := c.addUser(t, name, groups...).Config()
	cfg.QPS, cfg.Burst = -1, 0
	return cfg
}

// restartAPIServer stops kube-apiserver and starts it again on the same etcd, port and
// certificates: its RBAC bootstrap runs again, as at every start.
func (c *cluster) restartAPIServer(t *testing.T) {
	t.Helper()
	api := c.env.ControlPlane.APIServer
	var logs bytes.Buffer
	api.Out, api.Err = &logs, &logs
	defer func() {
		if t.Failed() {
			t.Logf("kube-apiserver output:\n%s", tail(logs.String(), 3000))
		}
	}()
	if err := api.Stop(); err != nil {
		t.Fatalf("stopping kube-apiserver: %v", err)
	}
	if err := api.Start(); err != nil {
		t.Fatalf("starting kube-apiserver again: %v", err)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (c *cluster) stop() {
	if err := c.env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
	}
}

// result of one kubectl-eksiam run.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// plugin runs the built binary the way users do: `kubectl eksiam ARGS`, with the
// binary found on PATH by kubectl's plugin mechanism.
func plugin(t *testing.T, kubeconfig string, stdin []byte, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "kubectl", append([]string{"eksiam"}, args...)...)
	home := t.TempDir()
	c.Env = append(os.Environ(),
		"PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"KUBECONFIG="+kubeconfig,
		"HOME="+home,
	)
	if runtime.GOOS == "windows" {
		c.Env = append(c.Env, "USERPROFILE="+home)
	}
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	if stdin != nil {
		c.Stdin = bytes.NewReader(stdin)
	}
	err := c.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running kubectl eksiam %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// inProcess runs the command tree in this process, with the same code path as the
// binary (cobra, flags, clients), which is much cheaper for thousands of queries.
func inProcess(ctx context.Context, kubeconfig, cacheDir string, args ...string) result {
	var out, errOut bytes.Buffer
	root := cmd.NewCmdEksiam(genericiooptions.IOStreams{In: bytes.NewReader(nil), Out: &out, ErrOut: &errOut})
	root.SetArgs(append(args, "--kubeconfig", kubeconfig, "--cache-dir", cacheDir))
	err := root.ExecuteContext(ctx)
	if msg := cmdutil.Message(err); msg != "" {
		errOut.WriteString("error: " + msg + "\n")
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: cmdutil.ExitCode(err)}
}
