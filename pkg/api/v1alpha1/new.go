package v1alpha1

// Constructors: every report starts with its kind stamped, complete, and every list
// empty rather than nil, so that JSON readers always find [] (never null).

// NewWhoCanReport starts a who-can answer to q.
func NewWhoCanReport(q WhoCanQuery) *WhoCanReport {
	r := &WhoCanReport{Query: q, Complete: true, Subjects: []Subject{}, IAMPrincipals: []IAMPrincipal{}, Findings: []IAMFinding{}, Warnings: []Warning{}}
	SetKind(r, "WhoCanReport")
	return r
}

// NewSubject is a subject with empty lists.
func NewSubject(kind, name, namespace string) Subject {
	return Subject{Kind: kind, Name: name, Namespace: namespace, Namespaces: []string{}, Grants: []Grant{}, IAMPrincipals: []string{}}
}

// NewAccessReport starts an `access ARN` answer.
func NewAccessReport() *AccessReport {
	r := &AccessReport{Complete: true, Groups: []string{}, Others: []IAMPrincipal{}, RBACRules: []AccessRule{}, PolicyRules: []AccessRule{}, Findings: []IAMFinding{}, Warnings: []Warning{}}
	SetKind(r, "AccessReport")
	return r
}

// NewAnonReport starts an `anon revoke` report.
func NewAnonReport(dryRun string) *AnonReport {
	r := &AnonReport{DryRun: dryRun, Bindings: []AnonBinding{}, Verification: []AnonProbe{}, Complete: true, Warnings: []Warning{}}
	SetKind(r, "AnonReport")
	return r
}

// NewSAHardenReport starts an `sa harden` report.
func NewSAHardenReport(dryRun string) *SAHardenReport {
	r := &SAHardenReport{Namespaces: []string{}, DryRun: dryRun, Findings: []HardenFinding{}, Changes: []HardenChange{},
		KeepTokens: []ObjectRef{}, Overrides: []ObjectRef{}, Complete: true, Warnings: []Warning{}}
	SetKind(r, "SAHardenReport")
	return r
}

// NewAWSAuthMappings starts an `aws-auth get` report.
func NewAWSAuthMappings(source string) *AWSAuthMappings {
	r := &AWSAuthMappings{Source: source, Mappings: []AWSAuthMapping{}, Dropped: []AWSAuthFinding{}, Warnings: []Warning{}}
	SetKind(r, "AWSAuthMappings")
	return r
}

// NewAWSAuthValidation starts an `aws-auth validate` report.
func NewAWSAuthValidation(source string) *AWSAuthValidation {
	r := &AWSAuthValidation{Source: source, Findings: []AWSAuthFinding{}}
	SetKind(r, "AWSAuthValidation")
	return r
}

// NewAWSAuthDiff starts an `aws-auth diff` report.
func NewAWSAuthDiff(from, to string) *AWSAuthDiff {
	r := &AWSAuthDiff{From: from, To: to, Changes: []AWSAuthChange{}, FromShadowed: []AWSAuthMapping{}, ToShadowed: []AWSAuthMapping{},
		FromIgnored: []AWSAuthFinding{}, ToIgnored: []AWSAuthFinding{}}
	SetKind(r, "AWSAuthDiff")
	return r
}

// NewVersionReport is `version -o json|yaml`.
func NewVersionReport() *VersionReport {
	r := &VersionReport{}
	SetKind(r, "Version")
	return r
}
