package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// AWSAuthMapping is one entry of aws-auth as the authenticator holds it.
type AWSAuthMapping struct {
	// Type is role, user or account.
	Type string `json:"type"`
	// ARN as written; the SSO pattern for an sso entry; the account ID for an account.
	ARN      string   `json:"arn"`
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
	// Key and Index locate the entry (mapRoles[2]).
	Key   string `json:"key"`
	Index int    `json:"index"`
	// Status is active, shadowed (a later entry for the same ARN wins), dead
	// (mapUsers, when mapRoles has the ARN) or ambiguous (case variants in mapUsers).
	Status string `json:"status"`
}

// AWSAuthMappings is `aws-auth get`.
type AWSAuthMappings struct {
	metav1.TypeMeta `json:",inline"`
	Source          string           `json:"source"`
	Mappings        []AWSAuthMapping `json:"mappings"`
	// Dropped are the entries and keys the authenticator does not keep (ERROR
	// findings AA06, AA07, AA09, AA11); see aws-auth validate.
	Dropped  []AWSAuthFinding `json:"dropped"`
	Warnings []Warning        `json:"warnings"`
}

// AWSAuthLocation is where a finding is.
type AWSAuthLocation struct {
	// Key is the data key ("" for the object itself).
	Key string `json:"key,omitempty"`
	// Entry is the index in the key's list, -1 for the key or object as a whole.
	Entry  int    `json:"entry"`
	Field  string `json:"field,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// AWSAuthFinding is one validation result.
type AWSAuthFinding struct {
	Rule string `json:"rule"`
	Name string `json:"name"`
	// Severity is high (the authenticator drops or rejects it, or it removes access the
	// cluster needs) or medium (it works, but is risky or against a best practice).
	Severity Severity        `json:"severity"`
	Location AWSAuthLocation `json:"location"`
	ARN      string          `json:"arn,omitempty"`
	Message  string          `json:"message"`
	Hint     string          `json:"hint,omitempty"`
}

// AWSAuthValidation is `aws-auth validate`.
type AWSAuthValidation struct {
	metav1.TypeMeta `json:",inline"`
	Source          string           `json:"source"`
	Errors          int              `json:"errors"`
	Warnings        int              `json:"warnings"`
	Findings        []AWSAuthFinding `json:"findings"`
}

// AWSAuthChange is one difference in what the authenticator maps.
type AWSAuthChange struct {
	// Change is Added, Removed or Changed.
	Change string          `json:"change"`
	Type   string          `json:"type"`
	ARN    string          `json:"arn"`
	Old    *AWSAuthMapping `json:"old,omitempty"`
	New    *AWSAuthMapping `json:"new,omitempty"`
	// Fields that differ for Changed: username, groups, sso.
	Fields []string `json:"fields"`
}

// AWSAuthDiff is `aws-auth diff`.
type AWSAuthDiff struct {
	metav1.TypeMeta `json:",inline"`
	From            string          `json:"from"`
	To              string          `json:"to"`
	Same            bool            `json:"same"`
	Changes         []AWSAuthChange `json:"changes"`
	// Shadowed entries take no effect on their side; Ignored are keys, fields and
	// entries the authenticator does not read or drops.
	FromShadowed []AWSAuthMapping `json:"fromShadowed"`
	ToShadowed   []AWSAuthMapping `json:"toShadowed"`
	FromIgnored  []AWSAuthFinding `json:"fromIgnored"`
	ToIgnored    []AWSAuthFinding `json:"toIgnored"`
}

// DeepCopyObject implements runtime.Object.
func (r *AWSAuthMappings) DeepCopyObject() runtime.Object { return deepCopy(r) }

// DeepCopyObject implements runtime.Object.
func (r *AWSAuthValidation) DeepCopyObject() runtime.Object { return deepCopy(r) }

// DeepCopyObject implements runtime.Object.
func (r *AWSAuthDiff) DeepCopyObject() runtime.Object { return deepCopy(r) }
