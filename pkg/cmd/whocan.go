package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/output"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/resources"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

const whoCanLong = `List every RBAC subject (User, Group, ServiceAccount) allowed to perform an action,
with the bindings and roles that allow it and where: cluster-wide or in which
namespaces.

The answer follows the API server's RBAC authorizer exactly: "*" verbs, groups and
resources; subresources ("pods/exec", "*/scale"); resourceNames (a rule limited to
names allows only the named object); non-resource URLs, including the "/path/*"
prefix form; RoleBindings to Roles and ClusterRoles (in their namespace only);
ClusterRoleBindings; ServiceAccount subjects and groups such as
system:authenticated, system:unauthenticated and system:serviceaccounts[:<ns>]. The
group system:masters is always listed: the API server allows it everything.

TYPE is what kubectl get accepts: a short name, singular, plural or kind, optionally
with its group (po, deploy, deployments.apps, pods.metrics.k8s.io). Resources only
RBAC knows work too: users, groups, serviceaccounts, uids and userextras/<key> for
impersonate, signers for approve and sign. Cluster-scoped resources and non-resource
URLs are evaluated at cluster scope whatever -n says.

With -n (default: the kubeconfig's namespace) the question is "allowed in that
namespace"; with -A it is "allowed cluster-wide or in at least one namespace", and
each grant shows its scope.

Live, it reads ClusterRoles and ClusterRoleBindings (and Roles and RoleBindings for
namespaced resources: in the one namespace with -n, in all with -A) with one paged
LIST each, all at once. If any read is forbidden or fails it says what could not be
read and exits 2: it never answers from a partial view. With -f it reads the objects
from files written by 'kubectl get -o yaml|json' and contacts no cluster.

IAM: the IAM PRINCIPALS column lists the roles and users that reach each subject (or a
group it is) through kube-system/aws-auth and EKS access entries, under the cluster's
authentication mode (an access entry wins over aws-auth for its principal in
API_AND_CONFIG_MAP; API ignores aws-auth); principals allowed by an EKS access policy
are listed below the table. Access entries are read with the usual AWS credential
chain when the kubeconfig authenticates through aws eks get-token or
aws-iam-authenticator (or --cluster-name is given), or from --access-entries-file;
without AWS credentials, aws-auth alone, with a warning. With -f, aws-auth comes from
the input. --iam=false answers in RBAC terms only.

RBAC needed: list clusterroles and clusterrolebindings; list roles and rolebindings
in the namespace asked for (all namespaces with -A); get configmap aws-auth in
kube-system (unless --iam=false). AWS: eks:DescribeCluster, eks:ListAccessEntries,
eks:DescribeAccessEntry, eks:ListAssociatedAccessPolicies.

Exit codes: 0 answered; 2 error (bad arguments, unknown resource type, unreadable
input, a failed or forbidden read, or an input missing ClusterRoles or
ClusterRoleBindings).`

const whoCanExample = `  # Who can read secrets in namespace kube-system?
  kubectl eksiam who-can get secrets -n kube-system

  # Who can exec into pods in any namespace, with the bindings that allow it?
  kubectl eksiam who-can create pods --subresource exec -A -o wide

  # Who can scale the deployment web in namespace app?
  kubectl eksiam who-can update deployments.apps/web --subresource scale -n app

  # Who can impersonate users, or delete nodes (cluster-scoped)?
  kubectl eksiam who-can impersonate users
  kubectl eksiam who-can delete nodes

  # Who can read the /metrics endpoint?
  kubectl eksiam who-can get /metrics

  # Answer from a dump, without a cluster, as JSON
  kubectl get clusterroles,clusterrolebindings,roles,rolebindings -A -o yaml > rbac.yaml
  kubectl eksiam who-can '*' '*' -A -f rbac.yaml -o json`

// Verbs RBAC rules use for resources, and the HTTP verbs of non-resource requests.
// Another verb is answered with a warning, as 'kubectl auth can-i' does: aggregated
// APIs and controllers define verbs of their own, but a typo matches only "*" rules.
func resourceVerbs() []string {
	return []string{"*", "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
		"use", "bind", "escalate", "impersonate", "approve", "sign", "attest"}
}

func nonResourceVerbs() []string {
	return []string{"*", "get", "head", "options", "post", "put", "patch", "delete"}
}

// WhoCanOptions are the inputs of `kubectl eksiam who-can`.
type WhoCanOptions struct {
	// From arguments and flags.
	Verb           string
	ResourceArg    string // TYPE[.GROUP] as typed
	ResourceName   string
	Subresource    string
	NonResourceURL string
	Scope          cmdutil.ScopeFlags
	Files          cmdutil.FilenameFlags
	Print          *cmdutil.PrintFlags
	// IAM resolves IAM principals through aws-auth and access entries (--iam, default true).
	IAM bool
	EKS eksFlags
	// Escalation also lists the subjects that reach the action through an escalation
	// path (--escalation; see whocan_escalation.go).
	Escalation bool

	// Input is where to read (Complete sets it; tests set fake clients).
	Input source.Input
	// PageSize of the live LISTs; 0 means the default.
	PageSize int64

	genericiooptions.IOStreams
}

// NewWhoCanOptions returns the options with their defaults.
func NewWhoCanOptions(streams genericiooptions.IOStreams) *WhoCanOptions {
	return &WhoCanOptions{IOStreams: streams, Print: cmdutil.NewTablePrintFlags(), IAM: true, EKS: eksFlags{AccessEntries: true}}
}

// NewCmdWhoCan returns `kubectl eksiam who-can`.
func NewCmdWhoCan(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := NewWhoCanOptions(streams)
	cmd := &cobra.Command{
		Use:                   "who-can VERB TYPE[.GROUP][/NAME] | VERB NONRESOURCEURL",
		DisableFlagsInUseLine: true,
		Short:                 "List the subjects allowed to perform an action, and the bindings that allow it",
		Long:                  whoCanLong,
		Example:               whoCanExample,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			switch len(args) {
			case 0:
				return completeVerbs(cmd, args, toComplete)
			case 1:
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
	o.Scope.AddFlags(cmd, "Allowed cluster-wide or in at least one namespace, instead of in the current namespace.")
	fl.StringVar(&o.Subresource, "subresource", "", "Subresource, such as exec, log, scale or status.")
	o.Print.AddFlags(cmd)
	o.Files.AddFlags(cmd, "Read RBAC objects from these files, directories or - (stdin) instead of a cluster (repeatable).")
	fl.BoolVar(&o.IAM, "iam", true, "List the IAM principals that reach each subject through the aws-auth ConfigMap (needs get on configmap kube-system/aws-auth) and EKS access entries.")
	o.EKS.add(fl)
	o.EKS.addClusterCreator(fl)
	fl.BoolVar(&o.Escalation, "escalation", false, "Also list the subjects that reach the action through an escalation path (as 'kubectl eksiam can' finds them), marked as such; reads every namespace's RBAC.")
	_ = cmd.RegisterFlagCompletionFunc("subresource", completeFixed("exec", "log", "attach", "portforward", "proxy", "scale", "status", "eviction", "binding", "token", "approval"))
	return cmd
}

// Complete fills in what the flags leave implicit: the arguments, the namespace, the
// clients. It contacts no server.
func (o *WhoCanOptions) Complete(f genericclioptions.RESTClientGetter, cmd *cobra.Command, args []string) error {
	if len(args) != 2 {
		return cmdutil.UsageErrorf("who-can takes exactly two arguments, VERB and TYPE[/NAME] or a non-resource URL; got %d (see 'kubectl eksiam who-can --help')", len(args))
	}
	o.Verb = args[0]
	if strings.HasPrefix(args[1], "/") {
		o.NonResourceURL = args[1]
	} else {
		o.ResourceArg, o.ResourceName, _ = strings.Cut(args[1], "/")
	}
	return completeInput(f, cmd, &o.Scope, o.Files, &o.Input, o.ErrOut)
}

// completeInput resolves the namespace and where to read from, the same way for
// every reading command: -f reads files and contacts no cluster (the kubeconfig then
// only supplies the default namespace); otherwise the live clients are built.
func completeInput(f genericclioptions.RESTClientGetter, cmd *cobra.Command, scope *cmdutil.ScopeFlags, files cmdutil.FilenameFlags, in *source.Input, errOut io.Writer) error {
	if err := scope.Complete(f, cmd, files.Offline(), errOut); err != nil {
		return err
	}
	*in = source.Input{Getter: f, Files: files.FilenameOptions, Namespace: scope.Namespace}
	if files.Offline() {
		return nil
	}
	var err error
	in.Clients, err = source.Connect(f)
	return err
}

// Validate checks the inputs without contacting any server.
func (o *WhoCanOptions) Validate() error {
	if o.Verb == "" {
		return cmdutil.UsageErrorf("VERB must not be empty")
	}
	if o.NonResourceURL != "" {
		if o.Subresource != "" {
			return cmdutil.UsageErrorf("--subresource cannot be used with a non-resource URL")
		}
	} else {
		if o.ResourceArg == "" {
			return cmdutil.UsageErrorf("resource type must not be empty")
		}
		if strings.Contains(o.Subresource, "/") {
			return cmdutil.UsageErrorf("invalid --subresource %q: it must not contain '/'", o.Subresource)
		}
	}
	return o.Print.Validate()
}

// unknownVerb is the warning for a verb RBAC has no meaning for, "" for a known one.
func (o *WhoCanOptions) unknownVerb() string {
	known, kind := resourceVerbs(), "resource"
	if o.NonResourceURL != "" {
		known, kind = nonResourceVerbs(), "non-resource URL"
	}
	if slices.Contains(known, o.Verb) {
		return ""
	}
	return fmt.Sprintf("verb %q is not a known %s verb (%s): answering anyway, for an API or controller that defines it; a typo matches only rules with \"*\"", o.Verb, kind, strings.Join(known, ", "))
}

// Run answers the question.
func (o *WhoCanOptions) Run(ctx context.Context) error {
	var (
		q     *rbac.Query
		query v1alpha1.WhoCanQuery
	)
	req := source.Request{RBAC: func(m meta.RESTMapper) (source.RBACScope, error) {
		var err error
		if q, query, err = o.query(m, o.Input.Offline()); err != nil {
			return source.RBACScope{}, err
		}
		scope := source.RBACScope{Namespaced: !q.ClusterLevel(), PageSize: o.PageSize}
		if !q.AllNamespaces && !o.Escalation {
			scope.Namespace = q.Namespace
		}
		scope.Namespaced = scope.Namespaced || o.Escalation
		return scope, nil
	}}
	if o.IAM {
		req.AWSAuth, req.Access = true, o.EKS.request()
	}
	snap, err := source.Read(ctx, &o.Input, req)
	var unreadable *source.AWSAuthReadError
	if errors.As(err, &unreadable) {
		return fmt.Errorf("%w (pass --iam=false to answer in RBAC terms only)", err)
	}
	if err != nil {
		return err
	}

	ix := rbac.NewIndex(snap.RBAC)
	result := ix.WhoCan(*q)
	report := newWhoCanReport(query, &result)
	if o.Escalation {
		addEscalation(report, snap, ix, q, &result, o.IAM)
	}
	if w := o.unknownVerb(); w != "" {
		report.Warnings = append([]v1alpha1.Warning{{Reason: "UnknownVerb", Message: w}}, report.Warnings...)
	}
	if r := query.Resource; r != nil {
		if w, ok := nameIsASubresource(o.ResourceArg, r.Resource, r.Subresource, r.Name); ok {
			report.Warnings = append([]v1alpha1.Warning{w}, report.Warnings...)
		}
	}
	report.Warnings = append(report.Warnings, snap.Warnings...)
	if o.IAM && (snap.AWSAuth != nil || snap.Access != nil) {
		addIAMPrincipals(report, snap, o.EKS.ClusterCreator, q)
	}
	report.Complete = snap.Complete()

	if o.Scope.Explicit && query.Scope == v1alpha1.ScopeCluster && !o.Scope.AllNamespaces {
		fmt.Fprintf(o.ErrOut, "Warning: %s: -n %s does not apply\n", clusterScopeReason(query), o.Scope.Namespace)
	}
	readErr := snap.Err()
	// The snapshot and its index are garbage from here on (the report holds what it
	// prints, and neither is used below): collect them before the output is encoded,
	// so its buffers do not stack on top of them. This keeps the peak RSS of a large
	// -A answer under 100 MiB for a few ms (docs/benchmarks.md §2).
	runtime.GC()
	printWarnings(o.ErrOut, report.Warnings)
	printFindings(o.ErrOut, report.Findings)
	if err := o.print(report); err != nil {
		return err
	}
	return readErr
}

// printWarnings writes a report's warnings to stderr, at the one point every command
// writes them: after reading and deciding, before the answer.
func printWarnings(w io.Writer, warnings []v1alpha1.Warning) {
	for _, x := range warnings {
		fmt.Fprintf(w, "Warning: %s\n", x.Message)
	}
}

// query resolves the resource type and builds the question for the engine and for the report.
func (o *WhoCanOptions) query(mapper meta.RESTMapper, offline bool) (*rbac.Query, v1alpha1.WhoCanQuery, error) {
	q := &rbac.Query{Attributes: rbac.Attributes{Verb: o.Verb}}
	report := v1alpha1.WhoCanQuery{Verb: o.Verb}
	if o.NonResourceURL != "" {
		q.Path = o.NonResourceURL
		report.NonResourceURL = o.NonResourceURL
		report.Scope = v1alpha1.ScopeCluster
		return q, report, nil
	}

	res, err := resources.Resolve(mapper, o.ResourceArg)
	if err != nil {
		var nf *resources.NotFoundError
		if offline && errors.As(err, &nf) {
			return nil, report, cmdutil.UsageErrorf("no resource type %q in the built-in table of Kubernetes resources or in the input: for a custom resource, add its CustomResourceDefinition to the -f input", nf.Arg)
		}
		return nil, report, fmt.Errorf("cannot resolve resource type %q: %w", o.ResourceArg, err)
	}
	q.APIGroup, q.Resource, q.Subresource, q.Name = res.Group, res.Resource, o.Subresource, o.ResourceName
	// userextras/<key>[/<value>]: the key is the subresource, the value the name.
	if res.Resource == "userextras" && q.Subresource == "" && q.Name != "" {
		q.Subresource, q.Name, _ = strings.Cut(q.Name, "/")
	}
	switch {
	case !res.Namespaced:
		report.Scope = v1alpha1.ScopeCluster
	case o.Scope.AllNamespaces:
		q.AllNamespaces = true
		report.Scope = v1alpha1.ScopeAllNamespaces
	default:
		q.Namespace = o.Scope.Namespace
		report.Scope = v1alpha1.ScopeNamespace
		report.Namespace = o.Scope.Namespace
	}
	report.Resource = &v1alpha1.ResourceAttributes{
		Group: q.APIGroup, Resource: q.Resource, Subresource: q.Subresource, Name: q.Name, Namespaced: res.Namespaced,
	}
	return q, report, nil
}

// clusterScopeReason says why a question is evaluated at cluster scope.
func clusterScopeReason(q v1alpha1.WhoCanQuery) string {
	if q.Resource == nil {
		return q.NonResourceURL + " is a non-resource URL"
	}
	r := resources.Resource{Group: q.Resource.Group, Resource: q.Resource.Resource}
	return r.String() + " is cluster-scoped"
}

func newWhoCanReport(q v1alpha1.WhoCanQuery, res *rbac.Result) *v1alpha1.WhoCanReport {
	r := &v1alpha1.WhoCanReport{
		Query:         q,
		Complete:      true,
		Subjects:      make([]v1alpha1.Subject, 0, len(res.Subjects)),
		IAMPrincipals: []v1alpha1.IAMPrincipal{},
		Findings:      []v1alpha1.IAMFinding{},
		Warnings:      []v1alpha1.Warning{},
	}
	v1alpha1.SetKind(r, "WhoCanReport")
	for i := range res.Subjects {
		sa := &res.Subjects[i]
		s := v1alpha1.Subject{
			Kind: sa.Subject.Kind, Name: sa.Subject.Name, Namespace: sa.Subject.Namespace,
			Superuser: sa.Superuser, ClusterWide: sa.ClusterWide(),
			Namespaces: sa.Namespaces(), Grants: make([]v1alpha1.Grant, 0, len(sa.Grants)),
			IAMPrincipals: []string{},
		}
		if s.Namespaces == nil {
			s.Namespaces = []string{}
		}
		for _, g := range sa.Grants {
			vg := v1alpha1.Grant{Binding: objectRef(g.Binding), Role: objectRef(g.Role), Scope: v1alpha1.ScopeCluster, Rule: *g.Rule, BoundAs: g.BoundAs}
			if g.Namespace != "" {
				vg.Scope, vg.Namespace = v1alpha1.ScopeNamespace, g.Namespace
			}
			s.Grants = append(s.Grants, vg)
		}
		r.Subjects = append(r.Subjects, s)
	}
	for _, w := range res.Warnings {
		ref := objectRef(w.Object)
		r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: w.Reason, Message: w.Message, Object: &ref})
	}
	return r
}

func objectRef(r rbac.ObjectRef) v1alpha1.ObjectRef {
	return v1alpha1.ObjectRef{Kind: r.Kind, Name: r.Name, Namespace: r.Namespace}
}

// maxScopeNamespaces bounds the SCOPE column of the default table; -o wide and -o json
// show every namespace.
const maxScopeNamespaces = 5

func (o *WhoCanOptions) print(r *v1alpha1.WhoCanReport) error {
	if !o.Print.IsTable() {
		return o.Print.Print(o.Out, r)
	}
	wide := o.Print.Wide()
	t := output.Table{Headers: []string{"KIND", "NAME", "NAMESPACE", "SCOPE", "IAM PRINCIPALS"}}
	if wide {
		t.Headers = append(t.Headers, "BINDINGS", "ROLES")
	}
	for _, s := range r.Subjects {
		row := []string{s.Kind, s.Name, s.Namespace, scopeCell(&s, wide), iamCell(s.IAMPrincipals, wide)}
		if wide {
			bindings, roles := grantCells(s.Grants)
			row = append(row, bindings, roles)
		}
		t.Append(row...)
	}
	if err := t.Write(o.Out, o.Print.NoHeaders); err != nil {
		return err
	}
	// Access policies allow without RBAC subjects: list those principals apart.
	var viaPolicies []string
	for _, p := range r.IAMPrincipals {
		if p.Status != "active" || len(p.ViaAccessPolicies) == 0 {
			continue
		}
		var pols []string
		for _, ap := range p.ViaAccessPolicies {
			scope := "cluster"
			if ap.Scope == eks.ScopeNamespace {
				scope = "namespaces " + strings.Join(ap.Namespaces, ",")
			}
			pols = append(pols, eks.PolicyName(ap.PolicyARN)+" ("+scope+")")
		}
		name := p.ARN
		if !wide {
			name = shortARN(p.ARN)
		}
		viaPolicies = append(viaPolicies, name+": "+strings.Join(pols, ", "))
	}
	if len(viaPolicies) > 0 {
		fmt.Fprintf(o.Out, "Also allowed through EKS access policies: %s\n", strings.Join(viaPolicies, "; "))
	}
	return nil
}

func scopeCell(s *v1alpha1.Subject, wide bool) string {
	switch {
	case s.Superuser:
		return "cluster-wide (superuser)"
	case s.Escalation != nil:
		return escalationCell(s.Escalation)
	case s.ClusterWide:
		return "cluster-wide"
	case !wide && len(s.Namespaces) > maxScopeNamespaces:
		return strings.Join(s.Namespaces[:maxScopeNamespaces], ",") + fmt.Sprintf(",+%d more", len(s.Namespaces)-maxScopeNamespaces)
	}
	return strings.Join(s.Namespaces, ",")
}

// grantCells lists each distinct binding and the role it grants, in grant order, so
// that the n-th entry of BINDINGS goes with the n-th entry of ROLES.
func grantCells(grants []v1alpha1.Grant) (bindings, roles string) {
	type pair struct{ binding, role string }
	var pairs []pair
	for _, g := range grants {
		p := pair{refString(g.Binding), refString(g.Role)}
		if !slices.Contains(pairs, p) {
			pairs = append(pairs, p)
		}
	}
	if len(pairs) == 0 {
		return "<none>", "<none>"
	}
	var b, r []string
	for _, p := range pairs {
		b, r = append(b, p.binding), append(r, p.role)
	}
	return strings.Join(b, ","), strings.Join(r, ",")
}

func refString(ref v1alpha1.ObjectRef) string {
	if ref.Namespace != "" {
		return ref.Kind + "/" + ref.Namespace + "/" + ref.Name
	}
	return ref.Kind + "/" + ref.Name
}

// nameIsASubresource warns when TYPE/NAME names an object after a subresource of TYPE
// (pods/exec): the question is about the object of that name, which is rarely meant.
// typeArg is TYPE as given.
func nameIsASubresource(typeArg, resource, subresource, name string) (v1alpha1.Warning, bool) {
	if subresource != "" || name == "" || !slices.Contains(resources.KnownSubresources(resource), name) {
		return v1alpha1.Warning{}, false
	}
	return v1alpha1.Warning{Reason: "NameIsASubresource", Message: fmt.Sprintf(
		"%s/%s asks about one object of %s, named %q; for the subresource, use '%s --subresource %s'", typeArg, name, resource, name, typeArg, name)}, true
}
