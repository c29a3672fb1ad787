package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// SAHardenReport is `kubectl eksiam sa harden -o json|yaml`.
type SAHardenReport struct {
	metav1.TypeMeta `json:",inline"`
	// Scope: the namespaces audited.
	Namespaces []string `json:"namespaces"`
	// DryRun is none, client or server.
	DryRun string `json:"dryRun"`
	// Findings of the audit, before the changes below.
	Findings []HardenFinding `json:"findings"`
	// Changes planned (and, unless dryRun, made).
	Changes []HardenChange `json:"changes"`
	// KeepTokens are running pods that keep the token already mounted until they are
	// recreated; Overrides are pods whose own spec sets automountServiceAccountToken: true.
	KeepTokens []ObjectRef `json:"keepTokens"`
	Overrides  []ObjectRef `json:"overrides"`
	// Remaining counts the findings the changes do not fix.
	Remaining int `json:"remaining"`
	// Failed changes (an error for that object) and NotAttempted ones (the run stopped
	// when the API server stopped answering); see each change's result.
	Failed       int `json:"failed"`
	NotAttempted int `json:"notAttempted"`
	// Backup is the file holding the objects as they were before the changes.
	Backup   string    `json:"backup,omitempty"`
	Complete bool      `json:"complete"`
	Warnings []Warning `json:"warnings"`
}

// HardenFinding is one audit result.
type HardenFinding struct {
	Check     string `json:"check"`
	Benchmark string `json:"benchmark"`
	// Severity is high (fails the benchmark) or medium.
	Severity  Severity  `json:"severity"`
	Namespace string    `json:"namespace,omitempty"`
	Object    ObjectRef `json:"object"`
	Message   string    `json:"message"`
	Grants    []string  `json:"grants"`
	Fix       string    `json:"fix"`
	Fixable   bool      `json:"fixable"`
}

// HardenChange is one change to one object.
type HardenChange struct {
	Object ObjectRef `json:"object"`
	// Action is disable-automount or remove-subjects.
	Action string `json:"action"`
	// Subjects removed, for remove-subjects.
	Subjects []SubjectRef `json:"subjects"`
	// Result is patched, updated, unchanged or the error (with dryRun, what would happen).
	Result string `json:"result"`
}

// DeepCopyObject implements runtime.Object.
func (r *SAHardenReport) DeepCopyObject() runtime.Object { return deepCopy(r) }
