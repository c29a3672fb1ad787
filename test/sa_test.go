package test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
)

// saCluster is a control plane with one object of every kind sa harden reports. The
// bare control plane runs no controllers, so the default service accounts, the
// ReplicaSet of the Deployment and the pods are created here, as the controllers
// would create them.
func saCluster(t *testing.T) *cluster {
	t.Helper()
	cl, err := startCluster(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.stop)
	ctx := t.Context()
	c := cl.client
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, ns := range []string{"app", "ci"} {
		must(c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	}
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease", "app", "ci"} {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}
		if ns == "ci" {
			sa.AutomountServiceAccountToken = ptr.To(false) // already hardened
		}
		if ns == "app" {
			sa.Annotations = map[string]string{"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/app-default"}
		}
		must(c.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}))
	}
	must(c.CoreV1().ServiceAccounts("kube-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "aws-node", Namespace: "kube-system"}}, metav1.CreateOptions{}))
	must(c.CoreV1().ServiceAccounts("app").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "app",
		Annotations: map[string]string{"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:user/not-a-role"}}}, metav1.CreateOptions{}))

	rb := c.RbacV1()
	must(rb.Roles("app").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "reader", Namespace: "app"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}}}, metav1.CreateOptions{}))
	must(rb.RoleBindings("app").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "default-reader", Namespace: "app"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "reader"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default"}, {Kind: "User", APIGroup: rbacv1.GroupName, Name: "alice"}}}, metav1.CreateOptions{}))
	must(rb.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "ci-default-view"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default", Namespace: "ci"}}}, metav1.CreateOptions{}))
	must(rb.RoleBindings("ci").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "all-sas", Namespace: "ci"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects: []rbacv1.Subject{{Kind: "Group", APIGroup: rbacv1.GroupName, Name: "system:serviceaccounts:ci"}}}, metav1.CreateOptions{}))

	labels := map[string]string{"app": "web"}
	template := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}
	dep := must2(t, func() (*appsv1.Deployment, error) {
		return c.AppsV1().Deployments("app").Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "app"},
			Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: template}}, metav1.CreateOptions{})
	})
	rs := must2(t, func() (*appsv1.ReplicaSet, error) {
		return c.AppsV1().ReplicaSets("app").Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-abc", Namespace: "app",
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: dep.Name, UID: dep.UID, Controller: ptr.To(true)}}},
			Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: template}}, metav1.CreateOptions{})
	})
	// A pod of the Deployment, with the token volume the admission plugin would add.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-abc-1", Namespace: "app", Labels: labels,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: ptr.To(true)}}},
		Spec: corev1.PodSpec{ServiceAccountName: "default", Containers: template.Spec.Containers,
			Volumes: []corev1.Volume{{Name: "kube-api-access-x", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}}}}}}}}
	must(c.CoreV1().Pods("app").Create(ctx, pod, metav1.CreateOptions{}))
	// A pod whose own spec asks for a token whatever the service account says.
	must(c.CoreV1().Pods("app").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "debug", Namespace: "app"},
		Spec: corev1.PodSpec{AutomountServiceAccountToken: ptr.To(true), Containers: template.Spec.Containers}}, metav1.CreateOptions{}))
	must(c.BatchV1().CronJobs("ci").Create(ctx, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: "ci"},
		Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: template.Spec.Containers}}}}}}, metav1.CreateOptions{}))
	must(c.CoreV1().Secrets("ci").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "legacy-token", Namespace: "ci",
		Annotations: map[string]string{corev1.ServiceAccountNameKey: "default"}}, Type: corev1.SecretTypeServiceAccountToken}, metav1.CreateOptions{}))
	return cl
}

func must2[T any](t *testing.T, fn func() (T, error)) T {
	t.Helper()
	v, err := fn()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func hardenReport(t *testing.T, r result) v1alpha1.SAHardenReport {
	t.Helper()
	var rep v1alpha1.SAHardenReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, r)
	}
	return rep
}

func findingKeys(rep v1alpha1.SAHardenReport) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.Check+" "+string(f.Severity)+" "+f.Object.Kind+"/"+f.Object.Namespace+"/"+f.Object.Name)
	}
	return out
}

// resourceVersions snapshots the objects sa harden may change.
func resourceVersions(t *testing.T, cl *cluster) map[string]string {
	t.Helper()
	ctx := t.Context()
	out := map[string]string{}
	sas, err := cl.client.CoreV1().ServiceAccounts("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sa := range sas.Items {
		out["sa/"+sa.Namespace+"/"+sa.Name] = sa.ResourceVersion
	}
	rbs, _ := cl.client.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
	for _, b := range rbs.Items {
		out["rb/"+b.Namespace+"/"+b.Name] = b.ResourceVersion
	}
	crbs, _ := cl.client.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	for _, b := range crbs.Items {
		out["crb/"+b.Name] = b.ResourceVersion
	}
	return out
}

// Every finding kind; dry runs change nothing; a real run fixes what it plans, says
// which pods keep their tokens, and a second run has nothing to do; restore undoes it;
// offline on a dump finds the same.
func TestSAHarden(t *testing.T) {
	cl := saCluster(t)
	ctx := t.Context()
	dir := t.TempDir()
	run := func(args ...string) result {
		return plugin(t, cl.kubeconfig, nil, append([]string{"sa", "harden", "-A", "--backup-dir", dir, "-o", "json"}, args...)...)
	}
	before := resourceVersions(t, cl)

	r := run("--dry-run=client", "--remove-default-bindings")
	if r.code != 1 {
		t.Fatalf("dry run: %s", r)
	}
	rep := hardenReport(t, r)
	want := []string{
		"default-sa-automount high ServiceAccount/app/default",
		"irsa-on-default-sa high ServiceAccount/app/default",
		"default-sa-binding high RoleBinding/app/default-reader",
		"workload-default-sa high Deployment/app/web",
		"pod-default-sa medium Pod/app/debug",
		"pod-default-sa high Pod/app/web-abc-1",
		"malformed-irsa-annotation medium ServiceAccount/app/web",
		"default-sa-binding high ClusterRoleBinding//ci-default-view",
		"default-sa-group-binding medium RoleBinding/ci/all-sas",
		"workload-default-sa high CronJob/ci/nightly",
		"legacy-token-secret medium Secret/ci/legacy-token",
		"default-sa-automount high ServiceAccount/default/default",
		"default-sa-automount high ServiceAccount/kube-node-lease/default",
		"default-sa-automount high ServiceAccount/kube-public/default",
		"default-sa-automount high ServiceAccount/kube-system/default",
		"aws-node-without-irsa medium ServiceAccount/kube-system/aws-node",
	}
	if got := findingKeys(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(rep.Changes) != 7 { // 5 service accounts, 2 bindings
		t.Errorf("planned changes: %+v", rep.Changes)
	}
	for _, c := range rep.Changes {
		if !strings.HasSuffix(c.Result, "(dry run)") {
			t.Errorf("client dry run result %q", c.Result)
		}
	}
	r = run("--dry-run=server", "--remove-default-bindings")
	if r.code != 1 {
		t.Fatalf("server dry run: %s", r)
	}
	for _, c := range hardenReport(t, r).Changes {
		if !strings.HasSuffix(c.Result, "(server dry run)") {
			t.Errorf("server dry run result %q", c.Result)
		}
	}
	if after := resourceVersions(t, cl); !mapsEqual(before, after) {
		t.Fatal("a dry run changed objects")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("dry runs wrote backups")
	}

	// The real run.
	r = run("--remove-default-bindings")
	if r.code != 1 { // workloads and pods still use the default service accounts
		t.Fatalf("apply: %s", r)
	}
	rep = hardenReport(t, r)
	for _, c := range rep.Changes {
		if c.Result != "patched" && c.Result != "updated" {
			t.Errorf("%v: %s", c.Object, c.Result)
		}
	}
	if got := refNames(rep.KeepTokens); !slices.Equal(got, []string{"app/web-abc-1"}) {
		t.Errorf("keepTokens %v", got)
	}
	if got := refNames(rep.Overrides); !slices.Equal(got, []string{"app/debug"}) {
		t.Errorf("overrides %v", got)
	}
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease", "app", "ci"} {
		sa, err := cl.client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		if err != nil || sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
			t.Errorf("%s/default automount = %v (%v)", ns, sa.AutomountServiceAccountToken, err)
		}
	}
	rbAfter, _ := cl.client.RbacV1().RoleBindings("app").Get(ctx, "default-reader", metav1.GetOptions{})
	if len(rbAfter.Subjects) != 1 || rbAfter.Subjects[0].Name != "alice" {
		t.Errorf("default-reader subjects after: %v", rbAfter.Subjects)
	}
	if rep.Backup == "" {
		t.Fatal("no backup")
	}

	// A second run has nothing to do.
	r = run("--remove-default-bindings")
	if rep := hardenReport(t, r); len(rep.Changes) != 0 || r.code != 1 {
		t.Errorf("second run: changes %+v, exit %d", rep.Changes, r.code)
	}

	// Offline, on a dump of the cluster, the audit finds what the live one finds.
	dump := filepath.Join(t.TempDir(), "dump.yaml")
	out, err := exec.Command("kubectl", "--kubeconfig", cl.kubeconfig, "get",
		"namespaces,serviceaccounts,pods,deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs,secrets,roles,rolebindings,clusterroles,clusterrolebindings",
		"-A", "-o", "yaml").Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dump, out, 0o600); err != nil {
		t.Fatal(err)
	}
	live := hardenReport(t, run("--dry-run=client"))
	offline := hardenReport(t, plugin(t, cl.kubeconfig, nil, "sa", "harden", "-A", "-f", dump, "-o", "json"))
	if a, b := findingKeys(live), findingKeys(offline); strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("offline findings differ:\nlive:\n%s\noffline:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}

	// Restore puts back what the real run changed.
	r = plugin(t, cl.kubeconfig, nil, "sa", "restore", "-f", rep.Backup, "--backup-dir", t.TempDir())
	if r.code != 0 {
		t.Fatalf("restore: %s", r)
	}
	sa, _ := cl.client.CoreV1().ServiceAccounts("app").Get(ctx, "default", metav1.GetOptions{})
	if sa.AutomountServiceAccountToken != nil {
		t.Errorf("app/default automount after restore: %v", *sa.AutomountServiceAccountToken)
	}
	sa, _ = cl.client.CoreV1().ServiceAccounts("ci").Get(ctx, "default", metav1.GetOptions{})
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Errorf("ci/default was hardened before the run and must stay so")
	}
	rbAfter, _ = cl.client.RbacV1().RoleBindings("app").Get(ctx, "default-reader", metav1.GetOptions{})
	if len(rbAfter.Subjects) != 2 {
		t.Errorf("default-reader subjects after restore: %v", rbAfter.Subjects)
	}
}

// A caller who may read but not patch gets a clear error per change; nothing is changed
// and nothing is left half-done without saying so.
func TestSAHardenForbidden(t *testing.T) {
	cl := saCluster(t)
	ctx := t.Context()
	_, err := cl.client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "auditor-view"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "auditor"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "auditor"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "auditor"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get", "list"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitAllowedOn(t, cl, "auditor", "", "list", "", "pods")
	kc := cl.userKubeconfig(t, "auditor")
	before := resourceVersions(t, cl)
	dir := t.TempDir()
	r := plugin(t, kc, nil, "sa", "harden", "-n", "app", "--backup-dir", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "error: 1 of 1 change(s) failed") ||
		!strings.Contains(r.stdout, "serviceaccount/default -n app error:") || !strings.Contains(r.stdout, "forbidden") {
		t.Errorf("forbidden patch: %s", r)
	}
	if after := resourceVersions(t, cl); !mapsEqual(before, after) {
		t.Error("a forbidden run changed objects")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Error("a forbidden run left a backup")
	}
	// A caller who may not even list pods gets no audit at all.
	kc = cl.userKubeconfig(t, "nobody")
	oneErrorLine(t, plugin(t, kc, nil, "sa", "harden", "-n", "app", "--dry-run=client"), "incomplete view of the cluster", "cannot list pods in namespace app")
}

func refNames(rs []v1alpha1.ObjectRef) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Namespace+"/"+r.Name)
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
