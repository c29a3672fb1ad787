package podidentity

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
)

func TestRolesOf(t *testing.T) {
	r := &v1alpha1.PodIdentityReport{ServiceAccounts: []v1alpha1.PodIdentityServiceAccount{
		{Namespace: "app", Name: "web", Roles: []v1alpha1.PodIdentityRole{
			{ARN: "arn:aws:iam::1:role/b", Via: "pod-identity", Effective: true},
			{ARN: "arn:aws:iam::1:role/a", Via: "irsa", Effective: false}, // the association wins
			{ARN: "arn:aws:iam::1:role/node", Via: "node", Effective: true},
		}},
		{Namespace: "app", Name: "batch", Roles: []v1alpha1.PodIdentityRole{{ARN: "arn:aws:iam::1:role/node", Via: "node", Effective: true}}},
		{Namespace: "app-2", Name: "web", Roles: []v1alpha1.PodIdentityRole{{ARN: "arn:aws:iam::1:role/c", Via: "irsa", Effective: true}}},
		{Namespace: "ops", Name: "none"},
	}}
	m := RolesOf(r)
	for _, c := range []struct {
		got, want []string
	}{
		{m.Of("app", "web", true), []string{"arn:aws:iam::1:role/b", "arn:aws:iam::1:role/node"}},
		{m.Of("app", "web", false), []string{"arn:aws:iam::1:role/b"}}, // a token does not give the node's role
		{m.Of("ops", "none", true), nil},
		{m.In("app", true), []string{"arn:aws:iam::1:role/b", "arn:aws:iam::1:role/node"}}, // not app-2's
		{m.In("", true), []string{"arn:aws:iam::1:role/b", "arn:aws:iam::1:role/c", "arn:aws:iam::1:role/node"}},
		{m.In("", false), []string{"arn:aws:iam::1:role/b", "arn:aws:iam::1:role/c"}},
	} {
		if d := cmp.Diff(c.want, c.got); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	}
}
