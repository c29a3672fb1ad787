package test

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"
	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
)

// implicitIdentity is the user name and groups the API server gives a subject of
// kind ServiceAccount, User or Group (a group: what every member has at least, no
// user name), the groups it adds itself included. Written out here independently of
// pkg/rbac.
func implicitIdentity(kind, ns, name string) (string, []string) {
	switch kind {
	case rbacv1.ServiceAccountKind:
		return "system:serviceaccount:" + ns + ":" + name,
			[]string{"system:authenticated", "system:serviceaccounts", "system:serviceaccounts:" + ns}
	case rbacv1.UserKind:
		if rest, ok := strings.CutPrefix(name, "system:serviceaccount:"); ok && strings.Count(rest, ":") == 1 {
			saNS, saName, _ := strings.Cut(rest, ":")
			return implicitIdentity(rbacv1.ServiceAccountKind, saNS, saName)
		}
		if name == "system:anonymous" {
			return name, []string{"system:unauthenticated"}
		}
		return name, []string{"system:authenticated"}
	case rbacv1.GroupKind:
		if name == "system:authenticated" || name == "system:unauthenticated" {
			return "", []string{name}
		}
		return "", []string{"system:authenticated", name}
	}
	return "", nil
}

// sarKey is one SubjectAccessReview: who asks, and the resource request.
type sarKey struct {
	user, groups                         string // groups sorted, joined by ","
	ns, verb, group, resource, sub, name string
}

func newSARKey(user string, groups []string, ns, verb, group, resource, sub, name string) sarKey {
	return sarKey{user: user, groups: strings.Join(slices.Sorted(slices.Values(groups)), ","),
		ns: ns, verb: verb, group: group, resource: resource, sub: sub, name: name}
}

func (k sarKey) spec() authzv1.SubjectAccessReviewSpec {
	spec := authzv1.SubjectAccessReviewSpec{User: k.user, ResourceAttributes: &authzv1.ResourceAttributes{
		Namespace: k.ns, Verb: k.verb, Group: k.group, Resource: k.resource, Subresource: k.sub, Name: k.name}}
	if k.groups != "" {
		spec.Groups = strings.Split(k.groups, ",")
	}
	return spec
}

func (k sarKey) String() string {
	r := k.resource
	if k.sub != "" {
		r += "/" + k.sub
	}
	if k.group != "" {
		r += "." + k.group
	}
	if k.name != "" {
		r += "/" + k.name
	}
	return fmt.Sprintf("%s %s in %q as user %q groups [%s]", k.verb, r, k.ns, k.user, k.groups)
}

// sars answers SubjectAccessReviews once each, many at a time.
type sars struct {
	c      kubernetes.Interface
	mu     sync.Mutex
	answer map[sarKey]bool
	asked  int
}

func newSARs(c kubernetes.Interface) *sars { return &sars{c: c, answer: map[sarKey]bool{}} }

// ask answers every key not answered yet, with at most 16 requests in flight.
func (s *sars) ask(t *testing.T, keys []sarKey) {
	t.Helper()
	g, ctx := errgroup.WithContext(t.Context())
	g.SetLimit(16)
	seen := map[sarKey]bool{}
	for _, k := range keys {
		s.mu.Lock()
		_, done := s.answer[k]
		s.mu.Unlock()
		if done || seen[k] {
			continue
		}
		seen[k] = true
		g.Go(func() error {
			r, err := s.c.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: k.spec()}, metav1.CreateOptions{})
			if err != nil {
				return fmt.Errorf("SubjectAccessReview %s: %w", k, err)
			}
			s.mu.Lock()
			s.answer[k] = r.Status.Allowed
			s.asked++
			s.mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

func (s *sars) allowed(k sarKey) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.answer[k]
	if !ok {
		panic("not asked: " + k.String())
	}
	return a
}

// canRun is one `kubectl eksiam can` run and its report.
type canRun struct {
	subject *canSubject
	args    []string
	offline bool
	report  v1alpha1.CanReport
}

// canSubject is a SUBJECT argument and the identity the API server gives it.
type canSubject struct {
	arg      string
	username string
	groups   []string
}

// expectation is one SubjectAccessReview a cell implies, and its answer.
type expectation struct {
	key  sarKey
	want bool
}

// cellExpectations are the SubjectAccessReviews cell c of report r implies:
//   - all: allowed without a name;
//   - some-names: not allowed without a name, allowed for each name listed;
//   - none: allowed neither without a name nor for a name nobody grants.
func cellExpectations(r *v1alpha1.CanReport, c *v1alpha1.CanCell) []expectation {
	key := func(name string) sarKey {
		return newSARKey(r.Username, r.Groups, c.Namespace, c.Verb, c.Group, c.Resource, c.Subresource, name)
	}
	switch c.Access {
	case v1alpha1.AccessAll:
		return []expectation{{key(""), true}}
	case v1alpha1.AccessSomeNames:
		out := []expectation{{key(""), false}}
		for _, n := range c.Names {
			out = append(out, expectation{key(n), true})
		}
		return out
	case v1alpha1.AccessNone:
		// A name that no generated rule lists, stable per cell (so that live and offline
		// share the question).
		h := fnv.New32a()
		fmt.Fprint(h, c.Namespace, "|", c.Group, "|", c.Resource, "|", c.Subresource, "|", c.Verb)
		return []expectation{{key(""), false}, {key(fmt.Sprintf("zz-%x", h.Sum32())), false}}
	}
	return nil
}

// cellKey identifies a cell in a report, namespace included.
type cellKey struct{ ns, group, resource, sub, verb string }

func keyOf(c *v1alpha1.CanCell) cellKey {
	return cellKey{c.Namespace, c.Group, c.Resource, c.Subresource, c.Verb}
}

// TestCanMatrixAgreesWithSubjectAccessReview generates RBAC and an aws-auth ConfigMap,
// applies them to the real API server, and for service accounts, users, groups and
// IAM principals requires that every cell of `kubectl eksiam can SUBJECT` (-n NS and
// -A, live and offline from a dump) is what SubjectAccessReview answers for the
// subject's user name and groups, as the report states them (and as worked out here
// independently); and that -A (cluster level, then what each namespace adds) says the
// same of a namespace as -n NS.
func TestCanMatrixAgreesWithSubjectAccessReview(t *testing.T) {
	ctx := t.Context()
	seed := uint64(20261125)
	if s := os.Getenv("EKSIAM_DIFF_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (set EKSIAM_DIFF_SEED to replay)", seed)
	r := rand.New(rand.NewPCG(seed, 3))
	// A control plane of its own: the generated RBAC grants far and wide, and the
	// aws-auth ConfigMap is this test's.
	cl, err := startCluster(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.stop)
	ensureWidgetsCRD(ctx, t, cl)

	sc := genScenario(r, "can") // namespaces can-a, can-b, can-c
	// Broad grants, so that many cells are all (view, edit and admin have no rules here:
	// no controller manager aggregates them).
	crRef := func(name string) rbacv1.RoleRef {
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}
	}
	subj := func(kind, name string) []rbacv1.Subject {
		return []rbacv1.Subject{{Kind: kind, APIGroup: rbacv1.GroupName, Name: name}}
	}
	sc.clusterRoles = append(sc.clusterRoles,
		rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "can-reader"}, Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}},
		rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "can-editor"}, Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"*"}, APIGroups: []string{"", "apps", "example.com"}, Resources: []string{"pods", "pods/exec", "deployments", "deployments/scale", "configmaps", "secrets", "widgets"}},
			{Verbs: []string{"get", "update"}, APIGroups: []string{""}, Resources: []string{"secrets", "serviceaccounts"}, ResourceNames: []string{"web", "token-x"}}}})
	// Names for everyone, so that every subject has some-names cells.
	sc.clusterRoles = append(sc.clusterRoles,
		rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "can-named"}, Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"get", "update", "delete"}, APIGroups: []string{"", "rbac.authorization.k8s.io"}, Resources: []string{"nodes", "namespaces", "configmaps", "clusterroles"}, ResourceNames: []string{"web", "a"}}}})
	sc.clusterRoleBindings = append(sc.clusterRoleBindings,
		rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "can-dev-read"}, RoleRef: crRef("can-reader"), Subjects: subj("Group", "dev")},
		rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "can-everyone-named"}, RoleRef: crRef("can-named"), Subjects: subj("Group", "system:authenticated")})
	sc.roleBindings = append(sc.roleBindings,
		rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "can-ops-edit", Namespace: "can-a"}, RoleRef: crRef("can-editor"), Subjects: subj("Group", "ops")},
		rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "can-builder-edit", Namespace: "can-b"}, RoleRef: crRef("can-editor"),
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "builder", Namespace: "can-a"}}})
	sc.apply(ctx, t, cl.client, "can")

	// IAM principals through aws-auth (no access entries: not an EKS cluster).
	principals := []genPrincipal{
		{arn: "arn:aws:iam::" + testAccount + ":role/CanDev", role: true, mapped: true, username: "alice", groups: []string{"dev", "system:serviceaccounts:can-b"}},
		{arn: "arn:aws:iam::" + testAccount + ":user/CanOps", mapped: true, username: "can-ops", groups: []string{"ops"}},
	}
	writeAWSAuth(t, cl, principals)

	dir := t.TempDir()
	dump, awsAuthDump := filepath.Join(dir, "rbac.yaml"), filepath.Join(dir, "aws-auth.yaml")
	dumpRBAC(t, cl.kubeconfig, dump)
	dumpObjects(t, cl.kubeconfig, awsAuthDump, "configmap", "aws-auth", "-n", "kube-system")

	var subjects []*canSubject
	addSubject := func(arg, kind, ns, name string) {
		u, g := implicitIdentity(kind, ns, name)
		subjects = append(subjects, &canSubject{arg: arg, username: u, groups: g})
	}
	for _, x := range []struct{ ns, name string }{{"can-a", "builder"}, {"can-b", "deployer"}, {"can-c", "default"}, {"can-a", "deployer"}} {
		arg := "serviceaccount/" + x.ns + "/" + x.name
		if x.ns == "can-b" {
			arg = "system:serviceaccount:" + x.ns + ":" + x.name
		}
		addSubject(arg, rbacv1.ServiceAccountKind, x.ns, x.name)
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		addSubject("user/"+u, rbacv1.UserKind, "", u)
	}
	for _, g := range []string{"dev", "ops", "system:serviceaccounts:can-c"} {
		addSubject("group/"+g, rbacv1.GroupKind, "", g)
	}
	for _, p := range principals {
		subjects = append(subjects, &canSubject{arg: p.arn, username: p.username, groups: append([]string{"system:authenticated"}, p.groups...)})
	}

	scopes := [][]string{{"-A"}, {"-n", "can-a"}, {"-n", "can-b"}, {"-n", "default"}}
	var runs []*canRun
	for _, s := range subjects {
		for _, scope := range scopes {
			// -A with the escalation paths (every namespace read, and aws-auth); -n NS
			// without (that namespace read only).
			args := append([]string{"can", s.arg, "-o", "json"}, scope...)
			if scope[0] == "-n" {
				args = append(args, "--escalation=false")
			}
			runs = append(runs, &canRun{subject: s, args: args},
				&canRun{subject: s, args: append(slices.Clone(args), "-f", dump, "-f", awsAuthDump), offline: true})
		}
	}
	cacheDir := t.TempDir()
	var failures []string
	var fmu sync.Mutex
	fail := func(format string, args ...any) {
		fmu.Lock()
		defer fmu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for _, run := range runs {
		g.Go(func() error {
			res := inProcess(gctx, cl.kubeconfig, cacheDir, run.args...)
			if res.code != 0 && (res.code != 1 || slices.Contains(run.args, "--escalation=false")) {
				fail("kubectl eksiam %s: %s", strings.Join(run.args, " "), res)
				return nil
			}
			if err := json.Unmarshal([]byte(res.stdout), &run.report); err != nil {
				fail("kubectl eksiam %s: not a report: %v", strings.Join(run.args, " "), err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}

	// The identity: as the API server gives it, and as the report states it.
	for _, run := range runs {
		rep := &run.report
		if rep.Kind != "CanReport" {
			continue // failed above
		}
		gotGroups := slices.Sorted(slices.Values(rep.Groups))
		wantGroups := slices.Sorted(slices.Values(run.subject.groups))
		if !rep.Mapped || rep.Username != run.subject.username || !slices.Equal(gotGroups, wantGroups) {
			fail("kubectl eksiam %s: identity mapped=%v %q %v, want %q %v", strings.Join(run.args, " "),
				rep.Mapped, rep.Username, gotGroups, run.subject.username, wantGroups)
		}
		if len(rep.Cells) == 0 {
			fail("kubectl eksiam %s: no cells", strings.Join(run.args, " "))
		}
	}

	// -A and -n NS agree: in NS, -A's cell is NS's own when listed, the cluster level's
	// otherwise; cluster-scoped cells are the same in both.
	consistency := 0
	for i := 0; i < len(runs); i += 2 * len(scopes) {
		for off := range 2 {
			all := &runs[i+off].report
			base, own := map[cellKey]*v1alpha1.CanCell{}, map[cellKey]*v1alpha1.CanCell{}
			for ci := range all.Cells {
				c := &all.Cells[ci]
				if c.Namespace == "" {
					base[keyOf(c)] = c
				} else {
					own[keyOf(c)] = c
				}
			}
			for si := 1; si < len(scopes); si++ {
				nsRun := runs[i+2*si+off]
				for ci := range nsRun.report.Cells {
					c := &nsRun.report.Cells[ci]
					k := keyOf(c)
					want := own[k]
					if want == nil {
						k.ns = ""
						want = base[k]
					}
					consistency++
					if want == nil || want.Access != c.Access || !slices.Equal(want.Names, c.Names) {
						fail("%s: -A says %+v of %+v, %s says %+v", all.Subject.Name, want, k, strings.Join(nsRun.args[2:], " "), *c)
					}
				}
			}
		}
	}

	// Every cell against SubjectAccessReview.
	answers := newSARs(cl.client)
	var keys []sarKey
	for _, run := range runs {
		for ci := range run.report.Cells {
			for _, e := range cellExpectations(&run.report, &run.report.Cells[ci]) {
				keys = append(keys, e.key)
			}
		}
	}
	answers.ask(t, keys)
	var live, offline, disagreements int
	access := map[string]int{}
	for _, run := range runs {
		rep := &run.report
		for ci := range rep.Cells {
			c := &rep.Cells[ci]
			access[c.Access]++
			if run.offline {
				offline++
			} else {
				live++
			}
			for _, e := range cellExpectations(rep, c) {
				if got := answers.allowed(e.key); got != e.want {
					disagreements++
					fail("kubectl eksiam %s: cell %s %s/%s.%s in %q is %s %v, but SubjectAccessReview %s: allowed=%v",
						strings.Join(run.args[1:], " "), c.Verb, c.Resource, c.Subresource, c.Group, c.Namespace, c.Access, c.Names, e.key, got)
					break
				}
			}
		}
	}

	// A sample through the real binary: same bytes as in-process.
	args := []string{"can", subjects[0].arg, "-A", "-o", "json"}
	want := inProcess(ctx, cl.kubeconfig, cacheDir, args...)
	got := plugin(t, cl.kubeconfig, nil, args...)
	if got.code != want.code || got.stdout != want.stdout {
		fail("kubectl eksiam %s: the plugin binary and the in-process command disagree:\nplugin: %s\nin-process: %s", strings.Join(args, " "), got, want)
	}

	t.Logf("%d runs, %d -A/-n consistency checks, %d SubjectAccessReviews, cells: %d all, %d some-names, %d none",
		len(runs), consistency, answers.asked, access[v1alpha1.AccessAll], access[v1alpha1.AccessSomeNames], access[v1alpha1.AccessNone])
	t.Logf("%d subjects, %d cells checked live, %d offline, %d disagreements", len(subjects), live, offline, disagreements)
	if access[v1alpha1.AccessAll] == 0 || access[v1alpha1.AccessSomeNames] == 0 || access[v1alpha1.AccessNone] == 0 {
		t.Errorf("degenerate scenario: cells by access %v", access)
	}
	for i, f := range failures {
		if i == 20 {
			t.Errorf("... and %d more", len(failures)-20)
			break
		}
		t.Error(f)
	}
}
