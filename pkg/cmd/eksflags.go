package cmd

import (
	"github.com/spf13/pflag"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// eksFlags choose where EKS access entries come from (see source.AccessRequest).
type eksFlags struct {
	source.AccessRequest
	// AccessEntries is --access-entries (the EKS API on or off).
	AccessEntries bool
	// ClusterCreator is the principal that created the cluster (--cluster-creator,
	// who-can and access only), which DescribeCluster does not name.
	ClusterCreator string
}

func (e *eksFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&e.ClusterName, "cluster-name", "", "EKS cluster name, for its access entries (default: from the kubeconfig's aws eks get-token or aws-iam-authenticator arguments).")
	fl.StringVar(&e.Region, "region", "", "AWS region of the EKS cluster (default: from the kubeconfig, then the AWS configuration).")
	fl.StringVar(&e.File, "access-entries-file", "", "Read the authentication mode and access entries from this file ('kubectl eksiam access-entries export') instead of the EKS API.")
	fl.BoolVar(&e.AccessEntries, "access-entries", true, "Read EKS access entries (with the usual AWS credential chain) when the cluster is an EKS cluster.")
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
	if _, err := iamarn.CanonicalCaller(s); err != nil {
		return err
	}
	*f.p = s
	return nil
}

// request is what the reader needs.
func (e *eksFlags) request() *source.AccessRequest {
	r := e.AccessRequest
	r.Disabled = !e.AccessEntries
	return &r
}
