package eks

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// PolicyModelVersion names the edition of the access policy table below: the EKS user
// guide's "Review access policy permissions" page (access-policy-reference.adoc in
// github.com/awsdocs/amazon-eks-user-guide), whose change log ends with the policies
// added on 2024-12-02 (hybrid nodes and Auto Mode).
const PolicyModelVersion = "eks-access-policies/2024-12-02"

// PolicyARNPrefix is the prefix of every AWS managed access policy ARN (partition aws).
const PolicyARNPrefix = "arn:aws:eks::aws:cluster-access-policy/"

// Policy is one access policy and what it allows.
type Policy struct {
	Name string
	// Modelled is false for the policies whose rules AWS describes only in prose
	// (Auto Mode and other system policies): they are shown, never counted as access.
	Modelled bool
	Rules    []rbacv1.PolicyRule
	// About is the user guide's summary.
	About string
}

// PolicyName returns the name of an access policy ARN (any partition).
func PolicyName(arn string) string {
	if i := strings.Index(arn, ":cluster-access-policy/"); i >= 0 {
		return arn[i+len(":cluster-access-policy/"):]
	}
	return arn
}

func rule(groups, resources, verbs string) rbacv1.PolicyRule {
	split := func(s string) []string {
		if s == "" {
			return []string{""}
		}
		return strings.Split(s, " ")
	}
	return rbacv1.PolicyRule{APIGroups: split(groups), Resources: split(resources), Verbs: split(verbs)}
}

const (
	write = "create delete deletecollection patch update"
	read  = "get list watch"
)

// editRules are the rules AmazonEKSEditPolicy and AmazonEKSAdminPolicy share.
func editRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule("apps", "daemonsets deployments deployments/rollback deployments/scale replicasets replicasets/scale statefulsets statefulsets/scale", write),
		rule("apps", "controllerrevisions daemonsets daemonsets/status deployments deployments/scale deployments/status replicasets replicasets/scale replicasets/status statefulsets statefulsets/scale statefulsets/status", read),
		rule("autoscaling", "horizontalpodautoscalers horizontalpodautoscalers/status", read),
		rule("autoscaling", "horizontalpodautoscalers", write),
		rule("batch", "cronjobs jobs", write),
		rule("batch", "cronjobs cronjobs/status jobs jobs/status", read),
		rule("discovery.k8s.io", "endpointslices", read),
		rule("extensions", "daemonsets deployments deployments/rollback deployments/scale ingresses networkpolicies replicasets replicasets/scale replicationcontrollers/scale", write),
		rule("extensions", "daemonsets daemonsets/status deployments deployments/scale deployments/status ingresses ingresses/status networkpolicies replicasets replicasets/scale replicasets/status replicationcontrollers/scale", read),
		rule("networking.k8s.io", "ingresses networkpolicies", write),
		rule("networking.k8s.io", "ingresses ingresses/status networkpolicies", read),
		rule("policy", "poddisruptionbudgets", write),
		rule("policy", "poddisruptionbudgets poddisruptionbudgets/status", read),
		rule("", "namespaces", read),
		rule("", "pods/attach pods/exec pods/portforward pods/proxy secrets services/proxy", read),
		rule("", "serviceaccounts", "impersonate"),
		rule("", "pods pods/attach pods/exec pods/portforward pods/proxy", write),
		rule("", "configmaps events persistentvolumeclaims replicationcontrollers replicationcontrollers/scale secrets serviceaccounts services services/proxy", write),
		rule("", "configmaps endpoints persistentvolumeclaims persistentvolumeclaims/status pods replicationcontrollers replicationcontrollers/scale serviceaccounts services services/status", read),
		rule("", "bindings events limitranges namespaces/status pods/log pods/status replicationcontrollers/status resourcequotas resourcequotas/status", read),
	}
}

func viewRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule("apps", "controllerrevisions daemonsets daemonsets/status deployments deployments/scale deployments/status replicasets replicasets/scale replicasets/status statefulsets statefulsets/scale statefulsets/status", read),
		rule("autoscaling", "horizontalpodautoscalers horizontalpodautoscalers/status", read),
		rule("batch", "cronjobs cronjobs/status jobs jobs/status", read),
		rule("discovery.k8s.io", "endpointslices", read),
		rule("extensions", "daemonsets daemonsets/status deployments deployments/scale deployments/status ingresses ingresses/status networkpolicies replicasets replicasets/scale replicasets/status replicationcontrollers/scale", read),
		rule("networking.k8s.io", "ingresses ingresses/status networkpolicies", read),
		rule("policy", "poddisruptionbudgets poddisruptionbudgets/status", read),
		rule("", "configmaps endpoints persistentvolumeclaims persistentvolumeclaims/status pods replicationcontrollers replicationcontrollers/scale serviceaccounts services services/status", read),
		rule("", "bindings events limitranges namespaces/status pods/log pods/status replicationcontrollers/status resourcequotas resourcequotas/status", read),
		rule("", "namespaces", read),
	}
}

// Policies returns the access policy table, by name.
func Policies() map[string]Policy {
	admin := append(editRules(),
		rule("authorization.k8s.io", "localsubjectaccessreviews", "create"),
		rule("rbac.authorization.k8s.io", "rolebindings roles", "create delete deletecollection get list patch update watch"),
	)
	out := map[string]Policy{
		"AmazonEKSClusterAdminPolicy": {Modelled: true, About: "administrator access to the cluster (like cluster-admin)", Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
			{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}},
		}},
		"AmazonEKSAdminPolicy":     {Modelled: true, About: "most permissions to resources, usually scoped to namespaces (like admin)", Rules: admin},
		"AmazonEKSAdminViewPolicy": {Modelled: true, About: "list and view all resources, Secrets included", Rules: []rbacv1.PolicyRule{rule("*", "*", read)}},
		"AmazonEKSEditPolicy":      {Modelled: true, About: "edit most resources (like edit)", Rules: editRules()},
		"AmazonEKSViewPolicy":      {Modelled: true, About: "view most resources, not Secrets (like view)", Rules: viewRules()},
		"AmazonEKSHybridPolicy":    {Modelled: true, About: "EKS access to the nodes of hybrid clusters", Rules: []rbacv1.PolicyRule{rule("*", "nodes", "list")}},
	}
	for _, name := range []string{"AmazonEKSAutoNodePolicy", "AmazonEKSBlockStoragePolicy", "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy",
		"AmazonEKSComputePolicy", "AmazonEKSBlockStorageClusterPolicy", "AmazonEKSComputeClusterPolicy", "AmazonEKSLoadBalancingClusterPolicy",
		"AmazonEKSNetworkingClusterPolicy"} {
		out[name] = Policy{About: "an EKS Auto Mode or system policy, whose rules AWS describes only in prose: not modelled"}
	}
	for name, p := range out {
		p.Name = name
		out[name] = p
	}
	return out
}
