package cmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// NewCmdAnon returns `kubectl eksiam anon`, which only groups its subcommands.
func NewCmdAnon(f genericclioptions.RESTClientGetter, streams genericiooptions.IOStreams) *cobra.Command {
	return newGroupCommand("anon", "Find and remove what RBAC grants to anonymous and unauthenticated callers",
		NewCmdAnonRevoke(f, streams), NewCmdAnonRestore(f, streams))
}
