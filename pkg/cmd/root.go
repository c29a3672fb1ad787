// Package cmd holds the cobra commands of kubectl-eksiam: a thin layer that parses
// flags, reads a snapshot through pkg/source and hands it to the pure engines.
package cmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
)

// NewCmdEksiam returns the root command, `kubectl eksiam`.
func NewCmdEksiam(streams genericiooptions.IOStreams) *cobra.Command {
	configFlags := genericclioptions.NewConfigFlags(true)
	// Server-side warnings (deprecations and the like) go to stderr, once each.
	configFlags.WrapConfigFn = func(c *rest.Config) *rest.Config {
		c.WarningHandler = rest.NewWarningWriter(streams.ErrOut, rest.WarningWriterOptions{Deduplicate: true})
		return c
	}

	cmd := &cobra.Command{
		Use:   "kubectl-eksiam",
		Short: "Answer who can do what in an EKS cluster, in RBAC and IAM terms",
		Long: `kubectl eksiam answers "who can do what in this cluster?" in Kubernetes RBAC terms and
AWS IAM terms, and applies the EKS identity best practices without locking you out.

It takes kubectl's own kubeconfig flags, so it works wherever kubectl works.

Exit codes: 0 done, nothing to report; 1 done, something to report (differences,
findings, changes pending under --dry-run); 2 error (usage, kubeconfig, API failure,
Forbidden, or an incomplete view).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl eksiam"},
		// A bare `kubectl eksiam` prints help and exits 0.
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		Args: cobra.NoArgs,
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return cmdutil.UsageErrorf("%v", err)
	})
	configFlags.AddFlags(cmd.PersistentFlags())

	cmd.AddCommand(
		NewCmdWhoCan(configFlags, streams),
		NewCmdAccess(configFlags, streams),
		NewCmdCan(configFlags, streams),
		NewCmdAccessEntries(configFlags, streams),
		NewCmdAWSAuth(configFlags, streams),
		NewCmdSA(configFlags, streams),
		NewCmdAnon(configFlags, streams),
		NewCmdPodIdentity(configFlags, streams),
		NewCmdAudit(configFlags, streams),
		NewCmdVersion(streams),
	)
	// Help, usage and the completion scripts go to the streams, like everything else.
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	registerCompletions(cmd, configFlags)
	return cmd
}

// newGroupCommand is a command that only groups its subcommands (`sa`, `anon`...):
// run bare, it prints its help.
func newGroupCommand(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(subs...)
	return cmd
}
