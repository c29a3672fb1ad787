package cmdutil

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/resource"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/output"
)

// PrintFlags are -o and, for commands that print a table, --no-headers. They know
// the formats their command accepts, which both validation and shell completion use.
type PrintFlags struct {
	Output    string
	NoHeaders bool
	// formats the command accepts besides the table ("" is the table, when allowed).
	formats []string
	table   bool
	help    string
}

// NewTablePrintFlags are the flags of a command whose default output is a table: -o
// wide and every kubectl printer format (json, yaml, kyaml, jsonpath, go-template...),
// plus extra formats of the command's own.
func NewTablePrintFlags(extra ...string) *PrintFlags {
	return &PrintFlags{formats: append(output.Formats(), extra...), table: true}
}

// NewObjectPrintFlags are the flags of a command that prints an object only with -o:
// json or yaml.
func NewObjectPrintFlags(help string) *PrintFlags {
	return &PrintFlags{formats: []string{"json", "yaml"}, help: help}
}

// AddFlags registers -o (and --no-headers for tables) with completion of the formats.
func (p *PrintFlags) AddFlags(cmd *cobra.Command, help ...string) {
	usage := p.help
	if usage == "" {
		usage = "Output format: " + strings.Join(p.formats, ", ") + "."
	}
	if len(help) > 0 {
		usage = help[0]
	}
	cmd.Flags().StringVarP(&p.Output, "output", "o", "", usage)
	if p.table {
		cmd.Flags().BoolVar(&p.NoHeaders, "no-headers", false, "Don't print headers (table output only).")
	}
	_ = cmd.RegisterFlagCompletionFunc("output", func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return p.Complete(toComplete), cobra.ShellCompDirectiveNoFileComp
	})
}

// Complete lists the formats that start with prefix (the templated ones as "jsonpath=").
func (p *PrintFlags) Complete(prefix string) []string {
	var out []string
	for _, f := range p.formats {
		if strings.HasPrefix(f, prefix) {
			out = append(out, f)
		}
	}
	return out
}

// Formats are the -o values the command accepts.
func (p *PrintFlags) Formats() []string { return slices.Clone(p.formats) }

// Validate checks -o without printing anything.
func (p *PrintFlags) Validate() error {
	if p.IsTable() || slices.Contains(p.formats, p.Output) {
		return nil
	}
	if p.table {
		// The printer formats that take an argument (jsonpath=..., go-template-file=...).
		if err := output.ValidateFormat(p.Output); err == nil {
			return nil
		}
	}
	return UsageErrorf("unknown output format %q: allowed formats are %s", p.Output, strings.Join(p.formats, ", "))
}

// IsTable reports whether the command's own table (or, for object-only commands, its
// summary) is printed: no -o, or -o wide.
func (p *PrintFlags) IsTable() bool {
	return p.Output == "" || (p.table && p.Output == output.FormatWide)
}

// Wide reports -o wide.
func (p *PrintFlags) Wide() bool { return p.table && p.Output == output.FormatWide }

// Print prints a report with kubectl's printer for -o.
func (p *PrintFlags) Print(w io.Writer, obj runtime.Object) error {
	return output.PrintObject(w, p.Output, obj)
}

// FilenameFlags are -f and -R, as cli-runtime's FilenameOptions: files, directories
// (recursively with -R) and - for standard input.
type FilenameFlags struct {
	resource.FilenameOptions
}

// AddFlags registers -f and -R with the command's wording of -f.
func (f *FilenameFlags) AddFlags(cmd *cobra.Command, usage string) {
	cmd.Flags().StringSliceVarP(&f.Filenames, "filename", "f", nil, usage)
	cmd.Flags().BoolVarP(&f.Recursive, "recursive", "R", false, "Process the directories given with -f recursively.")
}

// Offline reports whether -f was given: the command then reads files, not a cluster.
func (f *FilenameFlags) Offline() bool { return len(f.Filenames) > 0 }

// RemediationFlags are what every command that writes shares: --dry-run (kubectl's)
// and --backup-dir.
type RemediationFlags struct {
	DryRun    DryRunStrategy
	BackupDir string
}

// AddFlags registers --dry-run and --backup-dir; what is saved is the command's to say.
func (r *RemediationFlags) AddFlags(cmd *cobra.Command, backupOf string) {
	AddDryRunFlag(cmd)
	cmd.Flags().StringVar(&r.BackupDir, "backup-dir", "", "Directory for the backup of "+backupOf+" (default ~/.kube/eksiam/backups).")
	_ = cmd.RegisterFlagCompletionFunc("dry-run", func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []string
		for _, v := range []string{"none", "client", "server"} {
			if strings.HasPrefix(v, toComplete) {
				out = append(out, v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

// Complete reads --dry-run as kubectl does (deprecated boolean forms are warned about on
// errOut) and resolves the default backup folder.
func (r *RemediationFlags) Complete(cmd *cobra.Command, errOut io.Writer) error {
	var err error
	if r.DryRun, err = GetDryRunStrategy(cmd, func(m string) { fmt.Fprintln(errOut, "Warning: "+m) }); err != nil {
		return err
	}
	if r.BackupDir == "" {
		r.BackupDir = DefaultBackupDir()
	}
	return nil
}

// DefaultBackupDir is ~/.kube/eksiam/backups (./aws-auth-backups when there is no home).
func DefaultBackupDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return "aws-auth-backups"
	}
	return filepath.Join(home, ".kube", "eksiam", "backups")
}

// ScopeFlags are -A, with -n from the kubeconfig flags: one rule for every command.
type ScopeFlags struct {
	AllNamespaces bool
	// Namespace is kubectl's: -n, else the kubeconfig context's, else "default".
	// `-n ""` is the kubeconfig's namespace, as in kubectl; only -A means all.
	Namespace string
	// Explicit records that -n was given.
	Explicit bool
}

// AddFlags registers -A with the command's wording.
func (s *ScopeFlags) AddFlags(cmd *cobra.Command, usage string) {
	cmd.Flags().BoolVarP(&s.AllNamespaces, "all-namespaces", "A", false, usage)
}

// Complete resolves the namespace as kubectl does. Offline (reading files), a missing
// or broken kubeconfig only costs the default namespace, with a warning on errOut.
func (s *ScopeFlags) Complete(f genericclioptions.RESTClientGetter, cmd *cobra.Command, offline bool, errOut io.Writer) error {
	if fl := cmd.Flag("namespace"); fl != nil && fl.Changed {
		s.Explicit = true
	}
	ns, _, err := f.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		if !offline {
			return err
		}
		if !s.AllNamespaces {
			fmt.Fprintf(errOut, "Warning: cannot read the namespace from the kubeconfig (%v): using \"default\"\n", Message(err))
		}
		ns = "default"
	}
	s.Namespace = ns
	return nil
}
