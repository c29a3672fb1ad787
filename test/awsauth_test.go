package test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
)

const liveMapRoles = `# Managed node group: written by EKS, do not remove.
- groups:
  - system:bootstrappers
  - system:nodes
  rolearn: arn:aws:iam::111122223333:role/eks-node-group-role
  username: system:node:{{EC2PrivateDNSName}}
# Platform team (break-glass admins)
- rolearn: arn:aws:iam::111122223333:role/PlatformAdmin
  username: platform-admin:{{SessionName}}   # one username per session
  groups:
    - platform:admins
- rolearn: arn:aws:iam::111122223333:role/Developer
  username: developer:{{SessionName}}
  groups:
    - app-developers
`

const liveMapUsers = `- userarn: arn:aws:iam::111122223333:user/alice
  username: alice
  groups:
    - system:masters
`

// awsAuthCluster is a control plane with an EKS-like aws-auth and the RBAC that makes
// platform:admins cluster admins. Each test gets its own, so edits never interfere.
func awsAuthCluster(t *testing.T) *cluster {
	t.Helper()
	cl, err := startCluster(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.stop)
	ctx := t.Context()
	_, err = cl.client.CoreV1().ConfigMaps("kube-system").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"},
		Data:       map[string]string{"mapRoles": liveMapRoles, "mapUsers": liveMapUsers, "other": "kept as is"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "platform-admins"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: "Group", APIGroup: rbacv1.GroupName, Name: "platform:admins"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func liveAWSAuth(t *testing.T, cl *cluster) *corev1.ConfigMap {
	t.Helper()
	cm, err := cl.client.CoreV1().ConfigMaps("kube-system").Get(t.Context(), "aws-auth", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

func backups(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, filepath.Join(dir, e.Name()))
	}
	return out
}

// An add changes only the lines it appends; the backup holds the object as it was,
// and restore brings back the exact bytes.
func TestAWSAuthAddBackupRestore(t *testing.T) {
	cl := awsAuthCluster(t)
	dir := t.TempDir()
	before := liveAWSAuth(t, cl)

	r := plugin(t, cl.kubeconfig, nil, "aws-auth", "add", "role", "arn:aws:iam::111122223333:role/Auditor",
		"--username", "auditor:{{SessionName}}", "--group", "security:auditors", "--backup-dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "configmap/aws-auth updated") {
		t.Fatalf("add: %s", r)
	}
	after := liveAWSAuth(t, cl)
	// The new entry follows the layout of its neighbour (groups items indented).
	wantRoles := liveMapRoles + "- rolearn: arn:aws:iam::111122223333:role/Auditor\n  username: \"auditor:{{SessionName}}\"\n  groups:\n    - security:auditors\n"
	if after.Data["mapRoles"] != wantRoles {
		t.Errorf("mapRoles after add:\n%s\nwant:\n%s", after.Data["mapRoles"], wantRoles)
	}
	if after.Data["mapUsers"] != liveMapUsers || after.Data["other"] != "kept as is" {
		t.Errorf("untouched keys changed: %q", after.Data)
	}
	if !strings.Contains(r.stdout, "+- rolearn: arn:aws:iam::111122223333:role/Auditor") {
		t.Errorf("the diff is not shown:\n%s", r.stdout)
	}

	files := backups(t, dir)
	if len(files) != 1 {
		t.Fatalf("want one backup, got %v", files)
	}
	var saved corev1.ConfigMap
	raw, _ := os.ReadFile(files[0])
	if err := yaml.Unmarshal(raw, &saved); err != nil {
		t.Fatal(err)
	}
	if saved.ResourceVersion != before.ResourceVersion || saved.Data["mapRoles"] != liveMapRoles {
		t.Errorf("the backup is not the object as it was: rv %s (want %s)", saved.ResourceVersion, before.ResourceVersion)
	}
	if info, _ := os.Stat(files[0]); info.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", info.Mode().Perm())
	}

	r = plugin(t, cl.kubeconfig, nil, "aws-auth", "restore", "-f", files[0], "--backup-dir", dir)
	if r.code != 0 {
		t.Fatalf("restore: %s", r)
	}
	restored := liveAWSAuth(t, cl)
	for k, v := range before.Data {
		if restored.Data[k] != v {
			t.Errorf("restore: data.%s is not byte-identical:\n%q\nwant\n%q", k, restored.Data[k], v)
		}
	}
	if len(restored.Data) != len(before.Data) {
		t.Errorf("restore: keys %v, want %v", restored.Data, before.Data)
	}
	if len(backups(t, dir)) != 2 {
		t.Errorf("the restore did not back up what it replaced")
	}
}

// --dry-run=server asks the API server and changes nothing; client changes nothing;
// both exit 1 (changes pending) and say so.
func TestAWSAuthDryRun(t *testing.T) {
	cl := awsAuthCluster(t)
	dir := t.TempDir()
	before := liveAWSAuth(t, cl)
	for _, mode := range []string{"server", "client"} {
		r := plugin(t, cl.kubeconfig, nil, "aws-auth", "remove", "arn:aws:iam::111122223333:role/Developer", "--dry-run="+mode, "--backup-dir", dir)
		want := map[string]string{"server": "configmap/aws-auth updated (server dry run)", "client": "configmap/aws-auth updated (dry run)"}[mode]
		if r.code != 1 || !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "-- rolearn: arn:aws:iam::111122223333:role/Developer") {
			t.Errorf("--dry-run=%s: %s", mode, r)
		}
		if after := liveAWSAuth(t, cl); after.ResourceVersion != before.ResourceVersion {
			t.Errorf("--dry-run=%s changed the object (rv %s -> %s)", mode, before.ResourceVersion, after.ResourceVersion)
		}
	}
	if b := backups(t, dir); len(b) != 0 {
		t.Errorf("dry runs wrote backups: %v", b)
	}
	// -o yaml prints the object that would be written.
	r := plugin(t, cl.kubeconfig, nil, "aws-auth", "remove", "arn:aws:iam::111122223333:role/Developer", "--dry-run=server", "-o", "yaml")
	var cm corev1.ConfigMap
	if err := yaml.Unmarshal([]byte(r.stdout), &cm); err != nil || strings.Contains(cm.Data["mapRoles"], "Developer") || cm.Kind != "ConfigMap" {
		t.Errorf("-o yaml: %v\n%s", err, r)
	}
}

// The lockout guards refuse, and say why; --force lifts the forceable ones only.
func TestAWSAuthGuards(t *testing.T) {
	cl := awsAuthCluster(t)
	dir := t.TempDir()
	edit := func(args ...string) result {
		return plugin(t, cl.kubeconfig, nil, append(args, "--backup-dir", dir)...)
	}
	before := liveAWSAuth(t, cl)
	unchanged := func(what string) {
		t.Helper()
		if after := liveAWSAuth(t, cl); after.ResourceVersion != before.ResourceVersion {
			t.Errorf("%s: aws-auth was changed", what)
		}
	}

	// A node mapping.
	oneErrorLine(t, edit("aws-auth", "remove", "arn:aws:iam::111122223333:role/eks-node-group-role"),
		"refusing to change aws-auth", "node mapping", "--force")
	unchanged("remove node role")

	// A new validation error: a role ARN with a path never matches. --force does not help.
	for _, force := range []string{"--force=false", "--force"} {
		oneErrorLine(t, edit("aws-auth", "add", "role", "arn:aws:iam::111122223333:role/teams/dev/Ops", "--group", "ops", force),
			"refusing to change aws-auth", "AA17 role-path")
	}
	unchanged("add a role with a path")

	// The last working admin mappings: alice (system:masters) and PlatformAdmin
	// (platform:admins, bound to cluster-admin). Removing one is fine, not both.
	if r := edit("aws-auth", "remove", "arn:aws:iam::111122223333:user/alice"); r.code != 0 {
		t.Fatalf("removing one of two admin mappings: %s", r)
	}
	before = liveAWSAuth(t, cl)
	oneErrorLine(t, edit("aws-auth", "remove", "arn:aws:iam::111122223333:role/PlatformAdmin"),
		"no working admin mapping", "arn:aws:iam::111122223333:role/PlatformAdmin")
	unchanged("remove the last admin")

	// The caller's own mapping: an IAM session of Developer may not change it.
	devArgs := []string{"--as", "developer:jo", "--as-group", "system:masters",
		"--as-user-extra", "arn=arn:aws:sts::111122223333:assumed-role/Developer/jo"}
	r := edit(append([]string{"aws-auth", "add", "role", "arn:aws:iam::111122223333:role/developer", "--group", "x"}, devArgs...)...)
	oneErrorLine(t, r, "already mapped")
	r = edit(append([]string{"aws-auth", "remove", "arn:aws:iam::111122223333:role/Developer"}, devArgs...)...)
	oneErrorLine(t, r, "changes your own mapping", "arn:aws:iam::111122223333:role/Developer", "not mapped by aws-auth")
	unchanged("remove the caller's own mapping")
	r = edit(append([]string{"aws-auth", "remove", "arn:aws:iam::111122223333:role/Developer", "--force"}, devArgs...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "overridden by --force") {
		t.Errorf("--force: %s", r)
	}
}

// Many editors at once: every edit lands, none is lost (resourceVersion + retry).
func TestAWSAuthConcurrentEditors(t *testing.T) {
	cl := awsAuthCluster(t)
	const editors = 8
	var wg sync.WaitGroup
	results := make([]result, editors)
	for i := range editors {
		wg.Go(func() {
			results[i] = plugin(t, cl.kubeconfig, nil, "aws-auth", "add", "role", fmt.Sprintf("arn:aws:iam::111122223333:role/concurrent-%d", i),
				"--username", fmt.Sprintf("c%d:{{SessionName}}", i), "--group", "concurrent", "--backup-dir", t.TempDir())
		})
	}
	wg.Wait()
	retried := 0
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("editor %d: %s", i, r)
		}
		if strings.Contains(r.stderr, "re-read and re-checked") {
			retried++
		}
	}
	s := awsauth.NewStore(awsauth.Parse(liveAWSAuth(t, cl).Data))
	for i := range editors {
		arn := fmt.Sprintf("arn:aws:iam::111122223333:role/concurrent-%d", i)
		if res := s.Resolve(arn); res.Mapping == nil || res.Username != fmt.Sprintf("c%d:{{SessionName}}", i) {
			t.Errorf("%s was lost: %+v", arn, res)
		}
	}
	if liveAWSAuth(t, cl).Data["mapUsers"] != liveMapUsers {
		t.Error("mapUsers changed")
	}
	t.Logf("%d concurrent editors, all landed; %d had to re-read after a conflict", editors, retried)
}

// A caller who may read but not update aws-auth gets Forbidden; nothing changes and
// no backup is left behind. Reads never create aws-auth.
func TestAWSAuthForbiddenAndMissing(t *testing.T) {
	cl := awsAuthCluster(t)
	ctx := t.Context()
	_, err := cl.client.RbacV1().Roles("kube-system").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth-reader", Namespace: "kube-system"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"aws-auth"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.client.RbacV1().RoleBindings("kube-system").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth-reader", Namespace: "kube-system"},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "aws-auth-reader"}, Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "reader"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitAllowed(ctx, t, cl.client, authzv1.SubjectAccessReviewSpec{User: "reader",
		ResourceAttributes: &authzv1.ResourceAttributes{Namespace: "kube-system", Verb: "get", Resource: "configmaps", Name: "aws-auth"}})
	kc := cl.userKubeconfig(t, "reader")
	before := liveAWSAuth(t, cl)
	dir := t.TempDir()
	r := plugin(t, kc, nil, "aws-auth", "add", "role", "arn:aws:iam::111122223333:role/X", "--group", "x", "--force", "--backup-dir", dir)
	oneErrorLine(t, r, "forbidden", "update")
	if after := liveAWSAuth(t, cl); after.ResourceVersion != before.ResourceVersion {
		t.Error("a forbidden edit changed aws-auth")
	}
	if b := backups(t, dir); len(b) != 0 {
		t.Errorf("a forbidden edit left backups: %v", b)
	}
	if r := plugin(t, kc, nil, "aws-auth", "get"); r.code != 0 || !strings.Contains(r.stdout, "PlatformAdmin") {
		t.Errorf("get as reader: %s", r)
	}

	// Without aws-auth: reads fail clearly and create nothing; add needs --create.
	if err := cl.client.CoreV1().ConfigMaps("kube-system").Delete(ctx, "aws-auth", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	oneErrorLine(t, plugin(t, cl.kubeconfig, nil, "aws-auth", "get"), "configmaps \"aws-auth\" not found")
	oneErrorLine(t, plugin(t, cl.kubeconfig, nil, "aws-auth", "validate"), "not found")
	if r := plugin(t, cl.kubeconfig, nil, "who-can", "get", "pods", "-n", "default"); r.code != 0 {
		t.Errorf("who-can without aws-auth: %s", r)
	}
	oneErrorLine(t, plugin(t, cl.kubeconfig, nil, "aws-auth", "add", "role", "arn:aws:iam::111122223333:role/A", "--group", "a", "--backup-dir", dir), "--create")
	if _, err := cl.client.CoreV1().ConfigMaps("kube-system").Get(ctx, "aws-auth", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("aws-auth was created by a read or a refused add: %v", err)
	}
	r = plugin(t, cl.kubeconfig, nil, "aws-auth", "add", "role", "arn:aws:iam::111122223333:role/A", "--group", "a", "--create", "--backup-dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "configmap/aws-auth created") {
		t.Errorf("add --create: %s", r)
	}
}

// apply makes the live ConfigMap map what the desired one maps, keeping the live
// comments and untouched entries; diff then reports no difference.
func TestAWSAuthApplyAndDiff(t *testing.T) {
	cl := awsAuthCluster(t)
	desired := `apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: kube-system}
data:
  mapRoles: |
    - rolearn: arn:aws:iam::111122223333:role/eks-node-group-role
      username: system:node:{{EC2PrivateDNSName}}
      groups: [system:bootstrappers, system:nodes]
    - rolearn: arn:aws:iam::111122223333:role/platformadmin
      username: platform-admin:{{SessionName}}
      groups: [platform:admins, auditors]
    - rolearn: arn:aws:iam::111122223333:role/NewTeam
      username: "newteam:{{SessionName}}"
      groups: [newteam]
  mapUsers: |
    - userarn: arn:aws:iam::111122223333:user/alice
      username: alice
      groups: [system:masters]
`
	file := filepath.Join(t.TempDir(), "desired.yaml")
	if err := os.WriteFile(file, []byte(desired), 0o644); err != nil {
		t.Fatal(err)
	}
	r := plugin(t, cl.kubeconfig, nil, "aws-auth", "diff", "-f", file, "-o", "json")
	var d v1alpha1.AWSAuthDiff
	if err := json.Unmarshal([]byte(r.stdout), &d); r.code != 1 || err != nil {
		t.Fatalf("diff: %v %s", err, r)
	}
	var got []string
	for _, c := range d.Changes {
		got = append(got, c.Change+" "+c.ARN)
	}
	want := []string{"Removed arn:aws:iam::111122223333:role/Developer", "Added arn:aws:iam::111122223333:role/NewTeam", "Changed arn:aws:iam::111122223333:role/platformadmin"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("diff changes %v, want %v", got, want)
	}

	r = plugin(t, cl.kubeconfig, nil, "aws-auth", "apply", "-f", file, "--backup-dir", t.TempDir())
	if r.code != 0 {
		t.Fatalf("apply: %s", r)
	}
	live := liveAWSAuth(t, cl)
	for _, keep := range []string{"# Managed node group: written by EKS, do not remove.", "# Platform team (break-glass admins)", "- groups:\n  - system:bootstrappers"} {
		if !strings.Contains(live.Data["mapRoles"], keep) {
			t.Errorf("apply lost %q:\n%s", keep, live.Data["mapRoles"])
		}
	}
	if live.Data["other"] != "kept as is" || live.Data["mapUsers"] != liveMapUsers {
		t.Errorf("apply touched other keys: %q", live.Data)
	}
	if r := plugin(t, cl.kubeconfig, nil, "aws-auth", "diff", "-f", file); r.code != 0 || !strings.Contains(r.stdout, "No difference") {
		t.Errorf("diff after apply: %s", r)
	}
	// A second apply has nothing to do.
	if r := plugin(t, cl.kubeconfig, nil, "aws-auth", "apply", "-f", file); r.code != 0 || !strings.Contains(r.stdout, "configmap/aws-auth unchanged") {
		t.Errorf("second apply: %s", r)
	}
}

// who-can lists the IAM principals that reach each allowed subject.
func TestWhoCanIAMPrincipals(t *testing.T) {
	cl := awsAuthCluster(t)
	r := plugin(t, cl.kubeconfig, nil, "who-can", "delete", "nodes", "-o", "json")
	var report v1alpha1.WhoCanReport
	if err := json.Unmarshal([]byte(r.stdout), &report); err != nil || r.code != 0 {
		t.Fatalf("%v %s", err, r)
	}
	reached := map[string]string{}
	for _, p := range report.IAMPrincipals {
		var via []string
		for _, v := range p.Via {
			via = append(via, v.Kind+"/"+v.Name)
		}
		reached[p.ARN] = p.Source + " via " + strings.Join(via, ",")
	}
	want := map[string]string{
		"arn:aws:iam::111122223333:role/PlatformAdmin": "aws-auth mapRoles[1] via Group/platform:admins",
		"arn:aws:iam::111122223333:user/alice":         "aws-auth mapUsers[0] via Group/system:masters",
	}
	for arn, w := range want {
		if reached[arn] != w {
			t.Errorf("%s: got %q, want %q", arn, reached[arn], w)
		}
	}
	if _, ok := reached["arn:aws:iam::111122223333:role/Developer"]; ok {
		t.Errorf("Developer cannot delete nodes: %v", reached)
	}
	// Reading aws-auth is part of the answer: forbidden means no answer, unless
	// --iam=false asks for RBAC only.
	kc := rbacOnlyReader(t, cl)
	oneErrorLine(t, plugin(t, kc, nil, "who-can", "delete", "nodes"), "cannot read configmap kube-system/aws-auth", "--iam=false")
	if r := plugin(t, kc, nil, "who-can", "delete", "nodes", "--iam=false"); r.code != 0 {
		t.Errorf("--iam=false: %s", r)
	}
}

// rbacOnlyReader is a user who may list the RBAC kinds but not read ConfigMaps.
func rbacOnlyReader(t *testing.T, cl *cluster) string {
	t.Helper()
	ctx := context.Background()
	rb := cl.client.RbacV1()
	if _, err := rb.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "rbac-reader"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"list"}, APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"*"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rb.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "rbac-reader"},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "rbac-reader"}, Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "rbac-reader"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitAllowedOn(t, cl, "rbac-reader", "", "list", "rbac.authorization.k8s.io", "clusterroles")
	return cl.userKubeconfig(t, "rbac-reader")
}
