package cmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/identity"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// addIAMPrincipals fills the report's IAM view (identity.AddToWhoCan), with a warning
// when the authenticator drops part of aws-auth; creator is --cluster-creator.
func addIAMPrincipals(r *v1alpha1.WhoCanReport, snap *source.Snapshot, creator string, q *rbac.Query) {
	if a := snap.AWSAuth; a != nil {
		if n := len(a.Dropped()); n > 0 {
			r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "AWSAuthDropped",
				Message: fmt.Sprintf("the authenticator drops %d key(s) or entries of aws-auth (%s) as malformed, so the principals they name are not mapped: see 'kubectl eksiam aws-auth validate'", n, a.Source)})
		}
	}
	src := identitySources(snap)
	src.CreatorARN = creator
	identity.AddToWhoCan(r, src, q)
}

// printFindings writes a report's findings to stderr, beside its warnings.
func printFindings(w io.Writer, findings []v1alpha1.IAMFinding) {
	for _, f := range findings {
		fmt.Fprintf(w, "Finding: [%s] %s: %s. Fix: %s\n", f.Severity, f.ID, f.Message, f.Fix)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// iamCell lists the principals reaching a subject in short form (role/Name,
// user/Name, account 111122223333); wide shows full ARNs.
func iamCell(arns []string, wide bool) string {
	if len(arns) == 0 {
		return ""
	}
	out := make([]string, 0, len(arns))
	for _, arn := range arns {
		if !wide {
			arn = shortARN(arn)
		}
		out = append(out, arn)
	}
	const maxShort = 3
	if !wide && len(out) > maxShort {
		return strings.Join(out[:maxShort], ",") + fmt.Sprintf(",+%d more", len(out)-maxShort)
	}
	return strings.Join(out, ",")
}

func shortARN(arn string) string {
	a := iamarn.Parse(arn)
	switch {
	case strings.HasSuffix(arn, ":*"):
		return "account/" + a.Account
	case a.Kind == iamarn.Role || a.Kind == iamarn.User:
		return a.Kind + "/" + a.Name
	}
	return arn
}
