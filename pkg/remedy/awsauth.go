package remedy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// AWSAuthPlan turns the live data (empty when aws-auth does not exist) into new data,
// with notes for the user.
type AWSAuthPlan func(live map[string]string, exists bool) (newData map[string]string, notes []string, err error)

// EditsPlan is the plan that applies edits to the live data, keeping every byte they
// do not touch (awsauth.ApplyEdits). With ignoreNotMapped, removing an ARN that is
// not mapped changes nothing instead of failing.
func EditsPlan(edits []awsauth.Edit, ignoreNotMapped bool) AWSAuthPlan {
	return func(live map[string]string, _ bool) (map[string]string, []string, error) {
		res, err := awsauth.ApplyEdits(live, edits)
		if ignoreNotMapped && errors.Is(err, awsauth.ErrNotMapped) {
			return live, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		return res.Data, res.Notes, nil
	}
}

// AWSAuthEdit is one guarded edit of kube-system/aws-auth.
type AWSAuthEdit struct {
	Plan AWSAuthPlan
	// Force overrides the lockout guards (never validation errors).
	Force bool
	// Create allows creating aws-auth when it does not exist; MissingOK makes a missing
	// aws-auth a success with nothing to change (remove --ignore-not-found); otherwise a
	// missing aws-auth is an error, with MissingHint saying what to do.
	Create      bool
	MissingOK   bool
	MissingHint string
	DryRun      cmdutil.DryRunStrategy
	BackupDir   string
}

// AWSAuthEditResult is what an edit did.
type AWSAuthEditResult struct {
	*Result[*corev1.ConfigMap]
	// Before is the data the edit was planned on (empty when aws-auth did not exist).
	Before map[string]string
	// Notes: the plan's, the guards', and why a check could not run.
	Notes []string
}

// GuardError is an edit the guards refused.
type GuardError struct{ Violations []awsauth.Violation }

func (e *GuardError) Error() string {
	msgs := make([]string, len(e.Violations))
	forceable := false
	for i, v := range e.Violations {
		msgs[i] = v.Message
		forceable = forceable || v.Forceable
	}
	hint := ""
	if forceable {
		hint = " (--force overrides the lockout guards, not validation errors)"
	}
	return "refusing to change aws-auth: " + strings.Join(msgs, "; ") + hint
}

// EditAWSAuth plans, guards and writes one edit of aws-auth: it validates the result
// with the full rule set and refuses any new ERROR; refuses (unless Force) to remove
// or change node and Fargate mappings, to leave no working admin mapping, or to change
// the caller's own mapping; updates with the resourceVersion read (re-reading,
// re-planning and re-checking on a conflict); and saves a backup first.
func EditAWSAuth(ctx context.Context, c kube.Interface, e AWSAuthEdit) (*AWSAuthEditResult, error) {
	caller, callerNote := Caller(ctx, c)
	admins, adminNote := clusterAdmins(ctx, c)
	cms := c.CoreV1().ConfigMaps(awsauth.Namespace)
	out := &AWSAuthEditResult{}
	var (
		report *awsauth.GuardReport
		notes  []string
	)
	write := &Write[*corev1.ConfigMap]{
		GVK: corev1.SchemeGroupVersion.WithKind("ConfigMap"),
		Get: func(ctx context.Context) (*corev1.ConfigMap, error) {
			return cms.Get(ctx, awsauth.Name, metav1.GetOptions{})
		},
		Update:    cms.Update,
		DryRun:    e.DryRun,
		BackupDir: e.BackupDir,
		Plan: func(live *corev1.ConfigMap, exists bool) (*corev1.ConfigMap, bool, error) {
			if !exists && !e.Create {
				if e.MissingOK {
					return nil, false, nil
				}
				return nil, false, fmt.Errorf("configmap kube-system/aws-auth does not exist (the cluster may use EKS access entries only)%s", e.MissingHint)
			}
			out.Before = map[string]string{}
			if exists {
				out.Before = live.Data
			}
			newData, n, err := e.Plan(out.Before, exists)
			if err != nil {
				return nil, false, err
			}
			notes = n
			if exists && maps.Equal(newData, live.Data) {
				return live, false, nil
			}
			report = awsauth.Guard(awsauth.GuardInput{Before: out.Before, After: newData, IsAdmin: admins, Caller: caller})
			if blocking := report.Blocking(e.Force); len(blocking) > 0 {
				return nil, false, &GuardError{Violations: blocking}
			}
			desired := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: awsauth.Name, Namespace: awsauth.Namespace}}
			if exists {
				desired = live.DeepCopy()
			}
			desired.Data = newData
			return desired, true, nil
		},
	}
	if e.Create {
		write.Create = cms.Create
	}
	res, err := write.Run(ctx)
	if err != nil {
		return nil, err
	}
	out.Result = res
	for _, n := range append(append(notes, callerNote, adminNote), guardNotes(report, e.Force)...) {
		if n != "" {
			out.Notes = append(out.Notes, n)
		}
	}
	return out, nil
}

func guardNotes(r *awsauth.GuardReport, force bool) []string {
	if r == nil {
		return nil
	}
	notes := slices.Clone(r.Notes)
	if force {
		for _, v := range r.Violations {
			if v.Forceable {
				notes = append(notes, "overridden by --force: "+v.Message)
			}
		}
	}
	if r.CallerBefore != nil && r.CallerAfter != nil {
		notes = append(notes, fmt.Sprintf("you map to %s before and %s after", awsauth.DescribeResolution(*r.CallerBefore), awsauth.DescribeResolution(*r.CallerAfter)))
	}
	return notes
}

// Caller asks the API server who is making the edit (SelfSubjectReview). On EKS the
// IAM ARN is in the "arn" extra (or "canonicalArn"). When it cannot tell, the note
// says so and the caller's own mapping is not checked.
func Caller(ctx context.Context, c kube.Interface) (*awsauth.Caller, string) {
	r, err := c.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Sprintf("cannot tell who you are (SelfSubjectReview: %v): your own mapping is not checked", err)
	}
	u := r.Status.UserInfo
	caller := &awsauth.Caller{Username: u.Username, Groups: u.Groups}
	for _, key := range []string{"canonicalArn", "arn"} {
		if v := u.Extra[key]; len(v) > 0 && caller.ARN == "" {
			caller.ARN = v[0]
		}
	}
	return caller, ""
}

// clusterAdmins reads the cluster-level RBAC once, for the working-admin guard.
func clusterAdmins(ctx context.Context, c kube.Interface) (func(string, []string) bool, string) {
	snap, err := source.ReadRBAC(ctx, c.RbacV1(), source.RBACScope{})
	if err != nil {
		return nil, fmt.Sprintf("the admin-mapping check needs RBAC: %v", err)
	}
	return rbac.NewIndex(snap).ClusterAdmins().Is, ""
}
