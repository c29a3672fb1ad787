package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/output"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// AWSAuthDiffOptions are the inputs of `kubectl eksiam aws-auth diff`.
type AWSAuthDiffOptions struct {
	// From is the current side (the cluster unless --from is given); Desired is -f.
	From    awsAuthSource
	Desired string
	Print   *cmdutil.PrintFlags
	genericiooptions.IOStreams
}

// NewCmdAWSAuthDiff returns `kubectl eksiam aws-auth diff`.
func NewCmdAWSAuthDiff(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	o := &AWSAuthDiffOptions{IOStreams: streams, Print: cmdutil.NewTablePrintFlags()}
	cmd := &cobra.Command{
		Use:   "diff -f DESIRED [--from FILE]",
		Short: "Show what a desired aws-auth would change in who is mapped to what",
		Long: `Compare the cluster's aws-auth (or --from FILE) with a desired one (-f) the way the
authenticator sees them: mappings added, removed and changed, keyed by ARN (role
ARNs and user ARNs match case-insensitively, as the authenticator matches them),
ignoring order, formatting, comments and the order of groups. It also lists, per
side, the entries that take no effect (shadowed duplicates, mapUsers entries mapRoles
overrides, case-variant users) and the keys, fields and entries the authenticator
does not read.

RBAC needed: get configmaps in kube-system (none with --from).

Exit codes: 0 no difference; 1 differences; 2 error.`,
		Example: `  # What would applying this file change?
  kubectl eksiam aws-auth diff -f aws-auth.yaml

  # Compare two files, without a cluster
  kubectl eksiam aws-auth diff --from before.yaml -f after.yaml -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Desired == "" {
				return cmdutil.UsageErrorf("-f DESIRED is required")
			}
			if o.Desired == "-" && o.From.Filename == "-" {
				return cmdutil.UsageErrorf("-f and --from cannot both read standard input")
			}
			o.From.In = o.In
			if err := o.From.complete(f); err != nil {
				return err
			}
			if err := o.Print.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.Desired, "filename", "f", "", "The desired aws-auth ConfigMap (a file, or - for stdin).")
	cmd.Flags().StringVar(&o.From.Filename, "from", "", "Compare this file instead of the cluster's aws-auth.")
	o.Print.AddFlags(cmd)
	return cmd
}

// Run compares.
func (o *AWSAuthDiffOptions) Run(ctx context.Context) error {
	from, err := o.From.read(ctx)
	if err != nil {
		return err
	}
	desired, err := source.ReadAWSAuthFile(o.Desired, o.In)
	if err != nil {
		return err
	}
	d := awsauth.Compare(from.Object.Data, desired.Object.Data)
	r := diffReport(d, from.Source, desired.Source)
	if !o.Print.IsTable() {
		if err := o.Print.Print(o.Out, r); err != nil {
			return err
		}
	} else if err := printDiff(o.Out, r, o.Print.NoHeaders); err != nil {
		return err
	}
	if !r.Same {
		return cmdutil.WithCode(cmdutil.ExitFindings, nil)
	}
	return nil
}

func diffReport(d *awsauth.Diff, from, to string) *v1alpha1.AWSAuthDiff {
	r := &v1alpha1.AWSAuthDiff{From: from, To: to, Same: d.Same(), Changes: []v1alpha1.AWSAuthChange{},
		FromShadowed: []v1alpha1.AWSAuthMapping{}, ToShadowed: []v1alpha1.AWSAuthMapping{},
		FromIgnored: []v1alpha1.AWSAuthFinding{}, ToIgnored: []v1alpha1.AWSAuthFinding{}}
	v1alpha1.SetKind(r, "AWSAuthDiff")
	for _, c := range d.Changes {
		vc := v1alpha1.AWSAuthChange{Change: c.Type, Type: c.Kind, ARN: c.ARN, Fields: nonNil(c.Fields)}
		if c.Old != nil {
			m := mappingReport(*c.Old)
			vc.Old = &m
		}
		if c.New != nil {
			m := mappingReport(*c.New)
			vc.New = &m
		}
		r.Changes = append(r.Changes, vc)
	}
	for _, m := range d.OldShadowed {
		r.FromShadowed = append(r.FromShadowed, mappingReport(m))
	}
	for _, m := range d.NewShadowed {
		r.ToShadowed = append(r.ToShadowed, mappingReport(m))
	}
	for _, f := range d.OldIgnored {
		r.FromIgnored = append(r.FromIgnored, findingReport(f))
	}
	for _, f := range d.NewIgnored {
		r.ToIgnored = append(r.ToIgnored, findingReport(f))
	}
	return r
}

// printDiff writes the changes as a table, then what takes no effect on each side.
func printDiff(w io.Writer, r *v1alpha1.AWSAuthDiff, noHeaders bool) error {
	if r.Same {
		fmt.Fprintf(w, "No difference in what aws-auth maps (%s and %s).\n", r.From, r.To)
	} else {
		t := output.Table{Headers: []string{"CHANGE", "TYPE", "ARN", "USERNAME", "GROUPS"}}
		for _, c := range r.Changes {
			username, groups := changeCells(c)
			t.Append(c.Change, c.Type, c.ARN, username, groups)
		}
		if err := t.Write(w, noHeaders); err != nil {
			return err
		}
	}
	for _, side := range []struct {
		name     string
		shadowed []v1alpha1.AWSAuthMapping
		ignored  []v1alpha1.AWSAuthFinding
	}{{r.From, r.FromShadowed, r.FromIgnored}, {r.To, r.ToShadowed, r.ToIgnored}} {
		for _, m := range side.shadowed {
			effect := "it takes no effect"
			if m.Status == "ambiguous" {
				effect = "the authenticator picks it or a case variant at random"
			}
			fmt.Fprintf(w, "%s: %s[%d] %s %s is %s: %s\n", side.name, m.Key, m.Index, m.Type, m.ARN, m.Status, effect)
		}
		for _, f := range side.ignored {
			fmt.Fprintf(w, "%s: %s: %s\n", side.name, f.Location.Key+entrySuffix(f.Location), f.Message)
		}
	}
	return nil
}

func entrySuffix(l v1alpha1.AWSAuthLocation) string {
	if l.Entry < 0 {
		return ""
	}
	s := fmt.Sprintf("[%d]", l.Entry)
	if l.Field != "" {
		s += "." + l.Field
	}
	return s
}

func changeCells(c v1alpha1.AWSAuthChange) (string, string) {
	switch {
	case c.Old == nil:
		return c.New.Username, strings.Join(c.New.Groups, ",")
	case c.New == nil:
		return c.Old.Username, strings.Join(c.Old.Groups, ",")
	}
	username, groups := c.New.Username, strings.Join(c.New.Groups, ",")
	if c.Old.Username != c.New.Username {
		username = c.Old.Username + " -> " + c.New.Username
	}
	if og := strings.Join(c.Old.Groups, ","); og != groups {
		groups = og + " -> " + groups
	}
	return username, groups
}
