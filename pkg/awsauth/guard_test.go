package awsauth

import (
	"slices"
	"strings"
	"testing"
)

const guardRoles = `- rolearn: arn:aws:iam::111122223333:role/Node
  username: system:node:{{EC2PrivateDNSName}}
  groups: [system:bootstrappers, system:nodes]
- rolearn: arn:aws:iam::111122223333:role/Admin
  username: admin:{{SessionName}}
  groups: [platform:admins]
- rolearn: arn:aws:iam::111122223333:role/Dev
  username: dev:{{SessionName}}
  groups: [devs]
- rolearn: arn:aws:iam::111122223333:role/Dup
  username: a
- rolearn: arn:aws:iam::111122223333:role/Dup
  username: b
`

// platform:admins is bound to cluster-admin.
func isAdmin(_ string, groups []string) bool { return slices.Contains(groups, "platform:admins") }

func guards(r *GuardReport, force bool) []string {
	var out []string
	for _, v := range r.Blocking(force) {
		out = append(out, v.Guard)
	}
	return out
}

func TestGuard(t *testing.T) {
	before := map[string]string{KeyRoles: guardRoles}
	edit := func(e ...Edit) map[string]string {
		t.Helper()
		res, err := ApplyEdits(before, e)
		if err != nil {
			t.Fatal(err)
		}
		return res.Data
	}
	devCaller := &Caller{Username: "dev:jo", ARN: "arn:aws:sts::111122223333:assumed-role/Dev/jo"}
	tests := []struct {
		name      string
		after     map[string]string
		isAdmin   func(string, []string) bool
		caller    *Caller
		want      []string
		wantForce []string
	}{
		{"an unrelated add", edit(Edit{Op: OpAdd, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/New", Username: "n", Groups: []string{"n"}}), isAdmin, nil, nil, nil},
		// Removing the first entry shifts the others, whose existing AA21 error names
		// mapRoles[4]: that must not count as a new error.
		{"a remove that shifts an existing error", edit(Edit{Op: OpRemove, ARN: "arn:aws:iam::111122223333:role/Dev"}), isAdmin, nil, nil, nil},
		{"a node mapping", edit(Edit{Op: OpRemove, ARN: "arn:aws:iam::111122223333:role/Node"}), isAdmin, nil, []string{"node-mapping"}, nil},
		{"the last admin", edit(Edit{Op: OpRemove, ARN: "arn:aws:iam::111122223333:role/Admin"}), isAdmin, nil, []string{"admin-path"}, nil},
		{"RBAC unreadable", edit(Edit{Op: OpRemove, ARN: "arn:aws:iam::111122223333:role/Dev"}), nil, nil, []string{"admin-path"}, nil},
		{"a new error", map[string]string{KeyRoles: guardRoles + "- rolearn: arn:aws:iam::111122223333:role/a/b/C\n  username: c\n"}, isAdmin, nil, []string{"new-errors"}, []string{"new-errors"}},
		{"the caller's own mapping", edit(Edit{Op: OpSet, Kind: KindRole, ARN: "arn:aws:iam::111122223333:role/Dev", Username: "dev:{{SessionName}}", Groups: []string{"viewers"}}), isAdmin, devCaller, []string{"caller"}, nil},
		{"the caller, untouched", edit(Edit{Op: OpRemove, ARN: "arn:aws:iam::111122223333:role/Dup"}), isAdmin, devCaller, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Guard(GuardInput{Before: before, After: tc.after, IsAdmin: tc.isAdmin, Caller: tc.caller})
			if got := guards(r, false); !slices.Equal(got, tc.want) {
				t.Errorf("blocking %v, want %v (%+v)", got, tc.want, r.Violations)
			}
			if got := guards(r, true); !slices.Equal(got, tc.wantForce) {
				t.Errorf("with --force %v, want %v", got, tc.wantForce)
			}
		})
	}
	// The caller's mapping before and after is reported.
	r := Guard(GuardInput{Before: before, After: edit(Edit{Op: OpRemove, ARN: "arn:aws:iam::111122223333:role/Dev"}), IsAdmin: isAdmin, Caller: devCaller})
	if r.CallerBefore == nil || r.CallerBefore.Username != "dev:{{SessionName}}" || r.CallerAfter.Mapping != nil {
		t.Errorf("caller resolution: %+v -> %+v", r.CallerBefore, r.CallerAfter)
	}
	if !strings.Contains(r.Violations[0].Message, "not mapped by aws-auth") {
		t.Errorf("message: %s", r.Violations[0].Message)
	}
	// A caller that is not an IAM principal gets a note, not a refusal.
	r = Guard(GuardInput{Before: before, After: before, IsAdmin: isAdmin, Caller: &Caller{Username: "kubernetes-admin"}})
	if len(r.Violations) != 0 || len(r.Notes) != 1 {
		t.Errorf("non-IAM caller: %+v", r)
	}
}
