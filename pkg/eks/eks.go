// Package eks models EKS access entries and access policies: the cluster's
// authentication mode, the identity an access entry gives its IAM principal, and what
// each AWS managed access policy allows in Kubernetes terms. Pure.
package eks

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
)

// Authentication modes (DescribeCluster: cluster.accessConfig.authenticationMode).
const (
	ModeConfigMap       = "CONFIG_MAP"
	ModeAPI             = "API"
	ModeAPIAndConfigMap = "API_AND_CONFIG_MAP"
)

// Access entry types.
const (
	TypeStandard     = "STANDARD"
	TypeEC2Linux     = "EC2_LINUX"
	TypeEC2Windows   = "EC2_WINDOWS"
	TypeFargateLinux = "FARGATE_LINUX"
	TypeHybridLinux  = "HYBRID_LINUX"
	TypeEC2          = "EC2"
	TypeHyperPod     = "HYPERPOD_LINUX"
)

// The data types are the API's (they are printed and written to files); this package
// interprets them.
type (
	Cluster          = v1alpha1.EKSCluster
	AccessEntry      = v1alpha1.AccessEntry
	AssociatedPolicy = v1alpha1.AssociatedPolicy
	Scope            = v1alpha1.AccessScope
	Snapshot         = v1alpha1.AccessConfig
	ManagedRoles     = v1alpha1.ManagedRoles
	NamedRole        = v1alpha1.NamedRole
)

// Access scope types.
const (
	ScopeCluster   = "cluster"
	ScopeNamespace = "namespace"
)

// CreatorAdmin is what the cluster configuration says of the cluster creator's
// cluster-admin access.
type CreatorAdmin int

const (
	// CreatorAdminUnknown: the authentication mode is unknown (access entries not
	// read); if it is CONFIG_MAP, the creator is an implicit cluster admin.
	CreatorAdminUnknown CreatorAdmin = iota
	// CreatorAdminImplicit: CONFIG_MAP mode. The principal that created the cluster
	// is a cluster admin (system:masters) that no aws-auth entry shows and that
	// cannot be removed: EKS user guide, "Grant IAM users and roles access to
	// Kubernetes APIs" > "Set cluster authentication mode" ("The IAM principal that
	// created the cluster is the initial user ... there isn't an entry in the
	// ConfigMap to manage") and "Add IAM principals to your Amazon EKS cluster" in
	// auth-configmap.adoc ("automatically granted system:masters permissions ...
	// doesn't appear in any visible configuration").
	CreatorAdminImplicit
	// CreatorAdminAccessEntry: API or API_AND_CONFIG_MAP mode. Whatever admin access
	// the creator has is an ordinary access entry, which can be removed (user guide,
	// "Grant IAM users access to Kubernetes with EKS access entries": "Amazon EKS
	// creates an access entry with administrator permissions to the cluster for the
	// IAM principal that originally created the cluster").
	CreatorAdminAccessEntry
	// CreatorAdminNone: CONFIG_MAP mode with bootstrapClusterCreatorAdminPermissions
	// false. EKS refuses that combination when creating a cluster (the API's error
	// "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication
	// mode is set to CONFIG_MAP"; not in the user guide); if DescribeCluster reports
	// it, it is taken as reported.
	CreatorAdminNone
)

// CreatorAdminOf says what c's configuration means for the creator's admin access (c
// nil: the mode is unknown).
func CreatorAdminOf(c *Cluster) CreatorAdmin {
	if c == nil {
		return CreatorAdminUnknown
	}
	switch c.AuthenticationMode {
	case ModeConfigMap:
		if b := c.BootstrapClusterCreatorAdminPermissions; b != nil && !*b {
			return CreatorAdminNone
		}
		return CreatorAdminImplicit
	case ModeAPI, ModeAPIAndConfigMap:
		return CreatorAdminAccessEntry
	}
	return CreatorAdminUnknown
}

// A namespace pattern of an access scope, as the EKS user guide documents it
// ("Associate access policies with access entries", access-policies.adoc: "You can use
// wildcard characters for a namespace name. For example ... dev-*"): an exact
// namespace name, or a prefix followed by one trailing '*', which matches every
// namespace that starts with the prefix. How EKS treats any other wildcard (a leading
// or middle '*', '?', '[...]') is not documented: such a pattern is unverified. It is
// never matched (a glob reading might grant more than EKS does), and callers warn
// about it (Decision.Unverified, Scope.Unverified).

// documentedPattern reports whether p is an exact name or a prefix with one trailing
// '*'.
func documentedPattern(p string) bool {
	return !strings.ContainsAny(strings.TrimSuffix(p, "*"), "*?[")
}

// matchDocumented matches ns against a documented pattern p.
func matchDocumented(p, ns string) bool {
	if prefix, ok := strings.CutSuffix(p, "*"); ok {
		return strings.HasPrefix(ns, prefix)
	}
	return p == ns
}

// matchGlob reports whether an unverified pattern p would match ns read as a shell
// glob, the widest reading (used only to say that it might).
func matchGlob(p, ns string) bool {
	ok, err := path.Match(p, ns)
	return err == nil && ok
}

// Covers reports whether the scope s applies to a request in namespace ns ("" for a
// cluster-scoped request or a non-resource URL, which only a cluster scope covers).
// allNamespaces asks whether it applies in at least one namespace. Only documented
// namespace patterns count (see documentedPattern).
func Covers(s Scope, ns string, allNamespaces bool) bool {
	if s.Type == ScopeCluster {
		return true
	}
	for _, p := range s.Namespaces {
		if !documentedPattern(p) {
			continue
		}
		if allNamespaces || (ns != "" && matchDocumented(p, ns)) {
			return true
		}
	}
	return false
}

// Unverified lists the scope s's namespace patterns that are not a documented form, in
// order: they are never matched.
func Unverified(s Scope) []string {
	var out []string
	if s.Type == ScopeCluster {
		return nil
	}
	for _, p := range s.Namespaces {
		if !documentedPattern(p) {
			out = append(out, p)
		}
	}
	return out
}

// mightCover reports whether an unverified pattern of the scope would cover the
// request read as a glob: in ns, or with allNamespaces in some namespace. It returns
// the first such pattern.
func mightCover(s Scope, ns string, allNamespaces bool) (string, bool) {
	for _, p := range Unverified(s) {
		if allNamespaces || (ns != "" && matchGlob(p, ns)) {
			return p, true
		}
	}
	return "", false
}

// ScopeString is a scope in words: "cluster", "namespaces app,dev-*".
func ScopeString(s Scope) string {
	if s.Type == ScopeCluster {
		return "cluster"
	}
	return "namespaces " + strings.Join(s.Namespaces, ",")
}

// Owner says which managed node group of m or Fargate profile uses the role arn (compared
// by MatchKey), or "" when none does.
func Owner(m *ManagedRoles, arn string) string {
	if m == nil {
		return ""
	}
	k := iamarn.Key(arn)
	for _, n := range m.NodeGroups {
		if iamarn.Key(n.RoleARN) == k {
			return "managed node group " + n.Name
		}
	}
	for _, f := range m.FargateProfiles {
		if iamarn.Key(f.RoleARN) == k {
			return "Fargate profile " + f.Name
		}
	}
	return ""
}

// DefaultUsername is the username EKS gives an entry without one (EKSUG
// creating-access-entries.adoc, table of generated usernames): for a user, its ARN
// (path included); for a role, its STS session ARN with the path removed, ending in
// {{SessionName}}; for EC2_LINUX and EC2_WINDOWS, system:node:{{EC2PrivateDNSName}}; for
// FARGATE_LINUX and HYBRID_LINUX, system:node:{{SessionName}}. The guide does not list
// EC2 (Auto Mode) or HYPERPOD_LINUX: EC2 is taken to be like EC2_LINUX and
// HYPERPOD_LINUX like HYBRID_LINUX (unverified).
func DefaultUsername(e *AccessEntry) string {
	switch e.Type {
	case TypeEC2Linux, TypeEC2Windows, TypeEC2:
		return "system:node:{{EC2PrivateDNSName}}"
	case TypeFargateLinux, TypeHybridLinux, TypeHyperPod:
		return "system:node:{{SessionName}}"
	}
	a := iamarn.Parse(e.PrincipalARN)
	if a.Kind == iamarn.Role {
		return fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/{{SessionName}}", a.Partition, a.Account, a.Name)
	}
	return e.PrincipalARN
}

// Username is the entry's username, or the default.
func Username(e *AccessEntry) string {
	if e.Username != "" {
		return e.Username
	}
	return DefaultUsername(e)
}

// ImpliedGroups are the groups the model adds to an entry whose type is for a node
// role: system:nodes, the group DescribeAccessEntry reports for such entries (an
// EC2_LINUX entry comes back with kubernetesGroups ["system:nodes"] and username
// system:node:{{EC2PrivateDNSName}}). EKS sets the groups of these types itself (the
// user guide, "Create access entries": kubernetesGroups only for STANDARD), and its
// "Update access entries" page asks not to remove system:nodes. Nothing more is
// implied: EKS does not report system:bootstrappers, system:node-proxier or
// eks:kube-proxy-windows for entries, although the aws-auth node mappings carry them.
// The groups the entry reports always count (Groups); the implied group only matters
// for an entry read from a file that does not list it. EC2 (Auto Mode) and
// HYPERPOD_LINUX: the user guide documents no groups (Auto Mode nodes get their
// permissions from AmazonEKSAutoNodePolicy), so none are implied.
func ImpliedGroups(e *AccessEntry) []string {
	switch e.Type {
	case TypeEC2Linux, TypeEC2Windows, TypeFargateLinux, TypeHybridLinux:
		return []string{"system:nodes"}
	}
	return nil
}

// Groups is every group the entry gives: the kubernetesGroups it reports, then the
// implied ones it does not list.
func Groups(e *AccessEntry) []string {
	out := slices.Clone(e.KubernetesGroups)
	for _, g := range ImpliedGroups(e) {
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}
