package test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"golang.org/x/sync/errgroup"
	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

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

// ---- Escalation paths ----

// escIdentity is who takes a step: a user name ("" for a group's members) and groups.
type escIdentity struct {
	user   string
	groups []string
}

func (id escIdentity) String() string {
	return fmt.Sprintf("user %q groups %v", id.user, id.groups)
}

// identityOfStep is the identity a step's As stands for: the report's, for the subject
// asked about; otherwise as the API server gives that subject.
func identityOfStep(rep *v1alpha1.CanReport, s v1alpha1.SubjectRef) escIdentity {
	if s == rep.Subject {
		return escIdentity{rep.Username, rep.Groups}
	}
	u, g := implicitIdentity(s.Kind, s.Namespace, s.Name)
	return escIdentity{u, g}
}

// grantClause is one grant of a step's Grant, as the engine words it: "VERB
// RESOURCE[/SUB][.GROUP] [NAMES] [in namespace NS | in every namespace] (SOURCE)".
type grantClause struct {
	verb, group, resource, sub string
	names                      []string
	ns                         string
	everyNamespace, gained     bool
}

var grantRE = regexp.MustCompile(`^(\S+) (\S+?)(?: \[([^\]]*)\])?(?: in (?:namespace (\S+)|(every namespace)))? \((.*)\)$`)

// parseGrant splits a step's Grant into its clauses; ok is false for words that are
// not grants of that form.
func parseGrant(grant string) ([]grantClause, bool) {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(grant); i++ {
		switch grant[i] {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case ',':
			if depth == 0 && strings.HasPrefix(grant[i:], ", ") {
				parts = append(parts, grant[start:i])
				start = i + 2
			}
		}
	}
	parts = append(parts, grant[start:])
	var out []grantClause
	for _, p := range parts {
		m := grantRE.FindStringSubmatch(p)
		if m == nil {
			return nil, false
		}
		c := grantClause{verb: m[1], ns: m[4], everyNamespace: m[5] != "", gained: strings.HasPrefix(m[6], "gained: ")}
		res, group, _ := strings.Cut(m[2], ".")
		c.resource, c.sub, _ = strings.Cut(res, "/")
		c.group = group
		if m[3] != "" {
			c.names = strings.Split(m[3], ",")
		}
		out = append(out, c)
	}
	return out, true
}

// prover applies escalation steps on the API server, as whoever takes them.
type prover struct {
	t     *testing.T
	cl    *cluster
	admin kubernetes.Interface
	// cleanup undoes what the steps of the current path wrote, last first.
	cleanup []func()
	n       int
	// counts
	sars, writes, dryRuns, impersonations, grantChecks int
}

// client acts as id: the admin impersonating its user name and groups (a group's
// members: a user nothing binds).
func (p *prover) client(id escIdentity) kubernetes.Interface {
	cfg := rest.CopyConfig(p.cl.admin)
	user := id.user
	if user == "" {
		user = "can-member-of-" + strings.Join(id.groups, "+")
	}
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: id.groups}
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		p.t.Fatal(err)
	}
	return c
}

func (p *prover) allowed(id escIdentity, ra authzv1.ResourceAttributes) bool {
	p.sars++
	spec := authzv1.SubjectAccessReviewSpec{User: id.user, Groups: id.groups, ResourceAttributes: &ra}
	r, err := p.admin.AuthorizationV1().SubjectAccessReviews().Create(p.t.Context(), &authzv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		p.t.Fatal(err)
	}
	return r.Status.Allowed
}

// eventually is allowed, waiting (a bounded while) for the RBAC authorizer to see what
// was just written.
func (p *prover) eventually(id escIdentity, ra authzv1.ResourceAttributes) bool {
	for range 100 {
		if p.allowed(id, ra) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func (p *prover) name() string {
	p.n++
	return fmt.Sprintf("can-proof-%d", p.n)
}

func dryRun() metav1.CreateOptions { return metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}} }

// ensureServiceAccount creates ns/name when it does not exist (the engine's paths
// lead to service accounts bindings name; a pod or token needs the object).
func (p *prover) ensureServiceAccount(ns, name string) {
	ctx := p.t.Context()
	if _, err := p.admin.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
		return
	}
	if _, err := p.admin.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		p.t.Fatal(err)
	}
}

// bindingSubject is the RBAC subject that names id.
func bindingSubject(id escIdentity) rbacv1.Subject {
	if id.user != "" {
		return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: id.user}
	}
	for _, g := range id.groups {
		if g != "system:authenticated" {
			return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: g}
		}
	}
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: id.groups[0]}
}

// bindTo creates, as id, a binding of role to id: a RoleBinding in ns, or a
// ClusterRoleBinding when ns is "".
func (p *prover) bindTo(id escIdentity, c kubernetes.Interface, ns string, role rbacv1.RoleRef) error {
	ctx := p.t.Context()
	name := p.name()
	meta := metav1.ObjectMeta{Name: name, Namespace: ns}
	subjects := []rbacv1.Subject{bindingSubject(id)}
	if ns == "" {
		if _, err := c.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: meta, RoleRef: role, Subjects: subjects}, metav1.CreateOptions{}); err != nil {
			return err
		}
		p.cleanup = append(p.cleanup, func() {
			_ = p.admin.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	} else {
		if _, err := c.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: meta, RoleRef: role, Subjects: subjects}, metav1.CreateOptions{}); err != nil {
			return err
		}
		p.cleanup = append(p.cleanup, func() {
			_ = p.admin.RbacV1().RoleBindings(ns).Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}
	p.writes++
	return nil
}

// ruleRequest is a request rule allows (its first resource, verb, group and name).
func ruleRequest(rule rbacv1.PolicyRule, ns string) authzv1.ResourceAttributes {
	res, sub, _ := strings.Cut(rule.Resources[0], "/")
	ra := authzv1.ResourceAttributes{Namespace: ns, Verb: rule.Verbs[0], Group: rule.APIGroups[0], Resource: res, Subresource: sub}
	if len(rule.ResourceNames) > 0 {
		ra.Name = rule.ResourceNames[0]
	}
	return ra
}

var everything = authzv1.ResourceAttributes{Verb: "*", Group: "*", Resource: "*"}

// scopeOf is where a bind or escalate step acts: a namespace, or "" cluster-wide; a
// step "in every namespace" is proved in namespace default.
func scopeOf(s *v1alpha1.EscalationStep) string {
	if s.Namespace == "" && strings.Contains(s.LeadsTo, "in every namespace") {
		return "default"
	}
	return s.Namespace
}

// prove applies step s as as and checks that it leads where it says. It returns
// what is wrong, "" when the step holds.
func (p *prover) prove(rep *v1alpha1.CanReport, s *v1alpha1.EscalationStep, as escIdentity) string {
	ctx := p.t.Context()
	// Every grant the step names is the API server's answer for as.
	clauses, ok := parseGrant(s.Grant)
	switch {
	case !ok && s.Route == "cluster-admin" && slices.Contains(as.groups, "system:masters"):
	case !ok:
		return fmt.Sprintf("grant %q is not of the form VERB RESOURCE ... (SOURCE)", s.Grant)
	}
	for _, c := range clauses {
		ra := authzv1.ResourceAttributes{Namespace: c.ns, Verb: c.verb, Group: c.group, Resource: c.resource, Subresource: c.sub}
		if len(c.names) > 0 {
			ra.Name = c.names[0]
		}
		if c.everyNamespace && c.gained {
			ra.Namespace = cmp.Or(s.Namespace, "default") // RoleBindings in every namespace: one will do
		}
		p.grantChecks++
		if !p.eventually(as, ra) {
			return fmt.Sprintf("grant %q: SubjectAccessReview as %s denies %+v", s.Grant, as, ra)
		}
	}
	saTarget := func() (string, string) {
		ns, name := cmp.Or(s.Namespace, "default"), "default"
		if s.Target != nil && s.Target.Kind == rbacv1.ServiceAccountKind {
			ns, name = s.Target.Namespace, s.Target.Name
		}
		return ns, name
	}
	c := p.client(as)
	switch s.Route {
	case "create-pods":
		ns, sa := saTarget()
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.name(), Namespace: ns},
			Spec: corev1.PodSpec{ServiceAccountName: sa, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
		got, err := c.CoreV1().Pods(ns).Create(ctx, pod, dryRun())
		if err != nil {
			return fmt.Sprintf("creating a pod running as %s/%s as %s: %v", ns, sa, as, err)
		}
		if got.Spec.ServiceAccountName != sa {
			return fmt.Sprintf("the pod runs as %q, not %q", got.Spec.ServiceAccountName, sa)
		}
		p.dryRuns++
	case "workloads":
		ns, sa := saTarget()
		tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "proof"}},
			Spec: corev1.PodSpec{ServiceAccountName: sa, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
		var err error
		switch {
		case len(clauses) > 0 && clauses[0].resource == "deployments" && clauses[0].verb == "create":
			_, err = c.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: p.name(), Namespace: ns},
				Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: tmpl.Labels}, Template: tmpl}}, dryRun())
		case len(clauses) > 0 && clauses[0].resource == "jobs" && clauses[0].verb == "create":
			tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
			_, err = c.BatchV1().Jobs(ns).Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: p.name(), Namespace: ns},
				Spec: batchv1.JobSpec{Template: tmpl}}, dryRun())
		default:
			return "" // another workload or verb: the grant is checked above
		}
		if err != nil {
			return fmt.Sprintf("creating a %s running as %s/%s as %s: %v", clauses[0].resource, ns, sa, as, err)
		}
		p.dryRuns++
	case "serviceaccount-token":
		ns, sa := saTarget()
		p.ensureServiceAccount(ns, sa)
		tr, err := c.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)}}, dryRun())
		if err != nil {
			return fmt.Sprintf("a token for %s/%s as %s: %v", ns, sa, as, err)
		}
		_ = tr
		p.dryRuns++
	case "impersonate":
		if s.Target == nil {
			return "" // a hub (any user, any group): the grant is checked above
		}
		want := rest.ImpersonationConfig{UserName: s.Target.Name}
		switch s.Target.Kind {
		case rbacv1.ServiceAccountKind:
			want.UserName = "system:serviceaccount:" + s.Target.Namespace + ":" + s.Target.Name
		case rbacv1.GroupKind:
			// Groups are impersonated with a user: one as may impersonate.
			want.UserName = ""
			for _, cl := range clauses {
				if cl.resource != "users" {
					continue
				}
				for _, u := range append([]string{"can-anybody"}, cl.names...) {
					if p.allowed(as, authzv1.ResourceAttributes{Verb: "impersonate", Resource: "users", Name: u}) {
						want.UserName = u
						break
					}
				}
			}
			if want.UserName == "" {
				return "no user as may impersonate along with group " + s.Target.Name
			}
			want.Groups = []string{s.Target.Name}
		}
		if as.user == "" {
			return "" // a group's members have no credentials of their own: the grant is checked above
		}
		// Real credentials for as (a client certificate), impersonating the target.
		var certGroups []string
		for _, g := range as.groups {
			if g != "system:authenticated" {
				certGroups = append(certGroups, g)
			}
		}
		cfg := p.cl.userConfig(p.t, as.user, certGroups...)
		cfg.Impersonate = want
		ic, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			p.t.Fatal(err)
		}
		r, err := ic.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Sprintf("%s impersonating %+v: %v", as, want, err)
		}
		if ui := r.Status.UserInfo; ui.Username != want.UserName || !isSubset(want.Groups, ui.Groups) {
			return fmt.Sprintf("%s impersonating %+v is %q %v", as, want, ui.Username, ui.Groups)
		}
		p.impersonations++
		if s.Target.Kind == rbacv1.GroupKind && s.Target.Name == "system:masters" {
			// The end: every request, as the impersonated identity itself.
			ssar, err := ic.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
				Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &everything}}, metav1.CreateOptions{})
			if err != nil || !ssar.Status.Allowed {
				return fmt.Sprintf("%s impersonating %+v is not allowed everything: %v %v", as, want, ssar, err)
			}
		}
	case "bind":
		if s.Role == nil {
			return "a bind step names no role"
		}
		ns := scopeOf(s)
		if err := p.bindTo(as, c, ns, rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: s.Role.Kind, Name: s.Role.Name}); err != nil {
			return fmt.Sprintf("binding %s/%s in %q as %s: %v", s.Role.Kind, s.Role.Name, ns, as, err)
		}
		var rules []rbacv1.PolicyRule
		if s.Role.Kind == "ClusterRole" {
			cr, err := p.admin.RbacV1().ClusterRoles().Get(ctx, s.Role.Name, metav1.GetOptions{})
			if err != nil {
				p.t.Fatal(err)
			}
			rules = cr.Rules
		} else {
			r, err := p.admin.RbacV1().Roles(s.Role.Namespace).Get(ctx, s.Role.Name, metav1.GetOptions{})
			if err != nil {
				p.t.Fatal(err)
			}
			rules = r.Rules
		}
		for _, rule := range rules {
			if len(rule.Resources) > 0 {
				if ra := ruleRequest(rule, ns); !p.eventually(as, ra) {
					return fmt.Sprintf("bound %s/%s in %q, but %s is not allowed %+v", s.Role.Kind, s.Role.Name, ns, as, ra)
				}
				break
			}
		}
	case "escalate":
		if s.Role == nil {
			return "an escalate step names no role"
		}
		ns := scopeOf(s)
		star := []rbacv1.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}
		isNew := strings.Contains(s.LeadsTo, "a new ")
		var err error
		switch {
		case s.Role.Kind == "ClusterRole" && isNew:
			var cr *rbacv1.ClusterRole
			if cr, err = c.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: s.Role.Name}}, metav1.CreateOptions{}); err != nil {
				return fmt.Sprintf("creating %s as %s: %v", s.Role.Name, as, err)
			}
			p.cleanup = append(p.cleanup, func() {
				_ = p.admin.RbacV1().ClusterRoles().Delete(context.Background(), cr.Name, metav1.DeleteOptions{})
			})
			if err = p.bindTo(as, c, ns, rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: cr.Name}); err != nil {
				return fmt.Sprintf("binding the new %s as %s: %v", cr.Name, as, err)
			}
			cr.Rules = star
			_, err = c.RbacV1().ClusterRoles().Update(ctx, cr, metav1.UpdateOptions{})
		case isNew:
			var r *rbacv1.Role
			if r, err = c.RbacV1().Roles(s.Role.Namespace).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: s.Role.Name, Namespace: s.Role.Namespace}}, metav1.CreateOptions{}); err != nil {
				return fmt.Sprintf("creating %s/%s as %s: %v", s.Role.Namespace, s.Role.Name, as, err)
			}
			p.cleanup = append(p.cleanup, func() {
				_ = p.admin.RbacV1().Roles(r.Namespace).Delete(context.Background(), r.Name, metav1.DeleteOptions{})
			})
			if err = p.bindTo(as, c, r.Namespace, rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: r.Name}); err != nil {
				return fmt.Sprintf("binding the new %s/%s as %s: %v", r.Namespace, r.Name, as, err)
			}
			r.Rules = star
			_, err = c.RbacV1().Roles(r.Namespace).Update(ctx, r, metav1.UpdateOptions{})
		case s.Role.Kind == "ClusterRole":
			cr, gerr := p.admin.RbacV1().ClusterRoles().Get(ctx, s.Role.Name, metav1.GetOptions{})
			if gerr != nil {
				p.t.Fatal(gerr)
			}
			orig := slices.Clone(cr.Rules)
			cr.Rules = append(cr.Rules, star...)
			if _, err = c.RbacV1().ClusterRoles().Update(ctx, cr, metav1.UpdateOptions{}); err == nil {
				p.cleanup = append(p.cleanup, func() { p.restoreClusterRole(cr.Name, orig) })
			}
		default:
			r, gerr := p.admin.RbacV1().Roles(s.Role.Namespace).Get(ctx, s.Role.Name, metav1.GetOptions{})
			if gerr != nil {
				p.t.Fatal(gerr)
			}
			orig := slices.Clone(r.Rules)
			r.Rules = append(r.Rules, star...)
			if _, err = c.RbacV1().Roles(r.Namespace).Update(ctx, r, metav1.UpdateOptions{}); err == nil {
				p.cleanup = append(p.cleanup, func() { p.restoreRole(r.Namespace, r.Name, orig) })
			}
		}
		if err != nil {
			return fmt.Sprintf("rewriting %s/%s as %s: %v", s.Role.Kind, s.Role.Name, as, err)
		}
		p.writes++
		ra := everything
		ra.Namespace = ns
		if !p.eventually(as, ra) {
			return fmt.Sprintf("rewrote %s/%s, but %s is not allowed everything in %q", s.Role.Kind, s.Role.Name, as, ns)
		}
	case "aws-auth":
		cm, err := p.admin.CoreV1().ConfigMaps(s.Namespace).Get(ctx, s.Name, metav1.GetOptions{})
		if err != nil {
			p.t.Fatal(err)
		}
		cm.Data["mapRoles"] += "- rolearn: arn:aws:iam::" + testAccount + ":role/CanTakeover\n  username: takeover\n  groups:\n    - system:masters\n"
		if _, err := c.CoreV1().ConfigMaps(s.Namespace).Update(ctx, cm, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			return fmt.Sprintf("mapping a role to system:masters in %s/%s as %s: %v", s.Namespace, s.Name, as, err)
		}
		p.dryRuns++
	case "cluster-admin":
		if !p.allowed(as, everything) {
			return fmt.Sprintf("%s is not allowed everything", as)
		}
	}
	return ""
}

func (p *prover) restoreClusterRole(name string, rules []rbacv1.PolicyRule) {
	cr, err := p.admin.RbacV1().ClusterRoles().Get(context.Background(), name, metav1.GetOptions{})
	if err == nil {
		cr.Rules = rules
		_, err = p.admin.RbacV1().ClusterRoles().Update(context.Background(), cr, metav1.UpdateOptions{})
	}
	if err != nil {
		p.t.Errorf("restoring ClusterRole %s: %v", name, err)
	}
}

func (p *prover) restoreRole(ns, name string, rules []rbacv1.PolicyRule) {
	r, err := p.admin.RbacV1().Roles(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err == nil {
		r.Rules = rules
		_, err = p.admin.RbacV1().Roles(ns).Update(context.Background(), r, metav1.UpdateOptions{})
	}
	if err != nil {
		p.t.Errorf("restoring Role %s/%s: %v", ns, name, err)
	}
}

func isSubset(xs, of []string) bool {
	for _, x := range xs {
		if !slices.Contains(of, x) {
			return false
		}
	}
	return true
}

// provePath applies every step of path in order, each as whoever the previous one
// led to, and checks where it ends. It returns what is wrong, "" when the path holds.
func (p *prover) provePath(rep *v1alpha1.CanReport, path *v1alpha1.EscalationPath) string {
	defer func() {
		for i := len(p.cleanup) - 1; i >= 0; i-- {
			p.cleanup[i]()
		}
		p.cleanup = nil
	}()
	if len(path.Steps) == 0 {
		return "no steps"
	}
	at := rep.Subject
	for i := range path.Steps {
		s := &path.Steps[i]
		if s.As != at {
			return fmt.Sprintf("step %d is taken as %+v, but the path is at %+v", i+1, s.As, at)
		}
		if msg := p.prove(rep, s, identityOfStep(rep, s.As)); msg != "" {
			return fmt.Sprintf("step %d [%s]: %s", i+1, s.Route, msg)
		}
		if s.Target != nil {
			at = *s.Target
		}
	}
	if path.Target != nil && *path.Target != at {
		return fmt.Sprintf("the path reaches %+v, its steps %+v", *path.Target, at)
	}
	if path.ClusterAdmin {
		last := path.Steps[len(path.Steps)-1]
		switch {
		case last.Route == "cluster-admin", last.Route == "aws-auth":
		case last.Route == "impersonate" && last.Target != nil && last.Target.Kind == rbacv1.GroupKind && last.Target.Name == "system:masters":
		default:
			return fmt.Sprintf("the path claims cluster admin but ends with [%s] -> %s", last.Route, last.LeadsTo)
		}
	}
	return ""
}

// TestCanEscalationPathsHoldOnTheServer builds subjects with routes to cluster admin
// (pods, workloads, tokens, impersonation of a user and of system:masters, bind,
// escalate, aws-auth, a chain through a service account, a conditional one through
// Secrets, a group's, an IAM principal's) and a plain reader, then takes every path
// `kubectl eksiam can SUBJECT` reports, step by step, on the API server as whoever
// takes the step: pods, workloads, tokens and the aws-auth write by server-side dry
// run, impersonation with real client certificates, bindings and roles really
// written (then removed), and the end checked by SubjectAccessReview. Steps with a
// condition RBAC cannot show (a legacy token Secret) are checked up to their grant.
func TestCanEscalationPathsHoldOnTheServer(t *testing.T) {
	ctx := t.Context()
	cl, err := startCluster(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.stop)

	rule := func(verbs []string, group string, resources []string, names ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: verbs, APIGroups: []string{group}, Resources: resources, ResourceNames: names}
	}
	v := func(verbs ...string) []string { return verbs }
	r := func(resources ...string) []string { return resources }
	user, group, sa := userSubject, groupSubject, saSubject
	const rbacGroup = rbacv1.GroupName
	sc := &scenario{namespaces: []string{"can-esc-pods", "can-esc-deploy", "can-esc-token", "can-esc-chain", "can-esc-secrets", "can-esc-bind"}}
	clusterRole := func(name string, rules ...rbacv1.PolicyRule) {
		sc.clusterRoles = append(sc.clusterRoles, rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules})
	}
	clusterBind := func(name, role string, subjects ...rbacv1.Subject) {
		sc.clusterRoleBindings = append(sc.clusterRoleBindings, rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacGroup, Kind: "ClusterRole", Name: role}, Subjects: subjects})
	}
	// role creates Role ns/name with rules, bound to subject by a RoleBinding.
	role := func(ns, name string, subject rbacv1.Subject, rules ...rbacv1.PolicyRule) {
		sc.roles = append(sc.roles, rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Rules: rules})
		sc.roleBindings = append(sc.roleBindings, rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacGroup, Kind: "Role", Name: name}, Subjects: []rbacv1.Subject{subject}})
	}

	// Cluster admins: a service account "root" in most namespaces, and a user.
	var roots []rbacv1.Subject
	for _, ns := range []string{"can-esc-pods", "can-esc-deploy", "can-esc-token", "can-esc-secrets", "can-esc-bind"} {
		roots = append(roots, sa(ns, "root"))
	}
	clusterBind("can-esc-roots", "cluster-admin", roots...)
	clusterBind("can-esc-root-user", "cluster-admin", user("can-root-user"))

	role("can-esc-pods", "podmaker", sa("can-esc-pods", "podmaker"), rule(v("create"), "", r("pods")))
	role("can-esc-deploy", "deployer", user("can-deployer"), rule(v("create"), "apps", r("deployments")))
	role("can-esc-token", "tokener", user("can-tokener"), rule(v("create"), "", r("serviceaccounts/token"), "root"))
	clusterRole("can-esc-impersonator", rule(v("impersonate"), "", r("users"), "can-root-user"))
	clusterBind("can-esc-impersonator", "can-esc-impersonator", user("can-impersonator"))
	clusterRole("can-esc-grouper", rule(v("impersonate"), "", r("groups"), "system:masters"), rule(v("impersonate"), "", r("users")))
	clusterBind("can-esc-grouper", "can-esc-grouper", user("can-grouper"))
	clusterRole("can-esc-binder", rule(v("create"), rbacGroup, r("clusterrolebindings")), rule(v("bind"), rbacGroup, r("clusterroles"), "cluster-admin"))
	clusterBind("can-esc-binder", "can-esc-binder", user("can-binder"))
	clusterRole("can-esc-escalator", rule(v("create", "escalate", "update"), rbacGroup, r("clusterroles")), rule(v("create"), rbacGroup, r("clusterrolebindings")))
	clusterBind("can-esc-escalator", "can-esc-escalator", user("can-escalator"), group("can-escalators"))
	role("kube-system", "can-awsauth", user("can-awsauth"), rule(v("update", "patch"), "", r("configmaps"), "aws-auth"))
	role("can-esc-chain", "chain", user("can-chain"), rule(v("impersonate"), "", r("serviceaccounts"), "helper"))
	role("can-esc-token", "helper", sa("can-esc-chain", "helper"), rule(v("create"), "", r("serviceaccounts/token")))
	role("can-esc-secrets", "secrets", user("can-secrets"), rule(v("get", "list"), "", r("secrets")))
	clusterRole("can-esc-podcreator", rule(v("create"), "", r("pods")))
	role("can-esc-bind", "nsbinder", group("can-nsbinders"), rule(v("create"), rbacGroup, r("rolebindings")),
		rule(v("bind"), rbacGroup, r("clusterroles"), "can-esc-podcreator"))
	// The conditional routes (proved up to their grants).
	clusterRole("can-esc-proxy", rule(v("get"), "", r("nodes/proxy")))
	clusterBind("can-esc-proxy", "can-esc-proxy", user("can-proxy"))
	clusterRole("can-esc-hooker", rule(v("create"), "admissionregistration.k8s.io", r("mutatingwebhookconfigurations")))
	clusterBind("can-esc-hooker", "can-esc-hooker", user("can-hooker"))
	clusterRole("can-esc-csr", rule(v("create"), "certificates.k8s.io", r("certificatesigningrequests")),
		rule(v("update"), "certificates.k8s.io", r("certificatesigningrequests/approval")),
		rule(v("approve"), "certificates.k8s.io", r("signers"), "kubernetes.io/kube-apiserver-client"))
	clusterBind("can-esc-csr", "can-esc-csr", user("can-csr"))
	role("can-esc-pods", "execer", user("can-execer"), rule(v("create"), "", r("pods/exec")))
	clusterRole("can-esc-reader", rule(v("get", "list", "watch"), "", r("pods", "configmaps")), rule(v("get", "list", "watch"), "apps", r("deployments")))
	clusterBind("can-esc-reader", "can-esc-reader", user("can-reader"))
	sc.apply(ctx, t, cl.client, "can-esc")
	for _, s := range append(roots, sa("can-esc-pods", "podmaker"), sa("can-esc-chain", "helper")) {
		mustCreate(t, func() (*corev1.ServiceAccount, error) {
			return cl.client.CoreV1().ServiceAccounts(s.Namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: s.Name}}, metav1.CreateOptions{})
		})
	}
	iamRole := "arn:aws:iam::" + testAccount + ":role/CanEscOps"
	writeAWSAuth(t, cl, []genPrincipal{{arn: iamRole, role: true, mapped: true, username: "can-iam-ops", groups: []string{"can-escalators"}}})

	// The routes each subject has, shortest first.
	want := []struct {
		subject string
		routes  []string
	}{
		{"serviceaccount/can-esc-pods/podmaker", []string{"create-pods", "cluster-admin"}},
		{"user/can-deployer", []string{"workloads", "cluster-admin"}},
		{"user/can-tokener", []string{"serviceaccount-token", "cluster-admin"}},
		{"user/can-impersonator", []string{"impersonate", "cluster-admin"}},
		{"user/can-grouper", []string{"impersonate"}},
		{"user/can-binder", []string{"bind", "cluster-admin"}},
		{"user/can-escalator", []string{"escalate", "cluster-admin"}},
		{"user/can-awsauth", []string{"aws-auth"}},
		{"user/can-chain", []string{"impersonate", "serviceaccount-token", "cluster-admin"}},
		{"user/can-secrets", []string{"secrets", "cluster-admin"}},
		{"group/can-nsbinders", []string{"bind", "create-pods", "cluster-admin"}},
		{iamRole, []string{"escalate", "cluster-admin"}},
		{"user/can-proxy", []string{"nodes-proxy", "cluster-admin"}},
		{"user/can-hooker", []string{"webhook", "cluster-admin"}},
		{"user/can-csr", []string{"csr", "cluster-admin"}},
		{"user/can-execer", []string{"running-pods", "cluster-admin"}},
		{"user/can-reader", nil},
	}
	dir := t.TempDir()
	dump, awsAuthDump := filepath.Join(dir, "rbac.yaml"), filepath.Join(dir, "aws-auth.yaml")
	dumpRBAC(t, cl.kubeconfig, dump)
	dumpObjects(t, cl.kubeconfig, awsAuthDump, "configmap", "aws-auth", "-n", "kube-system")
	cacheDir := t.TempDir()
	p := &prover{t: t, cl: cl, admin: cl.client}
	var paths, steps, conditional int
	for _, w := range want {
		args := []string{"can", w.subject, "-n", "default", "-o", "json"}
		res := inProcess(ctx, cl.kubeconfig, cacheDir, args...)
		var rep v1alpha1.CanReport
		if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
			t.Errorf("kubectl eksiam %s: not a report: %v\n%s", strings.Join(args, " "), err, res)
			continue
		}
		toAdmin := len(rep.Paths) > 0 && rep.Paths[0].ClusterAdmin
		wantCode := 0
		if toAdmin {
			wantCode = 1
		}
		if res.code != wantCode {
			t.Errorf("kubectl eksiam %s: exit %d, want %d (a path to cluster admin: %v)", strings.Join(args, " "), res.code, wantCode, toAdmin)
		}
		if w.routes == nil {
			if toAdmin || rep.ClusterAdmin {
				t.Errorf("%s has no route to cluster admin, but can reports %+v", w.subject, rep.Paths[0])
			}
		} else {
			var got []string
			if toAdmin {
				for _, s := range rep.Paths[0].Steps {
					got = append(got, s.Route)
				}
			}
			if !slices.Equal(got, w.routes) {
				t.Errorf("%s: the path to cluster admin takes routes %v, want %v", w.subject, got, w.routes)
			}
		}
		// Offline, from a dump, the same paths.
		off := inProcess(ctx, cl.kubeconfig, cacheDir, append(slices.Clone(args), "-f", dump, "-f", awsAuthDump)...)
		var offRep v1alpha1.CanReport
		if err := json.Unmarshal([]byte(off.stdout), &offRep); err != nil {
			t.Errorf("kubectl eksiam %s offline: not a report: %v\n%s", strings.Join(args, " "), err, off)
		} else if d := gocmp.Diff(rep.Paths, offRep.Paths); d != "" {
			t.Errorf("kubectl eksiam %s: live and offline paths differ (-live +offline):\n%s", strings.Join(args, " "), d)
		}
		// Every path, proved on the server.
		for i := range rep.Paths {
			path := &rep.Paths[i]
			if msg := p.provePath(&rep, path); msg != "" {
				b, _ := json.MarshalIndent(path, "", "  ")
				t.Errorf("%s: path to %s does not hold: %s\n%s", w.subject, path.Reaches, msg, b)
				continue
			}
			paths++
			steps += len(path.Steps)
			if path.Conditional {
				conditional++
			}
		}
	}
	designed := paths

	// Then generated RBAC (over the designed: they reach further now), and every path
	// its subjects have, proved the same way.
	rnd := rand.New(rand.NewPCG(20261126, 4))
	gen := genScenario(rnd, "can-gen")
	gen.apply(ctx, t, cl.client, "can-gen")
	var genSubjects []string
	for _, ns := range gen.namespaces {
		genSubjects = append(genSubjects, "serviceaccount/"+ns+"/builder", "serviceaccount/"+ns+"/deployer")
	}
	genSubjects = append(genSubjects, "user/alice", "user/bob", "user/carol", "group/dev", "group/ops")
	for _, subject := range genSubjects {
		args := []string{"can", subject, "-n", "default", "-o", "json"}
		res := inProcess(ctx, cl.kubeconfig, cacheDir, args...)
		var rep v1alpha1.CanReport
		if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
			t.Errorf("kubectl eksiam %s: not a report: %v\n%s", strings.Join(args, " "), err, res)
			continue
		}
		for i := range rep.Paths {
			path := &rep.Paths[i]
			if msg := p.provePath(&rep, path); msg != "" {
				b, _ := json.MarshalIndent(path, "", "  ")
				t.Errorf("%s: path to %s does not hold: %s\n%s", subject, path.Reaches, msg, b)
				continue
			}
			paths++
			steps += len(path.Steps)
			if path.Conditional {
				conditional++
			}
		}
	}
	t.Logf("designed subjects: %d paths; generated: %d subjects, %d paths", designed, len(genSubjects), paths-designed)

	// A sample through the real binary: same bytes as in-process.
	args := []string{"can", want[0].subject, "-n", "default", "-o", "json"}
	wantRes := inProcess(ctx, cl.kubeconfig, cacheDir, args...)
	got := plugin(t, cl.kubeconfig, nil, args...)
	if got.code != wantRes.code || got.stdout != wantRes.stdout {
		t.Errorf("kubectl eksiam %s: the plugin binary and the in-process command disagree:\nplugin: %s\nin-process: %s", strings.Join(args, " "), got, wantRes)
	}
	t.Logf("%d subjects: %d paths (%d conditional) and %d steps proved: %d grant checks, %d SubjectAccessReviews, %d dry runs, %d objects written, %d impersonations",
		len(want)+len(genSubjects), paths, conditional, steps, p.grantChecks, p.sars, p.dryRuns, p.writes, p.impersonations)
}
