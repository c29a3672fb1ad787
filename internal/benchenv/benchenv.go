// Package benchenv starts the control plane the benchmark programs (hack/bench-*)
// seed and time: etcd and kube-apiserver through controller-runtime's envtest
// (KUBEBUILDER_ASSETS), an admin kubeconfig written to a file for the plugin, and an
// unthrottled client for seeding.
package benchenv

import (
	"os"
	"path/filepath"
	"sync"

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
