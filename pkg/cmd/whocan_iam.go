package cmd

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/identity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// addIAMPrincipals fills the report's IAM view from aws-auth: every principal whose
// identity (mapped username and groups, plus system:authenticated) is, or is a
// member of, an allowed subject.
func addIAMPrincipals(r *v1alpha1.WhoCanReport, a *source.AWSAuth) {
	parsed := awsauth.Parse(a.Object.Data)
	store := awsauth.NewStore(parsed)
	principals := identity.FromAWSAuth(store)
	byARN := map[string]*v1alpha1.IAMPrincipal{}
	reach := func(p identity.Principal, s *v1alpha1.Subject) {
		key := p.Type + "|" + p.ARN
		ip := byARN[key]
		if ip == nil {
			ip = &v1alpha1.IAMPrincipal{ARN: p.ARN, Type: p.Type, Source: p.Source, Username: p.Username, Groups: nonNil(p.Groups), Via: []v1alpha1.SubjectRef{}}
			byARN[key] = ip
		}
		ip.Via = append(ip.Via, v1alpha1.SubjectRef{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace})
		if !slices.Contains(s.IAMPrincipals, p.ARN) {
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
			if s.Kind == "User" && p.RenderedForm(s.Name) {
				r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "RenderedUsernameBinding",
					Message: fmt.Sprintf("User %s is one rendering of the username template %q of %s (%s): whoever assumes it with a matching session name gets this access, so it is not listed as the principal's",
						s.Name, p.Username, p.ARN, p.Source)})
			}
		}
		if s.Kind == "User" {
			if p, ok := identity.AccountPrincipalFor(store, s.Name); ok {
				reach(p, s)
			}
		}
	}
	for _, ip := range byARN {
		r.IAMPrincipals = append(r.IAMPrincipals, *ip)
	}
	slices.SortFunc(r.IAMPrincipals, func(a, b v1alpha1.IAMPrincipal) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(strings.ToLower(a.ARN), strings.ToLower(b.ARN)), cmp.Compare(a.Source, b.Source))
	})
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
			a := awsauth.ParseARN(arn)
			switch {
			case strings.HasSuffix(arn, ":*"):
				arn = "account/" + a.Account
			case a.Kind == awsauth.ARNRole || a.Kind == awsauth.ARNUser:
				arn = a.Kind + "/" + a.Name
			}
		}
		out = append(out, arn)
	}
	const maxShort = 3
	if !wide && len(out) > maxShort {
		return strings.Join(out[:maxShort], ",") + fmt.Sprintf(",+%d more", len(out)-maxShort)
	}
	return strings.Join(out, ",")
}
