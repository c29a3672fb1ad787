package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// eksFlags choose where EKS access entries come from.
type eksFlags struct {
	ClusterName       string
	Region            string
	AccessEntriesFile string
	AccessEntries     bool
}

func (e *eksFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&e.ClusterName, "cluster-name", "", "EKS cluster name, for its access entries (default: from the kubeconfig's aws eks get-token or aws-iam-authenticator arguments).")
	fl.StringVar(&e.Region, "region", "", "AWS region of the EKS cluster (default: from the kubeconfig, then the AWS configuration).")
	fl.StringVar(&e.AccessEntriesFile, "access-entries-file", "", "Read the authentication mode and access entries from this file ('kubectl eksiam access-entries export') instead of the EKS API.")
	fl.BoolVar(&e.AccessEntries, "access-entries", true, "Read EKS access entries (with the usual AWS credential chain) when the cluster is an EKS cluster.")
}

// load returns the cluster's access configuration, or nil when it is not read: the
// kubeconfig does not point at EKS and no cluster name was given, access entries were
// turned off, or there are no AWS credentials (then a warning says so). offline never
// calls AWS: only the file is read.
func (e *eksFlags) load(ctx context.Context, loader clientcmd.ClientConfig, offline bool) (*eks.Snapshot, string, error) {
	if e.AccessEntriesFile != "" {
		snap, err := source.ReadAccessEntriesFile(e.AccessEntriesFile)
		return snap, "", err
	}
	if !e.AccessEntries || offline {
		return nil, "", nil
	}
	cluster := source.EKSCluster{Name: e.ClusterName, Region: e.Region}
	if cluster.Name == "" && loader != nil {
		detected, ok := source.DetectEKSCluster(loader)
		if !ok {
			return nil, "", nil // not an EKS cluster, as far as the kubeconfig says
		}
		cluster.Name = detected.Name
		if cluster.Region == "" {
			cluster.Region = detected.Region
		}
	}
	if cluster.Name == "" {
		return nil, "", nil
	}
	client, err := source.NewEKSClient(ctx, cluster.Region)
	if err != nil {
		return nil, "", fmt.Errorf("%w (pass --access-entries=false to use aws-auth alone)", err)
	}
	snap, err := source.ReadAccessEntries(ctx, client, cluster.Name)
	var nc *source.NoCredentialsError
	switch {
	case errors.As(err, &nc):
		return nil, nc.Error() + "; going on with aws-auth alone", nil
	case err != nil:
		return nil, "", fmt.Errorf("incomplete view of IAM principals, refusing to answer: %w (pass --access-entries=false to use aws-auth alone)", err)
	}
	snap.Cluster.Region = cluster.Region
	return snap, "", nil
}
