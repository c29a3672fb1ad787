package source

import (
	"context"
	"slices"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/pager"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
)

// PodIdentityCollector builds the Kubernetes part of a pod-identity input from
// objects as they arrive (pages of a LIST, or objects from files), keeping only what
// the answer needs: of a pod, its service account, node, hostNetwork and the AWS
// credential variables of its containers.
type PodIdentityCollector struct {
	namespace string // "" for all
	mu        sync.Mutex
	in        podidentity.Input
	ns        map[string]bool
}

// NewPodIdentityCollector starts an empty input for namespace ("" for all).
func NewPodIdentityCollector(namespace string) *PodIdentityCollector {
	return &PodIdentityCollector{namespace: namespace, ns: map[string]bool{},
		in: podidentity.Input{AllNamespaces: namespace == "", Namespace: namespace}}
}

func (c *PodIdentityCollector) inScope(ns string) bool { return c.namespace == "" || ns == c.namespace }

// Input returns the collected input, sorted.
func (c *PodIdentityCollector) Input() *podidentity.Input {
	c.mu.Lock()
	defer c.mu.Unlock()
	in := c.in
	in.Namespaces = sortedNames(c.ns)
	slices.SortFunc(in.ServiceAccounts, func(a, b podidentity.ServiceAccount) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	slices.SortFunc(in.Pods, func(a, b podidentity.Pod) int { return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name) })
	slices.SortFunc(in.Workloads, func(a, b podidentity.Workload) int {
		return strings.Compare(a.Namespace+"/"+a.Kind+"/"+a.Name, b.Namespace+"/"+b.Kind+"/"+b.Name)
	})
	slices.SortFunc(in.Nodes, func(a, b podidentity.Node) int { return strings.Compare(a.Name, b.Name) })
	return &in
}

// Namespace records an existing namespace.
func (c *PodIdentityCollector) Namespace(name string) {
	if !c.inScope(name) {
		return
	}
	c.mu.Lock()
	c.ns[name] = true
	c.mu.Unlock()
}

// ServiceAccount records a service account and its IRSA annotations.
func (c *PodIdentityCollector) ServiceAccount(sa *corev1.ServiceAccount) {
	if !c.inScope(sa.Namespace) {
		return
	}
	c.mu.Lock()
	c.in.ServiceAccounts = append(c.in.ServiceAccounts, podidentity.ServiceAccount{Namespace: sa.Namespace, Name: sa.Name,
		RoleARN: sa.Annotations[podidentity.RoleARNAnnotation], Audience: sa.Annotations[podidentity.AudienceAnnotation]})
	c.mu.Unlock()
}

// Pod records a pod, reduced.
func (c *PodIdentityCollector) Pod(p *corev1.Pod) {
	if !c.inScope(p.Namespace) {
		return
	}
	//nolint:staticcheck // DeprecatedServiceAccount is still honoured by the API server.
	sa := cmpOr(p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount)
	out := podidentity.Pod{Namespace: p.Namespace, Name: p.Name, ServiceAccount: cmpOr(sa, "default"), Node: p.Spec.NodeName,
		HostNetwork: p.Spec.HostNetwork, Phase: string(p.Status.Phase),
		Windows: p.Spec.NodeSelector["kubernetes.io/os"] == "windows" || p.Spec.NodeSelector["beta.kubernetes.io/os"] == "windows"}
	for _, list := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range list {
			out.Containers = append(out.Containers, containerOf(&list[i], p.Spec.SecurityContext))
		}
	}
	c.mu.Lock()
	c.in.Pods = append(c.in.Pods, out)
	c.mu.Unlock()
}

func containerOf(ct *corev1.Container, pod *corev1.PodSecurityContext) podidentity.Container {
	out := podidentity.Container{Name: ct.Name}
	if pod != nil {
		out.RunAsUser, out.RunAsNonRoot = pod.RunAsUser, pod.RunAsNonRoot
	}
	if sc := ct.SecurityContext; sc != nil {
		if sc.RunAsUser != nil {
			out.RunAsUser = sc.RunAsUser
		}
		if sc.RunAsNonRoot != nil {
			out.RunAsNonRoot = sc.RunAsNonRoot
		}
	}
	for _, e := range ct.Env {
		switch e.Name {
		case "AWS_ROLE_ARN":
			out.HasRoleARN, out.RoleARN = true, e.Value
		case "AWS_WEB_IDENTITY_TOKEN_FILE":
			out.WebIdentity = true
		case "AWS_CONTAINER_CREDENTIALS_FULL_URI":
			out.ContainerCredentials = true
		}
	}
	return out
}

// Workload records a pod-creating object and its template's service account. A
// ReplicaSet a Deployment controls, and a Job a CronJob controls, are left out: their
// controller is the workload.
func (c *PodIdentityCollector) Workload(kind string, m metav1.Object, template *corev1.PodTemplateSpec) {
	if !c.inScope(m.GetNamespace()) {
		return
	}
	if o := controllerOf(m); o != nil && ((kind == "ReplicaSet" && o.Kind == "Deployment") || (kind == "Job" && o.Kind == "CronJob")) {
		return
	}
	//nolint:staticcheck // DeprecatedServiceAccount is still honoured by the API server.
	sa := cmpOr(template.Spec.ServiceAccountName, template.Spec.DeprecatedServiceAccount)
	c.mu.Lock()
	c.in.Workloads = append(c.in.Workloads, podidentity.Workload{Ref: podidentity.Ref{Kind: kind, Namespace: m.GetNamespace(), Name: m.GetName()}, ServiceAccount: cmpOr(sa, "default")})
	c.mu.Unlock()
}

// Node records a node.
func (c *PodIdentityCollector) Node(n *corev1.Node) {
	c.mu.Lock()
	c.in.Nodes = append(c.in.Nodes, podidentity.Node{Name: n.Name, InstanceID: podidentity.InstanceIDFromProviderID(n.Spec.ProviderID),
		Fargate: n.Labels["eks.amazonaws.com/compute-type"] == "fargate"})
	c.mu.Unlock()
}

// DaemonSet records the Pod Identity agent when it is one.
func (c *PodIdentityCollector) DaemonSet(m metav1.Object) {
	if m.GetNamespace() == podidentity.AgentNamespace && m.GetName() == podidentity.AgentName {
		c.mu.Lock()
		c.in.PodIdentityAgent = true
		c.mu.Unlock()
	}
}

// InstanceIDs are the EC2 instance ids of the nodes, sorted.
func (c *PodIdentityCollector) InstanceIDs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, n := range c.in.Nodes {
		if n.InstanceID != "" && !slices.Contains(out, n.InstanceID) {
			out = append(out, n.InstanceID)
		}
	}
	slices.Sort(out)
	return out
}

// ReadPodIdentity reads what pod-identity needs with one paged LIST per kind, all at
// once, feeding each item to the collector as its page arrives: namespaces (or the
// one namespace), service accounts, pods, the pod-creating workloads, nodes, and the
// DaemonSets of kube-system (for the Pod Identity agent). Any failed LIST fails the
// read with a *ReadError naming each.
func ReadPodIdentity(ctx context.Context, k kube.Interface, namespace string, pageSize int64) (*PodIdentityCollector, error) {
	col := NewPodIdentityCollector(namespace)
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []ReadFailure
	)
	fail := func(what string, err error) {
		mu.Lock()
		failures = append(failures, ReadFailure{What: what, Err: err})
		mu.Unlock()
	}
	where := ""
	if namespace != "" {
		where = " in namespace " + namespace
	}
	list := func(what string, fn pager.ListPageFunc, each func(runtime.Object)) {
		wg.Go(func() {
			p := pager.New(fn)
			p.PageSize = pageSize
			if err := p.EachListItem(ctx, metav1.ListOptions{}, func(o runtime.Object) error { each(o); return nil }); err != nil {
				fail(what, err)
			}
		})
	}
	if namespace == "" {
		list("namespaces", pageFunc(k.CoreV1().Namespaces().List), func(o runtime.Object) { col.Namespace(o.(*corev1.Namespace).Name) })
	} else {
		wg.Go(func() {
			if _, err := k.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{}); err == nil {
				col.Namespace(namespace)
			} else if !isNotFound(err) {
				fail("namespace "+namespace, err)
			}
		})
	}
	list("serviceaccounts"+where, pageFunc(k.CoreV1().ServiceAccounts(namespace).List), func(o runtime.Object) { col.ServiceAccount(o.(*corev1.ServiceAccount)) })
	list("pods"+where, pageFunc(k.CoreV1().Pods(namespace).List), func(o runtime.Object) { col.Pod(o.(*corev1.Pod)) })
	list("nodes", pageFunc(k.CoreV1().Nodes().List), func(o runtime.Object) { col.Node(o.(*corev1.Node)) })
	list("deployments"+where, pageFunc(k.AppsV1().Deployments(namespace).List), func(o runtime.Object) {
		d := o.(*appsv1.Deployment)
		col.Workload("Deployment", d, &d.Spec.Template)
	})
	list("statefulsets"+where, pageFunc(k.AppsV1().StatefulSets(namespace).List), func(o runtime.Object) {
		d := o.(*appsv1.StatefulSet)
		col.Workload("StatefulSet", d, &d.Spec.Template)
	})
	list("daemonsets"+where, pageFunc(k.AppsV1().DaemonSets(namespace).List), func(o runtime.Object) {
		d := o.(*appsv1.DaemonSet)
		col.Workload("DaemonSet", d, &d.Spec.Template)
		col.DaemonSet(d)
	})
	if namespace != "" && namespace != podidentity.AgentNamespace {
		wg.Go(func() {
			if _, err := k.AppsV1().DaemonSets(podidentity.AgentNamespace).Get(ctx, podidentity.AgentName, metav1.GetOptions{}); err == nil {
				col.DaemonSet(&metav1.ObjectMeta{Namespace: podidentity.AgentNamespace, Name: podidentity.AgentName})
			} else if !isNotFound(err) {
				fail("daemonset "+podidentity.AgentNamespace+"/"+podidentity.AgentName, err)
			}
		})
	}
	list("replicasets"+where, pageFunc(k.AppsV1().ReplicaSets(namespace).List), func(o runtime.Object) {
		d := o.(*appsv1.ReplicaSet)
		col.Workload("ReplicaSet", d, &d.Spec.Template)
	})
	list("jobs"+where, pageFunc(k.BatchV1().Jobs(namespace).List), func(o runtime.Object) {
		d := o.(*batchv1.Job)
		col.Workload("Job", d, &d.Spec.Template)
	})
	list("cronjobs"+where, pageFunc(k.BatchV1().CronJobs(namespace).List), func(o runtime.Object) {
		d := o.(*batchv1.CronJob)
		col.Workload("CronJob", d, &d.Spec.JobTemplate.Spec.Template)
	})
	list("replicationcontrollers"+where, pageFunc(k.CoreV1().ReplicationControllers(namespace).List), func(o runtime.Object) {
		d := o.(*corev1.ReplicationController)
		if d.Spec.Template != nil {
			col.Workload("ReplicationController", d, d.Spec.Template)
		}
	})
	wg.Wait()
	if len(failures) > 0 {
		slices.SortFunc(failures, func(a, b ReadFailure) int { return strings.Compare(a.What, b.What) })
		return nil, &ReadError{Failures: failures, Subject: "the cluster"}
	}
	return col, nil
}

// Visit feeds one object read from a file to the collector.
func (c *PodIdentityCollector) Visit(u *unstructured.Unstructured) error {
	if ns := u.GetNamespace(); ns != "" {
		c.Namespace(ns)
	}
	switch u.GroupVersionKind().GroupKind() {
	case schema.GroupKind{Kind: "Namespace"}:
		c.Namespace(u.GetName())
	case schema.GroupKind{Kind: "ServiceAccount"}:
		return convertTo(u, c.ServiceAccount)
	case schema.GroupKind{Kind: "Pod"}:
		return convertTo(u, c.Pod)
	case schema.GroupKind{Kind: "Node"}:
		return convertTo(u, c.Node)
	default:
		return visitWorkload(u, func(kind string, m metav1.Object, t *corev1.PodTemplateSpec) {
			c.Workload(kind, m, t)
			if kind == "DaemonSet" {
				c.DaemonSet(m)
			}
		})
	}
	return nil
}

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }
