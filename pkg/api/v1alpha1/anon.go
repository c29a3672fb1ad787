package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// AnonReport is `kubectl eksiam anon revoke -o json|yaml`.
type AnonReport struct {
	metav1.TypeMeta `json:",inline"`
	// DryRun is none, client, server or offline.
	DryRun string `json:"dryRun"`
	// Bindings that grant something to User system:anonymous or Group
	// system:unauthenticated, and what revoking does to each.
	Bindings []AnonBinding `json:"bindings"`
	// Verification, after a real revoke: SubjectAccessReview as system:anonymous
	// (group system:unauthenticated) for a request through each revoked rule.
	Verification []AnonProbe `json:"verification"`
	// AnonymousAuth says whether the API server answers unauthenticated requests:
	// the status of an unauthenticated GET /version (200: answered, 401: refused).
	AnonymousAuth *AnonymousAuth `json:"anonymousAuth,omitempty"`
	Backup        string         `json:"backup,omitempty"`
	Complete      bool           `json:"complete"`
	Warnings      []Warning      `json:"warnings"`
}

// AnonBinding is one binding with anonymous subjects.
type AnonBinding struct {
	Binding ObjectRef `json:"binding"`
	Role    ObjectRef `json:"role"`
	// Severity of the finding: high (anonymous callers reach what the binding grants).
	Severity Severity     `json:"severity"`
	Subjects []SubjectRef `json:"subjects"`
	// Grants are the rules of the role (in the binding's namespace, or cluster-wide).
	Grants []string `json:"grants"`
	// Bootstrap is set for bindings of the API server's RBAC bootstrap policy.
	Bootstrap bool `json:"bootstrap"`
	// Action: remove-subjects, delete, or remove-subjects-keep-empty (a bootstrap
	// binding, which the API server would re-create if deleted).
	Action string `json:"action"`
	// DisableAutoUpdate: the API server would re-add the subjects at its next start,
	// so rbac.authorization.kubernetes.io/autoupdate is set to "false" too.
	DisableAutoUpdate bool `json:"disableAutoUpdate"`
	// Result of the change: updated, deleted, unchanged, "... (dry run)" or "error: ...".
	Result string `json:"result"`
}

// AnonProbe is one verification request.
type AnonProbe struct {
	Request string    `json:"request"`
	Binding ObjectRef `json:"binding"`
	// Allowed is SubjectAccessReview's answer after the revoke.
	Allowed bool `json:"allowed"`
	// Reason explains an allowed answer (another binding that still grants it).
	Reason string `json:"reason,omitempty"`
	// Kept is set when only the bootstrap system:public-info-viewer binding, left
	// alone on purpose, still allows it.
	Kept bool `json:"kept"`
}

// AnonymousAuth is the answer to an unauthenticated request.
type AnonymousAuth struct {
	Request    string `json:"request"`
	StatusCode int    `json:"statusCode"`
	Enabled    bool   `json:"enabled"`
	Message    string `json:"message"`
}

// DeepCopyObject implements runtime.Object.
func (r *AnonReport) DeepCopyObject() runtime.Object { return deepCopy(r) }
