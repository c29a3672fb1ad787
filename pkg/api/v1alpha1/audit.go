package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// AuditReport is `kubectl eksiam audit -o json|yaml`: every check of the EKS identity
// chapter, on one cluster or several (one per kubeconfig context), in one findings
// model. `audit merge` reads and writes the same object.
type AuditReport struct {
	metav1.TypeMeta `json:",inline"`

	// Complete is false when a cluster could not be audited (see clusters) or its
	// input lacked what the checks depend on.
	Complete bool `json:"complete"`
	// FailOn is the severity from which findings make the exit code 1 (none: never).
	FailOn string `json:"failOn"`
	// Clusters audited (or that failed), sorted by context.
	Clusters []AuditCluster `json:"clusters"`
	// Summary counts the findings by area and severity, over every cluster.
	Summary []AuditSummary `json:"summary"`
	// Findings, sorted by context, severity (high first), id, object and message.
	Findings []AuditFinding `json:"findings"`
	// Checks says, per cluster, which checks ran, which did not (with the reason: an
	// input was missing) and which were left out with --check or --skip.
	Checks   []AuditCheck `json:"checks"`
	Warnings []Warning    `json:"warnings"`
}

// AuditCluster is one audited kubeconfig context.
type AuditCluster struct {
	// Context is the kubeconfig context ("" for -f input or a kubeconfig without one).
	Context string `json:"context"`
	// ClusterName is the EKS cluster name, when known.
	ClusterName string `json:"clusterName,omitempty"`
	// Status is audited or error.
	Status string `json:"status"`
	// Error says why the cluster could not be audited (status error).
	Error string `json:"error,omitempty"`
	// Complete is false when the input lacked what the checks depend on.
	Complete bool `json:"complete"`
	// AuthenticationMode of the cluster, "" when access entries were not read.
	AuthenticationMode string `json:"authenticationMode,omitempty"`
	// Endpoint is the API server endpoint's access (DescribeCluster
	// resourcesVpcConfig), nil when it was not read.
	Endpoint *EndpointAccess `json:"endpoint,omitempty"`
	// Findings counts this cluster's findings.
	Findings int `json:"findings"`
}

// Audit cluster statuses.
const (
	AuditStatusAudited = "audited"
	AuditStatusError   = "error"
)

// EndpointAccess is DescribeCluster's cluster.resourcesVpcConfig, the part that says
// who can reach the API server endpoint.
type EndpointAccess struct {
	PublicAccess  bool `json:"endpointPublicAccess"`
	PrivateAccess bool `json:"endpointPrivateAccess"`
	// PublicAccessCIDRs are the CIDR blocks allowed to reach the public endpoint
	// (EKS reports 0.0.0.0/0 when none were set).
	PublicAccessCIDRs []string `json:"publicAccessCidrs"`
}

// AuditSummary counts the findings of one area by severity.
type AuditSummary struct {
	Area   string `json:"area"`
	High   int    `json:"high"`
	Medium int    `json:"medium"`
	Low    int    `json:"low"`
}

// AuditFinding is one finding, in the one model of every check.
type AuditFinding struct {
	// Context is the kubeconfig context of the cluster.
	Context string `json:"context"`
	// ID is stable (EP01, AA29, PI04, SA01 ...): see docs/audit.md.
	ID string `json:"id"`
	// Check is the catalogue entry that found it (AA for every aws-auth rule, PI for
	// every pod identity finding, SA for the default service accounts).
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	// Area groups checks for the summary: cluster, iam, aws-auth, rbac, anonymous,
	// service-accounts, pod-identity.
	Area   string      `json:"area"`
	Object AuditObject `json:"object"`
	// Message says what is wrong, about this object.
	Message string `json:"message"`
	// Recommendation is the recommendation of the EKS Best Practices Guide (or the
	// CIS Amazon EKS Benchmark control) the finding maps to, and RecommendationURL
	// its link.
	Recommendation    string `json:"recommendation"`
	RecommendationURL string `json:"recommendationUrl"`
	// Fix says what to do, with a command of this plugin where one exists.
	Fix string `json:"fix"`
}

// AuditObject is what a finding is about: a Kubernetes object, an IAM principal, or
// the cluster itself (kind Cluster).
type AuditObject struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// ARN of the IAM principal or role concerned, when there is one.
	ARN string `json:"arn,omitempty"`
}

// AuditCheck is one check of the catalogue on one cluster.
type AuditCheck struct {
	Context string `json:"context"`
	ID      string `json:"id"`
	Title   string `json:"title"`
	Area    string `json:"area"`
	// Status is run; partial (run without some of its inputs: see reason, and what
	// they would show is not known); not-run (an input it needs is missing: see
	// reason); or skipped (--check / --skip).
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Findings it produced (after --check/--skip).
	Findings int `json:"findings"`
}

// Audit check statuses.
const (
	CheckRun     = "run"
	CheckPartial = "partial"
	CheckNotRun  = "not-run"
	CheckSkipped = "skipped"
)

// NewAuditReport starts an `audit` report: complete, every list empty.
func NewAuditReport() *AuditReport {
	r := &AuditReport{Complete: true, Clusters: []AuditCluster{}, Summary: []AuditSummary{}, Findings: []AuditFinding{},
		Checks: []AuditCheck{}, Warnings: []Warning{}}
	SetKind(r, "AuditReport")
	return r
}

// DeepCopyObject implements runtime.Object.
func (r *AuditReport) DeepCopyObject() runtime.Object { return deepCopy(r) }
