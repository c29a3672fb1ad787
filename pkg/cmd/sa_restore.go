package cmd

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/remedy"
)

// SARestoreOptions are the inputs of `kubectl eksiam sa restore`.
type SARestoreOptions struct {
	Filename  string
	DryRun    cmdutil.DryRunStrategy
	BackupDir string
	Client    kube.Interface
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
			if o.Client, err = kube.NewForConfig(config); err != nil {
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
	return restoreBackup(ctx, o.Client, o.Filename, o.DryRun, o.BackupDir, o.IOStreams)
}

// restoreBackup puts back what a backup List holds: each service account's
// automountServiceAccountToken, each binding's subjects and autoupdate annotation
// (a binding that no longer exists is created again, as it was). Every object goes
// through the common write path: its current resourceVersion, conflicts retried,
// the dry-run mode, and a backup of what is replaced.
func restoreBackup(ctx context.Context, c kube.Interface, path string, dryRun cmdutil.DryRunStrategy, backupDir string, streams genericiooptions.IOStreams) error {
	b, err := readBackupList(path)
	if err != nil {
		return err
	}
	backup := remedy.NewBackupSet(backupDir, "restore")
	opts := remedy.Options{DryRun: dryRun, BackupSet: backup}
	failed, changed := 0, 0
	report := func(what string, created, res bool, err error) {
		switch {
		case err != nil:
			failed++
			fmt.Fprintf(streams.Out, "%s: error: %s\n", what, cmdutil.Message(err))
		case created:
			changed++
			fmt.Fprintf(streams.Out, "%s created%s\n", what, dryRun.Suffix())
		case res:
			changed++
			fmt.Fprintf(streams.Out, "%s restored%s\n", what, dryRun.Suffix())
		default:
			fmt.Fprintf(streams.Out, "%s unchanged\n", what)
		}
	}
	for _, sa := range b.ServiceAccounts {
		res, err := remedy.ServiceAccountAutomount(c, sa.Namespace, sa.Name, sa.AutomountServiceAccountToken, opts).Run(ctx)
		report(fmt.Sprintf("serviceaccount/%s -n %s", sa.Name, sa.Namespace), false, res.Changed, err)
	}
	for _, rb := range b.RoleBindings {
		want := rb
		res, err := remedy.RoleBinding(c, rb.Namespace, rb.Name, func(live *rbacv1.RoleBinding, exists bool) (*rbacv1.RoleBinding, bool, error) {
			if !exists {
				return recreated(&want), true, nil
			}
			return restoreBindingFields(live, live.RoleRef, want.RoleRef, want.Subjects, want.Annotations, live.DeepCopy)
		}, opts).Run(ctx)
		report(fmt.Sprintf("rolebinding/%s -n %s", rb.Name, rb.Namespace), res.Created && res.Changed, res.Changed, err)
	}
	for _, crb := range b.ClusterRoleBindings {
		want := crb
		res, err := remedy.ClusterRoleBinding(c, crb.Name, func(live *rbacv1.ClusterRoleBinding, exists bool) (*rbacv1.ClusterRoleBinding, bool, error) {
			if !exists {
				return recreated(&want), true, nil
			}
			return restoreBindingFields(live, live.RoleRef, want.RoleRef, want.Subjects, want.Annotations, live.DeepCopy)
		}, opts).Run(ctx)
		report("clusterrolebinding/"+crb.Name, res.Created && res.Changed, res.Changed, err)
	}
	if p := backup.Path(); p != "" {
		fmt.Fprintf(streams.ErrOut, "Backup of what the restore replaced: %s\n", p)
	}
	switch {
	case failed > 0:
		return fmt.Errorf("%d object(s) could not be restored", failed)
	case dryRun != cmdutil.DryRunNone && changed > 0:
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}

// binding is either kind of RBAC binding, for restoreBindingFields.
type binding interface {
	*rbacv1.RoleBinding | *rbacv1.ClusterRoleBinding
}

// restoreBindingFields sets a live binding's subjects and autoupdate annotation to
// the backup's. roleRef is immutable: a binding whose role changed is not restored.
func restoreBindingFields[T binding](live T, liveRef, wantRef rbacv1.RoleRef, subjects []rbacv1.Subject, annotations map[string]string, copyLive func() T) (T, bool, error) {
	if liveRef != wantRef {
		return live, false, fmt.Errorf("its roleRef is now %s/%s, not %s/%s as in the backup: delete it first to restore it", liveRef.Kind, liveRef.Name, wantRef.Kind, wantRef.Name)
	}
	d := copyLive()
	var meta *metav1.ObjectMeta
	var liveSubjects *[]rbacv1.Subject
	switch b := any(d).(type) {
	case *rbacv1.RoleBinding:
		meta, liveSubjects = &b.ObjectMeta, &b.Subjects
	case *rbacv1.ClusterRoleBinding:
		meta, liveSubjects = &b.ObjectMeta, &b.Subjects
	}
	changed := !slices.Equal(*liveSubjects, subjects)
	*liveSubjects = subjects
	if want, ok := annotations[rbacv1.AutoUpdateAnnotationKey]; ok && meta.Annotations[rbacv1.AutoUpdateAnnotationKey] != want {
		if meta.Annotations == nil {
			meta.Annotations = map[string]string{}
		}
		meta.Annotations[rbacv1.AutoUpdateAnnotationKey] = want
		changed = true
	}
	return d, changed, nil
}

// recreated is a backed-up object ready to be created again.
func recreated[T binding](b T) T {
	var meta *metav1.ObjectMeta
	switch o := any(b).(type) {
	case *rbacv1.RoleBinding:
		c := o.DeepCopy()
		meta = &c.ObjectMeta
		clearServerFields(meta)
		return any(c).(T)
	case *rbacv1.ClusterRoleBinding:
		c := o.DeepCopy()
		meta = &c.ObjectMeta
		clearServerFields(meta)
		return any(c).(T)
	}
	return b
}

func clearServerFields(m *metav1.ObjectMeta) {
	m.ResourceVersion, m.UID, m.Generation = "", "", 0
	m.CreationTimestamp = metav1.Time{}
	m.ManagedFields = nil
}
