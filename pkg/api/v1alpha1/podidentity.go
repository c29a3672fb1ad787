package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// How a service account's pods get an IAM role.
const (
	// ViaIRSA: the eks.amazonaws.com/role-arn annotation (IAM roles for service
	// accounts), or, in a --role answer, a trust policy that admits the service account.
	ViaIRSA = "irsa"
	// ViaPodIdentity: an EKS Pod Identity association.
	ViaPodIdentity = "pod-identity"
	// ViaNode: the node's instance role, through the instance metadata service.
	ViaNode = "node"
	// ViaNone: no AWS credentials (IMDS unreachable, or not on EC2).
	ViaNone = "none"
	// ViaUnknown: it depends on an input that was not read (see inputs).
	ViaUnknown = "unknown"
)

// PodIdentityReport is `kubectl eksiam pod-identity -o json|yaml`: which IAM role
// every service account's pods get and how, the findings about it, and, with
// --role, who can act as the service accounts that get that role.
type PodIdentityReport struct {
	metav1.TypeMeta `json:",inline"`

	Query   PodIdentityQuery   `json:"query"`
	Cluster PodIdentityCluster `json:"cluster"`
	// Complete is false when an input the answer needs was not read (see inputs and
	// warnings); the parts that needed it say so (serviceAccounts[].complete).
	Complete bool `json:"complete"`
	// ServiceAccounts in scope (with --role: those that get the role), sorted by
	// namespace and name.
	ServiceAccounts []PodIdentityServiceAccount `json:"serviceAccounts"`
	// Findings, sorted by id, namespace, service account and role.
	Findings []PodIdentityFinding `json:"findings"`
	// Actors (--role only): the RBAC subjects that can act as one of the service
	// accounts, with the routes that let them.
	Actors []PodIdentityActor `json:"actors"`
	// IAMPrincipals (--role only): the AWS IAM principals that reach one of the
	// actors through aws-auth or EKS access entries (or whose access policies allow
	// one of the routes).
	IAMPrincipals []IAMPrincipal `json:"iamPrincipals"`
	// AuthenticationMode of the EKS cluster, with --role when access entries were read.
	AuthenticationMode string `json:"authenticationMode,omitempty"`
	// Inputs are the AWS inputs and where each came from.
	Inputs []PodIdentityInput `json:"inputs"`
	// NotEvaluated lists what the answer does not evaluate (policy operators,
	// unknown condition keys, nodes that are not EC2 instances ...), sorted.
	NotEvaluated []string  `json:"notEvaluated"`
	Warnings     []Warning `json:"warnings"`
}

// PodIdentityQuery is the question, resolved.
type PodIdentityQuery struct {
	// Scope is Namespace or AllNamespaces.
	Scope     string `json:"scope"`
	Namespace string `json:"namespace,omitempty"`
	// RoleARN is set for --role.
	RoleARN string `json:"roleArn,omitempty"`
}

// PodIdentityCluster is what the answer knows of the EKS cluster.
type PodIdentityCluster struct {
	Name string `json:"name,omitempty"`
	ARN  string `json:"arn,omitempty"`
	// OIDCIssuer is DescribeCluster's identity.oidc.issuer.
	OIDCIssuer string `json:"oidcIssuer,omitempty"`
	// AutoMode is true when EKS Auto Mode runs the cluster's compute (the Pod
	// Identity agent is built in).
	AutoMode bool `json:"autoMode"`
	// PodIdentityAgent is true when the DaemonSet kube-system/eks-pod-identity-agent exists.
	PodIdentityAgent bool `json:"podIdentityAgent"`
}

// PodIdentityServiceAccount is one service account, the roles its pods get, and the
// pods and workloads that run as it.
type PodIdentityServiceAccount struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Exists is false for a service account that only a Pod Identity association or
	// a trust policy names.
	Exists    bool              `json:"exists"`
	Roles     []PodIdentityRole `json:"roles"`
	Pods      []PodIdentityPod  `json:"pods"`
	Workloads []ObjectRef       `json:"workloads"`
	// Complete is false when an input its roles depend on was not read.
	Complete bool `json:"complete"`
}

// PodIdentityRole is an IAM role the pods of a service account get.
type PodIdentityRole struct {
	ARN string `json:"arn"`
	// Via is irsa, pod-identity or node.
	Via string `json:"via"`
	// Effective is true when pods created now get this role: an IRSA annotation is
	// not effective when a Pod Identity association exists for the same service
	// account (the association wins).
	Effective bool `json:"effective"`
	// Source says where it comes from: the annotation, the association id, the
	// node's instance profile, or the trust policy.
	Source string `json:"source"`
	// AssociationRoleARN is the association's role when the pods get its target role.
	AssociationRoleARN string `json:"associationRoleArn,omitempty"`
	Note               string `json:"note,omitempty"`
}

// PodIdentityPod is a pod that runs as the service account (pods that have
// finished are left out), and the credentials its containers get.
type PodIdentityPod struct {
	Namespace   string           `json:"namespace"`
	Name        string           `json:"name"`
	Node        string           `json:"node,omitempty"`
	HostNetwork bool             `json:"hostNetwork"`
	Credentials []PodCredentials `json:"credentials"`
}

// PodCredentials are the credentials a group of a pod's containers get, as their
// environment shows it (which is what the webhook injected when the pod was created).
type PodCredentials struct {
	// Via is irsa, pod-identity, node, none or unknown.
	Via     string `json:"via"`
	RoleARN string `json:"roleArn,omitempty"`
	// Containers, init containers included, in pod order.
	Containers []string `json:"containers"`
}

// PodIdentityFinding is one finding. ID is stable (PI01 ... PI10); Recommendation
// names the EKS best practices recommendation it checks.
type PodIdentityFinding struct {
	ID             string   `json:"id"`
	Severity       Severity `json:"severity"`
	Recommendation string   `json:"recommendation"`
	Namespace      string   `json:"namespace"`
	ServiceAccount string   `json:"serviceAccount"`
	RoleARN        string   `json:"roleArn"`
	Message        string   `json:"message"`
}

// PodIdentityActor is an RBAC subject that can act as a service account that gets
// the role, and the routes that let it.
type PodIdentityActor struct {
	// Kind is User, Group or ServiceAccount.
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	// Superuser is true for system:masters.
	Superuser bool `json:"superuser"`
	// Routes, such as "create pods -n app" or "create serviceaccounts/token app/web".
	Routes []string `json:"routes"`
	// IAMPrincipals are the ARNs of the IAM principals that become this subject or a
	// member of it.
	IAMPrincipals []string `json:"iamPrincipals"`
}

// PodIdentityInput is one AWS input.
type PodIdentityInput struct {
	// Name is the call (eks:DescribeCluster, eks:ListPodIdentityAssociations,
	// eks:DescribePodIdentityAssociation, iam:GetRole, ec2:DescribeInstances,
	// iam:GetInstanceProfile).
	Name string `json:"name"`
	// Source is api, file or none.
	Source string `json:"source"`
	// Status is read, missing (not in the files, or no AWS to read from),
	// denied (AccessDenied), no-credentials or not-found.
	Status string `json:"status"`
	// Count of objects read.
	Count   int    `json:"count"`
	Message string `json:"message,omitempty"`
}

// NewPodIdentityReport returns an empty report with every list set.
func NewPodIdentityReport() *PodIdentityReport {
	r := &PodIdentityReport{ServiceAccounts: []PodIdentityServiceAccount{}, Findings: []PodIdentityFinding{}, Actors: []PodIdentityActor{},
		IAMPrincipals: []IAMPrincipal{}, Inputs: []PodIdentityInput{}, NotEvaluated: []string{}, Warnings: []Warning{}, Complete: true}
	SetKind(r, "PodIdentityReport")
	return r
}

// NewPodIdentityServiceAccount returns a service account entry with every list set.
func NewPodIdentityServiceAccount(namespace, name string, exists bool) PodIdentityServiceAccount {
	return PodIdentityServiceAccount{Namespace: namespace, Name: name, Exists: exists, Roles: []PodIdentityRole{},
		Pods: []PodIdentityPod{}, Workloads: []ObjectRef{}, Complete: true}
}

// DeepCopyObject implements runtime.Object.
func (r *PodIdentityReport) DeepCopyObject() runtime.Object { return deepCopy(r) }
