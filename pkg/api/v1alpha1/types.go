// Package v1alpha1 holds the versioned reports kubectl-eksiam prints with -o json|yaml.
// Their schema is documented in docs/schema/. Fields are only ever added within a
// version; a change that breaks a reader gets a new version.
package v1alpha1

import (
	"encoding/json"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion of every report in this package.
var GroupVersion = schema.GroupVersion{Group: "kubectl-eksiam.io", Version: "v1alpha1"}

// Scope of a who-can question.
const (
	// ScopeNamespace: allowed in one namespace (-n).
	ScopeNamespace = "Namespace"
	// ScopeAllNamespaces: allowed cluster-wide or in at least one namespace (-A).
	ScopeAllNamespaces = "AllNamespaces"
	// ScopeCluster: a cluster-scoped resource or a non-resource URL; only
	// ClusterRoleBindings can grant it.
	ScopeCluster = "Cluster"
)

// WhoCanReport is the answer of `kubectl eksiam who-can`.
type WhoCanReport struct {
	metav1.TypeMeta `json:",inline"`

	Query WhoCanQuery `json:"query"`
	// Complete is true when every object the answer depends on was read.
	Complete bool `json:"complete"`
	// Subjects allowed to make the request, sorted by kind, namespace, name.
	Subjects []Subject `json:"subjects"`
	// IAMPrincipals are the AWS IAM principals that reach one of Subjects through
	// aws-auth or EKS access entries.
	IAMPrincipals []IAMPrincipal `json:"iamPrincipals"`
	// AuthenticationMode of the EKS cluster (CONFIG_MAP, API_AND_CONFIG_MAP, API), ""
	// when access entries were not read.
	AuthenticationMode string `json:"authenticationMode,omitempty"`
	// Findings about the cluster's IAM access configuration (see IAMFinding).
	Findings []IAMFinding `json:"findings"`
	Warnings []Warning    `json:"warnings"`
}

// WhoCanQuery is the question, resolved.
type WhoCanQuery struct {
	Verb string `json:"verb"`
	// Resource is set for resource requests.
	Resource *ResourceAttributes `json:"resource,omitempty"`
	// NonResourceURL is set for non-resource requests.
	NonResourceURL string `json:"nonResourceURL,omitempty"`
	// Scope is Namespace, AllNamespaces or Cluster.
	Scope string `json:"scope"`
	// Namespace is set when Scope is Namespace.
	Namespace string `json:"namespace,omitempty"`
}

// ResourceAttributes of a resource request, as RBAC sees them.
type ResourceAttributes struct {
	Group       string `json:"group"`
	Resource    string `json:"resource"`
	Subresource string `json:"subresource,omitempty"`
	Name        string `json:"name,omitempty"`
	Namespaced  bool   `json:"namespaced"`
}

// Subject is an RBAC subject allowed to make the request.
type Subject struct {
	// Kind is User, Group or ServiceAccount.
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Namespace of a ServiceAccount.
	Namespace string `json:"namespace,omitempty"`
	// Superuser is true for the group system:masters, which the API server allows
	// everything whether or not it is bound.
	Superuser bool `json:"superuser"`
	// ClusterWide is true when the subject is allowed in every namespace (or, for
	// cluster-scoped requests, at all).
	ClusterWide bool `json:"clusterWide"`
	// Namespaces where RoleBindings allow the request, sorted.
	Namespaces []string `json:"namespaces"`
	// Grants are the bindings that allow it.
	Grants []Grant `json:"grants"`
	// IAMPrincipals are the ARNs of the IAM principals that become this subject or a
	// member of it (see the report's iamPrincipals for how).
	IAMPrincipals []string `json:"iamPrincipals"`
	// Escalation (who-can --escalation) is a path by which a subject that is not
	// allowed the action reaches it (the shortest through the groups it shares with
	// other subjects when those reach it, else the shortest through its own grants);
	// such a subject has no grants.
	Escalation *EscalationPath `json:"escalation,omitempty"`
}

// Grant is one binding that allows the request for a subject.
type Grant struct {
	Binding ObjectRef `json:"binding"`
	Role    ObjectRef `json:"role"`
	// Scope is Cluster (a ClusterRoleBinding) or Namespace (a RoleBinding).
	Scope string `json:"scope"`
	// Namespace the grant applies in, when Scope is Namespace.
	Namespace string `json:"namespace,omitempty"`
	// Rule is the first rule of the role that allows the request.
	Rule rbacv1.PolicyRule `json:"rule"`
	// BoundAs is the subject as the binding writes it, when it differs from the
	// subject listed (a User naming a service account, or a ServiceAccount without a
	// namespace in a RoleBinding).
	BoundAs *rbacv1.Subject `json:"boundAs,omitempty"`
}

// ObjectRef names a Kubernetes object.
type ObjectRef struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// IAMPrincipal is an AWS IAM principal that reaches the permission: the identity
// it becomes (username, groups, plus system:authenticated) is, or is a member of,
// one of the allowed subjects.
type IAMPrincipal struct {
	// ARN of the role or user; arn:aws:iam::<account>:* for a mapAccounts entry.
	ARN string `json:"arn"`
	// Type is role, user or account.
	Type string `json:"type"`
	// Source is the mapping, such as "aws-auth mapRoles[2]".
	Source string `json:"source"`
	// Username as mapped, templates such as {{SessionName}} kept.
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
	// Via are the allowed subjects it reaches.
	Via []SubjectRef `json:"via"`
	// Status is active; shadowed (an aws-auth mapping of a principal whose access
	// entry wins); or ignored (the authentication mode does not read its source).
	// Only active principals have the access.
	Status string `json:"status"`
	// EntryType is the access entry type (STANDARD, EC2_LINUX...), for access entries.
	EntryType string `json:"entryType,omitempty"`
	// ViaAccessPolicies are the EKS access policies that allow the request (access
	// entries only), with the scope that covers it.
	ViaAccessPolicies []AccessPolicyGrant `json:"viaAccessPolicies"`
}

// AccessPolicyGrant is an EKS access policy associated with an access entry.
type AccessPolicyGrant struct {
	PolicyARN string `json:"policyArn"`
	// Scope is cluster or namespace.
	Scope      string   `json:"scope"`
	Namespaces []string `json:"namespaces"`
}

// SubjectRef names an RBAC subject.
type SubjectRef struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// Warning is something the reader of a report should know.
type Warning struct {
	Reason  string     `json:"reason"`
	Message string     `json:"message"`
	Object  *ObjectRef `json:"object,omitempty"`
}

// VersionReport is the output of `kubectl eksiam version -o json|yaml`.
type VersionReport struct {
	metav1.TypeMeta `json:",inline"`
	Version         string `json:"version"`
	Commit          string `json:"commit"`
	Date            string `json:"date"`
	GoVersion       string `json:"goVersion"`
	Platform        string `json:"platform"`
}

// DeepCopyObject implements runtime.Object, so cli-runtime's printers take reports.
func (r *WhoCanReport) DeepCopyObject() runtime.Object { return deepCopy(r) }

// DeepCopyObject implements runtime.Object.
func (r *VersionReport) DeepCopyObject() runtime.Object { return deepCopy(r) }

// deepCopy copies a report through its JSON form, which is all a report is.
func deepCopy[T any, P interface {
	*T
	runtime.Object
}](in P) runtime.Object {
	data, err := json.Marshal(in)
	if err != nil {
		panic(err) // reports are plain data; marshalling cannot fail
	}
	out := P(new(T))
	if err := json.Unmarshal(data, out); err != nil {
		panic(err)
	}
	return out
}

// SetKind stamps the report's apiVersion and kind.
func SetKind(obj runtime.Object, kind string) {
	obj.GetObjectKind().SetGroupVersionKind(GroupVersion.WithKind(kind))
}
