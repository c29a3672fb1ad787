package awsauth

import (
	"cmp"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
)

// Mapping kinds.
const (
	KindRole    = "role"
	KindUser    = "user"
	KindAccount = "account"
)

// Mapping is one mapping as the authenticator's store holds it.
type Mapping struct {
	// Kind is role (mapRoles), user (mapUsers) or account (mapAccounts).
	Kind string `json:"type"`
	// ARN as written; for an SSO entry its pattern; for an account the account ID.
	ARN      string   `json:"arn"`
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
	// SSO is set for an SSO entry (mapRoles only).
	SSO *SSO `json:"sso,omitempty"`
	// Key and Index locate the entry: data key and position in its list.
	Key   string `json:"key"`
	Index int    `json:"index"`
	// Status: active (the store holds it), shadowed (a later entry for the same ARN
	// wins), dead (mapUsers, when mapRoles maps the same ARN) or ambiguous (case
	// variants in mapUsers: the authenticator picks one at random).
	Status string `json:"status"`
}

// Mapping statuses.
const (
	StatusActive    = "active"
	StatusShadowed  = "shadowed"
	StatusDead      = "dead"
	StatusAmbiguous = "ambiguous"
)

// MatchKey is how mappings are compared: the kind and the lower-cased ARN (roles
// and users match case-insensitively), or the SSO pattern.
func (m *Mapping) MatchKey() string {
	if m.Kind == KindAccount {
		return KindAccount + "|" + m.ARN
	}
	return m.Kind + "|" + strings.ToLower(m.ARN)
}

// Templated reports whether the username or a group holds a template such as
// {{SessionName}}, rendered per request.
func (m *Mapping) Templated() bool {
	if strings.Contains(m.Username, "{{") {
		return true
	}
	for _, g := range m.Groups {
		if strings.Contains(g, "{{") {
			return true
		}
	}
	return false
}

// Store is the authenticator's view: every entry it kept, with its status.
type Store struct {
	Mappings []Mapping
}

// NewStore builds the store from a parse, as saveMap does: roles keyed by the
// lower-cased ARN (or SSO pattern), the last entry winning; users keyed by the ARN as
// written, the last winning, case variants all kept; accounts as a set.
func NewStore(p *Parsed) *Store {
	s := &Store{}
	lastRole := map[string]int{}
	for i := range p.Roles {
		r := &p.Roles[i]
		m := Mapping{Kind: KindRole, ARN: r.RoleARN, Username: r.Username, Groups: r.Groups, SSO: r.SSO, Key: KeyRoles, Index: p.RoleIndex[i], Status: StatusActive}
		if r.SSO != nil {
			m.ARN = r.SSOPattern()
		}
		lastRole[r.Key()] = len(s.Mappings)
		s.Mappings = append(s.Mappings, m)
	}
	roleFolds := map[string]map[string]bool{}
	for i := range s.Mappings {
		// An SSO entry's ARN is its pattern, already lower-cased, which is its key.
		key := strings.ToLower(s.Mappings[i].ARN)
		if lastRole[key] != i {
			s.Mappings[i].Status = StatusShadowed
			continue
		}
		if s.Mappings[i].SSO == nil {
			fk := iamarn.FoldKey(s.Mappings[i].ARN)
			if roleFolds[fk] == nil {
				roleFolds[fk] = map[string]bool{}
			}
			roleFolds[fk][key] = true
		}
	}
	// Keys that differ in strings.ToLower but are equal under Unicode case folding
	// (role/ops and role/op\u017f) both match: the authenticator picks one at random.
	for i := range s.Mappings {
		m := &s.Mappings[i]
		if m.Status == StatusActive && m.SSO == nil && len(roleFolds[iamarn.FoldKey(m.ARN)]) > 1 {
			m.Status = StatusAmbiguous
		}
	}
	start := len(s.Mappings)
	lastUser := map[string]int{}
	variants := map[string]map[string]bool{}
	for i := range p.Users {
		u := &p.Users[i]
		lastUser[u.UserARN] = len(s.Mappings)
		lower := iamarn.FoldKey(u.UserARN)
		if variants[lower] == nil {
			variants[lower] = map[string]bool{}
		}
		variants[lower][u.UserARN] = true
		s.Mappings = append(s.Mappings, Mapping{Kind: KindUser, ARN: u.UserARN, Username: u.Username, Groups: u.Groups, Key: KeyUsers, Index: p.UserIndex[i], Status: StatusActive})
	}
	for i := start; i < len(s.Mappings); i++ {
		m := &s.Mappings[i]
		switch {
		case lastUser[m.ARN] != i:
			m.Status = StatusShadowed
		case roleFolds[iamarn.FoldKey(m.ARN)] != nil:
			m.Status = StatusDead
		case len(variants[iamarn.FoldKey(m.ARN)]) > 1:
			m.Status = StatusAmbiguous
		}
	}
	seen := map[string]bool{}
	for i, a := range p.Accounts {
		m := Mapping{Kind: KindAccount, ARN: a, Groups: []string{}, Key: KeyAccounts, Index: i, Status: StatusActive}
		if seen[a] {
			m.Status = StatusShadowed
		}
		seen[a] = true
		s.Mappings = append(s.Mappings, m)
	}
	return s
}

// Active returns the mappings that can take effect (active or ambiguous).
func (s *Store) Active() []Mapping {
	var out []Mapping
	for _, m := range s.Mappings {
		if m.Status == StatusActive || m.Status == StatusAmbiguous {
			out = append(out, m)
		}
	}
	return out
}

// Resolution is what the authenticator does with a caller's canonical ARN.
type Resolution struct {
	// Mapping that applies, nil when the principal is not mapped.
	Mapping *Mapping
	// Username and Groups the caller gets (for an account mapping: the canonical ARN
	// and no groups).
	Username string
	Groups   []string
	// Ambiguous is set when case-variant mapUsers entries make the answer random.
	Ambiguous bool
}

// Resolve maps a canonical ARN (see CanonicalCallerARN) as the authenticator does:
// role mappings first (case-insensitive; SSO patterns only match when the alpha
// SSORoleMatch gate is on, which this assumes it is not), then user mappings, then
// the mapAccounts fallback.
func (s *Store) Resolve(canonicalARN string) Resolution {
	var role *Mapping
	roleAmbiguous := false
	for i := range s.Mappings {
		m := &s.Mappings[i]
		if m.Kind == KindRole && (m.Status == StatusActive || m.Status == StatusAmbiguous) && m.SSO == nil && strings.EqualFold(m.ARN, canonicalARN) {
			roleAmbiguous = role != nil
			role = m
		}
	}
	if role != nil {
		return Resolution{Mapping: role, Username: role.Username, Groups: role.Groups, Ambiguous: roleAmbiguous}
	}
	var match *Mapping
	ambiguous := false
	for i := range s.Mappings {
		m := &s.Mappings[i]
		if m.Kind == KindUser && (m.Status == StatusActive || m.Status == StatusAmbiguous) && strings.EqualFold(m.ARN, canonicalARN) {
			if match != nil {
				ambiguous = true
			}
			match = m
		}
	}
	if match != nil {
		return Resolution{Mapping: match, Username: match.Username, Groups: match.Groups, Ambiguous: ambiguous}
	}
	a := iamarn.Parse(canonicalARN)
	for i := range s.Mappings {
		m := &s.Mappings[i]
		if m.Kind == KindAccount && m.ARN == a.Account && a.Account != "" {
			return Resolution{Mapping: m, Username: canonicalARN, Groups: []string{}}
		}
	}
	return Resolution{}
}

// SortMappings orders mappings by kind (roles, users, accounts), then ARN, then position.
func SortMappings(ms []Mapping) {
	order := map[string]int{KindRole: 0, KindUser: 1, KindAccount: 2}
	slices.SortStableFunc(ms, func(a, b Mapping) int {
		return cmp.Or(cmp.Compare(order[a.Kind], order[b.Kind]), cmp.Compare(strings.ToLower(a.ARN), strings.ToLower(b.ARN)), cmp.Compare(a.Index, b.Index))
	})
}
