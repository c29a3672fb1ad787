package cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/anon"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/output"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/remedy"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

const anonRevokeLong = `Find every ClusterRoleBinding and RoleBinding whose subjects include User
system:anonymous or Group system:unauthenticated, show what each grants anonymous
callers, and remove those subjects, so that they stay removed. The EKS best practice:
anonymous callers should be bound to nothing but ClusterRole system:public-info-viewer,
whose bootstrap binding (recognised by its roleRef and its
kubernetes.io/bootstrapping=rbac-defaults label, not by name) is left alone unless
--include-public-info-viewer.

Only the anonymous subjects are removed; every other subject stays. A binding left with
no subjects is deleted, unless it is a bootstrap default (the API server would re-create
it): it is kept, empty. The API server re-adds missing default subjects to bootstrap
bindings annotated rbac.authorization.kubernetes.io/autoupdate: "true" at every start;
when a removal would be undone that way, the annotation is set to "false" in the same
write, and the report says so. Every change carries the resourceVersion read (a
conflict is re-read and re-planned), is checked by a server dry run first, and every
object changed or deleted is saved in one backup file: 'anon restore -f BACKUP' puts it
back.

After a real revoke it verifies: it asks SubjectAccessReview, as system:anonymous in
group system:unauthenticated, for a request through each revoked rule, and reports the
answer; and it reports whether the API server answers unauthenticated requests at all
(an unauthenticated GET /version).

RBAC needed: list the four RBAC kinds; update and delete rolebindings and
clusterrolebindings; create subjectaccessreviews (verification).

Exit codes: 0 nothing found, or all revoked and verified denied; 1 bindings found (under
--dry-run or with -f), or a revoked request is still allowed; 2 error.`

const anonRevokeExample = `  # What would be removed, checked by the API server?
  kubectl eksiam anon revoke --dry-run=server

  # Remove it (and verify)
  kubectl eksiam anon revoke

  # In a dump
  kubectl get clusterroles,clusterrolebindings,roles,rolebindings -A -o yaml > rbac.yaml
  kubectl eksiam anon revoke -f rbac.yaml`

// AnonRevokeOptions are the inputs of `kubectl eksiam anon revoke`.
type AnonRevokeOptions struct {
	IncludePublicInfoViewer bool
	Remediation             cmdutil.RemediationFlags
	Print                   *cmdutil.PrintFlags
	Files                   cmdutil.FilenameFlags

	Input  source.Input
	Config *rest.Config
	// VerifyTimeout bounds how long verification waits for the authorizer's cache.
	VerifyTimeout time.Duration
	genericiooptions.IOStreams
}

// NewCmdAnonRevoke returns `kubectl eksiam anon revoke`.
func NewCmdAnonRevoke(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &AnonRevokeOptions{IOStreams: streams, VerifyTimeout: 10 * time.Second, Print: cmdutil.NewTablePrintFlags()}
	cmd := &cobra.Command{
		Use:     "revoke [--dry-run=none|client|server] [--include-public-info-viewer]",
		Short:   "Remove User system:anonymous and Group system:unauthenticated from RBAC bindings",
		Long:    anonRevokeLong,
		Example: anonRevokeExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(f, cmd); err != nil {
				return err
			}
			if err := o.Print.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&o.IncludePublicInfoViewer, "include-public-info-viewer", false, "Also remove anonymous access from the bootstrap binding of system:public-info-viewer (/healthz, /livez, /readyz, /version).")
	o.Remediation.AddFlags(cmd, "the bindings changed")
	o.Print.AddFlags(cmd)
	o.Files.AddFlags(cmd, "Find in these files, directories or - instead of a cluster (nothing is changed).")
	return cmd
}

// Complete resolves the dry-run mode and the clients.
func (o *AnonRevokeOptions) Complete(f genericclioptions.RESTClientGetter, cmd *cobra.Command) error {
	if err := o.Remediation.Complete(cmd, o.ErrOut); err != nil {
		return err
	}
	var scope cmdutil.ScopeFlags // the whole cluster: no namespace applies
	if err := completeInput(f, cmd, &scope, o.Files, &o.Input, o.ErrOut); err != nil {
		return err
	}
	if o.Input.Offline() {
		return nil
	}
	var err error
	o.Config, err = f.ToRESTConfig()
	return err
}

// Run finds, revokes, verifies and reports.
func (o *AnonRevokeOptions) Run(ctx context.Context) error {
	snap, err := source.Read(ctx, &o.Input, source.Request{RBAC: func(meta.RESTMapper) (source.RBACScope, error) {
		return source.RBACScope{Namespaced: true}, nil
	}})
	if err != nil {
		return err
	}
	findings := anon.Find(snap.RBAC, anon.Options{IncludePublicInfoViewer: o.IncludePublicInfoViewer})
	dryRun := o.Remediation.DryRun
	r := v1alpha1.NewAnonReport(dryRunName(dryRun))
	r.Complete, r.Warnings = snap.Complete(), append(r.Warnings, snap.Warnings...)
	if snap.Offline {
		r.DryRun = "offline"
	}
	for i := range findings {
		r.Bindings = append(r.Bindings, anonBindingReport(&findings[i]))
	}

	failed := 0
	if !snap.Offline {
		c := o.Input.Clients.Kube
		backup := remedy.NewBackupSet(o.Remediation.BackupDir, "anon-revoke")
		failed = remedy.RevokeAnonymous(ctx, c, findings, r, remedy.Options{DryRun: dryRun, BackupSet: backup})
		if err := backup.Close(); err != nil {
			return fmt.Errorf("writing the backup %s: %w", backup.Path(), err)
		}
		r.Backup = backup.Path()
		if dryRun == cmdutil.DryRunNone && failed == 0 {
			remedy.VerifyAnonymous(ctx, c, findings, r, remedy.VerifyOptions{IncludePublicInfoViewer: o.IncludePublicInfoViewer, Timeout: o.VerifyTimeout})
		}
		r.AnonymousAuth = remedy.AnonymousAuth(ctx, o.Config)
	}

	printWarnings(o.ErrOut, r.Warnings)
	if err := o.print(r); err != nil {
		return err
	}
	if r.Backup != "" {
		fmt.Fprintf(o.ErrOut, "Backup of the bindings changed: %s (restore with: kubectl eksiam anon restore -f %s)\n", r.Backup, r.Backup)
	}
	stillAllowed := 0
	for _, p := range r.Verification {
		if p.Allowed && !p.Kept {
			stillAllowed++
		}
	}
	switch {
	case failed > 0:
		return fmt.Errorf("%d of %d binding(s) could not be changed; the others are listed with their results", failed, len(findings))
	case !snap.Complete():
		return snap.Err()
	case len(findings) > 0 && (snap.Offline || dryRun != cmdutil.DryRunNone):
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	case stillAllowed > 0:
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}

func anonBindingReport(f *anon.Finding) v1alpha1.AnonBinding {
	b := v1alpha1.AnonBinding{
		Binding:  v1alpha1.ObjectRef{Kind: f.Binding.Kind, Namespace: f.Binding.Namespace, Name: f.Binding.Name},
		Role:     v1alpha1.ObjectRef{Kind: f.Binding.RoleRef.Kind, Name: f.Binding.RoleRef.Name},
		Severity: v1alpha1.SeverityHigh,
		Subjects: []v1alpha1.SubjectRef{}, Grants: []string{},
		Bootstrap: f.Binding.Bootstrap(), Action: f.Action, DisableAutoUpdate: f.DisableAutoUpdate,
	}
	if f.Binding.RoleRef.Kind == "Role" {
		b.Role.Namespace = f.Binding.Namespace
	}
	for _, s := range f.Anonymous {
		b.Subjects = append(b.Subjects, v1alpha1.SubjectRef{Kind: s.Kind, Name: s.Name})
	}
	if !f.RoleExists {
		b.Grants = append(b.Grants, "(the role does not exist: nothing)")
	}
	for _, rule := range f.Rules {
		b.Grants = append(b.Grants, rbac.RuleString(rule))
	}
	return b
}

func (o *AnonRevokeOptions) print(r *v1alpha1.AnonReport) error {
	if !o.Print.IsTable() {
		return o.Print.Print(o.Out, r)
	}
	if len(r.Bindings) == 0 {
		fmt.Fprintln(o.Out, "No binding grants anything to system:anonymous or system:unauthenticated (beyond system:public-info-viewer).")
	} else {
		wide := o.Print.Wide()
		t := output.Table{Headers: []string{"BINDING", "SUBJECTS", "ROLE", "GRANTS", "ACTION", "RESULT"}}
		if wide {
			t.Headers = append(t.Headers, "BOOTSTRAP", "AUTOUPDATE")
		}
		for _, b := range r.Bindings {
			var subs []string
			for _, s := range b.Subjects {
				subs = append(subs, s.Kind+"/"+s.Name)
			}
			grants := strings.Join(b.Grants, "; ")
			if !wide && len(grants) > 60 {
				grants = grants[:57] + "..."
			}
			action := b.Action
			if b.DisableAutoUpdate {
				action += "+autoupdate=false"
			}
			result := b.Result
			if result == "" {
				result = "-"
			}
			row := []string{objectString(b.Binding), strings.Join(subs, ","), b.Role.Kind + "/" + b.Role.Name, grants, action, result}
			if wide {
				row = append(row, fmt.Sprint(b.Bootstrap), fmt.Sprint(b.DisableAutoUpdate))
			}
			t.Append(row...)
		}
		if err := t.Write(o.Out, o.Print.NoHeaders); err != nil {
			return err
		}
	}
	for _, b := range r.Bindings {
		if b.DisableAutoUpdate {
			fmt.Fprintf(o.Out, "Note: %s: the API server would re-add the removed subjects at its next start; rbac.authorization.kubernetes.io/autoupdate is set to \"false\", so it no longer reconciles this binding.\n", objectString(b.Binding))
		}
	}
	for _, p := range r.Verification {
		answer := "denied"
		switch {
		case p.Kept:
			answer = "allowed: " + p.Reason
		case p.Allowed:
			answer = "ALLOWED: " + p.Reason
		}
		fmt.Fprintf(o.Out, "Verify: anonymous %s: %s\n", p.Request, answer)
	}
	if a := r.AnonymousAuth; a != nil {
		fmt.Fprintf(o.Out, "Anonymous requests: %s: %s\n", a.Request, a.Message)
	}
	return nil
}

// NewCmdAnonRestore returns `kubectl eksiam anon restore`.
func NewCmdAnonRestore(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	// The same restore as sa restore: a backup List of bindings.
	cmd := NewCmdSARestore(f, streams)
	cmd.Short = "Undo anon revoke from its backup"
	cmd.Long = `Put back what 'anon revoke' changed, from the backup it wrote: each binding's subjects
and autoupdate annotation as they were, and each binding it deleted, created again as
it was. Each object is written with its current resourceVersion (a conflict is re-read
and retried), and what the restore replaces is backed up in turn.

RBAC needed: get, update and create rolebindings and clusterrolebindings named in the
backup.

Exit codes: 0 restored (or nothing to restore); 1 changes pending under --dry-run;
2 error.`
	cmd.Example = `  # Undo the last revoke
  kubectl eksiam anon restore -f ~/.kube/eksiam/backups/anon-revoke-20261123T101500.000000000Z.yaml`
	return cmd
}
