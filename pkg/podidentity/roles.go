package podidentity

import (
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
)

// ServiceAccountRoles are the IAM roles that pods running as each service account get
// now (the effective roles of a report: IRSA, EKS Pod Identity, the node's role
// through IMDS), by "namespace/name".
type ServiceAccountRoles map[string][]v1alpha1.PodIdentityRole

// RolesOf collects the effective roles of every service account in r.
func RolesOf(r *v1alpha1.PodIdentityReport) ServiceAccountRoles {
	m := ServiceAccountRoles{}
	for _, sa := range r.ServiceAccounts {
		for _, role := range sa.Roles {
			if role.Effective && role.ARN != "" {
				k := sa.Namespace + "/" + sa.Name
				m[k] = append(m[k], role)
			}
		}
	}
	return m
}

// Of are the roles of one service account, sorted, each once; node says whether the
// node's role counts (it does for whoever runs code in a pod, not for a token).
func (m ServiceAccountRoles) Of(namespace, name string, node bool) []string {
	return arns(m[namespace+"/"+name], node)
}

// In are the roles of every service account of namespace ("" every namespace).
func (m ServiceAccountRoles) In(namespace string, node bool) []string {
	var all []v1alpha1.PodIdentityRole
	for k, roles := range m {
		if namespace == "" || strings.HasPrefix(k, namespace+"/") {
			all = append(all, roles...)
		}
	}
	return arns(all, node)
}

func arns(roles []v1alpha1.PodIdentityRole, node bool) []string {
	var out []string
	for _, r := range roles {
		if node || r.Via != v1alpha1.ViaNode {
			out = append(out, r.ARN)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
