package migrate

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
)

func storeOf(t *testing.T, mapRoles, mapUsers, mapAccounts string) *awsauth.Store {
	t.Helper()
	data := map[string]string{}
	if mapRoles != "" {
		data["mapRoles"] = mapRoles
	}
	if mapUsers != "" {
		data["mapUsers"] = mapUsers
	}
	if mapAccounts != "" {
		data["mapAccounts"] = mapAccounts
	}
	p := awsauth.Parse(data)
	if len(p.Errors) > 0 {
		t.Fatalf("test input does not parse: %+v", p.Errors)
	}
	return awsauth.NewStore(p)
}

func TestBuildCases(t *testing.T) {
	type want struct {
		action  string // entry action, or "" when blocked or skipped
		typ     string
		user    string
		groups  []string
		policy  string
		changes []string
		blocked string
	}
	role := func(arn, user string, groups ...string) string {
		return fmt.Sprintf("- rolearn: %s\n  username: %q\n  groups: [%s]\n", arn, user, strings.Join(quoteAll(groups), ", "))
	}
	cases := []struct {
		name     string
		roles    string
		users    string
		accounts string
		want     want
	}{
		{"linux nodes", role("arn:aws:iam::111122223333:role/nodes", "system:node:{{EC2PrivateDNSName}}", "system:bootstrappers", "system:nodes"), "", "",
			want{action: ActionCreate, typ: eks.TypeEC2Linux, groups: []string{}, changes: []string{ChangeMaybeManagedByEKS}}},
		{"windows nodes", role("arn:aws:iam::111122223333:role/win", "system:node:{{EC2PrivateDNSName}}", "system:bootstrappers", "system:nodes", "eks:kube-proxy-windows"), "", "",
			want{action: ActionCreate, typ: eks.TypeEC2Windows, groups: []string{}, changes: []string{ChangeMaybeManagedByEKS}}},
		{"fargate", role("arn:aws:iam::111122223333:role/fargate", "system:node:{{SessionName}}", "system:bootstrappers", "system:nodes", "system:node-proxier"), "", "",
			want{action: ActionManaged, typ: eks.TypeFargateLinux, groups: []string{}, changes: []string{ChangeManagedByEKS}}},
		{"hybrid (guessed)", role("arn:aws:iam::111122223333:role/hybrid", "system:node:{{SessionName}}", "system:bootstrappers", "system:nodes"), "", "",
			want{action: ActionCreate, typ: eks.TypeHybridLinux, groups: []string{}, changes: []string{ChangeNodeTypeGuessed}}},
		{"nodes with an extra group", role("arn:aws:iam::111122223333:role/nodes", "system:node:{{EC2PrivateDNSName}}", "system:bootstrappers", "system:nodes", "monitoring"), "", "",
			want{action: ActionCreate, typ: eks.TypeEC2Linux, groups: []string{}, changes: []string{ChangeNodeGroups, ChangeMaybeManagedByEKS}}},
		{"node mapping on a user", "", "- userarn: arn:aws:iam::111122223333:user/n\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:nodes]\n", "",
			want{blocked: BlockedNodeUser}},
		{"masters becomes the cluster admin policy", role("arn:aws:iam::111122223333:role/Admin", "admin:{{SessionName}}", "system:masters", "platform"), "", "",
			want{action: ActionCreate, typ: eks.TypeStandard, user: "admin:{{SessionName}}", groups: []string{"platform"}, policy: ClusterAdminPolicyARN, changes: []string{ChangeMastersToPolicy}}},
		{"other system groups are dropped", role("arn:aws:iam::111122223333:role/Odd", "odd", "system:bootstrappers", "dev"), "", "",
			want{action: ActionCreate, typ: eks.TypeStandard, user: "odd", groups: []string{"dev"}, changes: []string{ChangeSystemGroup}}},
		{"no username", role("arn:aws:iam::111122223333:role/Audit", "", "auditors"), "", "",
			want{action: ActionCreate, typ: eks.TypeStandard, groups: []string{"auditors"}, changes: []string{ChangeUsernameDefault}}},
		{"reserved username", role("arn:aws:iam::111122223333:role/Ctl", "eks:controller", "x"), "", "",
			want{blocked: BlockedReserved}},
		{"system username on a person", "", "- userarn: arn:aws:iam::111122223333:user/bob\n  username: system:admin\n", "",
			want{blocked: BlockedReserved}},
		{"template EKS does not document", role("arn:aws:iam::111122223333:role/Dev", "dev:{{AccessKeyID}}", "dev"), "", "",
			want{blocked: BlockedTemplate}},
		{"session name without a colon before it", role("arn:aws:iam::111122223333:role/Dev", "{{SessionName}}", "dev"), "", "",
			want{blocked: BlockedSessionColon}},
		{"session name after a colon", role("arn:aws:iam::111122223333:role/Dev", "dev:{{SessionName}}", "dev"), "", "",
			want{action: ActionCreate, typ: eks.TypeStandard, user: "dev:{{SessionName}}", groups: []string{"dev"}}},
		// Point 4 of issue 14: EKS accepts {{SessionNameRaw}} too, with the same colon
		// rule (user guide, "Create access entries").
		{"raw session name after a colon", role("arn:aws:iam::111122223333:role/Dev", "dev:{{SessionNameRaw}}", "dev"), "", "",
			want{action: ActionCreate, typ: eks.TypeStandard, user: "dev:{{SessionNameRaw}}", groups: []string{"dev"}}},
		{"raw session name without a colon before it", role("arn:aws:iam::111122223333:role/Dev", "dev-{{SessionNameRaw}}", "dev"), "", "",
			want{blocked: BlockedSessionColon}},
		{"both session templates, colon first", role("arn:aws:iam::111122223333:role/Dev", "a:{{SessionNameRaw}}.{{SessionName}}", "dev"), "", "",
			want{action: ActionCreate, typ: eks.TypeStandard, user: "a:{{SessionNameRaw}}.{{SessionName}}", groups: []string{"dev"}}},
		{"templated group", role("arn:aws:iam::111122223333:role/Dev", "dev:{{SessionName}}", "team-{{SessionName}}"), "", "",
			want{blocked: BlockedGroupTemplate}},
		{"account mapping", "", "", "- \"111122223333\"\n",
			want{blocked: BlockedAccount}},
		{"sso entry", "- sso:\n    permissionSetName: Admin\n    accountID: \"111122223333\"\n  username: admin:{{SessionName}}\n", "", "",
			want{blocked: BlockedSSO}},
		{"ARN with a path never matched", role("arn:aws:iam::111122223333:role/team/Dev", "dev:{{SessionName}}"), "", "",
			want{blocked: BlockedARN}},
		// Point 1 of issue 14: AWS restricts paths in aws-auth for roles only; the
		// authenticator passes a user's ARN (path included) through, so a mapUsers
		// entry with a path works today and moves like any other.
		{"user ARN with a path migrates", "", "- userarn: arn:aws:iam::111122223333:user/team/dev/alice\n  username: alice\n  groups: [dev]\n", "",
			want{action: ActionCreate, typ: eks.TypeStandard, user: "alice", groups: []string{"dev"}}},
		{"sts ARN never matched", role("arn:aws:sts::111122223333:assumed-role/Dev/x", "dev"), "", "",
			want{blocked: BlockedARN}},
		{"user with a plain username", "", "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n  groups: [dev, dev]\n", "",
			want{action: ActionCreate, typ: eks.TypeStandard, user: "alice", groups: []string{"dev"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Build(storeOf(t, c.roles, c.users, c.accounts), nil)
			total := len(p.Entries) + len(p.Blocked) + len(p.Skipped)
			if total != 1 {
				t.Fatalf("want one outcome, got %+v", p)
			}
			if c.want.blocked != "" {
				if len(p.Blocked) != 1 || p.Blocked[0].Code != c.want.blocked || p.Blocked[0].Reason == "" {
					t.Fatalf("want blocked %s, got %+v", c.want.blocked, p)
				}
				return
			}
			if len(p.Entries) != 1 {
				t.Fatalf("want an entry, got %+v", p)
			}
			e := p.Entries[0]
			var codes []string
			for _, ch := range e.Changes {
				codes = append(codes, ch.Code)
			}
			var policies []string
			for _, ap := range e.AccessPolicies {
				policies = append(policies, ap.PolicyARN+"/"+ap.Scope.Type)
			}
			wantPolicies := []string(nil)
			if c.want.policy != "" {
				wantPolicies = []string{c.want.policy + "/" + eks.ScopeCluster}
			}
			if e.Action != c.want.action || e.Type != c.want.typ || e.Username != c.want.user || !slices.Equal(e.KubernetesGroups, c.want.groups) ||
				!slices.Equal(codes, c.want.changes) || !slices.Equal(policies, wantPolicies) {
				t.Errorf("got %s %s user=%q groups=%v policies=%v changes=%v\nwant %s %s user=%q groups=%v policies=%v changes=%v",
					e.Action, e.Type, e.Username, e.KubernetesGroups, policies, codes, c.want.action, c.want.typ, c.want.user, c.want.groups, wantPolicies, c.want.changes)
			}
		})
	}
	t.Logf("%d migration cases", len(cases))
}

func quoteAll(xs []string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, fmt.Sprintf("%q", x))
	}
	return out
}

// Existing entries: same settings is exists, other settings is differs, left alone;
// matching ignores case and role paths.
func TestBuildExisting(t *testing.T) {
	s := storeOf(t,
		"- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: dev:{{SessionName}}\n  groups: [dev]\n"+
			"- rolearn: arn:aws:iam::111122223333:role/Ops\n  username: ops:{{SessionName}}\n  groups: [ops]\n"+
			"- rolearn: arn:aws:iam::111122223333:role/New\n  username: new:{{SessionName}}\n"+
			"- rolearn: arn:aws:iam::111122223333:role/Nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes]\n",
		"- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n  groups: [system:masters]\n", "")
	existing := &eks.Snapshot{Cluster: eks.Cluster{Name: "c", AuthenticationMode: eks.ModeConfigMap}, Entries: []eks.AccessEntry{
		{PrincipalARN: "arn:aws:iam::111122223333:role/teams/dev", Type: eks.TypeStandard, Username: "dev:{{SessionName}}", KubernetesGroups: []string{"dev"}},
		{PrincipalARN: "arn:aws:iam::111122223333:role/Ops", Type: eks.TypeStandard, KubernetesGroups: []string{"ops", "extra"}},
		// As DescribeAccessEntry reports a node entry (point 2 of issue 14): the
		// username and group EKS sets.
		{PrincipalARN: "arn:aws:iam::111122223333:role/Nodes", Type: eks.TypeEC2Linux, Username: "system:node:{{EC2PrivateDNSName}}", KubernetesGroups: []string{"system:nodes"}},
		{PrincipalARN: "arn:aws:iam::111122223333:user/alice", Type: eks.TypeStandard, Username: "alice", KubernetesGroups: []string{},
			AccessPolicies: []eks.AssociatedPolicy{{PolicyARN: ClusterAdminPolicyARN, Scope: eks.Scope{Type: eks.ScopeCluster}}}},
	}}
	p := Build(s, existing)
	got := map[string]string{}
	for _, e := range p.Entries {
		got[e.PrincipalARN] = e.Action
	}
	want := map[string]string{
		"arn:aws:iam::111122223333:role/Dev":   ActionExists,
		"arn:aws:iam::111122223333:role/Ops":   ActionDiffers,
		"arn:aws:iam::111122223333:role/New":   ActionCreate,
		"arn:aws:iam::111122223333:user/alice": ActionExists,
		"arn:aws:iam::111122223333:role/Nodes": ActionExists,
	}
	for arn, w := range want {
		if got[arn] != w {
			t.Errorf("%s: %s, want %s", arn, got[arn], w)
		}
	}
	cmds := Commands(p, Target{Cluster: "c", Region: "eu-west-1"})
	if len(cmds) != 3 || !strings.HasPrefix(cmds[0], "aws eks update-cluster-config --name c --region eu-west-1 --access-config authenticationMode=API_AND_CONFIG_MAP") ||
		cmds[1] != "aws eks wait cluster-active --name c --region eu-west-1" || !strings.Contains(cmds[2], "--principal-arn arn:aws:iam::111122223333:role/New ") {
		t.Errorf("commands:\n%s", strings.Join(cmds, "\n"))
	}
}

// Generated aws-auth contents: every mapping has exactly one outcome; what is planned
// is what EKS accepts; the commands only create, are valid shell, and carry every
// planned entry and policy.
func TestBuildGenerated(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	usernames := []string{"", "alice", "dev:{{SessionName}}", "{{SessionName}}", "system:node:{{EC2PrivateDNSName}}", "system:node:{{SessionName}}",
		"eks:x", "a:{{AccountID}}", "it's \"quoted\" $HOME", "team:{{SessionName}}@x", "{{SessionNameRaw}}", "raw:{{SessionNameRaw}}"}
	groups := []string{"dev", "ops", "system:masters", "system:nodes", "system:bootstrappers", "system:node-proxier", "eks:kube-proxy-windows", "g-{{SessionName}}", "with space"}
	arns := []string{"arn:aws:iam::111122223333:role/R%d", "arn:aws:iam::111122223333:user/U%d", "arn:aws:iam::111122223333:role/p/R%d",
		"arn:aws:iam::111122223333:role/r%d", "arn:aws:iam::111122223333:root%.0d", "arn:aws:sts::111122223333:assumed-role/R%d/s"}
	var outcomes, entries, commands int
	for round := range 200 {
		var roles, users strings.Builder
		n := 1 + r.IntN(8)
		for i := range n {
			arn := fmt.Sprintf(arns[r.IntN(len(arns))], r.IntN(4))
			var gs []string
			for range r.IntN(4) {
				gs = append(gs, fmt.Sprintf("%q", groups[r.IntN(len(groups))]))
			}
			entry := fmt.Sprintf("  username: %q\n  groups: [%s]\n", usernames[r.IntN(len(usernames))], strings.Join(gs, ", "))
			if i%3 == 2 {
				fmt.Fprintf(&users, "- userarn: %s\n%s", arn, entry)
			} else {
				fmt.Fprintf(&roles, "- rolearn: %s\n%s", arn, entry)
			}
		}
		s := storeOf(t, roles.String(), users.String(), "")
		p := Build(s, nil)
		got := len(p.Entries) + len(p.Blocked) + len(p.Skipped)
		if got != len(s.Mappings) {
			t.Fatalf("round %d: %d mappings, %d outcomes: %+v", round, len(s.Mappings), got, p)
		}
		outcomes += got
		seen := map[string]bool{}
		for _, e := range p.Entries {
			entries++
			k := iamarn.Key(e.PrincipalARN)
			if seen[k] {
				t.Errorf("round %d: two entries for %s", round, e.PrincipalARN)
			}
			seen[k] = true
			for _, g := range e.KubernetesGroups {
				if strings.HasPrefix(g, "system:") || strings.Contains(g, "{{") {
					t.Errorf("round %d: %s: group %q cannot be a kubernetesGroup", round, e.PrincipalARN, g)
				}
			}
			for _, pre := range reservedPrefixes {
				if strings.HasPrefix(e.Username, pre) {
					t.Errorf("round %d: %s: reserved username %q", round, e.PrincipalARN, e.Username)
				}
			}
			if i := strings.Index(e.Username, "{{SessionName"); i >= 0 && !strings.Contains(e.Username[:i], ":") {
				t.Errorf("round %d: %s: username %q has no ':' before {{SessionName}} or {{SessionNameRaw}}", round, e.PrincipalARN, e.Username)
			}
			if e.Type != eks.TypeStandard && (e.Username != "" || len(e.KubernetesGroups) > 0 || len(e.AccessPolicies) > 0) {
				t.Errorf("round %d: %s: a %s entry with username, groups or policies", round, e.PrincipalARN, e.Type)
			}
		}
		cmds := Commands(p, Target{Cluster: "my cluster", Region: "eu-west-1"})
		commands += len(cmds)
		creates, associates := 0, 0
		for _, c := range cmds {
			if strings.Contains(c, "delete") || strings.Contains(c, "authenticationMode=API ") || strings.HasSuffix(c, "authenticationMode=API") {
				t.Errorf("round %d: a command that removes access: %s", round, c)
			}
			switch {
			case strings.HasPrefix(c, "aws eks create-access-entry "):
				creates++
			case strings.HasPrefix(c, "aws eks associate-access-policy "):
				associates++
			}
		}
		wantAssoc, wantCreates := 0, 0
		for _, e := range p.Entries {
			if e.Action == ActionCreate {
				wantAssoc += len(e.AccessPolicies)
				wantCreates++
			}
		}
		if creates != wantCreates || associates != wantAssoc {
			t.Errorf("round %d: %d create and %d associate commands for %d entries to create and %d policies", round, creates, associates, wantCreates, wantAssoc)
		}
		if round%20 == 0 {
			checkShellWords(t, cmds, p)
		}
	}
	t.Logf("%d generated aws-auth contents: %d outcomes, %d entries, %d commands", 200, outcomes, entries, commands)
	if entries == 0 || entries == outcomes {
		t.Errorf("degenerate generation: %d entries of %d outcomes", entries, outcomes)
	}
}

// checkShellWords runs the commands through sh with a stub aws that prints its
// arguments, and checks the usernames and groups arrive intact.
func checkShellWords(t *testing.T, cmds []string, p *Plan) {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	script := "aws() { for a in \"$@\"; do printf '%s\\n' \"$a\"; done; printf -- '--\\n'; }\n" + strings.Join(cmds, "\n")
	out, err := exec.Command(sh, "-c", script).Output()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, script)
	}
	words := strings.Split(string(out), "\n")
	for _, e := range p.Entries {
		if e.Username != "" && !slices.Contains(words, e.Username) {
			t.Errorf("username %q did not survive the shell:\n%s", e.Username, out)
		}
		for _, g := range e.KubernetesGroups {
			if !slices.Contains(words, g) {
				t.Errorf("group %q did not survive the shell", g)
			}
		}
	}
	if len(cmds) > 0 && !slices.Contains(words, "my cluster") {
		t.Errorf("cluster name did not survive the shell:\n%s", out)
	}
}

// Point 6 of issue 14: EKS adds (and, when the mode changes, migrates) the entries of
// the roles of managed node groups and Fargate profiles itself, and refuses a second
// entry for a principal. The plan marks them managed by EKS and creates nothing for
// them; self-managed node roles still get their entry.
func TestBuildManagedByEKS(t *testing.T) {
	node := func(arn string) string {
		return "- rolearn: " + arn + "\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes]\n"
	}
	fargate := "- rolearn: arn:aws:iam::111122223333:role/fargate-pods\n  username: system:node:{{SessionName}}\n  groups: [system:bootstrappers, system:nodes, system:node-proxier]\n"
	s := storeOf(t, node("arn:aws:iam::111122223333:role/managed-ng")+node("arn:aws:iam::111122223333:role/self-managed")+fargate+
		"- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: dev:{{SessionName}}\n  groups: [dev]\n", "", "")
	managed := &eks.ManagedRoles{
		NodeGroups:      []eks.NamedRole{{Name: "ng-1", RoleARN: "arn:aws:iam::111122223333:role/eks/managed-ng"}},
		FargateProfiles: []eks.NamedRole{{Name: "fp-default", RoleARN: "arn:aws:iam::111122223333:role/fargate-pods"}},
	}
	tests := []struct {
		name     string
		existing *eks.Snapshot
		want     map[string]string // role name -> action
		changes  map[string]string // role name -> a change code it must carry
		creates  int
	}{
		{"CONFIG_MAP, node groups and Fargate profiles read",
			&eks.Snapshot{Cluster: eks.Cluster{Name: "c", AuthenticationMode: eks.ModeConfigMap}, Entries: []eks.AccessEntry{}, Managed: managed},
			map[string]string{"managed-ng": ActionManaged, "fargate-pods": ActionManaged, "self-managed": ActionCreate, "Dev": ActionCreate},
			map[string]string{"managed-ng": ChangeManagedByEKS, "fargate-pods": ChangeManagedByEKS}, 2},
		{"API_AND_CONFIG_MAP, EKS has created the managed entries",
			&eks.Snapshot{Cluster: eks.Cluster{Name: "c", AuthenticationMode: eks.ModeAPIAndConfigMap}, Managed: managed, Entries: []eks.AccessEntry{
				{PrincipalARN: "arn:aws:iam::111122223333:role/eks/managed-ng", Type: eks.TypeEC2Linux, Username: "system:node:{{EC2PrivateDNSName}}", KubernetesGroups: []string{"system:nodes"}},
				{PrincipalARN: "arn:aws:iam::111122223333:role/fargate-pods", Type: eks.TypeFargateLinux, Username: "system:node:{{SessionName}}", KubernetesGroups: []string{"system:nodes"}},
			}},
			map[string]string{"managed-ng": ActionManaged, "fargate-pods": ActionManaged, "self-managed": ActionCreate, "Dev": ActionCreate}, nil, 2},
		{"node groups and Fargate profiles not read: a Fargate mapping is a profile's, an EC2 node role may be a node group's",
			&eks.Snapshot{Cluster: eks.Cluster{Name: "c", AuthenticationMode: eks.ModeConfigMap}, Entries: []eks.AccessEntry{}},
			map[string]string{"managed-ng": ActionCreate, "fargate-pods": ActionManaged, "self-managed": ActionCreate, "Dev": ActionCreate},
			map[string]string{"managed-ng": ChangeMaybeManagedByEKS, "self-managed": ChangeMaybeManagedByEKS, "fargate-pods": ChangeManagedByEKS}, 3},
		{"nothing read", nil,
			map[string]string{"managed-ng": ActionCreate, "fargate-pods": ActionManaged, "self-managed": ActionCreate, "Dev": ActionCreate},
			map[string]string{"managed-ng": ChangeMaybeManagedByEKS}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Build(s, tc.existing)
			got := map[string]string{}
			codes := map[string][]string{}
			for _, e := range p.Entries {
				name := e.PrincipalARN[strings.LastIndex(e.PrincipalARN, "/")+1:]
				got[name] = e.Action
				for _, c := range e.Changes {
					codes[name] = append(codes[name], c.Code)
				}
			}
			for name, w := range tc.want {
				if got[name] != w {
					t.Errorf("%s: %s, want %s (changes %v)", name, got[name], w, codes[name])
				}
			}
			for name, c := range tc.changes {
				if !slices.Contains(codes[name], c) {
					t.Errorf("%s: changes %v, want %s", name, codes[name], c)
				}
			}
			creates := 0
			for _, c := range Commands(p, Target{Cluster: "c"}) {
				if strings.HasPrefix(c, "aws eks create-access-entry ") {
					creates++
					if strings.Contains(c, "managed-ng ") && tc.existing != nil && tc.existing.Managed != nil || strings.Contains(c, "fargate-pods") {
						t.Errorf("a create for a role EKS manages: %s", c)
					}
				}
			}
			if creates != tc.creates {
				t.Errorf("%d create-access-entry commands, want %d", creates, tc.creates)
			}
		})
	}
}
