package cmd

import (
	"github.com/spf13/pflag"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// eksFlags choose where EKS access entries come from (see source.AccessRequest).
type eksFlags struct {
	source.AccessRequest
	// AccessEntries is --access-entries (the EKS API on or off).
	AccessEntries bool
}

func (e *eksFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&e.ClusterName, "cluster-name", "", "EKS cluster name, for its access entries (default: from the kubeconfig's aws eks get-token or aws-iam-authenticator arguments).")
	fl.StringVar(&e.Region, "region", "", "AWS region of the EKS cluster (default: from the kubeconfig, then the AWS configuration).")
	fl.StringVar(&e.File, "access-entries-file", "", "Read the authentication mode and access entries from this file ('kubectl eksiam access-entries export') instead of the EKS API.")
	fl.BoolVar(&e.AccessEntries, "access-entries", true, "Read EKS access entries (with the usual AWS credential chain) when the cluster is an EKS cluster.")
}

// request is what the reader needs.
func (e *eksFlags) request() *source.AccessRequest {
	r := e.AccessRequest
	r.Disabled = !e.AccessEntries
	return &r
}
