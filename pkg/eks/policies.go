package eks

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// PolicyModelVersion names the edition of the access policy table below. Its source is
// the EKS user guide page "Review access policy permissions": access-policy-reference.adoc
// under latest/ug/manage-access/k8s-access/ in github.com/awsdocs/amazon-eks-user-guide,
// published at https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html.
// The edition read (file version 145543a9) has a change log whose latest entry is dated
// 2025-11-06 (AmazonEKSSecretReaderPolicy added). The rule tables of the five
// user-facing policies and of AmazonEKSHybridPolicy were also compared, row by row and
// by program, with the 2024-12-18 edition (commit 4d52b4d0), and they are the same.
//
// The rules of a policy are modelled only where that page gives them as a table. The
// page gives only a prose summary for the Auto Mode and other service policies. EKS
// lists more policies than the page describes (its list-access-policies sample names
// AmazonAIOpsAssistantPolicy and AmazonARCRegionSwitchScalingPolicy), and AWS
// publishes others elsewhere (EMR on EKS, SageMaker HyperPod, the EKS capabilities
// ACK, kro and Argo CD). None of those is modelled: they are known, listed, and their
// access is not counted. A policy that is not in the table at all is unknown to this
// package.
const PolicyModelVersion = "eks-access-policies/2025-11-06"

// PolicyARNPrefix is the prefix of every AWS managed access policy ARN (partition aws).
const PolicyARNPrefix = "arn:aws:eks::aws:cluster-access-policy/"

// Policy is one access policy and what it allows.
type Policy struct {
	Name string
	// Modelled is false for the policies whose rules AWS describes only in prose
	// (Auto Mode and other service policies) or not at all. They are shown, but their
	// access is never counted.
	Modelled bool
	Rules    []rbacv1.PolicyRule
	// About is a short summary in this project's own words.
	About string
}

// PolicyName returns the name of an access policy ARN (any partition).
func PolicyName(arn string) string {
	if i := strings.Index(arn, ":cluster-access-policy/"); i >= 0 {
		return arn[i+len(":cluster-access-policy/"):]
	}
	return arn
}

// rule builds a resource rule from space-separated lists. An empty groups string is
// the core API group ("").
func rule(groups, resources, verbs string) rbacv1.PolicyRule {
	split := func(s string) []string {
		if s == "" {
			return []string{""}
		}
		return strings.Split(s, " ")
	}
	return rbacv1.PolicyRule{APIGroups: split(groups), Resources: split(resources), Verbs: split(verbs)}
}

// Verb sets that recur in the tables.
const (
	write = "create delete deletecollection patch update"
	read  = "get list watch"
)

// Resource lists that recur in the tables.
const (
	appsWrite       = "daemonsets deployments deployments/rollback deployments/scale replicasets replicasets/scale statefulsets statefulsets/scale"
	appsRead        = "controllerrevisions daemonsets daemonsets/status deployments deployments/scale deployments/status replicasets replicasets/scale replicasets/status statefulsets statefulsets/scale statefulsets/status"
	extensionsWrite = "daemonsets deployments deployments/rollback deployments/scale ingresses networkpolicies replicasets replicasets/scale replicationcontrollers/scale"
	extensionsRead  = "daemonsets daemonsets/status deployments deployments/scale deployments/status ingresses ingresses/status networkpolicies replicasets replicasets/scale replicasets/status replicationcontrollers/scale"
	coreRead        = "configmaps endpoints persistentvolumeclaims persistentvolumeclaims/status pods replicationcontrollers replicationcontrollers/scale serviceaccounts services services/status"
	coreReadMore    = "bindings events limitranges namespaces/status pods/log pods/status replicationcontrollers/status resourcequotas resourcequotas/status"
	coreReadPrivate = "pods/attach pods/exec pods/portforward pods/proxy secrets services/proxy"
	coreWrite       = "configmaps events persistentvolumeclaims replicationcontrollers replicationcontrollers/scale secrets serviceaccounts services services/proxy"
	podsWrite       = "pods pods/attach pods/exec pods/portforward pods/proxy"
)

// adminRules: AmazonEKSAdminPolicy.
// Source: EKSUG access-policy-reference.adoc, section "AmazonEKSAdminPolicy" (anchor
// access-policy-permissions-amazoneksadminpolicy), 22 rows, kept in the page's order.
// These are the AmazonEKSEditPolicy rows plus local subject access reviews and full
// control of namespaced Roles and RoleBindings.
func adminRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule("apps", appsWrite, write),
		rule("apps", appsRead, read),
		rule("authorization.k8s.io", "localsubjectaccessreviews", "create"),
		rule("autoscaling", "horizontalpodautoscalers", write),
		rule("autoscaling", "horizontalpodautoscalers horizontalpodautoscalers/status", read),
		rule("batch", "cronjobs jobs", write),
		rule("batch", "cronjobs cronjobs/status jobs jobs/status", read),
		rule("discovery.k8s.io", "endpointslices", read),
		rule("extensions", extensionsWrite, write),
		rule("extensions", extensionsRead, read),
		rule("networking.k8s.io", "ingresses ingresses/status networkpolicies", read),
		rule("networking.k8s.io", "ingresses networkpolicies", write),
		rule("policy", "poddisruptionbudgets", write),
		rule("policy", "poddisruptionbudgets poddisruptionbudgets/status", read),
		rule("rbac.authorization.k8s.io", "rolebindings roles", "create delete deletecollection get list patch update watch"),
		rule("", coreRead, read),
		rule("", coreReadPrivate, read),
		rule("", coreWrite, write),
		rule("", podsWrite, write),
		rule("", "serviceaccounts", "impersonate"),
		rule("", coreReadMore, read),
		rule("", "namespaces", read),
	}
}

// editRules: AmazonEKSEditPolicy.
// Source: EKSUG access-policy-reference.adoc, section "AmazonEKSEditPolicy" (anchor
// access-policy-permissions-amazonekseditpolicy), 20 rows, kept in the page's order.
func editRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule("apps", appsWrite, write),
		rule("apps", appsRead, read),
		rule("autoscaling", "horizontalpodautoscalers horizontalpodautoscalers/status", read),
		rule("autoscaling", "horizontalpodautoscalers", write),
		rule("batch", "cronjobs jobs", write),
		rule("batch", "cronjobs cronjobs/status jobs jobs/status", read),
		rule("discovery.k8s.io", "endpointslices", read),
		rule("extensions", extensionsWrite, write),
		rule("extensions", extensionsRead, read),
		rule("networking.k8s.io", "ingresses networkpolicies", write),
		rule("networking.k8s.io", "ingresses ingresses/status networkpolicies", read),
		rule("policy", "poddisruptionbudgets", write),
		rule("policy", "poddisruptionbudgets poddisruptionbudgets/status", read),
		rule("", "namespaces", read),
		rule("", coreReadPrivate, read),
		rule("", "serviceaccounts", "impersonate"),
		rule("", podsWrite, write),
		rule("", coreWrite, write),
		rule("", coreRead, read),
		rule("", coreReadMore, read),
	}
}

// viewRules: AmazonEKSViewPolicy.
// Source: EKSUG access-policy-reference.adoc, section "AmazonEKSViewPolicy" (anchor
// access-policy-permissions-amazoneksviewpolicy.json), 10 rows, kept in the page's
// order. No Secrets, and no pods/exec, pods/attach or proxies.
func viewRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule("apps", appsRead, read),
		rule("autoscaling", "horizontalpodautoscalers horizontalpodautoscalers/status", read),
		rule("batch", "cronjobs cronjobs/status jobs jobs/status", read),
		rule("discovery.k8s.io", "endpointslices", read),
		rule("extensions", extensionsRead, read),
		rule("networking.k8s.io", "ingresses ingresses/status networkpolicies", read),
		rule("policy", "poddisruptionbudgets poddisruptionbudgets/status", read),
		rule("", coreRead, read),
		rule("", coreReadMore, read),
		rule("", "namespaces", read),
	}
}

// serviceLinkedOnly is added to the About of the policies that the page reserves for
// AWS service-linked roles.
const serviceLinkedOnly = "; for AWS service-linked roles only"

// Policies returns the access policy table, by name.
func Policies() map[string]Policy {
	out := map[string]Policy{
		// Source: EKSUG access-policy-reference.adoc, section "AmazonEKSClusterAdminPolicy"
		// (anchor access-policy-permissions-amazoneksclusteradminpolicy), 2 rows.
		"AmazonEKSClusterAdminPolicy": {Modelled: true, About: "every verb on every resource and non-resource URL (like cluster-admin)", Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
			{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}},
		}},
		"AmazonEKSAdminPolicy": {Modelled: true, About: "edit plus Roles and RoleBindings, usually scoped to namespaces (like admin)", Rules: adminRules()},
		// Source: EKSUG access-policy-reference.adoc, section "AmazonEKSAdminViewPolicy"
		// (anchor access-policy-permissions-amazoneksadminviewpolicy), 1 row.
		"AmazonEKSAdminViewPolicy": {Modelled: true, About: "read every resource, Secrets included", Rules: []rbacv1.PolicyRule{rule("*", "*", read)}},
		"AmazonEKSEditPolicy":      {Modelled: true, About: "change most namespaced workload resources, read Secrets, no RBAC (like edit)", Rules: editRules()},
		"AmazonEKSViewPolicy":      {Modelled: true, About: "read most namespaced resources, without Secrets (like view)", Rules: viewRules()},
		// Source: EKSUG access-policy-reference.adoc, section "AmazonEKSSecretReaderPolicy"
		// (no anchor; added 2025-11-06), 1 row.
		"AmazonEKSSecretReaderPolicy": {Modelled: true, About: "read Secrets only", Rules: []rbacv1.PolicyRule{rule("", "secrets", read)}},
		// Source: EKSUG access-policy-reference.adoc, section "AmazonEKSHybridPolicy" (anchor
		// access-policy-permissions-amazonekshybridpolicy), 1 row.
		"AmazonEKSHybridPolicy": {Modelled: true, About: "lets EKS list the nodes of a cluster with hybrid nodes" + serviceLinkedOnly, Rules: []rbacv1.PolicyRule{rule("*", "nodes", "list")}},
	}
	// Described on the page in prose only: not modelled.
	prose := map[string]string{
		"AmazonEKSAutoNodePolicy":             "Auto Mode node role: the permissions of the node components (kube-proxy, CNI, CoreDNS, EBS CSI, Neuron, node monitoring)",
		"AmazonEKSBlockStoragePolicy":         "Auto Mode cluster role: leader-election leases of the storage components" + serviceLinkedOnly,
		"AmazonEKSLoadBalancingPolicy":        "Auto Mode cluster role: leader-election leases of the load balancing components",
		"AmazonEKSNetworkingPolicy":           "Auto Mode cluster role: leader-election leases of the networking components",
		"AmazonEKSComputePolicy":              "Auto Mode cluster role: leader-election leases of the compute components, and read access to all leases" + serviceLinkedOnly,
		"AmazonEKSBlockStorageClusterPolicy":  "Auto Mode block storage: CSI drivers, volumes, attachments and snapshots" + serviceLinkedOnly,
		"AmazonEKSComputeClusterPolicy":       "Auto Mode compute: NodePools, NodeClaims and NodeClasses, node updates and deletion, pod eviction, some CRDs" + serviceLinkedOnly,
		"AmazonEKSLoadBalancingClusterPolicy": "Auto Mode load balancing: Services, Ingresses, TargetGroupBindings, some CRDs and webhook configurations",
		"AmazonEKSNetworkingClusterPolicy":    "Auto Mode networking: CNINodes, reading NodeClasses, NodeClaims and pods, some CRDs",
		"AmazonEKSClusterInsightsPolicy":      "Cluster Insights: reading nodes and the kube-proxy configuration" + serviceLinkedOnly,
	}
	for name, about := range prose {
		out[name] = Policy{About: about + " (the user guide describes its rules only in prose: not modelled)"}
	}
	// Named in the page's list-access-policies sample, not described.
	for _, name := range []string{"AmazonAIOpsAssistantPolicy", "AmazonARCRegionSwitchScalingPolicy"} {
		out[name] = Policy{About: "listed by EKS, but the user guide does not describe its rules: not modelled"}
	}
	// Published for other AWS services, with no rule table in the user guide: known, not
	// modelled. Sources: the AWS CLI reference's example for aws eks
	// list-access-policies (aws-cli awscli/examples/eks/list-access-policies.rst) for
	// EMR on EKS and SageMaker HyperPod; the EKS user guide's "Security considerations
	// for EKS Capabilities" ("Default access entry policies by capability") for the
	// capabilities, which describes them in one sentence each.
	others := map[string]string{
		"AmazonEMRJobPolicy":                           "Amazon EMR on EKS: running EMR jobs on the cluster",
		"AmazonSagemakerHyperpodClusterPolicy":         "Amazon SageMaker HyperPod: the HyperPod cluster's access",
		"AmazonSagemakerHyperpodControllerPolicy":      "Amazon SageMaker HyperPod: its controllers",
		"AmazonSagemakerHyperpodSystemNamespacePolicy": "Amazon SageMaker HyperPod: its system namespace",
		"AmazonEKSACKPolicy":                           "EKS capability ACK: create, read, update and delete ACK custom resources in every namespace (cluster scope)",
		"AmazonEKSKROPolicy":                           "EKS capability kro: manage ResourceGraphDefinitions and the instances of the resources they define (cluster scope)",
		"AmazonEKSArgoCDClusterPolicy":                 "EKS capability Argo CD: discover resources and manage cluster-scoped objects (cluster scope)",
		"AmazonEKSArgoCDPolicy":                        "EKS capability Argo CD: deploy and manage applications in its namespace (namespace scope, argocd by default)",
	}
	for name, about := range others {
		out[name] = Policy{About: about + " (published by AWS without a rule table: not modelled)"}
	}
	for name, p := range out {
		p.Name = name
		out[name] = p
	}
	return out
}

// Decision is what one association of an access policy says about one request.
type Decision struct {
	Allowed bool
	// Unverified, when not "", says why the association might allow the request in a
	// way the EKS user guide does not document (a namespace pattern that is not a
	// documented form). Such access is not counted: Allowed is false.
	Unverified string
}

// Decide says whether the policy, associated with scope s, allows request a: in
// a.Namespace, or with allNamespaces in at least one namespace the scope covers. A
// namespace scope never covers a cluster-level request (a cluster-scoped resource or a
// non-resource URL). A policy whose rules are not modelled allows nothing here. Only
// documented namespace patterns count (see Scope.Covers); where an undocumented one
// would be needed, the decision says so in Unverified.
func (p *Policy) Decide(s Scope, a *rbac.Attributes, allNamespaces bool) Decision {
	if !p.Modelled {
		return Decision{}
	}
	clusterLevel := !a.IsResourceRequest() || (a.Namespace == "" && !allNamespaces)
	if s.Type == ScopeNamespace && clusterLevel {
		return p.decideNamespaceObject(s, a)
	}
	if rbac.FirstAllowingRule(a, p.Rules) < 0 {
		return Decision{}
	}
	if Covers(s, a.Namespace, allNamespaces) {
		return Decision{Allowed: true}
	}
	if pat, ok := mightCover(s, a.Namespace, allNamespaces); ok {
		return Decision{Unverified: fmt.Sprintf("namespace pattern %q of %s is not a form the EKS user guide documents (an exact name, or a prefix ending in one '*'): how EKS matches it is unknown, so what it might allow is not counted", pat, p.Name)}
	}
	return Decision{}
}

// decideNamespaceObject decides a request for a namespace object itself (get
// namespaces/dev, and its subresources) under a namespace scope. Kubernetes gives such
// a request the namespace it names (the API server's request info: namespace = name
// for /api/v1/namespaces/NAME), which is why a RoleBinding in dev can grant get on
// namespace dev, and EKS's authorizer receives those attributes; the published
// namespace-scoped policies list namespaces among their resources. But how EKS
// matches a namespace scope against such a request is not documented: when the scope
// covers the namespace and the rules allow the request there, it is unverified, not
// counted. (A list or create of namespaces is cluster-wide, never covered.)
func (p *Policy) decideNamespaceObject(s Scope, a *rbac.Attributes) Decision {
	if !a.IsResourceRequest() || a.APIGroup != "" || a.Resource != "namespaces" || a.Name == "" || a.Namespace != "" {
		return Decision{}
	}
	in := *a
	in.Namespace = a.Name
	if rbac.FirstAllowingRule(&in, p.Rules) < 0 {
		return Decision{}
	}
	if _, maybe := mightCover(s, a.Name, false); !Covers(s, a.Name, false) && !maybe {
		return Decision{}
	}
	return Decision{Unverified: fmt.Sprintf("%s, associated with scope %s, might allow this request for the namespace object %q itself (Kubernetes attributes it to that namespace), but the EKS user guide does not document how a namespace scope applies to it: not counted", p.Name, s, a.Name)}
}

// Allows reports whether the policy, associated with scope s, allows request a (see
// Decide); unverified access is not allowed.
func (p *Policy) Allows(s Scope, a *rbac.Attributes, allNamespaces bool) bool {
	return p.Decide(s, a, allNamespaces).Allowed
}
