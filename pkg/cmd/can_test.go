package cmd

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// can --pod-identity: the steps that run code as a service account carry its IAM
// roles (IRSA from the example's annotations; with --aws-file, EKS Pod Identity
// associations too); impersonation and legacy tokens do not.
func TestCanPodIdentityRoles(t *testing.T) {
	const developer = "arn:aws:iam::111122223333:role/Developer"
	base := []string{"can", developer, "-n", "app", "-f", example, "--access-entries-file", "../../examples/access-entries.json", "--pod-identity", "-o", "json"}
	const irsa, association = "arn:aws:iam::111122223333:role/app-web-s3-read", "arn:aws:iam::111122223333:role/pi"
	for _, tc := range []struct {
		name    string
		extra   []string
		anyInNS []string // the roles of a step to any service account of app
	}{
		{"annotations only", nil, []string{irsa}},
		{"with an association", []string{"--aws-file", "testdata/pod-identity/aws.json"}, []string{irsa, association}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, append(slices.Clone(base), tc.extra...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var r v1alpha1.CanReport
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(stderr, "the IAM roles shown may miss some") {
				t.Errorf("no PodIdentityIncomplete warning on stderr:\n%s", stderr)
			}
			checked := map[string]bool{}
			for _, p := range r.Paths {
				for _, s := range p.Steps {
					var want []string
					switch {
					case s.Route == rbac.RouteImpersonate || s.Route == rbac.RouteSecrets:
					case s.Target != nil && s.Target.Name == "web":
						want = []string{irsa}
					case s.Target == nil && s.Namespace == "app":
						want = tc.anyInNS
					case s.Target != nil:
						want = nil // app/default has no role
					}
					if d := cmp.Diff(want, s.IAMRoles); d != "" {
						t.Errorf("%s -> %s: IAM roles (-want +got):\n%s", s.Route, s.LeadsTo, d)
					}
					checked[s.Route] = true
				}
			}
			for _, route := range []string{rbac.RouteCreatePods, rbac.RouteWorkloads, rbac.RouteImpersonate, rbac.RouteSecrets} {
				if !checked[route] {
					t.Errorf("no %s step to check (routes: %v)", route, checked)
				}
			}
			t.Logf("%d paths checked", len(r.Paths))
		})
	}
}

func TestCanPodIdentityUsage(t *testing.T) {
	for _, args := range [][]string{
		{"can", "user/x", "-f", example, "--pod-identity", "--escalation=false"},
		{"can", "user/x", "-f", example, "--pod-identity", "--explain", "get", "pods"},
		{"can", "user/x", "-f", example, "--aws-file", "testdata/pod-identity/aws.json"},
	} {
		_, stderr, code := run(t, args...)
		if code != 2 || !strings.Contains(stderr, "goes with") && !strings.Contains(stderr, "does not go with") {
			t.Errorf("%v: exit %d, %q; want a usage error", args, code, stderr)
		}
	}
}
