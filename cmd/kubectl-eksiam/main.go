// Command kubectl-eksiam is a kubectl plugin: `kubectl eksiam --help`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmd"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
)

func main() {
	// client-go logs through klog; errors reach the user once, as "error: ...".
	klog.SetLogger(logr.Discard())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	err := cmd.NewCmdEksiam(streams).ExecuteContext(ctx)
	stop()
	if msg := cmdutil.Message(err); msg != "" {
		fmt.Fprintln(os.Stderr, "error: "+msg)
	}
	os.Exit(cmdutil.ExitCode(err))
}
