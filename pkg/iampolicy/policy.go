// Package iampolicy reads IAM policy documents (trust policies above all) and
// evaluates them against one request the way the IAM User Guide documents: an
// explicit Deny wins, any Allow grants, and the conditions of a statement are ANDed.
// What it cannot evaluate (unsupported operators, policy variables, context keys
// whose values are not known) makes the answer Unknown, with a note saying why,
// rather than a guess. Pure: no I/O.
package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	Statements []Statement
}

// Effects.
const (
	Allow = "Allow"
	Deny  = "Deny"
)

// Statement is one statement, in document order (Index counts from 0).
type Statement struct {
	Index  int
	Sid    string
	Effect string
	// Principal is nil when the statement has none; NotPrincipal likewise.
	Principal    *Principals
	NotPrincipal *Principals
	// Actions and NotActions as written; a statement has one or the other.
	Actions    []string
	NotActions []string
	HasAction  bool
	// Conditions in a stable order: by operator, then key, as written.
	Conditions []Condition
}

// Principals is a Principal element: "*" (All), or principals by type (AWS,
// Federated, Service, CanonicalUser).
type Principals struct {
	All    bool
	ByType map[string][]string
}

// Condition is one condition key test of a Condition block.
type Condition struct {
	// Operator as written, for example "ForAnyValue:StringLikeIfExists".
	Operator string
	// Base operator without qualifier and IfExists, for example "StringLike".
	Base string
	// Qualifier is "", "ForAnyValue" or "ForAllValues".
	Qualifier string
	IfExists  bool
	// Key as written; IAM compares key names case-insensitively.
	Key    string
	Values []string
}

// String renders the condition as it reads in the policy, for messages.
func (c Condition) String() string {
	vals := make([]string, len(c.Values))
	for i, v := range c.Values {
		vals[i] = strconv.Quote(v)
	}
	v := strings.Join(vals, ", ")
	if len(vals) != 1 {
		v = "[" + v + "]"
	}
	return fmt.Sprintf("%s %s %s", c.Operator, c.Key, v)
}

// DecodeDocument returns the JSON of a policy document as IAM's API returns it
// (URL-encoded, which the AWS SDK for Go does not decode) or as the AWS CLI prints it
// (plain JSON). Only %XX escapes are decoded; '+' is kept, as botocore does.
func DecodeDocument(doc string) (string, error) {
	t := strings.TrimSpace(doc)
	if strings.HasPrefix(t, "{") {
		return t, nil
	}
	d, err := url.PathUnescape(t)
	if err != nil {
		return "", fmt.Errorf("policy document is neither JSON nor URL-encoded JSON: %v", err)
	}
	return strings.TrimSpace(d), nil
}

// ParseDocument decodes (see DecodeDocument) and parses a policy document.
func ParseDocument(doc string) (*Policy, error) {
	d, err := DecodeDocument(doc)
	if err != nil {
		return nil, err
	}
	return Parse([]byte(d))
}

type rawPolicy struct {
	Version   string          `json:"Version"`
	Statement json.RawMessage `json:"Statement"`
}

type rawStatement struct {
	Sid          string                                `json:"Sid"`
	Effect       string                                `json:"Effect"`
	Principal    json.RawMessage                       `json:"Principal"`
	NotPrincipal json.RawMessage                       `json:"NotPrincipal"`
	Action       json.RawMessage                       `json:"Action"`
	NotAction    json.RawMessage                       `json:"NotAction"`
	Condition    map[string]map[string]json.RawMessage `json:"Condition"`
}

// Parse parses policy JSON. Statement may be one object or a list; Action,
// NotAction and principal values may be a string or a list; condition values may
// be strings, booleans or numbers, alone or in a list.
func Parse(data []byte) (*Policy, error) {
	var rp rawPolicy
	if err := json.Unmarshal(data, &rp); err != nil {
		return nil, fmt.Errorf("policy document: %v", err)
	}
	p := &Policy{Version: rp.Version}
	var raws []rawStatement
	st := bytes.TrimSpace(rp.Statement)
	switch {
	case len(st) == 0 || string(st) == "null":
		return nil, fmt.Errorf("policy document has no Statement")
	case st[0] == '[':
		if err := json.Unmarshal(st, &raws); err != nil {
			return nil, fmt.Errorf("policy Statement: %v", err)
		}
	default:
		var one rawStatement
		if err := json.Unmarshal(st, &one); err != nil {
			return nil, fmt.Errorf("policy Statement: %v", err)
		}
		raws = []rawStatement{one}
	}
	for i, r := range raws {
		s := Statement{Index: i, Sid: r.Sid, Effect: r.Effect}
		var err error
		where := func(err error) error { return fmt.Errorf("policy Statement[%d]: %v", i, err) }
		if s.Principal, err = parsePrincipals(r.Principal); err != nil {
			return nil, where(fmt.Errorf("element Principal: %v", err))
		}
		if s.NotPrincipal, err = parsePrincipals(r.NotPrincipal); err != nil {
			return nil, where(fmt.Errorf("element NotPrincipal: %v", err))
		}
		if s.Actions, err = stringOrList(r.Action); err != nil {
			return nil, where(fmt.Errorf("element Action: %v", err))
		}
		if s.NotActions, err = stringOrList(r.NotAction); err != nil {
			return nil, where(fmt.Errorf("element NotAction: %v", err))
		}
		s.HasAction = r.Action != nil
		for op, keys := range r.Condition {
			for key, raw := range keys {
				vals, err := conditionValues(raw)
				if err != nil {
					return nil, where(fmt.Errorf("element Condition %s %s: %v", op, key, err))
				}
				s.Conditions = append(s.Conditions, newCondition(op, key, vals))
			}
		}
		slices.SortFunc(s.Conditions, func(a, b Condition) int {
			if c := strings.Compare(a.Operator, b.Operator); c != 0 {
				return c
			}
			return strings.Compare(a.Key, b.Key)
		})
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

func newCondition(op, key string, vals []string) Condition {
	c := Condition{Operator: op, Key: key, Values: vals}
	base := op
	if q, rest, ok := strings.Cut(base, ":"); ok {
		c.Qualifier, base = q, rest
	}
	if b, ok := strings.CutSuffix(base, "IfExists"); ok {
		c.IfExists, base = true, b
	}
	c.Base = base
	return c
}

func parsePrincipals(raw json.RawMessage) (*Principals, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		if s != "*" {
			return nil, fmt.Errorf("a string principal must be \"*\", got %q", s)
		}
		return &Principals{All: true}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	p := &Principals{ByType: map[string][]string{}}
	for typ, v := range m {
		vals, err := stringOrList(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", typ, err)
		}
		p.ByType[typ] = vals
	}
	return p, nil
}

func stringOrList(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '[' {
		var out []string
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, err
		}
		return out, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// conditionValues reads a condition's value or values: strings, booleans and
// numbers, as IAM accepts them, kept as the text they stand for.
func conditionValues(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	var items []json.RawMessage
	if len(raw) > 0 && raw[0] == '[' {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
	} else {
		items = []json.RawMessage{raw}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		var v any
		if err := json.Unmarshal(it, &v); err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case bool:
			out = append(out, strconv.FormatBool(x))
		case float64:
			out = append(out, strings.TrimSpace(string(it)))
		default:
			return nil, fmt.Errorf("unsupported value %s", it)
		}
	}
	return out, nil
}

// ConditionsOn returns the statement's conditions on key (compared case-insensitively).
func (s *Statement) ConditionsOn(key string) []Condition {
	var out []Condition
	for _, c := range s.Conditions {
		if strings.EqualFold(c.Key, key) {
			out = append(out, c)
		}
	}
	return out
}
