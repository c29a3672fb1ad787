package source

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/pager"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/harden"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// HardenScope says which namespaces `sa harden` looks at.
type HardenScope struct {
	// Namespace to audit; "" audits every namespace.
	Namespace string
	// Exclude are namespaces left out.
	Exclude  []string
	PageSize int64
}

func (s HardenScope) includes(ns string) bool {
	return (s.Namespace == "" || ns == s.Namespace) && !slices.Contains(s.Exclude, ns)
}

// HardenCollector builds the audit's input from objects as they arrive, one at a
// time (pages of a LIST, or objects from files), keeping only what the audit needs:
// pods are reduced to those that run as the default service account, workloads to
// those whose template does, Secrets to their names.
type HardenCollector struct {
	scope      HardenScope
	mu         sync.Mutex
	in         harden.Input
	namespaces map[string]bool
	bootstrap  map[string]bool
}

// NewHardenCollector starts an empty input for scope.
func NewHardenCollector(scope HardenScope) *HardenCollector {
	return &HardenCollector{scope: scope, namespaces: map[string]bool{}, bootstrap: map[string]bool{},
		in: harden.Input{Owners: map[string]harden.Ref{}}}
}

// Input returns the collected input, with the RBAC snapshot given.
func (c *HardenCollector) Input(snap *rbac.Snapshot) *harden.Input {
	c.mu.Lock()
	defer c.mu.Unlock()
	in := c.in
	in.Namespaces = sortedNames(c.namespaces)
	in.RBAC = snap
	in.BootstrapBindings = map[string]bool{}
	for _, b := range snap.ClusterRoleBindings {
		if isBootstrap(b.Labels) {
			in.BootstrapBindings["ClusterRoleBinding//"+b.Name] = true
		}
	}
	for _, b := range snap.RoleBindings {
		if isBootstrap(b.Labels) {
			in.BootstrapBindings["RoleBinding/"+b.Namespace+"/"+b.Name] = true
		}
	}
	slices.SortFunc(in.ServiceAccounts, func(a, b harden.ServiceAccount) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	slices.SortFunc(in.Pods, func(a, b harden.Pod) int { return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name) })
	slices.SortFunc(in.Workloads, func(a, b harden.Workload) int {
		return strings.Compare(a.Namespace+"/"+a.Kind+"/"+a.Name, b.Namespace+"/"+b.Kind+"/"+b.Name)
	})
	slices.SortFunc(in.TokenSecrets, func(a, b harden.TokenSecret) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return &in
}

func isBootstrap(labels map[string]string) bool {
	return labels["kubernetes.io/bootstrapping"] == "rbac-defaults"
}

func sortedNames(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Namespace records a namespace (in scope or not).
func (c *HardenCollector) Namespace(name string) {
	if !c.scope.includes(name) {
		return
	}
	c.mu.Lock()
	c.namespaces[name] = true
	c.mu.Unlock()
}

// ServiceAccount records a service account: every default one, every one with an
// IRSA annotation, and kube-system/aws-node.
func (c *HardenCollector) ServiceAccount(sa *corev1.ServiceAccount) {
	if !c.scope.includes(sa.Namespace) {
		return
	}
	s := harden.ServiceAccount{Namespace: sa.Namespace, Name: sa.Name, Automount: sa.AutomountServiceAccountToken, RoleARN: sa.Annotations[harden.IRSAAnnotation]}
	c.mu.Lock()
	defer c.mu.Unlock()
	if sa.Name == harden.DefaultServiceAccountName || s.RoleARN != "" {
		c.in.ServiceAccounts = append(c.in.ServiceAccounts, s)
	}
	if sa.Namespace == "kube-system" && sa.Name == "aws-node" {
		c.in.AWSNode = &s
	}
}

func usesDefaultSA(spec *corev1.PodSpec) bool {
	//nolint:staticcheck // DeprecatedServiceAccount is still honoured by the API server.
	name := cmpOr(spec.ServiceAccountName, spec.DeprecatedServiceAccount)
	return name == "" || name == harden.DefaultServiceAccountName
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func controllerOf(m metav1.Object) *harden.Ref {
	for _, o := range m.GetOwnerReferences() {
		if o.Controller != nil && *o.Controller {
			return &harden.Ref{Kind: o.Kind, Namespace: m.GetNamespace(), Name: o.Name}
		}
	}
	return nil
}

// tokenMounted reports whether a pod has a service account token volume: the
// projected kube-api-access-* volume, or a legacy token Secret volume.
func tokenMounted(p *corev1.Pod) bool {
	for _, v := range p.Spec.Volumes {
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.ServiceAccountToken != nil {
					return true
				}
			}
		}
		if v.Secret != nil && strings.HasPrefix(v.Name, "default-token-") {
			return true
		}
	}
	return false
}

// Pod records a pod if it runs as its namespace's default service account.
func (c *HardenCollector) Pod(p *corev1.Pod) {
	if !c.scope.includes(p.Namespace) || !usesDefaultSA(&p.Spec) {
		return
	}
	hp := harden.Pod{Namespace: p.Namespace, Name: p.Name, Automount: p.Spec.AutomountServiceAccountToken,
		Phase: string(p.Status.Phase), Owner: controllerOf(p), TokenMounted: tokenMounted(p)}
	c.mu.Lock()
	c.in.Pods = append(c.in.Pods, hp)
	c.mu.Unlock()
}

// Workload records a pod controller: its owner (for ReplicaSets and Jobs) and,
// if its template uses the default service account, the workload.
func (c *HardenCollector) Workload(kind string, m metav1.Object, template *corev1.PodTemplateSpec) {
	if !c.scope.includes(m.GetNamespace()) {
		return
	}
	owner := controllerOf(m)
	c.mu.Lock()
	defer c.mu.Unlock()
	if owner != nil && (kind == "ReplicaSet" || kind == "Job") {
		c.in.Owners[kind+"/"+m.GetNamespace()+"/"+m.GetName()] = *owner
	}
	if kind == "ReplicaSet" || !usesDefaultSA(&template.Spec) {
		return // a ReplicaSet's template is its Deployment's
	}
	c.in.Workloads = append(c.in.Workloads, harden.Workload{Ref: harden.Ref{Kind: kind, Namespace: m.GetNamespace(), Name: m.GetName()},
		Automount: template.Spec.AutomountServiceAccountToken, Owner: owner})
}

// TokenSecret records a legacy service account token Secret by name; nothing else of
// it is kept, and its data is never read.
func (c *HardenCollector) TokenSecret(m metav1.Object, typ string) {
	if !c.scope.includes(m.GetNamespace()) || typ != string(corev1.SecretTypeServiceAccountToken) {
		return
	}
	c.mu.Lock()
	c.in.TokenSecrets = append(c.in.TokenSecrets, harden.TokenSecret{Namespace: m.GetNamespace(), Name: m.GetName(),
		ServiceAccount: m.GetAnnotations()[corev1.ServiceAccountNameKey]})
	c.mu.Unlock()
}

// HardenClients are the clients the live audit reads with.
type HardenClients struct {
	Kube     kube.Interface
	Metadata metadata.Interface
	// PodIdentity, when set, is fed the same objects as they arrive (one LIST of
	// each kind for both), and the kinds only it needs (nodes, replication
	// controllers, the Pod Identity agent) are read too.
	PodIdentity *PodIdentityCollector
}

// ReadHarden reads everything `sa harden` audits in scope, with one paged LIST per
// kind (all at once), feeding each item to the collector as its page arrives. Any
// failed LIST fails the whole read with a *ReadError naming each.
func ReadHarden(ctx context.Context, c HardenClients, scope HardenScope) (*harden.Input, error) {
	col := NewHardenCollector(scope)
	ns := scope.Namespace
	pageSize := scope.PageSize
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []ReadFailure
		snap     *rbac.Snapshot
	)
	fail := func(what string, err error) {
		mu.Lock()
		failures = append(failures, ReadFailure{What: what, Err: err})
		mu.Unlock()
	}
	where := ""
	if ns != "" {
		where = " in namespace " + ns
	}
	list := func(what string, fn pager.ListPageFunc, opts metav1.ListOptions, each func(runtime.Object)) {
		wg.Go(func() {
			p := pager.New(fn)
			p.PageSize = pageSize
			if err := p.EachListItem(ctx, opts, func(o runtime.Object) error { each(o); return nil }); err != nil {
				fail(what, err)
			}
		})
	}
	k := c.Kube
	pi := c.PodIdentity
	if ns == "" {
		list("namespaces", pageFunc(k.CoreV1().Namespaces().List), metav1.ListOptions{}, func(o runtime.Object) {
			col.Namespace(o.(*corev1.Namespace).Name)
			if pi != nil {
				pi.Namespace(o.(*corev1.Namespace).Name)
			}
		})
	} else {
		wg.Go(func() {
			if _, err := k.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
				fail("namespace "+ns, err)
				return
			}
			col.Namespace(ns)
			if pi != nil {
				pi.Namespace(ns)
			}
		})
	}
	workload := func(kind string, m metav1.Object, t *corev1.PodTemplateSpec) {
		col.Workload(kind, m, t)
		if pi != nil {
			pi.Workload(kind, m, t)
		}
	}
	list("serviceaccounts"+where, pageFunc(k.CoreV1().ServiceAccounts(ns).List), metav1.ListOptions{}, func(o runtime.Object) {
		col.ServiceAccount(o.(*corev1.ServiceAccount))
		if pi != nil {
			pi.ServiceAccount(o.(*corev1.ServiceAccount))
		}
	})
	list("pods"+where, pageFunc(k.CoreV1().Pods(ns).List), metav1.ListOptions{}, func(o runtime.Object) {
		col.Pod(o.(*corev1.Pod))
		if pi != nil {
			pi.Pod(o.(*corev1.Pod))
		}
	})
	list("deployments"+where, pageFunc(k.AppsV1().Deployments(ns).List), metav1.ListOptions{}, func(o runtime.Object) {
		d := o.(*appsv1.Deployment)
		workload("Deployment", d, &d.Spec.Template)
	})
	list("statefulsets"+where, pageFunc(k.AppsV1().StatefulSets(ns).List), metav1.ListOptions{}, func(o runtime.Object) {
		d := o.(*appsv1.StatefulSet)
		workload("StatefulSet", d, &d.Spec.Template)
	})
	list("daemonsets"+where, pageFunc(k.AppsV1().DaemonSets(ns).List), metav1.ListOptions{}, func(o runtime.Object) {
		d := o.(*appsv1.DaemonSet)
		workload("DaemonSet", d, &d.Spec.Template)
		if pi != nil {
			pi.DaemonSet(d)
		}
	})
	list("replicasets"+where, pageFunc(k.AppsV1().ReplicaSets(ns).List), metav1.ListOptions{}, func(o runtime.Object) {
		d := o.(*appsv1.ReplicaSet)
		workload("ReplicaSet", d, &d.Spec.Template)
	})
	list("jobs"+where, pageFunc(k.BatchV1().Jobs(ns).List), metav1.ListOptions{}, func(o runtime.Object) {
		d := o.(*batchv1.Job)
		workload("Job", d, &d.Spec.Template)
	})
	list("cronjobs"+where, pageFunc(k.BatchV1().CronJobs(ns).List), metav1.ListOptions{}, func(o runtime.Object) {
		d := o.(*batchv1.CronJob)
		workload("CronJob", d, &d.Spec.JobTemplate.Spec.Template)
	})
	if pi != nil {
		list("nodes", pageFunc(k.CoreV1().Nodes().List), metav1.ListOptions{}, func(o runtime.Object) { pi.Node(o.(*corev1.Node)) })
		list("replicationcontrollers"+where, pageFunc(k.CoreV1().ReplicationControllers(ns).List), metav1.ListOptions{}, func(o runtime.Object) {
			if d := o.(*corev1.ReplicationController); d.Spec.Template != nil {
				pi.Workload("ReplicationController", d, d.Spec.Template)
			}
		})
		if ns != "" && ns != podidentity.AgentNamespace {
			wg.Go(func() {
				if _, err := k.AppsV1().DaemonSets(podidentity.AgentNamespace).Get(ctx, podidentity.AgentName, metav1.GetOptions{}); err == nil {
					pi.DaemonSet(&metav1.ObjectMeta{Namespace: podidentity.AgentNamespace, Name: podidentity.AgentName})
				} else if !isNotFound(err) {
					fail("daemonset "+podidentity.AgentNamespace+"/"+podidentity.AgentName, err)
				}
			})
		}
	}
	// Secrets: names only, through the metadata API, filtered by type on the server.
	secrets := c.Metadata.Resource(schema.GroupVersionResource{Version: "v1", Resource: "secrets"})
	list("secrets of type kubernetes.io/service-account-token"+where, func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		if ns == "" {
			return secrets.List(ctx, opts)
		}
		return secrets.Namespace(ns).List(ctx, opts)
	}, metav1.ListOptions{FieldSelector: "type=" + string(corev1.SecretTypeServiceAccountToken)}, func(o runtime.Object) {
		m := o.(*metav1.PartialObjectMetadata)
		col.TokenSecret(m, string(corev1.SecretTypeServiceAccountToken))
	})
	wg.Go(func() {
		s, err := ReadRBAC(ctx, k.RbacV1(), RBACScope{Namespaced: true, Namespace: ns, PageSize: pageSize})
		if err != nil {
			var re *ReadError
			if errors.As(err, &re) {
				mu.Lock()
				failures = append(failures, re.Failures...)
				mu.Unlock()
				return
			}
			fail("RBAC", err)
			return
		}
		snap = s
	})
	wg.Wait()
	if len(failures) > 0 {
		slices.SortFunc(failures, func(a, b ReadFailure) int { return strings.Compare(a.What, b.What) })
		return nil, &ReadError{Failures: failures, Subject: "the cluster"}
	}
	return col.Input(snap), nil
}

// Visit feeds one object read from a file to the collector (kinds it does not use
// are skipped). Namespaces come from Namespace objects and from every namespaced
// object seen.
func (c *HardenCollector) Visit(u *unstructured.Unstructured) error {
	gvk := u.GroupVersionKind()
	if ns := u.GetNamespace(); ns != "" {
		c.Namespace(ns)
	}
	switch gvk.GroupKind() {
	case schema.GroupKind{Kind: "Namespace"}:
		c.Namespace(u.GetName())
	case schema.GroupKind{Kind: "ServiceAccount"}:
		return convertTo(u, c.ServiceAccount)
	case schema.GroupKind{Kind: "Pod"}:
		return convertTo(u, c.Pod)
	case schema.GroupKind{Kind: "Secret"}:
		// Only the type and the metadata: the data is never converted or kept.
		typ, _, _ := unstructured.NestedString(u.Object, "type")
		c.TokenSecret(u, typ)
	default:
		// The live read lists no ReplicationControllers: neither does this one.
		return visitWorkload(u, func(kind string, m metav1.Object, t *corev1.PodTemplateSpec) {
			if kind != "ReplicationController" {
				c.Workload(kind, m, t)
			}
		})
	}
	return nil
}

// convertTo converts u into a T and hands it to fn.
func convertTo[T any](u *unstructured.Unstructured, fn func(*T)) error {
	var o T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.UnstructuredContent(), &o); err != nil {
		return err
	}
	fn(&o)
	return nil
}

// visitWorkload converts u when it is a pod-creating workload (Deployment,
// StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob) and hands
// its kind, metadata and pod template to fn; other kinds are left alone.
func visitWorkload(u *unstructured.Unstructured, fn func(kind string, m metav1.Object, template *corev1.PodTemplateSpec)) error {
	type workload struct {
		obj      metav1.Object
		template func() *corev1.PodTemplateSpec
	}
	var w workload
	switch u.GroupVersionKind().GroupKind() {
	case schema.GroupKind{Group: "apps", Kind: "Deployment"}:
		o := &appsv1.Deployment{}
		w = workload{o, func() *corev1.PodTemplateSpec { return &o.Spec.Template }}
	case schema.GroupKind{Group: "apps", Kind: "StatefulSet"}:
		o := &appsv1.StatefulSet{}
		w = workload{o, func() *corev1.PodTemplateSpec { return &o.Spec.Template }}
	case schema.GroupKind{Group: "apps", Kind: "DaemonSet"}:
		o := &appsv1.DaemonSet{}
		w = workload{o, func() *corev1.PodTemplateSpec { return &o.Spec.Template }}
	case schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}:
		o := &appsv1.ReplicaSet{}
		w = workload{o, func() *corev1.PodTemplateSpec { return &o.Spec.Template }}
	case schema.GroupKind{Kind: "ReplicationController"}:
		o := &corev1.ReplicationController{}
		w = workload{o, func() *corev1.PodTemplateSpec { return o.Spec.Template }}
	case schema.GroupKind{Group: "batch", Kind: "Job"}:
		o := &batchv1.Job{}
		w = workload{o, func() *corev1.PodTemplateSpec { return &o.Spec.Template }}
	case schema.GroupKind{Group: "batch", Kind: "CronJob"}:
		o := &batchv1.CronJob{}
		w = workload{o, func() *corev1.PodTemplateSpec { return &o.Spec.JobTemplate.Spec.Template }}
	default:
		return nil
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.UnstructuredContent(), w.obj); err != nil {
		return err
	}
	if t := w.template(); t != nil {
		fn(u.GetKind(), w.obj, t)
	}
	return nil
}
