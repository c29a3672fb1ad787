package identity

import (
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// Point 3 of issue 14: the cluster creator. In CONFIG_MAP mode it is a cluster admin
// (system:masters) that no aws-auth entry shows (EKS user guide, "Set cluster
// authentication mode"; auth-configmap.adoc); in the API modes its admin access is an
// ordinary access entry. DescribeCluster does not name it: --cluster-creator does.
func TestClusterCreator(t *testing.T) {
	const (
		creator    = "arn:aws:iam::111122223333:role/ops/Creator" // given with its path
		creatorKey = "arn:aws:iam::111122223333:role/Creator"
		session    = "arn:aws:sts::111122223333:assumed-role/Creator/jo"
		bob        = "arn:aws:iam::111122223333:user/bob"
	)
	on, off := true, false
	awsAuth := store(t, map[string]string{"mapUsers": "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n  groups: [dev]\n"})
	cluster := func(mode string, bootstrap *bool, entries ...eks.AccessEntry) *eks.Snapshot {
		return &eks.Snapshot{Cluster: eks.Cluster{Name: "prod", AuthenticationMode: mode, BootstrapClusterCreatorAdminPermissions: bootstrap}, Entries: entries}
	}
	adminEntry := eks.AccessEntry{PrincipalARN: creator, Type: eks.TypeStandard, KubernetesGroups: []string{},
		AccessPolicies: []eks.AssociatedPolicy{{PolicyARN: eks.PolicyARNPrefix + "AmazonEKSClusterAdminPolicy", Scope: eks.Scope{Type: eks.ScopeCluster}}}}

	tests := []struct {
		name string
		src  Sources
		// caller: what access ARN answers for it.
		caller         string
		wantMapped     bool
		wantGroups     []string
		wantCreator    string // Resolved.ClusterCreator
		wantLine       string // who-can: the ARN of the creator's IAM principal line, "" for none
		wantFinding    v1alpha1.Severity
		findingMention string
	}{
		{"CONFIG_MAP, creator unknown: an unmapped principal may be it", Sources{AWSAuth: awsAuth, Access: cluster(eks.ModeConfigMap, &on)},
			bob, false, []string{}, "possible", UnknownCreatorARN, v1alpha1.SeverityMedium, "cannot be removed"},
		{"CONFIG_MAP, bootstrap flag not reported: the same", Sources{AWSAuth: awsAuth, Access: cluster(eks.ModeConfigMap, nil)},
			bob, false, []string{}, "possible", UnknownCreatorARN, v1alpha1.SeverityMedium, "cannot be removed"},
		{"CONFIG_MAP, a mapped principal is what aws-auth says", Sources{AWSAuth: awsAuth, Access: cluster(eks.ModeConfigMap, &on)},
			"arn:aws:iam::111122223333:user/alice", true, []string{AuthenticatedGroup, "dev"}, "", UnknownCreatorARN, v1alpha1.SeverityMedium, ""},
		{"CONFIG_MAP, the creator given: its session is a cluster admin", Sources{AWSAuth: awsAuth, Access: cluster(eks.ModeConfigMap, &on), CreatorARN: creator},
			session, true, []string{AuthenticatedGroup, "system:masters"}, "yes", creatorKey, v1alpha1.SeverityMedium, creatorKey},
		{"CONFIG_MAP, the creator given: another principal is not it", Sources{AWSAuth: awsAuth, Access: cluster(eks.ModeConfigMap, &on), CreatorARN: creator},
			bob, false, []string{}, "", creatorKey, v1alpha1.SeverityMedium, ""},
		{"CONFIG_MAP, bootstrap flag false: no implicit admin", Sources{AWSAuth: awsAuth, Access: cluster(eks.ModeConfigMap, &off), CreatorARN: creator},
			session, false, []string{}, "", "", "", ""},
		{"API_AND_CONFIG_MAP: the creator's entry is an ordinary entry, still admin", Sources{AWSAuth: awsAuth, Access: cluster(eks.ModeAPIAndConfigMap, &on, adminEntry), CreatorARN: creator},
			session, true, []string{AuthenticatedGroup}, "", "", v1alpha1.SeverityMedium, "AmazonEKSClusterAdminPolicy"},
		{"API: creator given, its entry removed: nothing to find", Sources{Access: cluster(eks.ModeAPI, &on), CreatorARN: creator},
			session, false, []string{}, "", "", "", ""},
		{"API: creator unknown, bootstrap flag true: unverified", Sources{Access: cluster(eks.ModeAPI, &on, adminEntry)},
			bob, false, []string{}, "", "", v1alpha1.SeverityLow, "--cluster-creator"},
		{"API: bootstrap flag false", Sources{Access: cluster(eks.ModeAPI, &off)},
			bob, false, []string{}, "", "", "", ""},
		{"mode unknown: an unmapped principal may be the creator", Sources{AWSAuth: awsAuth},
			bob, false, []string{}, "possible", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Resolve(tc.src, tc.caller)
			if err != nil {
				t.Fatal(err)
			}
			if (r.Principal != nil) != tc.wantMapped || !slices.Equal(r.Groups, tc.wantGroups) || r.ClusterCreator != tc.wantCreator {
				t.Errorf("Resolve(%s): %+v, creator %q; want mapped %v, groups %q, creator %q", tc.caller, gotResolve(r), r.ClusterCreator, tc.wantMapped, tc.wantGroups, tc.wantCreator)
			}
			if tc.wantCreator == "yes" && (r.Principal.Source != CreatorSource || r.Username != "") {
				t.Errorf("the creator's identity: %+v", gotResolve(r))
			}
			if tc.wantCreator == "possible" && !strings.Contains(r.NotMappedReason(), "unless it is the cluster creator") {
				t.Errorf("not mapped reason %q does not mention the creator", r.NotMappedReason())
			}

			// who-can: the implicit admin is a principal line reaching system:masters.
			rep := &v1alpha1.WhoCanReport{Subjects: []v1alpha1.Subject{{Kind: "Group", Name: "system:masters", Superuser: true, IAMPrincipals: []string{}}}}
			AddToWhoCan(rep, tc.src, &rbac.Query{Attributes: rbac.Attributes{Verb: "delete", Resource: "nodes"}})
			var line *v1alpha1.IAMPrincipal
			for i := range rep.IAMPrincipals {
				if rep.IAMPrincipals[i].Source == CreatorSource {
					line = &rep.IAMPrincipals[i]
				}
			}
			switch {
			case tc.wantLine == "" && line != nil:
				t.Errorf("who-can lists a creator line %+v", *line)
			case tc.wantLine != "" && (line == nil || line.ARN != tc.wantLine || !slices.Equal(line.Groups, []string{"system:masters"}) || line.Status != StatusActive ||
				!slices.Contains(rep.Subjects[0].IAMPrincipals, tc.wantLine)):
				t.Errorf("who-can creator line %+v, system:masters reached by %v; want %s", line, rep.Subjects[0].IAMPrincipals, tc.wantLine)
			}

			var got []v1alpha1.IAMFinding
			for _, f := range rep.Findings {
				if f.ID == FindingCreatorAdmin {
					got = append(got, f)
				}
			}
			switch {
			case tc.wantFinding == "" && len(got) > 0:
				t.Errorf("findings %+v, want none", got)
			case tc.wantFinding != "" && (len(got) != 1 || got[0].Severity != tc.wantFinding || !strings.Contains(got[0].Message+" "+got[0].Fix, tc.findingMention) ||
				!strings.Contains(got[0].Recommendation, "cluster creator")):
				t.Errorf("findings %+v, want one %s %s mentioning %q", got, FindingCreatorAdmin, tc.wantFinding, tc.findingMention)
			}
		})
	}

	// The creator mapped in aws-auth too: answered as the admin, the mapping listed, and
	// a warning that EKS does not document which applies.
	src := Sources{AWSAuth: awsAuth, Access: cluster(eks.ModeConfigMap, &on), CreatorARN: "arn:aws:iam::111122223333:user/alice"}
	r, err := Resolve(src, "arn:aws:iam::111122223333:user/alice")
	if err != nil {
		t.Fatal(err)
	}
	if r.ClusterCreator != "yes" || !slices.Contains(r.Groups, "system:masters") || len(r.Others) != 1 || r.Others[0].Source != "aws-auth mapUsers[0]" ||
		len(r.Warnings) != 1 || r.Warnings[0].Reason != "CreatorAlsoMapped" {
		t.Errorf("creator mapped in aws-auth too: %+v, others %+v, warnings %+v", gotResolve(r), r.Others, r.Warnings)
	}
}
