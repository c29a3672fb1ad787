package identity

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// maxRenderedUsers bounds the users one RenderedUsernameBinding warning names.
const maxRenderedUsers = 10

// AddToWhoCan fills a who-can report's IAM view from src, under the cluster's
// authentication mode: every principal whose identity (mapped username and groups,
// plus system:authenticated) is, or is a member of, one of the report's subjects, and
// every access entry whose access policies allow the request q. Shadowed and ignored
// principals are listed with their status and grant nothing. Its cost is linear in
// subjects plus principals (plus what it reports): lookups go through an Index.
func AddToWhoCan(r *v1alpha1.WhoCanReport, src Sources, q *rbac.Query) {
	r.AuthenticationMode = src.Mode()
	r.Findings = append(r.Findings, CreatorFindings(src)...)
	principals := All(src)
	ix := NewIndex(principals)

	// One report entry per principal, made when first reached, in index order.
	entries := make([]*v1alpha1.IAMPrincipal, len(principals))
	entry := func(i int) *v1alpha1.IAMPrincipal {
		if entries[i] == nil {
			ip := principalEntry(&principals[i])
			entries[i] = &ip
		}
		return entries[i]
	}
	var accountEntries []*v1alpha1.IAMPrincipal
	accountSeen := map[string]*v1alpha1.IAMPrincipal{}
	rendered := map[int][]string{}

	for k := range r.Subjects {
		s := &r.Subjects[k]
		ref := v1alpha1.SubjectRef{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace}
		last := ""
		for _, i := range ix.Reaching(Subject{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace}) {
			p := &principals[i]
			ip := entry(i)
			ip.Via = append(ip.Via, ref)
			// Principals are sorted by type and ARN, so the same ARN comes in a run.
			if p.Status == StatusActive && p.ARN != last && !slices.Contains(s.IAMPrincipals, p.ARN) {
				s.IAMPrincipals = append(s.IAMPrincipals, p.ARN)
				last = p.ARN
			}
		}
		if s.Kind != "User" {
			continue
		}
		for _, i := range ix.RenderingsOf(s.Name) {
			rendered[i] = append(rendered[i], s.Name)
		}
		if src.AWSAuth != nil && src.Mode() != eks.ModeAPI {
			if p, ok := AccountPrincipalFor(src.AWSAuth, s.Name); ok {
				key := p.Type + "|" + p.ARN + "|" + p.Source
				ip := accountSeen[key]
				if ip == nil {
					e := principalEntry(&p)
					ip = &e
					accountSeen[key] = ip
					accountEntries = append(accountEntries, ip)
				}
				ip.Via = append(ip.Via, ref)
				if !slices.Contains(s.IAMPrincipals, p.ARN) {
					s.IAMPrincipals = append(s.IAMPrincipals, p.ARN)
				}
			}
		}
	}
	for i := range principals {
		if users := rendered[i]; len(users) > 0 {
			r.Warnings = append(r.Warnings, renderedWarning(&principals[i], users))
		}
	}

	// Access policies: EKS's own authorizer, beside RBAC.
	policies := eks.Policies()
	for i := range principals {
		p := &principals[i]
		allowing, warnings := PolicyDecisions(p, &q.Attributes, q.AllNamespaces)
		for _, ap := range allowing {
			ip := entry(i)
			ip.ViaAccessPolicies = append(ip.ViaAccessPolicies, v1alpha1.AccessPolicyGrant{PolicyARN: ap.PolicyARN, Scope: ap.Scope.Type, Namespaces: nonNil(ap.Scope.Namespaces)})
		}
		if p.Status == StatusActive {
			r.Warnings = append(r.Warnings, warnings...)
		}
		for _, ap := range p.AccessPolicies {
			pol, known := policies[eks.PolicyName(ap.PolicyARN)]
			if p.Status == StatusActive && (!known || !pol.Modelled) {
				r.Warnings = append(r.Warnings, UnmodelledPolicyWarning(p.ARN, ap.PolicyARN, pol))
			}
		}
	}

	for _, ip := range entries {
		if ip != nil {
			r.IAMPrincipals = append(r.IAMPrincipals, *ip)
		}
	}
	for _, ip := range accountEntries {
		r.IAMPrincipals = append(r.IAMPrincipals, *ip)
	}
	slices.SortStableFunc(r.IAMPrincipals, func(a, b v1alpha1.IAMPrincipal) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(strings.ToLower(a.ARN), strings.ToLower(b.ARN)), cmp.Compare(a.Source, b.Source))
	})
}

// UnmodelledPolicyWarning says that what an access policy allows is not counted.
func UnmodelledPolicyWarning(principalARN, policyARN string, pol eks.Policy) v1alpha1.Warning {
	return v1alpha1.Warning{Reason: "UnmodelledAccessPolicy",
		Message: fmt.Sprintf("%s has access policy %s, whose rules are not modelled (%s): what it allows is not counted", principalARN, eks.PolicyName(policyARN), cmp.Or(pol.About, "unknown policy"))}
}

func renderedWarning(p *Principal, users []string) v1alpha1.Warning {
	var who string
	switch {
	case len(users) == 1:
		who = "User " + users[0] + " is one rendering"
	case len(users) <= maxRenderedUsers:
		who = "Users " + strings.Join(users, ", ") + " are renderings"
	default:
		who = fmt.Sprintf("Users %s and %d more are renderings", strings.Join(users[:maxRenderedUsers], ", "), len(users)-maxRenderedUsers)
	}
	return v1alpha1.Warning{Reason: "RenderedUsernameBinding",
		Message: fmt.Sprintf("%s of the username template %q of %s (%s): whoever assumes it with a matching session name gets this access, so it is not listed as the principal's",
			who, p.Username, p.ARN, p.Source)}
}

// principalEntry is the report entry of a principal, before what it reaches is added.
func principalEntry(p *Principal) v1alpha1.IAMPrincipal {
	return v1alpha1.IAMPrincipal{ARN: p.ARN, Type: p.Type, Source: p.Source, Username: p.Username, Groups: nonNil(p.Groups),
		Via: []v1alpha1.SubjectRef{}, Status: p.Status, EntryType: p.EntryType, ViaAccessPolicies: []v1alpha1.AccessPolicyGrant{}}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
