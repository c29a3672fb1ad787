package cmd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/identity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/output"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/resources"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

const canLong = `Show what one subject can do: every resource type the cluster serves (custom
resources included) against every verb, in a namespace (-n) or cluster-wide and in
each namespace where it gets more (-A); why it may make one request (--explain);
and how it could get more: the escalation paths from its grants, followed through
every identity they lead to, with the shortest path to cluster admin when there is
one.

SUBJECT is serviceaccount/NS/NAME (or system:serviceaccount:NS:NAME), user/NAME,
group/NAME, or an IAM role, user or assumed-role session ARN, resolved through
aws-auth and EKS access entries under the cluster's authentication mode, exactly as
'kubectl eksiam access ARN' resolves it (its access policies count beside RBAC).

The groups the API server adds count, as its authorizer counts them: a service
account is in system:serviceaccounts, system:serviceaccounts:NS and
system:authenticated; a user in system:authenticated (system:unauthenticated for
system:anonymous), plus --group; a group is asked as a member of it (with
system:authenticated). A User named system:serviceaccount:NS:NAME is that service
account. system:masters is allowed everything.

A cell is the answer the API server's RBAC authorizer gives that request: yes (every
name), names (only the resourceNames listed: never a request without a name, such as
list or create), sub (the resource itself no, but some of its subresources yes;
-o wide shows them), no. Subresource rows carry the verbs discovery lists for them;
special verbs where they apply: impersonate (users, groups, serviceaccounts, uids,
userextras), bind and escalate (roles, clusterroles), approve, sign and attest
(signers). Cluster-scoped types are asked at cluster level. With -A the namespaced
types are asked at cluster level ("*": in every namespace), then each namespace
where RoleBindings give more is listed with what it adds. The table lists the types
with any access; -o wide lists every type and subresource.

Escalation routes: create pods or pod-creating workloads (any service account of the
namespace); update pods, pods/exec, pods/attach, pods/ephemeralcontainers (the
service accounts of running pods); create serviceaccounts/token; impersonate users,
groups, serviceaccounts; bind, or escalate and update, (Cluster)Roles with the
(Cluster)RoleBindings to use them; get, list or watch Secrets (legacy tokens);
nodes/proxy; create or update kube-system/aws-auth (any IAM principal to
system:masters, when the authentication mode reads aws-auth); approving
certificatesigningrequests for a client signer; mutating and validating webhook
configurations. A step that needs more than RBAC shows (a running pod, a legacy
token Secret) says so. --escalation=false leaves the paths out. --pod-identity adds
to each step that runs code as a service account (pods, workloads, running pods,
nodes/proxy, webhooks, a token) the AWS IAM roles that service account's pods get:
IRSA, EKS Pod Identity, and (from inside a pod) the node's role through IMDS, read
as 'kubectl eksiam pod-identity' reads them (with --aws-file offline).

Live, it reads the RBAC kinds (in every namespace, for the paths; with
--escalation=false and -n, in that one), discovery, and aws-auth with the access
entries (for an ARN, and for the aws-auth route). With -f, everything comes from
files: the built-in resource table and the input's CRDs stand in for discovery.

RBAC needed: list clusterroles, clusterrolebindings, roles and rolebindings (all
namespaces unless --escalation=false and -n); get configmap aws-auth in kube-system
(for an ARN, or with --escalation). AWS: eks:DescribeCluster, eks:ListAccessEntries,
eks:DescribeAccessEntry, eks:ListAssociatedAccessPolicies (for an ARN, or the mode).
With --pod-identity, also list serviceaccounts, pods, nodes and the pod-creating
workloads in all namespaces, and the AWS calls of 'kubectl eksiam pod-identity'.

Exit codes: 0 answered; 1 the subject can become cluster admin through an escalation
path (it is not one already), or, with --explain, the request is not allowed; 2 error
(bad arguments, an unknown resource type, a failed or forbidden read, or an
incomplete input).`

const canExample = `  # What can the service account ci in namespace app do there, and could it become admin?
  kubectl eksiam can serviceaccount/app/ci -n app

  # Everywhere: cluster level, then each namespace where it gets more, every subresource
  kubectl eksiam can system:serviceaccount:app:ci -A -o wide

  # Why may this role's sessions read secrets in namespace app, or why not?
  kubectl eksiam can arn:aws:iam::111122223333:role/Developer --explain get secrets -n app

  # A group's members, as JSON, from a dump
  kubectl eksiam can group/dev -A -f cluster.yaml -o json

  # The AWS IAM roles its paths reach (IRSA, EKS Pod Identity, node roles)
  kubectl eksiam can serviceaccount/app/ci -n app --pod-identity`

// CanOptions are the inputs of `kubectl eksiam can`.
type CanOptions struct {
	// SubjectArg is SUBJECT as given; Subject what it names.
	SubjectArg string
	Subject    v1alpha1.SubjectRef
	// Groups are added to a user's (--group).
	Groups []string
	// Explain is --explain VERB, ExplainTarget the TYPE[/NAME] or URL after SUBJECT.
	Explain       string
	ExplainTarget string
	Subresource   string
	// Escalation computes the paths (--escalation, default true).
	Escalation bool
	Scope      cmdutil.ScopeFlags
	Files      cmdutil.FilenameFlags
	Print      *cmdutil.PrintFlags
	EKS        eksFlags

	// PodIdentity reads the pod identity map for the IAM roles of the service
	// accounts the paths reach (--pod-identity), from the AWS APIs or AWSFiles.
	PodIdentity   bool
	AWSFiles      []string
	NewAWSClients func(context.Context, source.EKSCluster) (source.AWSClients, error)

	Input    source.Input
	PageSize int64
	genericiooptions.IOStreams
}

// NewCanOptions returns the options with their defaults.
func NewCanOptions(streams genericiooptions.IOStreams) *CanOptions {
	return &CanOptions{IOStreams: streams, Print: cmdutil.NewTablePrintFlags(), Escalation: true, EKS: eksFlags{AccessEntries: true},
		NewAWSClients: source.NewAWSClients}
}

// NewCmdCan returns `kubectl eksiam can`.
func NewCmdCan(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := NewCanOptions(streams)
	cmd := &cobra.Command{
		Use:                   "can SUBJECT [--explain VERB TYPE[.GROUP][/NAME] | --explain VERB NONRESOURCEURL]",
		DisableFlagsInUseLine: true,
		Short:                 "Show what a subject can do, why, and how it could become cluster admin",
		Long:                  canLong,
		Example:               canExample,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				if strings.HasPrefix(toComplete, "arn:") {
					return completeARNs(f)(cmd, args, toComplete)
				}
				return filterPrefix([]string{"serviceaccount/", "user/", "group/", "system:serviceaccount:", "arn:"}, toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
			}
			if len(args) == 1 && o.Explain != "" {
				return completeTypes(f, toComplete)
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(f, cmd, args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	fl := cmd.Flags()
	o.Scope.AddFlags(cmd, "Cluster level and every namespace where the subject gets more, instead of the current namespace.")
	fl.StringVar(&o.Explain, "explain", "", "Explain one request: --explain VERB, then TYPE[.GROUP][/NAME] or a non-resource URL after SUBJECT.")
	fl.StringVar(&o.Subresource, "subresource", "", "Subresource of the request --explain asks about.")
	fl.StringSliceVar(&o.Groups, "group", nil, "Groups a user/NAME subject is in, besides system:authenticated (repeatable).")
	fl.BoolVar(&o.Escalation, "escalation", true, "Find the escalation paths (reads every namespace's RBAC, and aws-auth).")
	fl.BoolVar(&o.PodIdentity, "pod-identity", false, "Show the IAM roles of the service accounts the paths reach (IRSA, EKS Pod Identity, the node role through IMDS): reads service accounts, pods, workloads and nodes, and the AWS inputs as 'kubectl eksiam pod-identity' does.")
	fl.StringArrayVar(&o.AWSFiles, "aws-file", nil, "With --pod-identity, read the AWS inputs from this file or directory of AWS CLI output (repeatable) instead of the AWS APIs.")
	o.Print.AddFlags(cmd)
	o.Files.AddFlags(cmd, "Read RBAC objects, CRDs and aws-auth from these files, directories or - (stdin) instead of a cluster (repeatable).")
	o.EKS.add(fl)
	o.EKS.addClusterCreator(fl)
	_ = cmd.RegisterFlagCompletionFunc("explain", completeVerbs)
	_ = cmd.RegisterFlagCompletionFunc("subresource", completeFixed("exec", "log", "attach", "portforward", "proxy", "scale", "status", "eviction", "binding", "token", "approval"))
	return cmd
}

// Complete reads the arguments and resolves the namespace and where to read.
func (o *CanOptions) Complete(f genericclioptions.RESTClientGetter, cmd *cobra.Command, args []string) error {
	want := 1
	if o.Explain != "" {
		want = 2
	}
	if len(args) != want {
		if want == 2 {
			return cmdutil.UsageErrorf("with --explain VERB, give SUBJECT and then TYPE[/NAME] or a non-resource URL; got %d arguments (see 'kubectl eksiam can --help')", len(args))
		}
		return cmdutil.UsageErrorf("can takes one argument, SUBJECT; got %d (see 'kubectl eksiam can --help')", len(args))
	}
	o.SubjectArg = args[0]
	if want == 2 {
		o.ExplainTarget = args[1]
	}
	return completeInput(f, cmd, &o.Scope, o.Files, &o.Input, o.ErrOut)
}

// Validate checks the inputs without contacting any server.
func (o *CanOptions) Validate() error {
	s, err := parseSubject(o.SubjectArg)
	if err != nil {
		return err
	}
	o.Subject = s
	if len(o.Groups) > 0 && s.Kind != rbacv1.UserKind {
		return cmdutil.UsageErrorf("--group applies to a user/NAME subject only")
	}
	if o.Subresource != "" && (o.Explain == "" || strings.HasPrefix(o.ExplainTarget, "/")) {
		return cmdutil.UsageErrorf("--subresource goes with --explain VERB TYPE")
	}
	if o.PodIdentity && (o.Explain != "" || !o.Escalation) {
		return cmdutil.UsageErrorf("--pod-identity annotates the escalation paths: it does not go with --explain or --escalation=false")
	}
	if len(o.AWSFiles) > 0 && !o.PodIdentity {
		return cmdutil.UsageErrorf("--aws-file goes with --pod-identity")
	}
	return o.Print.Validate()
}

// kindIAMPrincipal is the subject kind of an ARN.
const kindIAMPrincipal = "IAMPrincipal"

// parseSubject reads SUBJECT.
func parseSubject(arg string) (v1alpha1.SubjectRef, error) {
	bad := func(format string, args ...any) (v1alpha1.SubjectRef, error) {
		return v1alpha1.SubjectRef{}, cmdutil.UsageErrorf("invalid SUBJECT %q: "+format+" (serviceaccount/NS/NAME, system:serviceaccount:NS:NAME, user/NAME, group/NAME or an IAM ARN)", append([]any{arg}, args...)...)
	}
	sa := func(ns, name string) (v1alpha1.SubjectRef, error) {
		if len(apivalidation.ValidateNamespaceName(ns, false)) > 0 || len(apivalidation.ValidateServiceAccountName(name, false)) > 0 {
			return bad("%q is not a namespace and service account name", ns+"/"+name)
		}
		return v1alpha1.SubjectRef{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}, nil
	}
	switch {
	case strings.HasPrefix(arg, "arn:"):
		if _, err := iamarn.CanonicalCaller(arg); err != nil {
			return bad("%v", err)
		}
		return v1alpha1.SubjectRef{Kind: kindIAMPrincipal, Name: arg}, nil
	case strings.HasPrefix(arg, "system:serviceaccount:"):
		s := rbac.SubjectForUsername(arg)
		if s.Kind != rbacv1.ServiceAccountKind {
			return bad("not a service account's user name")
		}
		return sa(s.Namespace, s.Name)
	}
	kind, rest, ok := strings.Cut(arg, "/")
	if !ok || rest == "" {
		return bad("no kind")
	}
	switch strings.ToLower(kind) {
	case "serviceaccount", "serviceaccounts", "sa":
		ns, name, ok := strings.Cut(rest, "/")
		if !ok {
			return bad("a service account is serviceaccount/NS/NAME")
		}
		return sa(ns, name)
	case "user", "users":
		return v1alpha1.SubjectRef{Kind: rbacv1.UserKind, Name: rest}, nil
	case "group", "groups":
		return v1alpha1.SubjectRef{Kind: rbacv1.GroupKind, Name: rest}, nil
	}
	return bad("unknown kind %q", kind)
}

// Run answers.
func (o *CanOptions) Run(ctx context.Context) error {
	iam := o.Subject.Kind == kindIAMPrincipal
	scope := source.RBACScope{Namespaced: true, PageSize: o.PageSize}
	if !o.Scope.AllNamespaces && !o.Escalation {
		scope.Namespace = o.Scope.Namespace
	}
	req := source.Request{RBAC: func(meta.RESTMapper) (source.RBACScope, error) { return scope, nil }, Resources: o.Explain == ""}
	if iam || o.Escalation {
		req.AWSAuth, req.Access = true, o.EKS.request()
	}
	if o.PodIdentity {
		// Every namespace: paths cross them.
		req.PodIdentity = &source.PodIdentityScope{PageSize: o.PageSize}
		req.AWS = &source.AWSRequest{Files: o.AWSFiles, Stdin: o.In, ClusterName: o.EKS.ClusterName, Region: o.EKS.Region, NewClients: o.NewAWSClients}
	}
	snap, err := source.Read(ctx, &o.Input, req)
	var unreadable *source.AWSAuthReadError
	if errors.As(err, &unreadable) && !iam {
		return fmt.Errorf("%w (pass --escalation=false to leave the aws-auth route out)", err)
	}
	if err != nil {
		return err
	}
	ix := rbac.NewIndex(snap.RBAC)
	src := identitySources(snap)
	src.CreatorARN = o.EKS.ClusterCreator

	r := v1alpha1.NewCanReport(o.Subject)
	r.Scope, r.Namespace = v1alpha1.ScopeNamespace, o.Scope.Namespace
	if o.Scope.AllNamespaces {
		r.Scope, r.Namespace = v1alpha1.ScopeAllNamespaces, ""
	}
	r.Warnings = append(r.Warnings, snap.Warnings...)
	id, extra, policies, err := o.identity(src, r)
	if err != nil {
		return err
	}
	r.Username, r.Groups, r.Superuser = id.Username, nonNil(id.Groups), id.Superuser()

	if o.Explain != "" {
		if err := o.explain(snap.Mapper, ix, id, policies, r); err != nil {
			return err
		}
	} else {
		m := ix.Matrix(rbac.MatrixQuery{Identity: id, Rows: matrixRows(snap.Resources), Namespace: o.Scope.Namespace,
			AllNamespaces: o.Scope.AllNamespaces, Extra: extra})
		r.Namespaces = m.Namespaces
		for _, c := range m.Cells {
			r.Cells = append(r.Cells, v1alpha1.CanCell{Namespace: c.Namespace, Group: c.Group, Resource: c.Resource,
				Subresource: c.Subresource, Verb: c.Verb, Access: c.Access, Names: nonNil(c.Names)})
		}
		if o.Escalation && r.Mapped {
			e := rbac.NewEscalator(snap.RBAC, ix, rbac.EscalationOptions{AdminObjects: identity.AWSAuthRoute(src)})
			res := e.From(rbac.Subject{Kind: o.Subject.Kind, Name: o.Subject.Name, Namespace: o.Subject.Namespace}, id, extra)
			r.ClusterAdmin = res.ClusterAdmin
			var roles podidentity.ServiceAccountRoles
			if o.PodIdentity {
				roles = o.serviceAccountRoles(snap, r)
			}
			for _, p := range res.Paths {
				r.Paths = append(r.Paths, escalationPath(p, roles))
			}
		}
	}
	r.Complete = snap.Complete()

	printWarnings(o.ErrOut, r.Warnings)
	printFindings(o.ErrOut, r.Findings)
	if err := o.print(r); err != nil {
		return err
	}
	if err := snap.Err(); err != nil {
		return err
	}
	denied := r.Explain != nil && !r.Explain.Allowed
	toAdmin := len(r.Paths) > 0 && r.Paths[0].ClusterAdmin
	if denied || (r.Explain == nil && toAdmin) {
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}

// identity is who the subject is to the authorizers: its identity, the authorizer
// beside RBAC (an IAM principal's access policies), and the report's subject fields.
func (o *CanOptions) identity(src identity.Sources, r *v1alpha1.CanReport) (rbac.Identity, rbac.Authorizer, *identity.PolicyAuthorizer, error) {
	s := rbac.Subject{Kind: o.Subject.Kind, Name: o.Subject.Name, Namespace: o.Subject.Namespace}
	if s.Kind != kindIAMPrincipal {
		id := rbac.IdentityOf(s)
		for _, g := range o.Groups {
			if !slices.Contains(id.Groups, g) {
				id.Groups = append(id.Groups, g)
			}
		}
		return id, nil, nil, nil
	}
	p, err := identity.ResolveSubject(src, o.Subject.Name)
	if err != nil {
		return rbac.Identity{}, nil, nil, cmdutil.UsageErrorf("%v", err)
	}
	r.Warnings = append(r.Warnings, p.Warnings...)
	r.Findings = append(r.Findings, p.Findings...)
	if p.Resolved.Principal == nil {
		r.Mapped = false
		r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "NotMapped", Message: p.Resolved.NotMappedReason() + ": it can do nothing"})
		return rbac.Identity{}, nil, nil, nil
	}
	pr := identity.PrincipalReport(p.Resolved.Principal)
	r.Principal = &pr
	return p.Identity, p.Extra(), p.Policies, nil
}

// matrixRows are the rows of the matrix over what the snapshot serves.
func matrixRows(served []resources.Served) []rbac.MatrixRow {
	var types []rbac.ResourceType
	for _, s := range resources.WithRBACOnly(served) {
		t := rbac.ResourceType{Group: s.Group, Resource: s.Resource, Namespaced: s.Namespaced, RBACOnly: s.RBACOnly}
		for _, sub := range s.Subresources {
			t.Subresources = append(t.Subresources, rbac.SubresourceType{Name: sub.Name, Verbs: sub.Verbs})
		}
		types = append(types, t)
	}
	return rbac.MatrixRows(types)
}

// explain answers --explain.
func (o *CanOptions) explain(mapper meta.RESTMapper, ix *rbac.Index, id rbac.Identity, policies *identity.PolicyAuthorizer, r *v1alpha1.CanReport) error {
	ao := AccessOptions{Verb: o.Explain, ResourceArg: o.ExplainTarget, Subresource: o.Subresource, Scope: o.Scope}
	if o.Scope.AllNamespaces {
		ao.Scope.Namespace = ""
	}
	a, desc, err := ao.request(mapper)
	if err != nil {
		return err
	}
	if w, ok := nameIsASubresource(strings.SplitN(o.ExplainTarget, "/", 2)[0], a.Resource, a.Subresource, a.Name); ok {
		r.Warnings = append(r.Warnings, w)
	}
	ex := v1alpha1.NewExplanation(desc, a.Verb)
	if a.IsResourceRequest() {
		ex.Resource = &v1alpha1.ResourceAttributes{Group: a.APIGroup, Resource: a.Resource, Subresource: a.Subresource, Name: a.Name, Namespaced: a.Namespace != ""}
		ex.Namespace = a.Namespace
	} else {
		ex.NonResourceURL = a.Path
	}
	r.Explain = ex
	if !r.Mapped {
		return nil
	}
	e := ix.Explain(id, *a)
	ex.Allowed = e.Allowed
	if e.Superuser {
		ex.Grants = append(ex.Grants, v1alpha1.ExplainedGrant{Reason: "group " + rbac.SuperuserGroup + ": the API server allows everything"})
	}
	for _, g := range e.Grants {
		ex.Grants = append(ex.Grants, explainedGrant(g, "", a))
	}
	for _, m := range e.NearMisses {
		ex.NearMisses = append(ex.NearMisses, explainedGrant(m.RuleGrant, m.Miss, a))
	}
	if policies != nil {
		grants, misses, warnings := policies.Explain(a)
		ex.Grants = append(ex.Grants, grants...)
		ex.NearMisses = append(ex.NearMisses, misses...)
		r.Warnings = append(r.Warnings, warnings...)
		ex.Allowed = ex.Allowed || len(grants) > 0
	}
	return nil
}

func explainedGrant(g rbac.RuleGrant, miss string, a *rbac.Attributes) v1alpha1.ExplainedGrant {
	b, role, rule := objectRef(g.Binding), objectRef(g.Role), g.Rule
	eg := v1alpha1.ExplainedGrant{Binding: &b, Role: &role, Namespace: g.Namespace, Rule: &rule, Miss: miss}
	where := "cluster-wide"
	if g.Namespace != "" {
		where = "in namespace " + g.Namespace
	}
	via := g.Binding.String() + " -> " + g.Role.String() + " (" + rbac.RuleString(g.Rule) + ")"
	switch miss {
	case "":
		eg.Reason = via + " allows it " + where
	case rbac.MissNamespace:
		if a.Namespace == "" {
			eg.Reason = via + " would allow it, but a RoleBinding (in " + g.Namespace + ") never grants a cluster-level request"
		} else {
			eg.Reason = via + " allows it " + where + " only"
		}
	case rbac.MissName:
		name := "a request without a name"
		if a.Name != "" {
			name = "name " + a.Name
		}
		eg.Reason = via + " allows it only for names " + strings.Join(g.Rule.ResourceNames, ", ") + ", not " + name
	}
	return eg
}

// iamRoutes are the routes whose step gets the IAM roles of the service account it
// leads to, and whether the node's role (IMDS, from inside a pod) counts.
var iamRoutes = map[string]bool{
	rbac.RouteCreatePods: true, rbac.RouteWorkloads: true, rbac.RouteRunningPods: true,
	rbac.RouteNodeProxy: true, rbac.RouteWebhook: true, rbac.RouteToken: false,
}

// serviceAccountRoles are the IAM roles of every service account, from the pod
// identity map; a warning says when that map is incomplete.
func (o *CanOptions) serviceAccountRoles(snap *source.Snapshot, r *v1alpha1.CanReport) podidentity.ServiceAccountRoles {
	pr := podidentity.Build(snap.PodIdentityInput(), podidentity.Options{})
	var unread []string
	for _, in := range snap.AWS.Inputs {
		if in.Status != source.StatusRead {
			unread = append(unread, in.Name)
		}
	}
	if len(unread) > 0 || !pr.Complete {
		r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "PodIdentityIncomplete", Message: "the IAM roles shown may miss some: the pod identity map lacks " +
			cmp.Or(strings.Join(unread, ", "), "some inputs") + " (see 'kubectl eksiam pod-identity -A')"})
	}
	return podidentity.RolesOf(pr)
}

// escalationPath is a path as reported; roles (nil: not known) gives the IAM roles of
// the service accounts its steps lead to.
func escalationPath(p rbac.Path, roles podidentity.ServiceAccountRoles) v1alpha1.EscalationPath {
	out := v1alpha1.EscalationPath{Steps: []v1alpha1.EscalationStep{}, Reaches: p.Reaches, ClusterAdmin: p.ClusterAdmin, Conditional: p.Conditional}
	if p.Target != nil {
		t := subjectRef(*p.Target)
		out.Target = &t
	}
	for _, s := range p.Steps {
		step := v1alpha1.EscalationStep{Route: s.Route, As: subjectRef(s.As), Grant: s.Grant, LeadsTo: s.LeadsTo,
			Condition: s.Condition, Namespace: s.Namespace, Name: s.Name}
		if s.Target != nil {
			t := subjectRef(*s.Target)
			step.Target = &t
		}
		if s.Role != nil {
			ref := objectRef(*s.Role)
			step.Role = &ref
		}
		// The routes that run code as the service account (in a pod, or with a token
		// for it) get its IAM roles; impersonation and legacy tokens do not (their
		// tokens are not the projected ones AWS accepts), and a token alone does not
		// reach the node's role.
		node, runs := iamRoutes[s.Route]
		switch {
		case roles == nil || !runs:
		case s.Target != nil && s.Target.Kind == rbacv1.ServiceAccountKind:
			step.IAMRoles = roles.Of(s.Target.Namespace, s.Target.Name, node)
		case s.AnyServiceAccount:
			step.IAMRoles = roles.In(s.Namespace, node)
		}
		out.Steps = append(out.Steps, step)
	}
	return out
}

func subjectRef(s rbac.Subject) v1alpha1.SubjectRef {
	return v1alpha1.SubjectRef{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace}
}

// ---- Printing ----

func (o *CanOptions) print(r *v1alpha1.CanReport) error {
	if !o.Print.IsTable() {
		return o.Print.Print(o.Out, r)
	}
	w := o.Out
	fmt.Fprintf(w, "Subject:   %s\n", subjectArg(r.Subject))
	if r.Subject.Kind == kindIAMPrincipal {
		switch {
		case !r.Mapped:
			fmt.Fprintln(w, "Identity:  not mapped (the principal cannot authenticate)")
		default:
			fmt.Fprintf(w, "Source:    %s\n", r.Principal.Source)
		}
	}
	if r.Mapped {
		fmt.Fprintf(w, "Username:  %s\n", cmdOr(r.Username, "(none: a group's members)"))
		fmt.Fprintf(w, "Groups:    %s\n", strings.Join(r.Groups, ", "))
	}
	if r.Explain != nil {
		return printExplanation(o.Out, r.Explain)
	}
	if r.Superuser {
		fmt.Fprintln(w, "Superuser: group system:masters, allowed everything by the API server")
	}
	if err := canTable(r, o.Print.Wide()).Write(w, o.Print.NoHeaders); err != nil {
		return err
	}
	if o.Escalation && r.Mapped {
		printPaths(w, r, o.Print.Wide())
	}
	return nil
}

func cmdOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func subjectArg(s v1alpha1.SubjectRef) string {
	switch s.Kind {
	case kindIAMPrincipal:
		return s.Name
	case rbacv1.ServiceAccountKind:
		return "serviceaccount/" + s.Namespace + "/" + s.Name
	}
	return strings.ToLower(s.Kind) + "/" + s.Name
}

// canTable is the matrix as a table: a row per type (and, with wide, per subresource)
// and namespace, a column per standard verb, OTHER for the special verbs allowed.
func canTable(r *v1alpha1.CanReport, wide bool) *output.Table {
	type rowKey struct{ ns, group, resource, sub string }
	cells := map[rowKey]map[string]*v1alpha1.CanCell{}
	var order []rowKey
	base := map[rowKey]map[string]*v1alpha1.CanCell{} // cluster-level cells, for -A namespaces
	for i := range r.Cells {
		c := &r.Cells[i]
		k := rowKey{c.Namespace, c.Group, c.Resource, c.Subresource}
		if cells[k] == nil {
			cells[k] = map[string]*v1alpha1.CanCell{}
			order = append(order, k)
		}
		cells[k][c.Verb] = c
		if c.Namespace == "" {
			if base[rowKey{"", c.Group, c.Resource, c.Subresource}] == nil {
				base[rowKey{"", c.Group, c.Resource, c.Subresource}] = cells[k]
			}
		}
	}
	// A namespace's row under -A lists what it adds; the rest is the cluster level.
	get := func(k rowKey, verb string) *v1alpha1.CanCell {
		if c := cells[k][verb]; c != nil {
			return c
		}
		if r.Scope == v1alpha1.ScopeAllNamespaces {
			return base[rowKey{"", k.group, k.resource, k.sub}][verb]
		}
		return nil
	}
	// subAllows: some subresource of the type allows verb (in the row's namespace).
	subAllows := func(k rowKey, verb string) bool {
		for sk := range cells {
			if sk.ns == k.ns && sk.group == k.group && sk.resource == k.resource && sk.sub != "" {
				if c := get(sk, verb); c != nil && c.Access != v1alpha1.AccessNone {
					return true
				}
			}
		}
		return false
	}
	verbs := rbac.StandardVerbs()
	t := &output.Table{Headers: append(append([]string{"NAMESPACE", "RESOURCE"}, verbs...), "OTHER")}
	for _, k := range order {
		if k.sub != "" && !wide {
			continue
		}
		row := []string{cmdOr(k.ns, "*"), resourceName(k.group, k.resource, k.sub)}
		any := false
		for _, v := range verbs {
			c := get(k, v)
			cell := "-"
			if c != nil {
				switch c.Access {
				case v1alpha1.AccessAll:
					cell, any = "yes", true
				case v1alpha1.AccessSomeNames:
					cell, any = "names", true
				default:
					cell = "no"
				}
			}
			if k.sub == "" && (cell == "no" || cell == "names") && subAllows(k, v) {
				if cell == "no" {
					cell = "sub"
				} else {
					cell = "names+sub"
				}
				any = true
			}
			row = append(row, cell)
		}
		var other []string
		for v, c := range cells[k] {
			if slices.Contains(verbs, v) {
				continue
			}
			if c = get(k, v); c == nil {
				continue
			}
			switch c.Access {
			case v1alpha1.AccessAll:
				other = append(other, v)
			case v1alpha1.AccessSomeNames:
				other = append(other, v+"("+strings.Join(c.Names, ",")+")")
			}
		}
		slices.Sort(other)
		if len(other) > 0 {
			any = true
		}
		row = append(row, cmdOr(strings.Join(other, ","), "-"))
		if any || wide {
			t.Append(row...)
		}
	}
	return t
}

func resourceName(group, resource, sub string) string {
	s := resource
	if sub != "" {
		s += "/" + sub
	}
	if group != "" {
		s += "." + group
	}
	return s
}

// maxPaths bounds the paths the default output lists besides the one to cluster admin.
const maxPaths = 5

func printPaths(w io.Writer, r *v1alpha1.CanReport, wide bool) {
	switch {
	case r.ClusterAdmin:
		fmt.Fprintln(w, "Escalation: already a cluster admin")
		return
	case len(r.Paths) == 0:
		fmt.Fprintln(w, "Escalation: none found")
		return
	}
	paths := r.Paths
	if paths[0].ClusterAdmin {
		fmt.Fprintf(w, "Escalation: cluster admin in %s%s:\n", steps(len(paths[0].Steps)), conditional(paths[0]))
		printSteps(w, paths[0])
		paths = paths[1:]
	} else {
		fmt.Fprintln(w, "Escalation: no path to cluster admin")
	}
	if len(paths) == 0 {
		return
	}
	shown := paths
	if !wide && len(shown) > maxPaths {
		shown = shown[:maxPaths]
	}
	fmt.Fprintf(w, "Also reaches %d subject(s) or role(s):\n", len(paths))
	for _, p := range shown {
		fmt.Fprintf(w, "  %s in %s%s:\n", p.Reaches, steps(len(p.Steps)), conditional(p))
		if wide {
			printSteps(w, p)
		} else {
			last := p.Steps[len(p.Steps)-1]
			fmt.Fprintf(w, "    ... %s: %s\n", last.Route, last.Grant)
			printIAMRoles(w, "    ", last.IAMRoles)
		}
	}
	if len(shown) < len(paths) {
		fmt.Fprintf(w, "  and %d more (-o wide or -o json lists them all)\n", len(paths)-len(shown))
	}
}

func conditional(p v1alpha1.EscalationPath) string {
	if p.Conditional {
		return ", if its conditions hold"
	}
	return ""
}

// maxIAMRolesShown bounds the IAM roles a step lists in the table.
const maxIAMRolesShown = 5

func printSteps(w io.Writer, p v1alpha1.EscalationPath) {
	for i, s := range p.Steps {
		fmt.Fprintf(w, "  %d. [%s] as %s: %s\n     -> %s\n", i+1, s.Route, subjectArg(s.As), s.Grant, s.LeadsTo)
		if s.Condition != "" {
			fmt.Fprintf(w, "     if %s\n", s.Condition)
		}
		printIAMRoles(w, "     ", s.IAMRoles)
	}
}

// printIAMRoles prints the IAM roles a step leads to, the first few.
func printIAMRoles(w io.Writer, indent string, roles []string) {
	if len(roles) == 0 {
		return
	}
	shown := roles[:min(len(roles), maxIAMRolesShown)]
	more := ""
	if len(roles) > len(shown) {
		more = fmt.Sprintf(" and %d more (-o json lists them)", len(roles)-len(shown))
	}
	fmt.Fprintf(w, "%sIAM roles: %s%s\n", indent, strings.Join(shown, ", "), more)
}

func printExplanation(w io.Writer, e *v1alpha1.CanExplanation) error {
	answer := "no"
	if e.Allowed {
		answer = "yes"
	}
	fmt.Fprintf(w, "%s: %s\n", e.Request, answer)
	if len(e.Grants) > 0 {
		fmt.Fprintln(w, "Allowed by:")
		for _, g := range e.Grants {
			fmt.Fprintf(w, "  %s\n", g.Reason)
		}
	}
	if len(e.NearMisses) > 0 {
		fmt.Fprintln(w, "Nearly:")
		for _, g := range e.NearMisses {
			fmt.Fprintf(w, "  %s\n", g.Reason)
		}
	}
	if !e.Allowed && len(e.NearMisses) == 0 {
		fmt.Fprintln(w, "No rule of the subject comes close.")
	}
	return nil
}
