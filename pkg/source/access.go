package source

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
)

// AccessRequest says where EKS access entries come from: a file, or the EKS API of
// the cluster named (or found in the kubeconfig).
type AccessRequest struct {
	ClusterName string
	Region      string
	// File is an `access-entries export` file, read instead of the EKS API.
	File string
	// Disabled turns the EKS API off (--access-entries=false).
	Disabled bool
	// ManagedRoles also reads the roles of the managed node groups and Fargate
	// profiles, which EKS manages itself (ReadManagedRoles; aws-auth migrate). A
	// failure to read them is a warning: the snapshot then has none (Managed nil).
	ManagedRoles bool
}

// Load is Read's access-entry step on its own, for the commands that read nothing else.
func (r *AccessRequest) Load(ctx context.Context, loader clientcmd.ClientConfig, offline bool) (*eks.Snapshot, string, error) {
	return r.load(ctx, loader, offline)
}

// load returns the cluster's access configuration, or nil when it is not read: the
// kubeconfig does not point at EKS and no cluster name was given, access entries were
// turned off, or there are no AWS credentials (then the warning says so). offline
// never calls AWS: only the file is read.
func (r *AccessRequest) load(ctx context.Context, loader clientcmd.ClientConfig, offline bool) (*eks.Snapshot, string, error) {
	if r.File != "" {
		snap, err := ReadAccessEntriesFile(r.File)
		return snap, "", err
	}
	if r.Disabled || offline {
		return nil, "", nil
	}
	cluster, ok := r.Cluster(loader)
	if !ok {
		return nil, "", nil // not an EKS cluster, as far as the kubeconfig says
	}
	client, err := NewEKSClient(ctx, cluster)
	if err != nil {
		return nil, "", fmt.Errorf("%w (pass --access-entries=false to use aws-auth alone)", err)
	}
	snap, err := ReadAccessEntries(ctx, client, cluster.Name)
	var nc *NoCredentialsError
	switch {
	case errors.As(err, &nc):
		return nil, nc.Error() + "; going on with aws-auth alone", nil
	case err != nil:
		return nil, "", fmt.Errorf("incomplete view of IAM principals, refusing to answer: %w (pass --access-entries=false to use aws-auth alone)", err)
	}
	// The region the client uses: the flag or the kubeconfig's, else the AWS
	// configuration's (cluster.Region is "" then).
	snap.Cluster.Region = client.Options().Region
	if r.ManagedRoles {
		m, err := ReadManagedRoles(ctx, client, cluster.Name)
		if err != nil {
			return snap, fmt.Sprintf("the managed node groups and Fargate profiles were not read (%v): EC2 node roles are planned as create, though EKS creates the entries of managed node groups' roles itself", err), nil
		}
		snap.Managed = m
	}
	return snap, "", nil
}

// Cluster is the cluster to read: the name and region given, else those of the
// kubeconfig's exec plugin, whose AWS profile and assumed role are used either way
// (the EKS API is then read as the identity kubectl authenticates with). ok is false
// when no name is given and the kubeconfig does not authenticate through EKS.
func (r *AccessRequest) Cluster(loader clientcmd.ClientConfig) (EKSCluster, bool) {
	c := EKSCluster{Name: r.ClusterName, Region: r.Region}
	if loader == nil {
		return c, c.Name != ""
	}
	detected, ok := DetectEKSCluster(loader)
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
