// Package audit runs every check of the EKS identity chapter the plugin can make
// ("Regularly audit access to the cluster") over one cluster's snapshot, in one
// findings model: the checks of the existing engines (aws-auth validation, the
// default service account audit, anonymous access, pod identity, the cluster
// creator's admin access, who holds cluster-admin) and its own (the endpoint, the
// authentication mode, IAM users where roles would do, wildcard and escalation
// verbs bound beyond cluster admins, legacy token Secrets, root pods with IRSA). It
// owns the check catalogue, the order of findings, --check/--skip, --fail-on, the
// SARIF 2.1.0 rendering and the merging of reports.
//
// Pure: typed values in, a report out, in a deterministic order; no clients, no I/O.
package audit

import (
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
)

// Areas, in the order the summary lists them.
const (
	AreaCluster         = "cluster"
	AreaIAM             = "iam"
	AreaAWSAuth         = "aws-auth"
	AreaRBAC            = "rbac"
	AreaAnonymous       = "anonymous"
	AreaServiceAccounts = "service-accounts"
	AreaPodIdentity     = "pod-identity"
)

// Areas lists the areas in order.
func Areas() []string {
	return []string{AreaCluster, AreaIAM, AreaAWSAuth, AreaRBAC, AreaAnonymous, AreaServiceAccounts, AreaPodIdentity}
}

// Check IDs: one per catalogue entry. A check that wraps an engine with findings of
// its own (aws-auth, pod identity, default service accounts) reports them under
// their own ids (AA01-AA34, PI01-PI10, SA01-SA09); the others report under the
// check's id.
const (
	CheckEndpoint       = "EP01"
	CheckAuthMode       = "AM01"
	CheckCreator        = "EKS01"
	CheckIAMUsers       = "IU01"
	CheckAWSAuth        = "AA"
	CheckClusterAdmins  = "CA01"
	CheckLeastPrivilege = "LP01"
	CheckAnonymous      = "AN01"
	CheckDefaultSA      = "SA"
	CheckTokenSecrets   = "ST01"
	CheckPodIdentity    = "PI"
	CheckRootIRSA       = "RT01"
)

// The EKS Best Practices Guide, "Identity and Access Management" (the chapter in
// shared/reference/eks-best-practices-iam.md), and its section anchors.
const guide = "https://aws.github.io/aws-eks-best-practices/security/docs/iam/"

// Recommendations, by the heading the chapter gives them.
const (
	RecEndpoint       = "Make the EKS Cluster Endpoint private"
	RecAccessManager  = "Cluster Access Manager"
	RecCreator        = "Remove the cluster-admin permissions from the cluster creator principal"
	RecAWSAuthTools   = "If relying on aws-auth configMap use tools to make changes"
	RecIAMRoles       = "Use IAM Roles when multiple users need identical access to the cluster"
	RecAudit          = "Regularly audit access to the cluster"
	RecRoleBindings   = "Employ least privileged access when creating RoleBindings and ClusterRoleBindings"
	RecAnonymous      = "Review and revoke unnecessary anonymous access"
	RecAutomount      = "Disable auto-mounting of service account tokens"
	RecDedicatedSA    = "Use dedicated service accounts for each application"
	RecNoSATokens     = "Don't use a service account token for authentication"
	RecNonRoot        = "Run the application as a non-root user"
	RecAWSNodeIRSA    = "Update the aws-node daemonset to use IRSA"
	RecIRSA           = "IAM Roles for Service Accounts (IRSA)"
	RecScopeTrust     = "Scope the IAM Role trust policy for IRSA to the service account name"
	RecLeastApps      = "Grant least privileged access to applications"
	RecInstance       = "Restrict access to the instance profile assigned to the worker node"
	RecCISDedicatedSA = "CIS Amazon EKS Benchmark: prefer using dedicated EKS service accounts"
)

// RecommendationURL is the link of a recommendation: the chapter's section.
func RecommendationURL(rec string) string {
	if rec == RecCISDedicatedSA {
		return guide + "#" + anchor(RecDedicatedSA)
	}
	return guide + "#" + anchor(rec)
}

// anchor is the section id the guide's site (mkdocs) gives a heading: lower case,
// punctuation dropped, spaces to hyphens.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// Check is one entry of the catalogue.
type Check struct {
	ID    string
	Title string
	Area  string
	// Severity is the usual severity of its findings; engines with rules of their own
	// give each finding its own.
	Severity       v1alpha1.Severity
	Recommendation string
	// Needs names the inputs it needs, for the "not run" reason.
	Needs string
	// Fix is the usual fix, with the command of this plugin where one exists.
	Fix string
}

// Catalogue lists every check, in the order reports list them.
func Catalogue() []Check {
	return []Check{
		{CheckEndpoint, "Public API server endpoint open to every address", AreaCluster, v1alpha1.SeverityMedium, RecEndpoint,
			"eks:DescribeCluster (resourcesVpcConfig)",
			"limit the public endpoint to your CIDR blocks, or make it private: aws eks update-cluster-config --name CLUSTER --resources-vpc-config endpointPublicAccess=true,publicAccessCidrs=CIDR,endpointPrivateAccess=true"},
		{CheckAuthMode, "Authentication mode still CONFIG_MAP", AreaCluster, v1alpha1.SeverityMedium, RecAccessManager,
			"the authentication mode (EKS access entries)",
			"plan the move with 'kubectl eksiam aws-auth migrate', then aws eks update-cluster-config --name CLUSTER --access-config authenticationMode=API_AND_CONFIG_MAP (and later API)"},
		{CheckCreator, "Cluster creator still holds cluster-admin", AreaIAM, v1alpha1.SeverityMedium, RecCreator,
			"the authentication mode (EKS access entries)", "remove the creator's access entry or its AmazonEKSClusterAdminPolicy once another admin works"},
		{CheckIAMUsers, "IAM users mapped with identical access where a role would do", AreaIAM, v1alpha1.SeverityLow, RecIAMRoles,
			"aws-auth or the access entries", "map one IAM role the users assume instead (kubectl eksiam aws-auth add role; aws-auth remove user ...)"},
		{CheckAWSAuth, "aws-auth validation (AA01-AA34)", AreaAWSAuth, v1alpha1.SeverityHigh, RecAWSAuthTools,
			"ConfigMap kube-system/aws-auth", "kubectl eksiam aws-auth validate; edit with kubectl eksiam aws-auth add/remove"},
		{CheckClusterAdmins, "Who holds cluster-admin or system:masters, and the IAM principals behind them", AreaRBAC, v1alpha1.SeverityLow, RecAudit,
			"the RBAC objects", "review the list; narrow what is not needed (kubectl eksiam who-can '*' '*')"},
		{CheckLeastPrivilege, "Wildcards or escalation verbs bound beyond cluster admins", AreaRBAC, v1alpha1.SeverityMedium, RecRoleBindings,
			"the RBAC objects", "replace the wildcards with the verbs and resources the subjects need (audit2rbac can derive them); bind escalate, bind and impersonate to admins only"},
		{CheckAnonymous, "Anonymous access", AreaAnonymous, v1alpha1.SeverityHigh, RecAnonymous,
			"the RBAC objects", "kubectl eksiam anon revoke"},
		{CheckDefaultSA, "Default service accounts (CIS 4.1.5, 4.1.6)", AreaServiceAccounts, v1alpha1.SeverityHigh, RecAutomount,
			"service accounts, pods, workloads and the RBAC objects", "kubectl eksiam sa harden"},
		{CheckTokenSecrets, "Legacy service account token Secrets", AreaServiceAccounts, v1alpha1.SeverityMedium, RecNoSATokens,
			"Secrets of type kubernetes.io/service-account-token (names only)", "delete the Secret once nothing uses it: kubectl delete secret -n NAMESPACE NAME"},
		{CheckPodIdentity, "Pod identity (PI01-PI10)", AreaPodIdentity, v1alpha1.SeverityHigh, RecScopeTrust,
			"service accounts, pods, nodes and the AWS inputs of pod identity", "kubectl eksiam pod-identity -A"},
		{CheckRootIRSA, "Pods that use IRSA and run as root", AreaPodIdentity, v1alpha1.SeverityMedium, RecNonRoot,
			"pods and service accounts", "set spec.securityContext.runAsUser (and runAsNonRoot: true) in the pod template"},
	}
}

// CheckByID returns the catalogue entry.
func CheckByID(id string) (Check, bool) {
	cs := Catalogue()
	i := slices.IndexFunc(cs, func(c Check) bool { return c.ID == id })
	if i < 0 {
		return Check{}, false
	}
	return cs[i], true
}

// checkOf is the check that reports finding id: AA.., PI.. and SA.. belong to their
// family, the rest are their check's own id.
func checkOf(id string) string {
	switch {
	case strings.HasPrefix(id, "AA"):
		return CheckAWSAuth
	case strings.HasPrefix(id, "PI"):
		return CheckPodIdentity
	case strings.HasPrefix(id, "SA"):
		return CheckDefaultSA
	}
	return id
}

// KnownID reports whether id names a check or a finding id this package reports
// (for --check and --skip).
func KnownID(id string) bool {
	if _, ok := CheckByID(id); ok {
		return true
	}
	_, ok := Rule(id)
	return ok
}
