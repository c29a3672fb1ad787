// Package identity turns AWS IAM principals into the Kubernetes identities they
// become (user name and groups), and finds which principals reach a given RBAC
// subject. Sources: the aws-auth ConfigMap (EKS access entries come later). Pure.
package identity

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
)

// AuthenticatedGroup is added by the API server to every authenticated user.
const AuthenticatedGroup = "system:authenticated"

// Principal is an IAM principal (or, for mapAccounts, every principal of an
// account) and the identity it becomes.
type Principal struct {
	// ARN of the role or user; for an account mapping, arn:aws:iam::<account>:*.
	ARN string
	// Type is role, user or account.
	Type string
	// Source is the entry that maps it, such as aws-auth mapRoles[2].
	Source string
	// Username as mapped, templates kept ({{SessionName}} ...); for an account
	// mapping, the caller's own ARN (shown as "{{ARN}}").
	Username string
	// Groups as mapped, without system:authenticated.
	Groups []string
}

// FromAWSAuth lists the principals aws-auth maps, one per mapping that takes effect
// (case-variant mapUsers entries included).
func FromAWSAuth(s *awsauth.Store) []Principal {
	var out []Principal
	for _, m := range s.Active() {
		p := Principal{ARN: m.ARN, Type: m.Kind, Source: fmt.Sprintf("aws-auth %s[%d]", m.Key, m.Index), Username: m.Username, Groups: m.Groups}
		if m.Kind == awsauth.KindAccount {
			p.ARN = "arn:aws:iam::" + m.ARN + ":*"
			p.Username = "{{ARN}}"
		}
		if m.SSO != nil {
			continue // matches only when the alpha SSORoleMatch gate is on
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Principal) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(strings.ToLower(a.ARN), strings.ToLower(b.ARN)), cmp.Compare(a.Source, b.Source))
	})
	return out
}

// Templated reports whether the principal's username is rendered per request.
func (p *Principal) Templated() bool { return strings.Contains(p.Username, "{{") }

// Subject is an RBAC subject: kind User, Group or ServiceAccount.
type Subject struct {
	Kind, Name, Namespace string
}

// Reaches reports whether the identity p becomes is, or is a member of, subject s.
// Every principal is in system:authenticated. A templated username never equals a
// User subject, which names one fixed user (see RenderedForm).
func (p *Principal) Reaches(s Subject) bool {
	switch s.Kind {
	case "Group":
		return s.Name == AuthenticatedGroup || slices.Contains(p.Groups, s.Name)
	case "User":
		return !p.Templated() && p.Username == s.Name
	case "ServiceAccount":
		return !p.Templated() && p.Username == "system:serviceaccount:"+s.Namespace+":"+s.Name
	}
	return false
}

// RenderedForm reports whether a User subject's name is one rendering of the
// principal's username template (one session): such a binding follows whoever
// picks that session name, so it is shown as a warning, never as the principal's access.
func (p *Principal) RenderedForm(user string) bool {
	if !p.Templated() || p.Type == awsauth.KindAccount {
		return false
	}
	return templateRegexp(p.Username).MatchString(user)
}

var tokenRE = regexp.MustCompile(`\{\{[A-Za-z0-9]+\}\}`)

func templateRegexp(tmpl string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, loc := range tokenRE.FindAllStringIndex(tmpl, -1) {
		b.WriteString(regexp.QuoteMeta(tmpl[last:loc[0]]))
		b.WriteString(".+")
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(tmpl[last:]))
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// AccountPrincipalFor returns the mapAccounts principal a User subject named by an
// ARN stands for: with an account mapping, a principal of that account authenticates
// as its own ARN, so a User binding of that ARN reaches it, unless a role or user
// mapping takes it first.
func AccountPrincipalFor(s *awsauth.Store, user string) (Principal, bool) {
	a := awsauth.ParseARN(user)
	if a.Malformed != "" || a.Account == "" {
		return Principal{}, false
	}
	r := s.Resolve(user)
	if r.Mapping == nil || r.Mapping.Kind != awsauth.KindAccount {
		return Principal{}, false
	}
	return Principal{ARN: user, Type: awsauth.KindAccount, Source: fmt.Sprintf("aws-auth %s[%d]", r.Mapping.Key, r.Mapping.Index), Username: user, Groups: []string{}}, true
}
