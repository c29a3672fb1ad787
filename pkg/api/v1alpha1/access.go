package v1alpha1

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// AccessReport is the answer of `kubectl eksiam access ARN`: the identity one IAM
// principal gets in the cluster and what it may do.
type AccessReport struct {
	metav1.TypeMeta `json:",inline"`

	// ARN as asked.
	ARN string `json:"arn"`
	// CanonicalARN is the IAM form EKS matches: an assumed-role session ARN becomes
	// its role ARN (paths removed).
	CanonicalARN string `json:"canonicalArn"`
	// AuthenticationMode of the cluster, "" when access entries were not read (then
	// aws-auth is taken as what counts).
	AuthenticationMode string `json:"authenticationMode,omitempty"`
	// Mapped is false when no source the mode reads maps the principal: it cannot
	// authenticate.
	Mapped bool `json:"mapped"`
	// Principal is the mapping that counts, when Mapped.
	Principal *IAMPrincipal `json:"principal,omitempty"`
	// Username the principal authenticates as (templates rendered).
	Username string `json:"username,omitempty"`
	// Groups it gets, system:authenticated and the groups an entry type implies included.
	Groups []string `json:"groups"`
	// Others are mappings of the same principal that do not count: shadowed by an
	// access entry, or ignored by the authentication mode.
	Others []IAMPrincipal `json:"others"`
	// Superuser is true when Groups include system:masters.
	Superuser bool `json:"superuser"`
	// RBACRules are the RBAC rules the identity reaches in the namespace asked (or
	// every namespace with -A), with the binding and role that give each.
	RBACRules []AccessRule `json:"rbacRules"`
	// PolicyRules are the rules of the modelled EKS access policies associated with
	// the access entry, whose scope covers the namespace asked.
	PolicyRules []AccessRule `json:"policyRules"`
	// Decision answers --verb/--resource.
	Decision *AccessDecision `json:"decision,omitempty"`
	// ClusterCreator is "yes" when the principal is the cluster creator named with
	// --cluster-creator and, in CONFIG_MAP mode, a cluster admin (system:masters) that
	// aws-auth does not show; "possible" when the principal is not mapped, yet may be
	// the creator (DescribeCluster does not name it): then it may be a cluster admin.
	// Omitted otherwise.
	ClusterCreator string `json:"clusterCreator,omitempty"`
	// Findings about the cluster's IAM access configuration.
	Findings []IAMFinding `json:"findings"`
	// Complete is false when the input lacked what the answer depends on.
	Complete bool      `json:"complete"`
	Warnings []Warning `json:"warnings"`
}

// IAMFinding is a finding about how IAM principals reach the cluster, in the one
// severity vocabulary of every command.
type IAMFinding struct {
	// ID is stable: EKS01, the cluster creator holds cluster-admin.
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	// Recommendation is the EKS Best Practices Guide recommendation the finding checks.
	Recommendation string `json:"recommendation"`
	// PrincipalARN is the principal the finding is about, when known.
	PrincipalARN string `json:"principalArn,omitempty"`
	Message      string `json:"message"`
	// Fix says what to do, with the commands.
	Fix string `json:"fix"`
}

// AccessRule is one rule the principal reaches.
type AccessRule struct {
	// Source is "ClusterRoleBinding/x -> ClusterRole/y", "RoleBinding/ns/x -> Role/ns/y"
	// or "AmazonEKSViewPolicy (namespace: a, b)".
	Source string `json:"source"`
	// Namespace the rule applies in: "" for cluster-wide; for a namespace-scoped access
	// policy with -A, its namespace patterns, comma-separated.
	Namespace string            `json:"namespace,omitempty"`
	Rule      rbacv1.PolicyRule `json:"rule"`
}

// AccessDecision answers whether the principal may make one request.
type AccessDecision struct {
	Verb string `json:"verb"`
	// Request is the request in words ("delete pods in app").
	Request string `json:"request"`
	Allowed bool   `json:"allowed"`
	// Reason names the binding or access policy that allows it, or why nothing does.
	Reason string `json:"reason"`
}

// DeepCopyObject implements runtime.Object.
func (r *AccessReport) DeepCopyObject() runtime.Object { return deepCopy(r) }

// AWSAuthMigration is the plan of `kubectl eksiam aws-auth migrate`: the access entry
// each aws-auth mapping becomes, what cannot move, and the aws CLI commands.
type AWSAuthMigration struct {
	metav1.TypeMeta `json:",inline"`

	// Source of aws-auth: "configmap kube-system/aws-auth" or the file.
	Source string `json:"source"`
	// ClusterName the commands name, "" when unknown (they then use $CLUSTER_NAME).
	ClusterName   string `json:"clusterName,omitempty"`
	MigrationPlan `json:",inline"`
	// Commands are the aws CLI commands that carry out the plan (entries with action
	// create), in order. None deletes aws-auth.
	Commands []string  `json:"commands"`
	Warnings []Warning `json:"warnings"`
}

// DeepCopyObject implements runtime.Object.
func (r *AWSAuthMigration) DeepCopyObject() runtime.Object { return deepCopy(r) }
