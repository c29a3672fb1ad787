// Package awsauth reads, validates, compares and edits the kube-system/aws-auth
// ConfigMap exactly as aws-iam-authenticator (what EKS runs) reads it. It is pure:
// strings in, values out, no clients and no I/O.
//
// The reference is ../shared/AWS-AUTH.md, which records the behaviour of
// sigs.k8s.io/aws-iam-authenticator v0.7.18 (pkg/mapper/configmap.ParseMap and the
// map store); the tests compare this package with that code on a generated corpus.
package awsauth

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	yamlv2 "gopkg.in/yaml.v2"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iamarn"
)

// The data keys the authenticator reads, case-sensitively.
const (
	KeyRoles    = "mapRoles"
	KeyUsers    = "mapUsers"
	KeyAccounts = "mapAccounts"
)

// Name and Namespace of the only ConfigMap the authenticator watches.
const (
	Name      = "aws-auth"
	Namespace = "kube-system"
)

// RoleMapping is one mapRoles entry as the authenticator decodes it (same JSON names;
// encoding/json matches them case-insensitively and ignores unknown fields).
type RoleMapping struct {
	RoleARN  string   `json:"rolearn,omitempty"`
	SSO      *SSO     `json:"sso,omitempty"`
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
	UserID   string   `json:"userid,omitempty"`
}

// UserMapping is one mapUsers entry as the authenticator decodes it.
type UserMapping struct {
	UserARN  string   `json:"userarn"`
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
	UserID   string   `json:"userid,omitempty"`
}

// SSO matches IAM Identity Center roles by permission set (alpha SSORoleMatch gate).
type SSO struct {
	PermissionSetName string `json:"permissionSetName"`
	AccountID         string `json:"accountID"`
	Partition         string `json:"partition,omitempty"`
}

var (
	permissionSetPattern = regexp.MustCompile(`^[\w+=,.@-]{1,32}$`)
)

// validate is RoleMapping.Validate: why the authenticator drops the entry, or "".
func (m *RoleMapping) validate() string {
	switch {
	case m.RoleARN == "" && m.SSO == nil:
		return "one of rolearn or SSO must be supplied"
	case m.RoleARN != "" && m.SSO != nil:
		return "only one of rolearn or SSO can be supplied"
	}
	if m.SSO != nil {
		if !iamarn.IsAccountID(m.SSO.AccountID) {
			return fmt.Sprintf("AccountID '%s' is not a valid AWS Account ID", m.SSO.AccountID)
		}
		if !permissionSetPattern.MatchString(m.SSO.PermissionSetName) {
			return fmt.Sprintf("PermissionSetName '%s' is not a valid AWS SSO PermissionSet Name", m.SSO.PermissionSetName)
		}
		if m.SSO.Partition != "" && !slices.Contains(iamarn.Partitions(), m.SSO.Partition) {
			return fmt.Sprintf("partition '%s' is not a valid AWS partition", m.SSO.Partition)
		}
	}
	return ""
}

// SSOPattern is the ARN pattern an SSO entry matches (SSOArnLike), including the
// authenticator's bug: an explicit partition, even "aws", gives "arn::iam::...",
// which never matches.
func (m *RoleMapping) SSOPattern() string {
	if m.SSO == nil {
		return ""
	}
	partition := ""
	if m.SSO.Partition == "" {
		partition = "aws"
	}
	return strings.ToLower(fmt.Sprintf("arn:%s:iam::%s:role/AWSReservedSSO_%s_*", partition, m.SSO.AccountID, m.SSO.PermissionSetName))
}

// Key is how the authenticator's store keys a role: the lower-cased ARN or the SSO pattern.
func (m *RoleMapping) Key() string {
	if m.RoleARN != "" {
		return strings.ToLower(m.RoleARN)
	}
	return m.SSOPattern()
}

func (m *UserMapping) validate() string {
	if m.UserARN == "" {
		return "value for userarn must be supplied"
	}
	return ""
}

// KeyError is a problem the authenticator reports while parsing one data key.
type KeyError struct {
	Key string
	// Entry is the index of the entry the error is about, or -1 for the whole key.
	Entry int
	// Dropped says what the error cost: the whole key, the entry, or nothing (a type
	// error keeps the partly filled entries).
	Dropped Dropped
	Message string
}

// Dropped says what a parse error removed from the authenticator's view.
type Dropped string

const (
	DroppedKey     Dropped = "key"
	DroppedEntry   Dropped = "entry"
	DroppedNothing Dropped = "nothing"
)

// Parsed is what the authenticator keeps from the ConfigMap's data, in input order,
// with the errors it reports. Entries are those that passed Validate; RoleIndex and
// UserIndex give each one's position in its list, counting dropped entries too.
type Parsed struct {
	// RoleCount and UserCount are the number of entries decoded, dropped ones included.
	RoleCount, UserCount int
	Roles                []RoleMapping
	RoleIndex            []int
	Users                []UserMapping
	UserIndex            []int
	Accounts             []string
	Errors               []KeyError
}

// isSkippable mirrors the authenticator: these values count as absent, silently.
func isSkippable(v string) bool {
	t := strings.TrimSpace(v)
	return t == "" || t == "``" || t == `""` || t == "''"
}

// IsSkippable reports whether the authenticator treats a data value as absent.
func IsSkippable(v string) bool { return isSkippable(v) }

// Parse reads data exactly as aws-iam-authenticator's ParseMap does: mapRoles and
// mapUsers through k8s.io/apimachinery's yaml.ToJSON and encoding/json (non-strict,
// case-insensitive field names, unknown fields ignored, the first type error
// reported but partly filled entries kept), then Validate per entry; mapAccounts
// through gopkg.in/yaml.v2 into strings. A syntax error drops the whole key; other
// keys are unaffected.
func Parse(data map[string]string) *Parsed {
	p := &Parsed{Roles: []RoleMapping{}, Users: []UserMapping{}, Accounts: []string{}}

	if v, ok := data[KeyUsers]; ok && !isSkippable(v) {
		var raw []UserMapping
		if decodeList(p, KeyUsers, v, &raw) {
			p.UserCount = len(raw)
			for i := range raw {
				if msg := raw[i].validate(); msg != "" {
					p.Errors = append(p.Errors, KeyError{Key: KeyUsers, Entry: i, Dropped: DroppedEntry, Message: msg})
					continue
				}
				p.Users = append(p.Users, raw[i])
				p.UserIndex = append(p.UserIndex, i)
			}
		}
	}
	if v, ok := data[KeyRoles]; ok && !isSkippable(v) {
		var raw []RoleMapping
		if decodeList(p, KeyRoles, v, &raw) {
			p.RoleCount = len(raw)
			for i := range raw {
				if msg := raw[i].validate(); msg != "" {
					p.Errors = append(p.Errors, KeyError{Key: KeyRoles, Entry: i, Dropped: DroppedEntry, Message: msg})
					continue
				}
				p.Roles = append(p.Roles, raw[i])
				p.RoleIndex = append(p.RoleIndex, i)
			}
		}
	}
	if v, ok := data[KeyAccounts]; ok && !isSkippable(v) {
		var accounts []string
		if err := yamlv2.Unmarshal([]byte(v), &accounts); err != nil {
			// yaml.v2 leaves the slice as far as it got; the authenticator keeps it.
			p.Errors = append(p.Errors, KeyError{Key: KeyAccounts, Entry: -1, Dropped: droppedAccounts(accounts), Message: err.Error()})
		}
		if accounts != nil {
			p.Accounts = accounts
		}
	}
	return p
}

func droppedAccounts(kept []string) Dropped {
	if len(kept) == 0 {
		return DroppedKey
	}
	return DroppedNothing
}

// decodeList runs the authenticator's pipeline for mapRoles/mapUsers. It returns
// false when nothing of the key survives (a YAML syntax error).
func decodeList[T any](p *Parsed, key, v string, out *[]T) bool {
	js, err := utilyaml.ToJSON([]byte(v))
	if err != nil {
		p.Errors = append(p.Errors, KeyError{Key: key, Entry: -1, Dropped: DroppedKey, Message: err.Error()})
		return false
	}
	if err := json.Unmarshal(js, out); err != nil {
		dropped := DroppedNothing
		if len(*out) == 0 {
			dropped = DroppedKey
		}
		p.Errors = append(p.Errors, KeyError{Key: key, Entry: -1, Dropped: dropped, Message: err.Error()})
	}
	return true
}
