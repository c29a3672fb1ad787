package iampolicy

import (
	"fmt"
	"slices"
	"strings"
)

// Tri is a three-valued truth: a test whose inputs are not all known is Unknown.
type Tri int

// Truth values.
const (
	False Tri = iota
	True
	Unknown
)

func and(a, b Tri) Tri {
	switch {
	case a == False || b == False:
		return False
	case a == Unknown || b == Unknown:
		return Unknown
	}
	return True
}

// Principal is who makes a request: its type as the Principal element names it
// (AWS, Federated, Service) and its identifier (an ARN, a provider ARN, a service name).
type Principal struct {
	Type string
	ID   string
}

// Principal types.
const (
	PrincipalAWS       = "AWS"
	PrincipalFederated = "Federated"
	PrincipalService   = "Service"
)

// Request is one request to evaluate a resource-based policy (a trust policy) against.
type Request struct {
	Action    string
	Principal Principal
	// Context holds the request's condition keys and their values. Key names are
	// compared case-insensitively, as IAM does.
	Context map[string][]string
	// Absent reports whether a key that Context does not hold is known to be absent
	// from the request (lower-case key). When it is nil or returns false, the key's
	// value is unknown and a condition on it evaluates to Unknown.
	Absent func(key string) bool
}

// Outcome of an evaluation.
type Outcome int

// Outcomes.
const (
	// NotAllowed: no statement allows the request (IAM's implicit deny).
	NotAllowed Outcome = iota
	// Allowed: a statement allows it and no Deny statement can apply.
	Allowed
	// Denied: a Deny statement applies; it wins over any Allow.
	Denied
	// Undetermined: the answer depends on something not evaluated (see Result.Notes).
	Undetermined
)

func (o Outcome) String() string {
	return [...]string{"not allowed", "allowed", "denied", "undetermined"}[o]
}

// Result of evaluating a policy against a request.
type Result struct {
	Outcome Outcome
	// Statement indexes whose every test holds (Allowing, Denying) or may hold
	// (MaybeAllowing, MaybeDenying).
	Allowing, MaybeAllowing, Denying, MaybeDenying []int
	// Notes say what was not evaluated, sorted, without duplicates.
	Notes []string
}

// Evaluate evaluates the policy for the request, as IAM documents it: a statement
// applies when its principal, action and every condition match; an applicable Deny
// wins; otherwise an applicable Allow grants; otherwise the request is not allowed.
func (p *Policy) Evaluate(req Request) Result {
	ctx := make(map[string][]string, len(req.Context))
	for k, v := range req.Context {
		ctx[strings.ToLower(k)] = v
	}
	e := &evaluator{req: req, ctx: ctx}
	var r Result
	for i := range p.Statements {
		s := &p.Statements[i]
		t := e.statement(s)
		switch {
		case s.Effect == Allow && t == True:
			r.Allowing = append(r.Allowing, s.Index)
		case s.Effect == Allow && t == Unknown:
			r.MaybeAllowing = append(r.MaybeAllowing, s.Index)
		case s.Effect == Deny && t == True:
			r.Denying = append(r.Denying, s.Index)
		case s.Effect == Deny && t == Unknown:
			r.MaybeDenying = append(r.MaybeDenying, s.Index)
		}
	}
	switch {
	case len(r.Denying) > 0:
		r.Outcome = Denied
	case len(r.Allowing) > 0 && len(r.MaybeDenying) == 0:
		r.Outcome = Allowed
	case len(r.Allowing) > 0 || len(r.MaybeAllowing) > 0:
		r.Outcome = Undetermined
	default:
		r.Outcome = NotAllowed
	}
	slices.Sort(e.notes)
	r.Notes = slices.Compact(e.notes)
	return r
}

// StatementTest evaluates one statement's principal, action and conditions for req
// (whatever its effect).
func (p *Policy) StatementTest(i int, req Request) (Tri, []string) {
	ctx := make(map[string][]string, len(req.Context))
	for k, v := range req.Context {
		ctx[strings.ToLower(k)] = v
	}
	e := &evaluator{req: req, ctx: ctx}
	t := e.statement(&p.Statements[i])
	slices.Sort(e.notes)
	return t, slices.Compact(e.notes)
}

// Applies reports whether the statement names the principal and the action
// (conditions aside).
func (s *Statement) Applies(pr Principal, action string) bool {
	e := &evaluator{req: Request{Principal: pr, Action: action}}
	return e.principal(s) != False && e.action(s) == True
}

type evaluator struct {
	req   Request
	ctx   map[string][]string
	notes []string
}

func (e *evaluator) note(format string, args ...any) {
	e.notes = append(e.notes, fmt.Sprintf(format, args...))
}

func (e *evaluator) statement(s *Statement) Tri {
	if s.Effect != Allow && s.Effect != Deny {
		e.note("statement %d: Effect %q is neither Allow nor Deny: ignored", s.Index, s.Effect)
		return False
	}
	t := and(e.principal(s), e.action(s))
	if t == False {
		return False
	}
	for _, c := range s.Conditions {
		t = and(t, e.condition(s.Index, c))
		if t == False {
			return False
		}
	}
	return t
}

func (e *evaluator) principal(s *Statement) Tri {
	if s.NotPrincipal != nil {
		e.note("statement %d: NotPrincipal is not evaluated", s.Index)
		return Unknown
	}
	p := s.Principal
	if p == nil {
		return False // a trust policy statement without Principal names nobody
	}
	if p.All {
		return True
	}
	// {"AWS": "*"} is documented as every principal, like "*".
	if slices.Contains(p.ByType[PrincipalAWS], "*") {
		return True
	}
	pr := e.req.Principal
	for typ, vals := range p.ByType {
		if typ != pr.Type {
			continue
		}
		for _, v := range vals {
			switch {
			case strings.EqualFold(v, pr.ID):
				return True
			case typ == PrincipalAWS && accountOf(pr.ID) != "" && (v == accountOf(pr.ID) || v == "arn:"+partitionOf(pr.ID)+":iam::"+accountOf(pr.ID)+":root"):
				e.note("statement %d: trusts account %s, so it admits %s only if the role's own permissions allow it (not evaluated)", s.Index, accountOf(pr.ID), pr.ID)
				return True
			}
		}
	}
	return False
}

func (e *evaluator) action(s *Statement) Tri {
	switch {
	case s.HasAction:
		for _, a := range s.Actions {
			if Glob(strings.ToLower(a), strings.ToLower(e.req.Action)) {
				return True
			}
		}
		return False
	case s.NotActions != nil:
		for _, a := range s.NotActions {
			if Glob(strings.ToLower(a), strings.ToLower(e.req.Action)) {
				return False
			}
		}
		return True
	}
	return False
}

// Condition operators, by base name: whether the operator is negated, and how one
// policy value matches one request value.
var operators = map[string]struct {
	negated bool
	match   func(policy, value string) bool
}{
	"StringEquals":              {false, func(p, v string) bool { return p == v }},
	"StringNotEquals":           {true, func(p, v string) bool { return p == v }},
	"StringEqualsIgnoreCase":    {false, strings.EqualFold},
	"StringNotEqualsIgnoreCase": {true, strings.EqualFold},
	"StringLike":                {false, Glob},
	"StringNotLike":             {true, Glob},
	"ArnEquals":                 {false, arnLike},
	"ArnLike":                   {false, arnLike},
	"ArnNotEquals":              {true, arnLike},
	"ArnNotLike":                {true, arnLike},
	"Bool":                      {false, strings.EqualFold},
}

// condition evaluates one condition key test.
func (e *evaluator) condition(stmt int, c Condition) Tri {
	key := strings.ToLower(c.Key)
	if c.Qualifier != "" && c.Qualifier != "ForAnyValue" && c.Qualifier != "ForAllValues" {
		e.note("statement %d: condition operator %s is not evaluated (unknown qualifier)", stmt, c.Operator)
		return Unknown
	}
	for _, v := range c.Values {
		if strings.Contains(v, "${") {
			e.note("statement %d: policy variable in %s is not evaluated", stmt, c)
			return Unknown
		}
	}
	vals, present := e.ctx[key]
	known := present || (e.req.Absent != nil && e.req.Absent(key))
	if c.Base == "Null" {
		if !known {
			e.note("statement %d: the value of %s is not known", stmt, c.Key)
			return Unknown
		}
		want := Unknown
		for _, v := range c.Values {
			switch strings.ToLower(v) {
			case "true":
				want = tri(!present)
			case "false":
				want = tri(present)
			}
		}
		if want == Unknown {
			e.note("statement %d: Null takes true or false, not %v", stmt, c.Values)
		}
		return want
	}
	op, ok := operators[c.Base]
	if !ok {
		e.note("statement %d: condition operator %s is not evaluated", stmt, c.Operator)
		return Unknown
	}
	if !known {
		e.note("statement %d: the value of %s is not known", stmt, c.Key)
		return Unknown
	}
	if !present {
		// A missing key: false, except that IfExists, negated operators and
		// ForAllValues (an empty set) are true; ForAnyValue is false.
		switch {
		case c.IfExists:
			return True
		case c.Qualifier == "ForAllValues":
			return True
		case c.Qualifier == "ForAnyValue":
			return False
		}
		return tri(op.negated)
	}
	matches := func(v string) bool {
		for _, p := range c.Values {
			if op.match(p, v) {
				return true
			}
		}
		return false
	}
	// For a negated operator, a request value passes when it matches none of the
	// policy's values; otherwise when it matches one.
	passes := func(v string) bool { return matches(v) != op.negated }
	switch c.Qualifier {
	case "ForAllValues":
		for _, v := range vals {
			if !passes(v) {
				return False
			}
		}
		return True
	case "ForAnyValue":
		for _, v := range vals {
			if passes(v) {
				return True
			}
		}
		return False
	}
	// A single-valued test: values ORed; negated operators NORed.
	any := false
	for _, v := range vals {
		if matches(v) {
			any = true
		}
	}
	return tri(any != op.negated)
}

func tri(b bool) Tri {
	if b {
		return True
	}
	return False
}

// Glob reports whether s matches pattern, where '*' matches any run of characters
// (none included) and '?' exactly one, as in StringLike. It is case-sensitive.
func Glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]) && pattern[p] != '*':
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// HasWildcard reports whether a StringLike value matches more than itself.
func HasWildcard(pattern string) bool { return strings.ContainsAny(pattern, "*?") }

// arnLike compares two ARNs as ArnLike does: each of the six colon-separated
// components separately, each with '*' and '?' wildcards, case-sensitively.
func arnLike(pattern, arn string) bool {
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return false
	}
	for i := range pp {
		if !Glob(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

func partitionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 2 {
		return "aws"
	}
	return parts[1]
}
