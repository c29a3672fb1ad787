package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/remedy"
)

// SARestoreOptions are the inputs of `kubectl eksiam sa restore`.
type SARestoreOptions struct {
	Filename    string
	Remediation cmdutil.RemediationFlags
	Client      kube.Interface
	genericiooptions.IOStreams
}

// NewCmdSARestore returns `kubectl eksiam sa restore`.
func NewCmdSARestore(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &SARestoreOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "restore -f BACKUP",
		Short: "Undo sa harden from its backup",
		Long: `Put back what 'sa harden' changed, from the backup it wrote: each service account's
automountServiceAccountToken and each binding's subjects, as they were. Only those
fields are restored; each object is updated with its current resourceVersion (a
conflict is re-read and retried), and what the restore replaces is backed up in turn.

RBAC needed: get and patch serviceaccounts; get and update rolebindings and
clusterrolebindings named in the backup.

Exit codes: 0 restored (or nothing to restore); 1 changes pending under --dry-run;
2 error.`,
		Example: `  # Undo the last run
  kubectl eksiam sa restore -f ~/.kube/eksiam/backups/sa-harden-20261123T101500.000000000Z.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Filename == "" {
				return cmdutil.UsageErrorf("-f BACKUP is required")
			}
			if err := o.Remediation.Complete(cmd, o.ErrOut); err != nil {
				return err
			}
			c, err := source.Connect(f)
			if err != nil {
				return err
			}
			o.Client = c.Kube
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.Filename, "filename", "f", "", "The backup written by sa harden.")
	o.Remediation.AddFlags(cmd, "what the restore replaces")
	return cmd
}

// Run restores and reports each object on its own line.
func (o *SARestoreOptions) Run(ctx context.Context) error {
	dryRun := o.Remediation.DryRun
	backup := remedy.NewBackupSet(o.Remediation.BackupDir, "restore")
	results, err := remedy.RestoreBackup(ctx, o.Client, o.Filename, remedy.Options{DryRun: dryRun, BackupSet: backup})
	if cerr := backup.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing the backup %s: %w", backup.Path(), cerr)
	}
	if err != nil {
		return err
	}
	failed, changed := 0, 0
	for _, r := range results {
		switch {
		case r.Err != nil:
			failed++
			fmt.Fprintf(o.Out, "%s: error: %s\n", r.Object, cmdutil.Message(r.Err))
		case r.Created:
			changed++
			fmt.Fprintf(o.Out, "%s created%s\n", r.Object, dryRun.Suffix())
		case r.Changed:
			changed++
			fmt.Fprintf(o.Out, "%s restored%s\n", r.Object, dryRun.Suffix())
		default:
			fmt.Fprintf(o.Out, "%s unchanged\n", r.Object)
		}
	}
	if p := backup.Path(); p != "" {
		fmt.Fprintf(o.ErrOut, "Backup of what the restore replaced: %s\n", p)
	}
	switch {
	case failed > 0:
		return fmt.Errorf("%d object(s) could not be restored", failed)
	case dryRun != cmdutil.DryRunNone && changed > 0:
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}
