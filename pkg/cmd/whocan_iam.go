package cmd

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/identity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// addIAMPrincipals fills the report's IAM view from aws-auth and EKS access entries
// (under the cluster's authentication mode): every principal whose identity (mapped
// username and groups, plus system:authenticated) is, or is a member of, an allowed
// subject, and every access entry whose access policies allow the request.
// Shadowed and ignored principals are listed with their status and grant nothing.
func addIAMPrincipals(r *v1alpha1.WhoCanReport, a *source.AWSAuth, access *eks.Snapshot, q *rbac.Query) {
	src := identity.Sources{Access: access}
	var store *awsauth.Store
	if a != nil {
		parsed := awsauth.Parse(a.Object.Data)
		store = awsauth.NewStore(parsed)
		src.AWSAuth = store
		dropped := 0
		for _, e := range parsed.Errors {
			if e.Dropped != awsauth.DroppedNothing {
				dropped++
			}
		}
		if dropped > 0 {
			r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "AWSAuthDropped",
				Message: fmt.Sprintf("the authenticator drops %d key(s) or entries of aws-auth (%s) as malformed, so the principals they name are not mapped: see 'kubectl eksiam aws-auth validate'", dropped, a.Source)})
		}
	}
	r.AuthenticationMode = src.Mode()
	principals := identity.All(src)
	policies := eks.Policies()

	byKey := map[string]*v1alpha1.IAMPrincipal{}
	entry := func(p identity.Principal) *v1alpha1.IAMPrincipal {
		key := p.Type + "|" + p.ARN + "|" + p.Source
		ip := byKey[key]
		if ip == nil {
			ip = &v1alpha1.IAMPrincipal{ARN: p.ARN, Type: p.Type, Source: p.Source, Username: p.Username, Groups: nonNil(p.Groups),
				Via: []v1alpha1.SubjectRef{}, Status: p.Status, EntryType: p.EntryType, ViaAccessPolicies: []v1alpha1.AccessPolicyGrant{}}
			byKey[key] = ip
		}
		return ip
	}
	reach := func(p identity.Principal, s *v1alpha1.Subject) {
		ip := entry(p)
		ip.Via = append(ip.Via, v1alpha1.SubjectRef{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace})
		if p.Status == identity.StatusActive && !slices.Contains(s.IAMPrincipals, p.ARN) {
			s.IAMPrincipals = append(s.IAMPrincipals, p.ARN)
		}
	}
	for i := range r.Subjects {
		s := &r.Subjects[i]
		subject := identity.Subject{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace}
		for _, p := range principals {
			if p.Reaches(subject) {
				reach(p, s)
			}
			if s.Kind == "User" && p.Status == identity.StatusActive && p.RenderedForm(s.Name) {
				r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "RenderedUsernameBinding",
					Message: fmt.Sprintf("User %s is one rendering of the username template %q of %s (%s): whoever assumes it with a matching session name gets this access, so it is not listed as the principal's",
						s.Name, p.Username, p.ARN, p.Source)})
			}
		}
		if s.Kind == "User" && store != nil && src.Mode() != eks.ModeAPI {
			if p, ok := identity.AccountPrincipalFor(store, s.Name); ok {
				reach(p, s)
			}
		}
	}
	// Access policies: EKS's own authorizer, beside RBAC.
	for _, p := range principals {
		for _, ap := range p.AccessPolicies {
			pol, known := policies[eks.PolicyName(ap.PolicyARN)]
			if !known || !pol.Modelled || !ap.Scope.Covers(q.Namespace, q.AllNamespaces) {
				continue
			}
			if rbac.FirstAllowingRule(&q.Attributes, pol.Rules) < 0 {
				continue
			}
			// A namespace scope never covers cluster-scoped requests.
			if ap.Scope.Type == eks.ScopeNamespace && q.ClusterLevel() {
				continue
			}
			ip := entry(p)
			ip.ViaAccessPolicies = append(ip.ViaAccessPolicies, v1alpha1.AccessPolicyGrant{PolicyARN: ap.PolicyARN, Scope: ap.Scope.Type, Namespaces: nonNil(ap.Scope.Namespaces)})
		}
		for _, ap := range p.AccessPolicies {
			if pol, known := policies[eks.PolicyName(ap.PolicyARN)]; p.Status == identity.StatusActive && (!known || !pol.Modelled) {
				r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "UnmodelledAccessPolicy",
					Message: fmt.Sprintf("%s has access policy %s, whose rules are not modelled (%s): what it allows is not counted", p.ARN, eks.PolicyName(ap.PolicyARN), cmp.Or(pol.About, "unknown policy"))})
			}
		}
	}
	for _, ip := range byKey {
		r.IAMPrincipals = append(r.IAMPrincipals, *ip)
	}
	slices.SortFunc(r.IAMPrincipals, func(a, b v1alpha1.IAMPrincipal) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(strings.ToLower(a.ARN), strings.ToLower(b.ARN)), cmp.Compare(a.Source, b.Source))
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// iamCell lists the principals reaching a subject in short form (role/Name,
// user/Name, account 111122223333); wide shows full ARNs.
func iamCell(arns []string, wide bool) string {
	if len(arns) == 0 {
		return ""
	}
	out := make([]string, 0, len(arns))
	for _, arn := range arns {
		if !wide {
			arn = shortARN(arn)
		}
		out = append(out, arn)
	}
	const maxShort = 3
	if !wide && len(out) > maxShort {
		return strings.Join(out[:maxShort], ",") + fmt.Sprintf(",+%d more", len(out)-maxShort)
	}
	return strings.Join(out, ",")
}

func shortARN(arn string) string {
	a := awsauth.ParseARN(arn)
	switch {
	case strings.HasSuffix(arn, ":*"):
		return "account/" + a.Account
	case a.Kind == awsauth.ARNRole || a.Kind == awsauth.ARNUser:
		return a.Kind + "/" + a.Name
	}
	return arn
}
