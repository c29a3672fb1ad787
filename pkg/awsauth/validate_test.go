package awsauth

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// A clean aws-auth as EKS and a careful admin leave it: a managed node group, a Fargate
// profile, a developer role and a user. It has no findings at all.
const (
	cleanRoles = `- rolearn: arn:aws:iam::111122223333:role/eks-node-group-role
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
- rolearn: arn:aws:iam::111122223333:role/AmazonEKSFargatePodExecutionRole
  username: system:node:{{SessionName}}
  groups:
    - system:bootstrappers
    - system:nodes
    - system:node-proxier
- rolearn: arn:aws:iam::111122223333:role/Developer
  username: developer:{{SessionName}}
  groups:
    - developers
`
	cleanUsers = `- userarn: arn:aws:iam::111122223333:user/alice
  username: alice
  groups:
    - viewers
`
)

func awsAuth(data map[string]string) *Object {
	return &Object{APIVersion: "v1", Kind: "ConfigMap", Name: Name, Namespace: Namespace, Data: data}
}

// want is one expected finding. Line 0 means the line is not checked; hint, when set,
// must be a substring of the finding's hint.
type want struct {
	rule, name string
	sev        Severity
	key        string
	entry      int
	field      string
	line       int
	hint       string
}

func (w want) String() string {
	return fmt.Sprintf("%s %s %s at %s[%d].%s line %d", w.rule, w.name, w.sev, w.key, w.entry, w.field, w.line)
}

func (w want) matches(f Finding) bool {
	return f.Rule == w.rule && f.Name == w.name && f.Location.Key == w.key && f.Location.Entry == w.entry && f.Location.Field == w.field
}

func findingsString(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n\t%s %s %s at %s [%s] %s (hint %q)", f.Rule, f.Name, f.Severity, f.Location, f.ARN, f.Message, f.Hint)
	}
	return b.String()
}

// checkFindings asserts that every wanted finding is there with its severity, line and
// hint, and that the findings of the rules named in wants are exactly the wanted ones.
func checkFindings(t *testing.T, got []Finding, wants []want) {
	t.Helper()
	used := make([]bool, len(got))
	rules := map[string]bool{}
	for _, w := range wants {
		rules[w.rule] = true
		found := false
		for i, f := range got {
			if used[i] || !w.matches(f) {
				continue
			}
			used[i], found = true, true
			if f.Severity != w.sev {
				t.Errorf("%s: severity %s, want %s", w, f.Severity, w.sev)
			}
			if w.line != 0 && f.Location.Line != w.line {
				t.Errorf("%s: line %d, want %d", w, f.Location.Line, w.line)
			}
			if w.hint != "" && !strings.Contains(f.Hint, w.hint) {
				t.Errorf("%s: hint %q, want it to contain %q", w, f.Hint, w.hint)
			}
			break
		}
		if !found {
			t.Errorf("missing finding %s; got:%s", w, findingsString(got))
		}
	}
	for i, f := range got {
		if !used[i] && rules[f.Rule] {
			t.Errorf("unexpected finding of rule %s:%s", f.Rule, findingsString([]Finding{f}))
		}
	}
}

func TestValidateClean(t *testing.T) {
	fs := Validate(awsAuth(map[string]string{KeyRoles: cleanRoles, KeyUsers: cleanUsers}), Options{})
	if len(fs) != 0 {
		t.Errorf("a clean aws-auth has findings:%s", findingsString(fs))
	}
	// Add what real clusters have: an admin role on system:masters, a Windows node
	// group, a hybrid node role and a quoted account. Only the expected WARNs follow.
	roles := cleanRoles + `# Windows nodes
- rolearn: arn:aws:iam::111122223333:role/eks-windows-nodes
  username: system:node:{{EC2PrivateDNSName}}
  groups:
  - eks:kube-proxy-windows
  - system:bootstrappers
  - system:nodes
- rolearn: arn:aws:iam::111122223333:role/AmazonEKSHybridNodesRole
  username: system:node:{{SessionName}}
  groups: [system:bootstrappers, system:nodes]
- rolearn: arn:aws:iam::111122223333:role/Admin
  username: admin:{{SessionName}}
  groups:
    - system:masters
`
	fs = Validate(awsAuth(map[string]string{KeyRoles: roles, KeyUsers: cleanUsers, KeyAccounts: "- \"111122223333\"\n"}), Options{ClusterAccount: "111122223333", ClusterPartition: "aws"})
	if errs := Errors(fs); len(errs) != 0 {
		t.Errorf("a realistic aws-auth has errors:%s", findingsString(errs))
	}
	checkFindings(t, fs, []want{
		{rule: "AA29", name: "system-masters", sev: Warn, key: KeyRoles, entry: 5, field: "groups", line: 28},
		{rule: "AA33", name: "account-mapping", sev: Warn, key: KeyAccounts, entry: 0, line: 1},
	})
	if len(fs) != 2 {
		t.Errorf("want exactly 2 findings, got:%s", findingsString(fs))
	}
}

func TestValidateRules(t *testing.T) {
	node := func(arn string) string {
		return "- rolearn: " + arn + "\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n"
	}
	tests := []struct {
		name string
		obj  *Object
		opts Options
		want []want
	}{
		// Object and keys.
		{name: "AA01 wrong namespace",
			obj:  &Object{Kind: "ConfigMap", Name: "aws-auth", Namespace: "default", Data: map[string]string{KeyRoles: cleanRoles}},
			want: []want{{rule: "AA01", name: "wrong-object", sev: Error, entry: -1}}},
		{name: "AA01 wrong name",
			obj:  &Object{Kind: "ConfigMap", Name: "aws-auth-backup", Namespace: "kube-system", Data: map[string]string{KeyRoles: cleanRoles}},
			want: []want{{rule: "AA01", name: "wrong-object", sev: Error, entry: -1}}},
		{name: "AA01 wrong kind and name",
			obj:  &Object{Kind: "Secret", Name: "aws-auth2", Namespace: "kube-system", Data: map[string]string{KeyRoles: cleanRoles}},
			want: []want{{rule: "AA01", name: "wrong-object", sev: Error, entry: -1}, {rule: "AA01", name: "wrong-object", sev: Error, entry: -1}}},
		{name: "AA02 data value not a string",
			obj:  &Object{Kind: "ConfigMap", Name: Name, Namespace: Namespace, Data: map[string]string{}, NonStringData: []string{KeyRoles}},
			want: []want{{rule: "AA02", name: "data-not-string", sev: Error, key: KeyRoles, entry: -1, hint: "mapRoles: |"}}},
		{name: "AA03 misspelled keys",
			obj: awsAuth(map[string]string{"maproles": cleanRoles, "mapRole": cleanRoles, "MapUsers": cleanUsers, "mapAcounts": "- \"111122223333\"\n", "other": "x"}),
			want: []want{
				{rule: "AA03", name: "misspelled-data-key", sev: Error, key: "maproles", entry: -1, hint: "rename it to mapRoles"},
				{rule: "AA03", name: "misspelled-data-key", sev: Error, key: "mapRole", entry: -1, hint: "mapRoles"},
				{rule: "AA03", name: "misspelled-data-key", sev: Error, key: "MapUsers", entry: -1, hint: "mapUsers"},
				{rule: "AA03", name: "misspelled-data-key", sev: Error, key: "mapAcounts", entry: -1, hint: "mapAccounts"},
				{rule: "AA03", name: "unknown-data-key", sev: Warn, key: "other", entry: -1},
			}},
		{name: "AA04 duplicate data key",
			obj:  &Object{Kind: "ConfigMap", Name: Name, Namespace: Namespace, Data: map[string]string{KeyRoles: cleanRoles}, DuplicateDataKeys: []string{KeyRoles}},
			want: []want{{rule: "AA04", name: "duplicate-data-key", sev: Error, key: KeyRoles, entry: -1}}},
		{name: "AA05 data too large",
			obj:  &Object{Kind: "ConfigMap", Name: Name, Namespace: Namespace, Data: map[string]string{KeyRoles: cleanRoles, "notes": strings.Repeat("x", MaxDataSize-len(cleanRoles)+1)}},
			want: []want{{rule: "AA05", name: "data-too-large", sev: Error, entry: -1}, {rule: "AA03", name: "unknown-data-key", sev: Warn, key: "notes", entry: -1}}},
		{name: "AA05 binaryData counts, decoded",
			obj:  &Object{Kind: "ConfigMap", Name: Name, Namespace: Namespace, Data: map[string]string{KeyRoles: cleanRoles}, BinaryData: map[string]int{"blob": MaxDataSize}},
			want: []want{{rule: "AA05", name: "data-too-large", sev: Error, entry: -1}}},
		{name: "AA05 near the limit is a warning",
			obj:  &Object{Kind: "ConfigMap", Name: Name, Namespace: Namespace, Data: map[string]string{KeyRoles: cleanRoles}, BinaryData: map[string]int{"blob": MaxDataSize - len(cleanRoles) - 10}},
			want: []want{{rule: "AA05", name: "data-near-limit", sev: Warn, entry: -1}}},
		{name: "AA05 at the limit exactly is accepted (as the API server does)",
			obj:  &Object{Kind: "ConfigMap", Name: Name, Namespace: Namespace, Data: map[string]string{KeyRoles: cleanRoles}, BinaryData: map[string]int{"blob": nearDataSize - len(cleanRoles)}},
			want: nil},
		{name: "AA34 mapRoles under binaryData",
			obj:  &Object{Kind: "ConfigMap", Name: Name, Namespace: Namespace, Data: map[string]string{KeyUsers: "[]"}, BinaryData: map[string]int{KeyRoles: 120, "other": 3}},
			want: []want{{rule: "AA34", name: "mapping-in-binarydata", sev: Error, key: "binaryData.mapRoles", entry: -1}}},
		{name: "AA05 invalid data key",
			obj: awsAuth(map[string]string{"map roles": "x", "mapRoles ": cleanRoles}),
			want: []want{
				{rule: "AA05", name: "invalid-data-key", sev: Error, key: "map roles", entry: -1},
				{rule: "AA05", name: "invalid-data-key", sev: Error, key: "mapRoles ", entry: -1},
				{rule: "AA03", name: "misspelled-data-key", sev: Error, key: "map roles", entry: -1},
				{rule: "AA03", name: "misspelled-data-key", sev: Error, key: "mapRoles ", entry: -1},
			}},
		{name: "AA06 tab",
			obj:  awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Admin\n\tusername: admin\n"}),
			want: []want{{rule: "AA06", name: "unparseable", sev: Error, key: KeyRoles, entry: -1, line: 2, hint: "line 2 has a tab"}}},
		{name: "AA06 unquoted template",
			obj: awsAuth(map[string]string{KeyRoles: node("arn:aws:iam::111122223333:role/Node") +
				"- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: {{SessionName}}\n  groups:\n    - system:masters\n"}),
			want: []want{{rule: "AA06", name: "unparseable", sev: Error, key: KeyRoles, entry: -1, hint: "line 7: a value that starts with {{ must be quoted"}}},
		{name: "AA06 groups items not indented under groups",
			obj:  awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/hybrid\n  username: system:node:{{SessionName}}\n  groups:\n - system:bootstrappers\n - system:nodes\n"}),
			want: []want{{rule: "AA06", name: "unparseable", sev: Error, key: KeyRoles, entry: -1, hint: "line 4: the groups items must be indented under groups:"}}},
		// Upstream's aws-auth-space-out-of-place.yaml: not a syntax error, but the two
		// groups run together into one plain scalar (§11.6).
		{name: "AA26 and AA31 upstream space out of place",
			obj: awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6\n" +
				"  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n     - system:nodes\n"}),
			want: []want{
				{rule: "AA26", name: "group-whitespace", sev: Warn, key: KeyRoles, entry: 0, field: "groups", line: 3},
				{rule: "AA31", name: "node-groups", sev: Error, key: KeyRoles, entry: 0, field: "groups", line: 3},
			}},
		{name: "AA06 broken JSON in mapUsers only",
			obj:  awsAuth(map[string]string{KeyRoles: cleanRoles, KeyUsers: `[{"userarn": "arn:aws:iam::111122223333:user/alice", "username": "alice"}`}),
			want: []want{{rule: "AA06", name: "unparseable", sev: Error, key: KeyUsers, entry: -1}}},
		{name: "AA07 mapping instead of a list",
			obj:  awsAuth(map[string]string{KeyRoles: "rolearn: arn:aws:iam::111122223333:role/Admin\nusername: admin\n"}),
			want: []want{{rule: "AA07", name: "not-a-list", sev: Error, key: KeyRoles, entry: -1}}},
		{name: "AA07 JSON object",
			obj:  awsAuth(map[string]string{KeyUsers: `{"userarn": "arn:aws:iam::111122223333:user/alice", "username": "alice"}`}),
			want: []want{{rule: "AA07", name: "not-a-list", sev: Error, key: KeyUsers, entry: -1}}},
		{name: "AA07 scalar",
			obj:  awsAuth(map[string]string{KeyRoles: "arn:aws:iam::111122223333:role/Admin\n"}),
			want: []want{{rule: "AA07", name: "not-a-list", sev: Error, key: KeyRoles, entry: -1}}},
		{name: "AA07 accounts as a map",
			obj:  awsAuth(map[string]string{KeyAccounts: "111122223333: true\n"}),
			want: []want{{rule: "AA07", name: "accounts-not-a-list", sev: Error, key: KeyAccounts, entry: -1, line: 1}}},
		{name: "AA07 accounts as a scalar",
			obj:  awsAuth(map[string]string{KeyAccounts: "111122223333"}),
			want: []want{{rule: "AA07", name: "accounts-not-a-list", sev: Error, key: KeyAccounts, entry: -1}}},
		{name: "AA07 account item not a scalar",
			obj: awsAuth(map[string]string{KeyAccounts: "- \"111122223333\"\n- [444455556666]\n"}),
			want: []want{
				{rule: "AA07", name: "accounts-not-a-list", sev: Error, key: KeyAccounts, entry: -1, line: 2},
				{rule: "AA33", name: "account-mapping", sev: Warn, key: KeyAccounts, entry: 0, line: 1},
			}},
		{name: "AA08 empty and skippable keys",
			obj: awsAuth(map[string]string{KeyRoles: "''", KeyUsers: "", KeyAccounts: "  \n"}),
			want: []want{
				{rule: "AA08", name: "empty-key", sev: Warn, key: KeyRoles, entry: -1},
				{rule: "AA08", name: "empty-key", sev: Warn, key: KeyUsers, entry: -1},
				{rule: "AA08", name: "empty-key", sev: Warn, key: KeyAccounts, entry: -1},
			}},
		{name: "AA08 backticks and double quotes",
			obj: awsAuth(map[string]string{KeyRoles: "``", KeyUsers: `""`}),
			want: []want{
				{rule: "AA08", name: "empty-key", sev: Warn, key: KeyRoles, entry: -1},
				{rule: "AA08", name: "empty-key", sev: Warn, key: KeyUsers, entry: -1},
			}},

		// Entries.
		{name: "AA09 missing rolearn, userarn under mapRoles, both rolearn and sso",
			obj: awsAuth(map[string]string{KeyRoles: cleanRoles +
				"- username: admin\n  groups: [admins]\n" + // entry 3, line 16
				"- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n" + // entry 4, line 18
				"- rolearn: arn:aws:iam::111122223333:role/Admin\n  sso:\n    permissionSetName: Admin\n    accountID: \"111122223333\"\n  username: admin\n", // entry 5, line 20
			}),
			want: []want{
				{rule: "AA09", name: "missing-arn", sev: Error, key: KeyRoles, entry: 3, line: 16},
				{rule: "AA09", name: "missing-arn", sev: Error, key: KeyRoles, entry: 4, line: 18, hint: "userarn belongs in mapUsers"},
				{rule: "AA09", name: "missing-arn", sev: Error, key: KeyRoles, entry: 5, line: 20},
			}},
		{name: "AA09 missing userarn, rolearn under mapUsers",
			obj: awsAuth(map[string]string{KeyUsers: cleanUsers +
				"- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n" + // entry 1, line 5
				"- userArn: \"\"\n  username: nobody\n", // entry 2, line 7
			}),
			want: []want{
				{rule: "AA09", name: "missing-arn", sev: Error, key: KeyUsers, entry: 1, line: 5, hint: "rolearn belongs in mapRoles"},
				{rule: "AA09", name: "missing-arn", sev: Error, key: KeyUsers, entry: 2, line: 7},
				{rule: "AA13", name: "unknown-field", sev: Warn, key: KeyUsers, entry: 1, field: "rolearn", line: 5},
				{rule: "AA13", name: "non-canonical-field", sev: Warn, key: KeyUsers, entry: 2, field: "userArn", line: 7},
			}},
		{name: "AA10 groups as a string",
			obj:  awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups: system:masters\n"}),
			want: []want{{rule: "AA10", name: "wrong-type", sev: Error, key: KeyRoles, entry: 0, field: "groups", line: 3, hint: "groups: [system:masters]"}}},
		{name: "AA10 username as a list",
			obj:  awsAuth(map[string]string{KeyUsers: cleanUsers + "- userarn: arn:aws:iam::111122223333:user/bob\n  username: [bob, robert]\n  groups: [viewers]\n"}),
			want: []want{{rule: "AA10", name: "wrong-type", sev: Error, key: KeyUsers, entry: 1, field: "username", line: 6}}},
		{name: "AA10 group item a mapping",
			obj:  awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: dev\n  groups:\n    - devs\n    - {a: b}\n"}),
			want: []want{{rule: "AA10", name: "wrong-type", sev: Error, key: KeyRoles, entry: 0, field: "groups", line: 3}}},
		{name: "AA11 invalid sso",
			obj: awsAuth(map[string]string{KeyRoles: "- sso:\n    permissionSetName: Admin\n    accountID: \"1234\"\n  username: a\n" + // entry 0, line 1
				"- sso:\n    permissionSetName: bad name\n    accountID: \"111122223333\"\n  username: b\n" + // entry 1, line 5
				"- sso:\n    permissionSetName: Admin\n    accountID: \"111122223333\"\n    partition: aws-us-govt\n  username: c\n", // entry 2, line 9
			}),
			want: []want{
				{rule: "AA11", name: "invalid-sso", sev: Error, key: KeyRoles, entry: 0, line: 1},
				{rule: "AA11", name: "invalid-sso", sev: Error, key: KeyRoles, entry: 1, line: 5},
				{rule: "AA11", name: "invalid-sso", sev: Error, key: KeyRoles, entry: 2, line: 9},
			}},
		{name: "AA12 sso with and without partition",
			obj: awsAuth(map[string]string{KeyRoles: "- sso:\n    permissionSetName: Admin\n    accountID: \"111122223333\"\n    partition: aws\n  username: admin:{{SessionName}}\n  groups: [admins]\n" +
				"- sso:\n    permissionSetName: ReadOnly\n    accountID: \"111122223333\"\n  username: ro:{{SessionName}}\n  groups: [viewers]\n"}),
			want: []want{
				{rule: "AA12", name: "sso-partition", sev: Error, key: KeyRoles, entry: 0, field: "sso", line: 1, hint: "remove sso.partition"},
				{rule: "AA12", name: "sso-entry", sev: Warn, key: KeyRoles, entry: 0, field: "sso", line: 1},
				{rule: "AA12", name: "sso-entry", sev: Warn, key: KeyRoles, entry: 1, field: "sso", line: 7},
			}},
		{name: "AA13 unknown and non-canonical fields",
			obj: awsAuth(map[string]string{KeyRoles: "- roleARN: arn:aws:iam::111122223333:role/Dev\n  usrname: dev\n  group: [devs]\n  GROUPS: [devs]\n  role_arn: x\n"}),
			want: []want{
				{rule: "AA13", name: "non-canonical-field", sev: Warn, key: KeyRoles, entry: 0, field: "roleARN", line: 1, hint: "write it as rolearn"},
				{rule: "AA13", name: "unknown-field", sev: Warn, key: KeyRoles, entry: 0, field: "usrname", line: 2, hint: "did you mean username?"},
				{rule: "AA13", name: "unknown-field", sev: Warn, key: KeyRoles, entry: 0, field: "group", line: 3, hint: "did you mean groups?"},
				{rule: "AA13", name: "non-canonical-field", sev: Warn, key: KeyRoles, entry: 0, field: "GROUPS", line: 4},
				{rule: "AA13", name: "unknown-field", sev: Warn, key: KeyRoles, entry: 0, field: "role_arn", line: 5, hint: "did you mean rolearn?"},
			}},
		{name: "AA14 duplicate fields",
			obj: awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: dev\n  groups: [devs]\n  username: admin\n" +
				"- rolearn: arn:aws:iam::111122223333:role/Ops\n  groups: [ops]\n  username: ops\n  groups: [ops]\n"}),
			want: []want{
				{rule: "AA14", name: "duplicate-field", sev: Error, key: KeyRoles, entry: 0, field: "username", line: 4},
				{rule: "AA14", name: "duplicate-field", sev: Warn, key: KeyRoles, entry: 1, field: "groups", line: 8},
			}},
		{name: "AA14 duplicate rolearn",
			obj:  awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: dev\n  groups: [devs]\n  rolearn: arn:aws:iam::111122223333:role/Admin\n"}),
			want: []want{{rule: "AA14", name: "duplicate-field", sev: Error, key: KeyRoles, entry: 0, field: "rolearn", line: 4}}},

		// ARNs.
		{name: "AA15 malformed ARNs",
			obj: awsAuth(map[string]string{
				KeyRoles: "- rolearn: arn:aws:iam::11112222333:role/Dev\n  username: dev\n  groups: [devs]\n" +
					"- rolearn: \"arn:aws:iam::111122223333:role/Ops \"\n  username: ops\n  groups: [ops]\n" +
					"- rolearn: arn:aws:iam::111122223333:role/\u0410dmin\n  username: admin\n  groups: [admins]\n",
				KeyUsers: "- userarn: arn:aws-foo:iam::111122223333:user/alice\n  username: alice\n  groups: [viewers]\n",
			}),
			want: []want{
				{rule: "AA15", name: "malformed-arn", sev: Error, key: KeyRoles, entry: 0, field: "rolearn", line: 1},
				{rule: "AA15", name: "malformed-arn", sev: Error, key: KeyRoles, entry: 1, field: "rolearn", line: 4},
				{rule: "AA15", name: "malformed-arn", sev: Error, key: KeyRoles, entry: 2, field: "rolearn", line: 7},
				{rule: "AA15", name: "malformed-arn", sev: Error, key: KeyUsers, entry: 0, field: "userarn", line: 1},
			}},
		{name: "AA16 session and instance-profile ARNs",
			obj: awsAuth(map[string]string{
				KeyRoles: "- rolearn: arn:aws:sts::111122223333:assumed-role/Admin/alice\n  username: admin\n  groups: [admins]\n" +
					"- rolearn: arn:aws:iam::111122223333:instance-profile/eks-node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes]\n",
				KeyUsers: "- userarn: arn:aws:sts::111122223333:federated-user/bob\n  username: bob\n  groups: [viewers]\n",
			}),
			want: []want{
				{rule: "AA16", name: "session-arn", sev: Error, key: KeyRoles, entry: 0, field: "rolearn", line: 1, hint: "map the role instead: arn:aws:iam::111122223333:role/Admin"},
				{rule: "AA16", name: "session-arn", sev: Error, key: KeyRoles, entry: 1, field: "rolearn", line: 4, hint: "arn:aws:iam::111122223333:role/<name>"},
				{rule: "AA16", name: "session-arn", sev: Error, key: KeyUsers, entry: 0, field: "userarn", line: 1},
			}},
		{name: "AA17 role paths",
			obj: awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/teams/dev/Developer\n  username: dev:{{SessionName}}\n  groups: [devs]\n" +
				"- rolearn: arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef\n  username: admin:{{SessionName}}\n  groups: [admins]\n"}),
			want: []want{
				{rule: "AA17", name: "role-path", sev: Error, key: KeyRoles, entry: 0, field: "rolearn", line: 1, hint: "map arn:aws:iam::111122223333:role/Developer"},
				{rule: "AA17", name: "role-path", sev: Error, key: KeyRoles, entry: 1, field: "rolearn", line: 4,
					hint: "IAM Identity Center roles are mapped without their path: arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef"},
			}},
		{name: "AA18 role in mapUsers, user and root in mapRoles",
			obj: awsAuth(map[string]string{
				KeyRoles: "- rolearn: arn:aws:iam::111122223333:user/alice\n  username: alice\n  groups: [viewers]\n" +
					"- rolearn: arn:aws:iam::111122223333:root\n  username: root\n  groups: [viewers]\n",
				KeyUsers: "- userarn: arn:aws:iam::111122223333:role/Dev\n  username: dev\n  groups: [devs]\n",
			}),
			want: []want{
				{rule: "AA18", name: "user-in-maproles", sev: Warn, key: KeyRoles, entry: 0, field: "rolearn", line: 1, hint: "move it to mapUsers"},
				{rule: "AA18", name: "user-in-maproles", sev: Warn, key: KeyRoles, entry: 1, field: "rolearn", line: 4},
				{rule: "AA18", name: "role-in-mapusers", sev: Warn, key: KeyUsers, entry: 0, field: "userarn", line: 1, hint: "move it to mapRoles"},
			}},
		{name: "AA19 cross-account inferred from the node roles",
			obj: awsAuth(map[string]string{KeyRoles: cleanRoles + "- rolearn: arn:aws:iam::444455556666:role/Auditor\n  username: auditor\n  groups: [viewers]\n",
				KeyUsers: "- userarn: arn:aws:iam::444455556666:user/carol\n  username: carol\n  groups: [viewers]\n"}),
			want: []want{
				{rule: "AA19", name: "cross-account", sev: Warn, key: KeyRoles, entry: 3, field: "rolearn", line: 16},
				{rule: "AA19", name: "cross-account", sev: Warn, key: KeyUsers, entry: 0, field: "userarn", line: 1},
			}},
		{name: "AA19 cross-partition from the options",
			obj:  awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws-cn:iam::111122223333:role/Dev\n  username: dev\n  groups: [devs]\n"}),
			opts: Options{ClusterAccount: "111122223333", ClusterPartition: "aws"},
			want: []want{{rule: "AA19", name: "cross-partition", sev: Warn, key: KeyRoles, entry: 0, field: "rolearn", line: 1}}},
		{name: "AA19 node roles in two accounts: no cluster account to compare with",
			obj: awsAuth(map[string]string{KeyRoles: node("arn:aws:iam::111122223333:role/A") + node("arn:aws:iam::444455556666:role/B") +
				"- rolearn: arn:aws:iam::777788889999:role/C\n  username: c\n  groups: [c]\n"}),
			want: nil},

		// Duplicates.
		{name: "AA20 case-variant users",
			obj: awsAuth(map[string]string{KeyUsers: "- userarn: arn:aws:iam::111122223333:user/alice\n  username: viewer\n  groups: [viewers]\n" +
				"- userarn: arn:aws:iam::111122223333:user/Alice\n  username: admin\n  groups: [admins]\n"}),
			want: []want{{rule: "AA20", name: "case-variant-users", sev: Error, key: KeyUsers, entry: 0, field: "userarn", line: 1}}},
		{name: "AA21 duplicate roles, same and different",
			obj: awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: dev\n  groups: [devs]\n" + // 0, line 1
				"- rolearn: arn:aws:iam::111122223333:role/dev\n  username: dev\n  groups: [devs]\n" + // 1, line 4: same mapping, other case
				"- rolearn: arn:aws:iam::111122223333:role/DEV\n  username: dev\n  groups: [devs]\n" + // 2, line 7: the last one
				"- rolearn: arn:aws:iam::111122223333:role/Ops\n  username: ops\n  groups: [system:masters]\n" + // 3, line 10
				"- rolearn: arn:aws:iam::111122223333:role/Ops\n  username: ops\n  groups: [viewers]\n"}), // 4, line 13
			want: []want{
				{rule: "AA21", name: "duplicate-role", sev: Warn, key: KeyRoles, entry: 0, field: "rolearn", line: 1, hint: "remove the dead entry"},
				{rule: "AA21", name: "duplicate-role", sev: Warn, key: KeyRoles, entry: 1, field: "rolearn", line: 4},
				{rule: "AA21", name: "duplicate-role", sev: Error, key: KeyRoles, entry: 3, field: "rolearn", line: 10},
				{rule: "AA29", name: "system-masters", sev: Warn, key: KeyRoles, entry: 3, field: "groups", line: 12},
			}},
		{name: "AA21 duplicate user and ARN in both lists",
			obj: awsAuth(map[string]string{
				KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: dev\n  groups: [devs]\n",
				KeyUsers: "- userarn: arn:aws:iam::111122223333:user/bob\n  username: bob\n  groups: [viewers]\n" +
					"- userarn: arn:aws:iam::111122223333:user/bob\n  username: bob\n  groups: [viewers]\n" +
					"- userarn: arn:aws:iam::111122223333:role/dev\n  username: dev2\n  groups: [devs]\n",
			}),
			want: []want{
				{rule: "AA21", name: "in-both-lists", sev: Warn, key: KeyRoles, entry: 0, field: "rolearn", line: 1},
				{rule: "AA21", name: "duplicate-user", sev: Warn, key: KeyUsers, entry: 0, field: "userarn", line: 1},
				{rule: "AA18", name: "role-in-mapusers", sev: Warn, key: KeyUsers, entry: 2, field: "userarn", line: 7},
			}},

		// Username, groups, templates.
		{name: "AA23 unknown and malformed templates",
			obj: awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: \"dev:{{ SessionName }}\"\n  groups: [devs]\n" +
				"- rolearn: arn:aws:iam::111122223333:role/Ops\n  username: ops-{{SessionName\n  groups: [ops]\n" +
				"- rolearn: arn:aws:iam::111122223333:role/QA\n  username: qa:{{sessionname}}\n  groups: [\"qa-{{Foo}}\"]\n"}),
			want: []want{
				{rule: "AA23", name: "unknown-template", sev: Warn, key: KeyRoles, entry: 0, field: "username", line: 2, hint: "{{SessionName}}"},
				{rule: "AA23", name: "malformed-template", sev: Warn, key: KeyRoles, entry: 1, field: "username", line: 5},
				{rule: "AA23", name: "unknown-template", sev: Warn, key: KeyRoles, entry: 2, field: "username", line: 8},
				// The template in a group is located at groups.
				{rule: "AA23", name: "unknown-template", sev: Warn, key: KeyRoles, entry: 2, field: "groups", line: 9},
			}},
		{name: "AA24 EC2PrivateDNSName on a human role and on Fargate",
			obj: awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin-{{EC2PrivateDNSName}}\n  groups: [admins]\n" +
				"- rolearn: arn:aws:iam::111122223333:role/Fargate\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes, system:node-proxier]\n"}),
			want: []want{
				{rule: "AA24", name: "ec2-dns-template-not-node", sev: Error, key: KeyRoles, entry: 0, field: "username", line: 2},
				{rule: "AA24", name: "ec2-dns-template-not-node", sev: Error, key: KeyRoles, entry: 1, field: "username", line: 5},
				{rule: "AA31", name: "node-username", sev: Error, key: KeyRoles, entry: 1, field: "username", line: 5},
			}},
		{name: "AA25 empty username, no identity",
			obj: awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Dev\n  groups: [devs]\n" +
				"- rolearn: arn:aws:iam::111122223333:role/Ops\n  username: \"\"\n"}),
			want: []want{
				{rule: "AA25", name: "empty-username", sev: Warn, key: KeyRoles, entry: 0, field: "username", line: 1},
				{rule: "AA25", name: "empty-username", sev: Warn, key: KeyRoles, entry: 1, field: "username", line: 4},
				{rule: "AA25", name: "no-identity", sev: Warn, key: KeyRoles, entry: 1, field: "groups", line: 3},
			}},
		{name: "AA26 white space and odd characters",
			obj: awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: \"dev \"\n  groups: [\" devs\", \"dev team\"]\n" +
				"- rolearn: arn:aws:iam::111122223333:role/Ops\n  username: \"\u043eps\"\n  groups: [\"ops\u200b\"]\n"}),
			want: []want{
				{rule: "AA26", name: "username-whitespace", sev: Warn, key: KeyRoles, entry: 0, field: "username", line: 2},
				{rule: "AA26", name: "group-whitespace", sev: Warn, key: KeyRoles, entry: 0, field: "groups", line: 3},
				{rule: "AA26", name: "group-whitespace", sev: Warn, key: KeyRoles, entry: 0, field: "groups", line: 3},
				{rule: "AA26", name: "odd-character", sev: Warn, key: KeyRoles, entry: 1, field: "username", line: 5},
				{rule: "AA26", name: "odd-character", sev: Warn, key: KeyRoles, entry: 1, field: "username", line: 5},
			}},
		{name: "AA27 the session name alone as username",
			obj: awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: \"{{SessionName}}\"\n  groups: [admins]\n" +
				"- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: \"{{SessionNameRaw}}\"\n  groups: [devs]\n"}),
			want: []want{
				{rule: "AA27", name: "caller-chosen-username", sev: Warn, key: KeyRoles, entry: 0, field: "username", line: 2, hint: "Admin:{{SessionName}}"},
				{rule: "AA27", name: "caller-chosen-username", sev: Warn, key: KeyRoles, entry: 1, field: "username", line: 5, hint: "Dev:{{SessionName}}"},
			}},
		{name: "AA28 reserved prefixes",
			obj: awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: system:admin\n  groups: [system:authenticated, eks:foo, system:masters]\n"}),
			want: []want{
				{rule: "AA28", name: "system-username", sev: Warn, key: KeyRoles, entry: 0, field: "username", line: 2},
				{rule: "AA28", name: "reserved-group", sev: Warn, key: KeyRoles, entry: 0, field: "groups", line: 3},
				{rule: "AA28", name: "reserved-group", sev: Warn, key: KeyRoles, entry: 0, field: "groups", line: 3},
				{rule: "AA29", name: "system-masters", sev: Warn, key: KeyRoles, entry: 0, field: "groups", line: 3},
			}},
		{name: "AA29 system:masters and a repeated group",
			obj: awsAuth(map[string]string{KeyUsers: "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n  groups:\n    - devs\n    - system:masters\n    - devs\n"}),
			want: []want{
				{rule: "AA29", name: "system-masters", sev: Warn, key: KeyUsers, entry: 0, field: "groups", line: 3},
				{rule: "AA29", name: "repeated-group", sev: Warn, key: KeyUsers, entry: 0, field: "groups", line: 3},
			}},

		// Node entries.
		{name: "AA31 node entries missing a group or with the wrong username",
			obj: awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/NodeA\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:nodes]\n" +
				"- rolearn: arn:aws:iam::111122223333:role/NodeB\n  username: system:node:{{SessionName}}\n  groups: [system:bootstrappers, system:nodes]\n" +
				"- rolearn: arn:aws:iam::111122223333:role/NodeC\n  username: \"{{EC2PrivateDNSName}}\"\n  groups: [system:bootstrappers]\n"}),
			want: []want{
				{rule: "AA31", name: "node-groups", sev: Error, key: KeyRoles, entry: 0, field: "groups", line: 3},
				{rule: "AA31", name: "node-username", sev: Error, key: KeyRoles, entry: 1, field: "username", line: 5},
				{rule: "AA31", name: "node-groups", sev: Error, key: KeyRoles, entry: 2, field: "groups", line: 9},
				{rule: "AA31", name: "node-username", sev: Error, key: KeyRoles, entry: 2, field: "username", line: 8},
				{rule: "AA24", name: "ec2-dns-template-not-node", sev: Error, key: KeyRoles, entry: 2, field: "username", line: 8},
			}},

		// mapAccounts.
		{name: "AA32 and AA33 accounts",
			obj: awsAuth(map[string]string{KeyAccounts: "- \"111122223333\"\n- 012345678901\n- 0123\n- '111122223333'\n- abc\n"}),
			want: []want{
				{rule: "AA32", name: "unquoted-account", sev: Warn, key: KeyAccounts, entry: 1, line: 2, hint: `"012345678901"`},
				{rule: "AA32", name: "invalid-account", sev: Error, key: KeyAccounts, entry: 2, line: 3},
				{rule: "AA32", name: "duplicate-account", sev: Warn, key: KeyAccounts, entry: 3, line: 4},
				{rule: "AA32", name: "invalid-account", sev: Error, key: KeyAccounts, entry: 4, line: 5},
				{rule: "AA33", name: "account-mapping", sev: Warn, key: KeyAccounts, entry: 0, line: 1},
				{rule: "AA33", name: "account-mapping", sev: Warn, key: KeyAccounts, entry: 1, line: 2},
				{rule: "AA33", name: "account-mapping", sev: Warn, key: KeyAccounts, entry: 2, line: 3},
				{rule: "AA33", name: "account-mapping", sev: Warn, key: KeyAccounts, entry: 3, line: 4},
				{rule: "AA33", name: "account-mapping", sev: Warn, key: KeyAccounts, entry: 4, line: 5},
			}},
		{name: "AA32 accounts in flow style",
			obj: awsAuth(map[string]string{KeyAccounts: `["111122223333", 444455556666]`}),
			want: []want{
				{rule: "AA32", name: "unquoted-account", sev: Warn, key: KeyAccounts, entry: 1, line: 1},
				{rule: "AA33", name: "account-mapping", sev: Warn, key: KeyAccounts, entry: 0, line: 1},
				{rule: "AA33", name: "account-mapping", sev: Warn, key: KeyAccounts, entry: 1, line: 1},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Validate(tt.obj, tt.opts)
			checkFindings(t, got, tt.want)
			if tt.want == nil && len(got) > 0 {
				t.Errorf("want no findings, got:%s", findingsString(got))
			}
		})
	}
}

// TestValidateGaps holds rules as AWS-AUTH.md states them that Validate does not
// (yet) apply in every case. Each failure here is a bug report; see the comments.
func TestValidateGaps(t *testing.T) {
	tests := []struct {
		name string
		obj  *Object
		want []want
	}{
		{
			// §10 rule 17: "the role ARN contains a path (role/a/b/name). It never matches
			// a session." The canonical ARN of a role session has no path (§4), and the
			// lists are not type-checked, so a role ARN with a path in mapUsers never
			// matches either. Validate only checks mapRoles (e.key == KeyRoles).
			name: "AA17 role path in mapUsers",
			obj:  awsAuth(map[string]string{KeyUsers: "- userarn: arn:aws:iam::111122223333:role/teams/Dev\n  username: dev\n  groups: [devs]\n"}),
			want: []want{
				{rule: "AA17", name: "role-path", sev: Error, key: KeyUsers, entry: 0, field: "userarn", line: 1},
				{rule: "AA18", name: "role-in-mapusers", sev: Warn, key: KeyUsers, entry: 0, field: "userarn", line: 1},
			},
		},
		{
			// §10 rule 10: "ERROR: a field has the wrong type (... username not a string)".
			// YAML 1.1 reads an unquoted yes as a boolean; the authenticator reports
			// "cannot unmarshal bool into ... username" and keeps the entry with username "".
			// Validate's typeErrors looks only at node kinds, so once it has found the
			// groups string in entry 1 it never reports entry 0 (only the AA25 WARN).
			name: "AA10 username: yes next to a groups string",
			obj: awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/A\n  username: yes\n  groups: [a]\n" +
				"- rolearn: arn:aws:iam::111122223333:role/B\n  username: b\n  groups: system:masters\n"}),
			want: []want{
				{rule: "AA10", name: "wrong-type", sev: Error, key: KeyRoles, entry: 0, field: "username", line: 2},
				{rule: "AA10", name: "wrong-type", sev: Error, key: KeyRoles, entry: 1, field: "groups", line: 6},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindings(t, Validate(tt.obj, Options{}), tt.want)
		})
	}
}

// Every rule id and name Validate can emit is covered above.
func TestValidateRuleCoverage(t *testing.T) {
	names := map[string][]string{
		"AA01": {"wrong-object"}, "AA02": {"data-not-string"}, "AA03": {"misspelled-data-key", "unknown-data-key"},
		"AA04": {"duplicate-data-key"}, "AA05": {"data-too-large", "data-near-limit", "invalid-data-key"}, "AA06": {"unparseable"},
		"AA07": {"not-a-list", "accounts-not-a-list"}, "AA08": {"empty-key"}, "AA09": {"missing-arn"}, "AA10": {"wrong-type"},
		"AA11": {"invalid-sso"}, "AA12": {"sso-partition", "sso-entry"}, "AA13": {"unknown-field", "non-canonical-field"},
		"AA14": {"duplicate-field"}, "AA15": {"malformed-arn"}, "AA16": {"session-arn"}, "AA17": {"role-path"},
		"AA18": {"role-in-mapusers", "user-in-maproles"}, "AA19": {"cross-account", "cross-partition"},
		"AA20": {"case-variant-users"}, "AA21": {"duplicate-role", "duplicate-user", "in-both-lists"},
		"AA23": {"unknown-template", "malformed-template"}, "AA24": {"ec2-dns-template-not-node"},
		"AA25": {"empty-username", "no-identity"}, "AA26": {"username-whitespace", "odd-character", "group-whitespace"},
		"AA27": {"caller-chosen-username"}, "AA28": {"system-username", "reserved-group"}, "AA29": {"system-masters", "repeated-group"},
		"AA31": {"node-groups", "node-username"}, "AA32": {"invalid-account", "unquoted-account", "duplicate-account"}, "AA34": {"mapping-in-binarydata"},
		"AA33": {"account-mapping"},
	}
	// Rules 22 (access entries) and 30 (an edit) are not Validate's.
	for _, r := range []string{"AA22", "AA30"} {
		if _, ok := names[r]; ok {
			t.Fatalf("%s listed", r)
		}
	}
	seen := map[string]bool{}
	// The union of the findings of every case of TestValidateRules.
	for _, obj := range coverageObjects() {
		for _, f := range Validate(obj, Options{ClusterAccount: "111122223333", ClusterPartition: "aws"}) {
			seen[f.Rule+"/"+f.Name] = true
			if !slices.Contains(names[f.Rule], f.Name) {
				t.Errorf("Validate emits %s %s, which this test does not know", f.Rule, f.Name)
			}
		}
	}
	for rule, ns := range names {
		for _, n := range ns {
			if !seen[rule+"/"+n] {
				t.Errorf("no coverage input gives %s %s", rule, n)
			}
		}
	}
}

func coverageObjects() []*Object {
	return []*Object{
		{Kind: "Secret", Name: "x", Namespace: "y", Data: map[string]string{"bad key": "x", "maproles": "x"}, NonStringData: []string{"a"}, DuplicateDataKeys: []string{"b"}, BinaryData: map[string]int{KeyRoles: MaxDataSize}},
		{Kind: "ConfigMap", Name: Name, Namespace: Namespace, Data: map[string]string{KeyUsers: "[]"}, BinaryData: map[string]int{"x": MaxDataSize - 10}},
		awsAuth(map[string]string{KeyRoles: "\t- x"}),
		awsAuth(map[string]string{KeyRoles: "a: b", KeyUsers: "''", KeyAccounts: "a: b"}),
		awsAuth(map[string]string{KeyRoles: "- username: x\n- sso: {permissionSetName: x, accountID: \"1\"}\n- rolearn: arn:aws:iam::111122223333:role/A\n  groups: x\n"}),
		awsAuth(map[string]string{KeyRoles: "- sso: {permissionSetName: x, accountID: \"111122223333\", partition: aws}\n  username: x\n  groups: [x]\n" +
			"- roleArn: arn:aws:iam::111122223333:role/teams/A\n  usrname: x\n  username: a\n  username: b\n" +
			"- rolearn: arn:aws:sts::111122223333:assumed-role/A/s\n" +
			"- rolearn: arn:aws:iam::111122223333:role/A b\n" +
			"- rolearn: arn:aws:iam::111122223333:user/u\n" +
			"- rolearn: arn:aws:iam::444455556666:role/B\n" +
			"- rolearn: arn:aws-cn:iam::111122223333:role/C\n" +
			"- rolearn: arn:aws:iam::111122223333:role/D\n  username: \"{{SessionName}}\"\n" +
			"- rolearn: arn:aws:iam::111122223333:role/D\n  username: \"{{ SessionName }}-{{x\"\n" +
			"- rolearn: arn:aws:iam::111122223333:role/E\n  username: \"admin-{{EC2PrivateDNSName}} \"\n  groups: [\"a b\", \"\u0430\", system:masters, system:x, system:masters]\n" +
			"- rolearn: arn:aws:iam::111122223333:role/F\n  username: system:admin\n  groups: [system:nodes]\n",
			KeyUsers:    "- userarn: arn:aws:iam::111122223333:role/E\n- userarn: arn:aws:iam::111122223333:user/a\n- userarn: arn:aws:iam::111122223333:user/A\n- userarn: arn:aws:iam::111122223333:user/b\n- userarn: arn:aws:iam::111122223333:user/b\n",
			KeyAccounts: "- 111122223333\n- \"111122223333\"\n- x\n"}),
	}
}

func TestLocationString(t *testing.T) {
	for _, tt := range []struct {
		l    Location
		want string
	}{
		{Location{Entry: -1}, "object"},
		{Location{Key: KeyRoles, Entry: -1}, "mapRoles"},
		{Location{Key: KeyRoles, Entry: -1, Line: 3, Column: 5}, "mapRoles (line 3, column 5)"},
		{Location{Key: KeyUsers, Entry: 0, Field: "groups", Line: 4}, "mapUsers[0].groups (line 4)"},
		{Location{Key: KeyAccounts, Entry: 2}, "mapAccounts[2]"},
	} {
		if got := tt.l.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.l, got, tt.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	before := Validate(awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/teams/Dev\n  username: dev\n  groups: [devs]\n"}), Options{})
	// The same error, moved down by an edit, is not new; a second copy of it is, and so
	// is another error. Warnings (here AA21 for the identical duplicate) never are.
	after := Validate(awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/Ops\n  username: ops\n  groups: [system:masters]\n" +
		"- rolearn: arn:aws:iam::111122223333:role/teams/Dev\n  username: dev\n  groups: [devs]\n" +
		"- rolearn: arn:aws:iam::111122223333:role/teams/Dev\n  username: dev\n  groups: [devs]\n" +
		"- rolearn: arn:aws:iam::11112222333:role/Typo\n  username: typo\n  groups: [devs]\n"}), Options{})
	if len(Errors(before)) != 1 {
		t.Fatalf("before: want 1 error, got:%s", findingsString(before))
	}
	got := NewErrors(before, after)
	var ids []string
	for _, f := range got {
		ids = append(ids, fmt.Sprintf("%s %s %d", f.Rule, f.Name, f.Location.Entry))
		if f.Severity != Error {
			t.Errorf("NewErrors returned a %s", f.Severity)
		}
	}
	slices.Sort(ids)
	wantIDs := []string{"AA15 malformed-arn 3", "AA17 role-path 2"}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("NewErrors = %v, want %v;\nbefore:%s\nafter:%s", ids, wantIDs, findingsString(before), findingsString(after))
	}
	if n := NewErrors(after, before); len(n) != 0 {
		t.Errorf("fixing errors gives new errors:%s", findingsString(n))
	}
	if n := NewErrors(nil, nil); len(n) != 0 {
		t.Errorf("NewErrors(nil, nil) = %v", n)
	}
	// A syntax error in a key that parsed before is new, wherever its line is.
	broken := Validate(awsAuth(map[string]string{KeyRoles: "- rolearn: arn:aws:iam::111122223333:role/teams/Dev\n\tusername: dev\n"}), Options{})
	if n := NewErrors(before, broken); len(n) != 1 || n[0].Rule != "AA06" {
		t.Errorf("NewErrors(before, broken) = %s", findingsString(n))
	}
}
