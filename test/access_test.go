package test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// A generated IAM principal: its aws-auth mapping and its access entry, either of
// which may be absent.
type genPrincipal struct {
	arn   string // role or user ARN
	role  bool
	entry *eks.AccessEntry
	// aws-auth mapping (mapped false: none)
	mapped   bool
	username string
	groups   []string
}

const testAccount = "111122223333"

// genPrincipals draws roles and users, mapped in aws-auth, in access entries, both,
// or neither, with usernames and groups that the generated RBAC scenario names.
func genPrincipals(r *rand.Rand, namespaces []string) []genPrincipal {
	var out []genPrincipal
	users := []string{"alice", "bob", "carol", "system:serviceaccount:" + namespaces[0] + ":builder"}
	groups := []string{"dev", "ops", "system:serviceaccounts", "system:serviceaccounts:" + namespaces[1]}
	for i := range 14 {
		p := genPrincipal{role: i < 10}
		if p.role {
			p.arn = fmt.Sprintf("arn:aws:iam::%s:role/R%d", testAccount, i)
		} else {
			p.arn = fmt.Sprintf("arn:aws:iam::%s:user/U%d", testAccount, i)
		}
		where := pick(r, 0, 0, 0, 1, 1, 2, 2, 2, 3) // 0 aws-auth, 1 entry, 2 both, 3 neither
		if where == 0 || where == 2 {
			p.mapped = true
			p.username = pick(r, users...)
			if p.role && r.IntN(2) == 0 {
				p.username = "{{SessionName}}" // the session picks the user
			}
			p.groups = pickN(r, 1+r.IntN(3), groups...)
			if r.IntN(12) == 0 {
				p.groups = append(p.groups, "system:masters")
			}
		}
		if where == 1 || where == 2 {
			e := &eks.AccessEntry{PrincipalARN: p.arn, Type: eks.TypeStandard, KubernetesGroups: pickN(r, 1+r.IntN(2), "dev", "ops"), AccessPolicies: []eks.AssociatedPolicy{}}
			switch r.IntN(3) {
			case 0:
				e.Username = pick(r, users[:3]...)
			case 1:
				if p.role {
					e.Username = "team:{{SessionName}}"
				}
			}
			if p.role && r.IntN(3) == 0 { // entries keep role paths; sessions still match
				e.PrincipalARN = fmt.Sprintf("arn:aws:iam::%s:role/team/x/R%d", testAccount, i)
			}
			p.entry = e
		}
		out = append(out, p)
	}
	return out
}

// expectIdentity is what EKS gives the caller (AWS-AUTH.md §3, §5, §7, §8), worked out
// here from the generated data, independently of pkg/identity.
func expectIdentity(p *genPrincipal, mode, session string) (mapped bool, username string, groups []string) {
	useEntry := p.entry != nil && (mode == eks.ModeAPI || mode == eks.ModeAPIAndConfigMap)
	useMap := !useEntry && p.mapped && mode != eks.ModeAPI
	render := func(s string) string {
		return strings.ReplaceAll(s, "{{SessionName}}", strings.ReplaceAll(session, "@", "-"))
	}
	groups = []string{"system:authenticated"}
	switch {
	case useEntry:
		username = p.entry.Username
		if username == "" {
			if p.role {
				name := p.arn[strings.LastIndex(p.arn, "/")+1:]
				username = fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/{{SessionName}}", testAccount, name)
			} else {
				username = p.arn
			}
		}
		return true, render(username), append(groups, p.entry.KubernetesGroups...)
	case useMap:
		return true, render(p.username), append(groups, p.groups...)
	}
	return false, "", []string{} // not mapped: it cannot authenticate, so no groups
}

func writeAWSAuth(t *testing.T, cl *cluster, ps []genPrincipal) {
	t.Helper()
	type mapping struct {
		RoleARN  string   `json:"rolearn,omitempty"`
		UserARN  string   `json:"userarn,omitempty"`
		Username string   `json:"username"`
		Groups   []string `json:"groups"`
	}
	var roles, users []mapping
	for _, p := range ps {
		if !p.mapped {
			continue
		}
		m := mapping{Username: p.username, Groups: p.groups}
		if p.role {
			m.RoleARN = p.arn
			roles = append(roles, m)
		} else {
			m.UserARN = p.arn
			users = append(users, m)
		}
	}
	data := map[string]string{}
	for key, list := range map[string][]mapping{"mapRoles": roles, "mapUsers": users} {
		b, err := yaml.Marshal(list)
		if err != nil {
			t.Fatal(err)
		}
		data[key] = string(b)
	}
	if _, err := cl.client.CoreV1().ConfigMaps("kube-system").Create(t.Context(), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"}, Data: data}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func writeEntriesFile(t *testing.T, dir, mode string, ps []genPrincipal) string {
	t.Helper()
	f := source.AccessEntriesFile{APIVersion: v1alpha1.GroupVersion.String(), Kind: source.AccessEntriesKind,
		AccessConfig: eks.Snapshot{Cluster: eks.Cluster{Name: "gen", AuthenticationMode: mode}, Entries: []eks.AccessEntry{}}}
	for _, p := range ps {
		if p.entry != nil {
			f.Entries = append(f.Entries, *p.entry)
		}
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, mode+".json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAccessAgreesWithSubjectAccessReview generates RBAC, an aws-auth ConfigMap and
// access entries (in every authentication mode), then for many random (principal,
// request) pairs requires that `kubectl eksiam access ARN`:
//   - resolves the identity EKS would give the caller (worked out independently here);
//   - answers --verb/--resource as SubjectAccessReview does for that username and
//     those groups;
//   - lists rules (without --verb) of which one allows the request exactly when
//     SubjectAccessReview allows it.
func TestAccessAgreesWithSubjectAccessReview(t *testing.T) {
	ctx := t.Context()
	seed := uint64(20261124)
	if s := os.Getenv("EKSIAM_DIFF_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (set EKSIAM_DIFF_SEED to replay)", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	cl, err := startCluster(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.stop)
	ensureWidgetsCRD(ctx, t, cl)
	sc := genScenario(r, "x")
	// Broad grants to the names the principals map to, so that many answers are yes.
	// (view, edit and admin have no rules here: no controller manager aggregates them.)
	sc.clusterRoles = append(sc.clusterRoles,
		rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "x-reader"}, Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}},
		rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "x-editor"}, Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"*"}, APIGroups: []string{"", "apps", "example.com"}, Resources: []string{"pods", "deployments", "configmaps", "secrets", "widgets"}}}},
		rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "x-admin"}, Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}})
	bind := func(kind, name string) []rbacv1.Subject {
		return []rbacv1.Subject{{Kind: kind, APIGroup: rbacv1.GroupName, Name: name}}
	}
	crRef := func(name string) rbacv1.RoleRef {
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}
	}
	sc.clusterRoleBindings = append(sc.clusterRoleBindings,
		rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "x-dev-view"}, RoleRef: crRef("x-reader"), Subjects: bind("Group", "dev")},
		rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "x-team-alice"}, RoleRef: crRef("x-editor"), Subjects: bind("User", "team:alice")})
	sc.roleBindings = append(sc.roleBindings,
		rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "x-ops-edit", Namespace: sc.namespaces[0]}, RoleRef: crRef("x-editor"), Subjects: bind("Group", "ops")},
		rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "x-alice-admin", Namespace: sc.namespaces[1]}, RoleRef: crRef("x-admin"), Subjects: bind("User", "alice")})
	sc.apply(ctx, t, cl.client, "x")
	ps := genPrincipals(r, sc.namespaces)
	writeAWSAuth(t, cl, ps)
	dir := t.TempDir()
	modeFiles := map[string]string{"": ""}
	for _, m := range []string{eks.ModeConfigMap, eks.ModeAPIAndConfigMap, eks.ModeAPI} {
		modeFiles[m] = writeEntriesFile(t, dir, m, ps)
	}
	modes := []string{"", eks.ModeConfigMap, eks.ModeAPIAndConfigMap, eks.ModeAPI}
	cacheDir := t.TempDir()

	var cases, checks, allowed, unmapped, ruleChecks, failures int
	fail := func(format string, args ...any) {
		failures++
		if failures <= 25 {
			t.Errorf(format, args...)
		}
	}
	lists := map[string]*v1alpha1.AccessReport{}
	for range 400 {
		p := &ps[r.IntN(len(ps))]
		mode := pick(r, modes...)
		caller, session := p.arn, ""
		if p.role {
			session = pick(r, "alice", "bob", "carol@corp", "builder")
			caller = fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", testAccount, p.arn[strings.LastIndex(p.arn, "/")+1:], session)
		}
		q := genQuery(r, sc.namespaces)
		if q.resource != nil && r.IntN(2) == 0 { // everyday verbs, which view, edit and admin grant
			q.verb = pick(r, "get", "list", "create", "delete")
		}
		ns := q.ns
		if ns == "" {
			ns = pick(r, sc.namespaces...)
		}
		target := q.path
		if q.resource != nil {
			target = q.args[2]
		}
		args := []string{"access", caller, "--verb", q.verb, "--resource", target, "-n", ns, "-o", "json"}
		if q.sub != "" {
			args = append(args, "--subresource", q.sub)
		}
		if f := modeFiles[mode]; f != "" {
			args = append(args, "--access-entries-file", f)
		}
		cases++
		res := inProcess(ctx, cl.kubeconfig, cacheDir, args...)
		if res.code != 0 && res.code != 1 {
			fail("kubectl eksiam %s: %s", strings.Join(args, " "), res)
			continue
		}
		var rep v1alpha1.AccessReport
		if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil || rep.Decision == nil {
			fail("kubectl eksiam %s: not a report with a decision: %v\n%s", strings.Join(args, " "), err, res)
			continue
		}
		wantMapped, wantUser, wantGroups := expectIdentity(p, mode, session)
		gotGroups, wGroups := slices.Sorted(slices.Values(rep.Groups)), slices.Sorted(slices.Values(wantGroups))
		if rep.Mapped != wantMapped || rep.Username != wantUser || !slices.Equal(gotGroups, wGroups) || rep.AuthenticationMode != mode {
			fail("%s (mode %q): identity mapped=%v %q %v, want mapped=%v %q %v", caller, mode, rep.Mapped, rep.Username, gotGroups, wantMapped, wantUser, wGroups)
			continue
		}
		if (res.code == 0) != rep.Decision.Allowed {
			fail("%s: exit %d with allowed=%v", strings.Join(args, " "), res.code, rep.Decision.Allowed)
		}
		if !wantMapped {
			unmapped++
			if rep.Decision.Allowed {
				fail("%s: an unmapped principal is allowed", strings.Join(args, " "))
			}
			continue
		}
		// The truth: SubjectAccessReview as the resolved identity.
		spec := authzv1.SubjectAccessReviewSpec{User: wantUser, Groups: wantGroups}
		attrs := rbac.Attributes{Verb: q.verb, Path: q.path}
		if q.resource == nil {
			spec.NonResourceAttributes = &authzv1.NonResourceAttributes{Verb: q.verb, Path: q.path}
		} else {
			reqNS := ""
			if q.resource.namespaced {
				reqNS = ns
			}
			spec.ResourceAttributes = &authzv1.ResourceAttributes{Namespace: reqNS, Verb: q.verb, Group: q.resource.group,
				Resource: q.resource.resource, Subresource: q.sub, Name: q.name}
			attrs = rbac.Attributes{Verb: q.verb, APIGroup: q.resource.group, Resource: q.resource.resource, Subresource: q.sub, Name: q.name, Namespace: reqNS}
		}
		sar, err := cl.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checks++
		if os.Getenv("EKSIAM_DEBUG") != "" {
			t.Logf("%s %s %s ns=%s user=%q groups=%v allowed=%v", caller, q.verb, target, ns, wantUser, wantGroups, sar.Status.Allowed)
		}
		if sar.Status.Allowed {
			allowed++
		}
		if rep.Decision.Allowed != sar.Status.Allowed {
			fail("kubectl eksiam %s: allowed=%v (%s), SubjectAccessReview as %q %v says %v", strings.Join(args, " "),
				rep.Decision.Allowed, rep.Decision.Reason, wantUser, wantGroups, sar.Status.Allowed)
		}
		// The rules list, as 'auth can-i --list' for the ARN.
		key := caller + "|" + mode + "|" + ns
		list, ok := lists[key]
		if !ok {
			largs := []string{"access", caller, "-n", ns, "-o", "json"}
			if f := modeFiles[mode]; f != "" {
				largs = append(largs, "--access-entries-file", f)
			}
			lres := inProcess(ctx, cl.kubeconfig, cacheDir, largs...)
			list = &v1alpha1.AccessReport{}
			if lres.code != 0 || json.Unmarshal([]byte(lres.stdout), list) != nil {
				fail("kubectl eksiam %s: %s", strings.Join(largs, " "), lres)
				continue
			}
			lists[key] = list
		}
		byRules := list.Superuser
		for _, x := range list.RBACRules {
			if (x.Namespace == "" || x.Namespace == attrs.Namespace) && rbac.FirstAllowingRule(&attrs, []rbacv1.PolicyRule{x.Rule}) == 0 {
				byRules = true
			}
		}
		ruleChecks++
		if byRules != sar.Status.Allowed {
			fail("kubectl eksiam access %s -n %s: the listed rules allow %s %s: %v, SubjectAccessReview says %v", caller, ns, q.verb, target, byRules, sar.Status.Allowed)
		}
	}
	t.Logf("access: %d cases, %d unmapped, %d SubjectAccessReview checks (%d allowed), %d rule-list checks over %d lists, %d failures",
		cases, unmapped, checks, allowed, ruleChecks, len(lists), failures)
	if allowed == 0 || allowed == checks || unmapped == 0 {
		t.Errorf("degenerate generation: %d of %d allowed, %d unmapped", allowed, checks, unmapped)
	}
	// A sample through the real binary.
	arn := fmt.Sprintf("arn:aws:sts::%s:assumed-role/R0/alice", testAccount)
	want := inProcess(ctx, cl.kubeconfig, cacheDir, "access", arn, "-n", sc.namespaces[0])
	got := plugin(t, cl.kubeconfig, nil, "access", arn, "-n", sc.namespaces[0])
	if got.stdout != want.stdout || got.code != want.code {
		t.Errorf("the plugin binary and the in-process command disagree:\n%s\n%s", got, want)
	}
}
