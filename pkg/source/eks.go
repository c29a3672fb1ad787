package source

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
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
	// Profile is the AWS profile the kubeconfig's exec plugin uses (its --profile or
	// AWS_PROFILE), "" for the default chain.
	Profile string
	// RoleARN is the role the exec plugin assumes for its token (aws eks get-token
	// --role-arn, aws-iam-authenticator -r): the EKS API is read as that role too.
	RoleARN string
	// DetectedFrom says where Name and Region came from, for messages.
	DetectedFrom string
}

// DetectEKSCluster finds the EKS cluster name and region in the kubeconfig's current
// user: the exec credential plugin `aws eks get-token --cluster-name X [--region Y]`
// or `aws-iam-authenticator token -i X` (with AWS_REGION or AWS_DEFAULT_REGION in
// its env). ok is false when the kubeconfig does not authenticate through EKS.
func DetectEKSCluster(loader clientcmd.ClientConfig) (EKSCluster, bool) {
	exec, userName := currentExec(loader)
	if exec == nil {
		return EKSCluster{}, false
	}
	args := exec.Args
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
	out := EKSCluster{DetectedFrom: "the kubeconfig's exec credential plugin"}
	if userName != "" {
		out.DetectedFrom = fmt.Sprintf("kubeconfig user %q", userName)
	}
	switch filepath.Base(exec.Command) {
	case "aws", "aws.exe":
		if !slices.Contains(args, "get-token") {
			return EKSCluster{}, false
		}
		// --cluster-id names an EKS cluster on Outposts by its ID, which
		// DescribeCluster does not take: only --cluster-name is a name.
		out.Name, out.Region = flag("--cluster-name"), flag("--region")
		out.Profile, out.RoleARN = flag("--profile"), flag("--role-arn")
	case "aws-iam-authenticator", "aws-iam-authenticator.exe":
		out.Name, out.RoleARN = flag("-i", "--cluster-id"), flag("-r", "--role")
		out.Region = flag("--region")
	default:
		return EKSCluster{}, false
	}
	env := map[string]string{}
	for _, e := range exec.Env {
		env[e.Name] = e.Value
	}
	// As the AWS CLI and SDKs read them: AWS_REGION before AWS_DEFAULT_REGION.
	out.Region = cmp.Or(out.Region, env["AWS_REGION"], env["AWS_DEFAULT_REGION"])
	out.Profile = cmp.Or(out.Profile, env["AWS_PROFILE"])
	return out, out.Name != ""
}

// currentExec is the exec credential plugin of the user the kubeconfig
// authenticates as, and that user's name when it can be told. --context and --user
// are overrides that RawConfig does not apply and ClientConfig does, so the plugin
// comes from ClientConfig (from the raw current context only when that fails).
func currentExec(loader clientcmd.ClientConfig) (*clientcmdapi.ExecConfig, string) {
	raw, rawErr := loader.RawConfig()
	rc, err := loader.ClientConfig()
	if err != nil {
		if rawErr != nil {
			return nil, ""
		}
		c, ok := raw.Contexts[raw.CurrentContext]
		if !ok {
			return nil, ""
		}
		if u, ok := raw.AuthInfos[c.AuthInfo]; ok && u.Exec != nil {
			return u.Exec, c.AuthInfo
		}
		return nil, ""
	}
	exec := rc.ExecProvider
	if exec == nil {
		return nil, ""
	}
	names := slices.Sorted(maps.Keys(raw.AuthInfos))
	if c, ok := raw.Contexts[raw.CurrentContext]; ok {
		names = slices.Insert(names, 0, c.AuthInfo) // the usual case first
	}
	for _, n := range names {
		if u, ok := raw.AuthInfos[n]; ok && u.Exec != nil && u.Exec.Command == exec.Command &&
			slices.Equal(u.Exec.Args, exec.Args) && slices.Equal(u.Exec.Env, exec.Env) {
			return exec, n
		}
	}
	return exec, ""
}

// NewEKSClient builds the EKS client with the usual AWS credential chain
// (environment, shared config and credentials files, SSO, IMDS...), as the
// kubeconfig's exec plugin gets its credentials: with c.Profile and, when c.RoleARN is
// set, assuming that role. A region given here wins over AWS_REGION.
func NewEKSClient(ctx context.Context, c EKSCluster) (*awseks.Client, error) {
	// The SDK's own log lines (such as its IMDSv1 fallback warning) would land in the
	// middle of the command's output; errors are reported by the caller instead.
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithLogger(logging.Nop{})}
	if c.Region != "" {
		opts = append(opts, awsconfig.WithRegion(c.Region))
	}
	if c.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(c.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("no AWS region: pass --region or set AWS_REGION")
	}
	if c.RoleARN != "" {
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), c.RoleARN))
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

// describeEKSError turns an EKS API error into one precise line naming the call and
// the cluster (and the access entry, for the per-entry calls: principal is "" for
// the cluster-level ones).
func describeEKSError(call, cluster, principal string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		msg := oneLine(ae.ErrorMessage())
		switch ae.ErrorCode() {
		case "AccessDeniedException":
			return fmt.Errorf("eks:%s on cluster %s: access denied (%s): the IAM view needs eks:DescribeCluster, eks:ListAccessEntries, eks:DescribeAccessEntry and eks:ListAssociatedAccessPolicies", call, cluster, msg)
		case "ResourceNotFoundException":
			if principal != "" {
				return fmt.Errorf("eks:%s on cluster %s: access entry %s not found (%s): it was deleted while being read; run again", call, cluster, principal, msg)
			}
			return fmt.Errorf("eks:%s: cluster %s not found (%s): check --cluster-name and --region", call, cluster, msg)
		}
		return fmt.Errorf("eks:%s on cluster %s: %s: %s", call, cluster, ae.ErrorCode(), msg)
	}
	// No provider of the chain had credentials: the chain ends at the instance
	// metadata service, which has no role (or is turned off). Other credential
	// failures (an expired SSO token, a refused AssumeRole) are errors.
	if msg := err.Error(); strings.Contains(msg, "no EC2 IMDS role found") || strings.Contains(msg, "access disabled to EC2 IMDS") {
		return &NoCredentialsError{Err: err}
	}
	return fmt.Errorf("eks:%s on cluster %s: %w", call, cluster, err)
}

// oneLine folds a server-supplied message onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// accessEntryConcurrency bounds the DescribeAccessEntry and
// ListAssociatedAccessPolicies calls in flight (the SDK retries throttling).
const accessEntryConcurrency = 8

// ReadAccessEntries reads the cluster's authentication mode, whether its creator was
// made an admin, and every access entry with its associated access policies:
// DescribeCluster, then (unless the mode is CONFIG_MAP, where there are none)
// ListAccessEntries (paged), then per entry DescribeAccessEntry and
// ListAssociatedAccessPolicies (paged), with bounded concurrency. Any failure fails the read (an incomplete IAM view is never
// presented as complete).
func ReadAccessEntries(ctx context.Context, api EKSAPI, cluster string) (*eks.Snapshot, error) {
	dc, err := api.DescribeCluster(ctx, &awseks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		return nil, describeEKSError("DescribeCluster", cluster, "", err)
	}
	snap := &eks.Snapshot{Cluster: eks.Cluster{Name: cluster, AuthenticationMode: eks.ModeConfigMap}, Entries: []eks.AccessEntry{}}
	if dc.Cluster != nil && dc.Cluster.AccessConfig != nil {
		if m := dc.Cluster.AccessConfig.AuthenticationMode; m != "" {
			snap.Cluster.AuthenticationMode = string(m)
		}
		if b := dc.Cluster.AccessConfig.BootstrapClusterCreatorAdminPermissions; b != nil {
			snap.Cluster.BootstrapClusterCreatorAdminPermissions = aws.Bool(*b)
		}
	}
	// In CONFIG_MAP mode EKS refuses the access entry calls ("The cluster's
	// authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform
	// this operation"), and no entry can exist: there is nothing more to read.
	if snap.Cluster.AuthenticationMode == eks.ModeConfigMap {
		return snap, nil
	}
	var arns []string
	pages := awseks.NewListAccessEntriesPaginator(api, &awseks.ListAccessEntriesInput{ClusterName: aws.String(cluster), MaxResults: aws.Int32(100)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, describeEKSError("ListAccessEntries", cluster, "", err)
		}
		arns = append(arns, page.AccessEntries...)
	}
	snap.Entries = make([]eks.AccessEntry, len(arns))
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	// The first failure fails the read: cancel the calls still to come rather than
	// make (and retry) them for nothing.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
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
					cancel()
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
		return nil, describeEKSError("DescribeAccessEntry", cluster, arn, err)
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
			return nil, describeEKSError("ListAssociatedAccessPolicies", cluster, arn, err)
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

// ManagedRolesAPI is the part of the EKS API that finds the roles EKS manages itself
// (*awseks.Client has it).
type ManagedRolesAPI interface {
	ListNodegroups(context.Context, *awseks.ListNodegroupsInput, ...func(*awseks.Options)) (*awseks.ListNodegroupsOutput, error)
	DescribeNodegroup(context.Context, *awseks.DescribeNodegroupInput, ...func(*awseks.Options)) (*awseks.DescribeNodegroupOutput, error)
	ListFargateProfiles(context.Context, *awseks.ListFargateProfilesInput, ...func(*awseks.Options)) (*awseks.ListFargateProfilesOutput, error)
	DescribeFargateProfile(context.Context, *awseks.DescribeFargateProfileInput, ...func(*awseks.Options)) (*awseks.DescribeFargateProfileOutput, error)
}

// ReadManagedRoles reads the roles whose access EKS manages itself (eks.ManagedRoles):
// ListNodegroups (paged) and DescribeNodegroup for each node role, ListFargateProfiles
// (paged) and DescribeFargateProfile for each pod execution role, with bounded
// concurrency. Needs eks:ListNodegroups, eks:DescribeNodegroup,
// eks:ListFargateProfiles and eks:DescribeFargateProfile. Any failure fails the read.
func ReadManagedRoles(ctx context.Context, api ManagedRolesAPI, cluster string) (*eks.ManagedRoles, error) {
	var groups, profiles []string
	ng := awseks.NewListNodegroupsPaginator(api, &awseks.ListNodegroupsInput{ClusterName: aws.String(cluster), MaxResults: aws.Int32(100)})
	for ng.HasMorePages() {
		page, err := ng.NextPage(ctx)
		if err != nil {
			return nil, describeEKSError("ListNodegroups", cluster, "", err)
		}
		groups = append(groups, page.Nodegroups...)
	}
	fp := awseks.NewListFargateProfilesPaginator(api, &awseks.ListFargateProfilesInput{ClusterName: aws.String(cluster), MaxResults: aws.Int32(100)})
	for fp.HasMorePages() {
		page, err := fp.NextPage(ctx)
		if err != nil {
			return nil, describeEKSError("ListFargateProfiles", cluster, "", err)
		}
		profiles = append(profiles, page.FargateProfileNames...)
	}
	out := &eks.ManagedRoles{NodeGroups: make([]eks.NamedRole, len(groups)), FargateProfiles: make([]eks.NamedRole, len(profiles))}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(accessEntryConcurrency)
	describe := func(names []string, into []eks.NamedRole, call string, role func(ctx context.Context, name string) (*string, error)) {
		for i, name := range names {
			g.Go(func() error {
				arn, err := role(ctx, name)
				if err != nil {
					return describeEKSError(call, cluster, "", err)
				}
				into[i] = eks.NamedRole{Name: name, RoleARN: aws.ToString(arn)}
				return nil
			})
		}
	}
	describe(groups, out.NodeGroups, "DescribeNodegroup", func(ctx context.Context, name string) (*string, error) {
		d, err := api.DescribeNodegroup(ctx, &awseks.DescribeNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(name)})
		if err != nil || d.Nodegroup == nil {
			return nil, err
		}
		return d.Nodegroup.NodeRole, nil
	})
	describe(profiles, out.FargateProfiles, "DescribeFargateProfile", func(ctx context.Context, name string) (*string, error) {
		d, err := api.DescribeFargateProfile(ctx, &awseks.DescribeFargateProfileInput{ClusterName: aws.String(cluster), FargateProfileName: aws.String(name)})
		if err != nil || d.FargateProfile == nil {
			return nil, err
		}
		return d.FargateProfile.PodExecutionRoleArn, nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// AccessEntriesFile is the file `access-entries export` writes and
// --access-entries-file reads.
type AccessEntriesFile = v1alpha1.AccessEntriesFile

// AccessEntriesAPIVersion is the apiVersion of the export file.
const AccessEntriesAPIVersion = "kubectl-eksiam.io/v1alpha1"

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
		switch {
		case errors.Is(err, io.EOF):
			err = errors.New("empty file, want the JSON object 'kubectl eksiam access-entries export' writes")
		case errors.Is(err, io.ErrUnexpectedEOF):
			err = errors.New("truncated JSON (unexpected end of file)")
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: unexpected data after the JSON object", path)
	}
	if f.APIVersion != AccessEntriesAPIVersion {
		return nil, fmt.Errorf("%s: apiVersion %q, want %s", path, f.APIVersion, AccessEntriesAPIVersion)
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
	return &f.AccessConfig, nil
}
