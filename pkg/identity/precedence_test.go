package identity

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
)

// The expectations in this file come from /work/shared/AWS-AUTH.md, not from the
// implementation's output:
//
//   - §7: CONFIG_MAP reads aws-auth only; API reads access entries only;
//     API_AND_CONFIG_MAP reads both and an access entry wins over the principal's
//     aws-auth mapping (§5). With the mode unknown (no access entries read), aws-auth is
//     taken as what counts.
//   - §4: the caller's ARN is canonicalised (a session becomes its role, without the
//     path, which the session ARN does not carry) and compared case-insensitively. A
//     user's ARN keeps its path. Access entries may name a role with its path (§8).
//   - §4: the mapAccounts fallback gives username = canonical ARN, no groups.
//   - §3: {{SessionName}} is the session name with '@' replaced by '-',
//     {{SessionNameRaw}} the session name as is, {{AccountID}} the caller's account;
//     IAM users have no session name, so those templates render to "".
//   - §8 and EKSUG creating-access-entries.adoc: a role entry's default username is
//     its session ARN without the path, ending in {{SessionName}}.
//   - §8 and point 2 of issue 14: a node entry type gives the groups DescribeAccessEntry
//     reports (system:nodes), with system:nodes implied for the node-role types.

// The modes under test; "" is the unknown mode (Sources.Access == nil).
var modes = []string{eks.ModeConfigMap, eks.ModeAPIAndConfigMap, eks.ModeAPI, ""}

type presence string

const (
	inAWSAuthOnly presence = "aws-auth only"
	inEntryOnly   presence = "entry only"
	inBoth        presence = "both"
	inNeither     presence = "neither"
)

var presences = []presence{inAWSAuthOnly, inEntryOnly, inBoth, inNeither}

func (p presence) awsAuth() bool { return p == inAWSAuthOnly || p == inBoth }
func (p presence) entry() bool   { return p == inEntryOnly || p == inBoth }

// A principal as written in aws-auth and as an access entry, with how each renders
// for a given caller.
type principalFixture struct {
	name string
	// awsAuthKey and awsAuthYAML: the aws-auth data key and its one entry.
	awsAuthKey, awsAuthYAML string
	awsAuthSource           string
	// entry is the principal's access entry.
	entry eks.AccessEntry
}

// A caller of a principal, and the identity each source gives it.
type callerFixture struct {
	name, arn string
	// matchesAWSAuth / matchesEntry: whether the aws-auth mapping / the access entry is
	// the caller's (§4).
	matchesAWSAuth, matchesEntry bool
	// Rendered identity from each source (without system:authenticated).
	awsAuthUser, entryUser     string
	awsAuthGroups, entryGroups []string
}

var (
	// Role Dev: aws-auth names it in lower case (the authenticator folds case), the
	// access entry names it with its IAM path (allowed for entries, §8).
	devRole = principalFixture{
		name:       "role Dev",
		awsAuthKey: "mapRoles",
		awsAuthYAML: `- rolearn: arn:aws:iam::111122223333:role/dev
  username: "dev:{{SessionName}}:{{SessionNameRaw}}"
  groups: ["team:dev", "acct:{{AccountID}}"]
`,
		awsAuthSource: "aws-auth mapRoles[0]",
		entry: eks.AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/teams/Dev", Type: eks.TypeStandard, KubernetesGroups: []string{"entry:dev"},
			AccessPolicies: []eks.AssociatedPolicy{{PolicyARN: eks.PolicyARNPrefix + "AmazonEKSEditPolicy", Scope: eks.Scope{Type: eks.ScopeNamespace, Namespaces: []string{"dev-*"}}}}},
	}
	devCallers = []callerFixture{
		{
			name: "session with @", arn: "arn:aws:sts::111122223333:assumed-role/Dev/jo@example.com", matchesAWSAuth: true, matchesEntry: true,
			awsAuthUser: "dev:jo-example.com:jo@example.com", awsAuthGroups: []string{"team:dev", "acct:111122223333"},
			// The default username: the session ARN, path removed.
			entryUser: "arn:aws:sts::111122223333:assumed-role/Dev/jo-example.com", entryGroups: []string{"entry:dev"},
		},
		{
			name: "session, role name in another case", arn: "arn:aws:sts::111122223333:assumed-role/DEV/ci", matchesAWSAuth: true, matchesEntry: true,
			awsAuthUser: "dev:ci:ci", awsAuthGroups: []string{"team:dev", "acct:111122223333"},
			entryUser: "arn:aws:sts::111122223333:assumed-role/Dev/ci", entryGroups: []string{"entry:dev"},
		},
		{
			// The role itself, named with its path: its sessions canonicalise to role/Dev,
			// so both the path-less aws-auth entry and the entry with the path apply. No
			// session: the session templates stay.
			name: "role ARN with path", arn: "arn:aws:iam::111122223333:role/teams/Dev", matchesAWSAuth: true, matchesEntry: true,
			awsAuthUser: "dev:{{SessionName}}:{{SessionNameRaw}}", awsAuthGroups: []string{"team:dev", "acct:111122223333"},
			entryUser: "arn:aws:sts::111122223333:assumed-role/Dev/{{SessionName}}", entryGroups: []string{"entry:dev"},
		},
		{
			name: "role ARN without path", arn: "arn:aws:iam::111122223333:role/Dev", matchesAWSAuth: true, matchesEntry: true,
			awsAuthUser: "dev:{{SessionName}}:{{SessionNameRaw}}", awsAuthGroups: []string{"team:dev", "acct:111122223333"},
			entryUser: "arn:aws:sts::111122223333:assumed-role/Dev/{{SessionName}}", entryGroups: []string{"entry:dev"},
		},
		{
			name: "session of another role", arn: "arn:aws:sts::111122223333:assumed-role/Ops/jo",
		},
		{
			name: "session of Dev in another account", arn: "arn:aws:sts::444455556666:assumed-role/Dev/jo",
		},
	}

	// Role Dev written in aws-auth with its IAM path: it never matches a session (§4),
	// nor the role ARN given with the path, which stands for the role's sessions.
	devRolePathInAWSAuth = principalFixture{
		name:       "role Dev, path in aws-auth",
		awsAuthKey: "mapRoles",
		awsAuthYAML: `- rolearn: arn:aws:iam::111122223333:role/teams/Dev
  username: "dev:{{SessionName}}"
`,
		awsAuthSource: "aws-auth mapRoles[0]",
		entry:         devRole.entry,
	}
	devPathCallers = []callerFixture{
		{
			name: "session", arn: "arn:aws:sts::111122223333:assumed-role/Dev/jo", matchesEntry: true,
			entryUser: "arn:aws:sts::111122223333:assumed-role/Dev/jo", entryGroups: []string{"entry:dev"},
		},
		{
			name: "role ARN with path", arn: "arn:aws:iam::111122223333:role/teams/Dev", matchesEntry: true,
			entryUser: "arn:aws:sts::111122223333:assumed-role/Dev/{{SessionName}}", entryGroups: []string{"entry:dev"},
		},
	}

	// User alice with an IAM path: aws-auth writes the name in another case (it still
	// matches), the entry names the user exactly.
	aliceUser = principalFixture{
		name:       "user eng/alice",
		awsAuthKey: "mapUsers",
		awsAuthYAML: `- userarn: arn:aws:iam::111122223333:user/eng/ALICE
  username: "alice:{{SessionName}}{{SessionNameRaw}}"
  groups: [team:eng]
`,
		awsAuthSource: "aws-auth mapUsers[0]",
		entry:         eks.AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:user/eng/alice", Type: eks.TypeStandard, Username: "alice-entry", KubernetesGroups: []string{"entry:eng"}},
	}
	aliceCallers = []callerFixture{
		{
			// A user has no session name: the session templates render to "".
			name: "user", arn: "arn:aws:iam::111122223333:user/eng/alice", matchesAWSAuth: true, matchesEntry: true,
			awsAuthUser: "alice:", awsAuthGroups: []string{"team:eng"},
			entryUser: "alice-entry", entryGroups: []string{"entry:eng"},
		},
		{
			name: "user, other case", arn: "arn:aws:iam::111122223333:user/eng/Alice", matchesAWSAuth: true, matchesEntry: true,
			awsAuthUser: "alice:", awsAuthGroups: []string{"team:eng"},
			entryUser: "alice-entry", entryGroups: []string{"entry:eng"},
		},
		{
			// A user's path is part of its canonical ARN: without it, nothing matches.
			name: "user without its path", arn: "arn:aws:iam::111122223333:user/alice",
		},
	}
)

// sources builds the sources for one case: the principal in aws-auth and/or as an
// access entry, next to an unrelated mapping and entry so that neither source is empty.
func sources(t *testing.T, mode string, pr presence, fx principalFixture) Sources {
	t.Helper()
	data := map[string]string{"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/Unrelated\n  username: unrelated\n"}
	if pr.awsAuth() {
		if fx.awsAuthKey == "mapRoles" {
			// The principal first, so that its source is mapRoles[0].
			data["mapRoles"] = fx.awsAuthYAML + data["mapRoles"]
		} else {
			data[fx.awsAuthKey] = fx.awsAuthYAML
		}
	}
	src := Sources{AWSAuth: store(t, data)}
	if mode == "" {
		return src // the mode is unknown: no access entries were read
	}
	snap := &eks.Snapshot{Cluster: eks.Cluster{Name: "c", AuthenticationMode: mode},
		Entries: []eks.AccessEntry{{PrincipalARN: "arn:aws:iam::111122223333:role/UnrelatedEntry", Type: eks.TypeStandard, KubernetesGroups: []string{"x"}}}}
	if pr.entry() {
		snap.Entries = append(snap.Entries, fx.entry)
	}
	src.Access = snap
	return src
}

// outcome is what Resolve should give, in comparable form.
type outcome struct {
	Source, Status string // of the winning principal, "" when unmapped
	Username       string
	Groups         []string
	Others         []string // "source status", sorted
}

func (o outcome) String() string {
	return fmt.Sprintf("source=%q status=%q user=%q groups=%q others=%q", o.Source, o.Status, o.Username, o.Groups, o.Others)
}

// expectResolve derives the outcome from the rules of AWS-AUTH.md §4, §5, §7.
func expectResolve(mode string, pr presence, fx principalFixture, c callerFixture) outcome {
	awsAuthMatch := pr.awsAuth() && c.matchesAWSAuth
	// With the mode unknown no access entries were read, so none can match.
	entryMatch := pr.entry() && c.matchesEntry && mode != ""
	awsAuthStatus := StatusActive
	switch {
	case mode == eks.ModeAPI:
		awsAuthStatus = StatusIgnored
	case mode == eks.ModeAPIAndConfigMap && entryMatch:
		awsAuthStatus = StatusShadowed
	}
	entryStatus := StatusActive
	if mode == eks.ModeConfigMap {
		entryStatus = StatusIgnored
	}
	entrySource := "access entry (" + fx.entry.Type + ")"
	var o outcome
	switch {
	case entryMatch && entryStatus == StatusActive:
		o = outcome{Source: entrySource, Status: StatusActive, Username: c.entryUser, Groups: append([]string{AuthenticatedGroup}, c.entryGroups...)}
		if awsAuthMatch {
			o.Others = append(o.Others, fx.awsAuthSource+" "+awsAuthStatus)
		}
	case awsAuthMatch && awsAuthStatus == StatusActive:
		o = outcome{Source: fx.awsAuthSource, Status: StatusActive, Username: c.awsAuthUser, Groups: append([]string{AuthenticatedGroup}, c.awsAuthGroups...)}
		if entryMatch {
			o.Others = append(o.Others, entrySource+" "+entryStatus)
		}
	default:
		// Not mapped: the token is rejected, there is no identity.
		if awsAuthMatch {
			o.Others = append(o.Others, fx.awsAuthSource+" "+awsAuthStatus)
		}
		if entryMatch {
			o.Others = append(o.Others, entrySource+" "+entryStatus)
		}
	}
	slices.Sort(o.Others)
	return o
}

func gotResolve(r *Resolved) outcome {
	var o outcome
	if r.Principal != nil {
		o.Source, o.Status = r.Principal.Source, r.Principal.Status
	}
	o.Username = r.Username
	if len(r.Groups) > 0 {
		o.Groups = r.Groups
	}
	for _, p := range r.Others {
		o.Others = append(o.Others, p.Source+" "+p.Status)
	}
	slices.Sort(o.Others)
	return o
}

func modeName(mode string) string {
	if mode == "" {
		return "unknown"
	}
	return mode
}

func TestResolvePrecedence(t *testing.T) {
	type group struct {
		fx      principalFixture
		callers []callerFixture
	}
	groups := []group{{devRole, devCallers}, {devRolePathInAWSAuth, devPathCallers}, {aliceUser, aliceCallers}}
	cases, mapped, shadowed, ignored := 0, 0, 0, 0
	for _, mode := range modes {
		for _, pr := range presences {
			for _, g := range groups {
				for _, c := range g.callers {
					name := fmt.Sprintf("%s/%s/%s/%s", modeName(mode), pr, g.fx.name, c.name)
					cases++
					src := sources(t, mode, pr, g.fx)
					r, err := Resolve(src, c.arn)
					if err != nil {
						t.Errorf("%s: %v", name, err)
						continue
					}
					want := expectResolve(mode, pr, g.fx, c)
					got := gotResolve(r)
					if d := cmp.Diff(want, got); d != "" {
						t.Errorf("%s (-want +got):\n%s", name, d)
					}
					if r.Principal != nil {
						mapped++
						if r.Principal.ARN == "" || (r.Principal.Type != awsauth.KindRole && r.Principal.Type != awsauth.KindUser) {
							t.Errorf("%s: principal %+v", name, *r.Principal)
						}
						if strings.HasPrefix(r.Principal.Source, "access entry") && len(r.Principal.AccessPolicies) != len(g.fx.entry.AccessPolicies) {
							t.Errorf("%s: access policies %v, want those of the entry", name, r.Principal.AccessPolicies)
						}
					}
					for _, p := range r.Others {
						switch p.Status {
						case StatusShadowed:
							shadowed++
						case StatusIgnored:
							ignored++
						default:
							t.Errorf("%s: other principal %s has status %q", name, p.Source, p.Status)
						}
					}
					if r.Ambiguous {
						t.Errorf("%s: ambiguous, but no case-variant mapUsers", name)
					}
				}
			}
		}
	}
	t.Logf("Resolve: %d cases (%d modes x %d presences x %d callers): %d mapped, %d shadowed and %d ignored others",
		cases, len(modes), len(presences), len(devCallers)+len(devPathCallers)+len(aliceCallers), mapped, shadowed, ignored)
}

// The canonical ARN Resolve reports: what the authenticator matches (§4).
func TestResolveCanonicalARN(t *testing.T) {
	src := Sources{AWSAuth: store(t, map[string]string{})}
	for arn, want := range map[string]string{
		"arn:aws:sts::111122223333:assumed-role/Dev/jo@example.com": "arn:aws:iam::111122223333:role/Dev",
		"arn:aws:iam::111122223333:role/teams/Dev":                  "arn:aws:iam::111122223333:role/Dev",
		"arn:aws:iam::111122223333:role/Dev":                        "arn:aws:iam::111122223333:role/Dev",
		"arn:aws:iam::111122223333:user/eng/alice":                  "arn:aws:iam::111122223333:user/eng/alice",
		"arn:aws:iam::111122223333:root":                            "arn:aws:iam::111122223333:root",
		"arn:aws:sts::111122223333:federated-user/bob":              "arn:aws:sts::111122223333:federated-user/bob",
		"arn:aws-cn:sts::111122223333:assumed-role/Dev/s":           "arn:aws-cn:iam::111122223333:role/Dev",
	} {
		r, err := Resolve(src, arn)
		if err != nil || r.CanonicalARN != want {
			t.Errorf("Resolve(%s): canonical %q, %v; want %q", arn, r.CanonicalARN, err, want)
		}
	}
	for _, arn := range []string{"arn:aws:iam::111122223333:instance-profile/x", "arn:aws:sts::111122223333:assumed-role/Dev", "arn:nope:iam::111122223333:role/x", "Dev"} {
		if _, err := Resolve(src, arn); err == nil {
			t.Errorf("Resolve(%s): no error, want the token rejected", arn)
		}
	}
}

// Node entry types: the username and groups DescribeAccessEntry reports for the type
// (EKS user guide, "Create access entries", username table; kubernetesGroups
// ["system:nodes"], point 2 of issue 14); a node's aws-auth mapping gives its own
// groups (§6) when it applies.
func TestResolveNodeTypes(t *testing.T) {
	tests := []struct {
		entryType, arn, awsAuthUser, wantUser string
		awsAuthGroups                         []string
		// entryGroups is what DescribeAccessEntry reports; wantEntryGroups what the
		// caller gets from the entry (without system:authenticated).
		entryGroups, wantEntryGroups []string
	}{
		{eks.TypeEC2Linux, "arn:aws:sts::111122223333:assumed-role/Node/i-0123456789abcdef0", "system:node:{{EC2PrivateDNSName}}", "system:node:{{EC2PrivateDNSName}}",
			[]string{"system:bootstrappers", "system:nodes"}, []string{"system:nodes"}, []string{"system:nodes"}},
		// An entry as an older export or a hand-written file holds it, without groups:
		// system:nodes is implied, nothing more.
		{eks.TypeEC2Linux, "arn:aws:sts::111122223333:assumed-role/Node/i-0123456789abcdef0", "system:node:{{EC2PrivateDNSName}}", "system:node:{{EC2PrivateDNSName}}",
			[]string{"system:bootstrappers", "system:nodes"}, nil, []string{"system:nodes"}},
		{eks.TypeEC2Windows, "arn:aws:sts::111122223333:assumed-role/Node/i-0123456789abcdef0", "system:node:{{EC2PrivateDNSName}}", "system:node:{{EC2PrivateDNSName}}",
			[]string{"system:bootstrappers", "system:nodes", "eks:kube-proxy-windows"}, []string{"system:nodes"}, []string{"system:nodes"}},
		{eks.TypeEC2, "arn:aws:sts::111122223333:assumed-role/Node/i-0123456789abcdef0", "system:node:{{EC2PrivateDNSName}}", "system:node:{{EC2PrivateDNSName}}",
			[]string{"system:bootstrappers", "system:nodes"}, nil, nil},
		{eks.TypeFargateLinux, "arn:aws:sts::111122223333:assumed-role/Node/fargate@ip-10-0-0-1", "system:node:{{SessionName}}", "system:node:fargate-ip-10-0-0-1",
			[]string{"system:bootstrappers", "system:nodes", "system:node-proxier"}, []string{"system:nodes"}, []string{"system:nodes"}},
		{eks.TypeHybridLinux, "arn:aws:sts::111122223333:assumed-role/Node/mi-0123456789abcdef0", "system:node:{{SessionName}}", "system:node:mi-0123456789abcdef0",
			[]string{"system:bootstrappers", "system:nodes"}, []string{"system:nodes"}, []string{"system:nodes"}},
	}
	cases := 0
	for _, tc := range tests {
		yaml := fmt.Sprintf("- rolearn: arn:aws:iam::111122223333:role/Node\n  username: %q\n  groups: [%s]\n", tc.awsAuthUser, strings.Join(tc.awsAuthGroups, ", "))
		for _, mode := range modes {
			cases++
			src := Sources{AWSAuth: store(t, map[string]string{"mapRoles": yaml})}
			if mode != "" {
				src.Access = &eks.Snapshot{Cluster: eks.Cluster{AuthenticationMode: mode},
					Entries: []eks.AccessEntry{{PrincipalARN: "arn:aws:iam::111122223333:role/nodes/Node", Type: tc.entryType, KubernetesGroups: tc.entryGroups}}}
			}
			r, err := Resolve(src, tc.arn)
			if err != nil {
				t.Fatal(err)
			}
			wantSource := "access entry (" + tc.entryType + ")"
			wantGroups := append([]string{AuthenticatedGroup}, tc.wantEntryGroups...)
			if mode == eks.ModeConfigMap || mode == "" {
				wantSource = "aws-auth mapRoles[0]"
				wantGroups = append([]string{AuthenticatedGroup}, tc.awsAuthGroups...)
			}
			if r.Principal == nil || r.Principal.Source != wantSource || r.Username != tc.wantUser || !slices.Equal(r.Groups, wantGroups) {
				t.Errorf("%s %s: got %+v, want source %s user %q groups %q", tc.entryType, modeName(mode), gotResolve(r), wantSource, tc.wantUser, wantGroups)
			}
			if mode != "" && len(r.Others) != 1 {
				t.Errorf("%s %s: others %+v, want the other source", tc.entryType, modeName(mode), r.Others)
			}
		}
	}
	t.Logf("node types: %d cases", cases)
}

// mapAccounts: the fallback for principals of the account with no mapping (§4). It is
// read like the rest of aws-auth (not in API mode) and, as a mapping of a whole
// account, is never shadowed in the listing; for one principal that has an access
// entry, the entry wins (§5).
func TestMapAccountsPrecedence(t *testing.T) {
	data := map[string]string{
		"mapAccounts": "- \"111122223333\"\n",
		"mapRoles":    "- rolearn: arn:aws:iam::111122223333:role/Mapped\n  username: mapped\n",
	}
	entries := []eks.AccessEntry{{PrincipalARN: "arn:aws:iam::111122223333:role/teams/Dev", Type: eks.TypeStandard, KubernetesGroups: []string{"entry:dev"}}}
	callers := []struct {
		name, arn, fallbackUser string
		hasEntry, hasRole       bool
	}{
		// The fallback username is the canonical ARN: for a session, its role (no path).
		{"session of an unmapped role", "arn:aws:sts::111122223333:assumed-role/Other/jo@x", "arn:aws:iam::111122223333:role/Other", false, false},
		{"unmapped user", "arn:aws:iam::111122223333:user/eng/Bob", "arn:aws:iam::111122223333:user/eng/Bob", false, false},
		{"root", "arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:root", false, false},
		{"federated user", "arn:aws:sts::111122223333:federated-user/carol", "arn:aws:sts::111122223333:federated-user/carol", false, false},
		{"role with an entry", "arn:aws:sts::111122223333:assumed-role/Dev/jo", "arn:aws:iam::111122223333:role/Dev", true, false},
		{"role mapped in mapRoles", "arn:aws:sts::111122223333:assumed-role/Mapped/jo", "", false, true},
		{"other account", "arn:aws:sts::444455556666:assumed-role/Other/jo", "", false, false},
	}
	cases := 0
	for _, mode := range modes {
		src := Sources{AWSAuth: store(t, data)}
		if mode != "" {
			src.Access = &eks.Snapshot{Cluster: eks.Cluster{AuthenticationMode: mode}, Entries: entries}
		}
		// The listing: the account principal is ignored in API mode, active otherwise.
		wantAccount := StatusActive
		if mode == eks.ModeAPI {
			wantAccount = StatusIgnored
		}
		found := false
		for _, p := range All(src) {
			if p.Type == awsauth.KindAccount {
				found = true
				if p.Status != wantAccount || p.ARN != "arn:aws:iam::111122223333:*" {
					t.Errorf("%s: All: account principal %s is %s, want %s", modeName(mode), p.ARN, p.Status, wantAccount)
				}
			}
		}
		if !found {
			t.Errorf("%s: All: no account principal", modeName(mode))
		}
		for _, c := range callers {
			cases++
			name := modeName(mode) + "/" + c.name
			r, err := Resolve(src, c.arn)
			if err != nil {
				t.Fatal(err)
			}
			entryWins := c.hasEntry && (mode == eks.ModeAPI || mode == eks.ModeAPIAndConfigMap)
			awsAuthRead := mode != eks.ModeAPI
			var want outcome
			switch {
			case entryWins:
				want = outcome{Source: "access entry (STANDARD)", Status: StatusActive, Username: "arn:aws:sts::111122223333:assumed-role/Dev/jo",
					Groups: []string{AuthenticatedGroup, "entry:dev"}}
				if awsAuthRead {
					want.Others = []string{"aws-auth mapAccounts[0] " + StatusShadowed}
				} else {
					want.Others = []string{"aws-auth mapAccounts[0] " + StatusIgnored}
				}
			case c.hasRole:
				want = outcome{Source: "aws-auth mapRoles[0]", Status: StatusActive, Username: "mapped", Groups: []string{AuthenticatedGroup}}
				if !awsAuthRead {
					want = outcome{Others: []string{"aws-auth mapRoles[0] " + StatusIgnored}}
				}
			case c.fallbackUser != "":
				want = outcome{Source: "aws-auth mapAccounts[0]", Status: StatusActive, Username: c.fallbackUser, Groups: []string{AuthenticatedGroup}}
				if !awsAuthRead {
					want = outcome{Others: []string{"aws-auth mapAccounts[0] " + StatusIgnored}}
				}
				if c.hasEntry && mode == eks.ModeConfigMap {
					want.Others = []string{"access entry (STANDARD) " + StatusIgnored}
				}
			}
			if d := cmp.Diff(want, gotResolve(r)); d != "" {
				t.Errorf("%s (-want +got):\n%s", name, d)
			}
		}
	}
	t.Logf("mapAccounts: %d cases", cases)
}

// Case-variant mapUsers entries make the authenticator's answer random (§5), but only
// while aws-auth is what applies.
func TestResolveAmbiguous(t *testing.T) {
	data := map[string]string{"mapUsers": "- userarn: arn:aws:iam::111122223333:user/alice\n  username: a1\n- userarn: arn:aws:iam::111122223333:user/ALICE\n  username: a2\n"}
	entry := eks.AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:user/alice", Type: eks.TypeStandard, Username: "alice"}
	for _, mode := range modes {
		for _, withEntry := range []bool{false, true} {
			src := Sources{AWSAuth: store(t, data)}
			if mode != "" {
				src.Access = &eks.Snapshot{Cluster: eks.Cluster{AuthenticationMode: mode}}
				if withEntry {
					src.Access.Entries = []eks.AccessEntry{entry}
				}
			}
			r, err := Resolve(src, "arn:aws:iam::111122223333:user/alice")
			if err != nil {
				t.Fatal(err)
			}
			awsAuthApplies := mode != eks.ModeAPI && !(mode == eks.ModeAPIAndConfigMap && withEntry)
			if r.Ambiguous != awsAuthApplies {
				t.Errorf("%s, entry %v: Ambiguous = %v, want %v", modeName(mode), withEntry, r.Ambiguous, awsAuthApplies)
			}
		}
	}
}

// All lists every principal of every source with its status under the mode.
func TestAllPrecedence(t *testing.T) {
	cases, listed := 0, 0
	for _, mode := range modes {
		for _, pr := range presences {
			for _, fx := range []principalFixture{devRole, aliceUser} {
				cases++
				name := fmt.Sprintf("%s/%s/%s", modeName(mode), pr, fx.name)
				src := sources(t, mode, pr, fx)
				got := map[string]string{}
				for _, p := range All(src) {
					listed++
					got[p.Source+" "+p.ARN] = p.Status
				}
				want := map[string]string{}
				aws := StatusActive
				if mode == eks.ModeAPI {
					aws = StatusIgnored
				}
				ent := StatusActive
				if mode == eks.ModeConfigMap {
					ent = StatusIgnored
				}
				want["aws-auth mapRoles["+fmt.Sprint(map[bool]int{true: 1, false: 0}[pr.awsAuth() && fx.awsAuthKey == "mapRoles"])+"] arn:aws:iam::111122223333:role/Unrelated"] = aws
				if mode != "" {
					want["access entry (STANDARD) arn:aws:iam::111122223333:role/UnrelatedEntry"] = ent
				}
				if pr.awsAuth() {
					st := aws
					if mode == eks.ModeAPIAndConfigMap && pr.entry() {
						st = StatusShadowed
					}
					arn := "arn:aws:iam::111122223333:role/dev"
					if fx.awsAuthKey == "mapUsers" {
						arn = "arn:aws:iam::111122223333:user/eng/ALICE"
					}
					want[fx.awsAuthSource+" "+arn] = st
				}
				if pr.entry() && mode != "" {
					want["access entry (STANDARD) "+fx.entry.PrincipalARN] = ent
				}
				// CONFIG_MAP mode: the creator's implicit admin (point 3 of issue 14).
				if mode == eks.ModeConfigMap {
					want[CreatorSource+" "+UnknownCreatorARN] = StatusActive
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("%s (-want +got):\n%s", name, d)
				}
			}
		}
	}
	t.Logf("All: %d cases, %d principals listed", cases, listed)
}
