package cmd

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"
	"github.com/spf13/cobra"
	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// NewCmdAnon returns `kubectl eksiam anon`, which only groups its subcommands.
func NewCmdAnon(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "anon",
		Short: "Find and remove what RBAC grants to anonymous and unauthenticated callers",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(NewCmdAnonRevoke(f, streams), NewCmdAnonRestore(f, streams))
	return cmd
}

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
	DryRun                  cmdutil.DryRunStrategy
	BackupDir               string
	Output                  string
	NoHeaders               bool
	Filenames               []string
	Recursive               bool

	Client kube.Interface
	Config *rest.Config
	Getter genericclioptions.RESTClientGetter
	// VerifyTimeout bounds how long verification waits for the authorizer's cache.
	VerifyTimeout time.Duration
	genericiooptions.IOStreams
}

// NewCmdAnonRevoke returns `kubectl eksiam anon revoke`.
func NewCmdAnonRevoke(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &AnonRevokeOptions{IOStreams: streams, VerifyTimeout: 10 * time.Second}
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
			if err := output.ValidateFormat(o.Output); err != nil {
				return cmdutil.UsageErrorf("%v", err)
			}
			return o.Run(cmd.Context())
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.IncludePublicInfoViewer, "include-public-info-viewer", false, "Also remove anonymous access from the bootstrap binding of system:public-info-viewer (/healthz, /livez, /readyz, /version).")
	cmdutil.AddDryRunFlag(cmd)
	fl.StringVar(&o.BackupDir, "backup-dir", defaultBackupDir(), "Directory for the backup of the bindings changed.")
	fl.StringVarP(&o.Output, "output", "o", "", "Output format: "+strings.Join(output.Formats(), ", ")+".")
	fl.BoolVar(&o.NoHeaders, "no-headers", false, "Don't print headers (table output only).")
	fl.StringSliceVarP(&o.Filenames, "filename", "f", nil, "Find in these files, directories or - instead of a cluster (nothing is changed).")
	fl.BoolVarP(&o.Recursive, "recursive", "R", false, "Process the directories given with -f recursively.")
	return cmd
}

// Complete resolves the dry-run mode and the clients.
func (o *AnonRevokeOptions) Complete(f genericclioptions.RESTClientGetter, cmd *cobra.Command) error {
	var err error
	if o.DryRun, err = cmdutil.GetDryRunStrategy(cmd, func(m string) { fmt.Fprintln(o.ErrOut, "Warning: "+m) }); err != nil {
		return err
	}
	o.Getter = f
	if len(o.Filenames) > 0 {
		return nil
	}
	if o.Config, err = f.ToRESTConfig(); err != nil {
		return err
	}
	o.Client, err = kube.NewForConfig(o.Config)
	return err
}

// Run finds, revokes, verifies and reports.
func (o *AnonRevokeOptions) Run(ctx context.Context) error {
	offline := len(o.Filenames) > 0
	var snap *rbac.Snapshot
	if offline {
		files, err := source.ReadFiles(o.Getter, o.Filenames, o.Recursive)
		if err != nil {
			return err
		}
		snap = &files.RBAC
	} else {
		var err error
		if snap, err = source.ReadRBAC(ctx, o.Client.RbacV1(), source.RBACScope{Namespaced: true}); err != nil {
			return err
		}
	}
	findings := anon.Find(snap, anon.Options{IncludePublicInfoViewer: o.IncludePublicInfoViewer})
	r := &v1alpha1.AnonReport{DryRun: dryRunName(o.DryRun), Bindings: []v1alpha1.AnonBinding{}, Verification: []v1alpha1.AnonProbe{}, Complete: true, Warnings: []v1alpha1.Warning{}}
	v1alpha1.SetKind(r, "AnonReport")
	if offline {
		r.DryRun = "offline"
	}
	for i := range findings {
		r.Bindings = append(r.Bindings, anonBindingReport(&findings[i]))
	}

	failed := 0
	if !offline {
		backup := remedy.NewBackupSet(o.BackupDir, "anon-revoke")
		for i := range findings {
			result, err := o.revoke(ctx, &findings[i], remedy.Options{DryRun: o.DryRun, BackupSet: backup})
			if err != nil {
				failed++
				result = "error: " + cmdutil.Message(err)
			}
			r.Bindings[i].Result = result
		}
		r.Backup = backup.Path()
		if o.DryRun == cmdutil.DryRunNone && failed == 0 {
			o.verify(ctx, findings, r)
		}
		r.AnonymousAuth = o.anonymousAuth(ctx)
	}

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
	case len(findings) > 0 && (offline || o.DryRun != cmdutil.DryRunNone):
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
		b.Grants = append(b.Grants, anon.RuleString(rule))
	}
	return b
}

// revoke changes one binding, re-planning from the live object on every attempt.
func (o *AnonRevokeOptions) revoke(ctx context.Context, f *anon.Finding, opts remedy.Options) (string, error) {
	verb := func(deleted, changed bool) string {
		switch {
		case deleted && changed:
			return "deleted" + o.DryRun.Suffix()
		case changed:
			return "updated" + o.DryRun.Suffix()
		}
		return "unchanged"
	}
	if f.Binding.Kind == "ClusterRoleBinding" {
		res, err := remedy.ClusterRoleBinding(o.Client, f.Binding.Name, func(live *rbacv1.ClusterRoleBinding, exists bool) (*rbacv1.ClusterRoleBinding, bool, error) {
			if !exists {
				return nil, false, nil // gone already: nothing to revoke
			}
			subjects, annotations, del, changed := anon.Revoke(f, live.Subjects, live.Annotations)
			if del {
				return nil, true, nil
			}
			d := live.DeepCopy()
			d.Subjects, d.Annotations = subjects, annotations
			return d, changed, nil
		}, opts).Run(ctx)
		return verb(res.Deleted, res.Changed), err
	}
	res, err := remedy.RoleBinding(o.Client, f.Binding.Namespace, f.Binding.Name, func(live *rbacv1.RoleBinding, exists bool) (*rbacv1.RoleBinding, bool, error) {
		if !exists {
			return nil, false, nil
		}
		subjects, annotations, del, changed := anon.Revoke(f, live.Subjects, live.Annotations)
		if del {
			return nil, true, nil
		}
		d := live.DeepCopy()
		d.Subjects, d.Annotations = subjects, annotations
		return d, changed, nil
	}, opts).Run(ctx)
	return verb(res.Deleted, res.Changed), err
}

// verify asks SubjectAccessReview, as an anonymous caller, for a request through each
// revoked rule. The RBAC authorizer reads from a cache, so an allowed answer is asked
// again for a while; one that stays allowed is explained from the RBAC objects.
func (o *AnonRevokeOptions) verify(ctx context.Context, findings []anon.Finding, r *v1alpha1.AnonReport) {
	after, err := source.ReadRBAC(ctx, o.Client.RbacV1(), source.RBACScope{Namespaced: true})
	if err != nil {
		r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "VerificationIncomplete", Message: "cannot explain the verification: " + cmdutil.Message(err)})
	}
	var ix *rbac.Index
	if after != nil {
		ix = rbac.NewIndex(after)
	}
	for i := range findings {
		f := &findings[i]
		for _, p := range anon.Probes(f) {
			ask := func() (bool, error) {
				sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{User: rbac.AnonymousUser, Groups: []string{rbac.UnauthenticatedGroup}}}
				if p.Path != "" {
					sar.Spec.NonResourceAttributes = &authzv1.NonResourceAttributes{Verb: p.Verb, Path: p.Path}
				} else {
					sar.Spec.ResourceAttributes = &authzv1.ResourceAttributes{Namespace: p.Namespace, Verb: p.Verb, Group: p.APIGroup,
						Resource: p.Resource, Subresource: p.Subresource, Name: p.Name}
				}
				res, err := o.Client.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
				if err != nil {
					return false, err
				}
				return res.Status.Allowed, nil
			}
			var via []string
			if ix != nil {
				via = stillGranted(ix, p.Attributes)
			}
			reason := strings.Join(via, ", ")
			// Access kept on purpose: the bootstrap public-info-viewer binding.
			kept := len(via) > 0 && !o.IncludePublicInfoViewer && !slices.ContainsFunc(via, func(b string) bool {
				return b != "ClusterRoleBinding/"+anon.PublicInfoViewer
			})
			deadline := time.Now().Add(o.VerifyTimeout)
			allowed, err := ask()
			for err == nil && allowed && reason == "" && time.Now().Before(deadline) {
				time.Sleep(200 * time.Millisecond)
				allowed, err = ask()
			}
			probe := v1alpha1.AnonProbe{Request: p.Description, Binding: v1alpha1.ObjectRef{Kind: f.Binding.Kind, Namespace: f.Binding.Namespace, Name: f.Binding.Name}, Allowed: allowed}
			switch {
			case err != nil:
				probe.Reason = "SubjectAccessReview failed: " + cmdutil.Message(err)
				probe.Allowed = true // unknown: never report it as denied
			case allowed && kept:
				probe.Kept = true
				probe.Reason = "still allowed by " + reason + ", which is kept (--include-public-info-viewer removes it)"
			case allowed && reason != "":
				probe.Reason = "still allowed by " + reason
			case allowed:
				probe.Reason = "still allowed, by no RBAC binding: another authorizer allows it"
			}
			r.Verification = append(r.Verification, probe)
		}
	}
}

// stillGranted names the bindings that still give an anonymous caller the request.
func stillGranted(ix *rbac.Index, a rbac.Attributes) []string {
	q := rbac.Query{Attributes: a}
	var via []string
	for _, s := range ix.WhoCan(q).Subjects {
		if (s.Subject.Kind == "User" && s.Subject.Name == rbac.AnonymousUser) || (s.Subject.Kind == "Group" && s.Subject.Name == rbac.UnauthenticatedGroup) {
			for _, g := range s.Grants {
				via = append(via, g.Binding.String())
			}
		}
	}
	slices.Sort(via)
	return slices.Compact(via)
}

// anonymousAuth asks GET /version without credentials.
func (o *AnonRevokeOptions) anonymousAuth(ctx context.Context) *v1alpha1.AnonymousAuth {
	a := &v1alpha1.AnonymousAuth{Request: "GET /version without credentials"}
	cfg := rest.AnonymousClientConfig(o.Config)
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		a.Message = "cannot build an anonymous client: " + err.Error()
		return a
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(cfg.Host, "/")+"/version", nil)
	if err != nil {
		a.Message = err.Error()
		return a
	}
	resp, err := client.Do(req)
	if err != nil {
		a.Message = "no answer: " + err.Error()
		return a
	}
	resp.Body.Close()
	a.StatusCode = resp.StatusCode
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		a.Message = "refused (401): the API server does not authenticate anonymous requests"
	case http.StatusForbidden:
		a.Enabled = true
		a.Message = "authenticated as system:anonymous but forbidden (403): anonymous requests reach RBAC"
	case http.StatusOK:
		a.Enabled = true
		a.Message = "answered (200): anonymous requests are authenticated as system:anonymous"
	default:
		a.Message = fmt.Sprintf("answered with status %d", resp.StatusCode)
	}
	return a
}

func (o *AnonRevokeOptions) print(r *v1alpha1.AnonReport) error {
	if !output.IsTable(o.Output) {
		return output.PrintObject(o.Out, o.Output, r)
	}
	if len(r.Bindings) == 0 {
		fmt.Fprintln(o.Out, "No binding grants anything to system:anonymous or system:unauthenticated (beyond system:public-info-viewer).")
	} else {
		wide := o.Output == output.FormatWide
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
		if err := t.Write(o.Out, o.NoHeaders); err != nil {
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
