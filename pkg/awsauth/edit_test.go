package awsauth

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// An aws-auth as people keep it: comments, blank lines, a flow list, a field in
// mixed case, an unknown field, another key.
const editRoles = `# EKS managed node group
- rolearn: arn:aws:iam::111122223333:role/eks-node-group-role
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes

# old admin entry
- rolearn: arn:aws:iam::111122223333:role/Admin
  username: admin
  groups:
    - system:masters
# developers
- roleARN: arn:aws:iam::111122223333:role/Dev   # team dev
  username: "dev:{{SessionName}}"
  userid: AROAEXAMPLEDEV
  comment: keep me
  groups: [devs]

- rolearn: arn:aws:iam::111122223333:role/ADMIN  # case variant
  username: admin
  groups: [system:masters]
# end of list
`

const editUsers = `- userarn: arn:aws:iam::111122223333:user/alice
  username: alice
  groups:
    - viewers
- userarn: arn:aws:iam::111122223333:role/admin
  username: admin-as-user
`

const editAccounts = `# prod
- "111122223333"
- 444455556666
`

func editData() map[string]string {
	return map[string]string{KeyRoles: editRoles, KeyUsers: editUsers, KeyAccounts: editAccounts, "note": "not read by the authenticator\n"}
}

func mustApply(t *testing.T, data map[string]string, edits ...Edit) *EditResult {
	t.Helper()
	before := maps.Clone(data)
	res, err := ApplyEdits(data, edits)
	if err != nil {
		t.Fatalf("ApplyEdits(%+v): %v", edits, err)
	}
	if !maps.Equal(before, data) {
		t.Fatalf("ApplyEdits changed its input")
	}
	return res
}

// hunk returns the lines that differ between before and after, once the longest
// common run of first and last lines is taken away, and where they start.
func hunk(before, after string) (at int, removed, added []string) {
	b, a := strings.SplitAfter(before, "\n"), strings.SplitAfter(after, "\n")
	p := 0
	for p < len(b) && p < len(a) && b[p] == a[p] {
		p++
	}
	s := 0
	for s < len(b)-p && s < len(a)-p && b[len(b)-1-s] == a[len(a)-1-s] {
		s++
	}
	return p, b[p : len(b)-s], a[p : len(a)-s]
}

// untouched asserts that every key but the edited ones is byte for byte the same.
func untouched(t *testing.T, before, after map[string]string, edited ...string) {
	t.Helper()
	for k, v := range before {
		if !slices.Contains(edited, k) && after[k] != v {
			t.Errorf("key %s changed:\n%q\n->\n%q", k, v, after[k])
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok && !slices.Contains(edited, k) {
			t.Errorf("key %s appeared", k)
		}
	}
}

func lines(s string) []string { return strings.SplitAfter(s, "\n") }

func resolveIs(t *testing.T, data map[string]string, arn, username string, groups []string) {
	t.Helper()
	r := NewStore(Parse(data)).Resolve(arn)
	if r.Mapping == nil || r.Username != username || !slices.Equal(r.Groups, groups) {
		t.Errorf("Resolve(%s) = %q %q (mapping %v), want %q %q", arn, r.Username, r.Groups, r.Mapping, username, groups)
	}
}

// Golden: an entry added to a block list whose groups items are indented under
// "groups:" goes after the last entry, before the trailing comment, in the same style.
func TestApplyEditsAddGolden(t *testing.T) {
	data := editData()
	res := mustApply(t, data, Edit{Op: OpAdd, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/Ops", Username: "ops:{{SessionName}}", Groups: []string{"ops", "yes"}})
	want := strings.Replace(editRoles, "# end of list\n", `- rolearn: arn:aws:iam::111122223333:role/Ops
  username: "ops:{{SessionName}}"
  groups:
    - ops
    - "yes"
# end of list
`, 1)
	if d := cmp.Diff(want, res.Data[KeyRoles]); d != "" {
		t.Errorf("mapRoles (-want +got):\n%s", d)
	}
	untouched(t, data, res.Data, KeyRoles)
	if len(res.Notes) != 0 {
		t.Errorf("notes: %q", res.Notes)
	}
	resolveIs(t, res.Data, "arn:aws:iam::111122223333:role/Ops", "ops:{{SessionName}}", []string{"ops", "yes"})
}

// Golden: eksctl writes groups items at the column of "groups:"; an added entry follows.
func TestApplyEditsAddKeyColumnGroups(t *testing.T) {
	roles := `- groups:
  - system:bootstrappers
  - system:nodes
  rolearn: arn:aws:iam::111122223333:role/eksctl-prod-nodegroup-NodeInstanceRole-1A2B3C
  username: system:node:{{EC2PrivateDNSName}}
`
	res := mustApply(t, map[string]string{KeyRoles: roles}, Edit{Op: OpAdd, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/Dev", Username: "dev", Groups: []string{"devs"}})
	want := roles + `- rolearn: arn:aws:iam::111122223333:role/Dev
  username: dev
  groups:
  - devs
`
	if d := cmp.Diff(want, res.Data[KeyRoles]); d != "" {
		t.Errorf("mapRoles (-want +got):\n%s", d)
	}
}

func TestApplyEditsAddLayouts(t *testing.T) {
	add := Edit{Op: OpAdd, Kind: KindUser, ARN: "arn:aws:iam::111122223333:user/bob", Username: "bob", Groups: []string{"viewers"}}
	block := "- userarn: arn:aws:iam::111122223333:user/bob\n  username: bob\n  groups:\n    - viewers\n"
	tests := []struct {
		name  string
		users string // "<absent>" leaves the key out
		want  string
		note  bool
	}{
		{name: "absent key", users: "<absent>", want: block},
		{name: "empty", users: "", want: block},
		{name: "blank", users: "  \n", want: block},
		{name: "single quotes", users: "''", want: block},
		{name: "double quotes", users: `""`, want: block},
		{name: "backticks", users: "``", want: block},
		{name: "indented list", users: "  - userarn: arn:aws:iam::111122223333:user/alice\n    username: alice\n    groups:\n      - viewers\n",
			want: "  - userarn: arn:aws:iam::111122223333:user/alice\n    username: alice\n    groups:\n      - viewers\n" +
				"  - userarn: arn:aws:iam::111122223333:user/bob\n    username: bob\n    groups:\n      - viewers\n"},
		{name: "no final newline", users: "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice",
			want: "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n- userarn: arn:aws:iam::111122223333:user/bob\n  username: bob\n  groups:\n  - viewers\n"},
		{name: "JSON list", users: `[{"userarn":"arn:aws:iam::111122223333:user/alice","username":"alice","groups":["viewers"]}]`, note: true,
			want: "- userarn: \"arn:aws:iam::111122223333:user/alice\"\n  username: \"alice\"\n  groups:\n    - \"viewers\"\n" + block},
		{name: "flow list", users: "[{userarn: arn:aws:iam::111122223333:user/alice, username: alice, groups: [viewers]}]\n", note: true,
			want: "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n  groups:\n    - viewers\n" + block},
		{name: "empty flow list", users: "[]", note: true, want: block},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := map[string]string{KeyRoles: editRoles, KeyAccounts: editAccounts}
			if tt.users != "<absent>" {
				data[KeyUsers] = tt.users
			}
			res := mustApply(t, data, add)
			if d := cmp.Diff(tt.want, res.Data[KeyUsers]); d != "" {
				t.Errorf("mapUsers (-want +got):\n%s", d)
			}
			untouched(t, data, res.Data, KeyUsers)
			if tt.note != (len(res.Notes) == 1 && strings.Contains(res.Notes[0], "rewritten whole")) {
				t.Errorf("notes = %q, want a rewrite note: %v", res.Notes, tt.note)
			}
			resolveIs(t, res.Data, "arn:aws:iam::111122223333:user/bob", "bob", []string{"viewers"})
			if d := Compare(data, res.Data); len(d.Changes) != 1 || d.Changes[0].Type != Added {
				t.Errorf("Compare: %+v", d.Changes)
			}
		})
	}
}

func TestApplyEditsAddSSO(t *testing.T) {
	sso := &SSO{PermissionSetName: "AdministratorAccess", AccountID: "012345678901"}
	res := mustApply(t, map[string]string{KeyRoles: cleanRoles}, Edit{Op: OpAdd, Kind: KindRole, SSO: sso, Username: "sso:{{SessionName}}", Groups: []string{"admins"}})
	p := Parse(res.Data)
	last := p.Roles[len(p.Roles)-1]
	if last.SSO == nil || *last.SSO != *sso || last.RoleARN != "" || last.Username != "sso:{{SessionName}}" {
		t.Errorf("added SSO entry parses as %+v (sso %+v)", last, last.SSO)
	}
	if _, _, rest := hunk(cleanRoles, res.Data[KeyRoles]); !strings.Contains(strings.Join(rest, ""), `accountID: "012345678901"`) {
		t.Errorf("the account ID must be quoted: %q", rest)
	}
	if _, err := ApplyEdits(res.Data, []Edit{{Op: OpAdd, Kind: KindRole, SSO: sso, Username: "x"}}); !errors.Is(err, ErrExists) {
		t.Errorf("adding the same SSO entry again: %v, want ErrExists", err)
	}
}

// Golden: remove takes every entry whose ARN matches in any case, in both lists, each
// with the comment lines directly above it; every other line stays.
func TestApplyEditsRemoveGolden(t *testing.T) {
	data := editData()
	res := mustApply(t, data, Edit{Op: OpRemove, ARN: "arn:aws:iam::111122223333:role/admin"})
	wantRoles := `# EKS managed node group
- rolearn: arn:aws:iam::111122223333:role/eks-node-group-role
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes

# developers
- roleARN: arn:aws:iam::111122223333:role/Dev   # team dev
  username: "dev:{{SessionName}}"
  userid: AROAEXAMPLEDEV
  comment: keep me
  groups: [devs]

# end of list
`
	wantUsers := `- userarn: arn:aws:iam::111122223333:user/alice
  username: alice
  groups:
    - viewers
`
	if d := cmp.Diff(wantRoles, res.Data[KeyRoles]); d != "" {
		t.Errorf("mapRoles (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantUsers, res.Data[KeyUsers]); d != "" {
		t.Errorf("mapUsers (-want +got):\n%s", d)
	}
	untouched(t, data, res.Data, KeyRoles, KeyUsers)
	// Only the mapAccounts fallback is left for it: username = the ARN, no groups.
	if r := NewStore(Parse(res.Data)).Resolve("arn:aws:iam::111122223333:role/Admin"); r.Mapping == nil || r.Mapping.Kind != KindAccount || len(r.Groups) != 0 {
		t.Errorf("Admin resolves to %+v", r)
	}
}

func TestApplyEditsRemoveFirstAndLast(t *testing.T) {
	data := editData()
	res := mustApply(t, data, Edit{Op: OpRemove, ARN: "arn:aws:iam::111122223333:role/eks-node-group-role"})
	// The first entry goes with its comment; the blank line after it stays.
	if at, removed, added := hunk(editRoles, res.Data[KeyRoles]); at != 0 || len(added) != 0 || !slices.Equal(removed, lines(editRoles)[:6]) {
		t.Errorf("removed %q at %d, added %q", removed, at, added)
	}
	res = mustApply(t, data, Edit{Op: OpRemove, ARN: "arn:aws:iam::111122223333:user/ALICE"})
	if want := "- userarn: arn:aws:iam::111122223333:role/admin\n  username: admin-as-user\n"; res.Data[KeyUsers] != want {
		t.Errorf("mapUsers = %q, want %q", res.Data[KeyUsers], want)
	}
	untouched(t, data, res.Data, KeyUsers)
	// Removing the only entry leaves an empty value, which maps nothing.
	res = mustApply(t, map[string]string{KeyUsers: "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n"}, Edit{Op: OpRemove, ARN: "arn:aws:iam::111122223333:user/alice"})
	if p := Parse(res.Data); len(p.Users) != 0 || len(p.Errors) != 0 {
		t.Errorf("after removing the only user: %q parses as %+v", res.Data[KeyUsers], p)
	}
}

func TestApplyEditsRemoveDuplicates(t *testing.T) {
	x := "- rolearn: arn:aws:iam::111122223333:role/X\n  username: x\n"
	y := "# keep y\n- rolearn: arn:aws:iam::111122223333:role/Y\n  username: y\n"
	roles := x + y + "# dup of X\n" + x + "\n" + strings.ToLower(x) + "- rolearn: arn:aws:iam::111122223333:role/X2\n  username: x2\n"
	res := mustApply(t, map[string]string{KeyRoles: roles}, Edit{Op: OpRemove, ARN: "ARN:AWS:IAM::111122223333:ROLE/X"})
	if want := y + "\n- rolearn: arn:aws:iam::111122223333:role/X2\n  username: x2\n"; res.Data[KeyRoles] != want {
		t.Errorf("mapRoles = %q, want %q", res.Data[KeyRoles], want)
	}
}

func TestApplyEditsRemoveFromFlowList(t *testing.T) {
	data := map[string]string{KeyRoles: `[{"rolearn":"arn:aws:iam::111122223333:role/Admin","username":"admin","groups":["system:masters"]},` +
		`{"rolearn":"arn:aws:iam::111122223333:role/Dev","username":"dev","userid":"AROADEV","groups":["devs"]}]`}
	res := mustApply(t, data, Edit{Op: OpRemove, ARN: "arn:aws:iam::111122223333:role/ADMIN"})
	if len(res.Notes) != 1 {
		t.Errorf("notes: %q", res.Notes)
	}
	p := Parse(res.Data)
	want := []RoleMapping{{RoleARN: "arn:aws:iam::111122223333:role/Dev", Username: "dev", UserID: "AROADEV", Groups: []string{"devs"}}}
	if d := cmp.Diff(want, p.Roles); d != "" || len(p.Errors) != 0 {
		t.Errorf("after remove (-want +got):\n%s%v\n%s", d, p.Errors, res.Data[KeyRoles])
	}
}

func TestApplyEditsAccounts(t *testing.T) {
	data := editData()
	res := mustApply(t, data, Edit{Op: OpAdd, Kind: KindAccount, ARN: "012345678901"})
	if want := editAccounts + "- \"012345678901\"\n"; res.Data[KeyAccounts] != want {
		t.Errorf("mapAccounts = %q, want %q", res.Data[KeyAccounts], want)
	}
	untouched(t, data, res.Data, KeyAccounts)
	if p := Parse(res.Data); !slices.Equal(p.Accounts, []string{"111122223333", "444455556666", "012345678901"}) {
		t.Errorf("accounts = %q", p.Accounts)
	}

	res = mustApply(t, data, Edit{Op: OpRemove, ARN: "444455556666"})
	if want := "# prod\n- \"111122223333\"\n"; res.Data[KeyAccounts] != want {
		t.Errorf("mapAccounts = %q, want %q", res.Data[KeyAccounts], want)
	}
	untouched(t, data, res.Data, KeyAccounts)

	// Indented, unquoted, listed twice: both go, the comment stays.
	res = mustApply(t, map[string]string{KeyAccounts: "  - 444455556666\n  # keep\n  - \"111122223333\"\n  - '444455556666'\n"}, Edit{Op: OpRemove, ARN: "444455556666"})
	if want := "  # keep\n  - \"111122223333\"\n"; res.Data[KeyAccounts] != want {
		t.Errorf("mapAccounts = %q, want %q", res.Data[KeyAccounts], want)
	}
	res = mustApply(t, map[string]string{KeyAccounts: "  - 444455556666\n"}, Edit{Op: OpAdd, Kind: KindAccount, ARN: "111122223333"})
	if want := "  - 444455556666\n  - \"111122223333\"\n"; res.Data[KeyAccounts] != want {
		t.Errorf("mapAccounts = %q, want %q", res.Data[KeyAccounts], want)
	}
	res = mustApply(t, map[string]string{}, Edit{Op: OpAdd, Kind: KindAccount, ARN: "111122223333"})
	if want := "- \"111122223333\"\n"; res.Data[KeyAccounts] != want {
		t.Errorf("mapAccounts = %q, want %q", res.Data[KeyAccounts], want)
	}

	if _, err := ApplyEdits(data, []Edit{{Op: OpAdd, Kind: KindAccount, ARN: "444455556666"}}); !errors.Is(err, ErrExists) {
		t.Errorf("adding a listed account: %v, want ErrExists", err)
	}
	if _, err := ApplyEdits(data, []Edit{{Op: OpRemove, ARN: "777788889999"}}); !errors.Is(err, ErrNotMapped) {
		t.Errorf("removing an unlisted account: %v, want ErrNotMapped", err)
	}
	if _, err := ApplyEdits(map[string]string{KeyAccounts: `["111122223333"]`}, []Edit{{Op: OpAdd, Kind: KindAccount, ARN: "444455556666"}}); err == nil || !strings.Contains(err.Error(), "not a block list") {
		t.Errorf("adding to a flow list of accounts: %v", err)
	}
}

// Golden: set replaces username and groups and keeps the ARN as written, the other
// fields, the comments and every other line.
func TestApplyEditsSetGolden(t *testing.T) {
	data := editData()
	res := mustApply(t, data, Edit{Op: OpSet, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/dev", Username: "developer:{{SessionName}}", Groups: []string{"devs", "on-call"}})
	want := strings.Replace(editRoles, `- roleARN: arn:aws:iam::111122223333:role/Dev   # team dev
  username: "dev:{{SessionName}}"
  userid: AROAEXAMPLEDEV
  comment: keep me
  groups: [devs]
`, `- roleARN: arn:aws:iam::111122223333:role/Dev # team dev
  username: "developer:{{SessionName}}"
  userid: AROAEXAMPLEDEV
  comment: keep me
  groups:
    - devs
    - on-call
`, 1)
	if d := cmp.Diff(want, res.Data[KeyRoles]); d != "" {
		t.Errorf("mapRoles (-want +got):\n%s", d)
	}
	untouched(t, data, res.Data, KeyRoles)
	p := Parse(res.Data)
	if r := p.Roles[2]; r.UserID != "AROAEXAMPLEDEV" || r.RoleARN != "arn:aws:iam::111122223333:role/Dev" {
		t.Errorf("entry after set: %+v", r)
	}
}

func TestApplyEditsSet(t *testing.T) {
	t.Run("mixed-case field names and duplicates become one canonical field", func(t *testing.T) {
		users := "- userARN: arn:aws:iam::111122223333:user/Alice\n  userid: AIDAEXAMPLE\n  UserName: alice\n  GROUPS: [viewers]\n  username: alice2\n  usrname: typo\n"
		res := mustApply(t, map[string]string{KeyUsers: users}, Edit{Op: OpSet, Kind: KindUser, ARN: "arn:aws:iam::111122223333:user/alice", Username: "alice3", Groups: []string{"admins"}})
		want := "- userARN: arn:aws:iam::111122223333:user/Alice\n  userid: AIDAEXAMPLE\n  username: alice3\n  groups:\n  - admins\n  usrname: typo\n"
		if d := cmp.Diff(want, res.Data[KeyUsers]); d != "" {
			t.Errorf("mapUsers (-want +got):\n%s", d)
		}
	})
	t.Run("the entry that takes effect is the one changed", func(t *testing.T) {
		data := editData()
		res := mustApply(t, data, Edit{Op: OpSet, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/Admin", Username: "root-admin", Groups: []string{"admins"}})
		at, removed, added := hunk(editRoles, res.Data[KeyRoles])
		if want := lines(editRoles)[19:22]; !slices.Equal(removed, want) {
			t.Errorf("set changed lines %q at %d, want %q", removed, at, want)
		}
		if want := []string{"- rolearn: arn:aws:iam::111122223333:role/ADMIN # case variant\n", "  username: root-admin\n", "  groups:\n", "    - admins\n"}; !slices.Equal(added, want) {
			t.Errorf("set wrote %q, want %q", added, want)
		}
		resolveIs(t, res.Data, "arn:aws:iam::111122223333:role/admin", "root-admin", []string{"admins"})
		untouched(t, data, res.Data, KeyRoles)
	})
	t.Run("a user", func(t *testing.T) {
		data := editData()
		res := mustApply(t, data, Edit{Op: OpSet, Kind: KindUser, ARN: "arn:aws:iam::111122223333:user/alice", Username: "alice", Groups: nil})
		if want := "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n  groups: []\n"; !strings.HasPrefix(res.Data[KeyUsers], want) {
			t.Errorf("mapUsers = %q, want it to start with %q", res.Data[KeyUsers], want)
		}
		if r := NewStore(Parse(res.Data)).Resolve("arn:aws:iam::111122223333:user/alice"); r.Mapping == nil || len(r.Groups) != 0 {
			t.Errorf("alice resolves to %+v", r)
		}
		untouched(t, data, res.Data, KeyUsers)
	})
	t.Run("a JSON list is rewritten", func(t *testing.T) {
		data := map[string]string{KeyRoles: `[{"rolearn":"arn:aws:iam::111122223333:role/Dev","username":"dev","userid":"AROADEV","groups":["devs"]}]`}
		res := mustApply(t, data, Edit{Op: OpSet, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/Dev", Username: "dev2", Groups: []string{"devs"}})
		if len(res.Notes) != 1 {
			t.Errorf("notes: %q", res.Notes)
		}
		if p := Parse(res.Data); len(p.Roles) != 1 || p.Roles[0].UserID != "AROADEV" || p.Roles[0].Username != "dev2" {
			t.Errorf("after set: %+v", p.Roles)
		}
	})
}

func TestApplyEditsErrors(t *testing.T) {
	data := editData()
	tests := []struct {
		name  string
		data  map[string]string
		edit  Edit
		is    error
		match string
	}{
		{name: "add an existing role in other case", data: data, edit: Edit{Op: OpAdd, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/DEV", Username: "x"}, is: ErrExists, match: "mapRoles[2]"},
		{name: "add an existing user", data: data, edit: Edit{Op: OpAdd, Kind: KindUser, ARN: "arn:aws:iam::111122223333:user/Alice", Username: "x"}, is: ErrExists},
		{name: "remove an unmapped ARN", data: data, edit: Edit{Op: OpRemove, ARN: "arn:aws:iam::111122223333:role/Nobody"}, is: ErrNotMapped},
		{name: "set an unmapped role", data: data, edit: Edit{Op: OpSet, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/Nobody", Username: "x"}, is: ErrNotMapped},
		{name: "set a user ARN as a role", data: data, edit: Edit{Op: OpSet, Kind: KindRole, ARN: "arn:aws:iam::111122223333:user/alice", Username: "x"}, is: ErrNotMapped},
		{name: "remove from an absent ConfigMap", data: map[string]string{}, edit: Edit{Op: OpRemove, ARN: "arn:aws:iam::111122223333:role/Admin"}, is: ErrNotMapped},
		{name: "unknown op", data: data, edit: Edit{Op: "rename", ARN: "x"}, match: `unknown edit "rename"`},
		{name: "add to an unparseable key", data: map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/A\n\tusername: a\n"},
			edit: Edit{Op: OpAdd, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/B", Username: "b"}, match: "mapRoles cannot be edited safely: the authenticator cannot read it (yaml: line 2: found a tab"},
		{name: "remove from an unparseable key", data: map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/A\n  username: {{SessionName}}\n"},
			// The authenticator reads none of mapRoles, so the ARN is not mapped; the
			// error says why.
			edit: Edit{Op: OpRemove, ARN: "arn:aws:iam::111122223333:role/A"}, match: "mapRoles does not parse"},
		{name: "set in a key that is not a list", data: map[string]string{KeyRoles: "rolearn: arn:aws:iam::111122223333:role/A\nusername: a\n"},
			edit: Edit{Op: OpSet, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/A", Username: "b"}, match: "mapRoles cannot be edited safely"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ApplyEdits(tt.data, []Edit{tt.edit})
			if err == nil {
				t.Fatalf("no error; result %q", res.Data)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v, want %v", err, tt.is)
			}
			if tt.match != "" && !strings.Contains(err.Error(), tt.match) {
				t.Errorf("error %q, want it to contain %q", err, tt.match)
			}
		})
	}
	// A broken key does not stop an add to another key, and stays as it is.
	broken := map[string]string{KeyRoles: cleanRoles, KeyUsers: "- userarn: x\n\tusername: y\n"}
	res := mustApply(t, broken, Edit{Op: OpAdd, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/New", Username: "new", Groups: []string{"n"}})
	untouched(t, broken, res.Data, KeyRoles)
	// Edits apply in order, and all of them are checked: move a role ARN from mapUsers
	// to mapRoles (AA18's fix) and add an account.
	moving := map[string]string{KeyRoles: cleanRoles, KeyUsers: cleanUsers + "- userarn: arn:aws:iam::111122223333:role/Ops\n  username: ops\n  groups: [ops]\n"}
	res = mustApply(t, moving,
		Edit{Op: OpRemove, ARN: "arn:aws:iam::111122223333:role/Ops"},
		Edit{Op: OpAdd, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/Ops", Username: "ops", Groups: []string{"ops"}},
		Edit{Op: OpAdd, Kind: KindAccount, ARN: "777788889999"})
	resolveIs(t, res.Data, "arn:aws:iam::111122223333:role/Ops", "ops", []string{"ops"})
	if res.Data[KeyUsers] != cleanUsers || res.Data[KeyRoles] != cleanRoles+"- rolearn: arn:aws:iam::111122223333:role/Ops\n  username: ops\n  groups:\n    - ops\n" {
		t.Errorf("after the move: %q", res.Data)
	}
	if d := Compare(moving, res.Data); len(d.Changes) != 3 {
		t.Errorf("Compare after the move: %+v", d.Changes)
	}
	if _, err := ApplyEdits(data, []Edit{{Op: OpAdd, Kind: KindUser, ARN: "arn:aws:iam::111122223333:user/z", Username: "z"}, {Op: OpAdd, Kind: KindUser, ARN: "arn:aws:iam::111122223333:user/Z", Username: "z"}}); !errors.Is(err, ErrExists) {
		t.Errorf("adding the same user twice in one call: %v", err)
	}
}

// Usernames and groups that YAML would read as something else must be written so
// that the authenticator reads back exactly the intended string.
func TestApplyEditsQuoting(t *testing.T) {
	tricky := []string{
		"{{SessionName}}", "{{SessionName}}-x", "{{EC2PrivateDNSName}}", "system:node:{{EC2PrivateDNSName}}", "admin:{{SessionName}}",
		"yes", "Yes", "YES", "no", "y", "n", "on", "On", "off", "OFF", "true", "False", "null", "Null", "~", "", "0123", "123", "1.5", "1e3",
		"0x1F", "0o17", "1_000", ".inf", ".nan", "2001-01-01", "1:20", "a: b", "a:", "trailing:", "#x", "x #y", "a#b", "a: ", "a:b", "-dash", "- dash",
		"-", "--", "---", "...", "[a]", "{a}", "a,b", "a]b", "*a", "&a", "!a", "%a", "@a", "`a", "|a", ">a", "?a", "? a", ",a", "=", "<<",
		" lead", "trail ", "in side", "ädmin", "日本語", "emoji 🙂", `quote"d`, "it's", `back\slash`, "tab\there", "multi\nline", "cr\r",
		"\u200b", "\ufeffx", "a\x00b", "\x7f", "\u00a0nbsp", "аdmin", strings.Repeat("long-", 100),
	}
	blockRoles := "- rolearn: arn:aws:iam::111122223333:role/Existing\n  username: e\n  groups:\n    - e\n"
	jsonRoles := `[{"rolearn":"arn:aws:iam::111122223333:role/Existing","username":"e","groups":["e"]}]`
	for _, v := range tricky {
		for _, c := range []struct {
			layout string
			data   map[string]string
			op     string
		}{
			{"block add", map[string]string{KeyRoles: blockRoles}, OpAdd},
			{"block set", map[string]string{KeyRoles: blockRoles}, OpSet},
			{"new key add", map[string]string{}, OpAdd},
			{"JSON add", map[string]string{KeyRoles: jsonRoles}, OpAdd},
			{"JSON set", map[string]string{KeyRoles: jsonRoles}, OpSet},
		} {
			arn := "arn:aws:iam::111122223333:role/Existing"
			if c.op == OpAdd {
				arn = "arn:aws:iam::111122223333:role/New"
			}
			groups := []string{v, "g"}
			res, err := ApplyEdits(c.data, []Edit{{Op: c.op, Kind: KindRole, ARN: arn, Username: v, Groups: groups}})
			if CheckIdentity("x", v) != nil {
				// A control or invisible character is refused, never written.
				if err == nil || !strings.Contains(err.Error(), "control or invisible character") {
					t.Errorf("%s of %q: want it refused, got %v", c.layout, v, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s of %q: %v", c.layout, v, err)
				continue
			}
			p := Parse(res.Data)
			if len(p.Errors) != 0 {
				t.Errorf("%s of %q: the result has errors %v:\n%s", c.layout, v, p.Errors, res.Data[KeyRoles])
				continue
			}
			r := NewStore(p).Resolve(arn)
			if r.Username != v || !slices.Equal(r.Groups, groups) {
				t.Errorf("%s of %q reads back as %q %q:\n%s", c.layout, v, r.Username, r.Groups, res.Data[KeyRoles])
			}
			// yaml.v3 (YAML 1.2, what other tools read) agrees too.
			l := Locate(KeyRoles, res.Data[KeyRoles])
			if l.Err != nil {
				t.Errorf("%s of %q: yaml.v3 cannot read the result: %v", c.layout, v, l.Err)
			} else if it := l.Items[len(l.Items)-1]; c.op == OpAdd && it.Get("username").Value.Value != v {
				t.Errorf("%s of %q: yaml.v3 reads %q", c.layout, v, it.Get("username").Value.Value)
			}
		}
	}
}

// Every line outside the edited entry stays byte for byte, for every edit of every
// entry of a document in many styles; untouched keys are byte-identical.
func TestApplyEditsBytePreservation(t *testing.T) {
	roles := "  # leading comment, indented list\n" +
		"  - rolearn: arn:aws:iam::111122223333:role/A   # trailing comment\n" +
		"    username: 'a:{{SessionName}}'\n" +
		"    groups: [a1, \"a2\"]\n" +
		"\n" +
		"  -\n" +
		"    rolearn: arn:aws:iam::111122223333:role/B\n" +
		"    username: |-\n" +
		"      b\n" +
		"    groups:\n" +
		"    - b1\n" +
		"    # comment inside\n" +
		"    - b2\n" +
		"  # head of C\n" +
		"  # second line\n" +
		"  - {rolearn: arn:aws:iam::111122223333:role/C, username: c, groups: [c]}\n" +
		"  - rolearn: arn:aws:iam::111122223333:role/D\n" +
		"    unknownField: x\n" +
		"    username: d\n" +
		"\n" +
		"\n" +
		"  # trailing comment of the list\n"
	data := map[string]string{KeyRoles: roles, KeyUsers: editUsers, KeyAccounts: "[\"111122223333\"]", "foo": "bar: baz\n"}
	if p := Parse(data); len(p.Roles) != 4 || len(p.Errors) != 0 {
		t.Fatalf("the fixture parses as %+v", p)
	}
	// The lines of each entry: its comments above, its dash line, its other lines.
	extents := map[string][2]int{"A": {0, 4}, "B": {5, 13}, "C": {13, 16}, "D": {16, 19}}
	for name, ext := range extents {
		arn := "arn:aws:iam::111122223333:role/" + name
		t.Run("remove "+name, func(t *testing.T) {
			res := mustApply(t, data, Edit{Op: OpRemove, ARN: arn})
			untouched(t, data, res.Data, KeyRoles)
			at, removed, added := hunk(roles, res.Data[KeyRoles])
			if len(added) != 0 || !slices.Equal(removed, lines(roles)[ext[0]:ext[1]]) {
				t.Errorf("removed %q at %d (added %q), want lines %d-%d %q", removed, at, added, ext[0], ext[1], lines(roles)[ext[0]:ext[1]])
			}
		})
		t.Run("set "+name, func(t *testing.T) {
			res := mustApply(t, data, Edit{Op: OpSet, Kind: KindRole, ARN: arn, Username: "new", Groups: []string{"n"}})
			untouched(t, data, res.Data, KeyRoles)
			at, removed, _ := hunk(roles, res.Data[KeyRoles])
			if at < ext[0] || at+len(removed) > ext[1] {
				t.Errorf("set changed lines %d-%d %q, outside the entry's %d-%d", at, at+len(removed), removed, ext[0], ext[1])
			}
			resolveIs(t, res.Data, arn, "new", []string{"n"})
		})
	}
	t.Run("add", func(t *testing.T) {
		res := mustApply(t, data, Edit{Op: OpAdd, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/E", Username: "e", Groups: []string{"e"}})
		untouched(t, data, res.Data, KeyRoles)
		at, removed, added := hunk(roles, res.Data[KeyRoles])
		want := []string{"  - rolearn: arn:aws:iam::111122223333:role/E\n", "    username: e\n", "    groups:\n", "    - e\n"}
		if at != 19 || len(removed) != 0 || !slices.Equal(added, want) {
			t.Errorf("add inserted %q at %d, removing %q; want %q at 19", added, at, removed, want)
		}
	})
}

// TestApplyEditsGaps holds edits that ApplyEdits gets wrong. Each failure is a bug
// report; see the comments.
func TestApplyEditsGaps(t *testing.T) {
	// A commented-out field at column 0 inside an entry, as people leave them. Locate's
	// computeExtents ends the entry at the first line indented no deeper than its dash,
	// comment lines included, so the entry's extent stops before the comment: remove
	// leaves "  groups: [x]" behind (it joins the entry above), set leaves the old
	// groups after the new ones, add inserts the new entry into the middle of the last
	// one. verify() catches each and ApplyEdits refuses a valid edit with "internal
	// check failed". Expected: the comment belongs to the entry (or is kept) and the
	// edits succeed.
	withComment := "- rolearn: arn:aws:iam::111122223333:role/B\n  username: b\n  groups: [b]\n" +
		"- rolearn: arn:aws:iam::111122223333:role/A\n  username: a\n#  userid: AROAOLD\n  groups: [x]\n"
	for _, e := range []Edit{
		{Op: OpRemove, ARN: "arn:aws:iam::111122223333:role/A"},
		{Op: OpSet, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/A", Username: "new", Groups: []string{"n"}},
		{Op: OpAdd, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/C", Username: "c", Groups: []string{"c"}},
	} {
		if _, err := ApplyEdits(map[string]string{KeyRoles: withComment}, []Edit{e}); err != nil {
			t.Errorf("%s %s with a column-0 comment inside the last entry: %v", e.Op, e.ARN, err)
		}
	}

	// Adding a mapUsers entry for an ARN that mapRoles already maps: mapRoles wins
	// (§5), so the new entry is dead on arrival (Validate: AA21 in-both-lists), yet
	// ApplyEdits accepts it, because the ErrExists check only looks at the same kind and
	// verify() only checks the changes that did happen. ApplyEdits' contract: "The
	// result ... must map exactly what the edits intend".
	data := map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups: [system:masters]\n"}
	res, err := ApplyEdits(data, []Edit{{Op: OpAdd, Kind: KindUser, ARN: "arn:aws:iam::111122223333:role/Admin", Username: "viewer", Groups: []string{"viewers"}}})
	if err == nil {
		r := NewStore(Parse(res.Data)).Resolve("arn:aws:iam::111122223333:role/Admin")
		t.Errorf("add of a user entry that takes no effect was accepted: the ARN still resolves to %q %q", r.Username, r.Groups)
	}

	// Edits apply in order, so removing a mapping and adding it back with another
	// username in one call is a valid replace. verify() keys the intended changes by
	// kind and ARN, finds the add's entry for a Changed mapping and refuses: "internal
	// check failed, nothing was changed: add of ... gave Changed".
	if _, err := ApplyEdits(editData(), []Edit{
		{Op: OpRemove, ARN: "arn:aws:iam::111122223333:role/Admin"},
		{Op: OpAdd, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/Admin", Username: "admin:{{SessionName}}", Groups: []string{"admins"}},
	}); err != nil {
		t.Errorf("remove then add of the same role in one call: %v", err)
	}
}
