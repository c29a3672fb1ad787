package cmd

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/harden"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/output"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/remedy"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

const saHardenLong = `Audit the service accounts of a namespace (or all, with -A) against the CIS Amazon EKS
Benchmark and the EKS best practices, then fix what can be fixed safely.

Findings, each tagged with its benchmark reference:
  default-sa-automount      CIS-EKS-4.1.5/4.1.6  the default service account mounts API tokens
  irsa-on-default-sa        dedicated SA, IRSA    the default service account carries an IAM role
  default-sa-binding        CIS-EKS-4.1.5         a RoleBinding or ClusterRoleBinding names the
                                                  default service account (bootstrap defaults
                                                  excepted), with what it grants
  default-sa-group-binding  CIS-EKS-4.1.5 (medium)  a binding of system:serviceaccounts[:<ns>],
                                                  which holds the default service account
  workload-default-sa       dedicated SA          a Deployment, StatefulSet, DaemonSet, Job or
                                                  CronJob whose pods use the default service account
  pod-default-sa            CIS-EKS-4.1.5/4.1.6   a pod running as the default service account,
                                                  and whether it has a token mounted
  malformed-irsa-annotation IRSA (medium)           an eks.amazonaws.com/role-arn that is not a role ARN
  legacy-token-secret       CIS-EKS-4.1.6 (medium)  a long-lived token Secret (by name only)
  aws-node-without-irsa     IRSA (medium)           the VPC CNI uses the node role
  default-sa-missing        (medium)                no default service account (yet)

Fixes: each default service account is patched to automountServiceAccountToken:
false (a merge patch carrying the resourceVersion read, retried on conflict).
--remove-default-bindings (never the default) also takes the default service
account out of the bindings found. It never restarts or edits workloads: it lists
the running pods that keep their token until they are recreated, and those whose own
spec sets automountServiceAccountToken: true. Every object changed is saved first in
one backup file; 'kubectl eksiam sa restore -f BACKUP' puts it back.

Pods, service accounts and workloads are read with paged LISTs and reduced as each
page arrives (only pods that run as a default service account are kept). With -f,
objects are read from files written by 'kubectl get -o yaml' and nothing is changed.

RBAC needed: list namespaces (with -A; get the namespace with -n), serviceaccounts,
pods, deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs, secrets
(metadata only, filtered to service account tokens), roles, rolebindings,
clusterroles, clusterrolebindings; to fix: patch serviceaccounts, and with
--remove-default-bindings update rolebindings and clusterrolebindings.

Exit codes: 0 nothing left to report; 1 findings remain, or changes are pending
under --dry-run (or with -f); 2 error (a failed or forbidden read or write).`

const saHardenExample = `  # Audit every namespace without changing anything
  kubectl eksiam sa harden -A --dry-run=client

  # Fix the default service accounts of one namespace
  kubectl eksiam sa harden -n app

  # Also take the default service accounts out of bindings, checked by the API server
  kubectl eksiam sa harden -A --remove-default-bindings --dry-run=server

  # Audit a dump
  kubectl get ns,sa,pods,deploy,sts,ds,rs,jobs,cronjobs,roles,rolebindings,clusterroles,clusterrolebindings -A -o yaml > dump.yaml
  kubectl eksiam sa harden -A -f dump.yaml`

// SAHardenOptions are the inputs of `kubectl eksiam sa harden`.
type SAHardenOptions struct {
	Scope                 cmdutil.ScopeFlags
	Exclude               []string
	RemoveDefaultBindings bool
	Remediation           cmdutil.RemediationFlags
	Print                 *cmdutil.PrintFlags
	Files                 cmdutil.FilenameFlags

	Input    source.Input
	PageSize int64
	genericiooptions.IOStreams
}

// NewCmdSAHarden returns `kubectl eksiam sa harden`.
func NewCmdSAHarden(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &SAHardenOptions{IOStreams: streams, Print: cmdutil.NewTablePrintFlags()}
	cmd := &cobra.Command{
		Use:     "harden [-n NS | -A] [--dry-run=none|client|server] [--remove-default-bindings]",
		Short:   "Audit and fix default service accounts per the CIS Amazon EKS Benchmark",
		Long:    saHardenLong,
		Example: saHardenExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(f, cmd); err != nil {
				return err
			}
			if err := o.Print.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	fl := cmd.Flags()
	o.Scope.AddFlags(cmd, "Audit every namespace.")
	fl.StringSliceVar(&o.Exclude, "exclude-namespace", nil, "Leave this namespace out (repeatable).")
	fl.BoolVar(&o.RemoveDefaultBindings, "remove-default-bindings", false, "Also take the default service accounts out of the RoleBindings and ClusterRoleBindings that name them.")
	o.Remediation.AddFlags(cmd, "the objects changed")
	o.Print.AddFlags(cmd)
	o.Files.AddFlags(cmd, "Audit objects from these files, directories or - instead of a cluster (nothing is changed).")
	return cmd
}

// Complete resolves the namespace, the dry-run mode and the clients.
func (o *SAHardenOptions) Complete(f genericclioptions.RESTClientGetter, cmd *cobra.Command) error {
	if err := o.Remediation.Complete(cmd, o.ErrOut); err != nil {
		return err
	}
	return completeInput(f, cmd, &o.Scope, o.Files, &o.Input, o.ErrOut)
}

// Run audits, fixes and reports.
func (o *SAHardenOptions) Run(ctx context.Context) error {
	scope := source.HardenScope{Namespace: o.Scope.Namespace, Exclude: o.Exclude, PageSize: o.PageSize}
	if o.Scope.AllNamespaces {
		scope.Namespace = ""
	}
	snap, err := source.Read(ctx, &o.Input, source.Request{Harden: &scope})
	if err != nil {
		return err
	}
	in := snap.Harden
	audit := harden.Audit(in, harden.Options{RemoveDefaultBindings: o.RemoveDefaultBindings})
	r := v1alpha1.NewSAHardenReport(dryRunName(o.Remediation.DryRun))
	r.Namespaces = nonNil(in.Namespaces)
	r.Complete, r.Warnings = snap.Complete(), append(r.Warnings, snap.Warnings...)
	if snap.Offline {
		r.DryRun = "offline"
	}
	for _, f := range audit.Findings {
		r.Findings = append(r.Findings, v1alpha1.HardenFinding{Check: f.Check, Benchmark: f.Benchmark, Severity: f.Severity, Namespace: f.Namespace,
			Object: remedy.HardenRef(f.Object), Message: f.Message, Grants: f.Grants, Fix: f.Fix, Fixable: f.Fixable})
	}
	for _, p := range audit.Plan.KeepTokens {
		r.KeepTokens = append(r.KeepTokens, remedy.HardenRef(p))
	}
	for _, p := range audit.Plan.Overrides {
		r.Overrides = append(r.Overrides, remedy.HardenRef(p))
	}

	dryRun := o.Remediation.DryRun
	var out remedy.Outcome
	if !snap.Offline {
		backup := remedy.NewBackupSet(o.Remediation.BackupDir, "sa-harden")
		out = remedy.ApplyHarden(ctx, o.Input.Clients.Kube, audit.Plan, r, remedy.Options{DryRun: dryRun, BackupSet: backup})
		if err := backup.Close(); err != nil {
			return fmt.Errorf("writing the backup %s: %w", backup.Path(), err)
		}
		r.Backup = backup.Path()
	}
	r.Failed, r.NotAttempted = out.Failed, out.NotAttempted
	r.Remaining = len(audit.Findings) - remedy.Fixed(audit.Findings, r.Changes, dryRun)

	printWarnings(o.ErrOut, r.Warnings)
	if err := o.print(r); err != nil {
		return err
	}
	if r.Backup != "" {
		fmt.Fprintf(o.ErrOut, "Backup of the objects changed: %s (restore with: kubectl eksiam sa restore -f %s)\n", r.Backup, r.Backup)
	}
	fmt.Fprintf(o.ErrOut, "%d namespace(s): %d finding(s), %d change(s)%s, %d finding(s) remaining\n",
		len(r.Namespaces), len(r.Findings), len(r.Changes), dryRun.Suffix(), r.Remaining)
	switch {
	case out.Stopped != nil:
		return fmt.Errorf("the run stopped after %d of %d change(s): %s; %d failed, %d not attempted (listed above); rerun the same command to go on (what is done is found done), or undo with 'kubectl eksiam sa restore -f %s'",
			len(r.Changes)-out.NotAttempted-out.Failed, len(r.Changes), cmdutil.Message(out.Stopped), out.Failed, out.NotAttempted, cmp.Or(r.Backup, "BACKUP"))
	case out.Failed > 0:
		return fmt.Errorf("%d of %d change(s) failed; the others are listed with their results", out.Failed, len(r.Changes))
	case !snap.Complete():
		return snap.Err()
	case r.Remaining > 0 || (dryRun != cmdutil.DryRunNone && len(r.Changes) > 0):
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}

func dryRunName(s cmdutil.DryRunStrategy) string {
	return map[cmdutil.DryRunStrategy]string{cmdutil.DryRunNone: "none", cmdutil.DryRunClient: "client", cmdutil.DryRunServer: "server"}[s]
}

func (o *SAHardenOptions) print(r *v1alpha1.SAHardenReport) error {
	if !o.Print.IsTable() {
		return o.Print.Print(o.Out, r)
	}
	wide := o.Print.Wide()
	if len(r.Findings) > 0 {
		t := output.Table{Headers: []string{"NAMESPACE", "SEVERITY", "CHECK", "BENCHMARK", "OBJECT", "MESSAGE"}}
		if wide {
			t.Headers = append(t.Headers, "GRANTS", "FIX")
		}
		for _, f := range r.Findings {
			row := []string{f.Namespace, string(f.Severity), f.Check, f.Benchmark, objectString(f.Object), f.Message}
			if wide {
				row = append(row, strings.Join(f.Grants, "; "), f.Fix)
			}
			t.Append(row...)
		}
		if err := t.Write(o.Out, o.Print.NoHeaders); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(o.Out, "No findings.")
	}
	for _, c := range r.Changes {
		what := ""
		if len(c.Subjects) > 0 {
			var subs []string
			for _, s := range c.Subjects {
				subs = append(subs, subjectString(s))
			}
			what = " (removed " + strings.Join(subs, ", ") + ")"
		}
		fmt.Fprintf(o.Out, "%s %s%s\n", objectString(c.Object), c.Result, what)
	}
	if len(r.KeepTokens) > 0 {
		fmt.Fprintf(o.Out, "Running pods that keep their token until they are recreated: %s\n", refList(r.KeepTokens))
	}
	if len(r.Overrides) > 0 {
		fmt.Fprintf(o.Out, "Pods whose own spec sets automountServiceAccountToken: true (they keep getting tokens): %s\n", refList(r.Overrides))
	}
	return nil
}

func objectString(r v1alpha1.ObjectRef) string {
	if r.Namespace == "" {
		return strings.ToLower(r.Kind) + "/" + r.Name
	}
	return strings.ToLower(r.Kind) + "/" + r.Name + " -n " + r.Namespace
}

func subjectString(s v1alpha1.SubjectRef) string {
	if s.Namespace != "" {
		return s.Kind + " " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

func refList(rs []v1alpha1.ObjectRef) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Namespace + "/" + r.Name
	}
	return strings.Join(out, ", ")
}
