package podidentity

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iampolicy"
)

// Finding ids, and the recommendation of the EKS best practices guide ("Pods
// Identities", "Pod Identity Recommendations") each one checks.
const (
	PI01 = "PI01" // IRSA trust without a :sub condition
	PI02 = "PI02" // :sub condition that admits other service accounts
	PI03 = "PI03" // no :aud = sts.amazonaws.com condition
	PI04 = "PI04" // trust does not admit this cluster's provider, or admits another cluster's
	PI05 = "PI05" // trust names a service account that does not exist
	PI06 = "PI06" // Pod Identity trust missing or not narrowed
	PI07 = "PI07" // association for a missing service account or namespace
	PI08 = "PI08" // pods that get the node role through IMDS
	PI09 = "PI09" // aws-node on the node role
	PI10 = "PI10" // IRSA annotation and Pod Identity association together
)

// Recommendations by finding id.
var recommendations = map[string]string{
	PI01: "Scope the IAM Role trust policy for IRSA to the service account name",
	PI02: "Scope the IAM Role trust policy for IRSA to the service account name",
	PI03: "IAM Roles for Service Accounts (IRSA)",
	PI04: "Use dedicated service accounts for each application",
	PI05: "Scope the IAM Role trust policy for IRSA to the service account name",
	PI06: "Grant least privileged access to applications",
	PI07: "Use dedicated service accounts for each application",
	PI08: "Restrict access to the instance profile assigned to the worker node",
	PI09: "Update the aws-node daemonset to use IRSA",
	PI10: "Use dedicated service accounts for each application",
}

// Recommendation returns the recommendation a finding id checks.
func Recommendation(id string) string { return recommendations[id] }

func (b *builder) add(id string, sev v1alpha1.Severity, ns, sa, role, format string, args ...any) {
	b.r.Findings = append(b.r.Findings, v1alpha1.PodIdentityFinding{ID: id, Severity: sev, Recommendation: recommendations[id],
		Namespace: ns, ServiceAccount: sa, RoleARN: role, Message: fmt.Sprintf(format, args...)})
}

func (b *builder) findings() {
	if b.opts.RoleARN != "" {
		// Role-level checks of the role asked about, even when no service account names it.
		b.roleChecks(b.opts.RoleARN)
	}
	agentWarned := false
	for _, k := range b.order {
		st := b.sas[k]
		if st.sa != nil && st.sa.RoleARN != "" {
			b.roleChecks(st.sa.RoleARN)
			b.irsaChecks(st)
		}
		for _, a := range st.assoc {
			b.associationChecks(st, a)
			if !agentWarned && !b.in.PodIdentityAgent && (b.in.Cluster == nil || !b.in.Cluster.AutoMode) {
				agentWarned = true
				b.r.Warnings = append(b.r.Warnings, v1alpha1.Warning{Reason: "PodIdentityAgentMissing",
					Message: fmt.Sprintf("Pod Identity associations exist (%s/%s ...) but the DaemonSet %s/%s does not (and the cluster is not in EKS Auto Mode): their pods get no credentials from it", a.Namespace, a.ServiceAccount, AgentNamespace, AgentName)})
			}
		}
		if st.sa != nil && st.sa.RoleARN != "" && len(st.assoc) > 0 {
			a := st.assoc[0]
			sev := v1alpha1.SeverityLow
			if a.EffectiveRole() != st.sa.RoleARN {
				sev = v1alpha1.SeverityMedium
			}
			b.add(PI10, sev, k.ns, k.name, a.EffectiveRole(),
				"both an IRSA annotation (%s) and Pod Identity association %s (%s): pods created now get the association's role (the EKS webhook injects container credentials and no web identity variables when an association exists); pods started before it keep IRSA",
				st.sa.RoleARN, a.ID, orUnknown(a.EffectiveRole()))
		}
		b.imdsChecks(k, st)
	}
	b.awsNodeCheck()
}

func orUnknown(s string) string {
	if s == "" {
		return "role unknown"
	}
	return s
}

// trust returns the parsed trust policy of a role, or nil after noting why not.
func (b *builder) trust(arn string) *iampolicy.Policy {
	r := b.in.Roles[arn]
	switch {
	case r == nil:
		b.note("trust policy of %s was not read (iam:GetRole): its checks are not evaluated", arn)
		return nil
	case r.NotFound:
		return nil
	case r.Trust == nil:
		b.note("trust policy of %s could not be parsed (%s): its checks are not evaluated", arn, r.TrustError)
		return nil
	}
	return r.Trust
}

// webIdentity is the AssumeRoleWithWebIdentity request of a pod of service account
// k, through this cluster's OIDC provider in the role's account.
func (b *builder) webIdentity(roleARN string, k key, aud string) iampolicy.Request {
	return iampolicy.Request{
		Action:    "sts:AssumeRoleWithWebIdentity",
		Principal: iampolicy.Principal{Type: iampolicy.PrincipalFederated, ID: providerARN(roleARN, b.host)},
		Context: map[string][]string{
			b.host + ":sub": {"system:serviceaccount:" + k.ns + ":" + k.name},
			b.host + ":aud": {aud},
		},
		// Other identity providers' keys, session tags and an external id are not in
		// such a request; other AWS keys (aws:SourceIp ...) are unknown.
		Absent: func(k string) bool {
			return idpKey(k) || strings.HasPrefix(k, "aws:requesttag/") || k == "aws:tagkeys" || k == "sts:externalid"
		},
	}
}

// admission is what an IRSA role's trust admits from this cluster.
type admission struct {
	// admitted service accounts among the candidates evaluated (which include every
	// service account the trust can admit by name, and every existing one when the
	// trust has patterns), with the outcome.
	outcome map[key]iampolicy.Outcome
	// literal service accounts the trust names with exact :sub values.
	literal []key
	// patterns are the :sub conditions that admit more than one name.
	patterns []iampolicy.Condition
	// unscoped statements name this provider with no :sub condition.
	unscoped []int
	// others are other EKS clusters' OIDC providers the trust names.
	others []string
	// provider is named by some Allow statement.
	provider bool
	notes    []string
}

// admits evaluates, once per role, which service accounts the role's trust admits.
func (b *builder) admits(arn string, trust *iampolicy.Policy) *admission {
	if a := b.admitsCache[arn]; a != nil {
		return a
	}
	a := &admission{outcome: map[key]iampolicy.Outcome{}}
	b.admitsCache[arn] = a
	provider := iampolicy.Principal{Type: iampolicy.PrincipalFederated, ID: providerARN(arn, b.host)}
	subKey := b.host + ":sub"
	candidates := map[key]bool{}
	exhaustive := false
	for i := range trust.Statements {
		s := &trust.Statements[i]
		if s.Effect != iampolicy.Allow {
			continue
		}
		if s.Principal != nil {
			for _, f := range s.Principal.ByType[iampolicy.PrincipalFederated] {
				h := providerHost(f)
				if strings.HasPrefix(h, "oidc.eks.") && !strings.EqualFold(h, b.host) && !slices.Contains(a.others, h) {
					a.others = append(a.others, h)
				}
			}
		}
		if !s.Applies(provider, "sts:AssumeRoleWithWebIdentity") {
			continue
		}
		a.provider = true
		conds := s.ConditionsOn(subKey)
		if len(conds) == 0 {
			a.unscoped = append(a.unscoped, s.Index)
			exhaustive = true
		}
		for _, c := range conds {
			exact := !c.IfExists && c.Qualifier == "" && (c.Base == "StringEquals" || c.Base == "StringEqualsIgnoreCase" ||
				(c.Base == "StringLike" && !slices.ContainsFunc(c.Values, iampolicy.HasWildcard)))
			if !exact {
				a.patterns = append(a.patterns, c)
				exhaustive = true
			}
			for _, v := range c.Values {
				for _, w := range witnesses(v) {
					if k, ok := serviceAccountOf(w); ok {
						candidates[k] = true
						if exact && w == v {
							a.literal = append(a.literal, k)
						}
					}
				}
			}
		}
	}
	// Probes: a service account nothing names, and variations of those annotated.
	candidates[key{"zz-probe-namespace", "zz-probe"}] = true
	for _, st := range b.annotatedWith[arn] {
		candidates[key{st.ns, st.name + "-zz"}] = true
		candidates[key{st.ns + "-zz", st.name}] = true
		candidates[st] = true
	}
	if exhaustive {
		for _, k := range b.order {
			if b.sas[k].entry.Exists {
				candidates[k] = true
			}
		}
	}
	for k := range candidates {
		res := trust.Evaluate(b.webIdentity(arn, k, DefaultAudience))
		a.outcome[k] = res.Outcome
		if res.Outcome == iampolicy.Undetermined {
			a.notes = append(a.notes, res.Notes...)
		}
	}
	slices.Sort(a.notes)
	a.notes = slices.Compact(a.notes)
	return a
}

// witnesses are strings a :sub value matches: the value itself and, for a pattern,
// a few strings its wildcards match.
func witnesses(v string) []string {
	if !iampolicy.HasWildcard(v) {
		return []string{v}
	}
	r1 := strings.NewReplacer("*", "zz", "?", "z").Replace(v)
	r2 := strings.NewReplacer("*", "", "?", "y").Replace(v)
	r3 := strings.NewReplacer("*", "zz:zz", "?", "x").Replace(v)
	return []string{r1, r2, r3}
}

func providerHost(federated string) string {
	_, h, ok := strings.Cut(federated, ":oidc-provider/")
	if !ok {
		return ""
	}
	return strings.TrimPrefix(strings.TrimPrefix(h, "https://"), "http://")
}

// roleChecks are the checks of an IRSA role that do not depend on which service
// account uses it: PI01 (no :sub), PI04 (another cluster's provider) and PI05
// (named service accounts that do not exist). Each runs once per role.
func (b *builder) roleChecks(arn string) {
	if b.roleChecked[arn] {
		return
	}
	b.roleChecked[arn] = true
	if b.in.Cluster == nil {
		b.note("IRSA trust checks (PI01-PI05) need the cluster's OIDC issuer (eks:DescribeCluster)")
		return
	}
	if b.host == "" {
		return
	}
	trust := b.trust(arn)
	if trust == nil {
		return
	}
	a := b.admits(arn, trust)
	if !a.provider {
		return // not an IRSA role of this cluster (PI04 is raised per service account)
	}
	users := b.annotatedWith[arn]
	forEach := func(f func(ns, sa string)) {
		if len(users) == 0 {
			f("", "")
		}
		for _, k := range users {
			f(k.ns, k.name)
		}
	}
	if len(a.unscoped) > 0 && a.outcome[key{"zz-probe-namespace", "zz-probe"}] == iampolicy.Allowed {
		forEach(func(ns, sa string) {
			b.add(PI01, v1alpha1.SeverityHigh, ns, sa, arn,
				"statement %d of the trust policy allows %s with no %s:sub condition: any service account in the cluster can assume the role", a.unscoped[0], b.host, b.host)
		})
	}
	for _, h := range a.others {
		forEach(func(ns, sa string) {
			b.add(PI04, v1alpha1.SeverityMedium, ns, sa, arn,
				"the trust policy also trusts the OIDC provider %s (another cluster, or the old one of a blue/green upgrade): service accounts it names there can assume the role too", h)
		})
	}
	seen := map[key]bool{}
	for _, k := range a.literal {
		if seen[k] {
			continue
		}
		seen[k] = true
		st := b.sas[k]
		switch {
		case st != nil && st.entry.Exists:
		case !b.inScope(k.ns):
			b.note("the trust policy of %s names service account %s, outside the namespace read: its existence is not checked (PI05)", arn, k)
		case !b.ns[k.ns]:
			b.add(PI05, v1alpha1.SeverityMedium, k.ns, k.name, arn,
				"the trust policy names system:serviceaccount:%s:%s, but namespace %s does not exist: whoever can create it, and that service account and a pod in it, can assume the role", k.ns, k.name, k.ns)
		default:
			b.add(PI05, v1alpha1.SeverityMedium, k.ns, k.name, arn,
				"the trust policy names system:serviceaccount:%s:%s, which does not exist: whoever can create service accounts and pods in %s can assume the role (kubectl eksiam who-can create serviceaccounts -n %s)", k.ns, k.name, k.ns, k.ns)
		}
	}
}

// irsaChecks are the checks of the IRSA role annotated on one service account:
// PI04 (its pods cannot assume it), PI02 (other service accounts can) and PI03 (no
// audience condition).
func (b *builder) irsaChecks(st *saState) {
	k := key{st.entry.Namespace, st.entry.Name}
	arn := st.sa.RoleARN
	if b.in.Cluster == nil {
		st.entry.Complete = false
		return
	}
	if b.host == "" {
		b.add(PI04, v1alpha1.SeverityHigh, k.ns, k.name, arn, "the cluster has no OIDC issuer, so IRSA cannot work: the annotation gives its pods no credentials")
		return
	}
	if r := b.in.Roles[arn]; r != nil && r.NotFound {
		b.add(PI04, v1alpha1.SeverityHigh, k.ns, k.name, arn, "the role does not exist (iam:GetRole: NoSuchEntity): the annotation cannot work, its pods get no credentials")
		return
	}
	trust := b.trust(arn)
	if trust == nil {
		st.entry.Complete = false
		return
	}
	a := b.admits(arn, trust)
	aud := DefaultAudience
	if st.sa.Audience != "" {
		aud = st.sa.Audience
	}
	res := trust.Evaluate(b.webIdentity(arn, k, aud))
	switch res.Outcome {
	case iampolicy.NotAllowed, iampolicy.Denied:
		why := "no statement allows it"
		switch {
		case res.Outcome == iampolicy.Denied:
			why = fmt.Sprintf("statement %d denies it", res.Denying[0])
		case !a.provider && len(a.others) > 0:
			why = "it trusts " + strings.Join(a.others, ", ") + " instead (another cluster, or the old one of a blue/green upgrade)"
		case !a.provider:
			why = "no statement trusts this cluster's OIDC provider with sts:AssumeRoleWithWebIdentity"
		case starInEquals(a.patterns) || starInEquals(literalConds(trust, b.host)):
			why = "a StringEquals :sub value holds '*', which StringEquals compares literally (StringLike expands it)"
		}
		b.add(PI04, v1alpha1.SeverityHigh, k.ns, k.name, arn,
			"the trust policy does not admit system:serviceaccount:%s:%s from this cluster's OIDC provider %s (%s): the annotation cannot work, its pods get no credentials", k.ns, k.name, b.host, why)
		return
	case iampolicy.Undetermined:
		st.entry.Complete = false
		for _, n := range res.Notes {
			b.note("trust policy of %s for %s: %s", arn, k, n)
		}
	}
	if len(a.unscoped) == 0 || a.outcome[key{"zz-probe-namespace", "zz-probe"}] != iampolicy.Allowed {
		var others []key
		otherNS := false
		for c, o := range a.outcome {
			if o == iampolicy.Allowed && c != k {
				others = append(others, c)
				otherNS = otherNS || c.ns != k.ns
			}
		}
		if len(others) > 0 {
			slices.SortFunc(others, func(x, y key) int { return strings.Compare(x.String(), y.String()) })
			var existing []string
			for _, o := range others {
				if st := b.sas[o]; st != nil && st.entry.Exists {
					existing = append(existing, o.String())
				}
			}
			sev, where := v1alpha1.SeverityMedium, "other service accounts in namespace "+k.ns
			if otherNS {
				sev, where = v1alpha1.SeverityHigh, "service accounts in other namespaces"
			}
			how := "its :sub condition"
			if len(a.patterns) > 0 {
				how = "its :sub condition " + a.patterns[0].String()
			}
			also := "for example " + others[0].String()
			if len(existing) > 0 {
				also = fmt.Sprintf("%d existing: %s", len(existing), strings.Join(first(existing, 5), ", "))
			}
			b.add(PI02, sev, k.ns, k.name, arn, "%s also admits %s (%s): scope it to system:serviceaccount:%s:%s with StringEquals", how, where, also, k.ns, k.name)
		}
	}
	if trust.Evaluate(b.webIdentity(arn, k, "zz-not-"+aud)).Outcome == iampolicy.Allowed {
		b.add(PI03, v1alpha1.SeverityLow, k.ns, k.name, arn, "the trust policy has no %s:aud condition requiring %s", b.host, aud)
	}
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}

// literalConds are the exact-match :sub conditions of a trust (StringEquals ...).
func literalConds(trust *iampolicy.Policy, host string) []iampolicy.Condition {
	var out []iampolicy.Condition
	for i := range trust.Statements {
		for _, c := range trust.Statements[i].ConditionsOn(host + ":sub") {
			if c.Base == "StringEquals" {
				out = append(out, c)
			}
		}
	}
	return out
}

func starInEquals(conds []iampolicy.Condition) bool {
	for _, c := range conds {
		if c.Base == "StringEquals" && slices.ContainsFunc(c.Values, func(v string) bool { return strings.Contains(v, "*") }) {
			return true
		}
	}
	return false
}

// Pod Identity session tags (EKS user guide, "Tag sessions").
var sessionTags = []string{"eks-cluster-arn", "eks-cluster-name", "kubernetes-namespace", "kubernetes-service-account", "kubernetes-pod-name", "kubernetes-pod-uid"}

// podIdentityContext is the request context of an association's AssumeRole: its
// session tags (unless disabled), with the pod's name and uid unknown, and what is
// known to be absent.
func (b *builder) podIdentityContext(a *Association, clusterName, clusterARN, ns, sa string) (map[string][]string, func(string) bool) {
	ctx := map[string][]string{}
	if !a.DisableSessionTags {
		ctx["aws:RequestTag/kubernetes-namespace"] = []string{ns}
		ctx["aws:RequestTag/kubernetes-service-account"] = []string{sa}
		if clusterName != "" {
			ctx["aws:RequestTag/eks-cluster-name"] = []string{clusterName}
		}
		if clusterARN != "" {
			ctx["aws:RequestTag/eks-cluster-arn"] = []string{clusterARN}
		}
		ctx["aws:TagKeys"] = sessionTags
	}
	absent := func(k string) bool {
		if idpKey(k) || k == "sts:externalid" {
			return true
		}
		if tag, ok := strings.CutPrefix(k, "aws:requesttag/"); ok {
			return a.DisableSessionTags || !slices.Contains(sessionTags, tag)
		}
		return k == "aws:tagkeys" && a.DisableSessionTags
	}
	return ctx, absent
}

// associationChecks: PI07 (the service account or namespace does not exist) and
// PI06 (the role's trust does not let EKS Pod Identity assume it, or does with
// nothing narrowing it).
func (b *builder) associationChecks(st *saState, a *Association) {
	k := key{a.Namespace, a.ServiceAccount}
	role := a.EffectiveRole()
	switch {
	case !b.ns[a.Namespace]:
		b.add(PI07, v1alpha1.SeverityMedium, k.ns, k.name, role,
			"Pod Identity association %s names namespace %s, which does not exist: whoever can create it, and service account %s and a pod in it, gets the role", a.ID, k.ns, k.name)
	case !st.entry.Exists:
		b.add(PI07, v1alpha1.SeverityMedium, k.ns, k.name, role,
			"Pod Identity association %s names service account %s, which does not exist: whoever can create service accounts and pods in %s gets the role (kubectl eksiam who-can create serviceaccounts -n %s)", a.ID, k, k.ns, k.ns)
	}
	if a.RoleARN == "" {
		return
	}
	trust := b.trust(a.RoleARN)
	switch {
	case b.in.Roles[a.RoleARN] != nil && b.in.Roles[a.RoleARN].NotFound:
		b.add(PI06, v1alpha1.SeverityHigh, k.ns, k.name, a.RoleARN, "the association's role does not exist (iam:GetRole: NoSuchEntity): association %s cannot work", a.ID)
	case trust == nil:
		st.entry.Complete = false
	default:
		name, arn := "", ""
		if b.in.Cluster != nil {
			name, arn = b.in.Cluster.Name, b.in.Cluster.ARN
		}
		ctx, absent := b.podIdentityContext(a, name, arn, k.ns, k.name)
		pr := iampolicy.Principal{Type: iampolicy.PrincipalService, ID: PodIdentityService}
		var refused []string
		undetermined := false
		for _, action := range []string{"sts:AssumeRole", "sts:TagSession"} {
			res := trust.Evaluate(iampolicy.Request{Action: action, Principal: pr, Context: ctx, Absent: absent})
			switch res.Outcome {
			case iampolicy.NotAllowed, iampolicy.Denied:
				refused = append(refused, action)
			case iampolicy.Undetermined:
				undetermined = true
				for _, n := range res.Notes {
					b.note("trust policy of %s for association %s: %s", a.RoleARN, a.ID, n)
				}
			}
		}
		switch {
		case len(refused) > 0:
			why := ""
			if a.DisableSessionTags && mentionsRequestTags(trust) {
				why = " (the association disables session tags, so its conditions on aws:RequestTag keys fail)"
			}
			b.add(PI06, v1alpha1.SeverityHigh, k.ns, k.name, a.RoleARN,
				"the trust policy of the association's role does not allow %s %s for %s%s: association %s cannot work", PodIdentityService, strings.Join(refused, " and "), k, why, a.ID)
		case !undetermined:
			octx, oabsent := b.podIdentityContext(a, "zz-other-cluster", "arn:aws:eks:zz:000000000000:cluster/zz-other-cluster", "zz-other-namespace", "zz-other-sa")
			if trust.Evaluate(iampolicy.Request{Action: "sts:AssumeRole", Principal: pr, Context: octx, Absent: oabsent}).Outcome == iampolicy.Allowed {
				b.add(PI06, v1alpha1.SeverityMedium, k.ns, k.name, a.RoleARN,
					"the trust policy allows %s sts:AssumeRole with no condition narrowing it (aws:SourceAccount, aws:SourceArn, or the eks-cluster-*, kubernetes-namespace, kubernetes-service-account session tags): any Pod Identity association in the account can use the role", PodIdentityService)
			}
		default:
			st.entry.Complete = false
		}
	}
	if a.TargetRoleARN == "" {
		return
	}
	target := b.trust(a.TargetRoleARN)
	if target == nil {
		st.entry.Complete = false
		return
	}
	name, arn := "", ""
	if b.in.Cluster != nil {
		name, arn = b.in.Cluster.Name, b.in.Cluster.ARN
	}
	ctx, absent := b.podIdentityContext(a, name, arn, k.ns, k.name)
	if a.ExternalID != "" {
		ctx["sts:ExternalId"] = []string{a.ExternalID}
	}
	pr := iampolicy.Principal{Type: iampolicy.PrincipalAWS, ID: a.RoleARN}
	for _, action := range []string{"sts:AssumeRole", "sts:TagSession"} {
		res := target.Evaluate(iampolicy.Request{Action: action, Principal: pr, Context: ctx, Absent: absent})
		switch res.Outcome {
		case iampolicy.NotAllowed, iampolicy.Denied:
			b.add(PI06, v1alpha1.SeverityHigh, k.ns, k.name, a.TargetRoleARN,
				"the trust policy of the target role does not allow %s %s (with sts:ExternalId %s): association %s cannot work", a.RoleARN, action, a.ExternalID, a.ID)
			return
		case iampolicy.Undetermined:
			st.entry.Complete = false
			for _, n := range res.Notes {
				b.note("trust policy of %s for association %s: %s", a.TargetRoleARN, a.ID, n)
			}
		}
	}
}

func mentionsRequestTags(p *iampolicy.Policy) bool {
	for _, s := range p.Statements {
		for _, c := range s.Conditions {
			if strings.HasPrefix(strings.ToLower(c.Key), "aws:requesttag/") {
				return true
			}
		}
	}
	return false
}

// imdsChecks: PI08, the pods of a service account that reach their node's role
// through IMDS.
func (b *builder) imdsChecks(k key, st *saState) {
	type group struct {
		pods  int
		worst reachKind
		role  string
		nodes map[string]bool
	}
	var uses, reaches group // pods that use the node role; pods with IRSA/Pod Identity that can still reach it
	uses.nodes, reaches.nodes = map[string]bool{}, map[string]bool{}
	for _, p := range st.pods {
		r := b.reach(p)
		if r.kind == reachNone || r.kind == reachUnknown {
			continue
		}
		usesNode, hasOwn := false, false
		for i := range p.Containers {
			c := &p.Containers[i]
			if (c.HasRoleARN && c.WebIdentity) || c.ContainerCredentials {
				hasOwn = true
			} else {
				usesNode = true
			}
		}
		g := &uses
		if !usesNode {
			if !hasOwn || r.kind == reachHost {
				continue // nothing to fix at the instance for hostNetwork pods with their own role
			}
			g = &reaches
		}
		g.pods++
		g.nodes[p.Node] = true
		if g.worst == reachNone || reachRank(r.kind) < reachRank(g.worst) {
			g.worst = r.kind
		}
		if g.role == "" {
			if roles := b.nodeRoles(p.Node); len(roles) > 0 {
				g.role = roles[0]
			}
		}
	}
	how := map[reachKind]string{
		reachV1:   "IMDSv1 is allowed (HttpTokens optional)",
		reachV2:   "IMDSv2 with a hop limit above 1 reaches the pod network",
		reachHost: "hostNetwork pods reach IMDS whatever the hop limit",
	}
	if uses.pods > 0 {
		sev := map[reachKind]v1alpha1.Severity{reachV1: v1alpha1.SeverityHigh, reachV2: v1alpha1.SeverityMedium, reachHost: v1alpha1.SeverityLow}[uses.worst]
		b.add(PI08, sev, k.ns, k.name, uses.role,
			"%d pod(s) on %d node(s) get the node's instance role through IMDS (%s): give the service account its own role and require IMDSv2 with a hop limit of 1", uses.pods, len(uses.nodes), how[uses.worst])
	}
	if reaches.pods > 0 {
		b.add(PI08, v1alpha1.SeverityLow, k.ns, k.name, reaches.role,
			"%d pod(s) with their own role can still reach the node's instance role through IMDS (%s): require IMDSv2 with a hop limit of 1", reaches.pods, how[reaches.worst])
	}
}

func reachRank(r reachKind) int {
	return map[reachKind]int{reachV1: 0, reachV2: 1, reachHost: 2}[r]
}

// awsNodeCheck: PI09, the VPC CNI (kube-system/aws-node) runs on the node role.
func (b *builder) awsNodeCheck() {
	k := key{"kube-system", "aws-node"}
	st := b.sas[k]
	if st == nil || !st.entry.Exists || st.sa.RoleARN != "" || len(st.assoc) > 0 {
		return
	}
	if !b.in.AssociationsRead {
		b.note("PI09 (aws-node on the node role) needs the Pod Identity associations")
		return
	}
	role := ""
	for _, p := range st.pods {
		for _, c := range p.Containers {
			if (c.HasRoleARN && c.WebIdentity) || c.ContainerCredentials {
				return // its pods have credentials of their own (set by hand)
			}
		}
		if roles := b.nodeRoles(p.Node); role == "" && len(roles) > 0 {
			role = roles[0]
		}
	}
	b.add(PI09, v1alpha1.SeverityMedium, k.ns, k.name, role,
		"the VPC CNI (kube-system/aws-node) has no IRSA annotation and no Pod Identity association: it runs on the node's instance role, which then needs AmazonEKS_CNI_Policy and lends it to every pod that reaches IMDS")
}
