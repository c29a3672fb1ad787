// Package identity turns AWS IAM principals into the Kubernetes identities they
// become (user name and groups), and finds which principals reach a given RBAC
// subject. Sources: the aws-auth ConfigMap, EKS access entries with their access
// policies, and the cluster creator's implicit admin in CONFIG_MAP mode, under the
// cluster's authentication mode. Pure.
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
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
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

func templateRegexp(tmpl string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, loc := range iamarn.RenderedTokens(tmpl) {
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
	a := iamarn.Parse(user)
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
	// CreatorARN is the principal that created the cluster, "" when not known:
	// DescribeCluster does not name it (the user gives it with --cluster-creator).
	CreatorARN string
}

// The cluster creator's implicit admin access, in CONFIG_MAP mode (see
// eks.CreatorAdminImplicit): a principal line of its own, since no source shows it.
const (
	// CreatorSource is the Source of the creator's principal line.
	CreatorSource = "cluster creator (implicit admin in CONFIG_MAP mode, not in aws-auth)"
	// UnknownCreatorARN stands for the creator when it is not known.
	UnknownCreatorARN = "(cluster creator)"
	// TypeCreator is the Type of the creator's line when its ARN is not known.
	TypeCreator = "creator"
	// MastersGroup is the group the creator is made a member of, which the API server
	// allows everything.
	MastersGroup = rbac.SuperuserGroup
)

// creatorAdmin is what the sources say of the creator's admin access.
func (s Sources) creatorAdmin() eks.CreatorAdmin {
	if s.Access == nil {
		return eks.CreatorAdminUnknown
	}
	return eks.CreatorAdminOf(&s.Access.Cluster)
}

// creatorKey is the MatchKey of the creator's canonical ARN, "" when unknown.
func (s Sources) creatorKey() string {
	if s.CreatorARN == "" {
		return ""
	}
	c, err := CanonicalPrincipal(s.CreatorARN)
	if err != nil {
		return ""
	}
	return iamarn.Key(c)
}

// creatorPrincipal is the creator's implicit admin, when the mode gives it one: the
// user guide does not document the username it authenticates as, so it has none here;
// its group is system:masters ("automatically granted system:masters permissions",
// auth-configmap.adoc).
func (s Sources) creatorPrincipal() (Principal, bool) {
	if s.creatorAdmin() != eks.CreatorAdminImplicit {
		return Principal{}, false
	}
	p := Principal{ARN: UnknownCreatorARN, Type: TypeCreator, Source: CreatorSource, Groups: []string{MastersGroup}, Status: StatusActive}
	if s.CreatorARN != "" {
		if c, err := CanonicalPrincipal(s.CreatorARN); err == nil {
			p.ARN = c
			p.Type = iamarn.Parse(c).Kind
		}
	}
	return p, true
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
// In CONFIG_MAP mode the cluster creator's implicit admin is listed too.
func All(src Sources) []Principal {
	mode := src.Mode()
	entryKeys := map[string]bool{}
	var out []Principal
	if src.Access != nil {
		for _, e := range src.Access.Entries {
			entryKeys[iamarn.Key(e.PrincipalARN)] = true
			kind := iamarn.Parse(e.PrincipalARN).Kind
			if kind != iamarn.User {
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
			case mode == eks.ModeAPIAndConfigMap && p.Type != awsauth.KindAccount && entryKeys[iamarn.Key(p.ARN)]:
				p.Status = StatusShadowed
			}
			out = append(out, p)
		}
	}
	if p, ok := src.creatorPrincipal(); ok {
		out = append(out, p)
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
	// Warnings about the principal's access policies (namespace patterns that are not
	// a documented form, whose access is never counted) and about the creator.
	Warnings []v1alpha1.Warning
	// ClusterCreator is "yes" when the principal is the cluster creator (Sources.
	// CreatorARN) with its implicit admin access (CONFIG_MAP mode); "possible" when it
	// is not mapped but may be the creator, whom the sources do not name (CONFIG_MAP
	// mode without CreatorARN, or the mode unknown); "" otherwise.
	ClusterCreator string
}

// NotMappedReason says why the principal has no identity: it cannot authenticate,
// unless (ClusterCreator "possible") it is the cluster creator.
func (r *Resolved) NotMappedReason() string {
	if r.ClusterCreator == "possible" {
		return "the principal is not mapped: it cannot authenticate, unless it is the cluster creator, which in CONFIG_MAP mode is a cluster admin (system:masters) that aws-auth does not show; DescribeCluster does not name the creator: pass --cluster-creator ARN for an exact answer"
	}
	return "the principal is not mapped: it cannot authenticate"
}

// CanonicalPrincipal is the ARN the authenticator matches for arn: a session
// becomes its role, and a role loses its path (AWS-AUTH.md §4).
func CanonicalPrincipal(arn string) (string, error) {
	// IAM ARNs are plain ASCII: a zero-width or look-alike character makes an ARN that
	// matches nothing (or another principal), which is a malformed ARN, not an unmapped one.
	if r, odd := iamarn.OddRune(arn); odd {
		return "", fmt.Errorf("arn %q is malformed: it contains the character %U, which is invisible, a control character or not ASCII (IAM ARNs are plain ASCII)", arn, r)
	}
	canonical, err := iamarn.CanonicalCaller(arn)
	if err != nil {
		return "", err
	}
	if a := iamarn.Parse(canonical); a.Kind == iamarn.Role && a.Malformed == "" && a.Path != "" {
		canonical = a.PathStripped()
	}
	return canonical, nil
}

// Resolve finds the identity arn (a role, a user, or an assumed-role session ARN)
// gets, under the authentication mode. A role ARN stands for the role's sessions.
func Resolve(src Sources, arn string) (*Resolved, error) {
	// A session's canonical ARN is its role without the path (the session ARN carries
	// only the role name), so a role ARN given with its path matches what its sessions
	// match: an aws-auth entry without the path, never one with it (AWS-AUTH.md §4).
	canonical, err := CanonicalPrincipal(arn)
	if err != nil {
		return nil, err
	}
	r := &Resolved{CanonicalARN: canonical}
	var candidates []Principal
	mode := src.Mode()
	// The creator's implicit admin (CONFIG_MAP mode) comes first. Which identity EKS
	// gives the creator when aws-auth maps it too is not documented: it is answered as
	// the admin, the more powerful of the two, and the mapping is listed as another.
	isCreator := src.creatorKey() != "" && src.creatorKey() == iamarn.Key(canonical)
	if p, ok := src.creatorPrincipal(); ok && isCreator {
		candidates = append(candidates, p)
		r.ClusterCreator = "yes"
	}
	if src.Access != nil {
		for _, p := range All(Sources{Access: src.Access}) {
			if iamarn.Key(p.ARN) == iamarn.Key(canonical) {
				candidates = append(candidates, p)
			}
		}
	}
	entryCandidates := len(candidates) > 0 && r.ClusterCreator == ""
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
			case mode == eks.ModeAPIAndConfigMap && entryCandidates:
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
	// Not mapped: the authenticator rejects the token, so there is no identity, unless
	// the principal is the creator the sources do not name.
	r.Groups = []string{}
	r.Warnings = []v1alpha1.Warning{}
	if r.Principal == nil {
		switch src.creatorAdmin() {
		case eks.CreatorAdminUnknown:
			r.ClusterCreator = "possible"
		case eks.CreatorAdminImplicit:
			if src.CreatorARN == "" {
				r.ClusterCreator = "possible"
			}
		}
	}
	if r.ClusterCreator == "yes" && len(r.Others) > 0 && r.Others[0].Status == StatusActive {
		r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "CreatorAlsoMapped",
			Message: fmt.Sprintf("%s is the cluster creator and %s maps it too: which identity EKS gives it then is not documented; it is answered as the creator's cluster admin (system:masters)", canonical, r.Others[0].Source)})
	}
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
	a := iamarn.Parse(arn)
	tmpl = strings.ReplaceAll(tmpl, "{{AccountID}}", a.Account)
	var session string
	switch a.Kind {
	case iamarn.AssumedRole:
		parts := strings.Split(a.Name, "/")
		session = parts[len(parts)-1]
	case iamarn.User, iamarn.Root, iamarn.FederatedUser:
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
		if pats := eks.Unverified(ap.Scope); len(pats) > 0 {
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
		case d.Unverified != "" && !(skipWarnedScopes && len(eks.Unverified(ap.Scope)) > 0):
			warnings = append(warnings, v1alpha1.Warning{Reason: ReasonUnverifiedScope, Message: p.ARN + ": " + d.Unverified})
		}
	}
	return allowing, warnings
}

// FindingCreatorAdmin is the ID of the finding that the cluster creator holds
// cluster-admin.
const FindingCreatorAdmin = "EKS01"

// creatorRecommendation is the recommendation FindingCreatorAdmin checks.
const creatorRecommendation = "Remove the cluster-admin permissions from the cluster creator principal (EKS Best Practices Guide, Identity and Access Management)"

// CreatorFindings checks the recommendation "remove the cluster-admin permissions from
// the cluster creator principal":
//   - CONFIG_MAP mode: the creator is a cluster admin that aws-auth does not show and
//     that cannot be removed in this mode (medium);
//   - API modes, the creator known (CreatorARN): it still holds cluster-admin through
//     an access entry with AmazonEKSClusterAdminPolicy at cluster scope, or a mapping
//     to system:masters that counts (medium);
//   - API modes, the creator unknown, bootstrapClusterCreatorAdminPermissions true:
//     EKS gave the creator such an entry at creation, and whether it is still there
//     cannot be told (low);
//   - otherwise (the flag false or not reported, the mode unknown): nothing.
func CreatorFindings(src Sources) []v1alpha1.IAMFinding {
	cluster := `"$CLUSTER_NAME"`
	if src.Access != nil && src.Access.Cluster.Name != "" {
		cluster = src.Access.Cluster.Name
	}
	f := v1alpha1.IAMFinding{ID: FindingCreatorAdmin, Severity: v1alpha1.SeverityMedium, Recommendation: creatorRecommendation}
	switch src.creatorAdmin() {
	case eks.CreatorAdminImplicit:
		who, arn := "The principal that created the cluster (DescribeCluster does not name it; pass --cluster-creator ARN)", "CREATOR_ARN"
		if p, ok := src.creatorPrincipal(); ok && p.ARN != UnknownCreatorARN {
			who, arn, f.PrincipalARN = p.ARN+", the cluster creator,", p.ARN, p.ARN
		}
		f.Message = who + " is a cluster admin (system:masters) that no aws-auth entry shows and that cannot be removed in CONFIG_MAP mode"
		f.Fix = "switch to access entries (aws eks update-cluster-config --name " + cluster + " --access-config authenticationMode=API_AND_CONFIG_MAP): EKS then shows the creator's admin access as an access entry, which can be deleted (aws eks delete-access-entry --cluster-name " + cluster + " --principal-arn " + arn + ") once another admin works"
		return []v1alpha1.IAMFinding{f}
	case eks.CreatorAdminAccessEntry:
		if src.CreatorARN == "" {
			if b := src.Access.Cluster.BootstrapClusterCreatorAdminPermissions; b == nil || !*b {
				return []v1alpha1.IAMFinding{}
			}
			f.Severity = v1alpha1.SeverityLow
			f.Message = "bootstrapClusterCreatorAdminPermissions is true: when the cluster was created, EKS gave its creator an access entry with AmazonEKSClusterAdminPolicy; DescribeCluster does not say who that is, so whether that access is still in place is not known"
			f.Fix = "pass --cluster-creator ARN to check; remove the creator's AmazonEKSClusterAdminPolicy association (aws eks disassociate-access-policy) or its entry once another admin works"
			return []v1alpha1.IAMFinding{f}
		}
		r, err := Resolve(Sources{AWSAuth: src.AWSAuth, Access: src.Access}, src.CreatorARN)
		if err != nil || r.Principal == nil {
			return []v1alpha1.IAMFinding{}
		}
		var via string
		for _, ap := range r.Principal.AccessPolicies {
			if eks.PolicyName(ap.PolicyARN) == "AmazonEKSClusterAdminPolicy" && ap.Scope.Type == eks.ScopeCluster {
				via = "its access entry's AmazonEKSClusterAdminPolicy (cluster scope)"
			}
		}
		if via == "" && slices.Contains(r.Principal.Groups, MastersGroup) {
			via = r.Principal.Source + " (group system:masters)"
		}
		if via == "" {
			return []v1alpha1.IAMFinding{}
		}
		f.PrincipalARN = r.CanonicalARN
		f.Message = fmt.Sprintf("%s, the cluster creator, still holds cluster-admin through %s", r.CanonicalARN, via)
		f.Fix = fmt.Sprintf("once another admin works: aws eks disassociate-access-policy --cluster-name %s --principal-arn %s --policy-arn %sAmazonEKSClusterAdminPolicy (or aws eks delete-access-entry; or remove the aws-auth mapping)", cluster, r.Principal.ARN, eks.PolicyARNPrefix)
		return []v1alpha1.IAMFinding{f}
	}
	return []v1alpha1.IAMFinding{}
}
