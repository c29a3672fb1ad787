// Package benchenv starts the control plane the benchmark programs (hack/bench-*)
// seed and time: etcd and kube-apiserver through controller-runtime's envtest
// (KUBEBUILDER_ASSETS), an admin kubeconfig written to a file for the plugin, and an
// unthrottled client for seeding.
package benchenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Cluster is a running control plane.
type Cluster struct {
	Env *envtest.Environment
	// Dir is a scratch folder, removed by Stop; Kubeconfig is the admin kubeconfig in it.
	Dir, Kubeconfig string
	// Client is an admin client with no client-side rate limit.
	Client kubernetes.Interface
}

// Start starts a control plane; Stop it when done.
func Start(prefix string) (*Cluster, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Env: &envtest.Environment{}, Dir: dir}
	if _, err := c.Env.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	user, err := c.Env.AddUser(envtest.User{Name: "bench-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		c.Stop()
		return nil, err
	}
	cfg := user.Config()
	cfg.QPS, cfg.Burst = -1, 0
	kc, err := user.KubeConfig()
	if err == nil {
		c.Kubeconfig = filepath.Join(dir, "kubeconfig")
		err = os.WriteFile(c.Kubeconfig, kc, 0o600)
	}
	if err == nil {
		c.Client, err = kubernetes.NewForConfig(cfg)
	}
	if err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// Stop stops the control plane and removes the scratch folder.
func (c *Cluster) Stop() {
	_ = c.Env.Stop()
	_ = os.RemoveAll(c.Dir)
}

// Parallel runs jobs 16 at a time and returns the first error.
func Parallel(jobs []func() error) error {
	ch := make(chan func() error)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range 16 {
		wg.Go(func() {
			for job := range ch {
				if err := job(); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	return first
}

// Sh runs script with bash in environ and returns the peak resident set (KiB) of the
// largest process in it, from wait4: for `kubectl eksiam`, the larger of kubectl and
// the plugin it execs. An exit code in ok is not an error (1: findings, for example).
func Sh(environ []string, script string, ok ...int) (int64, error) {
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = environ
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil && !slices.Contains(ok, cmd.ProcessState.ExitCode()) {
		return 0, fmt.Errorf("%s: %v: %s", script, err, errOut.String())
	}
	if ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage); ru != nil {
		return ru.Maxrss, nil
	}
	return 0, nil
}

// Ms writes a duration in milliseconds, as the reports do.
func Ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }
