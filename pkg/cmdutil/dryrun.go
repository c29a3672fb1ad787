package cmdutil

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
)

// DryRunStrategy is kubectl's --dry-run: none, client or server.
type DryRunStrategy int

const (
	// DryRunNone sends the change.
	DryRunNone DryRunStrategy = iota
	// DryRunClient computes and prints the change and sends nothing.
	DryRunClient
	// DryRunServer sends the change with dryRun=All: the API server validates and
	// admits it without persisting it.
	DryRunServer
)

// dryRunNoOpt is what a bare --dry-run sets; it means client, as in kubectl.
const dryRunNoOpt = "unchanged"

// AddDryRunFlag adds --dry-run with kubectl's exact help text and default.
func AddDryRunFlag(cmd *cobra.Command) {
	cmd.Flags().String("dry-run", "none", `Must be "none", "server", or "client". If client strategy, only print the object that would be sent, without sending it. If server strategy, submit server-side request without persisting the resource.`)
	cmd.Flags().Lookup("dry-run").NoOptDefVal = dryRunNoOpt
}

// GetDryRunStrategy reads --dry-run as kubectl does, including its deprecated
// boolean forms, which it accepts with a warning written to warn.
func GetDryRunStrategy(cmd *cobra.Command, warn func(string)) (DryRunStrategy, error) {
	v, err := cmd.Flags().GetString("dry-run")
	if err != nil {
		return DryRunNone, err
	}
	if b, err := strconv.ParseBool(v); err == nil {
		if b {
			warn(fmt.Sprintf("--dry-run=%s is deprecated (boolean value) and can be replaced with --dry-run=client.", v))
			return DryRunClient, nil
		}
		warn(fmt.Sprintf("--dry-run=%s is deprecated (boolean value) and can be replaced with --dry-run=none.", v))
		return DryRunNone, nil
	}
	switch v {
	case dryRunNoOpt, "client":
		return DryRunClient, nil
	case "server":
		return DryRunServer, nil
	case "none":
		return DryRunNone, nil
	}
	return DryRunNone, UsageErrorf(`Invalid dry-run value (%v). Must be "none", "server", or "client".`, v)
}

// Suffix is what kubectl appends to "configmap/x updated": " (dry run)" or " (server dry run)".
func (s DryRunStrategy) Suffix() string {
	switch s {
	case DryRunClient:
		return " (dry run)"
	case DryRunServer:
		return " (server dry run)"
	}
	return ""
}
