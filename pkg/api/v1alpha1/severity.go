package v1alpha1

// Severity of a finding: one vocabulary for every command that reports findings
// (aws-auth validate, sa harden, anon revoke, pod-identity, audit), so that CI can
// gate on it the same way everywhere (audit --fail-on).
type Severity string

const (
	// SeverityHigh: exploitable as it stands, or it breaks access the cluster needs
	// (the authenticator drops it, a lockout, a role any workload can assume).
	SeverityHigh Severity = "high"
	// SeverityMedium: it works, but against a best practice in a way an attacker or a
	// mistake can use.
	SeverityMedium Severity = "medium"
	// SeverityLow: hygiene; worth fixing, little risk as it stands.
	SeverityLow Severity = "low"
)

// Severities lists the severities from the most to the least severe.
func Severities() []Severity { return []Severity{SeverityHigh, SeverityMedium, SeverityLow} }

// AtLeast reports whether s is as severe as min or more.
func (s Severity) AtLeast(min Severity) bool { return s.rank() <= min.rank() }

func (s Severity) rank() int {
	switch s {
	case SeverityHigh:
		return 0
	case SeverityMedium:
		return 1
	case SeverityLow:
		return 2
	}
	return 3
}
