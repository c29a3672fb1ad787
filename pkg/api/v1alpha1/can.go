package v1alpha1

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Access of a matrix cell.
const (
	// AccessAll: allowed whatever the object's name, and without one.
	AccessAll = "all"
	// AccessSomeNames: allowed only for the names listed (rules with resourceNames),
	// never without a name.
	AccessSomeNames = "some-names"
	// AccessNone: allowed for no name.
	AccessNone = "none"
)

// CanReport is the answer of `kubectl eksiam can SUBJECT`: what one subject can do,
// why (with --explain), and how it could get more.
type CanReport struct {
	metav1.TypeMeta `json:",inline"`

	// Subject as asked: kind ServiceAccount, User, Group or IAMPrincipal (name: the
	// ARN as given).
	Subject SubjectRef `json:"subject"`
	// Principal is the mapping that counts for an IAM principal (omitted otherwise, or
	// when no source maps it: then Mapped is false and nothing is allowed).
	Principal *IAMPrincipal `json:"principal,omitempty"`
	// Mapped is false for an IAM principal no source maps: it cannot authenticate.
	Mapped bool `json:"mapped"`
	// Username and Groups the API server sees, the groups it adds itself
	// (system:authenticated, system:serviceaccounts[:NS]) included.
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
	// Superuser: in system:masters, allowed everything before RBAC is asked.
	Superuser bool `json:"superuser"`
	// Scope is Namespace (one namespace, -n) or AllNamespaces (-A).
	Scope     string `json:"scope"`
	Namespace string `json:"namespace,omitempty"`
	// Namespaces that have cells of their own. With AllNamespaces, those where
	// RoleBindings (or namespace-scoped access policies) give more than at cluster
	// level: in any other namespace, every namespaced cell is the cluster-level one.
	Namespaces []string `json:"namespaces"`
	// Cells are the matrix: cluster-scoped resource types at cluster level (namespace
	// ""), namespaced ones in Namespace, or with AllNamespaces at cluster level ("in
	// every namespace") and then, in each of Namespaces, only the cells where it gives
	// more.
	Cells []CanCell `json:"cells"`
	// Explain answers --explain.
	Explain *CanExplanation `json:"explain,omitempty"`
	// ClusterAdmin: the subject is allowed every verb on every resource cluster-wide
	// already.
	ClusterAdmin bool `json:"clusterAdmin"`
	// Paths are the escalation paths: the shortest to cluster admin first, when there
	// is one, then the shortest to each subject or role the subject can reach.
	Paths []EscalationPath `json:"paths"`
	// Findings about the cluster's IAM access configuration (IAM principals).
	Findings []IAMFinding `json:"findings"`
	Complete bool         `json:"complete"`
	Warnings []Warning    `json:"warnings"`
}

// CanCell is the subject's access to one verb on one resource type (or subresource)
// in one namespace, as the API server's authorizers answer that request.
type CanCell struct {
	// Namespace of the request: "" for cluster-scoped types, and with AllNamespaces
	// for namespaced types in every namespace.
	Namespace   string `json:"namespace"`
	Group       string `json:"group"`
	Resource    string `json:"resource"`
	Subresource string `json:"subresource,omitempty"`
	Verb        string `json:"verb"`
	// Access is all, some-names or none.
	Access string `json:"access"`
	// Names allowed, with some-names.
	Names []string `json:"names"`
}

// CanExplanation says why the subject may make one request, or why not.
type CanExplanation struct {
	// Request in words ("get secrets in app").
	Request        string              `json:"request"`
	Verb           string              `json:"verb"`
	Resource       *ResourceAttributes `json:"resource,omitempty"`
	NonResourceURL string              `json:"nonResourceURL,omitempty"`
	Namespace      string              `json:"namespace,omitempty"`
	Allowed        bool                `json:"allowed"`
	// Grants are every binding -> role -> rule (and access policy) that allows it.
	Grants []ExplainedGrant `json:"grants"`
	// NearMisses allow all of it but the namespace or the name.
	NearMisses []ExplainedGrant `json:"nearMisses"`
}

// ExplainedGrant is one binding -> role -> rule, or access entry -> policy -> scope.
type ExplainedGrant struct {
	// Binding and Role, for RBAC.
	Binding *ObjectRef `json:"binding,omitempty"`
	Role    *ObjectRef `json:"role,omitempty"`
	// Namespace the grant applies in, "" cluster-wide.
	Namespace string             `json:"namespace,omitempty"`
	Rule      *rbacv1.PolicyRule `json:"rule,omitempty"`
	// AccessPolicy, for an access entry's policy.
	AccessPolicy *AccessPolicyGrant `json:"accessPolicy,omitempty"`
	// Miss, for a near miss: namespace or name.
	Miss string `json:"miss,omitempty"`
	// Reason in words.
	Reason string `json:"reason"`
}

// EscalationPath is a sequence of steps from a subject to more access.
type EscalationPath struct {
	Steps []EscalationStep `json:"steps"`
	// Reaches is cluster-admin, a subject (serviceaccount/NS/NAME, user/NAME,
	// group/NAME), a role gained, or (who-can --escalation) the action asked about.
	Reaches string `json:"reaches"`
	// Target is the subject reached, when Reaches names one.
	Target       *SubjectRef `json:"target,omitempty"`
	ClusterAdmin bool        `json:"clusterAdmin"`
	// Conditional: some step also needs what RBAC does not show (its condition).
	Conditional bool `json:"conditional"`
}

// EscalationStep is one step: the grant that opens a route, and what it leads to.
type EscalationStep struct {
	// Route: create-pods, workloads, running-pods, serviceaccount-token, impersonate,
	// bind, escalate, secrets, nodes-proxy, csr, webhook, aws-auth, cluster-admin.
	Route string `json:"route"`
	// As is who takes the step.
	As    SubjectRef `json:"as"`
	Grant string     `json:"grant"`
	// LeadsTo in words.
	LeadsTo string `json:"leadsTo"`
	// Condition, when set, is what the step also needs.
	Condition string `json:"condition,omitempty"`
	// Namespace the step acts in.
	Namespace string `json:"namespace,omitempty"`
	// Target is the subject the step leads to, when it leads to one.
	Target *SubjectRef `json:"target,omitempty"`
	// Role bound or rewritten (bind, escalate).
	Role *ObjectRef `json:"role,omitempty"`
	// Name of the object written (aws-auth) or of the signer (csr).
	Name string `json:"name,omitempty"`
	// IAMRoles (can --pod-identity) are the AWS IAM roles that pods running as the
	// step's target get (IRSA, EKS Pod Identity, or the node's role through IMDS);
	// for a step that leads to any service account of a namespace, those of every
	// service account there. Sorted; omitted when none is known.
	IAMRoles []string `json:"iamRoles,omitempty"`
}

// DeepCopyObject implements runtime.Object.
func (r *CanReport) DeepCopyObject() runtime.Object { return deepCopy(r) }

// NewCanReport starts a `can` answer for subject.
func NewCanReport(subject SubjectRef) *CanReport {
	r := &CanReport{Subject: subject, Mapped: true, Groups: []string{}, Namespaces: []string{}, Cells: []CanCell{},
		Paths: []EscalationPath{}, Findings: []IAMFinding{}, Complete: true, Warnings: []Warning{}}
	SetKind(r, "CanReport")
	return r
}

// NewExplanation starts an explanation of a request.
func NewExplanation(request, verb string) *CanExplanation {
	return &CanExplanation{Request: request, Verb: verb, Grants: []ExplainedGrant{}, NearMisses: []ExplainedGrant{}}
}
