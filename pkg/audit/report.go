package audit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
)

// FailOnNone makes no finding fail the run (--fail-on none).
const FailOnNone = "none"

// FailOnValues are what --fail-on takes.
func FailOnValues() []string {
	return []string{string(v1alpha1.SeverityHigh), string(v1alpha1.SeverityMedium), string(v1alpha1.SeverityLow), FailOnNone}
}

// ValidFailOn reports whether s is a --fail-on value.
func ValidFailOn(s string) bool { return slices.Contains(FailOnValues(), s) }

// Failing reports whether r has a finding as severe as its failOn or more.
func Failing(r *v1alpha1.AuditReport) bool {
	if r.FailOn == FailOnNone {
		return false
	}
	min := v1alpha1.Severity(r.FailOn)
	return slices.ContainsFunc(r.Findings, func(f v1alpha1.AuditFinding) bool { return f.Severity.AtLeast(min) })
}

// AddCluster adds one cluster's audit (res nil: it could not be audited, see
// c.Status and c.Error).
func AddCluster(r *v1alpha1.AuditReport, c v1alpha1.AuditCluster, res *Result) {
	if res != nil {
		r.Findings = append(r.Findings, res.Findings...)
		r.Checks = append(r.Checks, res.Checks...)
	}
	r.Clusters = append(r.Clusters, c)
}

// Finish sorts everything, counts the findings per cluster and in the summary, and
// sets complete: every cluster audited from a complete input.
func Finish(r *v1alpha1.AuditReport) {
	slices.SortStableFunc(r.Clusters, func(a, b v1alpha1.AuditCluster) int { return cmp.Compare(a.Context, b.Context) })
	SortFindings(r.Findings)
	sortChecks(r.Checks)
	count := map[string]int{}
	bySeverity := map[string]map[v1alpha1.Severity]int{}
	for _, f := range r.Findings {
		count[f.Context]++
		if bySeverity[f.Area] == nil {
			bySeverity[f.Area] = map[v1alpha1.Severity]int{}
		}
		bySeverity[f.Area][f.Severity]++
	}
	r.Complete = true
	for i := range r.Clusters {
		c := &r.Clusters[i]
		c.Findings = count[c.Context]
		if c.Status != v1alpha1.AuditStatusAudited || !c.Complete {
			r.Complete = false
		}
	}
	r.Summary = []v1alpha1.AuditSummary{}
	for _, area := range Areas() {
		s := bySeverity[area]
		r.Summary = append(r.Summary, v1alpha1.AuditSummary{Area: area, High: s[v1alpha1.SeverityHigh], Medium: s[v1alpha1.SeverityMedium], Low: s[v1alpha1.SeverityLow]})
	}
	slices.SortStableFunc(r.Warnings, func(a, b v1alpha1.Warning) int { return cmp.Compare(a.Message, b.Message) })
	r.Warnings = slices.CompactFunc(r.Warnings, func(a, b v1alpha1.Warning) bool { return a.Message == b.Message })
}

// Merge joins reports written by `audit -o json` (one context per CI job, say) into
// one, with failOn. names name the inputs in errors. A context found in two inputs is
// an error: the reports would count its findings twice.
func Merge(reports []*v1alpha1.AuditReport, names []string, failOn string) (*v1alpha1.AuditReport, error) {
	out := v1alpha1.NewAuditReport()
	out.FailOn = failOn
	seen := map[string]string{}
	for i, r := range reports {
		if gvk := r.GetObjectKind().GroupVersionKind(); gvk.Kind != "AuditReport" || gvk.GroupVersion() != v1alpha1.GroupVersion {
			return nil, fmt.Errorf("%s: apiVersion %q kind %q, want %s AuditReport (written by 'kubectl eksiam audit -o json')", names[i], gvk.GroupVersion(), gvk.Kind, v1alpha1.GroupVersion)
		}
		for _, c := range r.Clusters {
			if prev, ok := seen[c.Context]; ok {
				return nil, fmt.Errorf("context %q is in both %s and %s: merge each cluster's report once", c.Context, prev, names[i])
			}
			seen[c.Context] = names[i]
		}
		for _, f := range r.Findings {
			if _, ok := seen[f.Context]; !ok {
				return nil, fmt.Errorf("%s: a finding of context %q, which its clusters do not list", names[i], f.Context)
			}
		}
		out.Clusters = append(out.Clusters, r.Clusters...)
		out.Findings = append(out.Findings, r.Findings...)
		out.Checks = append(out.Checks, r.Checks...)
		out.Warnings = append(out.Warnings, r.Warnings...)
	}
	Finish(out)
	return out, nil
}

// ContextWarnings prefixes a cluster's warnings with its context, for a report that
// holds several.
func ContextWarnings(context string, ws []v1alpha1.Warning) []v1alpha1.Warning {
	out := make([]v1alpha1.Warning, 0, len(ws))
	for _, w := range ws {
		if context != "" && !strings.HasPrefix(w.Message, "context "+context+": ") {
			w.Message = "context " + context + ": " + w.Message
		}
		out = append(out, w)
	}
	return out
}
