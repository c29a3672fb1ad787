package identity

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
)

func store(t *testing.T, data map[string]string) *awsauth.Store {
	t.Helper()
	return awsauth.NewStore(awsauth.Parse(data))
}

var testData = map[string]string{
	"mapRoles": `- rolearn: arn:aws:iam::111122223333:role/Admin
  username: admin:{{SessionName}}
  groups: [platform:admins]
- rolearn: arn:aws:iam::111122223333:role/Node
  username: system:node:{{EC2PrivateDNSName}}
  groups: [system:bootstrappers, system:nodes]
- rolearn: arn:aws:iam::111122223333:role/Bot
  username: ci-bot
- rolearn: arn:aws:iam::111122223333:role/SA
  username: system:serviceaccount:ci:deployer
- sso: {permissionSetName: Admin, accountID: "111122223333"}
  username: sso-admin
  groups: [sso]
`,
	"mapUsers":    "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n  groups: [system:masters]\n",
	"mapAccounts": "- \"444455556666\"\n",
}

func TestFromAWSAuth(t *testing.T) {
	var got []string
	for _, p := range FromAWSAuth(store(t, testData)) {
		got = append(got, p.Type+" "+p.ARN+" "+p.Source)
	}
	want := []string{
		"account arn:aws:iam::444455556666:* aws-auth mapAccounts[0]",
		"role arn:aws:iam::111122223333:role/Admin aws-auth mapRoles[0]",
		"role arn:aws:iam::111122223333:role/Bot aws-auth mapRoles[2]",
		"role arn:aws:iam::111122223333:role/Node aws-auth mapRoles[1]",
		"role arn:aws:iam::111122223333:role/SA aws-auth mapRoles[3]",
		"user arn:aws:iam::111122223333:user/alice aws-auth mapUsers[0]",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("principals (-want +got), SSO entries left out:\n%s", d)
	}
}

func TestReaches(t *testing.T) {
	ps := map[string]Principal{}
	for _, p := range FromAWSAuth(store(t, testData)) {
		ps[p.ARN] = p
	}
	admin, bot, sa, alice, account := ps["arn:aws:iam::111122223333:role/Admin"], ps["arn:aws:iam::111122223333:role/Bot"],
		ps["arn:aws:iam::111122223333:role/SA"], ps["arn:aws:iam::111122223333:user/alice"], ps["arn:aws:iam::444455556666:*"]
	tests := []struct {
		name string
		p    Principal
		s    Subject
		want bool
	}{
		{"mapped group", admin, Subject{Kind: "Group", Name: "platform:admins"}, true},
		{"every principal is authenticated", account, Subject{Kind: "Group", Name: "system:authenticated"}, true},
		{"other group", admin, Subject{Kind: "Group", Name: "ops"}, false},
		{"system:masters through mapUsers", alice, Subject{Kind: "Group", Name: "system:masters"}, true},
		{"fixed username", bot, Subject{Kind: "User", Name: "ci-bot"}, true},
		{"templated username never equals a user", admin, Subject{Kind: "User", Name: "admin:{{SessionName}}"}, false},
		{"templated username, rendered", admin, Subject{Kind: "User", Name: "admin:jo"}, false},
		{"username naming a service account", sa, Subject{Kind: "ServiceAccount", Namespace: "ci", Name: "deployer"}, true},
		{"account mapping has no groups", account, Subject{Kind: "Group", Name: "platform:admins"}, false},
		{"unauthenticated is never reached", alice, Subject{Kind: "Group", Name: "system:unauthenticated"}, false},
	}
	for _, tc := range tests {
		if got := tc.p.Reaches(tc.s); got != tc.want {
			t.Errorf("%s: Reaches(%v) = %v, want %v", tc.name, tc.s, got, tc.want)
		}
	}
	if !admin.RenderedForm("admin:jo") || admin.RenderedForm("admin:") || admin.RenderedForm("other:jo") || bot.RenderedForm("ci-bot") {
		t.Error("RenderedForm: want admin:jo only")
	}
}

func TestAccountPrincipalFor(t *testing.T) {
	s := store(t, testData)
	if p, ok := AccountPrincipalFor(s, "arn:aws:iam::444455556666:role/Anything"); !ok || p.Source != "aws-auth mapAccounts[0]" {
		t.Errorf("a role of a mapped account: %+v %v", p, ok)
	}
	for _, user := range []string{"arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::777788889999:role/X", "alice"} {
		if _, ok := AccountPrincipalFor(s, user); ok {
			t.Errorf("%s: not an account principal", user)
		}
	}
}
