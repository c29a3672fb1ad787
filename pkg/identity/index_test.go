package identity

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// Fragments that generated usernames, groups and subject names are built from, chosen
// so that templates and fixed names collide often.
var (
	fragments = []string{"", "a", "ab", "admin", "admin:", ":", "dev-", "-x", "system:node:", "@", "ops", "{{", "}}", "é"}
	tokens    = []string{"{{SessionName}}", "{{SessionNameRaw}}", "{{AccountID}}", "{{EC2PrivateDNSName}}", "{{AccessKeyID}}", "{{bogus-token}}"}
	kinds     = []string{awsauth.KindRole, awsauth.KindUser, awsauth.KindAccount}
	statuses  = []string{StatusActive, StatusActive, StatusActive, StatusShadowed, StatusIgnored}
)

func genName(r *rand.Rand, templates bool) string {
	var b strings.Builder
	for range 1 + r.IntN(4) {
		if templates && r.IntN(3) == 0 {
			b.WriteString(tokens[r.IntN(len(tokens))])
		} else {
			b.WriteString(fragments[r.IntN(len(fragments))])
		}
	}
	return b.String()
}

func genPrincipals(r *rand.Rand, n int) []Principal {
	ps := make([]Principal, n)
	for i := range ps {
		p := Principal{ARN: fmt.Sprintf("arn:aws:iam::111122223333:role/p%d", i), Type: kinds[r.IntN(len(kinds))],
			Source: fmt.Sprintf("aws-auth mapRoles[%d]", i), Username: genName(r, true), Status: statuses[r.IntN(len(statuses))]}
		if r.IntN(5) == 0 {
			p.Username = "system:serviceaccount:" + genName(r, false) + ":" + genName(r, false)
		}
		for range r.IntN(3) {
			p.Groups = append(p.Groups, genName(r, false))
		}
		ps[i] = p
	}
	return ps
}

// TestIndexAgreesWithScan checks the index against the definitions it replaces
// (Principal.Reaches and Principal.RenderedForm, one principal at a time) on
// generated principals and subjects.
func TestIndexAgreesWithScan(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	var checks, reached, rendered int
	for round := range 200 {
		ps := genPrincipals(r, 1+r.IntN(40))
		ix := NewIndex(ps)
		for range 60 {
			s := Subject{Kind: []string{"User", "Group", "ServiceAccount"}[r.IntN(3)], Name: genName(r, r.IntN(4) == 0)}
			switch {
			case s.Kind == "Group" && r.IntN(8) == 0:
				s.Name = AuthenticatedGroup
			case s.Kind == "ServiceAccount":
				s.Namespace = genName(r, false)
			case r.IntN(3) == 0:
				// A name some principal uses, or one rendering of its template.
				p := ps[r.IntN(len(ps))]
				s.Name = p.Username
				if s.Kind == "Group" && len(p.Groups) > 0 {
					s.Name = p.Groups[r.IntN(len(p.Groups))]
				}
				s.Name = strings.NewReplacer("{{SessionName}}", "jo", "{{AccountID}}", "1", "{{SessionNameRaw}}", "jo@x").Replace(s.Name)
			}
			var wantReach, wantRender []int
			for i := range ps {
				if ps[i].Reaches(s) {
					wantReach = append(wantReach, i)
				}
				if s.Kind == "User" && ps[i].Status == StatusActive && ps[i].RenderedForm(s.Name) {
					wantRender = append(wantRender, i)
				}
			}
			gotReach := ix.Reaching(s)
			var gotRender []int
			if s.Kind == "User" {
				gotRender = ix.RenderingsOf(s.Name)
			}
			checks++
			reached += len(wantReach)
			rendered += len(wantRender)
			if !slices.Equal(wantReach, gotReach) {
				t.Fatalf("round %d: Reaching(%+v) = %v, want %v (principals %+v)", round, s, gotReach, wantReach, ps)
			}
			if !slices.Equal(wantRender, gotRender) {
				t.Fatalf("round %d: RenderingsOf(%q) = %v, want %v (principals %+v)", round, s.Name, gotRender, wantRender, ps)
			}
		}
	}
	t.Logf("%d subjects checked against a scan of every principal: %d reaches, %d renderings, 0 disagreements", checks, reached, rendered)
	if reached == 0 || rendered == 0 {
		t.Fatal("the generator produced no reach or no rendering: the test proves nothing")
	}
}

// BenchmarkWhoCanIAMView is the IAM view of a who-can answer with 10,000 subjects and
// 1,000 principals (800 aws-auth mappings, a fifth of them with username templates,
// and 200 access entries with access policies).
func BenchmarkWhoCanIAMView(b *testing.B) {
	const subjects, mappings, entries = 10_000, 800, 200
	var roles, users strings.Builder
	for i := range mappings {
		username := fmt.Sprintf("user-%d", i)
		switch i % 5 {
		case 0:
			username = fmt.Sprintf("team-%d:{{SessionName}}", i%40)
		case 1:
			username = "system:node:{{EC2PrivateDNSName}}"
		}
		if i%10 == 9 {
			fmt.Fprintf(&users, "- userarn: arn:aws:iam::111122223333:user/u%d\n  username: %s\n  groups: [team-%d]\n", i, username, i%200)
			continue
		}
		fmt.Fprintf(&roles, "- rolearn: arn:aws:iam::111122223333:role/r%d\n  username: %q\n  groups: [team-%d, shared]\n", i, username, i%200)
	}
	store := awsauth.NewStore(awsauth.Parse(map[string]string{"mapRoles": roles.String(), "mapUsers": users.String(), "mapAccounts": "- \"444455556666\"\n"}))
	access := &eks.Snapshot{Cluster: eks.Cluster{Name: "bench", AuthenticationMode: eks.ModeAPIAndConfigMap}}
	for i := range entries {
		access.Entries = append(access.Entries, eks.AccessEntry{PrincipalARN: fmt.Sprintf("arn:aws:iam::111122223333:role/r%d", i*4+2), Type: eks.TypeStandard,
			KubernetesGroups: []string{fmt.Sprintf("team-%d", i%200)},
			AccessPolicies:   []eks.AssociatedPolicy{{PolicyARN: eks.PolicyARNPrefix + "AmazonEKSViewPolicy", Scope: eks.Scope{Type: eks.ScopeNamespace, Namespaces: []string{"dev-*"}}}}})
	}
	src := Sources{AWSAuth: store, Access: access}
	subjectsOf := func() []v1alpha1.Subject {
		out := make([]v1alpha1.Subject, 0, subjects)
		for i := range subjects {
			s := v1alpha1.Subject{Kind: "User", Name: fmt.Sprintf("user-%d", i), IAMPrincipals: []string{}}
			switch i % 4 {
			case 1:
				s = v1alpha1.Subject{Kind: "Group", Name: fmt.Sprintf("team-%d", i%250), IAMPrincipals: []string{}}
			case 2:
				s = v1alpha1.Subject{Kind: "ServiceAccount", Namespace: fmt.Sprintf("ns-%d", i%500), Name: "sa", IAMPrincipals: []string{}}
			case 3:
				s.Name = fmt.Sprintf("team-%d:jo%d", i%50, i)
			}
			out = append(out, s)
		}
		out = append(out, v1alpha1.Subject{Kind: "Group", Name: AuthenticatedGroup, IAMPrincipals: []string{}},
			v1alpha1.Subject{Kind: "User", Name: "arn:aws:iam::444455556666:role/Anything", IAMPrincipals: []string{}})
		return out
	}
	q := &rbac.Query{Attributes: rbac.Attributes{Verb: "list", Resource: "secrets"}, AllNamespaces: true}
	var reached, warnings int
	for b.Loop() {
		b.StopTimer()
		r := &v1alpha1.WhoCanReport{Subjects: subjectsOf()}
		b.StartTimer()
		AddToWhoCan(r, src, q)
		reached, warnings = len(r.IAMPrincipals), len(r.Warnings)
	}
	b.ReportMetric(float64(reached), "principals-reached")
	b.ReportMetric(float64(warnings), "warnings")
}

// TestRenderedWarningsOnePerPrincipal: every User that renders a principal's username
// template is named in one warning per principal, not one per pair.
func TestRenderedWarningsOnePerPrincipal(t *testing.T) {
	store := awsauth.NewStore(awsauth.Parse(map[string]string{"mapRoles": `- rolearn: arn:aws:iam::111122223333:role/Admin
  username: admin:{{SessionName}}
  groups: [admins]
- rolearn: arn:aws:iam::111122223333:role/Dev
  username: "{{SessionName}}"
`}))
	r := &v1alpha1.WhoCanReport{}
	for i := range 12 {
		r.Subjects = append(r.Subjects, v1alpha1.Subject{Kind: "User", Name: fmt.Sprintf("admin:u%02d", i), IAMPrincipals: []string{}})
	}
	r.Subjects = append(r.Subjects, v1alpha1.Subject{Kind: "User", Name: "jo", IAMPrincipals: []string{}})
	AddToWhoCan(r, Sources{AWSAuth: store}, &rbac.Query{Attributes: rbac.Attributes{Verb: "get", Resource: "pods", Namespace: "app"}})
	var got []string
	for _, w := range r.Warnings {
		got = append(got, w.Reason+": "+w.Message[:strings.Index(w.Message, " of the username")])
	}
	want := []string{
		"RenderedUsernameBinding: Users admin:u00, admin:u01, admin:u02, admin:u03, admin:u04, admin:u05, admin:u06, admin:u07, admin:u08, admin:u09 and 2 more are renderings",
		"RenderedUsernameBinding: Users admin:u00, admin:u01, admin:u02, admin:u03, admin:u04, admin:u05, admin:u06, admin:u07, admin:u08, admin:u09 and 3 more are renderings",
	}
	if !slices.Equal(want, got) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, s := range r.Subjects {
		if len(s.IAMPrincipals) != 0 {
			t.Errorf("%s: a rendering is not the principal's own access, got %v", s.Name, s.IAMPrincipals)
		}
	}
}
