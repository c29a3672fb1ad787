package cmd

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// NewCmdAccessEntries returns `kubectl eksiam access-entries`, which groups its subcommands.
func NewCmdAccessEntries(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	cmd := newGroupCommand("access-entries", "Read EKS access entries", NewCmdAccessEntriesExport(f, streams))
	cmd.Long = "Read the EKS cluster's authentication mode and access entries, with their access policies."
	return cmd
}

// AccessEntriesExportOptions are the inputs of `kubectl eksiam access-entries export`.
type AccessEntriesExportOptions struct {
	ClusterName string
	Region      string
	loader      clientcmd.ClientConfig
	genericiooptions.IOStreams
}

// NewCmdAccessEntriesExport returns `kubectl eksiam access-entries export`.
func NewCmdAccessEntriesExport(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &AccessEntriesExportOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "export [--cluster-name NAME] [--region REGION]",
		Short: "Write the cluster's access entries as a file for --access-entries-file",
		Long: `Read the EKS cluster's authentication mode, its access entries and their associated
access policies (DescribeCluster, ListAccessEntries, DescribeAccessEntry,
ListAssociatedAccessPolicies, all paginated) and write them to standard output as JSON,
the file --access-entries-file reads. With it, who-can, access and aws-auth migrate
work offline, or from a machine without AWS credentials.

The cluster name and region come from --cluster-name and --region, or from the
kubeconfig's exec credential arguments (aws eks get-token --cluster-name X --region Y,
aws-iam-authenticator token -i X). Credentials come from the usual AWS chain
(environment, shared files, SSO, instance role). The file holds no secrets: ARNs,
usernames, groups and policy associations.

The file also holds the roles of the managed node groups and Fargate profiles
(ListNodegroups, DescribeNodegroup, ListFargateProfiles, DescribeFargateProfile),
which aws-auth migrate marks managed by EKS; without those permissions, a warning.

AWS permissions needed: eks:DescribeCluster, eks:ListAccessEntries,
eks:DescribeAccessEntry, eks:ListAssociatedAccessPolicies (and eks:ListNodegroups,
eks:DescribeNodegroup, eks:ListFargateProfiles, eks:DescribeFargateProfile). No
Kubernetes RBAC.

Exit codes: 0 written; 2 error (nothing is written on any error).`,
		Example: `  # Export the current context's cluster
  kubectl eksiam access-entries export > entries.json

  # A named cluster
  kubectl eksiam access-entries export --cluster-name prod --region eu-west-1 > prod-entries.json

  # Then, offline
  kubectl eksiam who-can get secrets -n app -f cluster.yaml --access-entries-file entries.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.loader = f.ToRawKubeConfigLoader()
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.ClusterName, "cluster-name", "", "EKS cluster name (default: from the kubeconfig's aws eks get-token or aws-iam-authenticator arguments).")
	cmd.Flags().StringVar(&o.Region, "region", "", "AWS region of the cluster (default: from the kubeconfig, then the AWS configuration).")
	return cmd
}

// Run reads every entry, then writes the file in one piece.
func (o *AccessEntriesExportOptions) Run(ctx context.Context) error {
	cluster, ok := (&source.AccessRequest{ClusterName: o.ClusterName, Region: o.Region}).Cluster(o.loader)
	if !ok {
		return cmdutil.UsageErrorf("no EKS cluster name: the kubeconfig's current user does not run 'aws eks get-token' or 'aws-iam-authenticator token'; pass --cluster-name")
	}
	client, err := source.NewEKSClient(ctx, cluster)
	if err != nil {
		return err
	}
	snap, err := source.ReadAccessEntries(ctx, client, cluster.Name)
	if err != nil {
		return err
	}
	snap.Cluster.Region = client.Options().Region
	if snap.Managed, err = source.ReadManagedRoles(ctx, client, cluster.Name); err != nil {
		fmt.Fprintf(o.ErrOut, "Warning: the managed node groups and Fargate profiles are not in the file (%v): aws-auth migrate cannot tell their roles apart\n", err)
	}
	file := source.AccessEntriesFile{APIVersion: v1alpha1.GroupVersion.String(), Kind: source.AccessEntriesKind, AccessConfig: *snap}
	data, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return err
	}
	if _, err := o.Out.Write(append(data, '\n')); err != nil {
		return err
	}
	fmt.Fprintf(o.ErrOut, "cluster %s (%s): %d access entries, authentication mode %s\n", snap.Cluster.Name, snap.Cluster.Region, len(snap.Entries), snap.Cluster.AuthenticationMode)
	return nil
}
