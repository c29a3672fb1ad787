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

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
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
	// Status is active; shadowed (an aws-auth mapping of a principal that has an
	// access entry, which wins in API_AND_CONFIG_MAP mode); or ignored (the
	// cluster's authentication mode does not read this source).
	Status string
	// EntryType and AccessPolicies, for access entries.
	EntryType      string
	AccessPolicies []eks.AssociatedPolicy
}

// Principal statuses.
const (
	StatusActive   = "active"
	StatusShadowed = "shadowed"
	StatusIgnored  = "ignored"
)

// FromAWSAuth lists the principals aws-auth maps, one per mapping that takes effect
// (case-variant mapUsers entries included).
func FromAWSAuth(s *awsauth.Store) []Principal {
	var out []Principal
	for _, m := range s.Active() {
		p := Principal{ARN: m.ARN, Type: m.Kind, Source: fmt.Sprintf("aws-auth %s[%d]", m.Key, m.Index), Username: m.Username, Groups: m.Groups, Status: StatusActive}
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
	return Principal{ARN: user, Type: awsauth.KindAccount, Source: fmt.Sprintf("aws-auth %s[%d]", r.Mapping.Key, r.Mapping.Index), Username: user, Groups: []string{}, Status: StatusActive}, true
}

// Sources are where IAM principals come from.
type Sources struct {
	// AWSAuth is the aws-auth store, nil when there is no aws-auth.
	AWSAuth *awsauth.Store
	// Access is the cluster's access configuration, nil when it was not read (the
	// mode is then unknown and aws-auth is taken as what counts).
	Access *eks.Snapshot
}

// Mode is the cluster's authentication mode, "" when unknown.
func (s Sources) Mode() string {
	if s.Access == nil {
		return ""
	}
	return s.Access.Cluster.AuthenticationMode
}

// All lists every principal of every source, with its status under the
// authentication mode: CONFIG_MAP reads aws-auth only, API access entries only,
// API_AND_CONFIG_MAP both, an access entry winning over aws-auth for its principal.
func All(src Sources) []Principal {
	mode := src.Mode()
	entryKeys := map[string]bool{}
	var out []Principal
	if src.Access != nil {
		for _, e := range src.Access.Entries {
			entryKeys[eks.MatchKey(e.PrincipalARN)] = true
			kind := awsauth.ParseARN(e.PrincipalARN).Kind
			if kind != awsauth.ARNUser {
				kind = awsauth.KindRole
			}
			p := Principal{ARN: e.PrincipalARN, Type: kind, Source: "access entry (" + e.Type + ")", Username: eks.Username(&e),
				Groups: eks.Groups(&e), Status: StatusActive, EntryType: e.Type, AccessPolicies: e.AccessPolicies}
			if mode == eks.ModeConfigMap {
				p.Status = StatusIgnored
			}
			out = append(out, p)
		}
	}
	if src.AWSAuth != nil {
		for _, p := range FromAWSAuth(src.AWSAuth) {
			switch {
			case mode == eks.ModeAPI:
				p.Status = StatusIgnored
			case mode == eks.ModeAPIAndConfigMap && p.Type != awsauth.KindAccount && entryKeys[eks.MatchKey(p.ARN)]:
				p.Status = StatusShadowed
			}
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Principal) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(strings.ToLower(a.ARN), strings.ToLower(b.ARN)), cmp.Compare(a.Source, b.Source))
	})
	return out
}

// Resolved is the identity one IAM principal gets.
type Resolved struct {
	// CanonicalARN is what the authenticator matches: an assumed-role session
	// becomes its role.
	CanonicalARN string
	// Principal is the mapping that applies, nil when the principal is not mapped.
	Principal *Principal
	// Username and Groups the caller gets (Groups include system:authenticated; both
	// are empty when the principal is not mapped, as it cannot authenticate).
	// {{AccountID}} is rendered; {{SessionName}} and {{SessionNameRaw}} are rendered for
	// a session ARN, and to "" for users, roots and federated users (which have no
	// session name); for a role ARN they stay, as does every other template.
	Username string
	Groups   []string
	// Others are mappings of the same principal that do not apply, with why (shadowed,
	// ignored by the mode).
	Others []Principal
	// Ambiguous is set when aws-auth case-variant entries make the answer random (only
	// when the aws-auth mapping is the one that applies).
	Ambiguous bool
	// Warnings about the principal's access policies: namespace patterns that are not
	// a documented form, whose access is never counted.
	Warnings []v1alpha1.Warning
}

// Resolve finds the identity arn (a role, a user, or an assumed-role session ARN)
// gets, under the authentication mode. A role ARN stands for the role's sessions.
func Resolve(src Sources, arn string) (*Resolved, error) {
	canonical, err := awsauth.CanonicalCallerARN(arn)
	if err != nil {
		return nil, err
	}
	// A session's canonical ARN is its role without the path (the session ARN carries
	// only the role name), so a role ARN given with its path matches what its sessions
	// match: an aws-auth entry without the path, never one with it (AWS-AUTH.md §4).
	if a := awsauth.ParseARN(canonical); a.Kind == awsauth.ARNRole && a.Malformed == "" && a.Path != "" {
		canonical = a.PathStripped()
	}
	r := &Resolved{CanonicalARN: canonical}
	var candidates []Principal
	mode := src.Mode()
	if src.Access != nil {
		for _, p := range All(Sources{Access: src.Access}) {
			if eks.MatchKey(p.ARN) == eks.MatchKey(canonical) {
				candidates = append(candidates, p)
			}
		}
	}
	if src.AWSAuth != nil {
		res := src.AWSAuth.Resolve(canonical)
		if res.Mapping != nil {
			p := Principal{ARN: res.Mapping.ARN, Type: res.Mapping.Kind, Source: fmt.Sprintf("aws-auth %s[%d]", res.Mapping.Key, res.Mapping.Index),
				Username: res.Username, Groups: res.Groups, Status: StatusActive}
			if res.Mapping.Kind == awsauth.KindAccount {
				p.ARN = "arn:aws:iam::" + res.Mapping.ARN + ":*"
			}
			switch {
			case mode == eks.ModeAPI:
				p.Status = StatusIgnored
			case mode == eks.ModeAPIAndConfigMap && len(candidates) > 0:
				p.Status = StatusShadowed
			}
			r.Ambiguous = res.Ambiguous && p.Status == StatusActive
			candidates = append(candidates, p)
		}
	}
	for i := range candidates {
		if candidates[i].Status == StatusActive && r.Principal == nil {
			p := candidates[i]
			r.Principal = &p
			continue
		}
		r.Others = append(r.Others, candidates[i])
	}
	// Not mapped: the authenticator rejects the token, so there is no identity.
	r.Groups = []string{}
	r.Warnings = []v1alpha1.Warning{}
	if r.Principal != nil {
		r.Warnings = append(r.Warnings, ScopeWarnings(r.Principal)...)
		r.Username = render(r.Principal.Username, arn)
		r.Groups = append(r.Groups, AuthenticatedGroup)
		for _, g := range r.Principal.Groups {
			r.Groups = append(r.Groups, render(g, arn))
		}
	}
	return r, nil
}

// render fills in the templates the caller's ARN determines, in the authenticator's
// order (AWS-AUTH.md §3): the account; then the session name, with '@' replaced by '-'
// in {{SessionName}}. Users, roots and federated users have no session name, so theirs
// render to "". For a role ARN the session is not known and they stay, as do
// {{EC2PrivateDNSName}} and {{AccessKeyID}}.
func render(tmpl, arn string) string {
	a := awsauth.ParseARN(arn)
	tmpl = strings.ReplaceAll(tmpl, "{{AccountID}}", a.Account)
	var session string
	switch a.Kind {
	case awsauth.ARNAssumedRole:
		parts := strings.Split(a.Name, "/")
		session = parts[len(parts)-1]
	case awsauth.ARNUser, awsauth.ARNRoot, awsauth.ARNFederatedUser:
		session = ""
	default:
		return tmpl
	}
	tmpl = strings.ReplaceAll(tmpl, "{{SessionName}}", strings.ReplaceAll(session, "@", "-"))
	return strings.ReplaceAll(tmpl, "{{SessionNameRaw}}", session)
}

// ReasonUnverifiedScope is the warning reason for access policy associations whose
// namespace patterns the EKS user guide does not document: what they might allow is
// not counted (eks.Scope.Covers).
const ReasonUnverifiedScope = "UnverifiedAccessScope"

// ScopeWarnings warns about each access policy association of p that has namespace
// patterns in a form the EKS user guide does not document.
func ScopeWarnings(p *Principal) []v1alpha1.Warning {
	var out []v1alpha1.Warning
	for _, ap := range p.AccessPolicies {
		if pats := ap.Scope.Unverified(); len(pats) > 0 {
			out = append(out, v1alpha1.Warning{Reason: ReasonUnverifiedScope,
				Message: fmt.Sprintf("%s: access policy %s has namespace pattern(s) %s, not a form the EKS user guide documents (an exact name, or a prefix ending in one '*'): how EKS matches them is unknown, so what they might allow is not counted",
					p.ARN, eks.PolicyName(ap.PolicyARN), quoteAll(pats))})
		}
	}
	return out
}

func quoteAll(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

// PolicyDecisions decides request a by each access policy association of p (EKS's
// authorizer, beside RBAC): the associations that allow it, in order, and a warning
// for each association that might allow it in a way AWS does not document, which is
// not counted (eks.Policy.Decide). who-can and access both decide through it.
func PolicyDecisions(p *Principal, a *rbac.Attributes, allNamespaces bool) (allowing []eks.AssociatedPolicy, warnings []v1alpha1.Warning) {
	return policyDecisions(p, a, allNamespaces, false)
}

// DecidePolicies is PolicyDecisions for the resolved principal, in one namespace,
// without repeating the warnings r.Warnings already gives (associations with
// undocumented namespace patterns).
func (r *Resolved) DecidePolicies(a *rbac.Attributes) (allowing []eks.AssociatedPolicy, warnings []v1alpha1.Warning) {
	if r.Principal == nil {
		return nil, nil
	}
	return policyDecisions(r.Principal, a, false, true)
}

func policyDecisions(p *Principal, a *rbac.Attributes, allNamespaces, skipWarnedScopes bool) (allowing []eks.AssociatedPolicy, warnings []v1alpha1.Warning) {
	policies := eks.Policies()
	for _, ap := range p.AccessPolicies {
		pol := policies[eks.PolicyName(ap.PolicyARN)]
		d := pol.Decide(ap.Scope, a, allNamespaces)
		switch {
		case d.Allowed:
			allowing = append(allowing, ap)
		case d.Unverified != "" && !(skipWarnedScopes && len(ap.Scope.Unverified()) > 0):
			warnings = append(warnings, v1alpha1.Warning{Reason: ReasonUnverifiedScope, Message: p.ARN + ": " + d.Unverified})
		}
	}
	return allowing, warnings
}
