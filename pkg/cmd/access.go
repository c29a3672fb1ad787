package cmd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
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
	ARN         string
	Verb        string
	ResourceArg string
	Subresource string
	Scope       cmdutil.ScopeFlags
	Files       cmdutil.FilenameFlags
	Print       *cmdutil.PrintFlags
	EKS         eksFlags

	Input source.Input
	genericiooptions.IOStreams
}

// NewCmdAccess returns `kubectl eksiam access`.
func NewCmdAccess(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &AccessOptions{IOStreams: streams, Print: cmdutil.NewTablePrintFlags(), EKS: eksFlags{AccessEntries: true}}
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
			if err := completeInput(f, cmd, &o.Scope, o.Files, &o.Input, o.ErrOut); err != nil {
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
	o.Scope.AddFlags(cmd, "Permissions in every namespace (RoleBindings and namespace-scoped access policies of all namespaces).")
	o.Print.AddFlags(cmd)
	o.Files.AddFlags(cmd, "Read RBAC objects and aws-auth from these files instead of a cluster.")
	o.EKS.add(fl)
	o.EKS.addClusterCreator(fl)
	_ = cmd.RegisterFlagCompletionFunc("verb", completeVerbs)
	_ = cmd.RegisterFlagCompletionFunc("resource", func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return completeTypes(f, toComplete)
	})
	return cmd
}

// Validate checks the flags.
func (o *AccessOptions) Validate() error {
	if (o.Verb == "") != (o.ResourceArg == "") {
		return cmdutil.UsageErrorf("--verb and --resource go together")
	}
	if _, err := identity.CanonicalPrincipal(o.ARN); err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	return o.Print.Validate()
}

// Run resolves and reports.
func (o *AccessOptions) Run(ctx context.Context) error {
	scope := source.RBACScope{Namespaced: true}
	if !o.Scope.AllNamespaces {
		scope.Namespace = o.Scope.Namespace
	}
	snap, err := source.Read(ctx, &o.Input, source.Request{
		RBAC:    func(meta.RESTMapper) (source.RBACScope, error) { return scope, nil },
		AWSAuth: true, Access: o.EKS.request(),
	})
	if err != nil {
		return err
	}
	q := identity.AccessQuery{ARN: o.ARN, Namespace: o.Scope.Namespace, AllNamespaces: o.Scope.AllNamespaces}
	if o.Verb != "" {
		if q.Request, q.Description, err = o.request(snap.Mapper); err != nil {
			return err
		}
	}
	warnings := []v1alpha1.Warning{}
	if a := q.Request; a != nil {
		if w, ok := nameIsASubresource(strings.SplitN(o.ResourceArg, "/", 2)[0], a.Resource, a.Subresource, a.Name); ok {
			warnings = append(warnings, w)
		}
	}
	src := identitySources(snap)
	src.CreatorARN = o.EKS.ClusterCreator
	r, err := identity.Access(src, rbac.NewIndex(snap.RBAC), q)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	r.Complete = snap.Complete()
	r.Warnings = append(append(warnings, snap.Warnings...), r.Warnings...)
	printWarnings(o.ErrOut, r.Warnings)
	printFindings(o.ErrOut, r.Findings)
	if err := o.print(r); err != nil {
		return err
	}
	if err := snap.Err(); err != nil {
		return err
	}
	if r.Decision != nil && !r.Decision.Allowed {
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}

// identitySources are the IAM sources in a snapshot.
func identitySources(snap *source.Snapshot) identity.Sources {
	src := identity.Sources{Access: snap.Access}
	if snap.AWSAuth != nil {
		src.AWSAuth = awsauth.NewStore(awsauth.Parse(snap.AWSAuth.Object.Data))
	}
	return src
}

// request resolves --verb/--resource into the request's attributes and its description.
func (o *AccessOptions) request(mapper meta.RESTMapper) (*rbac.Attributes, string, error) {
	a := &rbac.Attributes{Verb: o.Verb}
	if strings.HasPrefix(o.ResourceArg, "/") {
		a.Path = o.ResourceArg
		return a, o.Verb + " " + o.ResourceArg, nil
	}
	typ, name, _ := strings.Cut(o.ResourceArg, "/")
	res, err := resources.Resolve(mapper, typ)
	if err != nil {
		var nf *resources.NotFoundError
		if errors.As(err, &nf) {
			return nil, "", cmdutil.UsageErrorf("%v", err)
		}
		return nil, "", err
	}
	a.APIGroup, a.Resource, a.Subresource, a.Name = res.Group, res.Resource, o.Subresource, name
	if res.Namespaced {
		a.Namespace = o.Scope.Namespace
	}
	d := fmt.Sprintf("%s %s", o.Verb, res.String())
	if a.Subresource != "" {
		d += "/" + a.Subresource
	}
	if name != "" {
		d += " " + name
	}
	if a.Namespace != "" {
		d += " in " + a.Namespace
	}
	return a, d, nil
}

func (o *AccessOptions) print(r *v1alpha1.AccessReport) error {
	if !o.Print.IsTable() {
		return o.Print.Print(o.Out, r)
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
	return accessTable(r, o.Print.Wide()).Write(w, o.Print.NoHeaders)
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
			for _, res := range rbac.RuleResources(x.Rule) {
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
