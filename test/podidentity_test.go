package test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sync/errgroup"
	appsv1 "k8s.io/api/apps/v1"
	authzv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeec2"
	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeeks"
	"github.com/kubectl-eksiam/kubectl-eksiam/internal/fakeiam"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
)

const (
	piAccount = "111122223333"
	piHost    = "oidc.eks.us-west-2.amazonaws.com/id/INTEGRATION"
)

func piProvider() string { return "arn:aws:iam::" + piAccount + ":oidc-provider/" + piHost }

func piIRSATrust(subOp, sub string) string {
	cond := `{"` + subOp + `":{"` + piHost + `:sub":"` + sub + `"},"StringEquals":{"` + piHost + `:aud":"sts.amazonaws.com"}}`
	if subOp == "StringEquals" {
		cond = `{"StringEquals":{"` + piHost + `:sub":"` + sub + `","` + piHost + `:aud":"sts.amazonaws.com"}}`
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + piProvider() + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + cond + `}]}`
}

func podSpec(sa, node string, env ...corev1.EnvVar) corev1.PodSpec {
	return corev1.PodSpec{ServiceAccountName: sa, NodeName: node, Containers: []corev1.Container{{Name: "main", Image: "busybox", Env: env}}}
}

func irsaEnv(role string) []corev1.EnvVar {
	return []corev1.EnvVar{{Name: "AWS_ROLE_ARN", Value: role}, {Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}}
}

func template(sa string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x"}}, Spec: podSpec(sa, "")}
}

// TestPodIdentityMap runs the plugin binary against the real API server (service
// accounts, pods on nodes, every workload kind) and the local EKS, IAM and EC2 APIs
// through the unchanged AWS SDK, and checks the map and the findings.
func TestPodIdentityMap(t *testing.T) {
	ctx := t.Context()
	c := shared.client
	const ns, ns2 = "pi-map", "pi-map-b"
	role := func(n string) string { return "arn:aws:iam::" + piAccount + ":role/" + n }
	for _, n := range []string{ns, ns2} {
		mustCreate(t, func() (*corev1.Namespace, error) {
			return c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{})
		})
	}
	sas := map[string]string{"web": role("pi-web"), "wild": role("pi-wild"), "assoc": "", "both": role("pi-web")}
	for name, arn := range sas {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
		if arn != "" {
			sa.Annotations = map[string]string{podidentity.RoleARNAnnotation: arn}
		}
		mustCreate(t, func() (*corev1.ServiceAccount, error) {
			return c.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{})
		})
	}
	mustCreate(t, func() (*corev1.ServiceAccount, error) {
		return c.CoreV1().ServiceAccounts(ns2).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, metav1.CreateOptions{})
	})
	for _, n := range []struct{ name, provider string }{{"pi-node-v1", "aws:///us-west-2a/i-0000000000000pi01"}, {"pi-node-v2", "aws:///us-west-2b/i-0000000000000pi02"}} {
		mustCreate(t, func() (*corev1.Node, error) {
			return c.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.name}, Spec: corev1.NodeSpec{ProviderID: n.provider}}, metav1.CreateOptions{})
		})
	}
	// For every node of the shared cluster that other tests made (none have EC2 ids).
	pods := []*corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "web-1"}, Spec: podSpec("web", "pi-node-v2", irsaEnv(role("pi-web"))...)},
		{ObjectMeta: metav1.ObjectMeta{Name: "web-stale"}, Spec: podSpec("web", "pi-node-v1")},
		{ObjectMeta: metav1.ObjectMeta{Name: "plain"}, Spec: podSpec("default", "pi-node-v1")},
		{ObjectMeta: metav1.ObjectMeta{Name: "assoc-1"}, Spec: podSpec("assoc", "pi-node-v2", corev1.EnvVar{Name: "AWS_CONTAINER_CREDENTIALS_FULL_URI", Value: "http://169.254.170.23/v1/credentials"})},
		{ObjectMeta: metav1.ObjectMeta{Name: "host"}, Spec: func() corev1.PodSpec { s := podSpec("default", "pi-node-v2"); s.HostNetwork = true; return s }()},
	}
	for _, p := range pods {
		mustCreate(t, func() (*corev1.Pod, error) { return c.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}) })
	}
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}
	mustCreate(t, func() (*appsv1.Deployment, error) {
		return c.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: appsv1.DeploymentSpec{Selector: sel, Template: template("web")}}, metav1.CreateOptions{})
	})
	mustCreate(t, func() (*appsv1.StatefulSet, error) {
		return c.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "wild"}, Spec: appsv1.StatefulSetSpec{Selector: sel, Template: template("wild")}}, metav1.CreateOptions{})
	})
	mustCreate(t, func() (*appsv1.DaemonSet, error) {
		return c.AppsV1().DaemonSets(ns).Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent"}, Spec: appsv1.DaemonSetSpec{Selector: sel, Template: template("")}}, metav1.CreateOptions{})
	})
	jt := template("assoc")
	jt.Spec.RestartPolicy = corev1.RestartPolicyNever
	mustCreate(t, func() (*batchv1.Job, error) {
		return c.BatchV1().Jobs(ns).Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "batch"}, Spec: batchv1.JobSpec{Template: jt}}, metav1.CreateOptions{})
	})
	mustCreate(t, func() (*batchv1.CronJob, error) {
		return c.BatchV1().CronJobs(ns).Create(ctx, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "nightly"},
			Spec: batchv1.CronJobSpec{Schedule: "0 0 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: func() corev1.PodTemplateSpec {
				x := template("web")
				x.Spec.RestartPolicy = corev1.RestartPolicyNever
				return x
			}()}}}}, metav1.CreateOptions{})
	})

	eksSrv := fakeeks.New(t)
	eksSrv.SetPodIdentity("prod", fakeeks.PodIdentity{Issuer: "https://" + piHost, Associations: []fakeeks.Association{
		{ID: "a-assoc", Namespace: ns, ServiceAccount: "assoc", RoleARN: role("pi-assoc")},
		{ID: "a-both", Namespace: ns, ServiceAccount: "both", RoleARN: role("pi-assoc")},
		{ID: "a-ghost", Namespace: ns, ServiceAccount: "ghost", RoleARN: role("pi-assoc")},
		{ID: "a-elsewhere", Namespace: "pi-elsewhere", ServiceAccount: "x", RoleARN: role("pi-assoc")},
	}})
	iamSrv := fakeiam.New(t, []fakeiam.Role{
		{ARN: role("pi-web"), Trust: piIRSATrust("StringEquals", "system:serviceaccount:"+ns+":web")},
		{ARN: role("pi-wild"), Trust: piIRSATrust("StringLike", "system:serviceaccount:"+ns+":*")},
		{ARN: role("pi-assoc"), Trust: `{"Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"aws:RequestTag/eks-cluster-name":"prod"}}}]}`},
		{ARN: role("pi-node"), Trust: `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
	}, []fakeiam.InstanceProfile{{ARN: "arn:aws:iam::" + piAccount + ":instance-profile/pi-node", Roles: []string{role("pi-node")}}})
	ec2Srv := fakeec2.New(t,
		fakeec2.Instance{ID: "i-0000000000000pi01", HTTPTokens: "optional", HopLimit: 2, HTTPEndpoint: "enabled", InstanceProfileARN: "arn:aws:iam::" + piAccount + ":instance-profile/pi-node"},
		fakeec2.Instance{ID: "i-0000000000000pi02", HTTPTokens: "required", HopLimit: 1, HTTPEndpoint: "enabled", InstanceProfileARN: "arn:aws:iam::" + piAccount + ":instance-profile/pi-node"})
	fakeeks.Env(t, eksSrv.URL)
	t.Setenv("AWS_ENDPOINT_URL_IAM", iamSrv.URL)
	t.Setenv("AWS_ENDPOINT_URL_EC2", ec2Srv.URL)

	res := plugin(t, shared.kubeconfig, nil, "pod-identity", "-n", ns, "-o", "json", "--cluster-name", "prod")
	if res.code != 1 {
		t.Fatalf("want exit 1 (findings): %s", res)
	}
	var r v1alpha1.PodIdentityReport
	if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	podCount, workloads := 0, 0
	for _, sa := range r.ServiceAccounts {
		var parts []string
		for _, ro := range sa.Roles {
			parts = append(parts, fmt.Sprintf("%s:%s:%v", ro.Via, ro.ARN[strings.LastIndex(ro.ARN, "/")+1:], ro.Effective))
		}
		for _, p := range sa.Pods {
			for _, c := range p.Credentials {
				parts = append(parts, p.Name+"="+c.Via)
			}
		}
		for _, w := range sa.Workloads {
			parts = append(parts, w.Kind+"/"+w.Name)
		}
		podCount += len(sa.Pods)
		workloads += len(sa.Workloads)
		got[sa.Name] = strings.Join(parts, " ")
	}
	want := map[string]string{
		"web":     "irsa:pi-web:true node:pi-node:true web-1=irsa web-stale=node CronJob/nightly Deployment/web",
		"wild":    "irsa:pi-wild:true StatefulSet/wild",
		"assoc":   "pod-identity:pi-assoc:true assoc-1=pod-identity Job/batch",
		"both":    "irsa:pi-web:false pod-identity:pi-assoc:true",
		"default": "node:pi-node:true host=node plain=node DaemonSet/agent",
		"ghost":   "pod-identity:pi-assoc:true",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("map (-want +got):\n%s", d)
	}
	var findings []string
	for _, f := range r.Findings {
		findings = append(findings, fmt.Sprintf("%s %s %s", f.ID, f.Severity, f.ServiceAccount))
	}
	wantFindings := []string{"PI02 medium wild", "PI04 high both", "PI07 medium ghost", "PI08 high default", "PI08 high web", "PI10 medium both"}
	if d := cmp.Diff(wantFindings, findings); d != "" {
		t.Errorf("findings (-want +got):\n%s\n%s", d, res.stdout)
	}
	if !r.Complete {
		t.Errorf("incomplete: %v %v", r.Inputs, r.NotEvaluated)
	}
	t.Logf("map of namespace %s: %d service accounts, %d pods, %d workloads, %d findings; EKS: %s; IAM: %s",
		ns, len(r.ServiceAccounts), podCount, workloads, len(r.Findings), eksSrv.Summary(), iamSrv.Summary())

	// The same answer offline: export the AWS inputs, dump the cluster, read both.
	dir := t.TempDir()
	exp := plugin(t, shared.kubeconfig, nil, "pod-identity", "export", "-n", ns, "--cluster-name", "prod", "--output-dir", dir)
	if exp.code != 0 {
		t.Fatalf("export: %s", exp)
	}
	dump := kubectlGet(t, "ns,sa,pods,nodes,deploy,rs,sts,ds,jobs,cronjobs,rc", "-A")
	dumpFile := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(dumpFile, dump, 0o644); err != nil {
		t.Fatal(err)
	}
	off := plugin(t, shared.kubeconfig, nil, "pod-identity", "-n", ns, "-o", "json", "-f", dumpFile, "--aws-file", dir)
	var ro v1alpha1.PodIdentityReport
	if err := json.Unmarshal([]byte(off.stdout), &ro); err != nil || off.code != 1 {
		t.Fatalf("offline: %v %s", err, off)
	}
	for i := range ro.Inputs {
		ro.Inputs[i].Source = "api" // the only difference expected
	}
	if d := cmp.Diff(r, ro); d != "" {
		t.Errorf("offline answer differs from the live one (-live +offline):\n%s", d)
	}
}

func kubectlGet(t *testing.T, kinds string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command("kubectl", append([]string{"--kubeconfig", shared.kubeconfig, "get", kinds, "-o", "yaml"}, args...)...).Output()
	if err != nil {
		t.Fatalf("kubectl get: %v", err)
	}
	return out
}

// TestPodIdentityReverseMatchesSAR checks --role against the API server: on
// generated RBAC, the actors are exactly the identities that SubjectAccessReview
// allows at least one route for (create pods, the workload kinds, the token, impersonation,
// exec and ephemeral containers), plus system:masters.
func TestPodIdentityReverseMatchesSAR(t *testing.T) {
	cl, err := startCluster(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.stop)
	ctx := t.Context()
	c := cl.client
	const roleARN = "arn:aws:iam::" + piAccount + ":role/pi-rev"
	awsDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(awsDir, "aws.json"), []byte(`{"cluster":{"name":"prod","identity":{"oidc":{"issuer":"https://`+piHost+`"}}}}
{"associations":[]}
{"Reservations":[]}
{"Role":{"RoleName":"pi-rev","Arn":"`+roleARN+`","AssumeRolePolicyDocument":`+piIRSATrust("StringEquals", "system:serviceaccount:pi-rev:web")+`}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(15, 2026))
	namespaces := []string{"pi-rev", "pi-rev-other"}
	for _, n := range namespaces {
		mustCreate(t, func() (*corev1.Namespace, error) {
			return c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{})
		})
	}
	mustCreate(t, func() (*corev1.ServiceAccount, error) {
		return c.CoreV1().ServiceAccounts("pi-rev").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "web",
			Annotations: map[string]string{podidentity.RoleARNAnnotation: roleARN}}}, metav1.CreateOptions{})
	})
	mustCreate(t, func() (*corev1.Pod, error) {
		return c.CoreV1().Pods("pi-rev").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1"}, Spec: podSpec("web", "")}, metav1.CreateOptions{})
	})
	routes := podidentity.ServiceAccountRoutes("pi-rev", "web", true)

	const rounds = 4
	totalSARs, totalActors := 0, 0
	for round := range rounds {
		generateRouteRBAC(t, ctx, cl, rng, round, namespaces)
		res := plugin(t, cl.kubeconfig, nil, "pod-identity", "-n", "pi-rev", "--role", roleARN, "-o", "json", "--aws-file", awsDir)
		var r v1alpha1.PodIdentityReport
		if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
			t.Fatalf("round %d: %v: %s", round, err, res)
		}
		got := map[identity]bool{}
		for _, a := range r.Actors {
			got[identityOfRow(v1alpha1.Subject{Kind: a.Kind, Name: a.Name, Namespace: a.Namespace})] = true
		}
		cs := listCandidates(ctx, t, c)
		want := map[identity]bool{}
		var mu sync.Mutex
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(16)
		for _, id := range cs.ids {
			for _, rt := range routes {
				totalSARs++
				g.Go(func() error {
					spec := authzv1.SubjectAccessReviewSpec{User: id.user, ResourceAttributes: &authzv1.ResourceAttributes{Namespace: rt.Query.Namespace,
						Verb: rt.Query.Verb, Group: rt.Query.APIGroup, Resource: rt.Query.Resource, Subresource: rt.Query.Subresource, Name: rt.Query.Name}}
					if id.group != "" {
						spec.Groups = []string{id.group}
					}
					sr, err := c.AuthorizationV1().SubjectAccessReviews().Create(gctx, &authzv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
					if err != nil {
						return err
					}
					if sr.Status.Allowed {
						mu.Lock()
						want[id] = true
						mu.Unlock()
					}
					return nil
				})
			}
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(keys(want), keys(got)); d != "" {
			t.Errorf("round %d: actors differ from the union of SubjectAccessReview answers (-SAR +plugin):\n%s", round, d)
		}
		if len(r.ServiceAccounts) != 1 || r.ServiceAccounts[0].Name != "web" {
			t.Errorf("round %d: service accounts %+v", round, r.ServiceAccounts)
		}
		totalActors += len(got)
		t.Logf("round %d: %d candidates x %d routes, %d actors", round, len(cs.ids), len(routes), len(got))
	}
	t.Logf("%d rounds: %d SubjectAccessReviews, %d actors in all, 0 disagreements expected", rounds, totalSARs, totalActors)
}

func keys(m map[identity]bool) []string {
	var out []string
	for id := range m {
		out = append(out, id.String())
	}
	sort.Strings(out)
	return out
}

// generateRouteRBAC adds roles and bindings whose rules touch the routes, near
// misses included (other verbs, names, subresources and groups).
func generateRouteRBAC(t *testing.T, ctx context.Context, cl *cluster, r *rand.Rand, round int, namespaces []string) {
	t.Helper()
	c := cl.client
	resources := []struct{ group, resource string }{
		{"", "pods"}, {"", "pods/exec"}, {"", "pods/ephemeralcontainers"}, {"", "pods/log"}, {"", "pods/*"}, {"apps", "deployments"}, {"apps", "replicasets"},
		{"apps", "statefulsets"}, {"apps", "daemonsets"}, {"apps", "deployments/scale"}, {"batch", "jobs"}, {"batch", "cronjobs"},
		{"", "replicationcontrollers"}, {"", "serviceaccounts"}, {"", "serviceaccounts/token"}, {"", "*"}, {"*", "*"}, {"extensions", "deployments"}, {"", "secrets"},
	}
	verbs := []string{"create", "update", "patch", "impersonate", "get", "list", "delete", "*"}
	rule := func() rbacv1.PolicyRule {
		res := resources[r.IntN(len(resources))]
		pr := rbacv1.PolicyRule{APIGroups: []string{res.group}, Resources: []string{res.resource}, Verbs: []string{verbs[r.IntN(len(verbs))]}}
		if r.IntN(4) == 0 {
			pr.ResourceNames = []string{pick(r, "web", "other", "web-1")}
		}
		if r.IntN(3) == 0 {
			pr.Verbs = append(pr.Verbs, verbs[r.IntN(len(verbs))])
		}
		return pr
	}
	subject := func() rbacv1.Subject {
		switch r.IntN(3) {
		case 0:
			return rbacv1.Subject{Kind: "User", APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("pi-user-%d", r.IntN(12))}
		case 1:
			return rbacv1.Subject{Kind: "Group", APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("pi-group-%d", r.IntN(5))}
		}
		return rbacv1.Subject{Kind: "ServiceAccount", Namespace: pick(r, namespaces...), Name: fmt.Sprintf("pi-sa-%d", r.IntN(4))}
	}
	for i := range 12 {
		name := fmt.Sprintf("pi-r%d-%d", round, i)
		rules := []rbacv1.PolicyRule{rule(), rule()}
		subjects := []rbacv1.Subject{subject(), subject()}
		switch r.IntN(3) {
		case 0:
			mustCreate(t, func() (*rbacv1.ClusterRole, error) {
				return c.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{})
			})
			mustCreate(t, func() (*rbacv1.ClusterRoleBinding, error) {
				return c.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
					RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}, Subjects: subjects}, metav1.CreateOptions{})
			})
		case 1:
			ns := pick(r, namespaces...)
			mustCreate(t, func() (*rbacv1.ClusterRole, error) {
				return c.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{})
			})
			mustCreate(t, func() (*rbacv1.RoleBinding, error) {
				return c.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
					RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}, Subjects: subjects}, metav1.CreateOptions{})
			})
		default:
			ns := pick(r, namespaces...)
			mustCreate(t, func() (*rbacv1.Role, error) {
				return c.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{})
			})
			mustCreate(t, func() (*rbacv1.RoleBinding, error) {
				return c.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
					RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}, Subjects: subjects}, metav1.CreateOptions{})
			})
		}
	}
}
