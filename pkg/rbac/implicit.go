package rbac

import rbacv1 "k8s.io/api/rbac/v1"

// IdentityOf is the identity a subject authenticates as, with the groups the API
// server adds on its own, as RBAC sees a request of it:
//   - a ServiceAccount (or a User whose name is a service account's user name) is
//     system:serviceaccount:NS:NAME in system:serviceaccounts,
//     system:serviceaccounts:NS and system:authenticated (its token's groups);
//   - the User system:anonymous is in system:unauthenticated; any other User is in
//     system:authenticated (the groups its authenticator gives it are not known here);
//   - a Group is the groups [NAME, system:authenticated] with no user name: what every
//     member has at least (system:unauthenticated and system:authenticated alone).
func IdentityOf(s Subject) Identity {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		return Identity{Username: ServiceAccountUsername(s.Namespace, s.Name),
			Groups: []string{AllServiceAccounts, serviceAccountsPrefix + s.Namespace, AuthenticatedGroup}}
	case rbacv1.UserKind:
		if sa := SubjectForUsername(s.Name); sa.Kind == rbacv1.ServiceAccountKind {
			return IdentityOf(sa)
		}
		if s.Name == AnonymousUser {
			return Identity{Username: s.Name, Groups: []string{UnauthenticatedGroup}}
		}
		return Identity{Username: s.Name, Groups: []string{AuthenticatedGroup}}
	case rbacv1.GroupKind:
		if s.Name == UnauthenticatedGroup || s.Name == AuthenticatedGroup {
			return Identity{Groups: []string{s.Name}}
		}
		return Identity{Groups: []string{s.Name, AuthenticatedGroup}}
	}
	return Identity{}
}
