// Command bench-podidentity seeds a real kube-apiserver with a cluster of service
// accounts, pods on nodes and Deployments, starts local EKS, IAM and EC2 APIs holding
// the matching roles, associations and instances, and times `kubectl eksiam
// pod-identity` end to end (the plugin binary, through kubectl, with the unchanged AWS
// SDK pointed at the local APIs). It prints a Markdown report for docs/benchmarks.md.
// Run it through hack/bench-podidentity.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-eksiam/kubectl-eksiam/internal/benchenv"
	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeec2"
	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeeks"
	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeiam"
)

type scale struct {
	namespaces, serviceAccounts, pods, nodes, roles, associations int
}

func main() {
	sc := scale{}
	flag.IntVar(&sc.namespaces, "namespaces", 100, "namespaces")
	flag.IntVar(&sc.serviceAccounts, "service-accounts", 2000, "service accounts (spread over the namespaces), one Deployment each")
	flag.IntVar(&sc.pods, "pods", 10000, "pods (spread over the service accounts and nodes)")
	flag.IntVar(&sc.nodes, "nodes", 200, "nodes, each an EC2 instance")
	flag.IntVar(&sc.roles, "roles", 200, "IAM roles the IRSA annotations (half the service accounts) name")
	flag.IntVar(&sc.associations, "associations", 200, "EKS Pod Identity associations")
	runs := flag.Int("runs", 5, "timed runs of each command")
	bin := flag.String("bin", "", "directory holding the kubectl-eksiam binary (put on PATH)")
	flag.Parse()
	if err := run(sc, *runs, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

const (
	account = "111122223333"
	host    = "oidc.eks.us-west-2.amazonaws.com/id/BENCH"
)

func roleARN(i int) string { return fmt.Sprintf("arn:aws:iam::%s:role/app-role-%03d", account, i) }

func run(sc scale, runs int, bin string) error {
	ctx := context.Background()
	cl, err := benchenv.Start("eksiam-pi-bench-")
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

	// The AWS side: roles (IRSA trust scoped to the service accounts that name
	// them), associations, instances, one instance profile.
	var roles []fakeiam.Role
	subs := map[int][]string{}
	for i := range sc.serviceAccounts {
		if i%2 == 0 {
			subs[(i/2)%sc.roles] = append(subs[(i/2)%sc.roles], fmt.Sprintf(`"system:serviceaccount:%s:%s"`, nsName(sc, i), saName(i)))
		}
	}
	for r := range sc.roles {
		roles = append(roles, fakeiam.Role{ARN: roleARN(r), Trust: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::` + account +
			`:oidc-provider/` + host + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + host + `:sub":[` + strings.Join(subs[r], ",") + `],"` + host + `:aud":"sts.amazonaws.com"}}}]}`})
	}
	roles = append(roles, fakeiam.Role{ARN: "arn:aws:iam::" + account + ":role/pi-shared", Trust: `{"Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"aws:RequestTag/eks-cluster-name":"bench"}}}]}`},
		fakeiam.Role{ARN: "arn:aws:iam::" + account + ":role/nodes", Trust: `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`})
	var assocs []fakeeks.Association
	for i := range sc.associations {
		sa := 2*i + 1 // the service accounts without IRSA
		assocs = append(assocs, fakeeks.Association{ID: fmt.Sprintf("a-%05d", i), Namespace: nsName(sc, sa), ServiceAccount: saName(sa), RoleARN: "arn:aws:iam::" + account + ":role/pi-shared"})
	}
	var instances []fakeec2.Instance
	profile := "arn:aws:iam::" + account + ":instance-profile/nodes"
	for n := range sc.nodes {
		in := fakeec2.Instance{ID: instanceID(n), HTTPTokens: "required", HopLimit: 1, HTTPEndpoint: "enabled", InstanceProfileARN: profile}
		if n%4 == 0 {
			in.HTTPTokens, in.HopLimit = "optional", 2 // a quarter of the nodes still allow IMDSv1
		}
		instances = append(instances, in)
	}
	eksSrv := fakeeks.NewServer()
	defer eksSrv.Close()
	eksSrv.SetPageSize(0)
	eksSrv.SetPodIdentity("bench", fakeeks.PodIdentity{Issuer: "https://" + host, Associations: assocs})
	iamSrv := fakeiam.NewServer(roles, []fakeiam.InstanceProfile{{ARN: profile, Roles: []string{"arn:aws:iam::" + account + ":role/nodes"}}})
	defer iamSrv.Close()
	ec2Srv := fakeec2.NewServer(instances...)
	defer ec2Srv.Close()
	ec2Srv.SetPageSize(0)

	home := filepath.Join(dir, "home")
	awsDir := filepath.Join(dir, "aws")
	environ := append(os.Environ(), "KUBECONFIG="+kubeconfig, "HOME="+home, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"AWS_ENDPOINT_URL_EKS="+eksSrv.URL, "AWS_ENDPOINT_URL_IAM="+iamSrv.URL, "AWS_ENDPOINT_URL_EC2="+ec2Srv.URL,
		"AWS_ACCESS_KEY_ID="+fakeeks.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+fakeeks.SecretAccessKey, "AWS_REGION="+fakeeks.Region,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"), "AWS_PROFILE=")
	sh := func(script string) (int64, error) { return benchenv.Sh(environ, script, 1) } // 1: findings
	if _, err := sh("kubectl eksiam pod-identity export -A --cluster-name bench --output-dir " + awsDir + " 2>/dev/null"); err != nil {
		return err
	}
	out, err := exec.Command("kubectl", "--kubeconfig", kubeconfig, "get", "--raw", "/api/v1/pods").Output()
	if err != nil {
		return err
	}
	podsMB := float64(len(out)) / 1e6
	lists := []string{"/api/v1/pods", "/api/v1/serviceaccounts", "/api/v1/nodes", "/apis/apps/v1/deployments", "/apis/apps/v1/replicasets", "/api/v1/namespaces"}
	var par []string
	for _, p := range lists {
		par = append(par, "kubectl get --raw "+p+" >/dev/null &")
	}
	type row struct {
		name, command string
		delay         time.Duration
	}
	rows := []row{
		{"bare lists, concurrent", strings.Join(par, " ") + " wait", 0},
		{"map -A (table)", "kubectl eksiam pod-identity -A --cluster-name bench", 0},
		{"map -A -o json", "kubectl eksiam pod-identity -A --cluster-name bench -o json", 0},
		{"map -A -o json, AWS at 20 ms per call", "kubectl eksiam pod-identity -A --cluster-name bench -o json", 20 * time.Millisecond},
		{"map -A -o json, AWS from files", "kubectl eksiam pod-identity -A -o json --aws-file " + awsDir, 0},
		{"one namespace", "kubectl eksiam pod-identity -n ns-042 --cluster-name bench", 0},
		{"--role (RBAC and aws-auth read too)", "kubectl eksiam pod-identity -A --cluster-name bench --role " + roleARN(7) + " --access-entries=false", 0},
	}
	fmt.Printf("Seeded %d namespaces, %d service accounts (half with IRSA, %d roles), %d Deployments, %d pods on %d nodes in %s; %d Pod Identity associations; /api/v1/pods is %.1f MB of JSON.\n\n",
		sc.namespaces, sc.serviceAccounts, sc.roles, sc.serviceAccounts, sc.pods, sc.nodes, seedTime.Round(time.Second), sc.associations, podsMB)
	fmt.Printf("| what | command | median | min | max | peak RSS (median) |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		eksSrv.SetDelay(r.delay)
		iamSrv.SetDelay(r.delay)
		ec2Srv.SetDelay(r.delay)
		script := r.command
		if !strings.HasSuffix(script, " wait") {
			script += " >/dev/null 2>&1"
		}
		var ds []time.Duration
		var rss []int64
		for range runs {
			t0 := time.Now()
			m, err := sh(script)
			if err != nil {
				return err
			}
			ds = append(ds, time.Since(t0))
			rss = append(rss, m)
		}
		slices.Sort(ds)
		slices.Sort(rss)
		fmt.Printf("| %s | `%s` | %s | %s | %s | %.0f MiB |\n", r.name, strings.ReplaceAll(r.command, awsDir, "DIR"), benchenv.Ms(ds[len(ds)/2]), benchenv.Ms(ds[0]), benchenv.Ms(ds[len(ds)-1]), float64(rss[len(rss)/2])/1024)
	}
	fmt.Printf("\nAWS requests over all runs: EKS %s; IAM %s\n", eksSrv.Summary(), iamSrv.Summary())
	return nil
}

func nsName(sc scale, sa int) string { return fmt.Sprintf("ns-%03d", sa%sc.namespaces) }
func saName(sa int) string           { return fmt.Sprintf("sa-%05d", sa) }
func instanceID(n int) string        { return fmt.Sprintf("i-%017d", n) }

func seed(ctx context.Context, c kubernetes.Interface, sc scale) error {
	var jobs []func() error
	for n := range sc.namespaces {
		jobs = append(jobs, func() error {
			_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ns-%03d", n)}}, metav1.CreateOptions{})
			return err
		})
	}
	for n := range sc.nodes {
		jobs = append(jobs, func() error {
			_, err := c.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ip-10-0-%d-%d.ec2.internal", n/250, n%250)},
				Spec: corev1.NodeSpec{ProviderID: "aws:///us-west-2a/" + instanceID(n)}}, metav1.CreateOptions{})
			return err
		})
	}
	if err := benchenv.Parallel(jobs); err != nil {
		return err
	}
	jobs = nil
	for i := range sc.serviceAccounts {
		jobs = append(jobs, func() error {
			sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: saName(i), Namespace: nsName(sc, i)}}
			if i%2 == 0 {
				sa.Annotations = map[string]string{"eks.amazonaws.com/role-arn": roleARN((i / 2) % sc.roles)}
			}
			if _, err := c.CoreV1().ServiceAccounts(sa.Namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
				return err
			}
			labels := map[string]string{"app": saName(i)}
			_, err := c.AppsV1().Deployments(sa.Namespace).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: saName(i)},
				Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{ServiceAccountName: saName(i), Containers: []corev1.Container{{Name: "app", Image: "app:1"}}}}}}, metav1.CreateOptions{})
			return err
		})
	}
	if err := benchenv.Parallel(jobs); err != nil {
		return err
	}
	jobs = nil
	for p := range sc.pods {
		jobs = append(jobs, func() error {
			sa := p % sc.serviceAccounts
			var env []corev1.EnvVar
			switch {
			case sa%2 == 0:
				env = []corev1.EnvVar{{Name: "AWS_ROLE_ARN", Value: roleARN((sa / 2) % sc.roles)}, {Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}}
			case (sa-1)/2 < sc.associations:
				env = []corev1.EnvVar{{Name: "AWS_CONTAINER_CREDENTIALS_FULL_URI", Value: "http://169.254.170.23/v1/credentials"},
					{Name: "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", Value: "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"}}
			}
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", saName(sa), p/sc.serviceAccounts), Namespace: nsName(sc, sa), Labels: map[string]string{"app": saName(sa)}},
				Spec: corev1.PodSpec{ServiceAccountName: saName(sa), NodeName: fmt.Sprintf("ip-10-0-%d-%d.ec2.internal", (p%sc.nodes)/250, (p%sc.nodes)%250),
					Containers: []corev1.Container{{Name: "app", Image: "app:1", Env: env}, {Name: "sidecar", Image: "proxy:1"}}}}
			_, err := c.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
			return err
		})
	}
	return benchenv.Parallel(jobs)
}
