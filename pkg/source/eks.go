package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/smithy-go"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
)

// EKSAPI is the part of the EKS API the IAM view reads (*awseks.Client has it).
type EKSAPI interface {
	DescribeCluster(context.Context, *awseks.DescribeClusterInput, ...func(*awseks.Options)) (*awseks.DescribeClusterOutput, error)
	ListAccessEntries(context.Context, *awseks.ListAccessEntriesInput, ...func(*awseks.Options)) (*awseks.ListAccessEntriesOutput, error)
	DescribeAccessEntry(context.Context, *awseks.DescribeAccessEntryInput, ...func(*awseks.Options)) (*awseks.DescribeAccessEntryOutput, error)
	ListAssociatedAccessPolicies(context.Context, *awseks.ListAssociatedAccessPoliciesInput, ...func(*awseks.Options)) (*awseks.ListAssociatedAccessPoliciesOutput, error)
}

// EKSCluster names the cluster to read, and where.
type EKSCluster struct {
	Name   string
	Region string
	// DetectedFrom says where Name and Region came from, for messages.
	DetectedFrom string
}

// DetectEKSCluster finds the EKS cluster name and region in the kubeconfig's current
// user: the exec credential plugin `aws eks get-token --cluster-name X [--region Y]`
// or `aws-iam-authenticator token -i X` (with AWS_REGION or AWS_DEFAULT_REGION in
// its env). ok is false when the kubeconfig does not authenticate through EKS.
func DetectEKSCluster(loader clientcmd.ClientConfig) (EKSCluster, bool) {
	raw, err := loader.RawConfig()
	if err != nil {
		return EKSCluster{}, false
	}
	ctxName := raw.CurrentContext
	c, ok := raw.Contexts[ctxName]
	if !ok {
		return EKSCluster{}, false
	}
	user, ok := raw.AuthInfos[c.AuthInfo]
	if !ok || user.Exec == nil {
		return EKSCluster{}, false
	}
	args := user.Exec.Args
	flag := func(names ...string) string {
		for i, a := range args {
			for _, n := range names {
				if a == n && i+1 < len(args) {
					return args[i+1]
				}
				if v, ok := strings.CutPrefix(a, n+"="); ok {
					return v
				}
			}
		}
		return ""
	}
	out := EKSCluster{DetectedFrom: fmt.Sprintf("kubeconfig user %q", c.AuthInfo)}
	switch filepath.Base(user.Exec.Command) {
	case "aws", "aws.exe":
		if !slices.Contains(args, "get-token") {
			return EKSCluster{}, false
		}
		out.Name, out.Region = flag("--cluster-name", "--cluster-id"), flag("--region")
	case "aws-iam-authenticator", "aws-iam-authenticator.exe":
		out.Name = flag("-i", "--cluster-id")
	default:
		return EKSCluster{}, false
	}
	for _, e := range user.Exec.Env {
		if out.Region == "" && (e.Name == "AWS_REGION" || e.Name == "AWS_DEFAULT_REGION") {
			out.Region = e.Value
		}
	}
	return out, out.Name != ""
}

// NewEKSClient builds the EKS client with the usual AWS credential chain
// (environment, shared config and credentials files, SSO, IMDS...). A region given
// here wins over AWS_REGION.
func NewEKSClient(ctx context.Context, region string) (*awseks.Client, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("no AWS region: pass --region or set AWS_REGION")
	}
	return awseks.NewFromConfig(cfg), nil
}

// NoCredentialsError says that no AWS credentials were found: the IAM view then
// goes on with aws-auth alone.
type NoCredentialsError struct{ Err error }

func (e *NoCredentialsError) Error() string {
	return "no AWS credentials, so EKS access entries are not read: " + e.Err.Error()
}

func (e *NoCredentialsError) Unwrap() error { return e.Err }

// describeEKSError turns an EKS API error into one precise line.
func describeEKSError(call, cluster string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDeniedException":
			return fmt.Errorf("AWS denied eks:%s on cluster %s (%s): the IAM view needs eks:DescribeCluster, eks:ListAccessEntries, eks:DescribeAccessEntry and eks:ListAssociatedAccessPolicies", call, cluster, ae.ErrorMessage())
		case "ResourceNotFoundException":
			return fmt.Errorf("eks:%s: cluster %s not found (%s): check --cluster-name and --region", call, cluster, ae.ErrorMessage())
		}
		return fmt.Errorf("eks:%s on cluster %s: %s: %s", call, cluster, ae.ErrorCode(), ae.ErrorMessage())
	}
	if strings.Contains(err.Error(), "failed to retrieve credentials") || strings.Contains(err.Error(), "no EC2 IMDS role found") ||
		strings.Contains(err.Error(), "failed to refresh cached credentials") {
		return &NoCredentialsError{Err: err}
	}
	return fmt.Errorf("eks:%s on cluster %s: %w", call, cluster, err)
}

// accessEntryConcurrency bounds the DescribeAccessEntry and
// ListAssociatedAccessPolicies calls in flight (the SDK retries throttling).
const accessEntryConcurrency = 8

// ReadAccessEntries reads the cluster's authentication mode and every access entry
// with its associated access policies: DescribeCluster, ListAccessEntries (paged),
// then per entry DescribeAccessEntry and ListAssociatedAccessPolicies (paged), with
// bounded concurrency. Any failure fails the read (an incomplete IAM view is never
// presented as complete).
func ReadAccessEntries(ctx context.Context, api EKSAPI, cluster string) (*eks.Snapshot, error) {
	dc, err := api.DescribeCluster(ctx, &awseks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		return nil, describeEKSError("DescribeCluster", cluster, err)
	}
	snap := &eks.Snapshot{Cluster: eks.Cluster{Name: cluster, AuthenticationMode: eks.ModeConfigMap}}
	if dc.Cluster != nil && dc.Cluster.AccessConfig != nil && dc.Cluster.AccessConfig.AuthenticationMode != "" {
		snap.Cluster.AuthenticationMode = string(dc.Cluster.AccessConfig.AuthenticationMode)
	}
	var arns []string
	pages := awseks.NewListAccessEntriesPaginator(api, &awseks.ListAccessEntriesInput{ClusterName: aws.String(cluster), MaxResults: aws.Int32(100)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, describeEKSError("ListAccessEntries", cluster, err)
		}
		arns = append(arns, page.AccessEntries...)
	}
	snap.Entries = make([]eks.AccessEntry, len(arns))
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, accessEntryConcurrency)
	for i, arn := range arns {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			e, err := readAccessEntry(ctx, api, cluster, arn)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			snap.Entries[i] = *e
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	slices.SortFunc(snap.Entries, func(a, b eks.AccessEntry) int { return strings.Compare(a.PrincipalARN, b.PrincipalARN) })
	return snap, nil
}

func readAccessEntry(ctx context.Context, api EKSAPI, cluster, arn string) (*eks.AccessEntry, error) {
	d, err := api.DescribeAccessEntry(ctx, &awseks.DescribeAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(arn)})
	if err != nil {
		return nil, describeEKSError("DescribeAccessEntry", cluster, err)
	}
	e := &eks.AccessEntry{PrincipalARN: arn, Type: eks.TypeStandard, KubernetesGroups: []string{}, AccessPolicies: []eks.AssociatedPolicy{}}
	if ae := d.AccessEntry; ae != nil {
		e.PrincipalARN = aws.ToString(ae.PrincipalArn)
		if t := aws.ToString(ae.Type); t != "" {
			e.Type = t
		}
		e.Username = aws.ToString(ae.Username)
		if ae.KubernetesGroups != nil {
			e.KubernetesGroups = ae.KubernetesGroups
		}
	}
	pages := awseks.NewListAssociatedAccessPoliciesPaginator(api, &awseks.ListAssociatedAccessPoliciesInput{
		ClusterName: aws.String(cluster), PrincipalArn: aws.String(arn), MaxResults: aws.Int32(100)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, describeEKSError("ListAssociatedAccessPolicies", cluster, err)
		}
		for _, p := range page.AssociatedAccessPolicies {
			ap := eks.AssociatedPolicy{PolicyARN: aws.ToString(p.PolicyArn), Scope: eks.Scope{Type: eks.ScopeCluster, Namespaces: []string{}}}
			if p.AccessScope != nil {
				ap.Scope.Type = string(p.AccessScope.Type)
				if p.AccessScope.Namespaces != nil {
					ap.Scope.Namespaces = p.AccessScope.Namespaces
				}
			}
			e.AccessPolicies = append(e.AccessPolicies, ap)
		}
	}
	return e, nil
}

// AccessEntriesFile is the file `access-entries export` writes and
// --access-entries-file reads.
type AccessEntriesFile struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	eks.Snapshot
}

// AccessEntriesKind is the kind of the export file.
const AccessEntriesKind = "AccessEntries"

// ReadAccessEntriesFile reads an export.
func ReadAccessEntriesFile(path string) (*eks.Snapshot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f AccessEntriesFile
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if f.Kind != AccessEntriesKind {
		return nil, fmt.Errorf("%s: kind %q, want %s (written by 'kubectl eksiam access-entries export')", path, f.Kind, AccessEntriesKind)
	}
	switch f.Cluster.AuthenticationMode {
	case eks.ModeAPI, eks.ModeAPIAndConfigMap, eks.ModeConfigMap:
	default:
		return nil, fmt.Errorf("%s: cluster.authenticationMode %q is not API, API_AND_CONFIG_MAP or CONFIG_MAP", path, f.Cluster.AuthenticationMode)
	}
	for i, e := range f.Entries {
		if e.PrincipalARN == "" {
			return nil, fmt.Errorf("%s: accessEntries[%d] has no principalArn", path, i)
		}
		for j, p := range e.AccessPolicies {
			if p.Scope.Type != eks.ScopeCluster && p.Scope.Type != eks.ScopeNamespace {
				return nil, fmt.Errorf("%s: accessEntries[%d].accessPolicies[%d].accessScope.type %q is not cluster or namespace", path, i, j, p.Scope.Type)
			}
		}
	}
	return &f.Snapshot, nil
}
