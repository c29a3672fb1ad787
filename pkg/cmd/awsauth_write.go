package cmd

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"
	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/cobra"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/output"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/remedy"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// awsAuthWriter is what every aws-auth edit shares: flags, clients, the guards and
// the write itself.
type awsAuthWriter struct {
	DryRun    cmdutil.DryRunStrategy
	Force     bool
	BackupDir string
	Output    string
	// Create allows creating aws-auth when it does not exist.
	Create bool

	Client kube.Interface
	genericiooptions.IOStreams
}

const writeFlagsHelp = `Every edit: validates the result with the full rule set and refuses any new ERROR;
refuses (unless --force) to remove or change node and Fargate mappings, to leave no
working admin mapping, or to change the mapping of the IAM principal you are logged
in as; changes only the lines of the entries concerned; shows the change; updates
with the resourceVersion it read (re-reading, re-planning and re-checking on a
conflict); and, unless --dry-run, saves a backup of the whole ConfigMap first (see
'aws-auth restore'). It never deletes aws-auth.

RBAC needed: get and update configmaps in kube-system; list clusterroles and
clusterrolebindings (the admin check); create selfsubjectreviews (every
authenticated user may).

Exit codes: 0 changed (or nothing to change); 1 changes pending under --dry-run;
2 error or refused.`

func (w *awsAuthWriter) addFlags(cmd *cobra.Command) {
	cmdutil.AddDryRunFlag(cmd)
	cmd.Flags().BoolVar(&w.Force, "force", false, "Override the lockout guards (node mappings, admin mapping, your own mapping); new validation errors are never allowed.")
	cmd.Flags().StringVar(&w.BackupDir, "backup-dir", defaultBackupDir(), "Directory for the backup of aws-auth written before a change.")
	cmd.Flags().StringVarP(&w.Output, "output", "o", "", "Print the resulting ConfigMap: json or yaml (the change summary then goes to stderr).")
}

func defaultBackupDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return "aws-auth-backups"
	}
	return filepath.Join(home, ".kube", "eksiam", "backups")
}

func (w *awsAuthWriter) complete(f genericclioptions.RESTClientGetter, cmd *cobra.Command) error {
	var err error
	if w.DryRun, err = cmdutil.GetDryRunStrategy(cmd, func(msg string) { fmt.Fprintln(w.ErrOut, "Warning: "+msg) }); err != nil {
		return err
	}
	if w.Output != "" && w.Output != "json" && w.Output != "yaml" {
		return cmdutil.UsageErrorf("unknown output format %q: allowed formats are json, yaml", w.Output)
	}
	config, err := f.ToRESTConfig()
	if err != nil {
		return err
	}
	w.Client, err = kube.NewForConfig(config)
	return err
}

// planFunc turns the live data (empty when aws-auth does not exist) into new data.
type planFunc func(live map[string]string, exists bool) (newData map[string]string, notes []string, err error)

// guardError is a refused edit.
type guardError struct{ violations []awsauth.Violation }

func (e *guardError) Error() string {
	msgs := make([]string, len(e.violations))
	forceable := false
	for i, v := range e.violations {
		msgs[i] = v.Message
		forceable = forceable || v.Forceable
	}
	hint := ""
	if forceable {
		hint = " (--force overrides the lockout guards, not validation errors)"
	}
	return "refusing to change aws-auth: " + strings.Join(msgs, "; ") + hint
}

// run plans, guards and writes, then reports.
func (w *awsAuthWriter) run(ctx context.Context, plan planFunc) error {
	caller, callerNote := w.caller(ctx)
	isAdmin, adminNote := w.adminCheck(ctx)
	cms := w.Client.CoreV1().ConfigMaps(awsauth.Namespace)

	var (
		report *awsauth.GuardReport
		notes  []string
		before map[string]string
	)
	write := &remedy.Write[*corev1.ConfigMap]{
		GVK: corev1.SchemeGroupVersion.WithKind("ConfigMap"),
		Get: func(ctx context.Context) (*corev1.ConfigMap, error) {
			return cms.Get(ctx, awsauth.Name, metav1.GetOptions{})
		},
		Update:    cms.Update,
		DryRun:    w.DryRun,
		BackupDir: w.BackupDir,
		Plan: func(live *corev1.ConfigMap, exists bool) (*corev1.ConfigMap, bool, error) {
			if !exists && !w.Create {
				return nil, false, fmt.Errorf("configmap kube-system/aws-auth does not exist (the cluster may use EKS access entries only); pass --create to create it")
			}
			before = map[string]string{}
			if exists {
				before = live.Data
			}
			newData, n, err := plan(before, exists)
			if err != nil {
				return nil, false, err
			}
			notes = n
			if exists && maps.Equal(newData, live.Data) {
				return live, false, nil
			}
			report = awsauth.Guard(awsauth.GuardInput{Before: before, After: newData, IsAdmin: isAdmin, Caller: caller})
			if blocking := report.Blocking(w.Force); len(blocking) > 0 {
				return nil, false, &guardError{violations: blocking}
			}
			desired := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: awsauth.Name, Namespace: awsauth.Namespace}}
			if exists {
				desired = live.DeepCopy()
			}
			desired.Data = newData
			return desired, true, nil
		},
	}
	if w.Create {
		write.Create = cms.Create
	}
	res, err := write.Run(ctx)
	if err != nil {
		return err
	}

	summary := w.Out
	if w.Output != "" {
		summary = w.ErrOut
	}
	for _, n := range append(append(notes, callerNote, adminNote), guardNotes(report, w.Force)...) {
		if n != "" {
			fmt.Fprintln(w.ErrOut, "Note: "+n)
		}
	}
	if !res.Changed {
		fmt.Fprintln(summary, "configmap/aws-auth unchanged")
		return w.printObject(res.Live)
	}
	if err := printDataDiff(summary, before, res.Desired.Data); err != nil {
		return err
	}
	if res.Attempts > 1 {
		fmt.Fprintf(w.ErrOut, "Note: aws-auth changed while this edit was prepared; it was re-read and re-checked %d time(s)\n", res.Attempts-1)
	}
	if res.Backup != "" {
		fmt.Fprintf(w.ErrOut, "Backup of the previous aws-auth: %s (restore with: kubectl eksiam aws-auth restore -f %s)\n", res.Backup, res.Backup)
	}
	verb := "updated"
	if res.Created {
		verb = "created"
	}
	fmt.Fprintf(summary, "configmap/aws-auth %s%s\n", verb, w.DryRun.Suffix())
	if err := w.printObject(res.Written); err != nil {
		return err
	}
	if w.DryRun != cmdutil.DryRunNone {
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}

func (w *awsAuthWriter) printObject(cm *corev1.ConfigMap) error {
	if w.Output == "" || cm == nil {
		return nil
	}
	c := cm.DeepCopy()
	c.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
	return output.PrintObject(w.Out, w.Output, c)
}

func guardNotes(r *awsauth.GuardReport, force bool) []string {
	if r == nil {
		return nil
	}
	notes := slices.Clone(r.Notes)
	if force {
		for _, v := range r.Violations {
			if v.Forceable {
				notes = append(notes, "overridden by --force: "+v.Message)
			}
		}
	}
	if r.CallerBefore != nil && r.CallerAfter != nil {
		notes = append(notes, fmt.Sprintf("you map to %s before and %s after", awsauth.DescribeResolution(*r.CallerBefore), awsauth.DescribeResolution(*r.CallerAfter)))
	}
	return notes
}

// caller asks the API server who is making the edit. On EKS the IAM ARN is in the
// "arn" extra (or "canonicalArn").
func (w *awsAuthWriter) caller(ctx context.Context) (*awsauth.Caller, string) {
	r, err := w.Client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Sprintf("cannot tell who you are (SelfSubjectReview: %v): your own mapping is not checked", err)
	}
	u := r.Status.UserInfo
	c := &awsauth.Caller{Username: u.Username, Groups: u.Groups}
	for _, key := range []string{"canonicalArn", "arn"} {
		if v := u.Extra[key]; len(v) > 0 && c.ARN == "" {
			c.ARN = v[0]
		}
	}
	return c, ""
}

// adminCheck reads the cluster-level RBAC once and returns whether a mapped identity
// may do everything (verb, group and resource "*", cluster-wide).
func (w *awsAuthWriter) adminCheck(ctx context.Context) (func(string, []string) bool, string) {
	snap, err := source.ReadRBAC(ctx, w.Client.RbacV1(), source.RBACScope{})
	if err != nil {
		return nil, fmt.Sprintf("the admin-mapping check needs RBAC: %v", err)
	}
	res := rbac.NewIndex(snap).WhoCan(rbac.Query{Attributes: rbac.Attributes{Verb: "*", APIGroup: "*", Resource: "*"}})
	admins := map[rbac.Subject]bool{}
	for _, s := range res.Subjects {
		if s.ClusterWide() {
			admins[s.Subject] = true
		}
	}
	return func(username string, groups []string) bool {
		if username != "" && !strings.Contains(username, "{{") && admins[rbac.SubjectForUsername(username)] {
			return true
		}
		for _, g := range append(slices.Clone(groups), rbac.AuthenticatedGroup) {
			if admins[rbac.Subject{Kind: "Group", Name: g}] {
				return true
			}
		}
		return false
	}, ""
}

// diffLines splits text into lines that each end in a newline (a missing final
// newline is added for display; no empty line is added after a final one).
func diffLines(text string) []string {
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	} else {
		lines[len(lines)-1] += "\n"
	}
	return lines
}

// printDataDiff shows each changed data key as a unified diff.
func printDataDiff(w io.Writer, before, after map[string]string) error {
	keys := slices.Sorted(maps.Keys(after))
	for k := range before {
		if _, ok := after[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if before[k] == after[k] {
			continue
		}
		diff, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: diffLines(before[k]), B: diffLines(after[k]),
			FromFile: "data." + k + " (live)", ToFile: "data." + k + " (edited)", Context: 2,
		})
		if err != nil {
			return err
		}
		if !strings.HasSuffix(diff, "\n") {
			diff += "\n"
		}
		if _, err := io.WriteString(w, diff); err != nil {
			return err
		}
	}
	return nil
}
