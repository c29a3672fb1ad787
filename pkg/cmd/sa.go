package cmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// NewCmdSA returns `kubectl eksiam sa`, which only groups its subcommands.
func NewCmdSA(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	return newGroupCommand("sa", "Audit and harden service accounts (CIS Amazon EKS Benchmark)",
		NewCmdSAHarden(f, streams), NewCmdSARestore(f, streams))
}
