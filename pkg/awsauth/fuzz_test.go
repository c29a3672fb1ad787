package awsauth

import (
	"slices"
	"strings"
	"testing"
)

// fuzzData builds the data map of a fuzz input. The low bits of keys leave a key out
// (a key that is absent and one that is "" are the same to the authenticator, not to
// Validate); bit 3 adds a misspelled copy of mapRoles.
func fuzzData(roles, users, accounts string, keys uint8) map[string]string {
	data := map[string]string{}
	if keys&1 == 0 {
		data[KeyRoles] = roles
	}
	if keys&2 == 0 {
		data[KeyUsers] = users
	}
	if keys&4 == 0 {
		data[KeyAccounts] = accounts
	}
	if keys&8 != 0 {
		data["maproles"] = roles
	}
	return data
}

func FuzzParse(f *testing.F) {
	quietAuthenticator(f)
	for _, r := range seedRoles {
		f.Add(r, "", "", uint8(0))
	}
	for _, u := range seedUsers {
		f.Add("", u, "", uint8(0))
	}
	for _, a := range seedAccounts {
		f.Add("", "", a, uint8(0))
	}
	f.Add(seedRoles[0], seedUsers[0], seedAccounts[0], uint8(8))
	f.Add("- rolearn: arn:aws:iam::111122223333:role/A\n  username: a\n  groups:\n  - g\n", "", "", uint8(6))
	f.Add("''", `""`, "``", uint8(0))
	f.Add("null", "[]", "~", uint8(0))
	f.Add("{}", "- userarn: x\n  groups: system:masters\n", "a: b", uint8(0))
	f.Fuzz(func(t *testing.T, roles, users, accounts string, keys uint8) {
		data := fuzzData(roles, users, accounts, keys)

		// Parse keeps exactly what the authenticator keeps.
		want, diff := disagreement(data)
		if diff != "" {
			t.Fatalf("Parse disagrees with the authenticator on %s\nauthenticator: roles=%+v users=%+v accounts=%q err=%v\n%s",
				dataString(data), want.Roles, want.Users, want.Accounts, want.Err, diff)
		}

		// Validate: no panic, and its parser rules say what the authenticator says.
		if d := validateDisagreement(data, want.Err); d != "" {
			t.Fatalf("%s input: %s", d, dataString(data))
		}
		Validate(&Object{Kind: "ConfigMap", Name: "other", Namespace: "default", Data: data}, Options{ClusterAccount: "111122223333", ClusterPartition: "aws"})

		// NewStore and Resolve.
		p := Parse(data)
		s := NewStore(p)
		if len(s.Mappings) != len(p.Roles)+len(p.Users)+len(p.Accounts) {
			t.Fatalf("NewStore has %d mappings for %d roles, %d users, %d accounts", len(s.Mappings), len(p.Roles), len(p.Users), len(p.Accounts))
		}
		keys2 := map[string]bool{}
		for _, m := range s.Active() {
			keys2[m.MatchKey()] = true
			r := s.Resolve(m.ARN)
			if m.Kind != KindAccount && m.SSO == nil && r.Mapping == nil {
				t.Fatalf("active mapping %+v does not resolve its own ARN", m)
			}
		}
		s.Resolve("arn:aws:iam::111122223333:role/Admin")
		s.Resolve("arn:aws:iam::111122223333:user/alice")

		// Compare: a ConfigMap is the same as itself, and everything it maps is added
		// to an empty one and removed from it.
		if d := Compare(data, data); !d.Same() {
			t.Fatalf("Compare(data, data) reports changes %+v for %s", d.Changes, dataString(data))
		}
		added := Compare(nil, data)
		removed := Compare(data, map[string]string{})
		if len(added.Changes) != len(keys2) || len(removed.Changes) != len(keys2) {
			t.Fatalf("Compare from/to empty: %d added, %d removed, want %d (%v)", len(added.Changes), len(removed.Changes), len(keys2), keys2)
		}
		for _, c := range added.Changes {
			if c.Type != Added {
				t.Fatalf("Compare(nil, data) gives %+v", c)
			}
		}

		// Locate: no panic; a block list's entries are in order and do not overlap.
		for key, text := range data {
			l := Locate(key, text)
			if !l.Block || l.Root == nil {
				continue
			}
			prev := 0
			for _, it := range l.Items {
				if it.Start < prev || it.End <= it.Start || it.End > len(l.Lines()) {
					t.Fatalf("Locate(%s): entry %d has lines [%d, %d), previous ends at %d, %d lines:\n%q", key, it.Index, it.Start, it.End, prev, len(l.Lines()), text)
				}
				prev = it.End
			}
		}
	})
}

// FuzzApplyEdits removes, re-sets and adds mappings in arbitrary data: ApplyEdits must
// not panic, and what it returns must parse to exactly the intended change with every
// other key untouched.
func FuzzApplyEdits(f *testing.F) {
	quietAuthenticator(f)
	for _, r := range seedRoles {
		f.Add(r, seedUsers[0], uint8(0))
	}
	for _, u := range seedUsers {
		f.Add(seedRoles[0], u, uint8(1))
	}
	f.Add("", "", uint8(2))
	f.Add("[]", "''", uint8(3))
	f.Fuzz(func(t *testing.T, roles, users string, op uint8) {
		data := map[string]string{KeyRoles: roles, KeyUsers: users, KeyAccounts: "- \"111122223333\"\n", "other": "keep me"}
		p := Parse(data)
		var edits []Edit
		switch op % 4 {
		case 0:
			for _, r := range p.Roles {
				if r.RoleARN != "" {
					edits = append(edits, Edit{Op: OpRemove, ARN: r.RoleARN})
					break
				}
			}
		case 1:
			for _, r := range p.Roles {
				if r.RoleARN != "" {
					edits = append(edits, Edit{Op: OpSet, Kind: KindRole, ARN: r.RoleARN, Username: "{{SessionName}}", Groups: []string{"yes", "a: b"}})
					break
				}
			}
		case 2:
			edits = append(edits, Edit{Op: OpAdd, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/Fuzz", Username: "fuzz:{{SessionName}}", Groups: []string{"0123"}})
		case 3:
			for _, u := range p.Users {
				edits = append(edits, Edit{Op: OpRemove, ARN: u.UserARN})
				break
			}
		}
		if len(edits) == 0 {
			return
		}
		res, err := ApplyEdits(data, edits)
		if err != nil {
			return // refusing is allowed; panicking or a wrong result is not
		}
		if res.Data["other"] != "keep me" || res.Data[KeyAccounts] != data[KeyAccounts] && edits[0].Kind != KindAccount {
			t.Fatalf("an untouched key changed: %q", res.Data)
		}
		e := edits[0]
		after := NewStore(Parse(res.Data))
		switch e.Op {
		case OpRemove:
			for _, m := range after.Mappings {
				if strings.EqualFold(m.ARN, e.ARN) {
					t.Fatalf("%s still mapped after remove: %q", e.ARN, res.Data)
				}
			}
		case OpSet, OpAdd:
			r := after.Resolve(e.ARN)
			if r.Mapping == nil || r.Username != e.Username || !slices.Equal(r.Groups, e.Groups) {
				t.Fatalf("%s %s resolves to %+v after the edit: %q", e.Op, e.ARN, r, res.Data)
			}
		}
	})
}
