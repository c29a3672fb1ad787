package awsauth

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func changeStrings(d *Diff) []string {
	var out []string
	for _, c := range d.Changes {
		s := fmt.Sprintf("%s %s %s", c.Type, c.Kind, c.ARN)
		if len(c.Fields) > 0 {
			s += " " + strings.Join(c.Fields, ",")
		}
		out = append(out, s)
	}
	return out
}

func TestCompare(t *testing.T) {
	base := map[string]string{KeyRoles: cleanRoles, KeyUsers: cleanUsers, KeyAccounts: "- \"111122223333\"\n"}
	with := func(k, v string) map[string]string {
		d := map[string]string{KeyRoles: cleanRoles, KeyUsers: cleanUsers, KeyAccounts: "- \"111122223333\"\n"}
		d[k] = v
		return d
	}
	tests := []struct {
		name string
		old  map[string]string
		new  map[string]string
		want []string
	}{
		{name: "identical", old: base, new: base},
		{name: "formatting, comments, order, JSON and field-name case change nothing", old: base, new: map[string]string{
			KeyRoles: `[{"groups":["developers"],"ROLEARN":"arn:aws:iam::111122223333:role/developer","username":"developer:{{SessionName}}"},
 {"rolearn":"arn:aws:iam::111122223333:role/AmazonEKSFargatePodExecutionRole","username":"system:node:{{SessionName}}","groups":["system:node-proxier","system:nodes","system:bootstrappers"]},
 {"rolearn":"arn:aws:iam::111122223333:role/eks-node-group-role","username":"system:node:{{EC2PrivateDNSName}}","groups":["system:nodes","system:bootstrappers","system:nodes"]}]`,
			KeyUsers:    "# people\n- {userarn: arn:aws:iam::111122223333:user/ALICE, username: alice, groups: [viewers], userid: AIDA}\n",
			KeyAccounts: "- 111122223333\n- '111122223333'\n",
			"unrelated": "x",
		}},
		{name: "added role, user and account", old: map[string]string{}, new: base, want: []string{
			"Added role arn:aws:iam::111122223333:role/AmazonEKSFargatePodExecutionRole",
			"Added role arn:aws:iam::111122223333:role/Developer",
			"Added role arn:aws:iam::111122223333:role/eks-node-group-role",
			"Added user arn:aws:iam::111122223333:user/alice",
			"Added account 111122223333",
		}},
		{name: "removed", old: base, new: map[string]string{KeyRoles: cleanRoles}, want: []string{
			"Removed user arn:aws:iam::111122223333:user/alice",
			"Removed account 111122223333",
		}},
		{name: "changed username and groups", old: base,
			new:  with(KeyUsers, "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice2\n  groups: [viewers, editors]\n"),
			want: []string{"Changed user arn:aws:iam::111122223333:user/alice username,groups"}},
		{name: "the last of duplicate roles is what counts", old: base,
			new:  with(KeyRoles, cleanRoles+"- rolearn: arn:aws:iam::111122223333:role/DEVELOPER\n  username: lead\n  groups: [developers]\n"),
			want: []string{"Changed role arn:aws:iam::111122223333:role/DEVELOPER username"}},
		{name: "an earlier duplicate does not count", old: base,
			new:  with(KeyRoles, "- rolearn: arn:aws:iam::111122223333:role/Developer\n  username: ignored\n  groups: [ignored]\n"+cleanRoles),
			want: nil},
		{name: "a role ARN moved from mapUsers to mapRoles", old: with(KeyUsers, cleanUsers+"- userarn: arn:aws:iam::111122223333:role/Ops\n  username: ops\n"),
			new:  with(KeyRoles, cleanRoles+"- rolearn: arn:aws:iam::111122223333:role/Ops\n  username: ops\n"),
			want: []string{"Added role arn:aws:iam::111122223333:role/Ops", "Removed user arn:aws:iam::111122223333:role/Ops"}},
		{name: "a mapUsers entry shadowed by mapRoles is not a mapping", old: base,
			new:  with(KeyUsers, cleanUsers+"- userarn: arn:aws:iam::111122223333:role/Developer\n  username: x\n"),
			want: nil},
		{name: "an entry the authenticator drops is removed", old: base,
			new:  with(KeyUsers, "- userARN: arn:aws:iam::111122223333:user/alice\n  username: alice\n  groups: [viewers]\n- username: nobody\n"),
			want: nil},
		{name: "a syntax error removes the whole key", old: base,
			new: with(KeyRoles, strings.Replace(cleanRoles, "  username: developer:{{SessionName}}", "  username: {{SessionName}}", 1)),
			want: []string{
				"Removed role arn:aws:iam::111122223333:role/AmazonEKSFargatePodExecutionRole",
				"Removed role arn:aws:iam::111122223333:role/Developer",
				"Removed role arn:aws:iam::111122223333:role/eks-node-group-role",
			}},
		{name: "groups as a string: the entry stays, its groups go", old: base,
			new:  with(KeyUsers, "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n  groups: viewers\n"),
			want: []string{"Changed user arn:aws:iam::111122223333:user/alice groups"}},
		{name: "SSO entries by pattern", old: map[string]string{KeyRoles: "- sso: {permissionSetName: Admin, accountID: \"111122223333\"}\n  username: a\n"},
			new:  map[string]string{KeyRoles: "- sso: {permissionSetName: Admin, accountID: \"111122223333\"}\n  username: b\n- sso: {permissionSetName: RO, accountID: \"111122223333\"}\n  username: c\n"},
			want: []string{"Changed role arn:aws:iam::111122223333:role/awsreservedsso_admin_* username", "Added role arn:aws:iam::111122223333:role/awsreservedsso_ro_*"}},
		{name: "an account's text matters", old: base, new: with(KeyAccounts, "- 0111122223333\n"),
			want: []string{"Added account 0111122223333", "Removed account 111122223333"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Compare(tt.old, tt.new)
			if diff := cmp.Diff(tt.want, changeStrings(d)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if d.Same() != (len(tt.want) == 0) {
				t.Errorf("Same() = %v", d.Same())
			}
			for _, c := range d.Changes {
				if (c.Old == nil) != (c.Type == Added) || (c.New == nil) != (c.Type == Removed) {
					t.Errorf("%s change with old %v new %v", c.Type, c.Old, c.New)
				}
			}
		})
	}
}

func TestCompareChangeSides(t *testing.T) {
	old := map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/admin\n  username: a\n  groups: [x]\n"}
	new := map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: b\n  groups: [x]\n"}
	d := Compare(old, new)
	if len(d.Changes) != 1 {
		t.Fatalf("changes: %v", changeStrings(d))
	}
	c := d.Changes[0]
	if c.ARN != "arn:aws:iam::111122223333:role/Admin" || c.Old.Username != "a" || c.New.Username != "b" || !slices.Equal(c.Fields, []string{"username"}) {
		t.Errorf("change: %+v old %+v new %+v", c, c.Old, c.New)
	}
}

func TestCompareShadowedAndIgnored(t *testing.T) {
	old := map[string]string{KeyRoles: cleanRoles}
	new := map[string]string{
		KeyRoles: cleanRoles +
			"- rolearn: arn:aws:iam::111122223333:role/developer\n  username: developer:{{SessionName}}\n  groups: [developers]\n" + // shadows entry 2
			"- rolearn: arn:aws:iam::111122223333:role/Ops\n  usrname: ops\n  groups: [ops]\n" + // unknown field
			"- username: no-arn\n", // dropped
		KeyUsers: "- userarn: arn:aws:iam::111122223333:user/alice\n  username: a\n- userarn: arn:aws:iam::111122223333:user/Alice\n  username: b\n" +
			"- userarn: arn:aws:iam::111122223333:role/Ops\n  username: dead\n",
		"maproles": "x",
		"extra":    "y",
	}
	d := Compare(old, new)
	var shadowed []string
	for _, m := range d.NewShadowed {
		shadowed = append(shadowed, fmt.Sprintf("%s[%d] %s", m.Key, m.Index, m.Status))
	}
	want := []string{"mapRoles[2] shadowed", "mapUsers[0] ambiguous", "mapUsers[1] ambiguous", "mapUsers[2] dead"}
	if diff := cmp.Diff(want, shadowed); diff != "" {
		t.Errorf("NewShadowed (-want +got):\n%s", diff)
	}
	if len(d.OldShadowed) != 0 || len(d.OldIgnored) != 0 {
		t.Errorf("old side: shadowed %v, ignored %v", d.OldShadowed, d.OldIgnored)
	}
	var ignored []string
	for _, f := range d.NewIgnored {
		ignored = append(ignored, fmt.Sprintf("%s %s %s", f.Rule, f.Name, f.Location))
	}
	slices.Sort(ignored)
	wantIgnored := []string{
		"AA03 misspelled-data-key maproles",
		"AA03 unknown-data-key extra",
		"AA09 missing-arn mapRoles[5] (line 22, column 3)",
		"AA13 unknown-field mapRoles[4].usrname (line 20, column 3)",
	}
	if diff := cmp.Diff(wantIgnored, ignored); diff != "" {
		t.Errorf("NewIgnored (-want +got):\n%s", diff)
	}
	// Unparseable and non-list keys are ignored as a whole.
	d = Compare(nil, map[string]string{KeyRoles: "- a: b\n\t- c\n", KeyUsers: "userarn: x\n", KeyAccounts: "a: b"})
	ignored = nil
	for _, f := range d.NewIgnored {
		ignored = append(ignored, f.Rule+" "+f.Location.Key)
	}
	if want := []string{"AA06 mapRoles", "AA07 mapUsers", "AA07 mapAccounts"}; !slices.Equal(ignored, want) {
		t.Errorf("NewIgnored = %v, want %v", ignored, want)
	}
}

// Case-variant mapUsers entries make the authenticator answer at random (§5). Compare
// lets the last variant stand for the ARN, which gets two things wrong. Each failure
// is a bug report.
func TestCompareAmbiguousUsers(t *testing.T) {
	viewer := "- userarn: arn:aws:iam::111122223333:user/alice\n  username: viewer\n  groups: [viewers]\n"
	admin := "- userarn: arn:aws:iam::111122223333:user/Alice\n  username: admin\n  groups: [system:masters]\n"
	// Reordering the variants changes nothing the authenticator does (it picks from a
	// Go map either way), yet Compare reports a change of username and groups.
	if d := Compare(map[string]string{KeyUsers: viewer + admin}, map[string]string{KeyUsers: admin + viewer}); !d.Same() {
		t.Errorf("reordered case variants: Compare reports %v", changeStrings(d))
	}
	// Removing the viewer variant turns "viewer or admin at random" into "admin", a
	// change for alice, yet Compare reports none: Same() says the two sides "map every
	// principal identically".
	if d := Compare(map[string]string{KeyUsers: viewer + admin}, map[string]string{KeyUsers: admin}); d.Same() {
		t.Errorf("removing a case variant: Compare reports no change")
	}
}
