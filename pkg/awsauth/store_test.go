package awsauth

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/aws-iam-authenticator/pkg/config"
	"sigs.k8s.io/aws-iam-authenticator/pkg/mapper/configmap"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
)

const storeRoles = `- rolearn: arn:aws:iam::111122223333:role/Admin
  username: old-admin
  groups: [system:masters]
- rolearn: arn:aws:iam::111122223333:role/admin
  username: admin
  groups: [admins]
- sso:
    permissionSetName: Admin
    accountID: "111122223333"
  username: sso-admin
  groups: [admins]
- rolearn: arn:aws:iam::111122223333:role/Dev
  username: dev:{{SessionName}}
  groups: [devs]
- username: dropped
- rolearn: arn:aws:iam::111122223333:user/carol
  username: carol-in-roles
`

const storeUsers = `- userarn: arn:aws:iam::111122223333:user/alice
  username: alice-viewer-old
  groups: [viewers]
- userarn: arn:aws:iam::111122223333:user/Alice
  username: alice-admin
  groups: [system:masters]
- userarn: arn:aws:iam::111122223333:user/alice
  username: alice-viewer
  groups: [viewers]
- userarn: arn:aws:iam::111122223333:role/DEV
  username: dev-as-user
- userarn: arn:aws:iam::111122223333:user/bob
  username: bob
  groups: [devs]
- userarn: arn:aws:iam::111122223333:user/bob
  username: bob2
  groups: [devs]
- userarn: arn:aws:iam::444455556666:role/Auditor
  username: auditor
`

func storeData() map[string]string {
	return map[string]string{KeyRoles: storeRoles, KeyUsers: storeUsers, KeyAccounts: "- \"111122223333\"\n- \"777788889999\"\n- \"111122223333\"\n"}
}

func TestNewStore(t *testing.T) {
	s := NewStore(Parse(storeData()))
	type row struct{ Kind, ARN, Key, Status string }
	var got []row
	for _, m := range s.Mappings {
		got = append(got, row{m.Kind, m.ARN, fmt.Sprintf("%s[%d]", m.Key, m.Index), m.Status})
	}
	want := []row{
		{KindRole, "arn:aws:iam::111122223333:role/Admin", "mapRoles[0]", StatusShadowed},
		{KindRole, "arn:aws:iam::111122223333:role/admin", "mapRoles[1]", StatusActive},
		{KindRole, "arn:aws:iam::111122223333:role/awsreservedsso_admin_*", "mapRoles[2]", StatusActive},
		{KindRole, "arn:aws:iam::111122223333:role/Dev", "mapRoles[3]", StatusActive},
		// mapRoles[4] has no rolearn: the authenticator drops it.
		{KindRole, "arn:aws:iam::111122223333:user/carol", "mapRoles[5]", StatusActive},
		{KindUser, "arn:aws:iam::111122223333:user/alice", "mapUsers[0]", StatusShadowed},
		{KindUser, "arn:aws:iam::111122223333:user/Alice", "mapUsers[1]", StatusAmbiguous},
		{KindUser, "arn:aws:iam::111122223333:user/alice", "mapUsers[2]", StatusAmbiguous},
		{KindUser, "arn:aws:iam::111122223333:role/DEV", "mapUsers[3]", StatusDead},
		{KindUser, "arn:aws:iam::111122223333:user/bob", "mapUsers[4]", StatusShadowed},
		{KindUser, "arn:aws:iam::111122223333:user/bob", "mapUsers[5]", StatusActive},
		{KindUser, "arn:aws:iam::444455556666:role/Auditor", "mapUsers[6]", StatusActive},
		{KindAccount, "111122223333", "mapAccounts[0]", StatusActive},
		{KindAccount, "777788889999", "mapAccounts[1]", StatusActive},
		{KindAccount, "111122223333", "mapAccounts[2]", StatusShadowed},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("NewStore (-want +got):\n%s", d)
	}
	if sso := s.Mappings[2].SSO; sso == nil || sso.PermissionSetName != "Admin" {
		t.Errorf("SSO mapping: %+v", s.Mappings[2])
	}
	var active []string
	for _, m := range s.Active() {
		active = append(active, m.Key+fmt.Sprint(m.Index))
	}
	if want := []string{"mapRoles1", "mapRoles2", "mapRoles3", "mapRoles5", "mapUsers1", "mapUsers2", "mapUsers5", "mapUsers6", "mapAccounts0", "mapAccounts1"}; !slices.Equal(active, want) {
		t.Errorf("Active() = %v, want %v", active, want)
	}
	if !s.Mappings[3].Templated() || s.Mappings[1].Templated() {
		t.Errorf("Templated: Dev %v, admin %v", s.Mappings[3].Templated(), s.Mappings[1].Templated())
	}
}

func TestResolve(t *testing.T) {
	s := NewStore(Parse(storeData()))
	tests := []struct {
		name      string
		arn       string
		username  string
		groups    []string
		from      string // Key[Index] of the mapping; "" for none
		ambiguous bool
	}{
		{name: "last role wins", arn: "arn:aws:iam::111122223333:role/Admin", username: "admin", groups: []string{"admins"}, from: "mapRoles[1]"},
		{name: "role ARN in any case", arn: "ARN:AWS:IAM::111122223333:ROLE/ADMIN", username: "admin", groups: []string{"admins"}, from: "mapRoles[1]"},
		{name: "roles before users: the mapUsers entry is dead", arn: "arn:aws:iam::111122223333:role/dev", username: "dev:{{SessionName}}", groups: []string{"devs"}, from: "mapRoles[3]"},
		{name: "a user ARN in mapRoles still matches", arn: "arn:aws:iam::111122223333:user/carol", username: "carol-in-roles", from: "mapRoles[5]"},
		{name: "a role ARN in mapUsers still matches", arn: "arn:aws:iam::444455556666:role/auditor", username: "auditor", from: "mapUsers[6]"},
		{name: "exact duplicate users: the last wins", arn: "arn:aws:iam::111122223333:user/bob", username: "bob2", groups: []string{"devs"}, from: "mapUsers[5]"},
		{name: "case-variant users are ambiguous", arn: "arn:aws:iam::111122223333:user/alice", ambiguous: true},
		{name: "mapAccounts: username is the ARN as given, no groups", arn: "arn:aws:iam::111122223333:role/Unmapped", username: "arn:aws:iam::111122223333:role/Unmapped", groups: []string{}, from: "mapAccounts[0]"},
		{name: "mapAccounts for a user", arn: "arn:aws:iam::777788889999:user/Zed", username: "arn:aws:iam::777788889999:user/Zed", groups: []string{}, from: "mapAccounts[1]"},
		{name: "mapAccounts for root", arn: "arn:aws:iam::777788889999:root", username: "arn:aws:iam::777788889999:root", groups: []string{}, from: "mapAccounts[1]"},
		{name: "SSO entries never match (SSORoleMatch is off)", arn: "arn:aws:iam::444455556666:role/AWSReservedSSO_Admin_0123456789abcdef"},
		{name: "an account not listed", arn: "arn:aws:iam::444455556666:role/Admin"},
		{name: "not an ARN", arn: "admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Resolve(tt.arn)
			if tt.ambiguous {
				if !r.Ambiguous || r.Mapping == nil || r.Mapping.Status != StatusAmbiguous {
					t.Errorf("Resolve(%s) = %+v, want ambiguous", tt.arn, r)
				}
				return
			}
			from := ""
			if r.Mapping != nil {
				from = fmt.Sprintf("%s[%d]", r.Mapping.Key, r.Mapping.Index)
			}
			if from != tt.from || r.Username != tt.username || !slices.Equal(r.Groups, tt.groups) || r.Ambiguous {
				t.Errorf("Resolve(%s) = %q %q from %q (ambiguous %v), want %q %q from %q", tt.arn, r.Username, r.Groups, from, r.Ambiguous, tt.username, tt.groups, tt.from)
			}
			if tt.from == "" && r.Mapping != nil {
				t.Errorf("Resolve(%s) maps %+v", tt.arn, r.Mapping)
			}
			if r.Groups == nil && tt.from != "" && strings.HasPrefix(tt.from, KeyAccounts) {
				t.Errorf("account fallback groups must be [], not nil")
			}
		})
	}
	// A session of a role written with its path never matches the entry (§4).
	ps := NewStore(Parse(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/teams/Dev\n  username: dev\n"}))
	canonical, err := iamarn.CanonicalCaller("arn:aws:sts::111122223333:assumed-role/Dev/alice")
	if err != nil || ps.Resolve(canonical).Mapping != nil {
		t.Errorf("a session of role/teams/Dev (%s, %v) resolves to %+v", canonical, err, ps.Resolve(canonical))
	}
	// An empty store maps nothing.
	if r := NewStore(Parse(nil)).Resolve("arn:aws:iam::111122223333:root"); r.Mapping != nil {
		t.Errorf("empty store: %+v", r)
	}
}

func TestSortMappings(t *testing.T) {
	ms := NewStore(Parse(storeData())).Mappings
	slices.Reverse(ms)
	SortMappings(ms)
	var got []string
	for _, m := range ms {
		got = append(got, fmt.Sprintf("%s %s %d", m.Kind, strings.ToLower(m.ARN), m.Index))
	}
	for i := 1; i < len(ms); i++ {
		a, b := ms[i-1], ms[i]
		order := map[string]int{KindRole: 0, KindUser: 1, KindAccount: 2}
		if order[a.Kind] > order[b.Kind] || order[a.Kind] == order[b.Kind] && strings.ToLower(a.ARN) > strings.ToLower(b.ARN) ||
			order[a.Kind] == order[b.Kind] && strings.EqualFold(a.ARN, b.ARN) && a.Index > b.Index {
			t.Errorf("not sorted at %d: %v", i, got)
		}
	}
}

// authStore is the authenticator's MapStore built the way saveMap builds it, from
// ParseMap's output, with the authenticator's own Key and Matches.
type authStore struct {
	roles    map[string]config.RoleMapping
	users    map[string]config.UserMapping
	accounts map[string]bool
}

func newAuthStore(data map[string]string) authStore {
	users, roles, accounts, _ := configmap.ParseMap(data)
	s := authStore{roles: map[string]config.RoleMapping{}, users: map[string]config.UserMapping{}, accounts: map[string]bool{}}
	for _, u := range users {
		s.users[u.Key()] = u
	}
	for _, r := range roles {
		s.roles[r.Key()] = r
	}
	for _, a := range accounts {
		s.accounts[a] = true
	}
	return s
}

type answer struct {
	Username string
	Groups   []string
}

// answers are what ConfigMapMapper.Map and doMapping may give for a canonical ARN:
// more than one when the answer depends on Go's map order.
func (s authStore) answers(canonical string) []answer {
	arn := strings.ToLower(canonical) // Map lower-cases first
	var out []answer
	for _, r := range s.roles {
		if r.Matches(arn) {
			out = append(out, answer{r.Username, r.Groups})
		}
	}
	if len(out) == 0 {
		for _, u := range s.users {
			if u.Matches(arn) {
				out = append(out, answer{u.Username, u.Groups})
			}
		}
	}
	if len(out) == 0 {
		// doMapping checks the account STS gave, the canonical ARN's fifth field.
		if parts := strings.SplitN(canonical, ":", 6); len(parts) == 6 && parts[0] == "arn" && s.accounts[parts[4]] {
			out = append(out, answer{canonical, []string{}})
		}
	}
	return out
}

func distinct(as []answer) []answer {
	var out []answer
	for _, a := range as {
		if !slices.ContainsFunc(out, func(b answer) bool { return a.Username == b.Username && slices.Equal(a.Groups, b.Groups) }) {
			out = append(out, a)
		}
	}
	return out
}

// TestResolveAgreesWithAuthenticator builds the authenticator's store from the
// generated corpus and checks Resolve against it for every ARN the data mentions, in
// several cases: Resolve's answer must be one the authenticator can give, and
// Resolve must say Ambiguous when the authenticator's answer depends on map order.
func TestResolveAgreesWithAuthenticator(t *testing.T) {
	quietAuthenticator(t)
	g := newCorpus(*agreementSeed + 1)
	n := *agreementCases / 4
	if testing.Short() {
		n /= 10
	}
	probes, mismatches := 0, 0
	for range n {
		data := g.data()
		as := newAuthStore(data)
		s := NewStore(Parse(data))
		var arns []string
		for _, m := range s.Mappings {
			if m.Kind == KindAccount {
				// STS only ever gives 12-digit accounts.
				if iamarn.IsAccountID(m.ARN) {
					arns = append(arns, "arn:aws:iam::"+m.ARN+":role/Unmapped")
				}
				continue
			}
			// A canonical ARN starts with "arn:"; the rest may be in any case.
			arns = append(arns, m.ARN, strings.ToLower(m.ARN))
			if len(m.ARN) > 4 && strings.EqualFold(m.ARN[:4], "arn:") {
				arns = append(arns, "arn:"+strings.ToUpper(m.ARN[4:]))
			}
		}
		for _, arn := range arns {
			probes++
			want := distinct(as.answers(arn))
			r := s.Resolve(arn)
			got := answer{r.Username, r.Groups}
			ok := false
			switch {
			case len(want) == 0:
				ok = r.Mapping == nil
			case len(want) == 1:
				ok = r.Mapping != nil && got.Username == want[0].Username && slices.Equal(got.Groups, want[0].Groups) && !r.Ambiguous
			default:
				ok = r.Mapping != nil && r.Ambiguous && slices.ContainsFunc(want, func(a answer) bool { return a.Username == got.Username && slices.Equal(a.Groups, got.Groups) })
			}
			if !ok {
				mismatches++
				if mismatches <= 5 {
					t.Errorf("Resolve(%q) = %+v (mapping %+v); the authenticator answers %+v\ninput: %s", arn, got, r.Mapping, want, dataString(data))
				}
			}
		}
	}
	t.Logf("%d ConfigMaps, %d probes, %d mismatches", n, probes, mismatches)
}

// Case folding beyond ASCII: the authenticator keys roles by strings.ToLower but
// matches with strings.EqualFold, which also folds U+017F (long s) to s and U+212A
// (Kelvin sign) to k. Two mapRoles entries that differ only so are both stored and
// both match the caller, so its answer depends on map order; Resolve must say so.
func TestResolveUnicodeFolding(t *testing.T) {
	data := map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/ops\n  username: ops\n  groups: [ops]\n" +
		"- rolearn: arn:aws:iam::111122223333:role/op\u017f\n  username: admin\n  groups: [system:masters]\n"}
	want := distinct(newAuthStore(data).answers("arn:aws:iam::111122223333:role/ops"))
	if len(want) != 2 {
		t.Fatalf("the authenticator's answers: %+v", want)
	}
	if r := NewStore(Parse(data)).Resolve("arn:aws:iam::111122223333:role/ops"); !r.Ambiguous {
		t.Errorf("Resolve = %q %q, not ambiguous; the authenticator answers either of %+v", r.Username, r.Groups, want)
	}
}

// The same for mapUsers: Resolve sees both entries (it compares with EqualFold), but
// NewStore groups case variants by strings.ToLower, which maps the Kelvin sign to k
// but leaves the long s alone, so for user/ops and user/op\u017f neither entry is
// marked ambiguous, and Validate's AA20 (also grouped by ToLower) says nothing.
func TestUsersUnicodeFolding(t *testing.T) {
	for _, tt := range []struct{ plain, folded string }{
		{"arn:aws:iam::111122223333:user/kate", "arn:aws:iam::111122223333:user/\u212aate"},
		{"arn:aws:iam::111122223333:user/ops", "arn:aws:iam::111122223333:user/op\u017f"},
	} {
		data := map[string]string{KeyUsers: "- userarn: " + tt.plain + "\n  username: viewer\n  groups: [viewers]\n" +
			"- userarn: " + tt.folded + "\n  username: admin\n  groups: [system:masters]\n"}
		if want := distinct(newAuthStore(data).answers(tt.plain)); len(want) != 2 {
			t.Fatalf("the authenticator's answers: %+v", want)
		}
		s := NewStore(Parse(data))
		if r := s.Resolve(tt.plain); !r.Ambiguous {
			t.Errorf("Resolve(%s) is not ambiguous: %+v", tt.plain, r)
		}
		for _, m := range s.Mappings {
			if m.Status != StatusAmbiguous {
				t.Errorf("%q: status %s, want %s", m.ARN, m.Status, StatusAmbiguous)
			}
		}
		aa20 := 0
		for _, f := range Validate(awsAuth(data), Options{}) {
			if f.Rule == "AA20" {
				aa20++
			}
		}
		if aa20 == 0 {
			t.Errorf("Validate gives no AA20 case-variant-users for %q and %q", tt.plain, tt.folded)
		}
	}
}
