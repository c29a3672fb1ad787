package cmd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/audit"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/output"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/version"
)

const auditLong = `Run every check of the EKS identity chapter ("Regularly audit access to the
cluster") that the plugin can make from the cluster and the EKS, IAM and EC2 APIs (or
their files), and report the findings in one model: a stable id, a severity (high,
medium, low), the object, the recommendation of the EKS Best Practices Guide (or the
CIS Amazon EKS Benchmark control) with its link, and a fix.

Checks (docs/audit.md has the catalogue):
  EP01   public API server endpoint open to every address (resourcesVpcConfig)
  AM01   authentication mode still CONFIG_MAP
  EKS01  the cluster creator still holds cluster-admin
  IU01   IAM users mapped with identical access where one role would do
  AA     aws-auth validation, AA01-AA34 (as 'aws-auth validate')
  CA01   who holds cluster-admin or system:masters, with the IAM principals behind them
  LP01   wildcards or escalation verbs (escalate, bind, impersonate) bound beyond
         cluster admins
  AN01   anonymous access (as 'anon revoke' finds it)
  SA     the default service accounts, SA01-SA09 (as 'sa harden' audits them)
  ST01   legacy service account token Secrets
  PI     pod identity, PI01-PI10 (as 'pod-identity' finds them)
  RT01   pods that get IRSA credentials and run as root

A check whose input is missing (no AWS credentials, access entries turned off, a file
without aws-auth...) is listed as not run, with the reason; one that ran without some
of its inputs as partial. Neither is ever shown as passed. --check and --skip take check
ids or finding ids (EP01, AA, AA29, SA01...).

The audit covers every namespace; -n NS narrows the namespaced checks to one.

Output: a summary by area and severity, then the findings and the checks not run;
-o wide adds the recommendation and the fix; -o json|yaml is a versioned AuditReport;
-o sarif is SARIF 2.1.0 for GitHub code scanning and other SARIF readers. Findings are
sorted (context, severity, check, object), so two runs diff cleanly.

Across clusters: --context A --context B (repeatable) or --all-contexts audits each
kubeconfig context, --concurrency at a time, with a progress line on stderr when it is
a terminal, into one report with a CONTEXT column. A cluster that cannot be read is an
error row, not a failed run. Each context's kubeconfig names its EKS cluster:
--cluster-name, --access-entries-file, --aws-file and --cluster-creator are about one
cluster and do not go with several contexts. For a fleet, run one context per CI job
with -o json and join the reports with 'kubectl eksiam audit merge'.

AWS inputs are read with the usual AWS credential chain when the kubeconfig points at
EKS (or --cluster-name is given), or from --access-entries-file and --aws-file ('kubectl
eksiam access-entries export' and 'kubectl eksiam pod-identity export' write them).

RBAC needed: list clusterroles, clusterrolebindings, roles, rolebindings, namespaces,
serviceaccounts, pods, nodes, deployments, replicasets, statefulsets, daemonsets, jobs,
cronjobs, replicationcontrollers and secrets (metadata only, of type
kubernetes.io/service-account-token); get configmap kube-system/aws-auth. AWS:
eks:DescribeCluster, eks:ListAccessEntries, eks:DescribeAccessEntry,
eks:ListAssociatedAccessPolicies, eks:ListPodIdentityAssociations,
eks:DescribePodIdentityAssociation, iam:GetRole, iam:GetInstanceProfile,
ec2:DescribeInstances.

Exit codes: 0 no finding at or above --fail-on (default low); 1 findings at or above
--fail-on; 2 error (usage, kubeconfig, a failed or forbidden read of the one cluster
audited, an incomplete input, or, across clusters, no cluster could be audited).`

const auditExample = `  # Audit the current cluster
  kubectl eksiam audit

  # For CI: fail on high findings only, SARIF for GitHub code scanning
  kubectl eksiam audit --fail-on high -o sarif > eksiam.sarif

  # Two clusters, or every context of the kubeconfig, in one report
  kubectl eksiam audit --context prod --context staging
  kubectl eksiam audit --all-contexts --concurrency 8 -o wide

  # Only the aws-auth and anonymous access checks; everything but the cluster-admin list
  kubectl eksiam audit --check AA --check AN01
  kubectl eksiam audit --skip CA01

  # Offline, from dumps and the AWS inputs exported earlier
  kubectl eksiam audit -f cluster.yaml --access-entries-file entries.json --aws-file aws/

  # A fleet as a CI job matrix: one context per job, then one report
  kubectl eksiam audit --context "$CONTEXT" -o json > "audit-$CONTEXT.json"
  kubectl eksiam audit merge audit-*.json -o sarif > fleet.sarif`

// AuditOptions are the inputs of `kubectl eksiam audit`.
type AuditOptions struct {
	Scope    cmdutil.ScopeFlags
	Files    cmdutil.FilenameFlags
	Print    *cmdutil.PrintFlags
	EKS      eksFlags
	AWSFiles []string
	Checks   []string
	Skip     []string
	FailOn   string
	// Contexts (--context, repeatable) and AllContexts choose the clusters;
	// neither audits the kubeconfig's current context.
	Contexts    []string
	AllContexts bool
	Concurrency int

	// Targets are the clusters to audit (Complete sets them; tests set fakes).
	Targets []AuditTarget
	// Multi reports errors as rows (more than one context, or --all-contexts).
	Multi bool
	// Progress writes a progress line to ErrOut (a terminal, several contexts).
	Progress bool
	PageSize int64
	// NewAWSClients builds the AWS clients (tests replace it).
	NewAWSClients func(context.Context, source.EKSCluster) (source.AWSClients, error)
	genericiooptions.IOStreams
}

// AuditTarget is one cluster to audit: a kubeconfig context and where to read it.
type AuditTarget struct {
	Context string
	Input   source.Input
	// Err is set when the context could not even be set up (its row says why).
	Err error
}

// NewAuditOptions returns the options with their defaults.
func NewAuditOptions(streams genericiooptions.IOStreams) *AuditOptions {
	return &AuditOptions{IOStreams: streams, Print: cmdutil.NewTablePrintFlags("sarif"), EKS: eksFlags{AccessEntries: true},
		FailOn: string(v1alpha1.SeverityLow), Concurrency: 4, NewAWSClients: source.NewAWSClients}
}

// NewCmdAudit returns `kubectl eksiam audit`.
func NewCmdAudit(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := NewAuditOptions(streams)
	cmd := &cobra.Command{
		Use:     "audit [--context CONTEXT]... [--all-contexts] [--check ID]... [--skip ID]... [--fail-on high|medium|low|none]",
		Short:   "Run every check of the EKS identity chapter, on one cluster or many, for people and for CI",
		Long:    auditLong,
		Example: auditExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
	o.Scope.AddFlags(cmd, "Every namespace (the default: -n narrows the namespaced checks to one namespace).")
	o.Print.AddFlags(cmd)
	o.Files.AddFlags(cmd, "Read Kubernetes objects from these files, directories or - instead of a cluster.")
	fl.StringArrayVar(&o.AWSFiles, "aws-file", nil, "Read the AWS inputs (aws eks describe-cluster and what 'pod-identity export' writes) from this file or directory instead of the AWS APIs (repeatable).")
	o.EKS.add(fl)
	o.EKS.addClusterCreator(fl)
	fl.StringSliceVar(&o.Checks, "check", nil, "Run only these checks or finding ids (EP01, AA, AA29...; repeatable).")
	fl.StringSliceVar(&o.Skip, "skip", nil, "Leave out these checks or finding ids (repeatable).")
	fl.StringVar(&o.FailOn, "fail-on", o.FailOn, "Exit 1 when a finding is this severe or more: high, medium, low, or none (never).")
	// --context shadows kubectl's single-valued flag here: repeated, it names the clusters.
	fl.StringArrayVar(&o.Contexts, "context", nil, "Audit this kubeconfig context (repeatable; default: the current context).")
	fl.BoolVar(&o.AllContexts, "all-contexts", false, "Audit every context of the kubeconfig.")
	fl.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "Clusters audited at once, with --context or --all-contexts.")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", completeFixed(audit.FailOnValues()...))
	_ = cmd.RegisterFlagCompletionFunc("context", func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		names, _ := kubeconfigContexts(f)
		return slices.DeleteFunc(names, func(n string) bool { return !strings.HasPrefix(n, toComplete) }), cobra.ShellCompDirectiveNoFileComp
	})
	ids := func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []string
		for _, c := range audit.Catalogue() {
			out = append(out, c.ID)
		}
		for _, r := range audit.Rules() {
			if !slices.Contains(out, r.ID) {
				out = append(out, r.ID)
			}
		}
		return slices.DeleteFunc(out, func(n string) bool { return !strings.HasPrefix(n, toComplete) }), cobra.ShellCompDirectiveNoFileComp
	}
	_ = cmd.RegisterFlagCompletionFunc("check", ids)
	_ = cmd.RegisterFlagCompletionFunc("skip", ids)
	cmd.AddCommand(NewCmdAuditMerge(streams))
	return cmd
}

// kubeconfigContexts are the kubeconfig's context names, sorted.
func kubeconfigContexts(f genericclioptions.RESTClientGetter) ([]string, error) {
	raw, err := f.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(raw.Contexts))
	for n := range raw.Contexts {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// contextGetter is f with its context set to name: kubectl's flags, copied.
func contextGetter(f genericclioptions.RESTClientGetter, name string) (genericclioptions.RESTClientGetter, error) {
	cf, ok := f.(*genericclioptions.ConfigFlags)
	if !ok {
		return nil, errors.New("--context and --all-contexts need kubectl's kubeconfig flags")
	}
	c := genericclioptions.NewConfigFlags(true)
	c.CacheDir, c.KubeConfig, c.ClusterName, c.AuthInfoName, c.Namespace = cf.CacheDir, cf.KubeConfig, cf.ClusterName, cf.AuthInfoName, cf.Namespace
	c.APIServer, c.TLSServerName, c.Insecure, c.CertFile, c.KeyFile, c.CAFile = cf.APIServer, cf.TLSServerName, cf.Insecure, cf.CertFile, cf.KeyFile, cf.CAFile
	c.BearerToken, c.Impersonate, c.ImpersonateUID, c.ImpersonateGroup, c.ImpersonateUserExtra = cf.BearerToken, cf.Impersonate, cf.ImpersonateUID, cf.ImpersonateGroup, cf.ImpersonateUserExtra
	c.Username, c.Password, c.Timeout, c.DisableCompression, c.ProxyURL, c.WrapConfigFn = cf.Username, cf.Password, cf.Timeout, cf.DisableCompression, cf.ProxyURL, cf.WrapConfigFn
	c.Context = &name
	return c, nil
}

// Complete resolves the namespace, the clusters and their clients. It contacts no
// server.
func (o *AuditOptions) Complete(f genericclioptions.RESTClientGetter, cmd *cobra.Command) error {
	if o.Files.Offline() && (len(o.Contexts) > 0 || o.AllContexts) {
		return cmdutil.UsageErrorf("--context and --all-contexts read clusters: they do not go with -f")
	}
	contexts := o.Contexts
	if o.AllContexts {
		if len(contexts) > 0 {
			return cmdutil.UsageErrorf("--all-contexts and --context do not go together")
		}
		var err error
		if contexts, err = kubeconfigContexts(f); err != nil {
			return err
		}
		if len(contexts) == 0 {
			return errors.New("the kubeconfig has no contexts")
		}
	}
	o.Multi = o.AllContexts || len(contexts) > 1
	if fd, ok := o.ErrOut.(*os.File); ok && o.Multi && term.IsTerminal(int(fd.Fd())) {
		o.Progress = true
	}
	if len(contexts) == 0 {
		var t AuditTarget
		if err := completeInput(f, cmd, &o.Scope, o.Files, &t.Input, o.ErrOut); err != nil {
			return err
		}
		if !o.Files.Offline() {
			if raw, err := f.ToRawKubeConfigLoader().RawConfig(); err == nil {
				t.Context = raw.CurrentContext
			}
		}
		o.Targets = []AuditTarget{t}
		return nil
	}
	for _, name := range slices.Compact(slices.Sorted(slices.Values(contexts))) {
		t := AuditTarget{Context: name}
		g, err := contextGetter(f, name)
		if err == nil {
			scope := o.Scope
			err = completeInput(g, cmd, &scope, o.Files, &t.Input, o.ErrOut)
		}
		if err != nil && !o.Multi {
			return err
		}
		t.Err = err
		o.Targets = append(o.Targets, t)
	}
	return o.Scope.Complete(f, cmd, false, io.Discard)
}

// Validate checks the flags without contacting any server.
func (o *AuditOptions) Validate() error {
	if !audit.ValidFailOn(o.FailOn) {
		return cmdutil.UsageErrorf("--fail-on %q: want one of %s", o.FailOn, strings.Join(audit.FailOnValues(), ", "))
	}
	for _, id := range append(slices.Clone(o.Checks), o.Skip...) {
		if !audit.KnownID(id) {
			return cmdutil.UsageErrorf("unknown check or finding id %q (see 'kubectl eksiam audit --help' and docs/audit.md)", id)
		}
	}
	if o.Concurrency < 1 {
		return cmdutil.UsageErrorf("--concurrency must be at least 1")
	}
	if o.Multi {
		// These name one cluster's inputs; across contexts each kubeconfig context
		// names its own EKS cluster.
		for flag, set := range map[string]bool{"--cluster-name": o.EKS.ClusterName != "", "--access-entries-file": o.EKS.File != "",
			"--aws-file": len(o.AWSFiles) > 0, "--cluster-creator": o.EKS.ClusterCreator != ""} {
			if set {
				return cmdutil.UsageErrorf("%s is about one cluster: it does not go with several contexts (audit each with --context and join the reports with 'audit merge')", flag)
			}
		}
	}
	return o.Print.Validate()
}

// namespace is the namespace the namespaced checks look at, "" for all.
func (o *AuditOptions) namespace() string {
	if o.Scope.Explicit && !o.Scope.AllNamespaces {
		return o.Scope.Namespace
	}
	return ""
}

// audited is one cluster's audit.
type audited struct {
	cluster  v1alpha1.AuditCluster
	result   *audit.Result // nil when the cluster could not be audited (readErr)
	readErr  error
	warnings []v1alpha1.Warning
	// incomplete is the input's completeness error (exit 2 for one cluster).
	incomplete error
}

// Run audits each cluster, a bounded number at once, and reports.
func (o *AuditOptions) Run(ctx context.Context) error {
	results := make([]audited, len(o.Targets))
	sem := make(chan struct{}, o.Concurrency)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	progress := func() {
		if !o.Progress {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		done++
		fmt.Fprintf(o.ErrOut, "\raudit: %d/%d clusters done", done, len(o.Targets))
		if done == len(o.Targets) {
			fmt.Fprint(o.ErrOut, "\r\033[K")
		}
	}
	for i := range o.Targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = o.auditOne(ctx, &o.Targets[i])
			progress()
		})
	}
	wg.Wait()

	r := v1alpha1.NewAuditReport()
	r.FailOn = o.FailOn
	failed := 0
	var incomplete error
	for _, a := range results {
		if a.result == nil && !o.Multi {
			return a.readErr
		}
		if a.result == nil {
			failed++
		}
		incomplete = cmp.Or(incomplete, a.incomplete)
		audit.AddCluster(r, a.cluster, a.result)
		if o.Multi {
			r.Warnings = append(r.Warnings, audit.ContextWarnings(a.cluster.Context, a.warnings)...)
		} else {
			r.Warnings = append(r.Warnings, a.warnings...)
		}
	}
	audit.Finish(r)
	printWarnings(o.ErrOut, r.Warnings)
	if err := printAudit(o.Out, o.Print, r, o.Multi); err != nil {
		return err
	}
	fmt.Fprintln(o.ErrOut, auditSummaryLine(r))
	switch {
	case o.Multi && failed == len(results):
		return fmt.Errorf("no cluster could be audited (%d error rows)", failed)
	case !o.Multi && incomplete != nil:
		return incomplete
	case audit.Failing(r):
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}

// auditOne reads one cluster (one source.Read) and runs the audit engine on it. A
// failed read is returned as an error row.
func (o *AuditOptions) auditOne(ctx context.Context, t *AuditTarget) audited {
	row := v1alpha1.AuditCluster{Context: t.Context, Status: v1alpha1.AuditStatusError}
	fail := func(err error) audited {
		row.Error = cmdutil.Message(err)
		return audited{cluster: row, readErr: err}
	}
	if t.Err != nil {
		return fail(t.Err)
	}
	ns := o.namespace()
	opts := audit.Options{Checks: o.Checks, Skip: o.Skip}
	req := source.Request{
		RBAC: func(meta.RESTMapper) (source.RBACScope, error) {
			return source.RBACScope{Namespaced: true, Namespace: ns, PageSize: o.PageSize}, nil
		},
		AWSAuth: true,
		Access:  o.EKS.request(),
	}
	// What only some checks need is read when one of them runs.
	if opts.Runs(audit.CheckDefaultSA) || opts.Runs(audit.CheckTokenSecrets) {
		req.Harden = &source.HardenScope{Namespace: ns, PageSize: o.PageSize}
	}
	if opts.Runs(audit.CheckPodIdentity) || opts.Runs(audit.CheckRootIRSA) {
		req.PodIdentity = &source.PodIdentityScope{Namespace: ns, PageSize: o.PageSize}
	}
	if req.PodIdentity != nil || opts.Runs(audit.CheckEndpoint) {
		req.AWS = &source.AWSRequest{Files: o.AWSFiles, Stdin: o.In, ClusterName: o.EKS.ClusterName, Region: o.EKS.Region,
			Namespace: ns, NewClients: o.NewAWSClients}
	}
	snap, err := source.Read(ctx, &t.Input, req)
	if err != nil {
		return fail(err)
	}
	in := &audit.Input{Context: t.Context, Namespace: ns, RBAC: snap.RBAC, Access: snap.Access, CreatorARN: o.EKS.ClusterCreator,
		Harden: snap.Harden, PodIdentity: snap.PodIdentityInput()}
	if snap.AWS != nil {
		in.AWSInputs, in.Endpoint = snap.AWS.Inputs, snap.AWS.Endpoint
	}
	modeReadsAWSAuth := snap.Access == nil || snap.Access.Cluster.AuthenticationMode != "API"
	switch {
	case snap.AWSAuth != nil:
		in.AWSAuth = snap.AWSAuth.Object
	case snap.Offline && modeReadsAWSAuth:
		in.AWSAuthMissing = "the input holds no ConfigMap kube-system/aws-auth"
	}
	if snap.Access == nil {
		in.AccessMissing = o.accessMissing(snap)
	}
	row.Status, row.Complete = v1alpha1.AuditStatusAudited, snap.Complete()
	row.Endpoint = in.Endpoint
	if snap.Access != nil {
		row.AuthenticationMode, row.ClusterName = snap.Access.Cluster.AuthenticationMode, snap.Access.Cluster.Name
	}
	if row.ClusterName == "" && in.PodIdentity != nil && in.PodIdentity.Cluster != nil {
		row.ClusterName = in.PodIdentity.Cluster.Name
	}
	return audited{cluster: row, result: audit.Run(in, opts), warnings: snap.Warnings, incomplete: snap.Err()}
}

// accessMissing says why the access entries (and so the mode) were not read.
func (o *AuditOptions) accessMissing(snap *source.Snapshot) string {
	switch {
	case !o.EKS.AccessEntries:
		return "--access-entries=false"
	case snap.Offline:
		return "offline (-f): pass --access-entries-file"
	}
	for _, w := range snap.Warnings {
		if w.Reason == "AccessEntriesUnavailable" {
			return w.Message
		}
	}
	return "the kubeconfig does not authenticate through EKS: pass --cluster-name (and --region) or --access-entries-file"
}

// auditSummaryLine is the one line on stderr after the answer.
func auditSummaryLine(r *v1alpha1.AuditReport) string {
	bySev := map[v1alpha1.Severity]int{}
	for _, f := range r.Findings {
		bySev[f.Severity]++
	}
	notRun := 0
	for _, c := range r.Checks {
		if c.Status == v1alpha1.CheckNotRun || c.Status == v1alpha1.CheckPartial {
			notRun++
		}
	}
	errs := 0
	for _, c := range r.Clusters {
		if c.Status != v1alpha1.AuditStatusAudited {
			errs++
		}
	}
	line := fmt.Sprintf("%d cluster(s) audited: %d finding(s) (%d high, %d medium, %d low), %d check(s) not run or partial",
		len(r.Clusters)-errs, len(r.Findings), bySev[v1alpha1.SeverityHigh], bySev[v1alpha1.SeverityMedium], bySev[v1alpha1.SeverityLow], notRun)
	if errs > 0 {
		line += fmt.Sprintf("; %d cluster(s) could not be audited", errs)
	}
	return line
}

// printAudit prints the report in the format -o asks for; multi adds the context
// column and the clusters table.
func printAudit(w io.Writer, p *cmdutil.PrintFlags, r *v1alpha1.AuditReport, multi bool) error {
	switch {
	case p.Output == "sarif":
		data, err := audit.SARIF(r, version.Get().Version)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	case !p.IsTable():
		return p.Print(w, r)
	}
	wide := p.Wide()
	if multi {
		t := output.Table{Headers: []string{"CONTEXT", "STATUS", "MODE", "FINDINGS", "ERROR"}}
		for _, c := range r.Clusters {
			t.Append(c.Context, c.Status, c.AuthenticationMode, fmt.Sprint(c.Findings), c.Error)
		}
		if err := t.Write(w, p.NoHeaders); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	st := output.Table{Headers: []string{"AREA", "HIGH", "MEDIUM", "LOW"}}
	for _, s := range r.Summary {
		st.Append(s.Area, fmt.Sprint(s.High), fmt.Sprint(s.Medium), fmt.Sprint(s.Low))
	}
	if err := st.Write(w, p.NoHeaders); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, "No findings.")
	} else {
		headers := []string{"SEVERITY", "ID", "OBJECT", "MESSAGE"}
		if multi {
			headers = append([]string{"CONTEXT"}, headers...)
		}
		if wide {
			headers = append(headers, "RECOMMENDATION", "FIX")
		}
		t := output.Table{Headers: headers}
		for _, f := range r.Findings {
			row := []string{string(f.Severity), f.ID, auditObjectString(f.Object, wide), f.Message}
			if multi {
				row = append([]string{f.Context}, row...)
			}
			if wide {
				row = append(row, f.Recommendation+" ("+f.RecommendationURL+")", f.Fix)
			}
			t.Append(row...)
		}
		if err := t.Write(w, p.NoHeaders); err != nil {
			return err
		}
	}
	var notRun []v1alpha1.AuditCheck
	for _, c := range r.Checks {
		if c.Status == v1alpha1.CheckNotRun || c.Status == v1alpha1.CheckPartial {
			notRun = append(notRun, c)
		}
	}
	if len(notRun) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	headers := []string{"CHECK", "STATUS", "REASON"}
	if multi {
		headers = append([]string{"CONTEXT"}, headers...)
	}
	t := output.Table{Headers: headers}
	for _, c := range notRun {
		row := []string{c.ID, c.Status, c.Reason}
		if multi {
			row = append([]string{c.Context}, row...)
		}
		t.Append(row...)
	}
	return t.Write(w, p.NoHeaders)
}

// auditObjectString is kind/name, kind/namespace/name, or an IAM principal's ARN
// (short unless wide).
func auditObjectString(o v1alpha1.AuditObject, wide bool) string {
	if strings.HasPrefix(o.Kind, "IAM") && o.ARN != "" {
		if wide {
			return o.ARN
		}
		return shortARN(o.ARN)
	}
	s := strings.ToLower(o.Kind) + "/"
	if o.Namespace != "" {
		s += o.Namespace + "/"
	}
	return s + o.Name
}
