package cmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/utils/ptr"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/output"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

const podIdentityLong = `Show which IAM role every service account's pods get, and how: IRSA (the
eks.amazonaws.com/role-arn annotation), an EKS Pod Identity association, or the node's
instance role through the instance metadata service (IMDS) when neither applies and
the pod can reach it (IMDSv1 allowed, a hop limit above 1, or hostNetwork). Each pod is
listed with the credentials its containers got when it was created (containers the
webhook skipped, and pods created before the role was set, show the node role).

When a service account has both an IRSA annotation and a Pod Identity association,
the association wins for pods created from then on: the EKS pod identity webhook gives
container credentials precedence and injects only AWS_CONTAINER_* variables (Amazon
EKS user guide, "IAM roles for Amazon EKS add-ons": with the Pod Identity agent, "the
serviceAccountRoleArn will be ignored, and EKS will use the provided pod identity
association"). Pods started earlier keep the IRSA variables, which the SDKs' default
credential chains read before container credentials.

With --role ARN it answers the reverse: the service accounts that get the role
(annotated, associated, or admitted by the role's trust policy, since a pod can set
AWS_ROLE_ARN itself), and every RBAC subject that can act as one of them (create pods
in its namespace; create, update or patch a Deployment, ReplicaSet, StatefulSet,
DaemonSet, Job, CronJob or ReplicationController there; create serviceaccounts/token
for it; impersonate it; exec into or add an ephemeral container to its pods; or is a
superuser), computed with the who-can engine, and the IAM principals that become those
subjects through aws-auth and EKS access entries.

Findings (severity high, medium or low), each tied to an EKS best practices
recommendation:
  PI01  an IRSA trust policy has no :sub condition for this cluster's OIDC provider
  PI02  a :sub condition admits service accounts other than the annotated one
  PI03  no :aud condition requires sts.amazonaws.com
  PI04  the role does not trust this cluster's OIDC provider (or does not exist), or
        trusts another cluster's too
  PI05  a trust policy names a service account (or namespace) that does not exist
  PI06  a Pod Identity role's trust does not allow pods.eks.amazonaws.com
        sts:AssumeRole and sts:TagSession, or does with no condition narrowing it
  PI07  a Pod Identity association names a service account or namespace that does
        not exist
  PI08  pods that get the node's role through IMDS (or, low, could)
  PI09  aws-node (the VPC CNI) runs on the node's role
  PI10  a service account has both an IRSA annotation and a Pod Identity association

AWS inputs: eks:DescribeCluster (the OIDC issuer), eks:ListPodIdentityAssociations
and eks:DescribePodIdentityAssociation, iam:GetRole (trust policies), ec2:DescribeInstances
(metadata options of each node's instance) and iam:GetInstanceProfile (the node role),
read with the usual AWS credential chain when the kubeconfig points at EKS (or
--cluster-name is given), or from --aws-file: files holding what the AWS CLI prints
(aws iam get-role, aws iam get-instance-profile, aws eks describe-cluster, aws eks
list-pod-identity-associations, aws eks describe-pod-identity-association, aws ec2
describe-instances), one or more documents per file, or a directory of *.json files.
'kubectl eksiam pod-identity export' writes them. Without credentials, or when AWS
denies a call, the answer names the missing input, goes on with the rest and says
complete: false.

RBAC needed: list namespaces (get the namespace with -n), serviceaccounts, pods,
nodes, deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs,
replicationcontrollers (get daemonset kube-system/eks-pod-identity-agent with -n);
with --role also list roles, rolebindings, clusterroles, clusterrolebindings and get
configmap kube-system/aws-auth. With -f, nothing is read from the cluster.

Exit codes: 0 no findings; 1 findings; 2 error (usage, kubeconfig, a failed or
forbidden Kubernetes read, an AWS error other than access denied or missing
credentials, or --role about a role nothing could be learnt about).`

const podIdentityExample = `  # Which IAM role every service account of every namespace gets, and how
  kubectl eksiam pod-identity -A

  # Who gets this role, and who can act as them (RBAC subjects and IAM principals)?
  kubectl eksiam pod-identity -A --role arn:aws:iam::111122223333:role/s3-reader

  # Offline: a dump of the cluster and the AWS inputs saved by export
  kubectl eksiam pod-identity export --output-dir aws/
  kubectl get ns,sa,pods,nodes,deploy,rs,sts,ds,jobs,cronjobs -A -o yaml > cluster.yaml
  kubectl eksiam pod-identity -A -f cluster.yaml --aws-file aws/

  # The findings as JSON, for CI
  kubectl eksiam pod-identity -A -o json | jq '.findings'`

// PodIdentityOptions are the inputs of `kubectl eksiam pod-identity`.
type PodIdentityOptions struct {
	Scope    cmdutil.ScopeFlags
	RoleARN  string
	Print    *cmdutil.PrintFlags
	Files    cmdutil.FilenameFlags
	AWSFiles []string
	EKS      eksFlags

	Input    source.Input
	PageSize int64
	// NewAWSClients builds the AWS clients (tests replace it).
	NewAWSClients func(context.Context, source.EKSCluster) (source.AWSClients, error)
	genericiooptions.IOStreams
}

// NewPodIdentityOptions returns the options with their defaults.
func NewPodIdentityOptions(streams genericiooptions.IOStreams) *PodIdentityOptions {
	return &PodIdentityOptions{IOStreams: streams, Print: cmdutil.NewTablePrintFlags(), EKS: eksFlags{AccessEntries: true}, NewAWSClients: source.NewAWSClients}
}

// NewCmdPodIdentity returns `kubectl eksiam pod-identity`.
func NewCmdPodIdentity(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := NewPodIdentityOptions(streams)
	cmd := &cobra.Command{
		Use:     "pod-identity [-n NS | -A] [--role ARN]",
		Short:   "Show which IAM role every workload gets, how tightly it is held, and who can take it",
		Long:    podIdentityLong,
		Example: podIdentityExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := completeInput(f, cmd, &o.Scope, o.Files, &o.Input, o.ErrOut); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	o.Scope.AddFlags(cmd, "Every namespace.")
	cmd.Flags().StringVar(&o.RoleARN, "role", "", "Answer for this IAM role ARN: the service accounts that get it and who can act as them.")
	o.Print.AddFlags(cmd)
	o.Files.AddFlags(cmd, "Read Kubernetes objects from these files, directories or - instead of a cluster.")
	o.addAWSFlags(cmd)
	o.EKS.add(cmd.Flags())
	cmd.AddCommand(NewCmdPodIdentityExport(f, streams))
	return cmd
}

func (o *PodIdentityOptions) addAWSFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&o.AWSFiles, "aws-file", nil, "Read AWS inputs from this file or directory of AWS CLI output (repeatable) instead of the AWS APIs.")
}

// Validate checks the flags.
func (o *PodIdentityOptions) Validate() error {
	if err := o.Print.Validate(); err != nil {
		return err
	}
	if o.RoleARN != "" {
		a := iamarn.Parse(o.RoleARN)
		if a.Kind != iamarn.Role {
			return cmdutil.UsageErrorf("--role %q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", o.RoleARN)
		}
	}
	return nil
}

// namespace is the namespace in scope, "" for all.
func (o *PodIdentityOptions) namespace() string {
	if o.Scope.AllNamespaces {
		return ""
	}
	return o.Scope.Namespace
}

// gathered is what one run read.
type gathered struct {
	in       *podidentity.Input
	aws      *source.AWSInputs
	snap     *source.Snapshot
	warnings []v1alpha1.Warning
}

// gather reads the Kubernetes objects (with, for --role, the RBAC objects, aws-auth
// and access entries, in the same round), then the AWS inputs they call for.
func (o *PodIdentityOptions) gather(ctx context.Context) (*gathered, error) {
	req := source.Request{PodIdentity: &source.PodIdentityScope{Namespace: o.namespace(), PageSize: o.PageSize},
		AWS: &source.AWSRequest{Files: o.AWSFiles, Stdin: o.In, ClusterName: o.EKS.ClusterName, Region: o.EKS.Region,
			Namespace: o.namespace(), NewClients: o.NewAWSClients}}
	if o.RoleARN != "" {
		req.RBAC = func(meta.RESTMapper) (source.RBACScope, error) {
			return source.RBACScope{Namespaced: true, PageSize: o.PageSize}, nil
		}
		req.AWSAuth, req.Access = true, o.EKS.request()
		req.AWS.Roles = []string{o.RoleARN}
	}
	snap, err := source.Read(ctx, &o.Input, req)
	if err != nil {
		return nil, err
	}
	return &gathered{in: snap.PodIdentityInput(), aws: snap.AWS, snap: snap, warnings: append([]v1alpha1.Warning{}, snap.Warnings...)}, nil
}

func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return " (" + msg + ")"
}

// Run reads, answers and reports.
func (o *PodIdentityOptions) Run(ctx context.Context) error {
	g, err := o.gather(ctx)
	if err != nil {
		return err
	}
	opts := podidentity.Options{RoleARN: o.RoleARN}
	if o.RoleARN != "" {
		opts.RBAC, opts.Identity = rbac.NewIndex(g.snap.RBAC), ptr.To(identitySources(g.snap))
	}
	r := podidentity.Build(g.in, opts)
	r.Inputs = append(r.Inputs, g.aws.Inputs...)
	r.Warnings = append(append([]v1alpha1.Warning{}, g.warnings...), r.Warnings...)
	for _, i := range r.Inputs {
		if i.Status != source.StatusRead {
			r.Complete = false
		}
	}
	if !g.snap.Complete() {
		r.Complete = false
	}
	if o.RoleARN != "" && len(r.ServiceAccounts) == 0 && g.in.Roles[o.RoleARN] == nil && len(r.Actors) == 0 {
		return fmt.Errorf("nothing is known about %s: no service account in scope gets it and its trust policy could not be read (iam:GetRole)", o.RoleARN)
	}
	printWarnings(o.ErrOut, r.Warnings)
	if err := o.print(r); err != nil {
		return err
	}
	pods := 0
	for _, sa := range r.ServiceAccounts {
		pods += len(sa.Pods)
	}
	fmt.Fprintf(o.ErrOut, "%d service account(s), %d pod(s), %d finding(s)%s\n", len(r.ServiceAccounts), pods, len(r.Findings), completeness(r))
	if err := g.snap.Err(); err != nil {
		return err
	}
	if len(r.Findings) > 0 {
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}

func completeness(r *v1alpha1.PodIdentityReport) string {
	if r.Complete {
		return ""
	}
	return "; incomplete (see the warnings)"
}

func (o *PodIdentityOptions) print(r *v1alpha1.PodIdentityReport) error {
	if !o.Print.IsTable() {
		return o.Print.Print(o.Out, r)
	}
	wide := o.Print.Wide()
	findings := map[string][]string{}
	for _, f := range r.Findings {
		k := f.Namespace + "/" + f.ServiceAccount
		if !slices.Contains(findings[k], f.ID) {
			findings[k] = append(findings[k], f.ID)
		}
	}
	t := &output.Table{Headers: []string{"SERVICEACCOUNT", "ROLE", "VIA", "PODS", "FINDINGS"}}
	if wide {
		t.Headers = append(t.Headers, "EFFECTIVE", "SOURCE", "WORKLOADS")
	}
	for _, sa := range r.ServiceAccounts {
		name := sa.Namespace + "/" + sa.Name
		label := name
		if !sa.Exists {
			label += " (missing)"
		}
		ids := strings.Join(findings[name], ",")
		var workloads []string
		for _, w := range sa.Workloads {
			workloads = append(workloads, strings.ToLower(w.Kind)+"/"+w.Name)
		}
		roles := sa.Roles
		if len(roles) == 0 {
			roles = []v1alpha1.PodIdentityRole{{ARN: "<none>", Via: "<none>"}}
		}
		for _, ro := range roles {
			arn := ro.ARN
			if !wide && arn != "<none>" {
				arn = shortARN(arn)
			}
			row := []string{label, arn, ro.Via, strconv.Itoa(len(sa.Pods)), ids}
			if wide {
				eff := strconv.FormatBool(ro.Effective)
				if ro.ARN == "<none>" {
					eff = ""
				}
				row = append(row, eff, ro.Source, strings.Join(workloads, ","))
			}
			t.Append(row...)
		}
	}
	if len(r.ServiceAccounts) == 0 {
		fmt.Fprintln(o.Out, "No service accounts.")
	} else if err := t.Write(o.Out, o.Print.NoHeaders); err != nil {
		return err
	}
	if r.Query.RoleARN != "" {
		fmt.Fprintln(o.Out)
		if len(r.Actors) == 0 {
			fmt.Fprintln(o.Out, "No actors.")
		} else {
			at := &output.Table{Headers: []string{"KIND", "NAMESPACE", "NAME", "ROUTES", "IAM PRINCIPALS"}}
			for _, a := range r.Actors {
				routes := strings.Join(a.Routes, "; ")
				if !wide && len(a.Routes) > 2 {
					routes = strings.Join(a.Routes[:2], "; ") + fmt.Sprintf("; +%d more", len(a.Routes)-2)
				}
				at.Append(a.Kind, a.Namespace, a.Name, routes, iamCell(a.IAMPrincipals, wide))
			}
			if err := at.Write(o.Out, o.Print.NoHeaders); err != nil {
				return err
			}
		}
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(o.Out)
		ft := &output.Table{Headers: []string{"ID", "SEVERITY", "SERVICEACCOUNT", "ROLE", "MESSAGE"}}
		if wide {
			ft.Headers = append(ft.Headers, "RECOMMENDATION")
		}
		for _, f := range r.Findings {
			sa := ""
			if f.ServiceAccount != "" {
				sa = f.Namespace + "/" + f.ServiceAccount
			}
			role := f.RoleARN
			if !wide && role != "" {
				role = shortARN(role)
			}
			row := []string{f.ID, string(f.Severity), sa, role, f.Message}
			if wide {
				row = append(row, f.Recommendation)
			}
			ft.Append(row...)
		}
		if err := ft.Write(o.Out, o.Print.NoHeaders); err != nil {
			return err
		}
	}
	return nil
}

// newPodIdentityClient asks for protobuf (JSON as the fallback) and raises the
// client-side rate limit for the burst of paged LISTs, as newReadClients does.
// NewCmdPodIdentityExport returns `kubectl eksiam pod-identity export`.
func NewCmdPodIdentityExport(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := NewPodIdentityOptions(streams)
	var dir string
	cmd := &cobra.Command{
		Use:   "export [-n NS | -A] [--output-dir DIR]",
		Short: "Write the AWS inputs of pod-identity in the AWS CLI's own output shapes",
		Long: `Read the AWS inputs pod-identity needs for the service accounts and nodes in scope
(eks:DescribeCluster, eks:ListPodIdentityAssociations, eks:DescribePodIdentityAssociation,
iam:GetRole, ec2:DescribeInstances, iam:GetInstanceProfile) and write each answer as
the AWS CLI prints it (aws eks describe-cluster, aws iam get-role, ...): to standard
output one document after another, or with --output-dir one file per document.
'kubectl eksiam pod-identity --aws-file' reads either.

RBAC needed: as pod-identity (without --role).

Exit codes: 0 written; 2 error (including an AWS input that could not be read).`,
		Example: `  # Save the AWS inputs of every namespace, then answer offline
  kubectl eksiam pod-identity export -A --output-dir aws/
  kubectl eksiam pod-identity -A --aws-file aws/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := completeInput(f, cmd, &o.Scope, o.Files, &o.Input, o.ErrOut); err != nil {
				return err
			}
			g, err := o.gather(cmd.Context())
			if err != nil {
				return err
			}
			for _, i := range g.aws.Inputs {
				if i.Status != source.StatusRead && i.Status != source.StatusNotFound {
					return fmt.Errorf("%s: %s%s: the export would be incomplete", i.Name, i.Status, suffix(i.Message))
				}
			}
			if dir == "" {
				return source.WriteAWSDocs(o.Out, g.aws.Docs)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			for _, d := range g.aws.Docs {
				file, err := os.Create(filepath.Join(dir, source.DocFileName(d)))
				if err != nil {
					return err
				}
				werr := source.WriteAWSDocs(file, []any{d})
				if cerr := file.Close(); werr == nil {
					werr = cerr
				}
				if werr != nil {
					return werr
				}
			}
			fmt.Fprintf(o.ErrOut, "%d document(s) written to %s\n", len(g.aws.Docs), dir)
			return nil
		},
	}
	fl := cmd.Flags()
	o.Scope.AddFlags(cmd, "Every namespace.")
	fl.StringVar(&dir, "output-dir", "", "Write one file per document into this directory instead of standard output.")
	o.Files.AddFlags(cmd, "Read Kubernetes objects from these files instead of a cluster.")
	fl.StringVar(&o.EKS.ClusterName, "cluster-name", "", "EKS cluster name (default: from the kubeconfig's aws eks get-token or aws-iam-authenticator arguments).")
	fl.StringVar(&o.EKS.Region, "region", "", "AWS region of the EKS cluster (default: from the kubeconfig, then the AWS configuration).")
	return cmd
}
