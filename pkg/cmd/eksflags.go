package cmd

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// eksFlags choose where EKS access entries come from.
type eksFlags struct {
	ClusterName       string
	Region            string
	AccessEntriesFile string
	AccessEntries     bool
	// ClusterCreator is the principal that created the cluster (--cluster-creator,
	// who-can and access only), which DescribeCluster does not name.
	ClusterCreator string
	// ManagedRoles: also read the managed node groups' and Fargate profiles' roles,
	// which EKS manages itself (aws-auth migrate). A failure to read them is a warning.
	ManagedRoles bool
}

// addClusterCreator adds --cluster-creator (who-can and access).
func (e *eksFlags) addClusterCreator(fl *pflag.FlagSet) {
	fl.Var(arnFlag{&e.ClusterCreator}, "cluster-creator", "ARN of the IAM principal that created the cluster, which EKS does not name: in CONFIG_MAP mode it is a cluster admin (system:masters) that aws-auth does not show.")
}

// arnFlag is a flag that takes an IAM principal ARN the authenticator accepts.
type arnFlag struct{ p *string }

func (f arnFlag) String() string { return *f.p }
func (f arnFlag) Type() string   { return "ARN" }
func (f arnFlag) Set(s string) error {
	if _, err := awsauth.CanonicalCallerARN(s); err != nil {
		return err
	}
	*f.p = s
	return nil
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
	cluster, ok := eksCluster(e.ClusterName, e.Region, loader)
	if !ok {
		return nil, "", nil // not an EKS cluster, as far as the kubeconfig says
	}
	client, err := source.NewEKSClient(ctx, cluster)
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
	// The region the client uses: the flag or the kubeconfig's, else the AWS
	// configuration's (cluster.Region is "" then).
	snap.Cluster.Region = client.Options().Region
	if e.ManagedRoles {
		m, err := source.ReadManagedRoles(ctx, client, cluster.Name)
		if err != nil {
			return snap, fmt.Sprintf("the managed node groups and Fargate profiles were not read (%v): EC2 node roles are planned as create, though EKS creates the entries of managed node groups' roles itself", err), nil
		}
		snap.Managed = m
	}
	return snap, "", nil
}

// eksCluster is the cluster to read: the name and region given, else those of the
// kubeconfig's exec plugin, whose AWS profile and assumed role are used either way
// (the EKS API is then read as the identity kubectl authenticates with). ok is false
// when no name is given and the kubeconfig does not authenticate through EKS.
func eksCluster(name, region string, loader clientcmd.ClientConfig) (source.EKSCluster, bool) {
	c := source.EKSCluster{Name: name, Region: region}
	if loader == nil {
		return c, c.Name != ""
	}
	detected, ok := source.DetectEKSCluster(loader)
	if !ok {
		return c, c.Name != ""
	}
	c.Profile, c.RoleARN, c.DetectedFrom = detected.Profile, detected.RoleARN, detected.DetectedFrom
	if c.Name == "" {
		c.Name = detected.Name
		c.Region = cmp.Or(c.Region, detected.Region)
	}
	return c, true
}
