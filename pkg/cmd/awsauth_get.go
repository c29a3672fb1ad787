package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/output"
)

// AWSAuthGetOptions are the inputs of `kubectl eksiam aws-auth get`.
type AWSAuthGetOptions struct {
	Source awsAuthSource
	Print  *cmdutil.PrintFlags
	genericiooptions.IOStreams
}

// NewCmdAWSAuthGet returns `kubectl eksiam aws-auth get`.
func NewCmdAWSAuthGet(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &AWSAuthGetOptions{IOStreams: streams, Print: cmdutil.NewTablePrintFlags()}
	cmd := &cobra.Command{
		Use:   "get [-f FILE]",
		Short: "List the IAM mappings of aws-auth as the authenticator holds them",
		Long: `List the mappings of kube-system/aws-auth as aws-iam-authenticator holds them: each
role, user and account mapping with its username and groups, and its status: active,
shadowed (a later entry for the same ARN wins), dead (a mapUsers entry whose ARN
mapRoles also maps) or ambiguous (mapUsers entries that differ only in case). Keys
and entries the authenticator drops as malformed are reported as warnings.

It never creates aws-auth. RBAC needed: get configmaps in kube-system.

Exit codes: 0 listed; 2 error (aws-auth missing or unreadable, bad flags).`,
		Example: `  # The mappings of the current cluster
  kubectl eksiam aws-auth get

  # With the entry each comes from, from a file
  kubectl eksiam aws-auth get -f aws-auth.yaml -o wide

  # As JSON
  kubectl eksiam aws-auth get -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(f); err != nil {
				return err
			}
			if err := o.Print.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.Source.Filename, "filename", "f", "", "Read aws-auth from this file (or - for stdin) instead of the cluster.")
	o.Print.AddFlags(cmd)
	return cmd
}

// Complete sets up the source.
func (o *AWSAuthGetOptions) Complete(f genericclioptions.RESTClientGetter) error {
	o.Source.In = o.In
	return o.Source.complete(f)
}

// Run lists the mappings.
func (o *AWSAuthGetOptions) Run(ctx context.Context) error {
	a, err := o.Source.read(ctx)
	if err != nil {
		return err
	}
	store := awsauth.NewStore(awsauth.Parse(a.Object.Data))
	mappings := append([]awsauth.Mapping(nil), store.Mappings...)
	awsauth.SortMappings(mappings)
	r := &v1alpha1.AWSAuthMappings{Source: a.Source, Mappings: []v1alpha1.AWSAuthMapping{}, Dropped: []v1alpha1.AWSAuthFinding{}, Warnings: []v1alpha1.Warning{}}
	v1alpha1.SetKind(r, "AWSAuthMappings")
	for _, m := range mappings {
		r.Mappings = append(r.Mappings, mappingReport(m))
	}
	for _, f := range a.Dropped() {
		r.Dropped = append(r.Dropped, findingReport(f))
		fmt.Fprintf(o.ErrOut, "Warning: %s: %s\n", f.Location, f.Message)
	}
	if !o.Print.IsTable() {
		return o.Print.Print(o.Out, r)
	}
	wide := o.Print.Wide()
	t := output.Table{Headers: []string{"TYPE", "ARN", "USERNAME", "GROUPS", "STATUS"}}
	if wide {
		t.Headers = append(t.Headers, "ENTRY")
	}
	for _, m := range r.Mappings {
		row := []string{m.Type, m.ARN, m.Username, strings.Join(m.Groups, ","), m.Status}
		if wide {
			row = append(row, fmt.Sprintf("%s[%d]", m.Key, m.Index))
		}
		t.Append(row...)
	}
	return t.Write(o.Out, o.Print.NoHeaders)
}
