package cmd

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/remedy"
)

// SARestoreOptions are the inputs of `kubectl eksiam sa restore`.
type SARestoreOptions struct {
	Filename  string
	DryRun    cmdutil.DryRunStrategy
	BackupDir string
	Client    kubernetes.Interface
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
			var err error
			if o.DryRun, err = cmdutil.GetDryRunStrategy(cmd, func(m string) { fmt.Fprintln(o.ErrOut, "Warning: "+m) }); err != nil {
				return err
			}
			config, err := f.ToRESTConfig()
			if err != nil {
				return err
			}
			if o.Client, err = kubernetes.NewForConfig(config); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.Filename, "filename", "f", "", "The backup written by sa harden.")
	cmdutil.AddDryRunFlag(cmd)
	cmd.Flags().StringVar(&o.BackupDir, "backup-dir", defaultBackupDir(), "Directory for the backup of what the restore replaces.")
	return cmd
}

// backupList is a backup file: a v1 List of typed objects.
type backupList struct {
	ServiceAccounts     []corev1.ServiceAccount
	RoleBindings        []rbacv1.RoleBinding
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
}

func readBackupList(path string) (*backupList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var list struct {
		Kind  string           `json:"kind"`
		Items []map[string]any `json:"items"`
	}
	if err := yaml.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if list.Kind != "List" {
		return nil, fmt.Errorf("%s is not a backup (a List), but a %q", path, list.Kind)
	}
	out := &backupList{}
	for i, it := range list.Items {
		raw, err := yaml.Marshal(it)
		if err != nil {
			return nil, err
		}
		var into any
		switch it["kind"] {
		case "ServiceAccount":
			out.ServiceAccounts = append(out.ServiceAccounts, corev1.ServiceAccount{})
			into = &out.ServiceAccounts[len(out.ServiceAccounts)-1]
		case "RoleBinding":
			out.RoleBindings = append(out.RoleBindings, rbacv1.RoleBinding{})
			into = &out.RoleBindings[len(out.RoleBindings)-1]
		case "ClusterRoleBinding":
			out.ClusterRoleBindings = append(out.ClusterRoleBindings, rbacv1.ClusterRoleBinding{})
			into = &out.ClusterRoleBindings[len(out.ClusterRoleBindings)-1]
		default:
			return nil, fmt.Errorf("%s: item %d is a %v, which a restore does not handle", path, i, it["kind"])
		}
		if err := yaml.UnmarshalStrict(raw, into); err != nil {
			return nil, fmt.Errorf("%s: item %d: %v", path, i, err)
		}
	}
	return out, nil
}

// Run restores.
func (o *SARestoreOptions) Run(ctx context.Context) error {
	b, err := readBackupList(o.Filename)
	if err != nil {
		return err
	}
	backup := remedy.NewBackupSet(o.BackupDir, "sa-restore")
	opts := remedy.Options{DryRun: o.DryRun, BackupSet: backup}
	failed, changed := 0, 0
	report := func(what string, res bool, err error) {
		switch {
		case err != nil:
			failed++
			fmt.Fprintf(o.Out, "%s: error: %s\n", what, cmdutil.Message(err))
		case res:
			changed++
			fmt.Fprintf(o.Out, "%s restored%s\n", what, o.DryRun.Suffix())
		default:
			fmt.Fprintf(o.Out, "%s unchanged\n", what)
		}
	}
	for _, sa := range b.ServiceAccounts {
		res, err := remedy.ServiceAccountAutomount(o.Client, sa.Namespace, sa.Name, sa.AutomountServiceAccountToken, opts).Run(ctx)
		report(fmt.Sprintf("serviceaccount/%s -n %s", sa.Name, sa.Namespace), res.Changed, err)
	}
	setSubjects := func(want []rbacv1.Subject) remedy.BindingChange {
		return func(subjects []rbacv1.Subject, annotations map[string]string) ([]rbacv1.Subject, map[string]string, bool, error) {
			return want, annotations, !slices.Equal(subjects, want), nil
		}
	}
	for _, rb := range b.RoleBindings {
		res, err := remedy.RoleBindingSubjects(o.Client, rb.Namespace, rb.Name, setSubjects(rb.Subjects), opts).Run(ctx)
		report(fmt.Sprintf("rolebinding/%s -n %s", rb.Name, rb.Namespace), res.Changed, err)
	}
	for _, crb := range b.ClusterRoleBindings {
		res, err := remedy.ClusterRoleBindingSubjects(o.Client, crb.Name, setSubjects(crb.Subjects), opts).Run(ctx)
		report("clusterrolebinding/"+crb.Name, res.Changed, err)
	}
	if p := backup.Path(); p != "" {
		fmt.Fprintf(o.ErrOut, "Backup of what the restore replaced: %s\n", p)
	}
	switch {
	case failed > 0:
		return fmt.Errorf("%d object(s) could not be restored", failed)
	case o.DryRun != cmdutil.DryRunNone && changed > 0:
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}
