// Command bench-scale seeds a real kube-apiserver with a large RBAC policy and times
// `kubectl eksiam who-can` end to end beside the bare cost of fetching the same four
// collections with `kubectl get --raw`. It prints a Markdown report for
// docs/benchmarks.md. Run it through hack/bench-scale.sh.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-eksiam/kubectl-eksiam/internal/benchenv"
	"github.com/kubectl-eksiam/kubectl-eksiam/internal/benchpolicy"
)

func main() {
	namespaces := flag.Int("namespaces", 500, "namespaces to create")
	perNS := flag.Int("per-namespace", 20, "Roles and RoleBindings per namespace (each)")
	crbs := flag.Int("cluster-role-bindings", 1000, "ClusterRoleBindings to create")
	clusterRoles := flag.Int("cluster-roles", 500, "ClusterRoles to create")
	mapRoles := flag.Int("map-roles", 200, "aws-auth mapRoles entries to create")
	mapUsers := flag.Int("map-users", 20, "aws-auth mapUsers entries to create")
	runs := flag.Int("runs", 10, "timed runs of each command")
	bin := flag.String("bin", "", "directory holding the kubectl-eksiam binary (put on PATH)")
	hold := flag.Bool("hold", false, "after seeding, print the kubeconfig path and keep the server up until interrupted")
	scenario := flag.String("scenario", "who-can", "who-can: RBAC and aws-auth at scale; audit: the same cluster, the whole audit timed beside who-can -A; harden: -service-accounts namespaces with a default service account, for sa harden")
	serviceAccounts := flag.Int("service-accounts", 2000, "namespaces, each with its default service account (scenario harden)")
	flag.Parse()
	sc := scale{namespaces: *namespaces, perNS: *perNS, crbs: *crbs, clusterRoles: *clusterRoles, mapRoles: *mapRoles, mapUsers: *mapUsers}
	var err error
	switch *scenario {
	case "who-can", "audit":
		err = run(sc, *scenario, *runs, *bin, *hold)
	case "harden":
		err = runHarden(*serviceAccounts, *runs, *bin)
	default:
		err = fmt.Errorf("unknown -scenario %q", *scenario)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// scale is the size of the seeded cluster.
type scale struct {
	namespaces, perNS, crbs, clusterRoles, mapRoles, mapUsers int
}

func run(sc scale, scenario string, runs int, bin string, hold bool) error {
	ctx := context.Background()
	cl, err := benchenv.Start("eksiam-scale-")
	if err != nil {
		return err
	}
	defer cl.Stop()
	dir, kubeconfig, c := cl.Dir, cl.Kubeconfig, cl.Client

	start := time.Now()
	if err := seed(ctx, c, sc); err != nil {
		return err
	}
	seedTime := time.Since(start)
	if hold {
		fmt.Println("seeded; KUBECONFIG=" + kubeconfig + " (interrupt to stop)")
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		<-ch
		return nil
	}

	home := filepath.Join(dir, "home")
	environ := append(os.Environ(), "KUBECONFIG="+kubeconfig, "HOME="+home,
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	sh := func(script string) func() (int64, error) {
		return func() (int64, error) { return benchenv.Sh(environ, script) }
	}
	paths := []string{"/apis/rbac.authorization.k8s.io/v1/clusterroles", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
		"/apis/rbac.authorization.k8s.io/v1/roles", "/apis/rbac.authorization.k8s.io/v1/rolebindings"}
	var seq, par []string
	for _, p := range paths {
		seq = append(seq, "kubectl get --raw "+p+" >/dev/null")
		par = append(par, "kubectl get --raw "+p+" >/dev/null &")
	}
	sizes := map[string]int{}
	for _, p := range paths {
		out, err := exec.Command("kubectl", "--kubeconfig", kubeconfig, "get", "--raw", p).Output()
		if err != nil {
			return err
		}
		sizes[p] = len(out)
	}

	// Warm the discovery cache once, as any second kubectl run finds it.
	if _, err := sh("kubectl eksiam who-can get pods -A >/dev/null")(); err != nil {
		return err
	}
	type row struct{ name, command string }
	rows := []row{
		{"bare lists, sequential", strings.Join(seq, "; ")},
		{"bare lists, concurrent", strings.Join(par, " ") + " wait"},
		{"who-can -A (table)", "kubectl eksiam who-can get pods -A"},
		{"who-can -A -o json", "kubectl eksiam who-can get pods -A -o json"},
		{"who-can list secrets -A -o json, IAM view", "kubectl eksiam who-can list secrets -A -o json"},
		{"who-can list secrets -A -o json, RBAC only", "kubectl eksiam who-can list secrets -A -o json --iam=false"},
		{"who-can -A '*' '*'", "kubectl eksiam who-can '*' '*' -A"},
		{"who-can get nodes -o json, IAM view", "kubectl eksiam who-can get nodes -o json"},
		{"who-can get nodes -o json, RBAC only", "kubectl eksiam who-can get nodes -o json --iam=false"},
		{"who-can -n (one namespace)", "kubectl eksiam who-can get secrets -n ns-0042"},
		{"who-can, cold discovery cache", "rm -rf ~/.kube/cache; kubectl eksiam who-can get pods -A"},
		// Every namespace's RBAC and the escalation graph (exit 0).
		{"who-can --escalation", "kubectl eksiam who-can --escalation delete nodes"},
		// The matrix of one subject with its paths (exit 1: a path to cluster admin).
		{"can -A", "kubectl eksiam can serviceaccount/ns-0042/sa-7 -A; test $? -le 1"},
	}
	if scenario == "audit" {
		// The whole audit (RBAC, aws-auth, the service account objects, pod identity's
		// objects; no AWS: the kubeconfig is not an EKS one) beside who-can -A, which
		// reads the RBAC kinds and aws-auth only.
		rows = []row{rows[1], rows[2],
			{"audit (table)", "kubectl eksiam audit --fail-on none"},
			{"audit -o json", "kubectl eksiam audit --fail-on none -o json"},
			{"audit -o sarif", "kubectl eksiam audit --fail-on none -o sarif"},
			{"audit --check AA,CA01,LP01,AN01 (RBAC and aws-auth checks)", "kubectl eksiam audit --fail-on none --check AA,CA01,LP01,AN01"},
		}
	}

	fmt.Printf("Seeded %d namespaces × (%d Roles + %d RoleBindings), %d ClusterRoles, %d ClusterRoleBindings, aws-auth with %d mapRoles + %d mapUsers in %s.\n\n",
		sc.namespaces, sc.perNS, sc.perNS, sc.clusterRoles, sc.crbs, sc.mapRoles, sc.mapUsers, seedTime.Round(time.Second))
	fmt.Printf("Collection sizes (JSON, `kubectl get --raw`): ")
	for i, p := range paths {
		if i > 0 {
			fmt.Print(", ")
		}
		fmt.Printf("%s %.1f MB", p[strings.LastIndex(p, "/")+1:], float64(sizes[p])/1e6)
	}
	fmt.Printf("\n\n| what | command | median | min | max | vs concurrent lists | peak RSS (median) |\n|---|---|---|---|---|---|---|\n")
	var concurrent time.Duration
	for _, r := range rows {
		script := strings.ReplaceAll(r.command, "~", "\"$HOME\"")
		if !strings.HasSuffix(script, " wait") {
			script += " >/dev/null"
		}
		var (
			ds   []time.Duration
			rsss []int64
		)
		for range runs {
			t0 := time.Now()
			rss, err := sh(script)()
			if err != nil {
				return err
			}
			ds = append(ds, time.Since(t0))
			rsss = append(rsss, rss)
		}
		slices.Sort(ds)
		slices.Sort(rsss)
		med := ds[len(ds)/2]
		if r.name == "bare lists, concurrent" {
			concurrent = med
		}
		ratio := "–"
		if concurrent > 0 {
			ratio = fmt.Sprintf("%.2f×", float64(med)/float64(concurrent))
		}
		fmt.Printf("| %s | `%s` | %s | %s | %s | %s | %.0f MiB |\n", r.name, r.command, benchenv.Ms(med), benchenv.Ms(ds[0]), benchenv.Ms(ds[len(ds)-1]), ratio, float64(rsss[len(rsss)/2])/1024)
	}
	return nil
}

// seed creates the policy (internal/benchpolicy) with 16 concurrent writers.
func seed(ctx context.Context, c kubernetes.Interface, sc scale) error {
	p := benchpolicy.Generate(benchpolicy.Scale{Namespaces: sc.namespaces, PerNamespace: sc.perNS, ClusterRoles: sc.clusterRoles,
		ClusterRoleBindings: sc.crbs, MapRoles: sc.mapRoles, MapUsers: sc.mapUsers})
	var nsJobs, jobs []func() error
	for _, ns := range p.Namespaces {
		nsJobs = append(nsJobs, func() error {
			_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
			return err
		})
	}
	for i := range p.ClusterRoles {
		jobs = append(jobs, func() error {
			_, err := c.RbacV1().ClusterRoles().Create(ctx, &p.ClusterRoles[i], metav1.CreateOptions{})
			return err
		})
	}
	for i := range p.ClusterRoleBindings {
		jobs = append(jobs, func() error {
			_, err := c.RbacV1().ClusterRoleBindings().Create(ctx, &p.ClusterRoleBindings[i], metav1.CreateOptions{})
			return err
		})
	}
	for i := range p.Roles {
		role, rb := &p.Roles[i], &p.RoleBindings[i]
		jobs = append(jobs,
			func() error {
				_, err := c.RbacV1().Roles(role.Namespace).Create(ctx, role, metav1.CreateOptions{})
				return err
			},
			func() error {
				_, err := c.RbacV1().RoleBindings(rb.Namespace).Create(ctx, rb, metav1.CreateOptions{})
				return err
			})
	}
	if err := benchenv.Parallel(nsJobs); err != nil {
		return err
	}
	if err := benchenv.Parallel(jobs); err != nil {
		return err
	}
	_, err := c.CoreV1().ConfigMaps("kube-system").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"},
		Data: p.AWSAuth}, metav1.CreateOptions{})
	return err
}

// runHarden times `sa harden -A` on n namespaces with a default service account each:
// server dry runs, then a real run, its restore, and a second real run.
func runHarden(n, runs int, bin string) error {
	ctx := context.Background()
	cl, err := benchenv.Start("eksiam-harden-")
	if err != nil {
		return err
	}
	defer cl.Stop()
	dir, kubeconfig, c := cl.Dir, cl.Kubeconfig, cl.Client
	start := time.Now()
	var jobs []func() error
	for i := range n {
		ns := fmt.Sprintf("team-%04d", i)
		jobs = append(jobs, func() error {
			if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := c.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}, metav1.CreateOptions{})
			return err
		})
	}
	if err := benchenv.Parallel(jobs); err != nil {
		return err
	}
	fmt.Printf("Seeded %d namespaces with a default service account in %s.\n\n", n, time.Since(start).Round(time.Second))
	backups := filepath.Join(dir, "backups")
	timed := func(args ...string) (time.Duration, string, error) {
		cmd := exec.Command(filepath.Join(bin, "kubectl-eksiam"), args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "HOME="+filepath.Join(dir, "home"))
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		t0 := time.Now()
		err := cmd.Run()
		d := time.Since(t0)
		if code := cmd.ProcessState.ExitCode(); code > 1 {
			return d, "", fmt.Errorf("%v: %v: %s", args, err, errOut.String())
		}
		return d, errOut.String(), nil
	}
	fmt.Printf("| what | command | time |\n|---|---|---|\n")
	harden := []string{"sa", "harden", "-A", "--exclude-namespace", "kube-system", "--backup-dir", backups}
	var ds []time.Duration
	for range runs {
		d, _, err := timed(append(harden, "--dry-run=server")...)
		if err != nil {
			return err
		}
		ds = append(ds, d)
	}
	slices.Sort(ds)
	fmt.Printf("| server dry run (median of %d) | `kubectl-eksiam sa harden -A --dry-run=server` | %s |\n", runs, benchenv.Ms(ds[len(ds)/2]))
	for round := 1; round <= 2; round++ {
		d, stderr, err := timed(harden...)
		if err != nil {
			return err
		}
		fmt.Printf("| real run %d | `kubectl-eksiam sa harden -A` | %s |\n", round, benchenv.Ms(d))
		files, _ := filepath.Glob(filepath.Join(backups, "sa-harden-*.yaml"))
		slices.Sort(files)
		if len(files) == 0 {
			return fmt.Errorf("no backup written: %s", stderr)
		}
		d, _, err = timed("sa", "restore", "-f", files[len(files)-1], "--backup-dir", backups)
		if err != nil {
			return err
		}
		fmt.Printf("| restore %d | `kubectl-eksiam sa restore -f BACKUP` | %s |\n", round, benchenv.Ms(d))
	}
	return nil
}
