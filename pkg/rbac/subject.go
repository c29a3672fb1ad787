package rbac

import (
	"fmt"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
)

// Well-known groups. The API server adds system:authenticated to every authenticated
// user and system:unauthenticated to anonymous requests; service accounts carry
// system:serviceaccounts and system:serviceaccounts:<namespace>.
const (
	// SuperuserGroup is allowed every request by the API server itself, before RBAC is
	// consulted, whether or not any binding names it.
	SuperuserGroup        = "system:masters"
	AuthenticatedGroup    = "system:authenticated"
	UnauthenticatedGroup  = "system:unauthenticated"
	AllServiceAccounts    = "system:serviceaccounts"
	AnonymousUser         = "system:anonymous"
	serviceAccountPrefix  = "system:serviceaccount:"
	serviceAccountsPrefix = "system:serviceaccounts:"
)

// Subject is an identity RBAC can grant to: a user name, a group name, or a service
// account (which is the user name system:serviceaccount:<namespace>:<name>).
type Subject struct {
	Kind      string // rbacv1.UserKind, rbacv1.GroupKind or rbacv1.ServiceAccountKind
	Name      string
	Namespace string // service accounts only
}

// Username is the user name a User or ServiceAccount subject matches ("" for groups).
func (s Subject) Username() string {
	switch s.Kind {
	case rbacv1.UserKind:
		return s.Name
	case rbacv1.ServiceAccountKind:
		return ServiceAccountUsername(s.Namespace, s.Name)
	}
	return ""
}

func (s Subject) String() string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return s.Kind + "/" + s.Namespace + "/" + s.Name
	}
	return s.Kind + "/" + s.Name
}

// ServiceAccountUsername is the user name of service account namespace/name.
func ServiceAccountUsername(namespace, name string) string {
	return serviceAccountPrefix + namespace + ":" + name
}

// SubjectForUsername returns how a user name is best shown: a ServiceAccount when it
// is a valid service account user name (as the API server's serviceaccount.SplitUsername
// decides), a User otherwise. RBAC matches a ServiceAccount subject and a User subject
// with that user name identically, so both name the same identity.
func SubjectForUsername(username string) Subject {
	if rest, ok := strings.CutPrefix(username, serviceAccountPrefix); ok {
		parts := strings.Split(rest, ":")
		if len(parts) == 2 &&
			len(apivalidation.ValidateNamespaceName(parts[0], false)) == 0 &&
			len(apivalidation.ValidateServiceAccountName(parts[1], false)) == 0 {
			return Subject{Kind: rbacv1.ServiceAccountKind, Namespace: parts[0], Name: parts[1]}
		}
	}
	return Subject{Kind: rbacv1.UserKind, Name: username}
}

// serviceAccountForm is the ServiceAccount a user name has the form of,
// system:serviceaccount:<namespace>:<name>, whether or not the names are valid: RBAC
// compares a ServiceAccount subject with a user name as a string, so even a namespace
// no object can have (an unrendered $NAMESPACE) matches a user of that name.
func serviceAccountForm(username string) (Subject, bool) {
	rest, ok := strings.CutPrefix(username, serviceAccountPrefix)
	if !ok {
		return Subject{}, false
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return Subject{}, false
	}
	return Subject{Kind: rbacv1.ServiceAccountKind, Namespace: parts[0], Name: parts[1]}, true
}

// identityOf returns the identity a binding subject matches. bindingNamespace is the
// namespace of a RoleBinding ("" for a ClusterRoleBinding): a ServiceAccount subject
// without a namespace defaults to it, as in the RBAC authorizer. ok is false, with the
// reason, for subjects that can never match anybody; ok with a reason is a subject
// that matches but deserves a warning.
func identityOf(s rbacv1.Subject, bindingNamespace string) (id Subject, reason string, ok bool) {
	if s.Name == "" {
		return Subject{}, "has no name", false
	}
	switch s.Kind {
	case rbacv1.UserKind:
		return SubjectForUsername(s.Name), "", true
	case rbacv1.GroupKind:
		return Subject{Kind: rbacv1.GroupKind, Name: s.Name}, "", true
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNamespace
		}
		if ns == "" {
			return Subject{}, "is a ServiceAccount without a namespace", false
		}
		id := SubjectForUsername(ServiceAccountUsername(ns, s.Name))
		if id.Kind != rbacv1.ServiceAccountKind {
			// Not a valid namespace or name (an unrendered template such as
			// $KARPENTER_NAMESPACE): still a ServiceAccount subject, which the authorizer
			// matches by the user name, though no pod can run as it.
			return Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: s.Name},
				fmt.Sprintf("names ServiceAccount %s/%s, whose namespace or name is not valid (an unrendered template?): no pod runs as it, but a user of that name matches it", ns, s.Name), true
		}
		return id, "", true
	}
	return Subject{}, "has unsupported kind " + strconv.Quote(s.Kind), false
}

// IsServiceAccountGroup reports whether group is system:serviceaccounts or
// system:serviceaccounts:<namespace>.
func IsServiceAccountGroup(group string) bool {
	return group == AllServiceAccounts || strings.HasPrefix(group, serviceAccountsPrefix)
}
