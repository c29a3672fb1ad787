package test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sync/errgroup"
	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
)

// identity is who SubjectAccessReview is asked as: a user name alone, or a group alone.
type identity struct {
	user, group string
}

func (id identity) String() string {
	if id.group != "" {
		return "group " + id.group
	}
	return "user " + id.user
}

// identityOfSubject is how the RBAC authorizer matches a binding subject, written out
// independently of pkg/rbac. ok is false for a subject that matches nobody.
func identityOfSubject(s rbacv1.Subject, bindingNS string) (identity, bool) {
	switch s.Kind {
	case rbacv1.UserKind:
		return identity{user: s.Name}, true
	case rbacv1.GroupKind:
		return identity{group: s.Name}, true
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNS
		}
		if ns == "" {
			return identity{}, false
		}
		return identity{user: "system:serviceaccount:" + ns + ":" + s.Name}, true
	}
	return identity{}, false
}

// identityOfRow is the identity a who-can output row stands for.
func identityOfRow(s v1alpha1.Subject) identity {
	switch s.Kind {
	case rbacv1.GroupKind:
		return identity{group: s.Name}
	case rbacv1.ServiceAccountKind:
		return identity{user: "system:serviceaccount:" + s.Namespace + ":" + s.Name}
	}
	return identity{user: s.Name}
}

// candidates are every identity any binding in the cluster names, with the namespaces
// of the RoleBindings that name it, plus system:masters and a few identities nothing names.
type candidates struct {
	ids []identity
	// rbNamespaces[id]: the only namespaces where a RoleBinding can allow id alone.
	rbNamespaces map[identity][]string
}

func listCandidates(ctx context.Context, t *testing.T, c kubernetes.Interface) *candidates {
	t.Helper()
	crbs, err := c.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rbs, err := c.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cs := &candidates{rbNamespaces: map[identity][]string{}}
	seen := map[identity]bool{}
	add := func(id identity) {
		if !seen[id] {
			seen[id] = true
			cs.ids = append(cs.ids, id)
		}
	}
	for _, b := range crbs.Items {
		for _, s := range b.Subjects {
			if id, ok := identityOfSubject(s, ""); ok {
				add(id)
			}
		}
	}
	for _, b := range rbs.Items {
		for _, s := range b.Subjects {
			if id, ok := identityOfSubject(s, b.Namespace); ok {
				add(id)
				if !slices.Contains(cs.rbNamespaces[id], b.Namespace) {
					cs.rbNamespaces[id] = append(cs.rbNamespaces[id], b.Namespace)
				}
			}
		}
	}
	for _, id := range []identity{{group: "system:masters"}, {user: "nobody"}, {group: "nobody-group"},
		{user: "system:serviceaccount:default:lonely"}} {
		add(id)
	}
	slices.SortFunc(cs.ids, func(a, b identity) int { return strings.Compare(a.String(), b.String()) })
	return cs
}

// resourceChoice is a TYPE argument and what it must resolve to.
type resourceChoice struct {
	arg, group, resource string
	namespaced           bool
}

var queryResources = []resourceChoice{
	{"pods", "", "pods", true}, {"po", "", "pods", true}, {"Pod", "", "pods", true},
	{"deployments.apps", "apps", "deployments", true}, {"deploy", "apps", "deployments", true},
	{"secrets", "", "secrets", true}, {"configmaps", "", "configmaps", true}, {"cm", "", "configmaps", true},
	{"nodes", "", "nodes", false}, {"no", "", "nodes", false}, {"namespaces", "", "namespaces", false},
	{"roles.rbac.authorization.k8s.io", "rbac.authorization.k8s.io", "roles", true},
	{"clusterroles", "rbac.authorization.k8s.io", "clusterroles", false},
	{"users", "", "users", false}, {"groups", "", "groups", false}, {"uids", "authentication.k8s.io", "uids", false},
	{"serviceaccounts", "", "serviceaccounts", true}, {"sa", "", "serviceaccounts", true},
	{"widgets.example.com", "example.com", "widgets", true}, {"wd", "example.com", "widgets", true},
	{"jobs.batch", "batch", "jobs", true}, {"cronjobs", "batch", "cronjobs", true},
	{"*", "*", "*", true}, {"*.", "", "*", true}, {"*.apps", "apps", "*", true}, {"*.*", "*", "*", true},
}

// query is one generated who-can question and the SubjectAccessReview attributes that
// ask the same of the API server.
type query struct {
	args     []string
	resource *resourceChoice
	verb     string
	sub      string
	name     string
	path     string
	scope    string // v1alpha1.Scope*
	ns       string
}

func genQuery(r *rand.Rand, namespaces []string) query {
	if r.IntN(5) == 0 {
		q := query{verb: pick(r, "get", "post", "put", "head", "*"),
			path: pick(r, "/healthz", "/healthz/ready", "/livez", "/api", "/api/v1", "/apis", "/apis/apps",
				"/metrics", "/logs/app.log", "/version", "/openapi/v2", "/x"),
			scope: v1alpha1.ScopeCluster}
		q.args = []string{"who-can", q.verb, q.path}
		return q
	}
	rc := queryResources[r.IntN(len(queryResources))]
	q := query{resource: &rc, verb: pick(r, append([]string{"*"}, genVerbs...)...)}
	target := rc.arg
	if r.IntN(4) == 0 {
		q.name = pick(r, genNames...)
		target += "/" + q.name
	}
	q.args = []string{"who-can", q.verb, target}
	if r.IntN(3) == 0 {
		q.sub = pick(r, "exec", "log", "status", "scale", "*")
		q.args = append(q.args, "--subresource", q.sub)
	}
	switch {
	case !rc.namespaced:
		q.scope = v1alpha1.ScopeCluster
		if r.IntN(2) == 0 { // -n must not matter
			q.args = append(q.args, "-n", pick(r, namespaces...))
		}
	case r.IntN(2) == 0:
		q.scope = v1alpha1.ScopeAllNamespaces
		q.args = append(q.args, "-A")
	default:
		q.scope = v1alpha1.ScopeNamespace
		q.ns = pick(r, append([]string{"default", "kube-system", "nowhere"}, namespaces...)...)
		q.args = append(q.args, "-n", q.ns)
	}
	return q
}

func (q *query) sar(id identity, ns string) authzv1.SubjectAccessReviewSpec {
	spec := authzv1.SubjectAccessReviewSpec{User: id.user}
	if id.group != "" {
		spec.Groups = []string{id.group}
	}
	if q.resource == nil {
		spec.NonResourceAttributes = &authzv1.NonResourceAttributes{Verb: q.verb, Path: q.path}
		return spec
	}
	spec.ResourceAttributes = &authzv1.ResourceAttributes{Namespace: ns, Verb: q.verb, Group: q.resource.group,
		Resource: q.resource.resource, Subresource: q.sub, Name: q.name}
	return spec
}

type diffStats struct {
	queries, checks, sars, allowed, mismatches, pluginRuns atomic.Int64
}

// truth asks the API server, as each candidate alone, whether q is allowed.
func truth(ctx context.Context, c kubernetes.Interface, q *query, cs *candidates, st *diffStats) (map[identity]bool, error) {
	var mu sync.Mutex
	allowed := map[identity]bool{}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, id := range cs.ids {
		g.Go(func() error {
			namespaces := []string{q.ns}
			if q.scope == v1alpha1.ScopeAllNamespaces {
				namespaces = append([]string{""}, cs.rbNamespaces[id]...)
			}
			for _, ns := range namespaces {
				st.sars.Add(1)
				r, err := c.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: q.sar(id, ns)}, metav1.CreateOptions{})
				if err != nil {
					return fmt.Errorf("SubjectAccessReview as %s: %w", id, err)
				}
				if r.Status.Allowed {
					mu.Lock()
					allowed[id] = true
					mu.Unlock()
					return nil
				}
			}
			return nil
		})
	}
	return allowed, g.Wait()
}

func dumpRBAC(t *testing.T, kubeconfig, path string) {
	t.Helper()
	dumpObjects(t, kubeconfig, path, "clusterroles,clusterrolebindings,roles,rolebindings,customresourcedefinitions", "-A")
}

// dumpObjects writes what `kubectl get ARGS -o yaml` prints to path.
func dumpObjects(t *testing.T, kubeconfig, path string, args ...string) {
	t.Helper()
	out, err := exec.Command("kubectl", append(append([]string{"--kubeconfig", kubeconfig, "get"}, args...), "-o", "yaml")...).Output()
	if err != nil {
		t.Fatalf("kubectl get %s -o yaml: %v", strings.Join(args, " "), err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWhoCanAgreesWithSubjectAccessReview generates RBAC scenarios, applies them to
// the real API server, and for many random queries requires that the subjects who-can
// lists, live and offline (from a kubectl get -o yaml dump), are exactly those for
// which SubjectAccessReview, asked as that subject alone, says allowed.
func TestWhoCanAgreesWithSubjectAccessReview(t *testing.T) {
	ctx := t.Context()
	const rounds, queriesPerRound = 3, 120
	seed := uint64(20261123)
	if s := os.Getenv("EKSIAM_DIFF_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (set EKSIAM_DIFF_SEED to replay)", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	// A control plane of its own: the scenarios grant far and wide.
	cl, err := startCluster(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.stop)
	ensureWidgetsCRD(ctx, t, cl)

	cacheDir := t.TempDir()
	st := &diffStats{}
	var reported atomic.Int64
	var allNamespaces []string
	for round := range rounds {
		prefix := fmt.Sprintf("d%d", round)
		sc := genScenario(r, prefix)
		sc.apply(ctx, t, cl.client, prefix)
		allNamespaces = append(allNamespaces, sc.namespaces...)
		dump := filepath.Join(t.TempDir(), "rbac.yaml")
		dumpRBAC(t, cl.kubeconfig, dump)
		cs := listCandidates(ctx, t, cl.client)

		queries := make([]query, queriesPerRound)
		for i := range queries {
			queries[i] = genQuery(r, allNamespaces)
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(2)
		for i := range queries {
			q := &queries[i]
			g.Go(func() error {
				mismatch := func(format string, args ...any) {
					st.mismatches.Add(1)
					if reported.Add(1) <= 25 {
						t.Errorf("kubectl eksiam %s: %s", strings.Join(q.args, " "), fmt.Sprintf(format, args...))
					}
				}
				st.queries.Add(1)
				// RBAC only: the IAM view has its own tests.
				live := inProcess(gctx, cl.kubeconfig, cacheDir, append(slices.Clone(q.args), "-o", "json", "--iam=false")...)
				offline := inProcess(gctx, cl.kubeconfig, cacheDir, append(slices.Clone(q.args), "-o", "json", "--iam=false", "-f", dump)...)
				var liveReport, offlineReport v1alpha1.WhoCanReport
				for _, x := range []struct {
					name   string
					res    result
					report *v1alpha1.WhoCanReport
				}{{"live", live, &liveReport}, {"offline", offline, &offlineReport}} {
					if x.res.code != 0 {
						mismatch("%s run failed: %s", x.name, x.res)
						return nil
					}
					if err := json.Unmarshal([]byte(x.res.stdout), x.report); err != nil {
						mismatch("%s output is not a report: %v", x.name, err)
						return nil
					}
				}
				// The query must resolve as kubectl would.
				gotQ := liveReport.Query
				if gotQ.Scope != q.scope || gotQ.Namespace != q.ns {
					mismatch("scope %s/%q, want %s/%q", gotQ.Scope, gotQ.Namespace, q.scope, q.ns)
				}
				if q.resource != nil && (gotQ.Resource == nil || gotQ.Resource.Group != q.resource.group ||
					gotQ.Resource.Resource != q.resource.resource || gotQ.Resource.Namespaced != q.resource.namespaced) {
					mismatch("resolved to %+v, want %+v", gotQ.Resource, *q.resource)
				}
				if d := cmp.Diff(liveReport, offlineReport); d != "" {
					mismatch("live and offline reports differ (-live +offline):\n%s", d)
				}
				// Now the truth, from the API server.
				want, err := truth(gctx, cl.client, q, cs, st)
				if err != nil {
					return err
				}
				got := map[identity]bool{}
				for _, s := range liveReport.Subjects {
					got[identityOfRow(s)] = true
				}
				for _, id := range cs.ids {
					st.checks.Add(1)
					if want[id] {
						st.allowed.Add(1)
					}
					if got[id] != want[id] {
						mismatch("%s: who-can says allowed=%v, SubjectAccessReview says %v", id, got[id], want[id])
					}
				}
				for id := range got {
					if !slices.Contains(cs.ids, id) {
						mismatch("lists %s, which no binding names", id)
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}

		// A sample through the real binary, as `kubectl eksiam`: same bytes as in-process.
		for i := 0; i < len(queries); i += 20 {
			q := queries[i]
			args := append(slices.Clone(q.args), "-o", "json", "--iam=false")
			want := inProcess(ctx, cl.kubeconfig, cacheDir, args...)
			got := plugin(t, cl.kubeconfig, nil, args...)
			st.pluginRuns.Add(1)
			if got.code != want.code || got.stdout != want.stdout {
				t.Errorf("kubectl eksiam %s: the plugin binary and the in-process command disagree:\nplugin: %s\nin-process: %s", strings.Join(args, " "), got, want)
			}
		}
		t.Logf("round %d: %d candidate subjects, %d of them named by RoleBindings", round, len(cs.ids), len(cs.rbNamespaces))
	}
	t.Logf("differential: %d queries (each live and offline), %d subject checks (%d allowed), %d SubjectAccessReviews, %d plugin runs, %d mismatches",
		st.queries.Load(), st.checks.Load(), st.allowed.Load(), st.sars.Load(), st.pluginRuns.Load(), st.mismatches.Load())
	if st.allowed.Load() == 0 || st.allowed.Load() == st.checks.Load() {
		t.Errorf("degenerate scenario: %d of %d checks allowed", st.allowed.Load(), st.checks.Load())
	}
}
