package cmd

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// NewCmdAWSAuth returns `kubectl eksiam aws-auth`, which only groups its subcommands.
func NewCmdAWSAuth(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "aws-auth",
		Short: "Read, validate, compare and safely edit the kube-system/aws-auth ConfigMap",
		Long: `Read, validate, compare and safely edit kube-system/aws-auth, the ConfigMap through
which EKS maps IAM roles and users to Kubernetes users and groups.

Every subcommand reads aws-auth exactly as aws-iam-authenticator (what EKS runs) reads
it: data keys mapRoles, mapUsers and mapAccounts, case-sensitively; role ARNs matched
case-insensitively; a YAML error drops a whole key; a later entry for the same role
wins. Edits never delete the ConfigMap, change only the lines of the entries they
touch, are validated and guarded against lockout first, use the read resourceVersion,
and leave a backup that 'aws-auth restore' puts back.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		NewCmdAWSAuthGet(f, streams),
		NewCmdAWSAuthValidate(f, streams),
		NewCmdAWSAuthMigrate(f, streams),
		NewCmdAWSAuthDiff(f, streams),
		NewCmdAWSAuthAdd(f, streams),
		NewCmdAWSAuthRemove(f, streams),
		NewCmdAWSAuthApply(f, streams),
		NewCmdAWSAuthRestore(f, streams),
	)
	return cmd
}

// awsAuthSource reads aws-auth from a file (-f) or from the cluster.
type awsAuthSource struct {
	Filename string
	Core     corev1client.ConfigMapsGetter
	In       io.Reader
}

func (s *awsAuthSource) complete(f genericclioptions.RESTClientGetter) error {
	if s.Filename != "" {
		return nil
	}
	config, err := f.ToRESTConfig()
	if err != nil {
		return err
	}
	k, err := kube.NewForConfig(source.ClientConfig(config))
	if err != nil {
		return err
	}
	s.Core = k.CoreV1()
	return nil
}

// read returns aws-auth. A missing ConfigMap in the cluster is an error naming it.
func (s *awsAuthSource) read(ctx context.Context) (*source.AWSAuth, error) {
	if s.Filename != "" {
		return source.ReadAWSAuthFile(s.Filename, s.In)
	}
	a, err := source.GetAWSAuth(ctx, s.Core)
	if err != nil {
		return nil, fmt.Errorf("cannot read configmap kube-system/aws-auth: %w", err)
	}
	return a, nil
}

func mappingReport(m awsauth.Mapping) v1alpha1.AWSAuthMapping {
	return v1alpha1.AWSAuthMapping{Type: m.Kind, ARN: m.ARN, Username: m.Username, Groups: nonNil(m.Groups), Key: m.Key, Index: m.Index, Status: m.Status}
}

func findingReport(f awsauth.Finding) v1alpha1.AWSAuthFinding {
	return v1alpha1.AWSAuthFinding{Rule: f.Rule, Name: f.Name, Severity: f.Severity,
		Location: v1alpha1.AWSAuthLocation{Key: f.Location.Key, Entry: f.Location.Entry, Field: f.Location.Field, Line: f.Location.Line, Column: f.Location.Column},
		ARN:      f.ARN, Message: f.Message, Hint: f.Hint}
}
