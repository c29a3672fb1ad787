package cmd

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/audit"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
)

// AuditMergeOptions are the inputs of `kubectl eksiam audit merge`.
type AuditMergeOptions struct {
	Files  []string
	Print  *cmdutil.PrintFlags
	FailOn string
	genericiooptions.IOStreams
}

// NewCmdAuditMerge returns `kubectl eksiam audit merge`.
func NewCmdAuditMerge(streams genericiooptions.IOStreams) *cobra.Command {
	o := &AuditMergeOptions{IOStreams: streams, Print: cmdutil.NewTablePrintFlags("sarif"), FailOn: string(v1alpha1.SeverityLow)}
	cmd := &cobra.Command{
		Use:   "merge FILE...",
		Short: "Join the JSON (or YAML) reports of several audits into one",
		Long: `Join AuditReports written by 'kubectl eksiam audit -o json' (or -o yaml), one per
cluster or per group of clusters, into one report: a fleet audited as a job matrix in
CI, one context per job. The result is printed as audit prints it (a table, -o wide,
-o json|yaml, -o sarif), sorted the same way. A context found in two reports is an
error (its findings would count twice). Contacts no cluster.

RBAC needed: none.

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above --fail-on; 2
error (an unreadable report, a context in two reports, or every cluster an error row).`,
		Example: `  # One job per context, then one report
  kubectl eksiam audit --context prod -o json > audit-prod.json
  kubectl eksiam audit --context staging -o json > audit-staging.json
  kubectl eksiam audit merge audit-*.json --fail-on high -o sarif > fleet.sarif`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = args
			if !audit.ValidFailOn(o.FailOn) {
				return cmdutil.UsageErrorf("--fail-on %q: want one of %s", o.FailOn, strings.Join(audit.FailOnValues(), ", "))
			}
			if err := o.Print.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	o.Print.AddFlags(cmd)
	cmd.Flags().StringVar(&o.FailOn, "fail-on", o.FailOn, "Exit 1 when a finding is this severe or more: high, medium, low, or none (never).")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", completeFixed(audit.FailOnValues()...))
	return cmd
}

// Run reads, merges and prints.
func (o *AuditMergeOptions) Run() error {
	reports := make([]*v1alpha1.AuditReport, 0, len(o.Files))
	for _, f := range o.Files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var r v1alpha1.AuditReport
		if err := yaml.UnmarshalStrict(data, &r); err != nil {
			return fmt.Errorf("%s: not an AuditReport: %v", f, err)
		}
		reports = append(reports, &r)
	}
	m, err := audit.Merge(reports, o.Files, o.FailOn)
	if err != nil {
		return err
	}
	printWarnings(o.ErrOut, m.Warnings)
	if err := printAudit(o.Out, o.Print, m, true); err != nil {
		return err
	}
	fmt.Fprintln(o.ErrOut, auditSummaryLine(m))
	failed := 0
	for _, c := range m.Clusters {
		if c.Status != v1alpha1.AuditStatusAudited {
			failed++
		}
	}
	switch {
	case failed == len(m.Clusters):
		return fmt.Errorf("no cluster was audited in %d report(s)", len(reports))
	case audit.Failing(m):
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}
