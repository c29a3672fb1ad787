// Package podidentity answers which IAM role every workload of an EKS cluster gets
// and how (IRSA, EKS Pod Identity, or the node's role through IMDS), checks how
// tightly each role is held (findings PI01-PI10, each tied to a recommendation of the
// EKS best practices guide, "Pod Identity Recommendations"), and, for one role,
// who can act as the service accounts that get it (through the who-can engine).
//
// Pure: typed values in, a report out, in a deterministic order; no clients, no I/O.
package podidentity

import (
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iampolicy"
)

// Well-known names.
const (
	// RoleARNAnnotation is IRSA's service account annotation.
	RoleARNAnnotation = "eks.amazonaws.com/role-arn"
	// AudienceAnnotation overrides the token audience (default sts.amazonaws.com).
	AudienceAnnotation = "eks.amazonaws.com/audience"
	// SkipContainersAnnotation lists containers of a pod the webhook leaves alone.
	SkipContainersAnnotation = "eks.amazonaws.com/skip-containers"
	// DefaultAudience of IRSA tokens.
	DefaultAudience = "sts.amazonaws.com"
	// PodIdentityService is the service principal EKS Pod Identity assumes roles as.
	PodIdentityService = "pods.eks.amazonaws.com"
	// AgentName is the DaemonSet (and its namespace) of the EKS Pod Identity agent.
	AgentName      = "eks-pod-identity-agent"
	AgentNamespace = "kube-system"
)

// Input is everything an answer is computed from. Kubernetes objects come reduced to
// what is used; AWS inputs are nil or absent when they were not read, and the answer
// then says what it could not evaluate.
type Input struct {
	// AllNamespaces, or only Namespace.
	AllNamespaces bool
	Namespace     string
	// Namespaces that exist (in scope: all, or the one asked for when it exists).
	Namespaces      []string
	ServiceAccounts []ServiceAccount
	Pods            []Pod
	Workloads       []Workload
	Nodes           []Node
	// PodIdentityAgent: the DaemonSet kube-system/eks-pod-identity-agent exists.
	PodIdentityAgent bool

	// Cluster is nil when DescribeCluster was not read.
	Cluster *Cluster
	// AssociationsRead is false when the associations were not read; an
	// association whose DescribePodIdentityAssociation was not read has no RoleARN.
	AssociationsRead bool
	Associations     []Association
	// Roles by ARN; a role that was not read is absent.
	Roles map[string]*Role
	// InstancesRead is false when DescribeInstances was not read; Instances by id.
	InstancesRead bool
	Instances     map[string]*Instance
	// InstanceProfiles maps an instance profile ARN to its roles' ARNs; a profile
	// that was not read is absent.
	InstanceProfiles map[string][]string
}

// ServiceAccount is what the answer needs of one.
type ServiceAccount struct {
	Namespace, Name string
	// RoleARN is the IRSA annotation, "" when absent; Audience its audience annotation.
	RoleARN, Audience string
}

// Pod is what the answer needs of one.
type Pod struct {
	Namespace, Name, ServiceAccount string
	Node                            string
	HostNetwork                     bool
	// Phase is the pod's status.phase; Succeeded and Failed pods are left out.
	Phase string
	// Owner is the workload that runs it (a Deployment rather than its ReplicaSet).
	Owner      *Ref
	Containers []Container
	// Windows is true when the pod selects Windows nodes.
	Windows bool
}

// Container is one container (init containers included) and the AWS credential
// variables in its environment.
type Container struct {
	Name string
	// RoleARN is AWS_ROLE_ARN ("" when set from a reference); WebIdentity is
	// AWS_WEB_IDENTITY_TOKEN_FILE being set; ContainerCredentials is
	// AWS_CONTAINER_CREDENTIALS_FULL_URI being set.
	RoleARN              string
	HasRoleARN           bool
	WebIdentity          bool
	ContainerCredentials bool
	// RunAsUser and RunAsNonRoot are the container's effective security context: its
	// own, else the pod's; nil when neither sets them.
	RunAsUser    *int64
	RunAsNonRoot *bool
}

// Workload is a pod-creating object and the service account of its template.
type Workload struct {
	Ref
	ServiceAccount string
}

// Ref names an object.
type Ref struct{ Kind, Namespace, Name string }

// Node is what the answer needs of one.
type Node struct {
	Name string
	// InstanceID from spec.providerID, "" when the node is not an EC2 instance.
	InstanceID string
	// Fargate nodes have no instance metadata service.
	Fargate bool
}

// InstanceIDFromProviderID returns the EC2 instance id of a node's spec.providerID
// (aws:///ZONE/i-..., or the bare id), "" when it names none.
func InstanceIDFromProviderID(providerID string) string {
	id := providerID[strings.LastIndex(providerID, "/")+1:]
	if strings.HasPrefix(id, "i-") {
		return id
	}
	return ""
}

// Cluster is DescribeCluster's answer.
type Cluster struct {
	Name, ARN string
	// OIDCIssuer is identity.oidc.issuer, "" when the cluster has none.
	OIDCIssuer string
	AutoMode   bool
}

// IssuerHost is the issuer without https://, as OIDC provider ARNs and condition
// keys write it.
func (c *Cluster) IssuerHost() string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(c.OIDCIssuer, "https://"), "http://"), "/")
}

// Association is an EKS Pod Identity association.
type Association struct {
	ID, ARN                   string
	Namespace, ServiceAccount string
	// RoleARN is "" when DescribePodIdentityAssociation was not read.
	RoleARN, TargetRoleARN, ExternalID string
	DisableSessionTags                 bool
	OwnerARN                           string
}

// EffectiveRole is the role the pods get: the target role when there is one.
func (a *Association) EffectiveRole() string {
	if a.TargetRoleARN != "" {
		return a.TargetRoleARN
	}
	return a.RoleARN
}

// Role is an IAM role and its trust policy.
type Role struct {
	ARN string
	// NotFound: IAM says the role does not exist (NoSuchEntity).
	NotFound bool
	// Trust is nil when the document could not be parsed (TrustError says why).
	Trust      *iampolicy.Policy
	TrustError string
}

// Instance is the part of DescribeInstances the answer uses.
type Instance struct {
	ID string
	// HTTPTokens is optional or required; HTTPEndpoint enabled or disabled.
	HTTPTokens, HTTPEndpoint string
	HopLimit                 int
	// InstanceProfileARN is "" when the instance has none.
	InstanceProfileARN string
}
