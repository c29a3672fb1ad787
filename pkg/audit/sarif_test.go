package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/harden"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// sarifSchema compiles the published SARIF 2.1.0 schema (testdata/SOURCE.md), with
// its formats (uri, uri-reference, date-time) asserted.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(SARIFSchema, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SARIFSchema)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(v)
}

// busy is a report with a finding of every check, on two contexts (names with
// colons and slashes, as EKS context names have), a check that did not run and a
// cluster that could not be audited.
func busy() *v1alpha1.AuditReport {
	in := clean()
	in.Context = "arn:aws:eks:us-west-2:111122223333:cluster/prod"
	in.Endpoint.PublicAccessCIDRs = []string{"0.0.0.0/0"}
	in.Access.Cluster.BootstrapClusterCreatorAdminPermissions = nil
	in.Access.Cluster.AuthenticationMode = "CONFIG_MAP"
	in.AWSAuth.Data["mapRoles"] += "- rolearn: arn:aws:iam::" + acct + ":role/admin\n  username: admin:{{SessionName}}\n  groups:\n  - system:masters\n"
	in.AWSAuth.Data["mapUsers"] = "- userarn: arn:aws:iam::" + acct + ":user/alice\n  username: alice\n  groups: [devs]\n- userarn: arn:aws:iam::" + acct + ":user/carol\n  username: carol\n  groups: [devs]\n"
	in.RBAC.ClusterRoles = append(in.RBAC.ClusterRoles, rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "read-all"},
		Rules: []rbacv1.PolicyRule{rule([]string{"get"}, []string{"*"}, []string{"*"})}})
	in.RBAC.RoleBindings = append(in.RBAC.RoleBindings, rb("app", "read-all", "ClusterRole", "read-all", subject(rbacv1.UserKind, "bob", "")))
	in.RBAC.ClusterRoleBindings = append(in.RBAC.ClusterRoleBindings, crb("anon", "view-pods", nil, subject(rbacv1.UserKind, rbac.AnonymousUser, "")))
	in.Harden.ServiceAccounts[0].Automount = nil
	in.Harden.TokenSecrets = []harden.TokenSecret{{Namespace: "app", Name: "ci-token", ServiceAccount: "ci"}}
	in.PodIdentity.Associations = []podidentity.Association{{ID: "a-1", Namespace: "app", ServiceAccount: "ghost"}}
	in.PodIdentity.Pods = []podidentity.Pod{irsaPod("web-1", nil, nil)}
	r := v1alpha1.NewAuditReport()
	r.FailOn = "low"
	AddCluster(r, v1alpha1.AuditCluster{Context: in.Context, Status: v1alpha1.AuditStatusAudited, Complete: true}, Run(in, Options{}))
	other := clean()
	other.Context, other.Endpoint = "dev west/1", nil
	other.AWSInputs[0].Status, other.AWSInputs[0].Message = "no-credentials", "no EC2 IMDS role found"
	AddCluster(r, v1alpha1.AuditCluster{Context: other.Context, Status: v1alpha1.AuditStatusAudited, Complete: true}, Run(other, Options{}))
	AddCluster(r, v1alpha1.AuditCluster{Context: "down", Status: v1alpha1.AuditStatusError, Error: "dial tcp 127.0.0.1:1: connect: connection refused"}, nil)
	Finish(r)
	return r
}

// The SARIF log validates against the published SARIF 2.1.0 schema, and has what
// GitHub code scanning needs of an upload.
func TestSARIFValidatesAgainstTheSchema(t *testing.T) {
	schema := sarifSchema(t)
	r := busy()
	data, err := SARIF(r, "v0.0.0-test")
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(t, schema, data); err != nil {
		t.Fatalf("the SARIF log does not validate: %v\n%.3000s", err, data)
	}
	checks := map[string]bool{}
	for _, f := range r.Findings {
		checks[f.Check] = true
	}
	if len(checks) != len(Catalogue()) {
		t.Errorf("the report has findings of %d checks, want all %d: %v", len(checks), len(Catalogue()), checks)
	}

	// GitHub code scanning ("SARIF support for code scanning"): a rule id the run's
	// rules define, a message, a location with an artifact URI and region.startLine,
	// fingerprints; rules with help and a help URI.
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID      string `json:"id"`
						HelpURI string `json:"helpUri"`
						Help    struct{ Text, Markdown string }
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Invocations []struct {
				Notifications []struct{ Level string } `json:"toolExecutionNotifications"`
			} `json:"invocations"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						Region           struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				Fingerprints map[string]string `json:"partialFingerprints"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	rules := run.Tool.Driver.Rules
	for _, ru := range rules {
		if !strings.HasPrefix(ru.HelpURI, guide) || ru.Help.Text == "" || ru.Help.Markdown == "" {
			t.Errorf("rule %s: help %q, helpUri %q", ru.ID, ru.Help.Text, ru.HelpURI)
		}
	}
	seen := map[string]bool{}
	for _, res := range run.Results {
		if res.RuleIndex >= len(rules) || rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %s: ruleIndex %d does not point at its rule", res.RuleID, res.RuleIndex)
		}
		if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" || res.Locations[0].PhysicalLocation.Region.StartLine < 1 {
			t.Errorf("result %s: locations %+v", res.RuleID, res.Locations)
		}
		fp := res.Fingerprints[FingerprintKey]
		if fp == "" || seen[fp] {
			t.Errorf("result %s: fingerprint %q missing or repeated", res.RuleID, fp)
		}
		seen[fp] = true
		if res.Message.Text == "" || res.Level == "" {
			t.Errorf("result %s: message %q level %q", res.RuleID, res.Message.Text, res.Level)
		}
	}
	if len(run.Results) != len(r.Findings) {
		t.Errorf("%d results for %d findings", len(run.Results), len(r.Findings))
	}
	levels := map[string]int{}
	for _, n := range run.Invocations[0].Notifications {
		levels[n.Level]++
	}
	if levels["error"] != 1 || levels["warning"] == 0 {
		t.Errorf("notifications: %v; want the cluster not audited and the checks not run", levels)
	}
	t.Logf("%d results, %d rules, notifications %v: valid SARIF 2.1.0 (%d bytes)", len(run.Results), len(rules), levels, len(data))
}

// The validator catches what GitHub would refuse: the schema check is not vacuous.
func TestSARIFSchemaRejectsBrokenLogs(t *testing.T) {
	schema := sarifSchema(t)
	data, err := SARIF(busy(), "v0.0.0-test")
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(string) string{
		"startLine 0":     func(s string) string { return strings.Replace(s, `"startLine": 1`, `"startLine": 0`, 1) },
		"unknown level":   func(s string) string { return strings.Replace(s, `"level": "warning"`, `"level": "medium"`, 1) },
		"version 2.0.0":   func(s string) string { return strings.Replace(s, `"version": "2.1.0"`, `"version": "2.0.0"`, 1) },
		"no message text": func(s string) string { return strings.Replace(s, `"message": {`, `"message": {"x": 1, `, 1) },
		"result without a rule or a message": func(s string) string {
			return strings.Replace(s, `"results": [`, `"results": [{"level": "note"}, `, 1)
		},
	} {
		broken := edit(string(data))
		if broken == string(data) {
			t.Fatalf("%s: the edit changed nothing", name)
		}
		if err := validate(t, schema, []byte(broken)); err == nil {
			t.Errorf("%s: validates, want an error", name)
		}
	}
}

func TestObjectURI(t *testing.T) {
	for _, tt := range []struct {
		ctx  string
		obj  v1alpha1.AuditObject
		want string
	}{
		{"prod", v1alpha1.AuditObject{Kind: "Pod", Namespace: "app", Name: "web-1"}, "eksiam/prod/app/Pod/web-1"},
		{"arn:aws:eks:us-west-2:1:cluster/prod", v1alpha1.AuditObject{Kind: "Group", Name: "system:masters"}, "eksiam/arn%3Aaws%3Aeks%3Aus-west-2%3A1%3Acluster%2Fprod/Group/system%3Amasters"},
		{"", v1alpha1.AuditObject{Kind: "IAMRole", Name: "admin", ARN: "arn:aws:iam::1:role/admin"}, "eksiam/_/IAMRole/arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fadmin"},
	} {
		if got := ObjectURI(tt.ctx, tt.obj); got != tt.want {
			t.Errorf("ObjectURI(%q, %+v) = %s, want %s", tt.ctx, tt.obj, got, tt.want)
		}
	}
}
