package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/version"
)

// VersionOptions are the inputs of `kubectl eksiam version`.
type VersionOptions struct {
	Print *cmdutil.PrintFlags
	genericiooptions.IOStreams
}

// NewCmdVersion returns `kubectl eksiam version`.
func NewCmdVersion(streams genericiooptions.IOStreams) *cobra.Command {
	o := &VersionOptions{IOStreams: streams, Print: cmdutil.NewObjectPrintFlags("Output format: json or yaml.")}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of kubectl-eksiam",
		Long: `Print the version of kubectl-eksiam. It contacts no cluster.

Exit codes: 0 printed; 2 bad flags.`,
		Example: `  # Print the version
  kubectl eksiam version

  # Print it as JSON
  kubectl eksiam version -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	o.Print.AddFlags(cmd)
	return cmd
}

// Validate checks the flags.
func (o *VersionOptions) Validate() error {
	return o.Print.Validate()
}

// Run prints the version.
func (o *VersionOptions) Run() error {
	v := version.Get()
	if o.Print.IsTable() {
		_, err := fmt.Fprintf(o.Out, "kubectl-eksiam %s (commit %s, built %s, %s, %s)\n",
			v.Version, orUnknown(v.Commit), orUnknown(v.Date), v.GoVersion, v.Platform)
		return err
	}
	report := v1alpha1.NewVersionReport()
	report.Version, report.Commit, report.Date, report.GoVersion, report.Platform = v.Version, v.Commit, v.Date, v.GoVersion, v.Platform
	return o.Print.Print(o.Out, report)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
