package cmd

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/migrate"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/output"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// formatShell prints the plan as a reviewable shell script of aws CLI commands.
const formatShell = "shell"

// AWSAuthMigrateOptions are the inputs of `kubectl eksiam aws-auth migrate`.
type AWSAuthMigrateOptions struct {
	Source awsAuthSource
	EKS    eksFlags
	Print  *cmdutil.PrintFlags
	loader clientcmd.ClientConfig
	genericiooptions.IOStreams
}

// NewCmdAWSAuthMigrate returns `kubectl eksiam aws-auth migrate`.
func NewCmdAWSAuthMigrate(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &AWSAuthMigrateOptions{IOStreams: streams, Print: cmdutil.NewTablePrintFlags(formatShell)}
	o.EKS.ManagedRoles = true // the roles EKS manages itself (migrate.ActionManaged)
	cmd := &cobra.Command{
		Use:   "migrate [-f FILE] [-o table|wide|json|yaml|shell]",
		Short: "Plan the move of aws-auth mappings to EKS access entries",
		Long: `Plan the move of every aws-auth mapping in effect to an EKS access entry, and print
the plan, or (-o shell) the aws CLI commands that carry it out, for review. It writes
nothing, and nothing it prints deletes aws-auth or sets the authentication mode to API:
remove mappings only once their entries work.

Node mappings keep their node entry type (EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX,
HYBRID_LINUX), system:masters becomes AmazonEKSClusterAdminPolicy with cluster scope,
and other groups become kubernetesGroups. Where an entry would not mean what the
mapping meant, the plan says so (CHANGES). Mappings that cannot move as they are
(mapAccounts, sso entries, usernames EKS reserves or templates it does not render,
templated groups, ARNs that never matched) are listed with what to do instead. When
the cluster's access entries are read (see --cluster-name, or --access-entries-file),
principals that already have an entry are marked exists or differs, and a cluster in
CONFIG_MAP mode gets the mode change to API_AND_CONFIG_MAP first.

The roles of managed node groups and Fargate profiles are marked managed (by EKS):
EKS creates their access entries itself, also when the mode changes, and refuses a
second one, so nothing is created for them.

RBAC needed: get configmaps in kube-system (none with -f). AWS: eks:DescribeCluster,
eks:ListAccessEntries, eks:DescribeAccessEntry, eks:ListAssociatedAccessPolicies;
eks:ListNodegroups, eks:DescribeNodegroup, eks:ListFargateProfiles and
eks:DescribeFargateProfile for the managed roles (without them, a warning).

Exit codes: 0 every mapping in effect can move; 1 some cannot (listed); 2 error.`,
		Example: `  # Review the plan for the cluster's aws-auth
  kubectl eksiam aws-auth migrate

  # The aws commands, to review and run
  kubectl eksiam aws-auth migrate -o shell > migrate.sh

  # Offline, from files
  kubectl eksiam aws-auth migrate -f aws-auth.yaml --access-entries-file entries.json -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Source.In = o.In
			o.loader = f.ToRawKubeConfigLoader()
			if err := o.Print.Validate(); err != nil {
				return err
			}
			if err := o.Source.complete(f); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.Source.Filename, "filename", "f", "", "Plan from this aws-auth file (or - for stdin) instead of the cluster's; access entries are then read only from --access-entries-file.")
	o.Print.AddFlags(cmd, "Output format: "+strings.Join(o.Print.Formats(), ", ")+" (wide adds the changes in meaning).")
	o.EKS.add(cmd.Flags())
	return cmd
}

// Run plans and prints.
func (o *AWSAuthMigrateOptions) Run(ctx context.Context) error {
	a, err := o.Source.read(ctx)
	if err != nil {
		return err
	}
	access, warning, err := o.EKS.request().Load(ctx, o.loader, o.Source.Filename != "")
	if err != nil {
		return err
	}
	plan := migrate.Build(awsauth.NewStore(awsauth.Parse(a.Object.Data)), access)
	target := migrate.Target{Cluster: o.EKS.ClusterName, Region: o.EKS.Region}
	if access != nil {
		if target.Cluster == "" {
			target.Cluster = access.Cluster.Name
		}
		if target.Region == "" {
			target.Region = access.Cluster.Region
		}
	} else if target.Cluster == "" && o.Source.Filename == "" {
		if c, ok := (&source.AccessRequest{Region: target.Region}).Cluster(o.loader); ok {
			target.Cluster, target.Region = c.Name, c.Region
		}
	}
	r := &v1alpha1.AWSAuthMigration{Source: a.Source, ClusterName: target.Cluster, MigrationPlan: *plan, Commands: migrate.Commands(plan, target), Warnings: []v1alpha1.Warning{}}
	v1alpha1.SetKind(r, "AWSAuthMigration")
	if warning != "" {
		r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "AccessEntriesUnavailable", Message: warning})
	}
	if access == nil {
		r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "ExistingEntriesUnknown",
			Message: "the cluster's access entries were not read: every entry is planned as create, and the authentication mode is unknown"})
	}
	if plan.Mode == eks.ModeAPI {
		r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "ModeAPI",
			Message: "the cluster is in API mode: aws-auth is not read, so these mappings grant nothing today; creating the entries would grant what they describe"})
	}
	if target.Cluster == "" {
		r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "ClusterNameUnknown", Message: "the cluster name is unknown: the commands use $CLUSTER_NAME (or pass --cluster-name)"})
	}
	if o.Print.NoHeaders && !o.Print.IsTable() {
		return cmdutil.UsageErrorf("--no-headers applies to table output only")
	}
	switch {
	case o.Print.Output == formatShell:
		printMigrationScript(o.Out, r)
	case !o.Print.IsTable():
		if err := o.Print.Print(o.Out, r); err != nil {
			return err
		}
	default:
		if err := printMigrationTable(o.Out, r, o.Print.Wide(), o.Print.NoHeaders); err != nil {
			return err
		}
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(o.ErrOut, "Warning: %s\n", w.Message)
	}
	counts := map[string]int{}
	for _, e := range plan.Entries {
		counts[e.Action]++
	}
	fmt.Fprintf(o.ErrOut, "%s: %d to create, %d exist, %d differ, %d managed by EKS, %d cannot move, %d not in effect\n", a.Source,
		counts[migrate.ActionCreate], counts[migrate.ActionExists], counts[migrate.ActionDiffers], counts[migrate.ActionManaged], len(plan.Blocked), len(plan.Skipped))
	if len(plan.Blocked) > 0 {
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}

func policyNames(e migrate.Entry) string {
	var out []string
	for _, ap := range e.AccessPolicies {
		out = append(out, eks.PolicyName(ap.PolicyARN)+" ("+eks.ScopeString(ap.Scope)+")")
	}
	return strings.Join(out, ",")
}

func printMigrationTable(w io.Writer, r *v1alpha1.AWSAuthMigration, wide, noHeaders bool) error {
	t := output.Table{Headers: []string{"ACTION", "PRINCIPAL", "TYPE", "USERNAME", "GROUPS", "POLICIES", "FROM", "CHANGES"}}
	for _, e := range r.Entries {
		changes := "-"
		if wide {
			var msgs []string
			for _, c := range e.Changes {
				msgs = append(msgs, c.Code+": "+c.Message)
			}
			changes = strings.Join(msgs, " | ")
		} else if len(e.Changes) > 0 {
			var codes []string
			for _, c := range e.Changes {
				codes = append(codes, c.Code)
			}
			changes = strings.Join(codes, ",")
		}
		t.Append(e.Action, e.PrincipalARN, e.Type, e.Username, strings.Join(e.KubernetesGroups, ","), policyNames(e), e.From, changes)
	}
	if len(r.Entries) > 0 {
		if err := t.Write(w, noHeaders); err != nil {
			return err
		}
	}
	if len(r.Blocked) > 0 {
		fmt.Fprintln(w, "\nCannot move as they are:")
		for _, b := range r.Blocked {
			fmt.Fprintf(w, "  %s %s [%s]: %s\n", b.From, b.ARN, b.Code, b.Reason)
		}
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintln(w, "\nNot in effect (nothing to move):")
		for _, s := range r.Skipped {
			fmt.Fprintf(w, "  %s %s: %s\n", s.From, s.ARN, s.Reason)
		}
	}
	return nil
}

// printMigrationScript writes the commands as a shell script whose comments carry the
// changes in meaning and what cannot move, so the reviewer sees them next to the
// commands.
func printMigrationScript(w io.Writer, r *v1alpha1.AWSAuthMigration) {
	fmt.Fprintln(w, "#!/bin/sh")
	fmt.Fprintf(w, "# aws-auth -> EKS access entries, planned by kubectl eksiam from %s.\n", r.Source)
	fmt.Fprintln(w, "# Review before running. Nothing here deletes aws-auth: remove a mapping only once its entry works.")
	fmt.Fprintln(w, "set -eu")
	if r.ClusterName == "" {
		fmt.Fprintln(w, `: "${CLUSTER_NAME:?set CLUSTER_NAME to the EKS cluster name}"`)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "# Warning: %s\n", wn.Message)
	}
	notes := map[string][]string{}
	for _, e := range r.Entries {
		for _, c := range e.Changes {
			notes[e.PrincipalARN] = append(notes[e.PrincipalARN], c.Code+": "+c.Message)
		}
	}
	for _, c := range r.Commands {
		if strings.Contains(c, " create-access-entry ") {
			for arn, msgs := range notes {
				if strings.Contains(c, " --principal-arn "+arn+" ") || strings.Contains(c, " --principal-arn '"+arn+"' ") {
					fmt.Fprintln(w)
					for _, m := range msgs {
						fmt.Fprintf(w, "# %s\n", m)
					}
				}
			}
		}
		fmt.Fprintln(w, c)
	}
	var left []string
	for _, e := range r.Entries {
		if e.Action != migrate.ActionCreate {
			left = append(left, strings.TrimSpace(fmt.Sprintf("# %s: %s %s", e.Action, e.PrincipalARN, strings.Join(changeMessages(e.Changes), "; "))))
		}
	}
	for _, b := range r.Blocked {
		left = append(left, fmt.Sprintf("# cannot move: %s %s [%s]: %s", b.From, b.ARN, b.Code, b.Reason))
	}
	if len(left) > 0 {
		fmt.Fprintln(w, "\n# Left out:")
		slices.Sort(left)
		for _, l := range left {
			fmt.Fprintln(w, l)
		}
	}
}

func changeMessages(cs []migrate.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Message)
	}
	return out
}
