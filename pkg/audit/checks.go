package audit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/anon"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/harden"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/identity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

const rbacNotRead = "the RBAC objects were not read"

// clusterName names the cluster in findings about the cluster itself.
func (a *auditor) clusterName() string {
	switch {
	case a.in.Access != nil && a.in.Access.Cluster.Name != "":
		return a.in.Access.Cluster.Name
	case a.in.PodIdentity != nil && a.in.PodIdentity.Cluster != nil && a.in.PodIdentity.Cluster.Name != "":
		return a.in.PodIdentity.Cluster.Name
	}
	return cmp.Or(a.in.Context, "CLUSTER")
}

func (a *auditor) clusterObject() v1alpha1.AuditObject {
	return v1alpha1.AuditObject{Kind: "Cluster", Name: a.clusterName()}
}

// awsMissing says why an AWS input was not read, or gives otherwise when it was.
func (a *auditor) awsMissing(name, otherwise string) string {
	for _, in := range a.in.AWSInputs {
		if in.Name == name && in.Status != "read" {
			return fmt.Sprintf("%s was not read (%s%s)", name, in.Status, paren(in.Message))
		}
	}
	if len(a.in.AWSInputs) == 0 {
		return name + " was not read"
	}
	return otherwise
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// endpoint: EP01, a public endpoint that every address can reach.
func (a *auditor) endpoint() string {
	e := a.in.Endpoint
	if e == nil {
		return a.awsMissing("eks:DescribeCluster", "DescribeCluster did not report resourcesVpcConfig")
	}
	if !e.PublicAccess {
		return ""
	}
	open := len(e.PublicAccessCIDRs) == 0 || slices.Contains(e.PublicAccessCIDRs, "0.0.0.0/0") || slices.Contains(e.PublicAccessCIDRs, "::/0")
	if !open {
		return ""
	}
	private := "the private endpoint is off, so the nodes reach the API server over the internet too"
	if e.PrivateAccess {
		private = "the private endpoint is on"
	}
	cidrs := "not set"
	if len(e.PublicAccessCIDRs) > 0 {
		cidrs = strings.Join(e.PublicAccessCIDRs, ",")
	}
	a.add(CheckEndpoint, v1alpha1.SeverityMedium, a.clusterObject(), "",
		fmt.Sprintf("the API server endpoint is public and open to every address (publicAccessCidrs %s); %s", cidrs, private),
		fmt.Sprintf("aws eks update-cluster-config --name %s --resources-vpc-config endpointPublicAccess=true,publicAccessCidrs=YOUR_CIDRS,endpointPrivateAccess=true (or endpointPublicAccess=false)", a.clusterName()))
	return ""
}

func (a *auditor) modeUnknown() string {
	return "the authentication mode is unknown: " + cmp.Or(a.in.AccessMissing, "EKS access entries were not read")
}

// authMode: AM01, the cluster still in CONFIG_MAP mode.
func (a *auditor) authMode() string {
	if a.in.Access == nil {
		return a.modeUnknown()
	}
	if a.in.Access.Cluster.AuthenticationMode != eks.ModeConfigMap {
		return ""
	}
	name := a.clusterName()
	a.add(CheckAuthMode, v1alpha1.SeverityMedium, a.clusterObject(), "",
		"the authentication mode is CONFIG_MAP: IAM principals are mapped in aws-auth only, the cluster creator's admin access cannot be seen or removed, and access entries (API_AND_CONFIG_MAP, then API, the recommended mode) cannot be used",
		fmt.Sprintf("kubectl eksiam aws-auth migrate (the plan), then aws eks update-cluster-config --name %s --access-config authenticationMode=API_AND_CONFIG_MAP; later authenticationMode=API", name))
	return ""
}

// creator: EKS01, identity's finding on the cluster creator's admin access.
func (a *auditor) creator() string {
	if a.in.Access == nil {
		return a.modeUnknown()
	}
	for _, f := range identity.CreatorFindings(a.src) {
		obj := a.clusterObject()
		if f.PrincipalARN != "" {
			obj = principalObject(f.PrincipalARN)
		}
		a.add(CheckCreator, f.Severity, obj, RecCreator, f.Message, f.Fix)
	}
	return ""
}

// principalObject is an IAM principal as a finding's object.
func principalObject(arn string) v1alpha1.AuditObject {
	p := iamarn.Parse(arn)
	kind := "IAMPrincipal"
	switch p.Kind {
	case iamarn.Role:
		kind = "IAMRole"
	case iamarn.User:
		kind = "IAMUser"
	}
	return v1alpha1.AuditObject{Kind: kind, Name: cmp.Or(p.Name, arn), ARN: arn}
}

// iamUsers: IU01, two or more IAM users mapped to the same groups (and access
// policies): one role they assume would do.
func (a *auditor) iamUsers() string {
	if a.in.AWSAuthMissing != "" {
		return a.in.AWSAuthMissing // the users aws-auth maps are unknown
	}
	if a.src.AWSAuth == nil && a.src.Access == nil {
		return "" // no aws-auth and no access entries: nobody is mapped
	}
	type user struct{ arn, source string }
	byAccess := map[string][]user{}
	for _, p := range identity.All(a.src) {
		if p.Status != identity.StatusActive || p.Type != iamarn.User || (len(p.Groups) == 0 && len(p.AccessPolicies) == 0) {
			continue
		}
		groups := slices.Clone(p.Groups)
		slices.Sort(groups)
		var pols []string
		for _, ap := range p.AccessPolicies {
			pols = append(pols, eks.PolicyName(ap.PolicyARN)+"@"+ap.Scope.Type+":"+strings.Join(ap.Scope.Namespaces, ","))
		}
		slices.Sort(pols)
		key := "groups " + strings.Join(slices.Compact(groups), ", ")
		if len(pols) > 0 {
			key += "; access policies " + strings.Join(pols, ", ")
		}
		if !slices.ContainsFunc(byAccess[key], func(u user) bool { return iamarn.Key(u.arn) == iamarn.Key(p.ARN) }) {
			byAccess[key] = append(byAccess[key], user{p.ARN, p.Source})
		}
	}
	for key, users := range byAccess {
		if len(users) < 2 {
			continue
		}
		for _, u := range users {
			var others []string
			for _, o := range users {
				if o != u {
					others = append(others, o.arn)
				}
			}
			slices.Sort(others)
			a.add(CheckIAMUsers, v1alpha1.SeverityLow, principalObject(u.arn), "",
				fmt.Sprintf("IAM user mapped by %s with the same access (%s) as %d other IAM user(s): %s", u.source, key, len(others), strings.Join(others, ", ")),
				"create one IAM role with that access for the users to assume, map it (kubectl eksiam aws-auth add role, or an access entry) and remove the users' mappings (kubectl eksiam aws-auth remove)")
		}
	}
	return ""
}

// awsAuth: the aws-auth validation findings (AA01-AA34), when the mode reads aws-auth.
func (a *auditor) awsAuth() string {
	switch {
	case a.in.AWSAuthMissing != "":
		return a.in.AWSAuthMissing
	case !a.readsAWSAuth():
		return "the authentication mode is API: the cluster does not read aws-auth"
	case a.in.AWSAuth == nil:
		return "" // the cluster has no aws-auth: nothing to validate
	}
	obj := v1alpha1.AuditObject{Kind: "ConfigMap", Namespace: awsauth.Namespace, Name: awsauth.Name}
	for _, f := range awsauth.Validate(a.in.AWSAuth, awsauth.Options{}) {
		o := obj
		o.ARN = f.ARN
		fix := "kubectl eksiam aws-auth validate shows it in place; change aws-auth with kubectl eksiam aws-auth add/remove/apply"
		if f.Hint != "" {
			fix = f.Hint + " (kubectl eksiam aws-auth validate shows it in place)"
		}
		a.add(f.Rule, f.Severity, o, "", f.Location.String()+": "+f.Message, fix)
	}
	return ""
}

// isManaged reports whether a binding is the API server's bootstrap policy or EKS's
// own (eks: prefix), which the cluster's owner does not manage.
func isManaged(name string, labels map[string]string) bool {
	return labels[anon.BootstrapLabel] == anon.BootstrapLabelValue || strings.HasPrefix(name, "eks:")
}

// clusterAdmins: CA01, who holds cluster-admin (every verb on every resource,
// cluster-wide) or system:masters, with the IAM principals behind them (identity's
// who-can view), and the principals an EKS access policy makes admins.
func (a *auditor) clusterAdmins() string {
	if a.index == nil {
		return rbacNotRead
	}
	managed := map[string]bool{}
	for _, b := range a.in.RBAC.ClusterRoleBindings {
		if isManaged(b.Name, b.Labels) {
			managed[b.Name] = true
		}
	}
	q := rbac.Query{Attributes: rbac.Attributes{Verb: "*", APIGroup: "*", Resource: "*"}}
	res := a.index.WhoCan(q)
	wc := v1alpha1.NewWhoCanReport(v1alpha1.WhoCanQuery{Verb: "*", Resource: &v1alpha1.ResourceAttributes{Group: "*", Resource: "*"}, Scope: v1alpha1.ScopeCluster})
	var admins []rbac.SubjectAccess
	for _, s := range res.Subjects {
		if s.ClusterWide() {
			admins = append(admins, s)
			wc.Subjects = append(wc.Subjects, v1alpha1.NewSubject(s.Subject.Kind, s.Subject.Name, s.Subject.Namespace))
		}
	}
	if a.src.AWSAuth != nil || a.src.Access != nil {
		identity.AddToWhoCan(wc, a.src, &q)
	}
	for i, s := range admins {
		principals := wc.Subjects[i].IAMPrincipals
		var via []string
		allManaged := true
		for _, g := range s.Grants {
			via = append(via, g.Binding.String()+" ("+g.Role.String()+")")
			allManaged = allManaged && managed[g.Binding.Name]
		}
		if len(principals) == 0 && allManaged {
			continue // the built-in superuser group or an EKS/bootstrap binding, and no IAM principal reaches it
		}
		how := "through " + strings.Join(via, ", ")
		if s.Superuser {
			how = "as the superuser group, which the API server allows everything"
			if len(via) > 0 {
				how += " (and " + strings.Join(via, ", ") + ")"
			}
		}
		who := "; no IAM principal maps to it"
		if len(principals) > 0 {
			who = "; IAM principals: " + strings.Join(principals, ", ")
		}
		sev := v1alpha1.SeverityLow
		if s.Subject.Kind == rbacv1.ServiceAccountKind {
			sev = v1alpha1.SeverityMedium // a workload's token is a cluster admin
		}
		a.add(CheckClusterAdmins, sev, v1alpha1.AuditObject{Kind: s.Subject.Kind, Namespace: s.Subject.Namespace, Name: s.Subject.Name}, "",
			"holds cluster-admin "+how+who,
			"review it; remove the bindings or mappings that are not needed (kubectl eksiam who-can '*' '*' lists them)")
	}
	for _, p := range wc.IAMPrincipals {
		if p.Status != identity.StatusActive || len(p.ViaAccessPolicies) == 0 {
			continue
		}
		var pols []string
		for _, ap := range p.ViaAccessPolicies {
			pols = append(pols, eks.PolicyName(ap.PolicyARN)+" ("+ap.Scope+" scope)")
		}
		a.add(CheckClusterAdmins, v1alpha1.SeverityLow, principalObject(p.ARN), "",
			"holds cluster-admin through the EKS access policy "+strings.Join(pols, ", ")+" of its access entry",
			"review it; aws eks disassociate-access-policy when it is not needed")
	}
	return ""
}

// escalationVerbs are the verbs that let a subject grant itself more.
var escalationVerbs = []string{"escalate", "bind", "impersonate"}

// ruleRisk says whether a rule has an escalation verb (or every verb on every
// resource) or a wildcard.
func ruleRisk(r rbacv1.PolicyRule) (escalation, wildcard bool) {
	star := func(xs []string) bool {
		return slices.ContainsFunc(xs, func(x string) bool { return strings.Contains(x, "*") })
	}
	escalation = slices.ContainsFunc(r.Verbs, func(v string) bool { return slices.Contains(escalationVerbs, v) }) ||
		(slices.Contains(r.Verbs, rbacv1.VerbAll) && slices.Contains(r.Resources, rbacv1.ResourceAll))
	return escalation, star(r.Verbs) || star(r.APIGroups) || star(r.Resources)
}

// leastPrivilege: LP01, roles with wildcards or escalation verbs bound to subjects
// that are not cluster admins (bootstrap and EKS-managed bindings left out).
func (a *auditor) leastPrivilege() string {
	if a.index == nil {
		return rbacNotRead
	}
	admins := a.index.ClusterAdmins()
	clusterRoles := map[string][]rbacv1.PolicyRule{}
	for _, r := range a.in.RBAC.ClusterRoles {
		clusterRoles[r.Name] = r.Rules
	}
	roles := map[string][]rbacv1.PolicyRule{}
	for _, r := range a.in.RBAC.Roles {
		roles[r.Namespace+"/"+r.Name] = r.Rules
	}
	// The rules of each role that are risky, worked out once per role.
	type risk struct{ esc, wild []string }
	risky := map[string]risk{}
	adminOf := map[string]bool{} // by subjectString
	check := func(kind, ns, name string, labels map[string]string, ref rbacv1.RoleRef, subjects []rbacv1.Subject) {
		if isManaged(name, labels) || (ns != "" && !a.inNamespace(ns)) {
			return
		}
		key := ref.Name
		rules, ok := clusterRoles[ref.Name]
		if ref.Kind == "Role" {
			key = ns + "/" + ref.Name
			rules, ok = roles[key]
		}
		if !ok {
			return
		}
		rk, done := risky[ref.Kind+"/"+key]
		if !done {
			for _, r := range rules {
				e, w := ruleRisk(r)
				switch {
				case e:
					rk.esc = append(rk.esc, rbac.RuleString(r))
				case w:
					rk.wild = append(rk.wild, rbac.RuleString(r))
				}
			}
			risky[ref.Kind+"/"+key] = rk
		}
		esc, wild := rk.esc, rk.wild
		if len(esc)+len(wild) == 0 {
			return
		}
		var beyond []string
		for _, s := range subjects {
			who := subjectString(s, ns)
			admin, ok := adminOf[who]
			if !ok {
				admin = isAdmin(admins, s, ns)
				adminOf[who] = admin
			}
			if !admin {
				beyond = append(beyond, who)
			}
		}
		if len(beyond) == 0 {
			return
		}
		sev, what := v1alpha1.SeverityMedium, "wildcards ("+strings.Join(wild, "; ")+")"
		if len(esc) > 0 {
			sev, what = v1alpha1.SeverityHigh, "escalation verbs or every verb on every resource ("+strings.Join(slices.Concat(esc, wild), "; ")+")"
		}
		where := "cluster-wide"
		if ns != "" {
			where = "in namespace " + ns
		}
		a.add(CheckLeastPrivilege, sev, v1alpha1.AuditObject{Kind: kind, Namespace: ns, Name: name}, "",
			fmt.Sprintf("grants %s/%s, with %s, %s to %s (not cluster admins)", ref.Kind, ref.Name, what, where, strings.Join(beyond, ", ")), "")
	}
	for _, b := range a.in.RBAC.ClusterRoleBindings {
		check("ClusterRoleBinding", "", b.Name, b.Labels, b.RoleRef, b.Subjects)
	}
	for _, b := range a.in.RBAC.RoleBindings {
		check("RoleBinding", b.Namespace, b.Name, b.Labels, b.RoleRef, b.Subjects)
	}
	return ""
}

// isAdmin reports whether a binding subject is a cluster admin (bindingNS defaults a
// ServiceAccount's namespace, as the authorizer does).
func isAdmin(admins rbac.ClusterAdmins, s rbacv1.Subject, bindingNS string) bool {
	switch s.Kind {
	case rbacv1.UserKind:
		return admins.Is(s.Name, nil)
	case rbacv1.GroupKind:
		return admins.Is("", []string{s.Name})
	case rbacv1.ServiceAccountKind:
		ns := cmp.Or(s.Namespace, bindingNS)
		return admins.Is(rbac.ServiceAccountUsername(ns, s.Name), []string{rbac.AllServiceAccounts, rbac.AllServiceAccounts + ":" + ns})
	}
	return false
}

func subjectString(s rbacv1.Subject, bindingNS string) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return s.Kind + " " + cmp.Or(s.Namespace, bindingNS) + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// anonymous: AN01, anon's findings (the bootstrap system:public-info-viewer binding
// left out, as the chapter allows it).
func (a *auditor) anonymous() string {
	if a.in.RBAC == nil {
		return rbacNotRead
	}
	for _, f := range anon.Find(a.in.RBAC, anon.Options{}) {
		b := f.Binding
		if b.Namespace != "" && !a.inNamespace(b.Namespace) {
			continue
		}
		var subs, grants []string
		for _, s := range f.Anonymous {
			subs = append(subs, s.Kind+" "+s.Name)
		}
		for _, r := range f.Rules {
			grants = append(grants, rbac.RuleString(r))
		}
		if !f.RoleExists {
			grants = []string{"nothing (the role does not exist)"}
		}
		a.add(CheckAnonymous, v1alpha1.SeverityHigh, v1alpha1.AuditObject{Kind: b.Kind, Namespace: b.Namespace, Name: b.Name}, "",
			fmt.Sprintf("grants %s/%s to %s: %s", b.RoleRef.Kind, b.RoleRef.Name, strings.Join(subs, ", "), strings.Join(grants, "; ")),
			"kubectl eksiam anon revoke (preview with --dry-run=server)")
	}
	return ""
}

// serviceAccounts: the default service account findings (SA01-SA09) and the legacy
// token Secrets (ST01), both from harden's audit.
func (a *auditor) serviceAccounts(check string) string {
	if a.in.Harden == nil {
		return "the service accounts, pods, workloads and Secrets were not read"
	}
	if a.hardened == nil {
		a.hardened = harden.Audit(a.in.Harden, harden.Options{})
	}
	for _, f := range a.hardened.Findings {
		obj := v1alpha1.AuditObject{Kind: f.Object.Kind, Namespace: f.Object.Namespace, Name: f.Object.Name}
		ns := cmp.Or(f.Namespace, "NAMESPACE")
		if f.Check == harden.CheckLegacyTokenSecret {
			if check == CheckTokenSecrets {
				a.add(CheckTokenSecrets, f.Severity, obj, RecNoSATokens+" ("+f.Benchmark+")", f.Message,
					fmt.Sprintf("%s: kubectl delete secret -n %s %s", f.Fix, f.Object.Namespace, f.Object.Name))
			}
			continue
		}
		id, rec := saID(f.Check)
		if check != CheckDefaultSA || id == "" {
			continue
		}
		fix := f.Fix
		switch {
		case f.Check == harden.CheckDefaultSABinding:
			fix = "kubectl eksiam sa harden -n " + ns + " --remove-default-bindings"
		case f.Fixable:
			fix = "kubectl eksiam sa harden -n " + ns + " (" + f.Fix + ")"
		}
		if len(f.Grants) > 0 {
			f.Message += " (" + strings.Join(f.Grants, "; ") + ")"
		}
		a.add(id, f.Severity, obj, rec+" ("+strings.ReplaceAll(f.Benchmark, ",", ", ")+")", f.Message, fix)
	}
	return ""
}

// piReport is pod identity's answer, built once for PI and RT01.
func (a *auditor) piReport() *v1alpha1.PodIdentityReport {
	if a.pi == nil {
		a.pi = podidentity.Build(a.in.PodIdentity, podidentity.Options{})
	}
	return a.pi
}

// podIdentity: pod identity's findings (PI01-PI10); partial when an AWS input is
// missing.
func (a *auditor) podIdentity() (notRun, partly string) {
	if a.in.PodIdentity == nil {
		return "the service accounts, pods and nodes were not read", ""
	}
	for _, f := range a.piReport().Findings {
		obj := v1alpha1.AuditObject{Kind: "ServiceAccount", Namespace: f.Namespace, Name: f.ServiceAccount, ARN: f.RoleARN}
		if f.ServiceAccount == "" {
			obj = principalObject(f.RoleARN)
		}
		fix := piFixes[f.ID] + " (kubectl eksiam pod-identity"
		if f.RoleARN != "" {
			fix += " --role " + f.RoleARN
		}
		a.add(f.ID, f.Severity, obj, f.Recommendation, f.Message, fix+" -A shows it)")
	}
	var missing []string
	for _, in := range a.in.AWSInputs {
		if in.Status != "read" && in.Status != "not-found" {
			missing = append(missing, in.Name+" ("+in.Status+")")
		}
	}
	if len(a.in.AWSInputs) == 0 {
		missing = append(missing, "every AWS input")
	}
	if len(missing) > 0 {
		partly = "not read: " + strings.Join(missing, ", ") + ": the findings that need them (trust policies, associations, IMDS) are not known"
	}
	return "", partly
}

// rootIRSA: RT01, pods whose containers get IRSA credentials and run as root
// (runAsUser 0: medium; neither runAsUser nor runAsNonRoot set, so root unless the
// image sets a user: low).
func (a *auditor) rootIRSA() string {
	if a.in.PodIdentity == nil {
		return "the pods and service accounts were not read"
	}
	pods := map[string]*podidentity.Pod{}
	for i := range a.in.PodIdentity.Pods {
		p := &a.in.PodIdentity.Pods[i]
		pods[p.Namespace+"/"+p.Name] = p
	}
	for _, sa := range a.piReport().ServiceAccounts {
		for _, pe := range sa.Pods {
			p := pods[pe.Namespace+"/"+pe.Name]
			if p == nil || !a.inNamespace(p.Namespace) {
				continue
			}
			var root, unset, roles []string
			for _, cr := range pe.Credentials {
				if cr.Via != v1alpha1.ViaIRSA {
					continue
				}
				if cr.RoleARN != "" && !slices.Contains(roles, cr.RoleARN) {
					roles = append(roles, cr.RoleARN)
				}
				for _, name := range cr.Containers {
					i := slices.IndexFunc(p.Containers, func(c podidentity.Container) bool { return c.Name == name })
					if i < 0 {
						continue
					}
					switch c := p.Containers[i]; {
					case c.RunAsNonRoot != nil && *c.RunAsNonRoot, c.RunAsUser != nil && *c.RunAsUser != 0:
					case c.RunAsUser != nil:
						root = append(root, name)
					default:
						unset = append(unset, name)
					}
				}
			}
			if len(root)+len(unset) == 0 {
				continue
			}
			obj := v1alpha1.AuditObject{Kind: "Pod", Namespace: p.Namespace, Name: p.Name}
			if len(roles) > 0 {
				obj.ARN = roles[0]
			}
			role := strings.Join(roles, ", ")
			if len(root) > 0 {
				a.add(CheckRootIRSA, v1alpha1.SeverityMedium, obj, "",
					fmt.Sprintf("container(s) %s run as root (runAsUser: 0) with the IRSA credentials of %s", strings.Join(root, ", "), role), "")
				continue
			}
			a.add(CheckRootIRSA, v1alpha1.SeverityLow, obj, "",
				fmt.Sprintf("container(s) %s get the IRSA credentials of %s and set neither runAsUser nor runAsNonRoot: they run as root unless the image sets a user", strings.Join(unset, ", "), role), "")
		}
	}
	return ""
}
