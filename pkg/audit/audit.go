package audit

import (
	"cmp"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/harden"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/identity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// Input is one cluster's snapshot. A nil part was not read: the checks that need it
// are not run, with the reason given beside it.
type Input struct {
	// Context is the kubeconfig context, copied into every finding.
	Context string
	// Namespace limits the namespaced checks to one namespace ("" for all).
	Namespace string
	// RBAC holds the four RBAC kinds (Roles and RoleBindings of Namespace, or all).
	RBAC *rbac.Snapshot
	// AWSAuth is kube-system/aws-auth; nil when the cluster has none, or (with
	// AWSAuthMissing) when it was not read.
	AWSAuth        *awsauth.Object
	AWSAuthMissing string
	// Access is the cluster's access configuration; nil when not read (AccessMissing
	// says why).
	Access        *eks.Snapshot
	AccessMissing string
	// CreatorARN is the cluster creator, when known (--cluster-creator).
	CreatorARN string
	// Harden is the service account audit's input (nil: not read).
	Harden *harden.Input
	// PodIdentity is pod identity's input, its AWS inputs filled in (nil: not read).
	PodIdentity *podidentity.Input
	// AWSInputs says which AWS inputs were read (pod identity and the endpoint).
	AWSInputs []v1alpha1.PodIdentityInput
	// Endpoint is the cluster's endpoint access (nil: not read).
	Endpoint *v1alpha1.EndpointAccess
}

// Options choose the checks.
type Options struct {
	// Checks, when set, runs only these checks or finding ids (EP01, AA, AA29 ...).
	Checks []string
	// Skip leaves these checks or finding ids out.
	Skip []string
}

// selected reports whether a finding id (or, with id "", a whole check) is selected:
// --skip names it or its check, or --check is given and names neither.
func (o Options) selected(check, id string) bool {
	if slices.Contains(o.Skip, check) || (id != "" && slices.Contains(o.Skip, id)) {
		return false
	}
	if len(o.Checks) == 0 || slices.Contains(o.Checks, check) {
		return true
	}
	if id == "" {
		// A check runs when one of its finding ids is asked for.
		return slices.ContainsFunc(o.Checks, func(x string) bool { return checkOf(x) == check })
	}
	return slices.Contains(o.Checks, id)
}

// Runs reports whether check runs under these options (a reader asks for the
// inputs of the checks that run only).
func (o Options) Runs(check string) bool { return o.selected(check, "") }

// Result is one cluster's audit.
type Result struct {
	Findings []v1alpha1.AuditFinding
	// Checks, in catalogue order: every check with its status.
	Checks []v1alpha1.AuditCheck
}

type auditor struct {
	in   *Input
	opts Options
	res  *Result
	// built once, for the checks that share them
	index    *rbac.Index
	src      identity.Sources
	hardened *harden.Report
	pi       *v1alpha1.PodIdentityReport
	checks   map[string]Check
	urls     map[string]string // by recommendation
}

// Run audits one cluster.
func Run(in *Input, opts Options) *Result {
	a := &auditor{in: in, opts: opts, res: &Result{Findings: []v1alpha1.AuditFinding{}, Checks: []v1alpha1.AuditCheck{}}, checks: map[string]Check{}, urls: map[string]string{}}
	for _, c := range Catalogue() {
		a.checks[c.ID] = c
	}
	a.src = identity.Sources{Access: in.Access, CreatorARN: in.CreatorARN}
	if in.AWSAuth != nil && a.readsAWSAuth() {
		a.src.AWSAuth = awsauth.NewStore(awsauth.Parse(in.AWSAuth.Data))
	}
	if in.RBAC != nil {
		a.index = rbac.NewIndex(in.RBAC)
	}
	for _, c := range Catalogue() {
		a.run(c)
	}
	SortFindings(a.res.Findings)
	return a.res
}

// readsAWSAuth reports whether the cluster's mode reads aws-auth (or the mode is
// unknown).
func (a *auditor) readsAWSAuth() bool {
	return a.in.Access == nil || a.in.Access.Cluster.AuthenticationMode != eks.ModeAPI
}

// run runs one check, or records why it does not run.
func (a *auditor) run(c Check) {
	st := v1alpha1.AuditCheck{Context: a.in.Context, ID: c.ID, Title: c.Title, Area: c.Area, Status: v1alpha1.CheckRun}
	if !a.opts.selected(c.ID, "") {
		st.Status, st.Reason = v1alpha1.CheckSkipped, "left out by --check or --skip"
		a.res.Checks = append(a.res.Checks, st)
		return
	}
	before := len(a.res.Findings)
	var notRun, partly string
	switch c.ID {
	case CheckEndpoint:
		notRun = a.endpoint()
	case CheckAuthMode:
		notRun = a.authMode()
	case CheckCreator:
		notRun = a.creator()
	case CheckIAMUsers:
		notRun = a.iamUsers()
	case CheckAWSAuth:
		notRun = a.awsAuth()
	case CheckClusterAdmins:
		notRun = a.clusterAdmins()
	case CheckLeastPrivilege:
		notRun = a.leastPrivilege()
	case CheckAnonymous:
		notRun = a.anonymous()
	case CheckDefaultSA, CheckTokenSecrets:
		notRun = a.serviceAccounts(c.ID)
	case CheckPodIdentity:
		notRun, partly = a.podIdentity()
	case CheckRootIRSA:
		notRun = a.rootIRSA()
	}
	// Findings of ids left out by --check/--skip are dropped.
	kept := a.res.Findings[:before]
	for _, f := range a.res.Findings[before:] {
		if a.opts.selected(c.ID, f.ID) {
			kept = append(kept, f)
		}
	}
	a.res.Findings = kept
	st.Findings = len(kept) - before
	switch {
	case notRun != "":
		st.Status, st.Reason = v1alpha1.CheckNotRun, notRun
	case partly != "":
		st.Status, st.Reason = v1alpha1.CheckPartial, partly
	}
	a.res.Checks = append(a.res.Checks, st)
}

// add records a finding of check c.
func (a *auditor) add(id string, sev v1alpha1.Severity, obj v1alpha1.AuditObject, rec, message, fix string) {
	c := a.checks[checkOf(id)]
	if rec == "" {
		rec = c.Recommendation
	}
	url, ok := a.urls[rec]
	if !ok {
		url = RecommendationURL(baseRecommendation(rec))
		a.urls[rec] = url
	}
	a.res.Findings = append(a.res.Findings, v1alpha1.AuditFinding{Context: a.in.Context, ID: id, Check: c.ID, Severity: sev, Area: c.Area,
		Object: obj, Message: message, Recommendation: rec, RecommendationURL: url, Fix: cmp.Or(fix, c.Fix)})
}

// baseRecommendation is the chapter heading of a recommendation that names its CIS
// controls in parentheses ("Disable auto-mounting ... (CIS-EKS-4.1.5)").
func baseRecommendation(rec string) string {
	if i := strings.Index(rec, " (CIS-"); i > 0 {
		return rec[:i]
	}
	return rec
}

// inNamespace reports whether a namespaced object is in the namespace audited.
func (a *auditor) inNamespace(ns string) bool { return a.in.Namespace == "" || ns == a.in.Namespace }

// SortFindings orders findings as every report lists them: by context, severity
// (high first), catalogue order, id, object and message, so that two runs diff cleanly.
func SortFindings(fs []v1alpha1.AuditFinding) {
	rank := map[v1alpha1.Severity]int{}
	for i, s := range v1alpha1.Severities() {
		rank[s] = i
	}
	order := checkOrders()
	slices.SortStableFunc(fs, func(x, y v1alpha1.AuditFinding) int {
		return cmp.Or(cmp.Compare(x.Context, y.Context), cmp.Compare(rank[x.Severity], rank[y.Severity]),
			cmp.Compare(order[x.Check], order[y.Check]), cmp.Compare(x.ID, y.ID),
			cmp.Compare(x.Object.Namespace, y.Object.Namespace), cmp.Compare(x.Object.Kind, y.Object.Kind), cmp.Compare(x.Object.Name, y.Object.Name),
			cmp.Compare(x.Object.ARN, y.Object.ARN), cmp.Compare(x.Message, y.Message))
	})
}

// checkOrders ranks the checks as the catalogue lists them.
func checkOrders() map[string]int {
	out := map[string]int{}
	for i, c := range Catalogue() {
		out[c.ID] = i
	}
	return out
}

// sortChecks orders checks by context, then catalogue order.
func sortChecks(cs []v1alpha1.AuditCheck) {
	order := checkOrders()
	slices.SortStableFunc(cs, func(x, y v1alpha1.AuditCheck) int {
		return cmp.Or(cmp.Compare(x.Context, y.Context), cmp.Compare(order[x.ID], order[y.ID]))
	})
}
