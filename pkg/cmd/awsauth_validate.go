package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/output"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// AWSAuthValidateOptions are the inputs of `kubectl eksiam aws-auth validate`.
type AWSAuthValidateOptions struct {
	Source awsAuthSource
	Strict bool
	Print  *cmdutil.PrintFlags
	// ClusterAccount for rule AA19 (default: inferred from the node role mappings).
	ClusterAccount string
	genericiooptions.IOStreams
}

// NewCmdAWSAuthValidate returns `kubectl eksiam aws-auth validate`.
func NewCmdAWSAuthValidate(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &AWSAuthValidateOptions{IOStreams: streams, Print: cmdutil.NewTablePrintFlags()}
	cmd := &cobra.Command{
		Use:   "validate [-f FILE] [--strict]",
		Short: "Check aws-auth against every rule of how EKS reads it",
		Long: `Check kube-system/aws-auth (or a file) against the rules of how aws-iam-authenticator
reads it, each finding with its rule id (AA01-AA34), severity, location (data key,
entry index, line and column within the value) and a hint. high: the authenticator
drops or rejects it, it can never match, it matches at random, or it breaks nodes.
medium: it works but is risky, non-canonical or against EKS best practice. The rules
are listed in docs/aws-auth.md.

RBAC needed: get configmaps in kube-system (none with -f).

Exit codes: 0 no high finding (with --strict: no finding at all); 1 a high finding (with
--strict: any finding); 2 the ConfigMap could not be read.`,
		Example: `  # Validate the cluster's aws-auth
  kubectl eksiam aws-auth validate

  # Validate a file before applying it, failing on warnings too
  kubectl eksiam aws-auth validate -f aws-auth.yaml --strict

  # Machine-readable findings
  kubectl eksiam aws-auth validate -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Source.In = o.In
			if err := o.Source.complete(f); err != nil {
				return err
			}
			if err := o.Print.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.Source.Filename, "filename", "f", "", "Validate this file (or - for stdin) instead of the cluster's aws-auth.")
	cmd.Flags().BoolVar(&o.Strict, "strict", false, "Exit 1 on warnings too.")
	o.Print.AddFlags(cmd, "Output format: "+strings.Join(o.Print.Formats(), ", ")+" (wide adds the hints).")
	cmd.Flags().StringVar(&o.ClusterAccount, "cluster-account", "", "The cluster's AWS account, for the cross-account rule (default: that of the node roles).")
	return cmd
}

// Run validates.
func (o *AWSAuthValidateOptions) Run(ctx context.Context) error {
	var (
		findings []awsauth.Finding
		from     string
	)
	a, err := o.Source.read(ctx)
	var fe *source.FileError
	switch {
	case errors.As(err, &fe):
		// Validating a file before 'kubectl apply' is the job: a file that is not a
		// manifest of aws-auth is a finding, with its line and column.
		findings, from = fe.Findings, fe.Source
	case err != nil:
		return err
	default:
		findings, from = awsauth.Validate(a.Object, awsauth.Options{ClusterAccount: o.ClusterAccount}), a.Source
	}
	r := v1alpha1.NewAWSAuthValidation(from)
	for _, f := range findings {
		r.Findings = append(r.Findings, findingReport(f))
		if f.Severity == awsauth.Error {
			r.Errors++
		} else {
			r.Warnings++
		}
	}
	if !o.Print.IsTable() {
		if err := o.Print.Print(o.Out, r); err != nil {
			return err
		}
	} else if len(findings) > 0 {
		wide := o.Print.Wide()
		t := output.Table{Headers: []string{"SEVERITY", "RULE", "LOCATION", "MESSAGE"}}
		if wide {
			t.Headers = append(t.Headers, "HINT")
		}
		for _, f := range findings {
			row := []string{string(f.Severity), f.Rule + " " + f.Name, f.Location.String(), f.Message}
			if wide {
				row = append(row, f.Hint)
			}
			t.Append(row...)
		}
		if err := t.Write(o.Out, o.Print.NoHeaders); err != nil {
			return err
		}
	}
	fmt.Fprintf(o.ErrOut, "%s: %d error(s), %d warning(s)\n", from, r.Errors, r.Warnings)
	if r.Errors > 0 || (o.Strict && r.Warnings > 0) {
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}
