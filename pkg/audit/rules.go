package audit

import (
	"fmt"
	"slices"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/harden"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
)

// RuleInfo describes one finding id: what SARIF calls a rule.
type RuleInfo struct {
	ID    string
	Check string
	Title string
	// Recommendation the findings of this id map to.
	Recommendation string
}

// The default service account findings: harden's checks, under stable ids.
var saChecks = []struct{ id, check, rec string }{
	{"SA01", harden.CheckDefaultSAAutomount, RecAutomount},
	{"SA02", harden.CheckDefaultSABinding, RecDedicatedSA},
	{"SA03", harden.CheckDefaultSAGroup, RecDedicatedSA},
	{"SA04", harden.CheckIRSAOnDefaultSA, RecDedicatedSA},
	{"SA05", harden.CheckWorkloadDefaultSA, RecDedicatedSA},
	{"SA06", harden.CheckPodDefaultSA, RecDedicatedSA},
	{"SA07", harden.CheckMalformedIRSA, RecIRSA},
	{"SA08", harden.CheckAWSNodeWithoutIRSA, RecAWSNodeIRSA},
	{"SA09", harden.CheckDefaultSAMissing, RecDedicatedSA},
}

// saID returns the audit id of a harden check ("" for legacy-token-secret, which is
// ST01, and for checks this table does not know).
func saID(check string) (id, rec string) {
	i := slices.IndexFunc(saChecks, func(s struct{ id, check, rec string }) bool { return s.check == check })
	if i < 0 {
		return "", ""
	}
	return saChecks[i].id, saChecks[i].rec
}

// The aws-auth rules (docs/aws-auth.md): AA22 needs access entries and AA30 is the
// edit guard, so validation never reports them.
var aaTitles = map[string]string{
	"AA01": "not the ConfigMap kube-system/aws-auth", "AA02": "a data value is not a string", "AA03": "misspelled or unknown data key",
	"AA04": "duplicate data key", "AA05": "data too large, near the limit, or an invalid key", "AA06": "unparseable mapRoles/mapUsers",
	"AA07": "not a list", "AA08": "empty key", "AA09": "entry without an ARN", "AA10": "field of the wrong type", "AA11": "invalid sso entry",
	"AA12": "sso entry", "AA13": "unknown or non-canonical field", "AA14": "duplicate field", "AA15": "malformed ARN", "AA16": "session ARN",
	"AA17": "role ARN with a path", "AA18": "role in mapUsers or user in mapRoles", "AA19": "other account or partition",
	"AA20": "case-variant mapUsers", "AA21": "duplicate or dead entry", "AA23": "unknown or malformed template", "AA24": "{{EC2PrivateDNSName}} on a non-node role",
	"AA25": "empty username or no identity", "AA26": "white space or confusable characters", "AA27": "caller-chosen username",
	"AA28": "reserved system: or eks: name", "AA29": "system:masters or a repeated group", "AA31": "node mapping without the node groups or username",
	"AA32": "invalid, unquoted or duplicate account", "AA33": "account mapping", "AA34": "mapping under binaryData",
}

var piTitles = map[string]string{
	podidentity.PI01: "IRSA trust without a :sub condition", podidentity.PI02: ":sub condition admits other service accounts",
	podidentity.PI03: "no :aud = sts.amazonaws.com condition", podidentity.PI04: "role does not trust this cluster's OIDC provider, or trusts another's",
	podidentity.PI05: "trust names a service account that does not exist", podidentity.PI06: "Pod Identity trust missing or not narrowed",
	podidentity.PI07: "association for a missing service account or namespace", podidentity.PI08: "pods get the node role through IMDS",
	podidentity.PI09: "aws-node on the node role", podidentity.PI10: "IRSA annotation and Pod Identity association together",
}

var piFixes = map[string]string{
	podidentity.PI01: "add a StringEquals condition on OIDC_PROVIDER:sub = system:serviceaccount:NAMESPACE:NAME to the role's trust policy",
	podidentity.PI02: "scope the :sub condition to system:serviceaccount:NAMESPACE:NAME with StringEquals",
	podidentity.PI03: "add a StringEquals condition on OIDC_PROVIDER:aud = sts.amazonaws.com",
	podidentity.PI04: "trust this cluster's OIDC provider only (or fix the annotation)",
	podidentity.PI05: "remove the service account from the trust policy, or create it",
	podidentity.PI06: "trust pods.eks.amazonaws.com for sts:AssumeRole and sts:TagSession, narrowed with aws:RequestTag conditions",
	podidentity.PI07: "delete the association (aws eks delete-pod-identity-association) or create the service account",
	podidentity.PI08: "require IMDSv2 with a hop limit of 1 on the nodes, or give the pods a role of their own",
	podidentity.PI09: "give aws-node an IAM role (IRSA or Pod Identity) with AmazonEKS_CNI_Policy",
	podidentity.PI10: "keep one: remove the annotation or the association",
}

// Rule returns what a finding id is; ok is false for an id this package never reports.
func Rule(id string) (RuleInfo, bool) {
	if t, ok := aaTitles[id]; ok {
		return RuleInfo{ID: id, Check: CheckAWSAuth, Title: "aws-auth: " + t, Recommendation: RecAWSAuthTools}, true
	}
	if t, ok := piTitles[id]; ok {
		return RuleInfo{ID: id, Check: CheckPodIdentity, Title: "pod identity: " + t, Recommendation: podidentity.Recommendation(id)}, true
	}
	for _, s := range saChecks {
		if s.id == id {
			return RuleInfo{ID: id, Check: CheckDefaultSA, Title: "service accounts: " + s.check, Recommendation: s.rec}, true
		}
	}
	if c, ok := CheckByID(id); ok && c.ID != CheckAWSAuth && c.ID != CheckPodIdentity && c.ID != CheckDefaultSA {
		return RuleInfo{ID: id, Check: id, Title: c.Title, Recommendation: c.Recommendation}, true
	}
	return RuleInfo{}, false
}

// Rules lists every finding id, in catalogue order then by id.
func Rules() []RuleInfo {
	var out []RuleInfo
	add := func(id string) {
		if r, ok := Rule(id); ok {
			out = append(out, r)
		}
	}
	for _, c := range Catalogue() {
		switch c.ID {
		case CheckAWSAuth:
			for i := 1; i <= 34; i++ {
				add(fmt.Sprintf("AA%02d", i))
			}
		case CheckPodIdentity:
			for i := 1; i <= 10; i++ {
				add(fmt.Sprintf("PI%02d", i))
			}
		case CheckDefaultSA:
			for _, s := range saChecks {
				add(s.id)
			}
		default:
			add(c.ID)
		}
	}
	return out
}
