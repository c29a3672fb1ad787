package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iampolicy"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
)

// PodIdentityEKSAPI is the part of the EKS API pod-identity reads.
type PodIdentityEKSAPI interface {
	DescribeCluster(context.Context, *awseks.DescribeClusterInput, ...func(*awseks.Options)) (*awseks.DescribeClusterOutput, error)
	ListPodIdentityAssociations(context.Context, *awseks.ListPodIdentityAssociationsInput, ...func(*awseks.Options)) (*awseks.ListPodIdentityAssociationsOutput, error)
	DescribePodIdentityAssociation(context.Context, *awseks.DescribePodIdentityAssociationInput, ...func(*awseks.Options)) (*awseks.DescribePodIdentityAssociationOutput, error)
}

// IAMAPI is the part of the IAM API pod-identity reads.
type IAMAPI interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	GetInstanceProfile(context.Context, *iam.GetInstanceProfileInput, ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error)
}

// EC2API is the part of the EC2 API pod-identity reads.
type EC2API interface {
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
}

// AWSClients are the clients of one account and region.
type AWSClients struct {
	EKS PodIdentityEKSAPI
	IAM IAMAPI
	EC2 EC2API
}

// NewAWSClients builds the EKS, IAM and EC2 clients with the usual AWS credential
// chain, as NewEKSClient does (profile and role of the kubeconfig's exec plugin).
func NewAWSClients(ctx context.Context, c EKSCluster) (AWSClients, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithLogger(logging.Nop{})}
	if c.Region != "" {
		opts = append(opts, awsconfig.WithRegion(c.Region))
	}
	if c.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(c.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return AWSClients{}, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return AWSClients{}, fmt.Errorf("no AWS region: pass --region or set AWS_REGION")
	}
	if c.RoleARN != "" {
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), c.RoleARN))
	}
	return AWSClients{EKS: awseks.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg), EC2: ec2.NewFromConfig(cfg)}, nil
}

// awsConcurrency bounds the per-object calls in flight (the SDK retries throttling).
const awsConcurrency = 8

// instanceBatch is how many instance ids one DescribeInstances filter carries.
const instanceBatch = 200

// AWSNeeds says what to read after the cluster and its associations: the roles and
// the instances the answer needs.
type AWSNeeds func(*AWSInputs) (roles, instances []string)

// Input statuses.
const (
	StatusRead          = "read"
	StatusMissing       = "missing"
	StatusDenied        = "denied"
	StatusNoCredentials = "no-credentials"
	StatusNotFound      = "not-found"
)

// classify sorts an AWS error: access denied and missing credentials leave an input
// out (the answer goes on, incomplete); anything else is an error.
func classify(err error) (status string, ok bool) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
			return StatusDenied, true
		case "NoSuchEntity":
			return StatusNotFound, true
		}
		return "", false
	}
	msg := err.Error()
	if strings.Contains(msg, "no EC2 IMDS role found") || strings.Contains(msg, "access disabled to EC2 IMDS") || strings.Contains(msg, "failed to retrieve credentials") {
		return StatusNoCredentials, true
	}
	return "", false
}

func oneLineErr(call string, err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf("%s: %s: %s", call, ae.ErrorCode(), oneLine(ae.ErrorMessage()))
	}
	return call + ": " + oneLine(err.Error())
}

// ReadPodIdentityAWS reads the AWS inputs of a pod-identity answer: DescribeCluster;
// ListPodIdentityAssociations (paged, filtered to namespace unless it is "") and
// DescribePodIdentityAssociation for each; then GetRole for each role and
// DescribeInstances (by instance-id filter, paged) for each instance that needs
// names, and GetInstanceProfile for each instance profile found. Access denied or
// missing credentials on a call leaves that input out (marked in Inputs); any other
// failure is an error.
func ReadPodIdentityAWS(ctx context.Context, c AWSClients, cluster, namespace string, needs AWSNeeds) (*AWSInputs, error) {
	a := NewAWSInputs()
	names := []string{"eks:DescribeCluster", "eks:ListPodIdentityAssociations", "eks:DescribePodIdentityAssociation", "iam:GetRole", "ec2:DescribeInstances", "iam:GetInstanceProfile"}
	for _, n := range names {
		a.Inputs = append(a.Inputs, v1alpha1.PodIdentityInput{Name: n, Source: "api", Status: StatusRead})
	}
	input := func(name string) *v1alpha1.PodIdentityInput { return &a.Inputs[slices.Index(names, name)] }
	// soft records a failure that leaves the input out; it returns false for errors.
	soft := func(in *v1alpha1.PodIdentityInput, call string, err error) bool {
		st, ok := classify(err)
		if !ok {
			return false
		}
		in.Status, in.Message = st, oneLineErr(call, err)
		return true
	}
	noCreds := false

	in := input("eks:DescribeCluster")
	dc, err := c.EKS.DescribeCluster(ctx, &awseks.DescribeClusterInput{Name: aws.String(cluster)})
	switch {
	case err == nil:
		d := &CLIDescribeCluster{}
		if cl := dc.Cluster; cl != nil {
			d.Cluster.Name, d.Cluster.Arn = aws.ToString(cl.Name), aws.ToString(cl.Arn)
			if cl.Identity != nil && cl.Identity.Oidc != nil {
				d.Cluster.Identity = &struct {
					OIDC *struct {
						Issuer string `json:"issuer"`
					} `json:"oidc,omitempty"`
				}{OIDC: &struct {
					Issuer string `json:"issuer"`
				}{Issuer: aws.ToString(cl.Identity.Oidc.Issuer)}}
			}
			if cl.ComputeConfig != nil && cl.ComputeConfig.Enabled != nil {
				d.Cluster.ComputeConfig = &struct {
					Enabled *bool `json:"enabled,omitempty"`
				}{Enabled: aws.Bool(*cl.ComputeConfig.Enabled)}
			}
			if v := cl.ResourcesVpcConfig; v != nil {
				d.Cluster.ResourcesVpcConfig = &CLIVpcConfig{EndpointPublicAccess: aws.Bool(v.EndpointPublicAccess),
					EndpointPrivateAccess: aws.Bool(v.EndpointPrivateAccess), PublicAccessCidrs: v.PublicAccessCidrs}
			}
		}
		_ = a.Apply(d)
		in.Count = 1
	case soft(in, "eks:DescribeCluster on cluster "+cluster, err):
		noCreds = in.Status == StatusNoCredentials
	default:
		return nil, describeEKSError("DescribeCluster", cluster, "", err)
	}

	list, desc := input("eks:ListPodIdentityAssociations"), input("eks:DescribePodIdentityAssociation")
	if noCreds {
		list.Status, desc.Status = StatusNoCredentials, StatusNoCredentials
	} else {
		listDoc := &CLIListAssociations{Associations: []CLIAssociation{}}
		ok := true
		li := &awseks.ListPodIdentityAssociationsInput{ClusterName: aws.String(cluster), MaxResults: aws.Int32(100)}
		if namespace != "" {
			li.Namespace = aws.String(namespace)
		}
		pages := awseks.NewListPodIdentityAssociationsPaginator(c.EKS, li)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				if !soft(list, "eks:ListPodIdentityAssociations on cluster "+cluster, err) {
					return nil, describeEKSError("ListPodIdentityAssociations", cluster, "", err)
				}
				desc.Status, ok = StatusMissing, false
				break
			}
			for _, s := range page.Associations {
				listDoc.Associations = append(listDoc.Associations, CLIAssociation{ClusterName: aws.ToString(s.ClusterName), Namespace: aws.ToString(s.Namespace),
					ServiceAccount: aws.ToString(s.ServiceAccount), AssociationArn: aws.ToString(s.AssociationArn), AssociationID: aws.ToString(s.AssociationId), OwnerArn: aws.ToString(s.OwnerArn)})
			}
		}
		if ok {
			_ = a.Apply(listDoc)
			list.Count = len(listDoc.Associations)
			docs := make([]*CLIDescribeAssociation, len(listDoc.Associations))
			errs := parallel(ctx, len(docs), func(ctx context.Context, i int) error {
				id := listDoc.Associations[i].AssociationID
				out, err := c.EKS.DescribePodIdentityAssociation(ctx, &awseks.DescribePodIdentityAssociationInput{ClusterName: aws.String(cluster), AssociationId: aws.String(id)})
				if err != nil {
					return err
				}
				if as := out.Association; as != nil {
					docs[i] = &CLIDescribeAssociation{Association: CLIAssociation{ClusterName: aws.ToString(as.ClusterName), Namespace: aws.ToString(as.Namespace),
						ServiceAccount: aws.ToString(as.ServiceAccount), RoleArn: aws.ToString(as.RoleArn), TargetRoleArn: aws.ToString(as.TargetRoleArn),
						ExternalID: aws.ToString(as.ExternalId), DisableSessionTags: as.DisableSessionTags, AssociationArn: aws.ToString(as.AssociationArn),
						AssociationID: aws.ToString(as.AssociationId), OwnerArn: aws.ToString(as.OwnerArn)}}
				}
				return nil
			})
			for i, err := range errs {
				switch {
				case err == nil && docs[i] != nil:
					_ = a.Apply(docs[i])
					desc.Count++
				case err != nil && !soft(desc, "eks:DescribePodIdentityAssociation "+listDoc.Associations[i].AssociationID, err):
					return nil, describeEKSError("DescribePodIdentityAssociation", cluster, "", err)
				}
			}
		}
	}

	roles, instances := needs(a)
	roleIn := input("iam:GetRole")
	if noCreds {
		roleIn.Status = StatusNoCredentials
	} else {
		docs := make([]*CLIGetRole, len(roles))
		errs := parallel(ctx, len(roles), func(ctx context.Context, i int) error {
			arn := roles[i]
			out, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(arn[strings.LastIndex(arn, "/")+1:])})
			if err != nil {
				return err
			}
			if r := out.Role; r != nil {
				doc, err := decodedDocument(aws.ToString(r.AssumeRolePolicyDocument))
				if err != nil {
					return err
				}
				docs[i] = &CLIGetRole{Role: CLIRole{Path: aws.ToString(r.Path), RoleName: aws.ToString(r.RoleName), RoleID: aws.ToString(r.RoleId),
					Arn: aws.ToString(r.Arn), CreateDate: isoTime(r.CreateDate), AssumeRolePolicyDocument: doc}}
			}
			return nil
		})
		var notFound []string
		for i, err := range errs {
			switch {
			case err == nil && docs[i] != nil:
				// Keyed by the ARN the cluster names (IAM finds roles by name).
				docs[i].Role.Arn = roles[i]
				if err := a.Apply(docs[i]); err != nil {
					return nil, err
				}
				roleIn.Count++
			case err != nil:
				st, ok := classify(err)
				switch {
				case !ok:
					return nil, fmt.Errorf("iam:GetRole %s: %w", roles[i], err)
				case st == StatusNotFound:
					a.Roles[roles[i]] = &podidentity.Role{ARN: roles[i], NotFound: true}
					notFound = append(notFound, roles[i])
				default:
					roleIn.Status, roleIn.Message = st, oneLineErr("iam:GetRole "+roles[i], err)
				}
			}
		}
		if len(notFound) > 0 && roleIn.Message == "" {
			roleIn.Message = "not found: " + strings.Join(notFound, ", ")
		}
	}

	instIn := input("ec2:DescribeInstances")
	profIn := input("iam:GetInstanceProfile")
	switch {
	case noCreds:
		instIn.Status, profIn.Status = StatusNoCredentials, StatusNoCredentials
	case len(instances) == 0:
		a.InstancesRead = true
	default:
		doc := &CLIDescribeInstances{}
		failed := false
		for start := 0; start < len(instances) && !failed; start += instanceBatch {
			batch := instances[start:min(start+instanceBatch, len(instances))]
			pages := ec2.NewDescribeInstancesPaginator(c.EC2, &ec2.DescribeInstancesInput{
				Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: batch}}, MaxResults: aws.Int32(1000)})
			for pages.HasMorePages() {
				page, err := pages.NextPage(ctx)
				if err != nil {
					if !soft(instIn, "ec2:DescribeInstances", err) {
						return nil, fmt.Errorf("ec2:DescribeInstances: %w", err)
					}
					failed = true
					break
				}
				for _, r := range page.Reservations {
					res := struct {
						Instances []CLIInstance `json:"Instances"`
					}{}
					for _, i := range r.Instances {
						ci := CLIInstance{InstanceID: aws.ToString(i.InstanceId)}
						if i.IamInstanceProfile != nil {
							ci.IamInstanceProfile = &struct {
								Arn string `json:"Arn"`
							}{Arn: aws.ToString(i.IamInstanceProfile.Arn)}
						}
						if m := i.MetadataOptions; m != nil {
							ci.MetadataOptions = &struct {
								State                   string `json:"State,omitempty"`
								HttpTokens              string `json:"HttpTokens"`
								HttpPutResponseHopLimit int    `json:"HttpPutResponseHopLimit"`
								HttpEndpoint            string `json:"HttpEndpoint"`
							}{State: string(m.State), HttpTokens: string(m.HttpTokens), HttpPutResponseHopLimit: int(aws.ToInt32(m.HttpPutResponseHopLimit)), HttpEndpoint: string(m.HttpEndpoint)}
						}
						res.Instances = append(res.Instances, ci)
						instIn.Count++
					}
					doc.Reservations = append(doc.Reservations, res)
				}
			}
		}
		if !failed {
			_ = a.Apply(doc)
			var profiles []string
			for _, i := range a.Instances {
				if i.InstanceProfileARN != "" && !slices.Contains(profiles, i.InstanceProfileARN) {
					profiles = append(profiles, i.InstanceProfileARN)
				}
			}
			slices.Sort(profiles)
			pdocs := make([]*CLIGetInstanceProfile, len(profiles))
			errs := parallel(ctx, len(profiles), func(ctx context.Context, i int) error {
				arn := profiles[i]
				out, err := c.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(arn[strings.LastIndex(arn, "/")+1:])})
				if err != nil {
					return err
				}
				d := &CLIGetInstanceProfile{}
				d.InstanceProfile.Arn = arn
				if p := out.InstanceProfile; p != nil {
					d.InstanceProfile.InstanceProfileName = aws.ToString(p.InstanceProfileName)
					d.InstanceProfile.Roles = []CLIRole{}
					for _, r := range p.Roles {
						d.InstanceProfile.Roles = append(d.InstanceProfile.Roles, CLIRole{Path: aws.ToString(r.Path), RoleName: aws.ToString(r.RoleName), Arn: aws.ToString(r.Arn)})
					}
				}
				pdocs[i] = d
				return nil
			})
			for i, err := range errs {
				switch {
				case err == nil:
					_ = a.Apply(pdocs[i])
					profIn.Count++
				case !soft(profIn, "iam:GetInstanceProfile "+profiles[i], err):
					return nil, fmt.Errorf("iam:GetInstanceProfile %s: %w", profiles[i], err)
				}
			}
		} else {
			profIn.Status = StatusMissing
		}
	}
	return a, nil
}

// parallel runs f for 0..n-1 with bounded concurrency and returns each error.
func parallel(ctx context.Context, n int, f func(context.Context, int) error) []error {
	errs := make([]error, n)
	sem := make(chan struct{}, awsConcurrency)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = f(ctx, i)
		})
	}
	wg.Wait()
	return errs
}

// decodedDocument turns IAM's URL-encoded policy document into the JSON object the
// AWS CLI prints.
func decodedDocument(doc string) (json.RawMessage, error) {
	d, err := iampolicy.DecodeDocument(doc)
	if err != nil {
		return nil, err
	}
	if !json.Valid([]byte(d)) {
		return nil, fmt.Errorf("the role's AssumeRolePolicyDocument is not JSON once decoded")
	}
	return json.RawMessage(d), nil
}
