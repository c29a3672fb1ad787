// Package cmdutil holds what every command shares: exit codes and error wording.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Exit codes, the `kubectl diff` / diff(1) contract.
const (
	// ExitOK: done, nothing to report.
	ExitOK = 0
	// ExitFindings: done, something to report (differences, findings, pending changes).
	ExitFindings = 1
	// ExitError: any error: usage, kubeconfig, API failure, Forbidden, incomplete view.
	ExitError = 2
)

// ExitError carries an exit code. A nil Err exits silently with Code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// WithCode wraps err with an exit code. WithCode(ExitFindings, nil) reports findings
// without a message.
func WithCode(code int, err error) error { return &exitError{code: code, err: err} }

// UsageErrorf is a mistake in how the command was called: exit 2.
func UsageErrorf(format string, args ...any) error {
	return &exitError{code: ExitError, err: fmt.Errorf(format, args...)}
}

// ExitCode returns the process exit code for the error a command returned.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return ExitError
}

// Message returns the one line to print after "error: ", or "" when nothing should be
// printed.
func Message(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.Canceled) {
		return "interrupted"
	}
	msg := strings.TrimSpace(err.Error())
	// One line, whatever the underlying library wrote.
	return strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", " ")), " ")
}
