package iampolicy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const host = "oidc.eks.us-west-2.amazonaws.com/id/ABC123"
const provider = "arn:aws:iam::111122223333:oidc-provider/" + host

// webIdentity is an IRSA request for service account sub with audience aud. Keys of
// OIDC providers (…:sub, …:aud) it does not carry are known to be absent.
func webIdentity(sub, aud string) Request {
	ctx := map[string][]string{}
	if sub != "" {
		ctx[host+":sub"] = []string{sub}
	}
	if aud != "" {
		ctx[host+":aud"] = []string{aud}
	}
	return Request{Action: "sts:AssumeRoleWithWebIdentity", Principal: Principal{Type: PrincipalFederated, ID: provider}, Context: ctx,
		Absent: func(k string) bool { return strings.HasSuffix(k, ":sub") || strings.HasSuffix(k, ":aud") }}
}

func trust(conditions string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider +
		`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + conditions + `}]}`
}

func TestEvaluateConditions(t *testing.T) {
	const sa = "system:serviceaccount:app:web"
	tests := []struct {
		name       string
		conditions string
		sub, aud   string
		want       Outcome
	}{
		{"StringEquals exact", `{"StringEquals":{"` + host + `:sub":"` + sa + `"}}`, sa, "", Allowed},
		{"StringEquals other SA", `{"StringEquals":{"` + host + `:sub":"` + sa + `"}}`, "system:serviceaccount:app:webx", "", NotAllowed},
		{"StringEquals is case-sensitive", `{"StringEquals":{"` + host + `:sub":"system:serviceaccount:app:WEB"}}`, sa, "", NotAllowed},
		{"StringEquals star is literal", `{"StringEquals":{"` + host + `:sub":"system:serviceaccount:app:*"}}`, sa, "", NotAllowed},
		{"key names are case-insensitive", `{"StringEquals":{"` + strings.ToUpper(host) + `:SUB":"` + sa + `"}}`, sa, "", Allowed},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"` + host + `:sub":"SYSTEM:serviceaccount:APP:web"}}`, sa, "", Allowed},
		{"StringLike star", `{"StringLike":{"` + host + `:sub":"system:serviceaccount:app:*"}}`, "system:serviceaccount:app:other", "", Allowed},
		{"StringLike star other namespace", `{"StringLike":{"` + host + `:sub":"system:serviceaccount:app:*"}}`, "system:serviceaccount:apps:web", "", NotAllowed},
		{"StringLike question mark is one character", `{"StringLike":{"` + host + `:sub":"system:serviceaccount:app:we?"}}`, sa, "", Allowed},
		{"StringLike question mark not two", `{"StringLike":{"` + host + `:sub":"system:serviceaccount:app:w?"}}`, sa, "", NotAllowed},
		{"StringLike no wildcard is exact", `{"StringLike":{"` + host + `:sub":"` + sa + `"}}`, "system:serviceaccount:app:web2", "", NotAllowed},
		{"values are ORed", `{"StringEquals":{"` + host + `:sub":["system:serviceaccount:a:b","` + sa + `"]}}`, sa, "", Allowed},
		{"keys are ANDed", `{"StringEquals":{"` + host + `:sub":"` + sa + `","` + host + `:aud":"sts.amazonaws.com"}}`, sa, "other", NotAllowed},
		{"operators are ANDed", `{"StringEquals":{"` + host + `:aud":"sts.amazonaws.com"},"StringLike":{"` + host + `:sub":"system:serviceaccount:app:*"}}`, sa, "sts.amazonaws.com", Allowed},
		{"negated values are NORed", `{"StringNotEquals":{"` + host + `:sub":["system:serviceaccount:a:b","` + sa + `"]}}`, sa, "", NotAllowed},
		{"negated admits the rest", `{"StringNotEquals":{"` + host + `:sub":"system:serviceaccount:a:b"}}`, sa, "", Allowed},
		{"StringNotLike", `{"StringNotLike":{"` + host + `:sub":"system:serviceaccount:kube-system:*"}}`, sa, "", Allowed},
		{"absent key is false", `{"StringEquals":{"` + host + `:aud":"sts.amazonaws.com"}}`, sa, "", NotAllowed},
		{"absent key with IfExists is true", `{"StringEqualsIfExists":{"` + host + `:aud":"sts.amazonaws.com"}}`, sa, "", Allowed},
		{"present key with IfExists is tested", `{"StringEqualsIfExists":{"` + host + `:aud":"sts.amazonaws.com"}}`, sa, "x", NotAllowed},
		{"absent key with a negated operator is true", `{"StringNotEquals":{"` + host + `:aud":"x"}}`, sa, "", Allowed},
		{"ForAllValues with an absent key is true", `{"ForAllValues:StringEquals":{"` + host + `:aud":"x"}}`, sa, "", Allowed},
		{"ForAnyValue with an absent key is false", `{"ForAnyValue:StringEquals":{"` + host + `:aud":"x"}}`, sa, "", NotAllowed},
		{"ForAnyValue StringLike", `{"ForAnyValue:StringLike":{"` + host + `:sub":"system:serviceaccount:*"}}`, sa, "", Allowed},
		{"ForAllValues StringNotEquals", `{"ForAllValues:StringNotEquals":{"` + host + `:sub":"` + sa + `"}}`, sa, "", NotAllowed},
		{"Null true on an absent key", `{"Null":{"` + host + `:aud":"true"}}`, sa, "", Allowed},
		{"Null false on an absent key", `{"Null":{"` + host + `:aud":"false"}}`, sa, "", NotAllowed},
		{"unsupported operator", `{"NumericLessThan":{"` + host + `:sub":"3"}}`, sa, "", Undetermined},
		{"policy variable", `{"StringEquals":{"` + host + `:sub":"${aws:username}"}}`, sa, "", Undetermined},
		{"unknown key", `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`, sa, "", Undetermined},
		{"unknown key but another condition is false", `{"StringEquals":{"aws:SourceAccount":"1","` + host + `:sub":"x"}}`, sa, "", NotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(trust(tt.conditions)))
			if err != nil {
				t.Fatal(err)
			}
			r := p.Evaluate(webIdentity(tt.sub, tt.aud))
			if r.Outcome != tt.want {
				t.Errorf("outcome %v, want %v (notes %v)", r.Outcome, tt.want, r.Notes)
			}
			if r.Outcome == Undetermined && len(r.Notes) == 0 {
				t.Errorf("undetermined without a note")
			}
		})
	}
	t.Logf("%d condition cases", len(tests))
}

func TestEvaluateStatements(t *testing.T) {
	const sa = "system:serviceaccount:app:web"
	allow := `{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity"}`
	tests := []struct {
		name string
		doc  string
		req  Request
		want Outcome
	}{
		{"one statement object", `{"Statement":` + allow + `}`, webIdentity(sa, ""), Allowed},
		{"deny wins", `{"Statement":[` + allow + `,{"Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"StringLike":{"` + host + `:sub":"system:serviceaccount:app:*"}}}]}`, webIdentity(sa, ""), Denied},
		{"deny for others only", `{"Statement":[` + allow + `,{"Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"StringLike":{"` + host + `:sub":"system:serviceaccount:kube-system:*"}}}]}`, webIdentity(sa, ""), Allowed},
		{"maybe deny makes it undetermined", `{"Statement":[` + allow + `,{"Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`, webIdentity(sa, ""), Undetermined},
		{"actions are case-insensitive", `{"Statement":{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"STS:assumerolewithwebidentity"}}`, webIdentity(sa, ""), Allowed},
		{"action wildcard", `{"Statement":{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRole*"}}`, webIdentity(sa, ""), Allowed},
		{"other action", `{"Statement":{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRole"}}`, webIdentity(sa, ""), NotAllowed},
		{"NotAction", `{"Statement":{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"NotAction":"sts:AssumeRole"}}`, webIdentity(sa, ""), Allowed},
		{"other provider", `{"Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/OTHER"},"Action":"sts:AssumeRoleWithWebIdentity"}}`, webIdentity(sa, ""), NotAllowed},
		{"principal star", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity"}}`, webIdentity(sa, ""), Allowed},
		{"AWS star", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRoleWithWebIdentity"}}`, webIdentity(sa, ""), Allowed},
		{"NotPrincipal", `{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::1:root"},"Action":"sts:AssumeRoleWithWebIdentity"}}`, webIdentity(sa, ""), Undetermined},
		{"service principal", `{"Statement":{"Effect":"Allow","Principal":{"Service":["pods.eks.amazonaws.com"]},"Action":["sts:AssumeRole","sts:TagSession"]}}`,
			Request{Action: "sts:TagSession", Principal: Principal{Type: PrincipalService, ID: "pods.eks.amazonaws.com"}}, Allowed},
		{"account principal", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}}`,
			Request{Action: "sts:AssumeRole", Principal: Principal{Type: PrincipalAWS, ID: "arn:aws:iam::111122223333:role/a"}}, Allowed},
		{"ArnLike", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/pi-*"}}}}`,
			Request{Action: "sts:AssumeRole", Principal: Principal{Type: PrincipalAWS, ID: "x"}, Context: map[string][]string{"aws:PrincipalArn": {"arn:aws:iam::1:role/pi-a"}}}, Allowed},
		{"no principal names nobody", `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity"}}`, webIdentity(sa, ""), NotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if r := p.Evaluate(tt.req); r.Outcome != tt.want {
				t.Errorf("outcome %v, want %v (%+v)", r.Outcome, tt.want, r)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true}, {"*", "", true}, {"*", "abc", true}, {"a*c", "abbbc", true}, {"a*c", "abcd", false},
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"*b*", "abc", true}, {"a**", "a", true}, {"abc", "ABC", false},
		{"*:web", "system:serviceaccount:app:web", true}, {"*:web", "system:serviceaccount:app:webx", false},
	}
	for _, tt := range tests {
		if got := Glob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Glob(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}

func TestParse(t *testing.T) {
	doc := `%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22pods.eks.amazonaws.com%22%7D%2C%22Action%22%3A%5B%22sts%3AAssumeRole%22%2C%22sts%3ATagSession%22%5D%2C%22Condition%22%3A%7B%22Bool%22%3A%7B%22aws%3AX%22%3Atrue%7D%2C%22NumericLessThan%22%3A%7B%22a%2Bb%22%3A5%7D%7D%7D%5D%7D`
	p, err := ParseDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	got := p.Statements[0]
	want := Statement{Effect: "Allow", Principal: &Principals{ByType: map[string][]string{"Service": {"pods.eks.amazonaws.com"}}},
		Actions: []string{"sts:AssumeRole", "sts:TagSession"}, HasAction: true,
		Conditions: []Condition{{Operator: "Bool", Base: "Bool", Key: "aws:X", Values: []string{"true"}}, {Operator: "NumericLessThan", Base: "NumericLessThan", Key: "a+b", Values: []string{"5"}}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	c := newCondition("ForAnyValue:StringLikeIfExists", "k", nil)
	if c.Qualifier != "ForAnyValue" || c.Base != "StringLike" || !c.IfExists {
		t.Errorf("%+v", c)
	}
	for _, bad := range []string{`{}`, `{"Statement":[{"Principal":"me"}]}`, `not json`, `{"Statement":{"Condition":{"StringEquals":{"k":{"a":1}}}}}`} {
		if _, err := ParseDocument(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
