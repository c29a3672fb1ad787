package source

import (
	"context"
	"fmt"
	"io"
	"slices"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
)

// AWSRequest asks for the AWS inputs of pod identity (the cluster's OIDC issuer,
// Pod Identity associations, the roles' trust policies, the nodes' instances and
// instance profiles) and the cluster's endpoint access (DescribeCluster
// resourcesVpcConfig). They are read after the Kubernetes objects, which say which
// roles and instances matter: from the AWS APIs, or from Files (what the AWS CLI
// prints). Access denied or missing credentials leave an input out (Snapshot.AWS
// marks it, and a warning says so); any other AWS error fails the read.
type AWSRequest struct {
	// Files are AWS CLI outputs (files or directories of *.json; "-" is Stdin),
	// read instead of the AWS APIs.
	Files []string
	Stdin io.Reader
	// ClusterName and Region of the EKS cluster; by default, the kubeconfig's.
	ClusterName, Region string
	// Namespace limits the associations read ("" for all).
	Namespace string
	// Roles are read besides those the objects and associations name.
	Roles []string
	// NewClients builds the AWS clients (nil: NewAWSClients; tests replace it).
	NewClients func(context.Context, EKSCluster) (AWSClients, error)
}

// awsInputNames are the AWS inputs, in the order reports list them.
func awsInputNames() []string {
	return []string{"eks:DescribeCluster", "eks:ListPodIdentityAssociations", "eks:DescribePodIdentityAssociation", "iam:GetRole", "ec2:DescribeInstances", "iam:GetInstanceProfile"}
}

// MissingAWS is the AWS inputs when none could be read, each marked missing with why.
func MissingAWS(why string) *AWSInputs {
	a := NewAWSInputs()
	for _, name := range awsInputNames() {
		a.Inputs = append(a.Inputs, v1alpha1.PodIdentityInput{Name: name, Source: "none", Status: StatusMissing, Message: why})
	}
	return a
}

// readAWS is Read's AWS step: it runs once the Kubernetes objects are in s.
func (s *Snapshot) readAWS(ctx context.Context, r *AWSRequest, loader clientcmd.ClientConfig, offline bool) error {
	var (
		a   *AWSInputs
		err error
	)
	switch {
	case len(r.Files) > 0:
		if a, err = ReadAWSFiles(r.Files, r.Stdin); err != nil {
			return err
		}
	case offline:
		a = MissingAWS("offline (-f): pass --aws-file for the AWS inputs")
	default:
		cluster, ok := (&AccessRequest{ClusterName: r.ClusterName, Region: r.Region}).Cluster(loader)
		if !ok {
			a = MissingAWS("the kubeconfig does not authenticate through EKS: pass --cluster-name (and --region) or --aws-file")
			break
		}
		newClients := r.NewClients
		if newClients == nil {
			newClients = NewAWSClients
		}
		clients, err := newClients(ctx, cluster)
		if err != nil {
			return err
		}
		if a, err = ReadPodIdentityAWS(ctx, clients, cluster.Name, r.Namespace, s.awsNeeds(r)); err != nil {
			return err
		}
	}
	s.AWS = a
	// One warning per missing input, or one for all when they all miss for one reason.
	var missing []string
	same := true
	for _, i := range a.Inputs {
		if i.Status != StatusRead {
			missing = append(missing, fmt.Sprintf("%s: %s%s", i.Name, i.Status, parenthesized(i.Message)))
			same = same && i.Status == a.Inputs[0].Status && i.Message == a.Inputs[0].Message
		}
	}
	if same && len(missing) == len(a.Inputs) && len(missing) > 0 {
		missing = []string{fmt.Sprintf("no AWS input was read (%s%s): trust policies, associations and IMDS settings are not evaluated", a.Inputs[0].Status, parenthesized(a.Inputs[0].Message))}
	}
	for _, m := range missing {
		s.warn("AWSInputMissing", "%s", m)
	}
	return nil
}

// awsNeeds says which roles and instances to read: the IRSA roles of the service
// accounts read, the associations' roles (in the namespace asked), the roles asked
// for, and the nodes' instances.
func (s *Snapshot) awsNeeds(r *AWSRequest) AWSNeeds {
	return func(a *AWSInputs) (roles, instances []string) {
		add := func(arn string) {
			if arn != "" && !slices.Contains(roles, arn) {
				roles = append(roles, arn)
			}
		}
		if s.PodIdentity != nil {
			for _, sa := range s.PodIdentity.Input().ServiceAccounts {
				add(sa.RoleARN)
			}
			instances = s.PodIdentity.InstanceIDs()
		}
		for _, as := range a.Associations {
			if r.Namespace == "" || as.Namespace == r.Namespace {
				add(as.RoleARN)
				add(as.TargetRoleARN)
			}
		}
		for _, role := range r.Roles {
			add(role)
		}
		slices.Sort(roles)
		return roles, instances
	}
}

func parenthesized(msg string) string {
	if msg == "" {
		return ""
	}
	return " (" + msg + ")"
}

// PodIdentityInput is the pod-identity engine's input: the Kubernetes objects
// collected, with the AWS inputs read (nil when not asked for).
func (s *Snapshot) PodIdentityInput() *podidentity.Input {
	if s.PodIdentity == nil {
		return nil
	}
	in := s.PodIdentity.Input()
	if a := s.AWS; a != nil {
		in.Cluster, in.AssociationsRead, in.Associations = a.Cluster, a.AssociationsRead, a.Associations
		in.Roles, in.InstancesRead, in.Instances, in.InstanceProfiles = a.Roles, a.InstancesRead, a.Instances, a.InstanceProfiles
	}
	return in
}
