// Package iamarn is the one place that knows IAM ARNs as EKS and its authenticator see
// them: parsing and checking (Parse), the canonical form a caller is matched by
// (CanonicalCaller), the partitions, the key every comparison of principals uses
// (Key), and what the other packages share about them (the username template tokens,
// the account id form). system:masters is rbac.SuperuserGroup. It is at the bottom: it imports no
// package of this module.
package iamarn

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	awsarn "github.com/aws/aws-sdk-go-v2/aws/arn"
)

// ARN kinds.
const (
	Role            = "role"
	User            = "user"
	Root            = "root"
	AssumedRole     = "assumed-role"
	FederatedUser   = "federated-user"
	InstanceProfile = "instance-profile"
	Other           = "other"
)

// Partitions are the AWS partitions the authenticator accepts.
func Partitions() []string {
	return []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
}

// IsAccountID reports whether s is an AWS account id: 12 digits.
func IsAccountID(s string) bool { return twelveDigits.MatchString(s) }

// KnownTokens are the username and group templates the authenticator renders (any
// other {{...}} passes through literally).
func KnownTokens() []string {
	return []string{"{{AccountID}}", "{{SessionName}}", "{{SessionNameRaw}}", "{{EC2PrivateDNSName}}", "{{AccessKeyID}}"}
}

// RenderedTokens finds the known template tokens in s, as [start, end) pairs: the
// parts of a username that the authenticator replaces per request.
func RenderedTokens(s string) [][]int { return knownToken.FindAllStringIndex(s, -1) }

// TemplateTokens finds what looks like a username template token ({{SessionName}},
// and malformed ones such as {{ SessionName }}) in s, as [start, end) pairs.
func TemplateTokens(s string) [][]int { return templateToken.FindAllStringIndex(s, -1) }

// Key is the one key principals are compared by, for matching and for diffs, equal
// for two ARNs exactly when EKS takes them for the same principal: compared as the
// authenticator compares (Unicode case folding, FoldKey), and a role without its path
// (a session's canonical ARN carries none).
func Key(s string) string {
	a := Parse(s)
	if a.Malformed == "" && a.Kind == Role {
		return FoldKey(a.PathStripped())
	}
	return FoldKey(s)
}

// FoldKey returns a key equal for two strings exactly when strings.EqualFold (how the
// authenticator compares ARNs) says they are equal: every rune is replaced by the
// smallest rune of its Unicode simple-folding orbit (so K, k and the Kelvin sign, or s
// and the long s, give the same key).
func FoldKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		b.WriteRune(min)
	}
	return b.String()
}

// ARN is an ARN split into its parts, with what is wrong with it for aws-auth.
type ARN struct {
	Raw       string
	Partition string
	Service   string
	Region    string
	Account   string
	// Kind is role, user, root, assumed-role, federated-user, instance-profile or other.
	Kind string
	// Path of a role or user ("" or "/a/b/"), Name the last part.
	Path string
	Name string
	// Malformed says why the ARN is not a well-formed IAM ARN, or "".
	Malformed string
}

var (
	twelveDigits  = regexp.MustCompile(`^[0-9]{12}$`)
	iamName       = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	templateToken = regexp.MustCompile(`\{\{[^{}]*\}\}`)
	knownToken    = regexp.MustCompile(`\{\{(AccountID|SessionName|SessionNameRaw|EC2PrivateDNSName|AccessKeyID)\}\}`)
)

// Parse splits an ARN and checks it the way aws-auth needs: arn:<partition>:iam::
// <12 digits>:(role|user)/[path/]<name>, or :root, with a known partition, no
// surrounding white space and no control, invisible or non-ASCII characters.
func Parse(s string) ARN {
	a := ARN{Raw: s, Kind: Other}
	if s != strings.TrimSpace(s) {
		a.Malformed = "has leading or trailing white space"
	} else if r, ok := OddRune(s); ok {
		a.Malformed = fmt.Sprintf("contains the character %U, which is invisible, a control character or not ASCII (IAM ARNs are plain ASCII; the authenticator compares with Unicode case folding, so it matches nothing or an ARN that looks different)", r)
	}
	parts := strings.SplitN(strings.TrimSpace(s), ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		if a.Malformed == "" {
			a.Malformed = "is not of the form arn:<partition>:iam::<account>:<resource>"
		}
		return a
	}
	a.Partition, a.Service, a.Region, a.Account = parts[1], parts[2], parts[3], parts[4]
	resource := parts[5]
	kind, rest, _ := strings.Cut(resource, "/")
	switch {
	case a.Service == "iam" && resource == "root":
		a.Kind = Root
	case a.Service == "iam" && (kind == "role" || kind == "user"):
		a.Kind = kind
		if i := strings.LastIndex(rest, "/"); i >= 0 {
			a.Path, a.Name = "/"+rest[:i+1], rest[i+1:]
		} else {
			a.Name = rest
		}
	case a.Service == "iam" && kind == "instance-profile":
		a.Kind = InstanceProfile
		a.Name = rest
	case a.Service == "sts" && kind == "assumed-role":
		a.Kind = AssumedRole
		a.Name = rest
	case a.Service == "sts" && kind == "federated-user":
		a.Kind = FederatedUser
		a.Name = rest
	}
	if a.Malformed != "" {
		return a
	}
	switch {
	case !slices.Contains(Partitions(), a.Partition):
		a.Malformed = fmt.Sprintf("has unknown partition %q", a.Partition)
	case a.Service != "iam" && a.Service != "sts":
		a.Malformed = fmt.Sprintf("is an ARN of service %q, not IAM", a.Service)
	case a.Region != "":
		a.Malformed = "has a region; IAM ARNs have none"
	case !twelveDigits.MatchString(a.Account):
		a.Malformed = fmt.Sprintf("has account %q, which is not 12 digits", a.Account)
	case a.Kind == Other:
		a.Malformed = fmt.Sprintf("names resource %q, which is neither role/<name>, user/<name> nor root", resource)
	case (a.Kind == Role || a.Kind == User) && !iamName.MatchString(a.Name):
		a.Malformed = fmt.Sprintf("has %s name %q, which IAM does not allow", a.Kind, a.Name)
	}
	return a
}

// OddRune finds a character that has no business in an ARN, a user name or a group:
// control characters, invisible format characters (zero-width space, BOM...) and,
// for confusables, anything outside printable ASCII.
func OddRune(s string) (rune, bool) {
	for _, r := range s {
		if r > unicode.MaxASCII || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return r, true
		}
	}
	return 0, false
}

// PathStripped returns a role ARN without its path: the form a session's canonical
// ARN takes, and so the only form of a mapRoles entry that can match.
func (a ARN) PathStripped() string {
	return fmt.Sprintf("arn:%s:iam::%s:%s/%s", a.Partition, a.Account, a.Kind, a.Name)
}

// CanonicalCaller turns the ARN a caller authenticates as (what STS
// GetCallerIdentity returns) into the canonical ARN the authenticator matches, as
// its arn.Canonicalize does: an assumed-role session becomes its role (the path is
// lost: only the role name is in a session ARN); users, roots and federated users
// stay as they are; anything else, or an unknown partition, is an error.
func CanonicalCaller(s string) (string, error) {
	parsed, err := awsarn.Parse(s)
	if err != nil {
		return "", fmt.Errorf("arn '%s' is invalid: '%v'", s, err)
	}
	if !slices.Contains(Partitions(), parsed.Partition) {
		return "", fmt.Errorf("arn '%s' does not have a recognized partition", s)
	}
	parts := strings.Split(parsed.Resource, "/")
	switch parsed.Service {
	case "sts":
		switch parts[0] {
		case "federated-user":
			return s, nil
		case "assumed-role":
			if len(parts) < 3 {
				return "", fmt.Errorf("assumed-role arn '%s' does not have a role", s)
			}
			return fmt.Sprintf("arn:%s:iam::%s:role/%s", parsed.Partition, parsed.AccountID, strings.Join(parts[1:len(parts)-1], "/")), nil
		}
		return "", fmt.Errorf("unrecognized resource %s for service sts", parsed.Resource)
	case "iam":
		switch parts[0] {
		case "role", "user", "root":
			return s, nil
		}
		return "", fmt.Errorf("unrecognized resource %s for service iam", parsed.Resource)
	}
	return "", fmt.Errorf("service %s in arn %s is not a valid service for identities", parsed.Service, s)
}
