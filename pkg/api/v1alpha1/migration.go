package v1alpha1

// The plan of 'aws-auth migrate' (built by pkg/migrate).

// MigrationChange is one way an entry differs in meaning from its mapping.
type MigrationChange struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// MigrationEntry is the access entry planned for one mapping.
type MigrationEntry struct {
	// From locates the mapping ("aws-auth mapRoles[3]").
	From   string `json:"from"`
	Action string `json:"action"`
	AccessEntry
	Changes []MigrationChange `json:"changes"`
}

// MigrationBlocked is a mapping that cannot become an access entry as it is.
type MigrationBlocked struct {
	From   string `json:"from"`
	ARN    string `json:"arn"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// MigrationSkipped is a mapping that is not in effect, so there is nothing to move.
type MigrationSkipped struct {
	From   string `json:"from"`
	ARN    string `json:"arn"`
	Reason string `json:"reason"`
}

// MigrationPlan is the migration plan.
type MigrationPlan struct {
	// Mode is the cluster's authentication mode, "" when unknown.
	Mode    string             `json:"authenticationMode,omitempty"`
	Entries []MigrationEntry   `json:"entries"`
	Blocked []MigrationBlocked `json:"blocked"`
	Skipped []MigrationSkipped `json:"skipped"`
}
