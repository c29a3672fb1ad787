package awsauth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
)

// Caller is who is making an edit, as the API server sees them.
type Caller struct {
	Username string
	Groups   []string
	// ARN is the caller's IAM ARN when the cluster authenticates them through IAM (on
	// EKS, the "arn" extra of SelfSubjectReview); "" otherwise.
	ARN string
}

// GuardInput is what the lockout guards look at.
type GuardInput struct {
	Before, After map[string]string
	Options       Options
	// IsAdmin reports whether a mapped identity (username, groups) may do everything
	// in the cluster through RBAC. nil means RBAC could not be read.
	IsAdmin func(username string, groups []string) bool
	Caller  *Caller
}

// Violation is a reason to refuse an edit.
type Violation struct {
	// Guard names the guard: new-errors, node-mapping, admin-path, caller.
	Guard   string
	Message string
	// Forceable violations are overridden by --force; new validation errors are not.
	Forceable bool
}

// GuardReport is the outcome of the guards: violations, and facts to show the user.
type GuardReport struct {
	Violations []Violation
	Notes      []string
	// CallerBefore and CallerAfter are the caller's resolved mapping, when the caller
	// is an IAM principal.
	CallerBefore, CallerAfter *Resolution
}

// Guard checks an edit against the lockout hazards of AWS-AUTH.md §11: new ERROR
// findings (§10), removed or rewritten node and Fargate mappings (rule 30), the last
// working admin mapping gone, and the caller's own mapping changed.
func Guard(in GuardInput) *GuardReport {
	r := &GuardReport{}
	before := Validate(&Object{Kind: "ConfigMap", Name: Name, Namespace: Namespace, Data: in.Before}, in.Options)
	after := Validate(&Object{Kind: "ConfigMap", Name: Name, Namespace: Namespace, Data: in.After}, in.Options)
	for _, f := range NewErrors(before, after) {
		r.Violations = append(r.Violations, Violation{Guard: "new-errors",
			Message: fmt.Sprintf("the result would have a new error: %s %s at %s: %s", f.Rule, f.Name, f.Location, f.Message)})
	}

	d := Compare(in.Before, in.After)
	for _, c := range d.Changes {
		if c.Old == nil || !slices.Contains(c.Old.Groups, GroupNodes) {
			continue
		}
		what := "removes"
		if c.Type == Changed {
			what = "changes the " + strings.Join(c.Fields, " and ") + " of"
		}
		r.Violations = append(r.Violations, Violation{Guard: "node-mapping", Forceable: true,
			Message: fmt.Sprintf("the edit %s the node mapping %s (AA30): nodes that use it stop joining the cluster", what, c.ARN)})
	}

	beforeStore, afterStore := NewStore(Parse(in.Before)), NewStore(Parse(in.After))
	if in.IsAdmin == nil {
		r.Violations = append(r.Violations, Violation{Guard: "admin-path", Forceable: true,
			Message: "cannot check that a working admin mapping remains: RBAC could not be read"})
	} else {
		hadAdmin := adminMappings(beforeStore, before, in.IsAdmin)
		hasAdmin := adminMappings(afterStore, after, in.IsAdmin)
		switch {
		case len(hasAdmin) == 0 && len(hadAdmin) > 0:
			r.Violations = append(r.Violations, Violation{Guard: "admin-path", Forceable: true,
				Message: fmt.Sprintf("the edit leaves no working admin mapping (there was %s): keep one role or user that maps to system:masters or to a group bound to cluster-admin", strings.Join(hadAdmin, ", "))})
		case len(hasAdmin) == 0:
			r.Notes = append(r.Notes, "no working admin mapping in aws-auth before or after the edit: admins must come from access entries or the cluster creator")
		}
	}

	if in.Caller != nil && in.Caller.ARN != "" {
		canonical, err := iamarn.CanonicalCaller(in.Caller.ARN)
		if err != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("the caller's ARN %s cannot be canonicalized (%v): the caller check does not apply", in.Caller.ARN, err))
		} else {
			b, a := beforeStore.Resolve(canonical), afterStore.Resolve(canonical)
			r.CallerBefore, r.CallerAfter = &b, &a
			if !sameResolution(b, a) {
				r.Violations = append(r.Violations, Violation{Guard: "caller", Forceable: true,
					Message: fmt.Sprintf("the edit changes your own mapping (%s): %s -> %s", canonical, describeResolution(b), describeResolution(a))})
			}
		}
	} else if in.Caller != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("you are %q, not an IAM principal: the check of your own mapping does not apply", in.Caller.Username))
	}
	return r
}

// adminMappings names the mappings that give full access and work: active, with no
// ERROR finding on their entry, mapped to system:masters or to a username or group
// that RBAC allows everything.
func adminMappings(s *Store, findings []Finding, isAdmin func(string, []string) bool) []string {
	broken := map[string]bool{}
	for _, f := range findings {
		if f.Severity == Error && f.Location.Entry >= 0 {
			broken[fmt.Sprintf("%s[%d]", f.Location.Key, f.Location.Entry)] = true
		}
	}
	var out []string
	for _, m := range s.Active() {
		if m.Kind == KindAccount || m.Status != StatusActive || broken[fmt.Sprintf("%s[%d]", m.Key, m.Index)] || m.SSO != nil {
			continue
		}
		if slices.Contains(m.Groups, GroupMasters) || isAdmin(m.Username, m.Groups) {
			out = append(out, m.ARN)
		}
	}
	return out
}

func sameResolution(a, b Resolution) bool {
	if (a.Mapping == nil) != (b.Mapping == nil) {
		return false
	}
	return a.Username == b.Username && slices.Equal(sortedSet(a.Groups), sortedSet(b.Groups)) && a.Ambiguous == b.Ambiguous
}

// DescribeResolution says what a caller maps to, for messages.
func describeResolution(r Resolution) string {
	if r.Mapping == nil {
		return "not mapped by aws-auth"
	}
	return fmt.Sprintf("username %q, groups [%s] (%s[%d])", r.Username, strings.Join(r.Groups, ", "), r.Mapping.Key, r.Mapping.Index)
}

// DescribeResolution says what a caller maps to.
func DescribeResolution(r Resolution) string { return describeResolution(r) }

// Blocking returns the violations --force does not lift, and all of them without force.
func (r *GuardReport) Blocking(force bool) []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if !force || !v.Forceable {
			out = append(out, v)
		}
	}
	return out
}
