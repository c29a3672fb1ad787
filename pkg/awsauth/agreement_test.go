package awsauth

// The authenticator's own parser is the oracle: every input of a large generated and
// mutated corpus goes through sigs.k8s.io/aws-iam-authenticator's ParseMap and through
// Parse, and both must keep the same mappings and agree on whether anything was wrong.

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	autharn "sigs.k8s.io/aws-iam-authenticator/pkg/arn"

	"github.com/google/go-cmp/cmp"
	"github.com/sirupsen/logrus"
	"sigs.k8s.io/aws-iam-authenticator/pkg/mapper/configmap"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
)

var (
	agreementSeed  = flag.Uint64("awsauth.seed", 20260801, "seed of the generated corpus of TestParseAgreesWithAuthenticator")
	agreementCases = flag.Int("awsauth.cases", 40000, "number of generated cases of TestParseAgreesWithAuthenticator")
)

// quietAuthenticator stops ParseMap's logrus warnings for the rest of the test.
func quietAuthenticator(tb testing.TB) {
	out, level := logrus.StandardLogger().Out, logrus.GetLevel()
	logrus.SetOutput(io.Discard)
	logrus.SetLevel(logrus.ErrorLevel)
	tb.Cleanup(func() {
		logrus.SetOutput(out)
		logrus.SetLevel(level)
	})
}

// authView is what the authenticator's ParseMap kept, in this package's types.
type authView struct {
	Roles    []RoleMapping
	Users    []UserMapping
	Accounts []string
	Err      error
}

func authenticatorParse(data map[string]string) authView {
	users, roles, accounts, err := configmap.ParseMap(data)
	v := authView{Accounts: accounts, Err: err}
	for _, r := range roles {
		m := RoleMapping{RoleARN: r.RoleARN, Username: r.Username, Groups: r.Groups, UserID: r.UserId}
		if r.SSO != nil {
			m.SSO = &SSO{PermissionSetName: r.SSO.PermissionSetName, AccountID: r.SSO.AccountID, Partition: r.SSO.Partition}
		}
		v.Roles = append(v.Roles, m)
	}
	for _, u := range users {
		v.Users = append(v.Users, UserMapping{UserARN: u.UserARN, Username: u.Username, Groups: u.Groups, UserID: u.UserId})
	}
	return v
}

// listDiff compares two lists strictly (a nil and an empty list are the same list;
// inside the entries, nil and empty groups are not).
func listDiff[T any](theirs, ours []T) string {
	if len(theirs) == 0 && len(ours) == 0 {
		return ""
	}
	return cmp.Diff(theirs, ours)
}

// typeNames turns this package's type names in encoding/json's messages into the
// authenticator's.
var typeNames = strings.NewReplacer("awsauth.", "config.", "field SSO.", "field SSOARNMatcher.")

// disagreement compares Parse with the authenticator on data. It returns the
// authenticator's view and a description of every difference ("" when they agree).
func disagreement(data map[string]string) (authView, string) {
	want := authenticatorParse(data)
	p := Parse(data)
	var b strings.Builder
	if d := listDiff(want.Roles, p.Roles); d != "" {
		fmt.Fprintf(&b, "kept roles differ (-authenticator +Parse):\n%s", d)
	}
	if d := listDiff(want.Users, p.Users); d != "" {
		fmt.Fprintf(&b, "kept users differ (-authenticator +Parse):\n%s", d)
	}
	if d := listDiff(want.Accounts, p.Accounts); d != "" {
		fmt.Fprintf(&b, "accounts differ (-authenticator +Parse):\n%s", d)
	}
	if (want.Err != nil) != (len(p.Errors) > 0) {
		fmt.Fprintf(&b, "error verdicts differ: authenticator %v, Parse %+v\n", want.Err, p.Errors)
	}
	// Parse's messages are the authenticator's (but for the Go type names in them).
	for _, e := range p.Errors {
		if want.Err == nil || !strings.Contains(want.Err.Error(), typeNames.Replace(e.Message)) {
			fmt.Fprintf(&b, "Parse error %q is not among the authenticator's: %v\n", e.Message, want.Err)
		}
		if e.Dropped == DroppedKey {
			kept := map[string]int{KeyRoles: len(want.Roles), KeyUsers: len(want.Users), KeyAccounts: len(want.Accounts)}[e.Key]
			if kept > 0 {
				fmt.Fprintf(&b, "Parse says %s was dropped, the authenticator kept %d of its entries\n", e.Key, kept)
			}
		}
	}
	// Positions: every decoded entry is either kept or has an entry error.
	for _, l := range []struct {
		key   string
		count int
		index []int
		kept  int
	}{{KeyRoles, p.RoleCount, p.RoleIndex, len(p.Roles)}, {KeyUsers, p.UserCount, p.UserIndex, len(p.Users)}} {
		dropped := 0
		for _, e := range p.Errors {
			if e.Key == l.key && e.Entry >= 0 {
				dropped++
				if slices.Contains(l.index, e.Entry) || e.Entry >= l.count {
					fmt.Fprintf(&b, "%s entry error at %d, which is kept or beyond %d entries\n", l.key, e.Entry, l.count)
				}
			}
		}
		if len(l.index) != l.kept || l.kept+dropped != l.count || !slices.IsSorted(l.index) ||
			(len(l.index) > 0 && (l.index[0] < 0 || l.index[len(l.index)-1] >= l.count)) {
			fmt.Fprintf(&b, "%s: count %d, kept %d at %v, %d dropped: inconsistent\n", l.key, l.count, l.kept, l.index, dropped)
		}
	}
	return want, b.String()
}

// parserRules are the rules whose verdict is the authenticator's parser's (§10 "(parser)").
var parserRules = []string{"AA06", "AA07", "AA09", "AA10", "AA11"}

// validateDisagreement checks that Validate reports a parser-rule ERROR exactly when
// the authenticator reports an error, and that each of Parse's errors has its finding:
// AA06 or AA07 for a dropped key, AA09 or AA11 for a dropped entry, AA10 for a type
// error, AA07 for mapAccounts.
func validateDisagreement(data map[string]string, authErr error) string {
	fs := Validate(&Object{Kind: "ConfigMap", Name: Name, Namespace: Namespace, Data: data}, Options{})
	var parser []Finding
	for _, f := range fs {
		if f.Severity == Error && slices.Contains(parserRules, f.Rule) {
			parser = append(parser, f)
		}
	}
	if (authErr != nil) != (len(parser) > 0) {
		return fmt.Sprintf("Validate's parser findings %v do not match the authenticator's error %v\n", parser, authErr)
	}
	var b strings.Builder
	errs := Parse(data).Errors
	for _, e := range errs {
		found := slices.ContainsFunc(parser, func(f Finding) bool {
			l := f.Location
			switch {
			case e.Key == KeyAccounts:
				return f.Rule == "AA07" && l.Key == KeyAccounts
			case e.Entry >= 0:
				return (f.Rule == "AA09" || f.Rule == "AA11") && l.Key == e.Key && l.Entry == e.Entry
			case e.Dropped == DroppedKey:
				return (f.Rule == "AA06" || f.Rule == "AA07") && l.Key == e.Key && l.Entry == -1
			}
			return f.Rule == "AA10" && l.Key == e.Key
		})
		if !found {
			fmt.Fprintf(&b, "no finding for the parse error %+v among %v\n", e, parser)
		}
	}
	for _, f := range parser {
		if !slices.ContainsFunc(errs, func(e KeyError) bool { return e.Key == f.Location.Key }) {
			fmt.Fprintf(&b, "finding %+v but no parse error in %s\n", f, f.Location.Key)
		}
	}
	return b.String()
}

func TestParseAgreesWithAuthenticator(t *testing.T) {
	quietAuthenticator(t)
	seed := *agreementSeed
	n := *agreementCases
	if testing.Short() {
		n /= 10
	}
	t.Logf("corpus seed %d (rerun with -args -awsauth.seed=%d -awsauth.cases=%d)", seed, seed, n)
	g := newCorpus(seed)
	start := time.Now()

	var cases, authErrs, mismatches, validateChecked, validateMismatches, droppedMismatches int
	keptRoles, keptUsers, keptAccounts := 0, 0, 0
	kinds := map[string]int{}
	const show = 5
	check := func(data map[string]string) {
		cases++
		want, diff := disagreement(data)
		if want.Err != nil {
			authErrs++
		}
		keptRoles += len(want.Roles)
		keptUsers += len(want.Users)
		keptAccounts += len(want.Accounts)
		if diff != "" {
			mismatches++
			if mismatches <= show {
				t.Errorf("case %d disagrees with the authenticator\ninput: %s\nauthenticator: roles=%+v users=%+v accounts=%q err=%v\n%s",
					cases, dataString(data), want.Roles, want.Users, want.Accounts, want.Err, diff)
			}
		}
		droppedErrs := 0
		for _, e := range Parse(data).Errors {
			kinds[e.Key+" "+string(e.Dropped)]++
			if e.Dropped != DroppedNothing {
				droppedErrs++
			}
		}
		// One notion of "dropped": the findings that say so are the parse errors that
		// cost a key or an entry, one each.
		if got := len(DroppedFindings(Validate(&Object{APIVersion: "v1", Kind: "ConfigMap", Namespace: Namespace, Name: Name, Data: data}, Options{}))); got != droppedErrs {
			droppedMismatches++
			if droppedMismatches <= show {
				t.Errorf("case %d: %d dropped findings for %d parse errors that drop something; input: %s", cases, got, droppedErrs, dataString(data))
			}
		}
		// Validate's parser rules.
		{
			validateChecked++
			if d := validateDisagreement(data, want.Err); d != "" {
				validateMismatches++
				if validateMismatches <= show {
					t.Errorf("case %d: %s input: %s", cases, d, dataString(data))
				}
			}
		}
	}
	for _, data := range seedData() {
		check(data)
	}
	for cases < n {
		check(g.data())
	}
	t.Logf("cases: %d, authenticator reported errors: %d, mismatches: %d; Validate checked on %d, mismatches: %d (kept: %d roles, %d users, %d accounts; %v)",
		cases, authErrs, mismatches, validateChecked, validateMismatches, keptRoles, keptUsers, keptAccounts, time.Since(start).Round(time.Millisecond))
	t.Logf("errors by key and what they dropped: %v", kinds)
	if authErrs < cases/10 || authErrs > cases*9/10 {
		t.Errorf("the corpus is lopsided: %d of %d cases have errors", authErrs, cases)
	}
	t.Logf("dropped findings vs dropping parse errors: %d mismatches", droppedMismatches)
	if mismatches > 0 || validateMismatches > 0 || droppedMismatches > 0 {
		t.Errorf("%d of %d cases disagree with the authenticator, %d with Validate's parser rules", mismatches, cases, validateMismatches)
	}
}

func dataString(data map[string]string) string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("map[string]string{")
	for _, k := range keys {
		fmt.Fprintf(&b, "\n\t%q: %q,", k, data[k])
	}
	b.WriteString("\n}")
	return b.String()
}

// Seeds: realistic values, each as EKS, eksctl or a person writes them.
var (
	seedRoles = []string{
		// eksctl / EKS-written node group and Fargate entries, and an admin role.
		`- groups:
  - system:bootstrappers
  - system:nodes
  rolearn: arn:aws:iam::111122223333:role/eksctl-prod-nodegroup-ng-1-NodeInstanceRole-1A2B3C4D5E6F
  username: system:node:{{EC2PrivateDNSName}}
- groups:
  - system:bootstrappers
  - system:nodes
  - system:node-proxier
  rolearn: arn:aws:iam::111122223333:role/eksctl-prod-cluster-FargatePodExecutionRole-ABCDEF
  username: system:node:{{SessionName}}
- rolearn: arn:aws:iam::111122223333:role/Admin
  username: admin:{{SessionName}}
  groups:
    - system:masters
`,
		// The EKS user guide's form.
		`- rolearn: arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
`,
		// Upstream's crazy-case field names.
		`- rOlEaRn: arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6
  UsErNaMe: system:node:{{EC2PrivateDNSName}}
  gRoUpS:
    - system:bootstrappers
    - system:nodes
`,
		// Upstream's space out of place (two groups run together into one).
		`- rolearn: arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
     - system:nodes
`,
		// SSO entries, with and without partition.
		`- sso:
    permissionSetName: AdministratorAccess
    accountID: "111122223333"
  username: sso-admin:{{SessionName}}
  groups: [system:masters]
- sso:
    permissionSetName: ReadOnly
    accountID: "111122223333"
    partition: aws
  username: ro:{{SessionName}}
  groups: [viewers]
`,
		// JSON, as some IaC tools write it.
		`[{"rolearn":"arn:aws:iam::111122223333:role/Admin","username":"admin","groups":["system:masters"]},{"rolearn":"arn:aws:iam::111122223333:role/Node","username":"system:node:{{EC2PrivateDNSName}}","groups":["system:bootstrappers","system:nodes"]}]`,
		"[\n  {\n    \"rolearn\": \"arn:aws:iam::111122223333:role/Dev\",\n    \"username\": \"dev:{{SessionName}}\",\n    \"groups\": [\"developers\"]\n  }\n]\n",
		// A JSON object (passed through by ToJSON, then not a list).
		`{"rolearn":"arn:aws:iam::111122223333:role/Admin","username":"admin"}`,
		// Comments, block scalars, flow lists.
		`# Managed by kubectl-eksiam
- rolearn: arn:aws:iam::111122223333:role/Dev   # developers
  username: >-
    dev:{{SessionName}}
  groups:
    - developers # rbac group

# hybrid nodes
- rolearn: arn:aws:iam::111122223333:role/AmazonEKSHybridNodesRole
  username: system:node:{{SessionName}}
  groups: [system:bootstrappers, system:nodes]
`,
		// The unquoted template (a syntax error) and un-indented groups items.
		`- rolearn: arn:aws:iam::111122223333:role/Admin
  username: {{SessionName}}
  groups:
    - system:masters
`,
		`- rolearn: arn:aws:iam::111122223333:role/hybrid
  username: system:node:{{SessionName}}
  groups:
- system:bootstrappers
- system:nodes
`,
		`- rolearn: arn:aws:iam::111122223333:role/Admin
  username: admin
  groups: system:masters
`,
		"- rolearn: arn:aws:iam::111122223333:role/Admin\n\tusername: admin\n",
		`- username: admin
  groups: [system:masters]
- userarn: arn:aws:iam::111122223333:user/alice
  username: alice
- rolearn: arn:aws:iam::111122223333:role/x
  sso: {permissionSetName: X, accountID: "111122223333"}
`,
		`- &node
  rolearn: arn:aws:iam::111122223333:role/Node
  username: system:node:{{EC2PrivateDNSName}}
  groups: &ng [system:bootstrappers, system:nodes]
- <<: *node
  rolearn: arn:aws:iam::111122223333:role/Node2
- rolearn: arn:aws:iam::111122223333:role/Node3
  username: system:node:{{EC2PrivateDNSName}}
  groups: *ng
`,
	}
	seedUsers = []string{
		`- userarn: arn:aws:iam::111122223333:user/alice
  username: alice
  groups:
    - system:masters
- userarn: arn:aws:iam::111122223333:user/ops/bob
  username: bob
  groups: [viewers]
  userid: AIDAEXAMPLE
- userarn: arn:aws:iam::111122223333:root
  username: root-admin
`,
		`- userARN: arn:aws:iam::555555555555:user/admin
  username: admin
  groups:
    - system:masters
`,
		`- userarn: arn:aws:iam::111122223333:user/alice
  username: viewer
  groups: [viewers]
- userarn: arn:aws:iam::111122223333:user/Alice
  username: admin
  groups: [system:masters]
`,
		`[{"userarn": "arn:aws:iam::111122223333:user/carol", "username": "carol", "groups": ["devs"]}]`,
	}
	seedAccounts = []string{
		"- \"111122223333\"\n- 012345678901\n",
		"- 555555555555\n",
		`["111122223333", "444455556666"]`,
		"- 0123\n- 1.5e3\n- ~\n- abc\n",
		"a: b\n",
		"111122223333\n",
	}
)

func seedData() []map[string]string {
	var out []map[string]string
	for _, r := range seedRoles {
		out = append(out, map[string]string{KeyRoles: r})
	}
	for _, u := range seedUsers {
		out = append(out, map[string]string{KeyUsers: u})
	}
	for _, a := range seedAccounts {
		out = append(out, map[string]string{KeyAccounts: a})
	}
	out = append(out, map[string]string{KeyRoles: seedRoles[0], KeyUsers: seedUsers[0], KeyAccounts: seedAccounts[0], "maproles": seedRoles[1]})
	for _, skip := range []string{"", " \n", "''", `""`, "``", "null", "[]", "~", "{}"} {
		out = append(out, map[string]string{KeyRoles: skip, KeyUsers: skip, KeyAccounts: skip})
	}
	return out
}

// corpus generates aws-auth data, valid and broken, deterministically.
type corpus struct {
	r *rand.Rand
}

func newCorpus(seed uint64) *corpus {
	return &corpus{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (c *corpus) intn(n int) int        { return c.r.IntN(n) }
func (c *corpus) chance(p float64) bool { return c.r.Float64() < p }
func oneOf[T any](c *corpus, xs ...T) T { return xs[c.r.IntN(len(xs))] }

// A value of the generated YAML: a scalar, a list of scalars, a mapping, or raw text
// written as is.
type val struct {
	kind  byte // 's' scalar, 'l' list of scalars, 'L' list of raw items, 'm' mapping, 'r' raw
	s     string
	items []string
	m     []kv
}

type kv struct {
	k string
	v val
}

func str(s string) val             { return val{kind: 's', s: s} }
func list(items ...string) val     { return val{kind: 'l', items: items} }
func raw(s string) val             { return val{kind: 'r', s: s} }
func mapping(fields ...kv) val     { return val{kind: 'm', m: fields} }
func field(k string, v val) kv     { return kv{k: k, v: v} }
func (c *corpus) pad(n int) string { return strings.Repeat(" ", n) }

func (c *corpus) account() string {
	return oneOf(c, "111122223333", "111122223333", "444455556666", "012345678901", "555555555555", "12345678901", "1234567890123", "")
}

func (c *corpus) partition() string {
	return oneOf(c, "aws", "aws", "aws", "aws", "aws-cn", "aws-us-gov", "aws-iso-b", "aws-eusc", "aws-foo", "AWS", "")
}

func (c *corpus) roleName() string {
	return oneOf(c, "eks-node-group-role", "NodeInstanceRole-74RF4UBDUKL6", "nodeinstancerole-74rf4ubdukl6", "AmazonEKSFargatePodExecutionRole",
		"Admin", "admin", "ADMIN", "teams/dev/Developer", "aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef",
		"AWSReservedSSO_ReadOnly_abcdef0123456789", "AmazonEKSHybridNodesRole", "with space", "ünïcode", "Adm\u200bin", "Аdmin", "x"+strings.Repeat("y", 300), "")
}

func (c *corpus) arn(kind string) string {
	p, a := c.partition(), c.account()
	switch c.intn(24) {
	case 0:
		return fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/session", p, a, c.roleName())
	case 1:
		return fmt.Sprintf("arn:%s:iam::%s:instance-profile/%s", p, a, c.roleName())
	case 2:
		return " " + c.arn(kind)
	case 3:
		return c.arn(kind) + oneOf(c, " ", "\t", "\u200b", "\u00a0")
	case 4:
		return fmt.Sprintf("arn:%s:iam::%s:root", p, a)
	case 5:
		return oneOf(c, "arn", "role", "123456789012", "arn:aws:iam::111122223333", "*", "~", "yes", "0123", "arn:aws:iam::111122223333:role/a: b", "#x")
	case 6:
		return fmt.Sprintf("arn:%s:sts::%s:federated-user/%s", p, a, oneOf(c, "bob", "Bob"))
	case 7, 8:
		if kind == "role" {
			kind = "user"
		} else {
			kind = "role"
		}
	}
	if kind == "user" {
		return fmt.Sprintf("arn:%s:iam::%s:user/%s", p, a, oneOf(c, "alice", "Alice", "ALICE", "ops/bob", "bob", "carol", "d@v.e", "ünïcode", ""))
	}
	if c.chance(0.1) {
		return strings.ToUpper(fmt.Sprintf("arn:%s:iam::%s:role/%s", p, a, c.roleName()))
	}
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", p, a, c.roleName())
}

var (
	usernamePool = []string{
		"system:node:{{EC2PrivateDNSName}}", "system:node:{{SessionName}}", "admin", "admin:{{SessionName}}", "{{SessionName}}",
		"{{SessionNameRaw}}", "{{AccountID}}:{{AccessKeyID}}", "{{ SessionName }}", "ops-{{SessionName", "system:admin", "",
		"yes", "no", "on", "off", "true", "False", "0123", "123", "1.5e3", "0x1F", "0o17", "1_000", "~", "null", "a: b", "#x", "x #y",
		"trailing:", " lead", "trail ", "ädmin", "аdmin", "zero\u200bwidth", "tab\there", "multi\nline", `quote"d`, "it's", "-dash",
		"[bracket]", "{brace}", "*star", "&amp", "!bang", "%pct", "@at", "`tick`", "|pipe", ">gt", "?q", ",comma", "\\back",
		strings.Repeat("long-", 200), "日本語", "emoji-🙂", "2001-01-01", ".inf", "<<",
	}
	groupPool = []string{
		"system:masters", "system:nodes", "system:bootstrappers", "system:node-proxier", "eks:kube-proxy-windows", "viewers",
		"developers", "dev team", "system:authenticated", "eks:foo", "{{SessionName}}", "yes", "0123", "", "a: b", "#x", "~",
		" padded ", "ädmins", "1.5", "null", "x:",
	}
	fieldTypos = map[string][]string{
		"rolearn":  {"roleARN", "RoleArn", "ROLEARN", "roleArn", "role_arn", "arn", "rolearns", "role", "rolarn", "rolearn "},
		"userarn":  {"userARN", "UserArn", "USERARN", "user_arn", "arn", "user", "usrarn"},
		"username": {"UserName", "USERNAME", "userName", "usrname", "user", "name", "user_name"},
		"groups":   {"Groups", "GROUPS", "gRoUpS", "group", "grups", "roles"},
		"userid":   {"userID", "UserId", "user_id"},
		"sso":      {"SSO", "Sso", "ssO", "sso_"},
	}
)

func (c *corpus) username() string { return oneOf(c, usernamePool...) }

func (c *corpus) groups() []string {
	switch c.intn(6) {
	case 0:
		return []string{"system:masters"}
	case 1:
		return []string{"system:bootstrappers", "system:nodes"}
	case 2:
		return nil
	}
	n := c.intn(4)
	out := make([]string, n)
	for i := range out {
		out[i] = oneOf(c, groupPool...)
	}
	return out
}

func (c *corpus) ssoBlock() val {
	m := mapping(
		field(oneOf(c, "permissionSetName", "permissionSetName", "permissionsetname", "PermissionSetName", "permission_set"),
			str(oneOf(c, "AdministratorAccess", "ReadOnly", "Power.User+1", "bad name", "", strings.Repeat("x", 33), "ünï"))),
		field(oneOf(c, "accountID", "accountID", "accountId", "AccountID", "account"), str(c.account())))
	if c.chance(0.4) {
		m.m = append(m.m, field("partition", str(oneOf(c, "aws", "aws-cn", "aws-us-gov", "aws-us-govt", "", "AWS"))))
	}
	if c.chance(0.2) {
		// An unquoted account: YAML 1.1 reads a number, which JSON cannot put in a string.
		m.m[1].v = raw(oneOf(c, "111122223333", "012345678901", "0123", "~"))
	}
	return m
}

func (c *corpus) roleEntry() []kv {
	var e []kv
	switch c.intn(12) {
	case 0, 1, 2:
		e = []kv{field("rolearn", str(c.arn("role"))), field("username", str("system:node:{{EC2PrivateDNSName}}")),
			field("groups", list("system:bootstrappers", "system:nodes"))}
		if c.chance(0.2) {
			e[2].v.items = append(e[2].v.items, "eks:kube-proxy-windows")
		}
	case 3:
		e = []kv{field("rolearn", str(c.arn("role"))), field("username", str("system:node:{{SessionName}}")),
			field("groups", list("system:bootstrappers", "system:nodes", "system:node-proxier"))}
	case 4:
		e = []kv{field("rolearn", str(c.arn("role"))), field("username", str(oneOf(c, "admin", "admin:{{SessionName}}", "{{SessionName}}"))),
			field("groups", list("system:masters"))}
	case 5:
		e = []kv{field("sso", c.ssoBlock()), field("username", str(c.username())), field("groups", list(c.groups()...))}
	case 6:
		e = []kv{field("rolearn", str(c.arn("role"))), field("sso", c.ssoBlock()), field("username", str(c.username()))}
	case 7:
		e = []kv{field("username", str(c.username())), field("groups", list(c.groups()...))}
	case 8:
		e = []kv{field("userarn", str(c.arn("user"))), field("username", str(c.username())), field("groups", list(c.groups()...))}
	case 9:
		e = []kv{field("rolearn", str(c.arn("role"))), field("username", str("system:node:{{SessionName}}")),
			field("groups", list("system:bootstrappers", "system:nodes"))}
	default:
		e = []kv{field("rolearn", str(c.arn("role"))), field("username", str(c.username())), field("groups", list(c.groups()...))}
		if c.chance(0.3) {
			e = append(e, field("userid", str(oneOf(c, "AROAEXAMPLE", "", "123"))))
		}
	}
	return c.mutateEntry(e)
}

func (c *corpus) userEntry() []kv {
	var e []kv
	switch c.intn(8) {
	case 0:
		e = []kv{field("username", str(c.username())), field("groups", list(c.groups()...))}
	case 1:
		e = []kv{field("rolearn", str(c.arn("role"))), field("username", str(c.username()))}
	default:
		e = []kv{field("userarn", str(c.arn("user"))), field("username", str(c.username())), field("groups", list(c.groups()...))}
		if c.chance(0.3) {
			e = append(e, field("userid", str(oneOf(c, "AIDAEXAMPLE", "", "0123"))))
		}
	}
	return c.mutateEntry(e)
}

// mutateEntry makes the structural mistakes people make in one entry.
func (c *corpus) mutateEntry(e []kv) []kv {
	if len(e) == 0 {
		return e
	}
	for c.chance(0.25) {
		i := c.intn(len(e))
		switch c.intn(14) {
		case 0, 1: // a field name's case or a typo
			if alts, ok := fieldTypos[e[i].k]; ok {
				e[i].k = oneOf(c, alts...)
			} else {
				e[i].k = strings.ToUpper(e[i].k)
			}
		case 2: // the same field twice, with the same or another value
			d := e[i]
			if c.chance(0.5) {
				d.v = str(c.username())
			}
			e = slices.Insert(e, c.intn(len(e)+1), d)
		case 3: // groups as a scalar
			e = append(e, field("groups", str(oneOf(c, groupPool...))))
		case 4: // username as a list or a mapping
			e = append(e, field("username", oneOf(c, list("a", "b"), raw("{a: b}"), raw("[]"))))
		case 5: // non-string group items
			e = append(e, field("groups", val{kind: 'L', items: []string{oneOf(c, "1", "true", "{a: b}", "[x]", "~", "null", "1.5", "system:masters", "yes")}}))
		case 6: // an unknown field
			e = slices.Insert(e, c.intn(len(e)+1), field(oneOf(c, "arn", "usrname", "group", "role_arn", "comment", "rolearns"), str("x")))
		case 7: // a field set to nothing
			e[i].v = raw(oneOf(c, "", "~", "null", "''", `""`, "[]", "{}"))
		case 8: // order
			c.r.Shuffle(len(e), func(a, b int) { e[a], e[b] = e[b], e[a] })
		case 9: // a number or bool where a string goes
			e[i].v = raw(oneOf(c, "123", "0123", "yes", "on", "1.5e3", "0x1F", "2001-01-01", "111122223333"))
		case 10: // a field lost
			e = slices.Delete(e, i, i+1)
			if len(e) == 0 {
				return e
			}
		case 11: // userid or sso added
			e = append(e, oneOf(c, field("userid", str("AROAEXAMPLE")), field("sso", c.ssoBlock()), field("sso", raw("null"))))
		case 12: // a template at the value's start, maybe unquoted
			e = append(e, field("username", raw(oneOf(c, "{{SessionName}}", "\"{{SessionName}}\"", "'{{SessionName}}'", "{{SessionName}}-x", "x-{{SessionName}}"))))
		case 13: // a very long or odd value
			e[i].v = str(oneOf(c, strings.Repeat("a", 5000), "ünïcode-ÄÖÜ", "line\nbreak", "\ttab", "trail   "))
		}
	}
	return e
}

// scalar writes s as a YAML scalar: plain, double- or single-quoted, mostly in a way
// that reads back as s, sometimes not.
func (c *corpus) scalar(s string) string {
	k := c.intn(10)
	if strings.HasPrefix(s, "{{") && k < 4 && c.chance(0.7) {
		k = 5 // most people quote templates
	}
	switch {
	case k < 4:
		return s
	case k < 8:
		return strconv.Quote(s)
	default:
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
}

func (c *corpus) flowValue(v val) string {
	switch v.kind {
	case 's':
		return c.scalar(v.s)
	case 'l', 'L':
		parts := make([]string, len(v.items))
		for i, it := range v.items {
			if v.kind == 'l' {
				it = c.scalar(it)
			}
			parts[i] = it
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case 'm':
		parts := make([]string, len(v.m))
		for i, f := range v.m {
			parts[i] = f.k + ": " + c.flowValue(f.v)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return v.s
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (c *corpus) jsonValue(v val) string {
	switch v.kind {
	case 's':
		return jsonString(v.s)
	case 'l', 'L':
		parts := make([]string, len(v.items))
		for i, it := range v.items {
			if v.kind == 'l' {
				it = jsonString(it)
			}
			parts[i] = it
		}
		return "[" + strings.Join(parts, ",") + "]"
	case 'm':
		parts := make([]string, len(v.m))
		for i, f := range v.m {
			parts[i] = jsonString(f.k) + ":" + c.jsonValue(f.v)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	if v.s == "" {
		return "null"
	}
	return v.s
}

// writeField writes "name: value" with prefix before it; col is the column of name.
func (c *corpus) writeField(b *strings.Builder, prefix string, col int, f kv, itemIndent int) {
	switch f.v.kind {
	case 's':
		if c.chance(0.04) && !strings.ContainsAny(f.v.s, "\n") && strings.TrimSpace(f.v.s) == f.v.s && f.v.s != "" {
			fmt.Fprintf(b, "%s%s: %s\n%s%s\n", prefix, f.k, oneOf(c, "|", "|-", ">", ">-"), c.pad(col+2), f.v.s)
			return
		}
		fmt.Fprintf(b, "%s%s: %s", prefix, f.k, c.scalar(f.v.s))
		if c.chance(0.05) {
			b.WriteString(oneOf(c, " # comment", "  #x", "   "))
		}
		b.WriteString("\n")
	case 'r':
		if f.v.s == "" {
			fmt.Fprintf(b, "%s%s:\n", prefix, f.k)
			return
		}
		fmt.Fprintf(b, "%s%s: %s\n", prefix, f.k, f.v.s)
	case 'l', 'L':
		if len(f.v.items) == 0 || c.chance(0.2) {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, f.k, c.flowValue(f.v))
			return
		}
		fmt.Fprintf(b, "%s%s:\n", prefix, f.k)
		for _, it := range f.v.items {
			if f.v.kind == 'l' {
				it = c.scalar(it)
			}
			fmt.Fprintf(b, "%s- %s\n", c.pad(max(col+itemIndent, 0)), it)
		}
	case 'm':
		if c.chance(0.3) {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, f.k, c.flowValue(f.v))
			return
		}
		fmt.Fprintf(b, "%s%s:\n", prefix, f.k)
		for _, sub := range f.v.m {
			c.writeField(b, c.pad(col+2), col+2, sub, itemIndent)
		}
	}
}

// block writes entries as a block list at column base.
func (c *corpus) block(entries [][]kv) string {
	var b strings.Builder
	base := oneOf(c, 0, 0, 0, 2, 4)
	// Where groups items go relative to "groups:": indented, at its column, or (broken)
	// at the column of the entry's dash.
	itemIndent := oneOf(c, 2, 2, 2, 0, 0, -2)
	if c.chance(0.1) {
		b.WriteString(oneOf(c, "# managed by terraform\n", "---\n", "\n", "# comment\n\n"))
	}
	for _, e := range entries {
		if c.chance(0.1) {
			fmt.Fprintf(&b, "%s# %s\n", c.pad(base), oneOf(c, "node group", "admins", "TODO remove"))
		}
		if c.chance(0.05) {
			b.WriteString("\n")
		}
		if len(e) == 0 {
			fmt.Fprintf(&b, "%s- %s\n", c.pad(base), oneOf(c, "{}", "", "~", "x"))
			continue
		}
		col := base + 2
		dashAlone := c.chance(0.05)
		if dashAlone {
			fmt.Fprintf(&b, "%s-\n", c.pad(base))
		}
		for j, f := range e {
			prefix := c.pad(col)
			if j == 0 && !dashAlone {
				prefix = c.pad(base) + "- "
			}
			c.writeField(&b, prefix, col, f, itemIndent)
		}
	}
	if c.chance(0.1) {
		b.WriteString(oneOf(c, "# end\n", "\n\n", "...\n"))
	}
	return b.String()
}

func (c *corpus) listDoc(entries [][]kv) string {
	switch c.intn(12) {
	case 0:
		parts := make([]string, len(entries))
		for i, e := range entries {
			parts[i] = c.jsonValue(mapping(e...))
		}
		if c.chance(0.5) {
			return "[\n  " + strings.Join(parts, ",\n  ") + "\n]\n"
		}
		return "[" + strings.Join(parts, ",") + "]"
	case 1:
		parts := make([]string, len(entries))
		for i, e := range entries {
			parts[i] = c.flowValue(mapping(e...))
		}
		return "[" + strings.Join(parts, ", ") + "]\n"
	case 2:
		if len(entries) > 0 {
			// A mapping instead of a list: one entry without its dash, or a JSON object.
			if c.chance(0.5) {
				return c.jsonValue(mapping(entries[0]...))
			}
			return strings.Replace(c.block(entries[:1]), "- ", "", 1)
		}
	}
	return c.block(entries)
}

func (c *corpus) accountsDoc() string {
	n := c.intn(5)
	items := make([]string, n)
	for i := range items {
		a := c.account()
		switch c.intn(12) {
		case 0, 1, 2:
			items[i] = a
		case 3, 4, 5:
			items[i] = strconv.Quote(a)
		case 6:
			items[i] = "'" + a + "'"
		case 7:
			items[i] = oneOf(c, "0123", "1.5e3", "~", "yes", "0x1F", "0o17", "1_000", "abc", "null", "2001-01-01", ".inf", "-1", "+12", "\"\"")
		case 8:
			items[i] = oneOf(c, "[111122223333]", "{a: b}", "{111122223333: x}", "&a 111122223333", "!!str 012345678901", "!!int 12")
		default:
			items[i] = a
		}
	}
	switch c.intn(10) {
	case 0:
		return "[" + strings.Join(items, ", ") + "]"
	case 1:
		for i := range items {
			items[i] = jsonString(strings.Trim(items[i], `"'`))
		}
		return "[" + strings.Join(items, ",") + "]"
	case 2:
		return oneOf(c, "111122223333", "a: b", "{a: 111122223333}", "111122223333: true", "- - 111122223333", "null")
	}
	var b strings.Builder
	base := oneOf(c, 0, 0, 2)
	for _, it := range items {
		if c.chance(0.1) {
			fmt.Fprintf(&b, "%s# account\n", c.pad(base))
		}
		fmt.Fprintf(&b, "%s- %s\n", c.pad(base), it)
	}
	return b.String()
}

var keyChars = []string{":", "-", "#", "{", "}", "[", "]", "'", "\"", "\t", " ", "\n", "|", ">", "&", "*", "!", "%", "@", ",", "?",
	"a", "0", "ä", "\u200b", "\r", "`", "\\", "{{", "}}"}

// mutateText breaks a document the way editors and copy-paste do.
func (c *corpus) mutateText(s string) string {
	for n := 1 + c.intn(3); n > 0; n-- {
		lines := strings.SplitAfter(s, "\n")
		li := c.intn(len(lines))
		switch c.intn(18) {
		case 0, 1: // insert a character
			i := c.intn(len(s) + 1)
			s = s[:i] + oneOf(c, keyChars...) + s[i:]
		case 2: // delete a byte
			if len(s) > 0 {
				i := c.intn(len(s))
				s = s[:i] + s[i+1:]
			}
		case 3: // replace a byte
			if len(s) > 0 {
				i := c.intn(len(s))
				s = s[:i] + oneOf(c, keyChars...) + s[i+1:]
			}
		case 4: // lose a line
			s = strings.Join(slices.Delete(lines, li, li+1), "")
		case 5: // duplicate a line
			s = strings.Join(slices.Insert(lines, li, lines[li]), "")
		case 6: // swap two lines
			if li+1 < len(lines) {
				lines[li], lines[li+1] = lines[li+1], lines[li]
				s = strings.Join(lines, "")
			}
		case 7: // re-indent a line
			if d := oneOf(c, -2, -1, 1, 2); d > 0 {
				lines[li] = c.pad(d) + lines[li]
			} else {
				lines[li] = strings.TrimPrefix(lines[li], c.pad(-d))
			}
			s = strings.Join(lines, "")
		case 8: // a tab for indentation
			t := strings.TrimLeft(lines[li], " ")
			if len(t) < len(lines[li]) || c.chance(0.3) {
				lines[li] = "\t" + t
			}
			s = strings.Join(lines, "")
		case 9: // CRLF line endings
			s = strings.ReplaceAll(s, "\n", "\r\n")
		case 10: // document markers and directives
			switch c.intn(5) {
			case 0:
				s = "---\n" + s
			case 1:
				s += "\n---\n"
			case 2:
				s += "...\n"
			case 3:
				s = "%YAML 1.1\n---\n" + s
			default:
				s += "---\n- rolearn: arn:aws:iam::111122223333:role/Second\n"
			}
		case 11: // trailing spaces
			lines[li] = strings.TrimSuffix(lines[li], "\n") + "   "
			if li < len(lines)-1 {
				lines[li] += "\n"
			}
			s = strings.Join(lines, "")
		case 12: // a field name's case
			for _, name := range []string{"rolearn", "userarn", "username", "groups", "sso"} {
				if strings.Contains(s, name+":") && c.chance(0.5) {
					s = strings.Replace(s, name+":", oneOf(c, strings.ToUpper(name), strings.ToUpper(name[:1])+name[1:], name[:len(name)-1])+":", 1)
				}
			}
		case 13: // quotes removed
			s = strings.Replace(s, oneOf(c, `"`, `'`), "", 2)
		case 14: // anchors and aliases
			if strings.HasPrefix(s, "- ") {
				s = "- &a " + s[2:]
				s += oneOf(c, "- *a\n", "- *b\n", "- <<: *a\n  username: merged\n")
			}
		case 15: // a comment line
			lines = slices.Insert(lines, li, oneOf(c, "# comment\n", "  # indented comment\n", "#\n", "\n"))
			s = strings.Join(lines, "")
		case 16: // truncated
			if len(s) > 0 {
				s = s[:c.intn(len(s))]
			}
		case 17: // a byte-order mark or a NUL
			s = oneOf(c, "\ufeff"+s, s+"\x00", "\x00"+s)
		}
	}
	return s
}

func (c *corpus) doc(key string) string {
	var s string
	switch r := c.intn(100); {
	case r < 4:
		return oneOf(c, "", "  \n", "''", `""`, "``", " '' ", "\n\n", " `` ")
	case r < 8:
		s = oneOf(c, "null", "~", "[]", "{}", "- ", "-", "[ ]", "Null", "hello", "123", "true", "- null", "- []", "- {}")
	case r < 16:
		switch key {
		case KeyRoles:
			s = oneOf(c, seedRoles...)
		case KeyUsers:
			s = oneOf(c, seedUsers...)
		default:
			s = oneOf(c, seedAccounts...)
		}
	default:
		if key == KeyAccounts {
			s = c.accountsDoc()
			break
		}
		n := c.intn(5)
		entries := make([][]kv, n)
		for i := range entries {
			if key == KeyRoles {
				entries[i] = c.roleEntry()
			} else {
				entries[i] = c.userEntry()
			}
		}
		s = c.listDoc(entries)
	}
	if c.chance(0.3) {
		s = c.mutateText(s)
	}
	return s
}

// data is one generated ConfigMap data map.
func (c *corpus) data() map[string]string {
	d := map[string]string{}
	for _, k := range []struct {
		key string
		p   float64
	}{{KeyRoles, 0.85}, {KeyUsers, 0.55}, {KeyAccounts, 0.35}} {
		if c.chance(k.p) {
			d[k.key] = c.doc(k.key)
		}
	}
	if c.chance(0.05) {
		// One key's text under another key.
		from, to := oneOf(c, KeyRoles, KeyUsers, KeyAccounts), oneOf(c, KeyRoles, KeyUsers, KeyAccounts)
		d[to] = c.doc(from)
	}
	if c.chance(0.1) {
		k := oneOf(c, "maproles", "MapRoles", "mapRole", "mapusers", "mapUser", "MapAccounts", "mapaccounts", "mapRoles ", "roles", "other")
		d[k] = c.doc(oneOf(c, KeyRoles, KeyUsers, KeyAccounts))
	}
	return d
}

// TestCanonicalCallerAgreesWithAuthenticator compares arn.CanonicalCaller with the
// authenticator's arn.Canonicalize on generated caller ARNs.
func TestCanonicalCallerAgreesWithAuthenticator(t *testing.T) {
	g := newCorpus(*agreementSeed)
	var inputs []string
	for _, p := range []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc", "aws-foo", "AWS", ""} {
		for _, res := range []string{"iam::111122223333:role/Admin", "iam::111122223333:user/ops/bob", "iam::111122223333:root",
			"sts::111122223333:federated-user/bob", "sts::111122223333:assumed-role/Admin/s", "sts::111122223333:assumed-role/a/b/s",
			"sts::111122223333:assumed-role/Admin", "iam::111122223333:instance-profile/x", "sts:us-east-1:111122223333:assumed-role/R/s",
			"iam::1111:user/short", "iam::111122223333:group/g", "s3:::bucket", "iam::111122223333:rootx"} {
			inputs = append(inputs, "arn:"+p+":"+res)
		}
	}
	for range 3000 {
		kind := oneOf(g, "role", "user")
		a := g.arn(kind)
		if g.chance(0.3) {
			a = strings.Replace(a, ":iam::", ":sts::", 1)
			a = strings.Replace(a, ":role/", ":assumed-role/", 1) + "/" + oneOf(g, "s", "i-0123456789abcdef0", "a@b.c", "")
		}
		inputs = append(inputs, a)
	}
	mismatches := 0
	for _, in := range inputs {
		ours, ourErr := iamarn.CanonicalCaller(in)
		_, theirs, theirErr := autharn.Canonicalize(in)
		if (ourErr != nil) != (theirErr != nil) || (ourErr == nil && ours != theirs) {
			mismatches++
			if mismatches <= 8 {
				t.Errorf("iamarn.CanonicalCaller(%q) = %q, %v; authenticator: %q, %v", in, ours, ourErr, theirs, theirErr)
			}
		}
	}
	t.Logf("%d caller ARNs, %d disagree with arn.Canonicalize", len(inputs), mismatches)
	if mismatches > 0 {
		t.Errorf("%d of %d caller ARNs disagree with the authenticator", mismatches, len(inputs))
	}
}
