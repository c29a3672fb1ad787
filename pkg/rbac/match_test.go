package rbac

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
)

// The expectations below follow RuleAllows in k8s.io/kubernetes
// plugin/pkg/auth/authorizer/rbac/rbac.go and the helpers VerbMatches,
// APIGroupMatches, ResourceMatches, ResourceNameMatches and NonResourceURLMatches in
// pkg/apis/rbac/v1/evaluation_helpers.go (v1.37.2).

func resourceRule(verbs, groups, resources []string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
}

func urlRule(verbs []string, urls ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, NonResourceURLs: urls}
}

func strs(s ...string) []string { return s }

func TestRuleAllows(t *testing.T) {
	star := strs("*")
	core := strs("")
	tests := []struct {
		name string
		rule rbacv1.PolicyRule
		req  Attributes
		want bool
	}{
		// Wildcards.
		{
			name: "star verbs, groups and resources allow get pods in the core group",
			rule: resourceRule(star, star, star),
			req:  Attributes{Verb: "get", Resource: "pods", Namespace: "ns"},
			want: true,
		},
		{
			name: "star verbs, groups and resources allow delete deployments in apps",
			rule: resourceRule(star, star, star),
			req:  Attributes{Verb: "delete", APIGroup: "apps", Resource: "deployments", Name: "web"},
			want: true,
		},
		{
			name: "star resource matches a subresource request",
			rule: resourceRule(star, star, star),
			req:  Attributes{Verb: "create", Resource: "pods", Subresource: "exec", Name: "p"},
			want: true,
		},
		{
			name: "star resource matches a scale subresource in a named group",
			rule: resourceRule(strs("update"), strs("apps"), star),
			req:  Attributes{Verb: "update", APIGroup: "apps", Resource: "deployments", Subresource: "scale"},
			want: true,
		},
		{
			name: "star verb matches an unusual verb",
			rule: resourceRule(star, core, strs("pods")),
			req:  Attributes{Verb: "deletecollection", Resource: "pods"},
			want: true,
		},
		{
			name: "star verb matches a custom verb such as impersonate",
			rule: resourceRule(star, core, strs("users")),
			req:  Attributes{Verb: "impersonate", Resource: "users", Name: "alice"},
			want: true,
		},
		{
			name: "star apiGroup matches the core group",
			rule: resourceRule(strs("get"), star, strs("pods")),
			req:  Attributes{Verb: "get", Resource: "pods"},
			want: true,
		},
		{
			name: "star apiGroup matches a CRD group",
			rule: resourceRule(strs("get"), star, strs("widgets")),
			req:  Attributes{Verb: "get", APIGroup: "example.com", Resource: "widgets"},
			want: true,
		},

		// Exact verbs.
		{
			name: "exact verb, core group and resource",
			rule: resourceRule(strs("get"), core, strs("pods")),
			req:  Attributes{Verb: "get", Resource: "pods"},
			want: true,
		},
		{
			name: "verb found later in the verb list",
			rule: resourceRule(strs("list", "watch", "get"), core, strs("pods")),
			req:  Attributes{Verb: "get", Resource: "pods"},
			want: true,
		},
		{
			name: "verb not in the verb list",
			rule: resourceRule(strs("list", "watch"), core, strs("pods")),
			req:  Attributes{Verb: "get", Resource: "pods"},
			want: false,
		},
		{
			name: "verbs are case sensitive",
			rule: resourceRule(strs("get"), core, strs("pods")),
			req:  Attributes{Verb: "GET", Resource: "pods"},
			want: false,
		},
		{
			name: "empty verb list never matches a resource request",
			rule: resourceRule(nil, star, star),
			req:  Attributes{Verb: "get", Resource: "pods"},
			want: false,
		},
		{
			name: "empty verb list never matches a non-resource request",
			rule: urlRule(nil, "*"),
			req:  Attributes{Verb: "get", Path: "/healthz"},
			want: false,
		},
		{
			name: "verb check applies to rules with resourceNames too",
			rule: resourceRule(strs("get"), core, strs("configmaps"), "cfg"),
			req:  Attributes{Verb: "delete", Resource: "configmaps", Name: "cfg"},
			want: false,
		},

		// API groups.
		{
			name: "core group rule does not match a named group",
			rule: resourceRule(strs("get"), core, strs("deployments")),
			req:  Attributes{Verb: "get", APIGroup: "apps", Resource: "deployments"},
			want: false,
		},
		{
			name: "named group rule does not match the core group",
			rule: resourceRule(strs("get"), strs("apps"), strs("pods")),
			req:  Attributes{Verb: "get", Resource: "pods"},
			want: false,
		},
		{
			name: "exact named group matches",
			rule: resourceRule(strs("get"), strs("apps"), strs("deployments")),
			req:  Attributes{Verb: "get", APIGroup: "apps", Resource: "deployments"},
			want: true,
		},
		{
			name: "second group in the list matches",
			rule: resourceRule(strs("get"), strs("", "apps"), strs("deployments")),
			req:  Attributes{Verb: "get", APIGroup: "apps", Resource: "deployments"},
			want: true,
		},
		{
			name: "group suffix is not a match",
			rule: resourceRule(strs("get"), strs("authorization.k8s.io"), strs("roles")),
			req:  Attributes{Verb: "get", APIGroup: "rbac.authorization.k8s.io", Resource: "roles"},
			want: false,
		},
		{
			name: "empty apiGroups never match, not even the core group",
			rule: resourceRule(strs("get"), nil, strs("pods")),
			req:  Attributes{Verb: "get", Resource: "pods"},
			want: false,
		},

		// Resources and subresources.
		{
			name: "resource mismatch",
			rule: resourceRule(strs("get"), core, strs("services")),
			req:  Attributes{Verb: "get", Resource: "pods"},
			want: false,
		},
		{
			name: "empty resources never match",
			rule: resourceRule(strs("get"), core, nil),
			req:  Attributes{Verb: "get", Resource: "pods"},
			want: false,
		},
		{
			name: "resources are case sensitive",
			rule: resourceRule(strs("get"), core, strs("Pods")),
			req:  Attributes{Verb: "get", Resource: "pods"},
			want: false,
		},
		{
			name: "pods/exec matches pods/exec exactly",
			rule: resourceRule(strs("create"), core, strs("pods/exec")),
			req:  Attributes{Verb: "create", Resource: "pods", Subresource: "exec", Name: "p"},
			want: true,
		},
		{
			name: "pods/exec does not match pods/log",
			rule: resourceRule(strs("get"), core, strs("pods/exec")),
			req:  Attributes{Verb: "get", Resource: "pods", Subresource: "log"},
			want: false,
		},
		{
			name: "pods/exec does not match pods without subresource",
			rule: resourceRule(strs("get"), core, strs("pods/exec")),
			req:  Attributes{Verb: "get", Resource: "pods"},
			want: false,
		},
		{
			name: "pods does not match the subresource pods/exec",
			rule: resourceRule(strs("create"), core, strs("pods")),
			req:  Attributes{Verb: "create", Resource: "pods", Subresource: "exec"},
			want: false,
		},
		{
			name: "pods/* is literal and does not match pods/exec",
			rule: resourceRule(strs("create"), core, strs("pods/*")),
			req:  Attributes{Verb: "create", Resource: "pods", Subresource: "exec"},
			want: false,
		},
		{
			name: "pods/* matches only the literal subresource *",
			rule: resourceRule(strs("get"), core, strs("pods/*")),
			req:  Attributes{Verb: "get", Resource: "pods", Subresource: "*"},
			want: true,
		},
		{
			name: "pods/* does not match pods without subresource",
			rule: resourceRule(strs("get"), core, strs("pods/*")),
			req:  Attributes{Verb: "get", Resource: "pods"},
			want: false,
		},
		{
			name: "*/scale matches deployments/scale",
			rule: resourceRule(strs("update"), strs("apps"), strs("*/scale")),
			req:  Attributes{Verb: "update", APIGroup: "apps", Resource: "deployments", Subresource: "scale"},
			want: true,
		},
		{
			name: "*/scale matches statefulsets/scale",
			rule: resourceRule(strs("update"), strs("apps"), strs("*/scale")),
			req:  Attributes{Verb: "update", APIGroup: "apps", Resource: "statefulsets", Subresource: "scale"},
			want: true,
		},
		{
			name: "*/scale does not match a resource named scale",
			rule: resourceRule(strs("get"), star, strs("*/scale")),
			req:  Attributes{Verb: "get", Resource: "scale"},
			want: false,
		},
		{
			name: "*/scale does not match pods without subresource",
			rule: resourceRule(strs("get"), star, strs("*/scale")),
			req:  Attributes{Verb: "get", Resource: "pods"},
			want: false,
		},
		{
			name: "*/scale does not match deployments/status",
			rule: resourceRule(strs("get"), strs("apps"), strs("*/scale")),
			req:  Attributes{Verb: "get", APIGroup: "apps", Resource: "deployments", Subresource: "status"},
			want: false,
		},
		{
			name: "*/scale does not match a subresource that is a suffix of scale",
			rule: resourceRule(strs("get"), strs("apps"), strs("*/scale")),
			req:  Attributes{Verb: "get", APIGroup: "apps", Resource: "deployments", Subresource: "ale"},
			want: false,
		},
		{
			name: "*/scale does not match a longer subresource ending in scale",
			rule: resourceRule(strs("get"), strs("apps"), strs("*/scale")),
			req:  Attributes{Verb: "get", APIGroup: "apps", Resource: "deployments", Subresource: "rescale"},
			want: false,
		},
		{
			name: "*/* does not match pods/exec",
			rule: resourceRule(strs("create"), core, strs("*/*")),
			req:  Attributes{Verb: "create", Resource: "pods", Subresource: "exec"},
			want: false,
		},
		{
			name: "*/* matches the literal subresource * of any resource",
			rule: resourceRule(strs("get"), core, strs("*/*")),
			req:  Attributes{Verb: "get", Resource: "services", Subresource: "*"},
			want: true,
		},
		{
			name: "second resource in the list matches",
			rule: resourceRule(strs("get"), core, strs("services", "pods/log")),
			req:  Attributes{Verb: "get", Resource: "pods", Subresource: "log"},
			want: true,
		},

		// Resource names.
		{
			name: "resourceNames match a listed name",
			rule: resourceRule(strs("get"), core, strs("configmaps"), "cfg"),
			req:  Attributes{Verb: "get", Resource: "configmaps", Name: "cfg"},
			want: true,
		},
		{
			name: "resourceNames match the second listed name",
			rule: resourceRule(strs("get"), core, strs("configmaps"), "a", "b"),
			req:  Attributes{Verb: "get", Resource: "configmaps", Name: "b"},
			want: true,
		},
		{
			name: "resourceNames do not match an unlisted name",
			rule: resourceRule(strs("get"), core, strs("configmaps"), "cfg"),
			req:  Attributes{Verb: "get", Resource: "configmaps", Name: "other"},
			want: false,
		},
		{
			name: "resourceNames never match a request without a name",
			rule: resourceRule(strs("list"), core, strs("configmaps"), "cfg"),
			req:  Attributes{Verb: "list", Resource: "configmaps"},
			want: false,
		},
		{
			name: "all-star rule with resourceNames still needs a name",
			rule: resourceRule(star, star, star, "cfg"),
			req:  Attributes{Verb: "list", Resource: "configmaps"},
			want: false,
		},
		{
			name: "resourceNames are case sensitive",
			rule: resourceRule(strs("get"), core, strs("configmaps"), "cfg"),
			req:  Attributes{Verb: "get", Resource: "configmaps", Name: "CFG"},
			want: false,
		},
		{
			name: "resourceNames star is literal, not a wildcard",
			rule: resourceRule(strs("get"), core, strs("configmaps"), "*"),
			req:  Attributes{Verb: "get", Resource: "configmaps", Name: "cfg"},
			want: false,
		},
		{
			name: "resourceNames apply to subresources",
			rule: resourceRule(strs("create"), core, strs("pods/exec"), "debug"),
			req:  Attributes{Verb: "create", Resource: "pods", Subresource: "exec", Name: "debug"},
			want: true,
		},
		{
			name: "rule without resourceNames matches a named request",
			rule: resourceRule(strs("get"), core, strs("configmaps")),
			req:  Attributes{Verb: "get", Resource: "configmaps", Name: "cfg"},
			want: true,
		},

		// Non-resource URLs.
		{
			name: "exact non-resource URL",
			rule: urlRule(strs("get"), "/healthz"),
			req:  Attributes{Verb: "get", Path: "/healthz"},
			want: true,
		},
		{
			name: "exact non-resource URL does not match a longer path",
			rule: urlRule(strs("get"), "/healthz"),
			req:  Attributes{Verb: "get", Path: "/healthz/ready"},
			want: false,
		},
		{
			name: "non-resource URLs are case sensitive",
			rule: urlRule(strs("get"), "/healthz"),
			req:  Attributes{Verb: "get", Path: "/Healthz"},
			want: false,
		},
		{
			name: "non-resource URL star matches any path",
			rule: urlRule(strs("get"), "*"),
			req:  Attributes{Verb: "get", Path: "/metrics"},
			want: true,
		},
		{
			name: "/healthz/* matches /healthz/ready",
			rule: urlRule(strs("get"), "/healthz/*"),
			req:  Attributes{Verb: "get", Path: "/healthz/ready"},
			want: true,
		},
		{
			name: "/healthz/* matches /healthz/",
			rule: urlRule(strs("get"), "/healthz/*"),
			req:  Attributes{Verb: "get", Path: "/healthz/"},
			want: true,
		},
		{
			name: "/healthz/* does not match /healthz",
			rule: urlRule(strs("get"), "/healthz/*"),
			req:  Attributes{Verb: "get", Path: "/healthz"},
			want: false,
		},
		{
			name: "/healthz/* matches deeper paths",
			rule: urlRule(strs("get"), "/healthz/*"),
			req:  Attributes{Verb: "get", Path: "/healthz/poststarthook/rbac"},
			want: true,
		},
		{
			name: "/api* matches /apis/foo",
			rule: urlRule(strs("get"), "/api*"),
			req:  Attributes{Verb: "get", Path: "/apis/foo"},
			want: true,
		},
		{
			name: "/api* matches /api",
			rule: urlRule(strs("get"), "/api*"),
			req:  Attributes{Verb: "get", Path: "/api"},
			want: true,
		},
		{
			name: "/api* does not match a shorter path",
			rule: urlRule(strs("get"), "/api*"),
			req:  Attributes{Verb: "get", Path: "/ap"},
			want: false,
		},
		{
			name: "trailing ** is a prefix match",
			rule: urlRule(strs("get"), "/metrics**"),
			req:  Attributes{Verb: "get", Path: "/metrics/slis"},
			want: true,
		},
		{
			name: "trailing ** matches the bare prefix",
			rule: urlRule(strs("get"), "/logs/**"),
			req:  Attributes{Verb: "get", Path: "/logs/"},
			want: true,
		},
		{
			name: "star in the middle of a URL is literal",
			rule: urlRule(strs("get"), "/logs/*/x"),
			req:  Attributes{Verb: "get", Path: "/logs/a/x"},
			want: false,
		},
		{
			name: "second non-resource URL in the list matches",
			rule: urlRule(strs("get"), "/livez", "/readyz"),
			req:  Attributes{Verb: "get", Path: "/readyz"},
			want: true,
		},
		{
			name: "non-resource verb mismatch",
			rule: urlRule(strs("get"), "/healthz"),
			req:  Attributes{Verb: "post", Path: "/healthz"},
			want: false,
		},
		{
			name: "non-resource star verb",
			rule: urlRule(star, "/healthz"),
			req:  Attributes{Verb: "post", Path: "/healthz"},
			want: true,
		},
		{
			name: "empty nonResourceURLs never match",
			rule: urlRule(strs("get")),
			req:  Attributes{Verb: "get", Path: "/healthz"},
			want: false,
		},

		// Resource versus non-resource.
		{
			name: "all-star resource rule does not match a non-resource request",
			rule: resourceRule(star, star, star),
			req:  Attributes{Verb: "get", Path: "/healthz"},
			want: false,
		},
		{
			name: "non-resource star rule does not match a resource request",
			rule: urlRule(star, "*"),
			req:  Attributes{Verb: "get", Resource: "pods"},
			want: false,
		},
		{
			name: "rule with resources and URLs matches a resource request via resources",
			rule: rbacv1.PolicyRule{Verbs: strs("get"), APIGroups: core, Resources: strs("pods"), NonResourceURLs: strs("/healthz")},
			req:  Attributes{Verb: "get", Resource: "pods"},
			want: true,
		},
		{
			name: "rule with resources and URLs matches a non-resource request via URLs",
			rule: rbacv1.PolicyRule{Verbs: strs("get"), APIGroups: core, Resources: strs("pods"), NonResourceURLs: strs("/healthz")},
			req:  Attributes{Verb: "get", Path: "/healthz"},
			want: true,
		},
		{
			name: "resource names are ignored for non-resource requests",
			rule: rbacv1.PolicyRule{Verbs: strs("get"), NonResourceURLs: strs("/healthz"), ResourceNames: strs("x")},
			req:  Attributes{Verb: "get", Path: "/healthz"},
			want: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := tt.rule
			before := *rule.DeepCopy()
			if got := RuleAllows(&tt.req, &rule); got != tt.want {
				t.Errorf("RuleAllows(%+v, %v) = %v, want %v", tt.req, rule.String(), got, tt.want)
			}
			if diff := cmp.Diff(before, rule); diff != "" {
				t.Errorf("RuleAllows modified the rule (-before +after):\n%s", diff)
			}
		})
	}
}

func TestIsResourceRequest(t *testing.T) {
	tests := []struct {
		name string
		a    Attributes
		want bool
	}{
		{"resource set", Attributes{Verb: "get", Resource: "pods"}, true},
		{"path set", Attributes{Verb: "get", Path: "/healthz"}, false},
		{"nothing set is a resource request", Attributes{Verb: "get"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.IsResourceRequest(); got != tt.want {
				t.Errorf("IsResourceRequest() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFirstAllowingRule(t *testing.T) {
	rules := []rbacv1.PolicyRule{
		resourceRule(strs("get"), strs(""), strs("configmaps")),           // 0
		resourceRule(strs("get"), strs(""), strs("pods"), "special"),      // 1
		resourceRule(strs("get", "list"), strs(""), strs("pods")),         // 2
		resourceRule(strs("*"), strs("*"), strs("*")),                     // 3
		urlRule(strs("get"), "/healthz", "/livez"),                        // 4
		resourceRule(strs("create"), strs(""), strs("pods/exec"), "dbg"),  // 5
		urlRule(strs("*"), "*"),                                           // 6
		resourceRule(strs("update"), strs("apps"), strs("deployments/*")), // 7
	}
	tests := []struct {
		name  string
		rules []rbacv1.PolicyRule
		req   Attributes
		want  int
	}{
		{"first rule matches", rules, Attributes{Verb: "get", Resource: "configmaps"}, 0},
		{"named request stops at the resourceNames rule", rules, Attributes{Verb: "get", Resource: "pods", Name: "special"}, 1},
		{"unnamed request skips the resourceNames rule", rules, Attributes{Verb: "get", Resource: "pods"}, 2},
		{"other name skips the resourceNames rule", rules, Attributes{Verb: "list", Resource: "pods", Name: "other"}, 2},
		{"only the wildcard rule matches delete", rules, Attributes{Verb: "delete", APIGroup: "apps", Resource: "deployments"}, 3},
		{"wildcard rule precedes the specific exec rule", rules, Attributes{Verb: "create", Resource: "pods", Subresource: "exec", Name: "dbg"}, 3},
		{"non-resource request skips resource rules", rules, Attributes{Verb: "get", Path: "/livez"}, 4},
		{"non-resource request falls through to the star URL rule", rules, Attributes{Verb: "post", Path: "/livez"}, 6},
		{"non-resource request allowed by nothing before the star URL rule", rules, Attributes{Verb: "get", Path: "/metrics"}, 6},
		{"no rule matches", rules[:3], Attributes{Verb: "delete", Resource: "pods"}, -1},
		{"no rule matches a non-resource request", rules[:4], Attributes{Verb: "get", Path: "/healthz"}, -1},
		{"specific rule found without the wildcard", append(append([]rbacv1.PolicyRule{}, rules[:3]...), rules[5]), Attributes{Verb: "create", Resource: "pods", Subresource: "exec", Name: "dbg"}, 3},
		{"empty rule list", []rbacv1.PolicyRule{}, Attributes{Verb: "get", Resource: "pods"}, -1},
		{"nil rule list", nil, Attributes{Verb: "get", Resource: "pods"}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FirstAllowingRule(&tt.req, tt.rules); got != tt.want {
				t.Errorf("FirstAllowingRule(%+v) = %d, want %d", tt.req, got, tt.want)
			}
			// The index must be consistent with RuleAllows: the rule at it allows the
			// request and none before it does.
			for i := range tt.rules {
				allows := RuleAllows(&tt.req, &tt.rules[i])
				if tt.want >= 0 && i == tt.want && !allows {
					t.Errorf("rule %d does not allow the request", i)
				}
				if (tt.want < 0 || i < tt.want) && allows {
					t.Errorf("rule %d allows the request, before index %d", i, tt.want)
				}
			}
		})
	}
}
