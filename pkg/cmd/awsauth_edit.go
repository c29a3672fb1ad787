package cmd

import (
	"fmt"
	"maps"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/remedy"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// AWSAuthAddOptions are the inputs of `kubectl eksiam aws-auth add role|user`.
type AWSAuthAddOptions struct {
	Kind     string // role or user
	ARN      string
	Username string
	Groups   []string
	awsAuthWriter
}

// NewCmdAWSAuthAdd returns `kubectl eksiam aws-auth add`, with role and user under it.
func NewCmdAWSAuthAdd(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	return newGroupCommand("add", "Map an IAM role or user in aws-auth",
		newCmdAWSAuthAddKind(f, streams, awsauth.KindRole), newCmdAWSAuthAddKind(f, streams, awsauth.KindUser))
}

func newCmdAWSAuthAddKind(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams, kind string) *cobra.Command {
	o := &AWSAuthAddOptions{Kind: kind, awsAuthWriter: awsAuthWriter{IOStreams: streams}}
	list := "mapRoles"
	example := `  # Map a role for people, with their session name in the username
  kubectl eksiam aws-auth add role arn:aws:iam::111122223333:role/Developer \
    --username 'developer:{{SessionName}}' --group app-developers

  # See the change first
  kubectl eksiam aws-auth add role arn:aws:iam::111122223333:role/Auditor --group auditors --dry-run=server`
	if kind == awsauth.KindUser {
		list = "mapUsers"
		example = `  # Map an IAM user
  kubectl eksiam aws-auth add user arn:aws:iam::111122223333:user/alice --username alice --group ops`
	}
	cmd := &cobra.Command{
		Use:   kind + " ARN --username NAME --group GROUP...",
		Short: fmt.Sprintf("Append a %s mapping to %s", kind, list),
		Long: fmt.Sprintf(`Append a mapping of the IAM %s ARN to %s, with a username and groups. An ARN
that is already mapped (in any case) is refused: change it with 'aws-auth apply'.
The new entry follows the layout of the existing ones; nothing else changes. With
--create, aws-auth is created if it does not exist.

`, kind, list) + writeFlagsHelp,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ARN = args[0]
			groups, err := splitGroups(o.Groups)
			if err != nil {
				return err
			}
			if err := awsauth.CheckIdentity("--username", o.Username); err != nil {
				return cmdutil.UsageErrorf("%v", err)
			}
			if err := o.complete(f, cmd); err != nil {
				return err
			}
			return o.run(cmd.Context(), remedy.EditsPlan([]awsauth.Edit{{Op: awsauth.OpAdd, Kind: o.Kind, ARN: o.ARN, Username: o.Username, Groups: groups}}, false))
		},
	}
	cmd.Flags().StringVar(&o.Username, "username", "", "Kubernetes username; may use {{SessionName}}, {{AccountID}} ... (quote it in the shell).")
	cmd.Flags().StringArrayVar(&o.Groups, "group", nil, "Kubernetes group (repeatable, or comma-separated).")
	cmd.Flags().BoolVar(&o.Create, "create", false, "Create aws-auth if it does not exist.")
	o.addFlags(cmd)
	return cmd
}

// AWSAuthRemoveOptions are the inputs of `kubectl eksiam aws-auth remove`.
type AWSAuthRemoveOptions struct {
	ARN            string
	IgnoreNotFound bool
	awsAuthWriter
}

// NewCmdAWSAuthRemove returns `kubectl eksiam aws-auth remove`.
func NewCmdAWSAuthRemove(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &AWSAuthRemoveOptions{awsAuthWriter: awsAuthWriter{IOStreams: streams}}
	cmd := &cobra.Command{
		Use:   "remove ARN",
		Short: "Remove every mapping of an IAM ARN from aws-auth",
		Long: `Remove every entry that maps ARN (compared case-insensitively, in mapRoles and
mapUsers, shadowed duplicates included; a 12-digit account ID removes it from
mapAccounts), with the comment lines directly above each. Nothing else changes.

` + writeFlagsHelp,
		Example: `  # Remove a role's mapping, checking with the API server first
  kubectl eksiam aws-auth remove arn:aws:iam::111122223333:role/OldAdmin --dry-run=server

  # Idempotent, for scripts
  kubectl eksiam aws-auth remove arn:aws:iam::111122223333:user/bob --ignore-not-found`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeARNs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ARN = args[0]
			if err := o.complete(f, cmd); err != nil {
				return err
			}
			o.MissingOK, o.createFlagAbsent = o.IgnoreNotFound, true
			return o.run(cmd.Context(), remedy.EditsPlan([]awsauth.Edit{{Op: awsauth.OpRemove, ARN: o.ARN}}, o.IgnoreNotFound))
		},
	}
	cmd.Flags().BoolVar(&o.IgnoreNotFound, "ignore-not-found", false, "Succeed without change when the ARN is not mapped (or aws-auth does not exist).")
	o.addFlags(cmd)
	return cmd
}

// AWSAuthApplyOptions are the inputs of `kubectl eksiam aws-auth apply`.
type AWSAuthApplyOptions struct {
	Filename string
	awsAuthWriter
}

// NewCmdAWSAuthApply returns `kubectl eksiam aws-auth apply`.
func NewCmdAWSAuthApply(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &AWSAuthApplyOptions{awsAuthWriter: awsAuthWriter{IOStreams: streams}}
	cmd := &cobra.Command{
		Use:   "apply -f DESIRED",
		Short: "Make aws-auth map what a desired ConfigMap maps, changing only what differs",
		Long: `Make the cluster's aws-auth map exactly what DESIRED maps (mapRoles, mapUsers,
mapAccounts), as 'aws-auth diff' compares them: entries are added, removed or
changed in place, one by one, so comments, order and untouched entries of the live
ConfigMap stay as they are, and mappings EKS added meanwhile are not lost. Data keys
other than the three are left alone. With --create, aws-auth is created if it does
not exist.

` + writeFlagsHelp,
		Example: `  # Review, then apply
  kubectl eksiam aws-auth diff -f aws-auth.yaml
  kubectl eksiam aws-auth apply -f aws-auth.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Filename == "" {
				return cmdutil.UsageErrorf("-f DESIRED is required")
			}
			desired, err := source.ReadAWSAuthFile(o.Filename, o.In)
			if err != nil {
				return err
			}
			if errs := awsauth.Errors(awsauth.Validate(desired.Object, awsauth.Options{})); len(errs) > 0 {
				return fmt.Errorf("%s does not validate (%d error(s), first: %s %s at %s: %s): see 'kubectl eksiam aws-auth validate -f %s'",
					desired.Source, len(errs), errs[0].Rule, errs[0].Name, errs[0].Location, errs[0].Message, o.Filename)
			}
			if err := o.complete(f, cmd); err != nil {
				return err
			}
			return o.run(cmd.Context(), func(live map[string]string, _ bool) (map[string]string, []string, error) {
				return awsauth.Reconcile(live, desired.Object.Data)
			})
		},
	}
	cmd.Flags().StringVarP(&o.Filename, "filename", "f", "", "The desired aws-auth ConfigMap (a file, or - for stdin).")
	cmd.Flags().BoolVar(&o.Create, "create", false, "Create aws-auth if it does not exist.")
	o.addFlags(cmd)
	return cmd
}

// AWSAuthRestoreOptions are the inputs of `kubectl eksiam aws-auth restore`.
type AWSAuthRestoreOptions struct {
	Filename string
	awsAuthWriter
}

// NewCmdAWSAuthRestore returns `kubectl eksiam aws-auth restore`.
func NewCmdAWSAuthRestore(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &AWSAuthRestoreOptions{awsAuthWriter: awsAuthWriter{IOStreams: streams, Create: true}}
	cmd := &cobra.Command{
		Use:   "restore -f BACKUP",
		Short: "Put back the data of aws-auth from a backup, byte for byte",
		Long: `Put back the data of aws-auth exactly as a backup holds it (the backups the edits
write, or any aws-auth manifest). The restore is itself an edit: it is validated and
guarded like one, updates the live object with its current resourceVersion, and
leaves a backup of what it replaces. If aws-auth no longer exists it is created.

` + writeFlagsHelp,
		Example: `  # Undo the last edit
  kubectl eksiam aws-auth restore -f ~/.kube/eksiam/backups/configmap-kube-system-aws-auth-rv1234-....yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Filename == "" {
				return cmdutil.UsageErrorf("-f BACKUP is required")
			}
			backup, err := source.ReadAWSAuthFile(o.Filename, o.In)
			if err != nil {
				return err
			}
			if backup.Object.Name != awsauth.Name || backup.Object.Namespace != awsauth.Namespace {
				return fmt.Errorf("%s holds configmap %s/%s, not kube-system/aws-auth", backup.Source, backup.Object.Namespace, backup.Object.Name)
			}
			if len(backup.Object.NonStringData) > 0 || len(backup.Object.DuplicateDataKeys) > 0 {
				return fmt.Errorf("%s is not a valid ConfigMap (data keys %v are not strings or given twice)", backup.Source, append(backup.Object.NonStringData, backup.Object.DuplicateDataKeys...))
			}
			if err := o.complete(f, cmd); err != nil {
				return err
			}
			return o.run(cmd.Context(), func(map[string]string, bool) (map[string]string, []string, error) {
				return maps.Clone(backup.Object.Data), nil, nil
			})
		},
	}
	cmd.Flags().StringVarP(&o.Filename, "filename", "f", "", "The backup to restore (a file, or - for stdin).")
	o.addFlags(cmd)
	return cmd
}

// splitGroups reads --group as given (repeatable, or comma-separated), refusing a value
// that is not one line of visible text instead of letting a CSV reader cut it.
func splitGroups(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		if err := awsauth.CheckIdentity("--group", v); err != nil {
			return nil, cmdutil.UsageErrorf("%v", err)
		}
		for _, g := range strings.Split(v, ",") {
			if g = strings.TrimSpace(g); g != "" {
				out = append(out, g)
			}
		}
	}
	return out, nil
}
