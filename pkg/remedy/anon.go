package remedy

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/anon"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// RevokeAnonymous takes the anonymous subjects out of each binding found (deleting a
// binding left empty, unless it is a bootstrap default), re-planning from the live
// binding on every attempt. It sets each binding's Result in r and returns how many
// failed; it goes on after a failure, so that the report says what was done.
func RevokeAnonymous(ctx context.Context, c kube.Interface, findings []anon.Finding, r *v1alpha1.AnonReport, o Options) (failed int) {
	for i := range findings {
		f := &findings[i]
		change := func(subjects []rbacv1.Subject, annotations map[string]string) (BindingEdit, error) {
			subs, ann, del, changed := anon.Revoke(f, subjects, annotations)
			return BindingEdit{Subjects: subs, Annotations: ann, Delete: del, Changed: changed}, nil
		}
		ref := BindingRef{Kind: f.Binding.Kind, Namespace: f.Binding.Namespace, Name: f.Binding.Name}
		changed, deleted, err := BindingSubjects(ctx, c, ref, change, true, o)
		switch {
		case err != nil:
			failed++
			r.Bindings[i].Result = "error: " + cmdutil.Message(err)
		case deleted:
			r.Bindings[i].Result = "deleted" + o.DryRun.Suffix()
		case changed:
			r.Bindings[i].Result = "updated" + o.DryRun.Suffix()
		default:
			r.Bindings[i].Result = "unchanged"
		}
	}
	return failed
}

// VerifyOptions bound the verification.
type VerifyOptions struct {
	// IncludePublicInfoViewer: the public-info-viewer binding was revoked too.
	IncludePublicInfoViewer bool
	// Timeout bounds how long an allowed answer is asked again, while the RBAC
	// authorizer's cache catches up with the change.
	Timeout time.Duration
}

// VerifyAnonymous asks SubjectAccessReview, as an anonymous caller, for a request
// through each revoked rule, and records the answers in r. An answer still allowed
// is explained from the RBAC objects read again.
func VerifyAnonymous(ctx context.Context, c kube.Interface, findings []anon.Finding, r *v1alpha1.AnonReport, o VerifyOptions) {
	after, err := source.ReadRBAC(ctx, c.RbacV1(), source.RBACScope{Namespaced: true})
	if err != nil {
		r.Warnings = append(r.Warnings, v1alpha1.Warning{Reason: "VerificationIncomplete", Message: "cannot explain the verification: " + cmdutil.Message(err)})
	}
	var ix *rbac.Index
	if after != nil {
		ix = rbac.NewIndex(after)
	}
	for i := range findings {
		f := &findings[i]
		for _, p := range anon.Probes(f) {
			var via []string
			if ix != nil {
				via = stillGranted(ix, p.Attributes)
			}
			reason := strings.Join(via, ", ")
			// Access kept on purpose: the bootstrap public-info-viewer binding.
			kept := len(via) > 0 && !o.IncludePublicInfoViewer && !slices.ContainsFunc(via, func(b string) bool {
				return b != "ClusterRoleBinding/"+anon.PublicInfoViewer
			})
			var allowed bool
			ask := func(ctx context.Context) (bool, error) {
				var err error
				allowed, err = askAnonymous(ctx, c, p)
				// Done unless still allowed with no binding to explain it: the
				// authorizer's cache may not have seen the change yet.
				return err != nil || !allowed || reason != "", err
			}
			err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, o.Timeout, true, ask)
			if wait.Interrupted(err) && ctx.Err() == nil {
				err = nil // still allowed when the time was up: reported as such
			}
			probe := v1alpha1.AnonProbe{Request: p.Description, Binding: v1alpha1.ObjectRef{Kind: f.Binding.Kind, Namespace: f.Binding.Namespace, Name: f.Binding.Name}, Allowed: allowed}
			switch {
			case err != nil:
				probe.Reason = "SubjectAccessReview failed: " + cmdutil.Message(err)
				probe.Allowed = true // unknown: never report it as denied
			case allowed && kept:
				probe.Kept = true
				probe.Reason = "still allowed by " + reason + ", which is kept (--include-public-info-viewer removes it)"
			case allowed && reason != "":
				probe.Reason = "still allowed by " + reason
			case allowed:
				probe.Reason = "still allowed, by no RBAC binding: another authorizer allows it"
			}
			r.Verification = append(r.Verification, probe)
		}
	}
}

func askAnonymous(ctx context.Context, c kube.Interface, p anon.Probe) (bool, error) {
	sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{User: rbac.AnonymousUser, Groups: []string{rbac.UnauthenticatedGroup}}}
	if p.Path != "" {
		sar.Spec.NonResourceAttributes = &authzv1.NonResourceAttributes{Verb: p.Verb, Path: p.Path}
	} else {
		sar.Spec.ResourceAttributes = &authzv1.ResourceAttributes{Namespace: p.Namespace, Verb: p.Verb, Group: p.APIGroup,
			Resource: p.Resource, Subresource: p.Subresource, Name: p.Name}
	}
	res, err := c.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return res.Status.Allowed, nil
}

// stillGranted names the bindings that still give an anonymous caller the request.
func stillGranted(ix *rbac.Index, a rbac.Attributes) []string {
	q := rbac.Query{Attributes: a}
	var via []string
	for _, s := range ix.WhoCan(q).Subjects {
		if (s.Subject.Kind == "User" && s.Subject.Name == rbac.AnonymousUser) || (s.Subject.Kind == "Group" && s.Subject.Name == rbac.UnauthenticatedGroup) {
			for _, g := range s.Grants {
				via = append(via, g.Binding.String())
			}
		}
	}
	slices.Sort(via)
	return slices.Compact(via)
}

// AnonymousAuth asks GET /version without credentials: whether the API server
// authenticates anonymous requests at all.
func AnonymousAuth(ctx context.Context, config *rest.Config) *v1alpha1.AnonymousAuth {
	a := &v1alpha1.AnonymousAuth{Request: "GET /version without credentials"}
	cfg := rest.AnonymousClientConfig(config)
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		a.Message = "cannot build an anonymous client: " + err.Error()
		return a
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(cfg.Host, "/")+"/version", nil)
	if err != nil {
		a.Message = err.Error()
		return a
	}
	resp, err := client.Do(req)
	if err != nil {
		a.Message = "no answer: " + err.Error()
		return a
	}
	resp.Body.Close()
	a.StatusCode = resp.StatusCode
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		a.Message = "refused (401): the API server does not authenticate anonymous requests"
	case http.StatusForbidden:
		a.Enabled = true
		a.Message = "authenticated as system:anonymous but forbidden (403): anonymous requests reach RBAC"
	case http.StatusOK:
		a.Enabled = true
		a.Message = "answered (200): anonymous requests are authenticated as system:anonymous"
	default:
		a.Message = fmt.Sprintf("answered with status %d", resp.StatusCode)
	}
	return a
}
