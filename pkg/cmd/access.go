package cmd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	rbacclient "k8s.io/client-go/kubernetes/typed/rbac/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/identity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/output"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/resources"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

const accessLong = `Show what one IAM principal can do in the cluster, without impersonation rights:
the identity it gets (username, groups, which source maps it and which mappings the
authentication mode shadows or ignores), then its effective permissions, the rules
it reaches through RBAC (like 'kubectl auth can-i --list', for an ARN) and through EKS
access policies, with their scope.

ARN may be a role, a user, or an assumed-role session ARN (whose session name then
renders {{SessionName}} in the username). Sources follow the cluster's authentication
mode: CONFIG_MAP reads aws-auth, API access entries, API_AND_CONFIG_MAP both, with an
access entry winning for its principal. Access entries are read with the usual AWS
credential chain when the kubeconfig points at EKS (or --cluster-name is given), or
from --access-entries-file; without them, aws-auth alone is used, and a warning says so.

With --verb and --resource (or a non-resource URL), it answers yes or no, with the
binding or access policy that allows it.

RBAC needed: list the RBAC kinds (roles and rolebindings in the namespace asked, or all
with -A); get configmap aws-auth in kube-system. With -f, nothing is read from the
cluster.

Exit codes: 0 listed, or allowed; 1 not allowed (with --verb); 2 error.`

// AccessOptions are the inputs of `kubectl eksiam access`.
type AccessOptions struct {
	ARN           string
	Verb          string
	ResourceArg   string
	Subresource   string
	Namespace     string
	AllNamespaces bool
	Output        string
	NoHeaders     bool
	Filenames     []string
	Recursive     bool
	EKS           eksFlags

	RBAC   rbacclient.RbacV1Interface
	Core   corev1client.ConfigMapsGetter
	Mapper meta.RESTMapper
	Getter genericclioptions.RESTClientGetter
	loader clientcmd.ClientConfig
	genericiooptions.IOStreams
}

// NewCmdAccess returns `kubectl eksiam access`.
func NewCmdAccess(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &AccessOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "access ARN [--verb VERB --resource TYPE[.GROUP][/NAME] | --verb VERB --resource NONRESOURCEURL]",
		Short: "Show the identity and the effective permissions of one IAM principal",
		Long:  accessLong,
		Example: `  # Who is this role in the cluster, and what can it do in namespace app?
  kubectl eksiam access arn:aws:iam::111122223333:role/Developer -n app

  # Can this session delete pods in namespace app?
  kubectl eksiam access arn:aws:sts::111122223333:assumed-role/Developer/jo --verb delete --resource pods -n app

  # Offline, from dumps
  kubectl eksiam access arn:aws:iam::111122223333:user/alice -A -f cluster.yaml --access-entries-file entries.json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeARNs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ARN = args[0]
			if err := o.Complete(f, cmd); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Verb, "verb", "", "With --resource: answer whether the principal may do this.")
	fl.StringVar(&o.ResourceArg, "resource", "", "TYPE[.GROUP][/NAME] or a non-resource URL, with --verb.")
	fl.StringVar(&o.Subresource, "subresource", "", "Subresource, with --resource.")
	fl.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "Permissions in every namespace (RoleBindings and namespace-scoped access policies of all namespaces).")
	fl.StringVarP(&o.Output, "output", "o", "", "Output format: "+strings.Join(output.Formats(), ", ")+".")
	fl.BoolVar(&o.NoHeaders, "no-headers", false, "Don't print headers (table output only).")
	fl.StringSliceVarP(&o.Filenames, "filename", "f", nil, "Read RBAC objects and aws-auth from these files instead of a cluster.")
	fl.BoolVarP(&o.Recursive, "recursive", "R", false, "Process the directories given with -f recursively.")
	o.EKS.add(fl)
	o.EKS.addClusterCreator(fl)
	_ = cmd.RegisterFlagCompletionFunc("verb", completeVerbs)
	_ = cmd.RegisterFlagCompletionFunc("resource", func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return completeTypes(f, toComplete)
	})
	return cmd
}

// Complete resolves the namespace and the clients.
func (o *AccessOptions) Complete(f genericclioptions.RESTClientGetter, cmd *cobra.Command) error {
	o.Getter, o.loader = f, f.ToRawKubeConfigLoader()
	var err error
	if fl := cmd.Flag("namespace"); fl != nil && fl.Changed {
		o.Namespace = fl.Value.String()
	} else if o.Namespace, _, err = o.loader.Namespace(); err != nil {
		if len(o.Filenames) == 0 {
			return err
		}
		o.Namespace = "default"
	}
	if len(o.Filenames) > 0 {
		return nil
	}
	o.RBAC, o.Core, o.Mapper, err = liveClients(f)
	return err
}

// Validate checks the flags.
func (o *AccessOptions) Validate() error {
	if (o.Verb == "") != (o.ResourceArg == "") {
		return cmdutil.UsageErrorf("--verb and --resource go together")
	}
	if _, err := awsauth.CanonicalCallerARN(o.ARN); err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	if err := output.ValidateFormat(o.Output); err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	return nil
}

// Run resolves and reports.
func (o *AccessOptions) Run(ctx context.Context) error {
	var (
		snap    *rbac.Snapshot
		awsAuth *source.AWSAuth
		mapper  = o.Mapper
	)
	offline := len(o.Filenames) > 0
	if offline {
		files, err := source.ReadFiles(o.Getter, o.Filenames, o.Recursive)
		if err != nil {
			return err
		}
		snap, awsAuth = &files.RBAC, files.AWSAuth
		d, err := files.Discovery()
		if err != nil {
			return err
		}
		mapper = d.RESTMapper()
	} else {
		scope := source.RBACScope{Namespaced: true}
		if !o.AllNamespaces {
			scope.Namespace = o.Namespace
		}
		var (
			wg      sync.WaitGroup
			authErr error
			err     error
		)
		wg.Go(func() { awsAuth, authErr = source.GetAWSAuth(ctx, o.Core) })
		snap, err = source.ReadRBAC(ctx, o.RBAC, scope)
		wg.Wait()
		if err != nil {
			return err
		}
		if authErr != nil && !apierrors.IsNotFound(authErr) {
			return fmt.Errorf("cannot read configmap kube-system/aws-auth: %w", authErr)
		}
	}
	access, warning, err := o.EKS.load(ctx, o.loader, offline)
	if err != nil {
		return err
	}
	src := identity.Sources{Access: access, CreatorARN: o.EKS.ClusterCreator}
	if awsAuth != nil {
		src.AWSAuth = awsauth.NewStore(awsauth.Parse(awsAuth.Object.Data))
	}
	resolved, err := identity.Resolve(src, o.ARN)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	r := &v1alpha1.AccessReport{ARN: o.ARN, CanonicalARN: resolved.CanonicalARN, AuthenticationMode: src.Mode(), Groups: resolved.Groups,
		Others: []v1alpha1.IAMPrincipal{}, RBACRules: []v1alpha1.AccessRule{}, PolicyRules: []v1alpha1.AccessRule{}, Warnings: []v1alpha1.Warning{},
		ClusterCreator: resolved.ClusterCreator, Findings: identity.CreatorFindings(src)}
	v1alpha1.SetKind(r, "AccessReport")
	if warning != "" {
		r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "AccessEntriesUnavailable", Message: warning})
	}
	if awsAuth == nil && src.Mode() != eks.ModeAPI {
		where := "configmap kube-system/aws-auth does not exist"
		if offline {
			where = "the files hold no configmap kube-system/aws-auth"
		}
		r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "NoAWSAuth", Message: where + ": no aws-auth mappings"})
	}
	if src.Mode() == "" {
		r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "ModeUnknown", Message: "the cluster's authentication mode is unknown (access entries not read): aws-auth is taken as what counts"})
	}
	r.Warnings = append(r.Warnings, resolved.Warnings...)
	if resolved.Ambiguous {
		r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "Ambiguous", Message: "aws-auth maps this ARN in several cases: the authenticator picks one at random"})
	}
	for _, p := range resolved.Others {
		r.Others = append(r.Others, principalReport(p))
	}
	if resolved.Principal == nil {
		r.Mapped = false
	} else {
		r.Mapped = true
		pr := principalReport(*resolved.Principal)
		r.Principal = &pr
		r.Username = resolved.Username
	}

	id := rbac.Identity{Username: resolved.Username, Groups: resolved.Groups}
	ix := rbac.NewIndex(snap)
	if r.Mapped {
		r.Superuser = id.Superuser()
		for _, g := range ix.RulesFor(id, o.Namespace, o.AllNamespaces) {
			r.RBACRules = append(r.RBACRules, v1alpha1.AccessRule{Source: g.Binding.String() + " -> " + g.Role.String(), Namespace: g.Namespace, Rule: g.Rule})
		}
		policies := eks.Policies()
		for _, ap := range resolved.Principal.AccessPolicies {
			pol := policies[eks.PolicyName(ap.PolicyARN)]
			if !pol.Modelled {
				r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "UnmodelledAccessPolicy",
					Message: fmt.Sprintf("access policy %s is not modelled (%s): what it allows is not listed", eks.PolicyName(ap.PolicyARN), cmp.Or(pol.About, "unknown policy"))})
				continue
			}
			if !ap.Scope.Covers(o.Namespace, o.AllNamespaces) {
				continue
			}
			ns := "" // cluster scope: every namespace
			if ap.Scope.Type == eks.ScopeNamespace {
				ns = o.Namespace
				if o.AllNamespaces {
					ns = strings.Join(ap.Scope.Namespaces, ",")
				}
			}
			for _, rule := range pol.Rules {
				r.PolicyRules = append(r.PolicyRules, v1alpha1.AccessRule{Source: pol.Name + " (" + ap.Scope.String() + ")", Namespace: ns, Rule: rule})
			}
		}
	}
	if o.Verb != "" {
		if err := o.answer(r, ix, id, resolved, mapper); err != nil {
			return err
		}
	}
	if err := o.print(r); err != nil {
		return err
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(o.ErrOut, "Warning: %s\n", w.Message)
	}
	printFindings(o.ErrOut, r.Findings)
	if r.Decision != nil && !r.Decision.Allowed {
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}

func principalReport(p identity.Principal) v1alpha1.IAMPrincipal {
	ip := v1alpha1.IAMPrincipal{ARN: p.ARN, Type: p.Type, Source: p.Source, Username: p.Username, Groups: nonNil(p.Groups), Via: []v1alpha1.SubjectRef{},
		Status: p.Status, EntryType: p.EntryType, ViaAccessPolicies: []v1alpha1.AccessPolicyGrant{}}
	for _, ap := range p.AccessPolicies {
		ip.ViaAccessPolicies = append(ip.ViaAccessPolicies, v1alpha1.AccessPolicyGrant{PolicyARN: ap.PolicyARN, Scope: ap.Scope.Type, Namespaces: nonNil(ap.Scope.Namespaces)})
	}
	return ip
}

// answer decides --verb/--resource: RBAC (as the resolved identity) or an access policy.
func (o *AccessOptions) answer(r *v1alpha1.AccessReport, ix *rbac.Index, id rbac.Identity, resolved *identity.Resolved, mapper meta.RESTMapper) error {
	a := rbac.Attributes{Verb: o.Verb}
	d := &v1alpha1.AccessDecision{Verb: o.Verb}
	if strings.HasPrefix(o.ResourceArg, "/") {
		a.Path = o.ResourceArg
		d.Request = o.Verb + " " + o.ResourceArg
	} else {
		typ, name, _ := strings.Cut(o.ResourceArg, "/")
		res, err := resources.Resolve(mapper, typ)
		if err != nil {
			var nf *resources.NotFoundError
			if errors.As(err, &nf) {
				return cmdutil.UsageErrorf("%v", err)
			}
			return err
		}
		a.APIGroup, a.Resource, a.Subresource, a.Name = res.Group, res.Resource, o.Subresource, name
		if res.Namespaced {
			a.Namespace = o.Namespace
		}
		d.Request = fmt.Sprintf("%s %s", o.Verb, res.String())
		if a.Subresource != "" {
			d.Request += "/" + a.Subresource
		}
		if name != "" {
			d.Request += " " + name
		}
		if a.Namespace != "" {
			d.Request += " in " + a.Namespace
		}
	}
	r.Decision = d
	switch {
	case resolved.Principal == nil:
		d.Reason = resolved.NotMappedReason()
		return nil
	case id.Superuser():
		d.Allowed, d.Reason = true, "group system:masters: the API server allows everything"
		return nil
	}
	if ok, g := ix.Allows(id, a); ok {
		d.Allowed, d.Reason = true, fmt.Sprintf("RBAC: %s grants %s", g.Binding, g.Role)
		return nil
	}
	allowing, warnings := resolved.DecidePolicies(&a)
	r.Warnings = append(r.Warnings, warnings...)
	if len(allowing) > 0 {
		d.Allowed, d.Reason = true, fmt.Sprintf("EKS access policy %s (%s)", eks.PolicyName(allowing[0].PolicyARN), allowing[0].Scope.String())
		return nil
	}
	d.Reason = "no RBAC rule and no access policy allows it"
	return nil
}

func (o *AccessOptions) print(r *v1alpha1.AccessReport) error {
	if !output.IsTable(o.Output) {
		return output.PrintObject(o.Out, o.Output, r)
	}
	w := o.Out
	fmt.Fprintf(w, "ARN:       %s\n", r.ARN)
	if r.CanonicalARN != r.ARN {
		fmt.Fprintf(w, "Canonical: %s\n", r.CanonicalARN)
	}
	mode := r.AuthenticationMode
	if mode == "" {
		mode = "unknown (aws-auth assumed)"
	}
	fmt.Fprintf(w, "Mode:      %s\n", mode)
	switch {
	case !r.Mapped && r.ClusterCreator == "possible":
		fmt.Fprintln(w, "Identity:  not mapped in aws-auth (the principal cannot authenticate to the cluster, unless it is the cluster creator:")
		fmt.Fprintln(w, "           a cluster admin, system:masters, that aws-auth does not show; pass --cluster-creator ARN for an exact answer)")
	case !r.Mapped:
		fmt.Fprintln(w, "Identity:  not mapped (the principal cannot authenticate to the cluster)")
	default:
		fmt.Fprintf(w, "Source:    %s\n", r.Principal.Source)
		if r.ClusterCreator == "yes" {
			fmt.Fprintln(w, "Username:  not documented (EKS does not show the cluster creator's mapping)")
		} else {
			fmt.Fprintf(w, "Username:  %s\n", r.Username)
		}
		fmt.Fprintf(w, "Groups:    %s\n", strings.Join(r.Groups, ", "))
	}
	for _, p := range r.Others {
		fmt.Fprintf(w, "Also:      %s is %s\n", p.Source, p.Status)
	}
	if r.Decision != nil {
		answer := "no"
		if r.Decision.Allowed {
			answer = "yes"
		}
		fmt.Fprintf(w, "%s: %s (%s)\n", r.Decision.Request, answer, r.Decision.Reason)
		return nil
	}
	if r.Superuser {
		fmt.Fprintln(w, "Superuser: group system:masters, allowed everything by the API server")
	}
	if !r.Mapped {
		return nil
	}
	return accessTable(r, o.Output == output.FormatWide).Write(w, o.NoHeaders)
}

// accessTable prints the rules the way 'kubectl auth can-i --list' does: one row per
// resource (or URL), names and namespace, with the verbs of every rule that reaches
// it merged; -o wide adds the bindings and access policies they come from.
func accessTable(r *v1alpha1.AccessReport, wide bool) *output.Table {
	type key struct{ ns, resource, url, names string }
	type row struct {
		verbs   []string
		sources []string
	}
	rows := map[key]*row{}
	var order []key
	add := func(k key, x v1alpha1.AccessRule) {
		rw, ok := rows[k]
		if !ok {
			rw = &row{}
			rows[k] = rw
			order = append(order, k)
		}
		for _, v := range x.Rule.Verbs {
			if !slices.Contains(rw.verbs, v) {
				rw.verbs = append(rw.verbs, v)
			}
		}
		if !slices.Contains(rw.sources, x.Source) {
			rw.sources = append(rw.sources, x.Source)
		}
	}
	for _, rules := range [][]v1alpha1.AccessRule{r.RBACRules, r.PolicyRules} {
		for _, x := range rules {
			ns := x.Namespace
			if ns == "" {
				ns = "*"
			}
			names := strings.Join(x.Rule.ResourceNames, ",")
			for _, res := range ruleResources(x.Rule) {
				add(key{ns: ns, resource: res, names: names}, x)
			}
			for _, u := range x.Rule.NonResourceURLs {
				add(key{ns: ns, url: u}, x)
			}
		}
	}
	slices.SortStableFunc(order, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.ns, b.ns), cmp.Compare(a.url, b.url), cmp.Compare(a.resource, b.resource), cmp.Compare(a.names, b.names))
	})
	headers := []string{"NAMESPACE", "RESOURCES", "NON-RESOURCE URLS", "RESOURCE NAMES", "VERBS"}
	if wide {
		headers = append(headers, "VIA")
	}
	t := &output.Table{Headers: headers}
	for _, k := range order {
		rw := rows[k]
		slices.Sort(rw.verbs)
		cells := []string{k.ns, k.resource, k.url, k.names, "[" + strings.Join(rw.verbs, " ") + "]"}
		if wide {
			cells = append(cells, strings.Join(rw.sources, "; "))
		}
		t.Append(cells...)
	}
	return t
}

// ruleResources are the resources of a rule as resource[/subresource].group.
func ruleResources(r rbacv1.PolicyRule) []string {
	var out []string
	for _, g := range r.APIGroups {
		for _, x := range r.Resources {
			if g == "" {
				out = append(out, x)
			} else {
				out = append(out, x+"."+g)
			}
		}
	}
	return out
}
