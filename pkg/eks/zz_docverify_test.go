package eks

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Temporary: compare Policies() with the doc's tables (not committed).
func TestZZDocVerify(t *testing.T) {
	path := os.Getenv("EKSDOC")
	if path == "" {
		t.Skip()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tick := regexp.MustCompile("[`+]|\\\\|\\{asterisk\\}")
	clean := func(s string) []string {
		s = strings.ReplaceAll(s, "{asterisk}", "*")
		s = tick.ReplaceAllString(s, "")
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	doc := map[string][]rbacv1.PolicyRule{}
	var name string
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "== ") {
			name = strings.TrimSpace(strings.TrimPrefix(l, "== "))
			continue
		}
		if l != "|===" || name == "" {
			continue
		}
		// header
		var cells []string
		i++
		for ; lines[i] != "|==="; i++ {
			if strings.HasPrefix(lines[i], "|") {
				cells = append(cells, strings.TrimSpace(lines[i][1:]))
			}
		}
		ncol := 3
		if strings.Contains(strings.Join(cells, " "), "nonResourceURLs") {
			ncol = 4
		}
		if !strings.HasPrefix(cells[0], "Kubernetes API groups") {
			continue
		}
		cells = cells[ncol:]
		for j := 0; j+ncol <= len(cells); j += ncol {
			var r rbacv1.PolicyRule
			if ncol == 3 {
				r = rbacv1.PolicyRule{APIGroups: clean(cells[j]), Resources: clean(cells[j+1]), Verbs: clean(cells[j+2])}
			} else {
				r = rbacv1.PolicyRule{APIGroups: clean(cells[j]), NonResourceURLs: clean(cells[j+1]), Resources: clean(cells[j+2]), Verbs: clean(cells[j+3])}
			}
			if len(r.NonResourceURLs) == 0 && len(r.APIGroups) == 0 {
				r.APIGroups = []string{""}
			}
			doc[name] = append(doc[name], r)
		}
	}
	norm := func(rs []rbacv1.PolicyRule) []string {
		var out []string
		for _, r := range rs {
			k := func(x []string) string { y := slices.Clone(x); slices.Sort(y); return strings.Join(y, ",") }
			out = append(out, "g="+k(r.APIGroups)+" r="+k(r.Resources)+" u="+k(r.NonResourceURLs)+" v="+k(r.Verbs))
		}
		return out
	}
	pols := Policies()
	for n, rules := range doc {
		p, ok := pols[n]
		if !ok {
			t.Errorf("%s: in doc (%d rules), not in model", n, len(rules))
			continue
		}
		if !p.Modelled {
			t.Errorf("%s: doc has a table, model not modelled", n)
		}
		d, m := norm(rules), norm(p.Rules)
		if !slices.Equal(d, m) {
			t.Errorf("%s: ordered rules differ\ndoc:\n  %s\nmodel:\n  %s", n, strings.Join(d, "\n  "), strings.Join(m, "\n  "))
		} else {
			t.Logf("%s: %d rules equal, in doc order", n, len(d))
		}
	}
	for n, p := range pols {
		if _, ok := doc[n]; !ok && p.Modelled {
			t.Errorf("%s: modelled but no table in doc", n)
		}
	}
}
