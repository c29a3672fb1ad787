// Package harden audits service accounts against the CIS Amazon EKS Benchmark (4.1.5
// "default service accounts are not actively used", 4.1.6 "service account tokens are
// only mounted where necessary", "prefer using dedicated EKS service accounts") and
// the EKS best practices on IRSA, and plans the fixes. Pure: typed values in, a report
// and a plan out, in a deterministic order.
package harden

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// Benchmark references.
const (
	CIS415    = "CIS-EKS-4.1.5"        // default service accounts are not actively used
	CIS416    = "CIS-EKS-4.1.6"        // service account tokens are only mounted where necessary
	CISDedSA  = "CIS-EKS-dedicated-sa" // prefer using dedicated EKS service accounts
	EKSBPIRSA = "EKS-BP-IRSA"          // EKS best practices guide: IAM roles for service accounts
)

// Checks.
const (
	CheckDefaultSAAutomount   = "default-sa-automount"
	CheckDefaultSAMissing     = "default-sa-missing"
	CheckDefaultSABinding     = "default-sa-binding"
	CheckDefaultSAGroup       = "default-sa-group-binding"
	CheckPodDefaultSA         = "pod-default-sa"
	CheckWorkloadDefaultSA    = "workload-default-sa"
	CheckIRSAOnDefaultSA      = "irsa-on-default-sa"
	CheckMalformedIRSA        = "malformed-irsa-annotation"
	CheckLegacyTokenSecret    = "legacy-token-secret"
	CheckAWSNodeWithoutIRSA   = "aws-node-without-irsa"
	IRSAAnnotation            = "eks.amazonaws.com/role-arn"
	DefaultServiceAccountName = "default"
)

// Severities, in the one vocabulary of every command's findings: Fail (high) fails
// the benchmark; Warn (medium) is worth a look.
const (
	Fail = v1alpha1.SeverityHigh
	Warn = v1alpha1.SeverityMedium
)

// ServiceAccount is what the audit needs of one.
type ServiceAccount struct {
	Namespace, Name string
	// Automount is automountServiceAccountToken (nil: not set, which means true).
	Automount *bool
	// RoleARN is the IRSA annotation, "" when absent.
	RoleARN string
}

// Pod is what the audit needs of a pod running as a namespace's default service account.
type Pod struct {
	Namespace, Name string
	// Automount is the pod's own automountServiceAccountToken (nil: not set).
	Automount *bool
	Phase     string
	// Owner is the controller that created it (ReplicaSet, Job, StatefulSet...).
	Owner *Ref
	// TokenMounted reports whether the running pod already has a service account
	// token volume (it keeps it until it is recreated).
	TokenMounted bool
}

// Ref names an object by kind, namespace and name.
type Ref struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

func (r Ref) String() string {
	if r.Namespace == "" {
		return strings.ToLower(r.Kind) + "/" + r.Name
	}
	return strings.ToLower(r.Kind) + "/" + r.Namespace + "/" + r.Name
}

// Workload is a pod controller whose pod template uses the default service account.
type Workload struct {
	Ref
	// Automount is the template's own automountServiceAccountToken.
	Automount *bool
	// Owner of the workload itself (a Job's CronJob, a ReplicaSet's Deployment).
	Owner *Ref
}

// Input is everything the audit reads, for the namespaces in scope.
type Input struct {
	// Namespaces in scope, sorted.
	Namespaces []string
	// ServiceAccounts in scope: every namespace's default, and any with an IRSA annotation.
	ServiceAccounts []ServiceAccount
	// RBAC holds the ClusterRoles and ClusterRoleBindings, and the Roles and
	// RoleBindings of the namespaces in scope.
	RBAC *rbac.Snapshot
	// BootstrapBindings are the bindings labelled kubernetes.io/bootstrapping=rbac-defaults
	// ("Kind/namespace/name"), which the benchmark accepts.
	BootstrapBindings map[string]bool
	// Pods that run as their namespace's default service account.
	Pods []Pod
	// Workloads whose pod template uses the default service account.
	Workloads []Workload
	// Owners maps a ReplicaSet or Job ("Kind/namespace/name") to its controller.
	Owners map[string]Ref
	// TokenSecrets are legacy long-lived service account token Secrets, by name only.
	TokenSecrets []TokenSecret
	// AWSNode is kube-system/aws-node, when kube-system is in scope and it exists.
	AWSNode *ServiceAccount
}

// TokenSecret is a Secret of type kubernetes.io/service-account-token. Its data is
// never read.
type TokenSecret struct {
	Namespace, Name, ServiceAccount string
}

// Finding is one result of the audit.
type Finding struct {
	Check     string            `json:"check"`
	Benchmark string            `json:"benchmark"`
	Severity  v1alpha1.Severity `json:"severity"`
	Namespace string            `json:"namespace,omitempty"`
	Object    Ref               `json:"object"`
	Message   string            `json:"message"`
	// Grants summarizes what a binding grants (binding findings only).
	Grants []string `json:"grants"`
	// Fix is what `sa harden` does about it, or what to do by hand.
	Fix string `json:"fix"`
	// Fixable is set when `sa harden` fixes it (bindings: with --remove-default-bindings).
	Fixable bool `json:"fixable"`
}

// Report is the audit.
type Report struct {
	Findings []Finding
	// Plan is the changes that fix the fixable findings.
	Plan Plan
}

// Plan lists the objects to change.
type Plan struct {
	// DisableAutomount are the default service accounts to patch.
	DisableAutomount []Ref
	// RemoveSubjects are the bindings to take the default service account out of.
	RemoveSubjects []BindingEdit
	// KeepTokens are running pods that keep their already mounted token until they are
	// recreated; Overrides are pods whose own spec sets automountServiceAccountToken: true.
	KeepTokens []Ref
	Overrides  []Ref
}

// BindingEdit takes subjects out of one binding.
type BindingEdit struct {
	Binding  Ref
	Subjects []rbacv1.Subject
}

// Options choose what the plan covers.
type Options struct {
	// RemoveDefaultBindings adds the bindings that name a default service account to the plan.
	RemoveDefaultBindings bool
}

// Audit checks every namespace in scope and plans the fixes.
func Audit(in *Input, opts Options) *Report {
	a := &auditor{in: in, opts: opts, r: &Report{}}
	a.serviceAccounts()
	a.bindings()
	a.pods()
	a.workloads()
	a.secrets()
	slices.SortStableFunc(a.r.Findings, func(x, y Finding) int {
		return cmp.Or(cmp.Compare(x.Namespace, y.Namespace), cmp.Compare(checkOrder(x.Check), checkOrder(y.Check)),
			cmp.Compare(x.Object.Kind, y.Object.Kind), cmp.Compare(x.Object.Namespace, y.Object.Namespace), cmp.Compare(x.Object.Name, y.Object.Name))
	})
	p := &a.r.Plan
	sortRefs(p.DisableAutomount)
	sortRefs(p.KeepTokens)
	sortRefs(p.Overrides)
	slices.SortFunc(p.RemoveSubjects, func(x, y BindingEdit) int { return compareRefs(x.Binding, y.Binding) })
	return a.r
}

func checkOrder(c string) int {
	return slices.Index([]string{CheckDefaultSAMissing, CheckDefaultSAAutomount, CheckIRSAOnDefaultSA, CheckDefaultSABinding, CheckDefaultSAGroup,
		CheckWorkloadDefaultSA, CheckPodDefaultSA, CheckMalformedIRSA, CheckLegacyTokenSecret, CheckAWSNodeWithoutIRSA}, c)
}

func compareRefs(x, y Ref) int {
	return cmp.Or(cmp.Compare(x.Namespace, y.Namespace), cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Name, y.Name))
}

func sortRefs(rs []Ref) { slices.SortFunc(rs, compareRefs) }

type auditor struct {
	in   *Input
	opts Options
	r    *Report
	// defaults by namespace; automountOff[ns] after the plan is applied
	defaults map[string]*ServiceAccount
}

func (a *auditor) add(f Finding) {
	if f.Grants == nil {
		f.Grants = []string{}
	}
	a.r.Findings = append(a.r.Findings, f)
}

func isFalse(b *bool) bool { return b != nil && !*b }
func isTrue(b *bool) bool  { return b != nil && *b }

// serviceAccounts: the default service account of each namespace, and IRSA annotations.
func (a *auditor) serviceAccounts() {
	a.defaults = map[string]*ServiceAccount{}
	for i := range a.in.ServiceAccounts {
		sa := &a.in.ServiceAccounts[i]
		if sa.Name == DefaultServiceAccountName {
			a.defaults[sa.Namespace] = sa
		}
		if sa.RoleARN != "" {
			if arn := iamarn.Parse(sa.RoleARN); arn.Malformed != "" || arn.Kind != iamarn.Role {
				why := arn.Malformed
				if why == "" {
					why = "is not an IAM role ARN"
				}
				a.add(Finding{Check: CheckMalformedIRSA, Benchmark: EKSBPIRSA, Severity: Warn, Namespace: sa.Namespace,
					Object:  Ref{Kind: "ServiceAccount", Namespace: sa.Namespace, Name: sa.Name},
					Message: fmt.Sprintf("annotation %s=%q %s: pods using this service account get no AWS credentials from it", IRSAAnnotation, sa.RoleARN, why),
					Fix:     "set the annotation to the IAM role's ARN, arn:aws:iam::<account>:role/<name>"})
			}
		}
	}
	for _, ns := range a.in.Namespaces {
		ref := Ref{Kind: "ServiceAccount", Namespace: ns, Name: DefaultServiceAccountName}
		sa := a.defaults[ns]
		if sa == nil {
			a.add(Finding{Check: CheckDefaultSAMissing, Benchmark: CIS415, Severity: Warn, Namespace: ns, Object: ref,
				Message: "the namespace has no default service account (yet): the controller that creates it may not have run",
				Fix:     "run sa harden again once it exists"})
			continue
		}
		if !isFalse(sa.Automount) {
			state := "not set (true)"
			if isTrue(sa.Automount) {
				state = "true"
			}
			a.add(Finding{Check: CheckDefaultSAAutomount, Benchmark: CIS415 + "," + CIS416, Severity: Fail, Namespace: ns, Object: ref,
				Message: "automountServiceAccountToken is " + state + ": every pod that does not name a service account gets an API token",
				Fix:     "patch automountServiceAccountToken: false", Fixable: true})
			a.r.Plan.DisableAutomount = append(a.r.Plan.DisableAutomount, ref)
		}
		if sa.RoleARN != "" {
			a.add(Finding{Check: CheckIRSAOnDefaultSA, Benchmark: CISDedSA + "," + EKSBPIRSA, Severity: Fail, Namespace: ns, Object: ref,
				Message: fmt.Sprintf("the default service account has the IRSA role %s: every pod of the namespace that names no service account gets its AWS permissions", sa.RoleARN),
				Fix:     "move the annotation to a dedicated service account and point the workloads that need it there"})
		}
	}
	if aws := a.in.AWSNode; aws != nil && aws.RoleARN == "" {
		a.add(Finding{Check: CheckAWSNodeWithoutIRSA, Benchmark: EKSBPIRSA, Severity: Warn, Namespace: aws.Namespace,
			Object:  Ref{Kind: "ServiceAccount", Namespace: aws.Namespace, Name: aws.Name},
			Message: "the VPC CNI (aws-node) uses the node's instance role, so every pod on a node can use its ENI and IP permissions",
			Fix:     "give aws-node an IAM role for service accounts with AmazonEKS_CNI_Policy, and remove that policy from the node role"})
	}
}

// bindings: RoleBindings and ClusterRoleBindings that name a default service account,
// or a group that holds it.
func (a *auditor) bindings() {
	if a.in.RBAC == nil {
		return
	}
	inScope := map[string]bool{}
	for _, ns := range a.in.Namespaces {
		inScope[ns] = true
	}
	rules := roleRules(a.in.RBAC)
	check := func(kind, bns, name string, ref rbacv1.RoleRef, subjects []rbacv1.Subject) {
		bref := Ref{Kind: kind, Namespace: bns, Name: name}
		if a.in.BootstrapBindings[kind+"/"+bns+"/"+name] {
			return
		}
		grants := grantSummary(rules, ref, bns)
		var remove []rbacv1.Subject
		namespaces := map[string]bool{}
		for _, s := range subjects {
			switch s.Kind {
			case rbacv1.ServiceAccountKind:
				ns := s.Namespace
				if ns == "" {
					ns = bns
				}
				if s.Name == DefaultServiceAccountName && inScope[ns] {
					remove = append(remove, s)
					namespaces[ns] = true
				}
			case rbacv1.UserKind:
				if id := rbac.SubjectForUsername(s.Name); id.Kind == rbacv1.ServiceAccountKind && id.Name == DefaultServiceAccountName && inScope[id.Namespace] {
					remove = append(remove, s)
					namespaces[id.Namespace] = true
				}
			case rbacv1.GroupKind:
				// A group holds the default service accounts of every namespace
				// (system:serviceaccounts) or of one; the binding grants them what it
				// grants, in the binding's namespace or cluster-wide.
				group, ns := s.Name, ""
				switch {
				case group == rbac.AllServiceAccounts:
				case strings.HasPrefix(group, rbac.AllServiceAccounts+":") && inScope[strings.TrimPrefix(group, rbac.AllServiceAccounts+":")]:
					ns = strings.TrimPrefix(group, rbac.AllServiceAccounts+":")
				default:
					continue
				}
				holds := "the default service account of every namespace"
				if ns != "" {
					holds = "the default service account of " + ns
				}
				a.add(Finding{Check: CheckDefaultSAGroup, Benchmark: CIS415, Severity: Warn, Namespace: cmp.Or(ns, bns), Object: bref, Grants: grants,
					Message: fmt.Sprintf("binds the group %s, which holds %s, to %s", group, holds, roleName(ref)),
					Fix:     "bind the service accounts that need it one by one, or accept it"})
			}
		}
		if len(remove) == 0 {
			return
		}
		for _, ns := range sortedKeys(namespaces) {
			fix := "remove the default service account from the binding (sa harden --remove-default-bindings)"
			if a.opts.RemoveDefaultBindings {
				fix = "remove the default service account from the binding"
			}
			a.add(Finding{Check: CheckDefaultSABinding, Benchmark: CIS415, Severity: Fail, Namespace: ns, Object: bref, Grants: grants,
				Message: fmt.Sprintf("grants %s to the default service account of %s", roleName(ref), ns),
				Fix:     fix, Fixable: a.opts.RemoveDefaultBindings})
		}
		if a.opts.RemoveDefaultBindings {
			a.r.Plan.RemoveSubjects = append(a.r.Plan.RemoveSubjects, BindingEdit{Binding: bref, Subjects: remove})
		}
	}
	for _, b := range a.in.RBAC.ClusterRoleBindings {
		check("ClusterRoleBinding", "", b.Name, b.RoleRef, b.Subjects)
	}
	for _, b := range a.in.RBAC.RoleBindings {
		if inScope[b.Namespace] {
			check("RoleBinding", b.Namespace, b.Name, b.RoleRef, b.Subjects)
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func roleName(ref rbacv1.RoleRef) string { return ref.Kind + "/" + ref.Name }

type roleKey struct{ kind, ns, name string }

func roleRules(s *rbac.Snapshot) map[roleKey][]rbacv1.PolicyRule {
	out := map[roleKey][]rbacv1.PolicyRule{}
	for _, r := range s.ClusterRoles {
		out[roleKey{"ClusterRole", "", r.Name}] = r.Rules
	}
	for _, r := range s.Roles {
		out[roleKey{"Role", r.Namespace, r.Name}] = r.Rules
	}
	return out
}

// grantSummary describes a role's rules compactly: "get,list pods", "* *.*", "get /healthz".
func grantSummary(rules map[roleKey][]rbacv1.PolicyRule, ref rbacv1.RoleRef, bindingNS string) []string {
	ns := ""
	if ref.Kind == "Role" {
		ns = bindingNS
	}
	rs, ok := rules[roleKey{ref.Kind, ns, ref.Name}]
	if !ok {
		return []string{"(" + roleName(ref) + " does not exist: nothing)"}
	}
	out := []string{}
	for _, r := range rs {
		out = append(out, rbac.RuleString(r))
	}
	return out
}

// effectiveAutomount is whether a pod gets a token: its own field wins, then the
// service account's, then true.
func effectiveAutomount(pod, sa *bool) bool {
	if pod != nil {
		return *pod
	}
	if sa != nil {
		return *sa
	}
	return true
}

// pods running as the default service account.
func (a *auditor) pods() {
	patched := map[string]bool{}
	for _, r := range a.r.Plan.DisableAutomount {
		patched[r.Namespace] = true
	}
	for _, p := range a.in.Pods {
		ref := Ref{Kind: "Pod", Namespace: p.Namespace, Name: p.Name}
		var saAutomount *bool
		if sa := a.defaults[p.Namespace]; sa != nil {
			saAutomount = sa.Automount
		}
		mounts := effectiveAutomount(p.Automount, saAutomount)
		owner := ""
		if w := a.topOwner(p.Owner); w != nil {
			owner = " (created by " + w.String() + ")"
		}
		f := Finding{Check: CheckPodDefaultSA, Benchmark: CIS415, Severity: Warn, Namespace: p.Namespace, Object: ref,
			Message: "runs as the default service account" + owner + ", without an API token",
			Fix:     "give its workload a dedicated service account"}
		if p.TokenMounted {
			f.Benchmark, f.Severity = CIS415+","+CIS416, Fail
			f.Message = "runs as the default service account" + owner + " and has its API token mounted"
		} else if mounts {
			f.Message = "runs as the default service account" + owner + "; it has no token now, but would get one if recreated"
		}
		a.add(f)
		switch {
		case isTrue(p.Automount):
			a.r.Plan.Overrides = append(a.r.Plan.Overrides, ref)
		case p.TokenMounted && patched[p.Namespace] && p.Phase != "Succeeded" && p.Phase != "Failed":
			a.r.Plan.KeepTokens = append(a.r.Plan.KeepTokens, ref)
		}
	}
}

// topOwner follows a pod's controller up: ReplicaSet to Deployment, Job to CronJob.
func (a *auditor) topOwner(r *Ref) *Ref {
	for i := 0; r != nil && i < 4; i++ {
		next, ok := a.in.Owners[r.Kind+"/"+r.Namespace+"/"+r.Name]
		if !ok {
			return r
		}
		r = &next
	}
	return r
}

// workloads whose pod template uses the default service account.
func (a *auditor) workloads() {
	for _, w := range a.in.Workloads {
		if w.Owner != nil {
			continue // a Job of a CronJob, a ReplicaSet of a Deployment: reported through its owner
		}
		tokens := "and, unless its service account says otherwise, an API token"
		if isFalse(w.Automount) {
			tokens = "without an API token"
		}
		a.add(Finding{Check: CheckWorkloadDefaultSA, Benchmark: CISDedSA + "," + CIS415, Severity: Fail, Namespace: w.Namespace, Object: w.Ref,
			Message: "its pods run as the default service account " + tokens,
			Fix:     "create a dedicated service account (with IRSA if it calls AWS) and set spec.template.spec.serviceAccountName"})
	}
}

func (a *auditor) secrets() {
	for _, s := range a.in.TokenSecrets {
		a.add(Finding{Check: CheckLegacyTokenSecret, Benchmark: CIS416, Severity: Warn, Namespace: s.Namespace,
			Object:  Ref{Kind: "Secret", Namespace: s.Namespace, Name: s.Name},
			Message: fmt.Sprintf("a long-lived token Secret for service account %s: it never expires and is valid until deleted", s.ServiceAccount),
			Fix:     "delete it once nothing uses it; pods get short-lived projected tokens"})
	}
}
