package cmd

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/remedy"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// awsAuthWriter is what every aws-auth edit shares: flags, the client, printing.
// The edit itself (plan, guards, write, backup) is remedy.EditAWSAuth.
type awsAuthWriter struct {
	Remediation cmdutil.RemediationFlags
	Print       *cmdutil.PrintFlags
	Force       bool
	// Create allows creating aws-auth when it does not exist; MissingOK makes a missing
	// one a success with nothing to do.
	Create    bool
	MissingOK bool
	// createFlagAbsent: the command has no --create (remove), so the error must not
	// suggest it.
	createFlagAbsent bool

	Client kube.Interface
	genericiooptions.IOStreams
}

const writeFlagsHelp = `Every edit: validates the result with the full rule set and refuses any new high finding;
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
	w.Remediation.AddFlags(cmd, "aws-auth written before a change")
	cmd.Flags().BoolVar(&w.Force, "force", false, "Override the lockout guards (node mappings, admin mapping, your own mapping); new validation errors are never allowed.")
	w.Print = cmdutil.NewObjectPrintFlags("Print the resulting ConfigMap: json or yaml (the change summary then goes to stderr).")
	w.Print.AddFlags(cmd)
}

func (w *awsAuthWriter) complete(f genericclioptions.RESTClientGetter, cmd *cobra.Command) error {
	if err := w.Remediation.Complete(cmd, w.ErrOut); err != nil {
		return err
	}
	if err := w.Print.Validate(); err != nil {
		return err
	}
	c, err := source.Connect(f)
	if err != nil {
		return err
	}
	w.Client = c.Kube
	return nil
}

// run makes the edit, then reports it.
func (w *awsAuthWriter) run(ctx context.Context, plan remedy.AWSAuthPlan) error {
	dryRun := w.Remediation.DryRun
	hint := "; pass --create to create it"
	if w.MissingOK || w.createFlagAbsent {
		hint = ": nothing to change"
	}
	res, err := remedy.EditAWSAuth(ctx, w.Client, remedy.AWSAuthEdit{Plan: plan, Force: w.Force, Create: w.Create, MissingOK: w.MissingOK, MissingHint: hint,
		DryRun: dryRun, BackupDir: w.Remediation.BackupDir})
	if err != nil {
		return err
	}
	summary := w.Out
	if w.Print.Output != "" {
		summary = w.ErrOut
	}
	for _, n := range res.Notes {
		fmt.Fprintln(w.ErrOut, "Note: "+n)
	}
	if !res.Exists && !res.Changed {
		fmt.Fprintln(summary, "configmap kube-system/aws-auth does not exist: nothing to change")
		return nil
	}
	if !res.Changed {
		fmt.Fprintln(summary, "configmap/aws-auth unchanged")
		return w.printObject(res.Live)
	}
	if err := printDataDiff(summary, res.Before, res.Desired.Data); err != nil {
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
	fmt.Fprintf(summary, "configmap/aws-auth %s%s\n", verb, dryRun.Suffix())
	if err := w.printObject(res.Written); err != nil {
		return err
	}
	if dryRun != cmdutil.DryRunNone {
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}

func (w *awsAuthWriter) printObject(cm *corev1.ConfigMap) error {
	if w.Print.Output == "" || cm == nil {
		return nil
	}
	c := cm.DeepCopy()
	c.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
	return w.Print.Print(w.Out, c)
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
