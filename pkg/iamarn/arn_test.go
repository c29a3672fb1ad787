package iamarn

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	const acct = "111122223333"
	tests := []struct {
		name string
		in   string
		// want: the parts; Raw is always the input.
		want ARN
		// malformed: a substring of Malformed, "" for a well-formed ARN.
		malformed    string
		pathStripped string
	}{
		{name: "role", in: "arn:aws:iam::111122223333:role/Admin",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role, Name: "Admin"}, pathStripped: "arn:aws:iam::111122223333:role/Admin"},
		{name: "role with path", in: "arn:aws:iam::111122223333:role/teams/dev/Developer",
			want:         ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role, Path: "/teams/dev/", Name: "Developer"},
			pathStripped: "arn:aws:iam::111122223333:role/Developer"},
		{name: "role with one-level path", in: "arn:aws:iam::111122223333:role/service-role/eks",
			want:         ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role, Path: "/service-role/", Name: "eks"},
			pathStripped: "arn:aws:iam::111122223333:role/eks"},
		{name: "SSO reserved path", in: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role, Path: "/aws-reserved/sso.amazonaws.com/eu-west-1/",
				Name: "AWSReservedSSO_AdministratorAccess_0123456789abcdef"},
			pathStripped: "arn:aws:iam::111122223333:role/AWSReservedSSO_AdministratorAccess_0123456789abcdef"},
		{name: "SSO reserved path without region", in: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_abc",
			want:         ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role, Path: "/aws-reserved/sso.amazonaws.com/", Name: "AWSReservedSSO_ReadOnly_abc"},
			pathStripped: "arn:aws:iam::111122223333:role/AWSReservedSSO_ReadOnly_abc"},
		{name: "user", in: "arn:aws:iam::111122223333:user/alice",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: User, Name: "alice"}},
		{name: "user with path", in: "arn:aws:iam::111122223333:user/ops/bob",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: User, Path: "/ops/", Name: "bob"}},
		{name: "user name with IAM punctuation", in: "arn:aws:iam::111122223333:user/a.b+c=d,e@f_g-h",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: User, Name: "a.b+c=d,e@f_g-h"}},
		{name: "root", in: "arn:aws:iam::111122223333:root",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Root}},
		{name: "assumed-role", in: "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com",
			want: ARN{Partition: "aws", Service: "sts", Account: acct, Kind: AssumedRole, Name: "Admin/alice@example.com"}},
		{name: "federated-user", in: "arn:aws:sts::111122223333:federated-user/bob",
			want: ARN{Partition: "aws", Service: "sts", Account: acct, Kind: FederatedUser, Name: "bob"}},
		{name: "instance-profile", in: "arn:aws:iam::111122223333:instance-profile/eks-node",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: InstanceProfile, Name: "eks-node"}},
		{name: "aws-cn", in: "arn:aws-cn:iam::111122223333:role/x", want: ARN{Partition: "aws-cn", Service: "iam", Account: acct, Kind: Role, Name: "x"}},
		{name: "aws-us-gov", in: "arn:aws-us-gov:iam::111122223333:role/x", want: ARN{Partition: "aws-us-gov", Service: "iam", Account: acct, Kind: Role, Name: "x"}},
		{name: "aws-iso-b", in: "arn:aws-iso-b:iam::111122223333:role/x", want: ARN{Partition: "aws-iso-b", Service: "iam", Account: acct, Kind: Role, Name: "x"}},
		{name: "aws-eusc", in: "arn:aws-eusc:iam::111122223333:role/x", want: ARN{Partition: "aws-eusc", Service: "iam", Account: acct, Kind: Role, Name: "x"}},
		{name: "leading-zero account", in: "arn:aws:iam::012345678901:role/x", want: ARN{Partition: "aws", Service: "iam", Account: "012345678901", Kind: Role, Name: "x"}},

		// Malformed.
		{name: "unknown partition", in: "arn:aws-foo:iam::111122223333:role/x",
			want: ARN{Partition: "aws-foo", Service: "iam", Account: acct, Kind: Role, Name: "x"}, malformed: `unknown partition "aws-foo"`},
		{name: "upper-case partition", in: "arn:AWS:iam::111122223333:role/x",
			want: ARN{Partition: "AWS", Service: "iam", Account: acct, Kind: Role, Name: "x"}, malformed: "unknown partition"},
		{name: "GovCloud typo from the SSO docs", in: "arn:aws-us-govt:iam::111122223333:role/x",
			want: ARN{Partition: "aws-us-govt", Service: "iam", Account: acct, Kind: Role, Name: "x"}, malformed: "unknown partition"},
		{name: "empty partition", in: "arn::iam::111122223333:role/x",
			want: ARN{Service: "iam", Account: acct, Kind: Role, Name: "x"}, malformed: "unknown partition"},
		{name: "11-digit account", in: "arn:aws:iam::11112222333:role/x",
			want: ARN{Partition: "aws", Service: "iam", Account: "11112222333", Kind: Role, Name: "x"}, malformed: `account "11112222333", which is not 12 digits`},
		{name: "13-digit account", in: "arn:aws:iam::1111222233334:user/x",
			want: ARN{Partition: "aws", Service: "iam", Account: "1111222233334", Kind: User, Name: "x"}, malformed: "not 12 digits"},
		{name: "no account", in: "arn:aws:iam:::role/x",
			want: ARN{Partition: "aws", Service: "iam", Kind: Role, Name: "x"}, malformed: "not 12 digits"},
		{name: "region", in: "arn:aws:iam:us-east-1:111122223333:role/x",
			want: ARN{Partition: "aws", Service: "iam", Region: "us-east-1", Account: acct, Kind: Role, Name: "x"}, malformed: "has a region"},
		{name: "other service", in: "arn:aws:s3:::bucket",
			want: ARN{Partition: "aws", Service: "s3", Kind: Other}, malformed: `service "s3"`},
		{name: "group", in: "arn:aws:iam::111122223333:group/devs",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Other}, malformed: `resource "group/devs"`},
		{name: "Role in capitals", in: "arn:aws:iam::111122223333:Role/x",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Other}, malformed: "neither role"},
		{name: "role without name", in: "arn:aws:iam::111122223333:role/",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role}, malformed: "IAM does not allow"},
		{name: "role without slash", in: "arn:aws:iam::111122223333:role",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role}, malformed: "IAM does not allow"},
		{name: "space in name", in: "arn:aws:iam::111122223333:role/with space",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role, Name: "with space"}, malformed: `role name "with space"`},
		{name: "colon in name", in: "arn:aws:iam::111122223333:role/a:b",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role, Name: "a:b"}, malformed: "IAM does not allow"},
		{name: "name too long", in: "arn:aws:iam::111122223333:role/" + strings.Repeat("x", 129),
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role, Name: strings.Repeat("x", 129)}, malformed: "IAM does not allow"},
		{name: "not an ARN", in: "Admin", want: ARN{Kind: Other}, malformed: "is not of the form"},
		{name: "empty", in: "", want: ARN{Kind: Other}, malformed: "is not of the form"},
		{name: "five sections", in: "arn:aws:iam::111122223333", want: ARN{Kind: Other}, malformed: "is not of the form"},
		{name: "ARN in capitals", in: "ARN:aws:iam::111122223333:role/x", want: ARN{Kind: Other}, malformed: "is not of the form"},

		// White space and characters that look like others.
		{name: "leading space", in: " arn:aws:iam::111122223333:role/x",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role, Name: "x"}, malformed: "leading or trailing white space"},
		{name: "trailing space", in: "arn:aws:iam::111122223333:role/x ",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role, Name: "x"}, malformed: "leading or trailing white space"},
		{name: "trailing tab", in: "arn:aws:iam::111122223333:user/x\t",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: User, Name: "x"}, malformed: "white space"},
		{name: "trailing newline", in: "arn:aws:iam::111122223333:user/x\n",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: User, Name: "x"}, malformed: "white space"},
		{name: "trailing no-break space", in: "arn:aws:iam::111122223333:user/x\u00a0",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: User, Name: "x"}, malformed: "white space"},
		{name: "zero-width space", in: "arn:aws:iam::111122223333:role/Ad\u200bmin",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role, Name: "Ad\u200bmin"}, malformed: "U+200B"},
		{name: "trailing zero-width space", in: "arn:aws:iam::111122223333:role/Admin\u200b",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role, Name: "Admin\u200b"}, malformed: "U+200B"},
		{name: "byte-order mark", in: "\ufeffarn:aws:iam::111122223333:role/Admin",
			want: ARN{Kind: Other}, malformed: "U+FEFF"},
		{name: "Cyrillic A", in: "arn:aws:iam::111122223333:role/\u0410dmin",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role, Name: "\u0410dmin"}, malformed: "U+0410"},
		{name: "Kelvin sign", in: "arn:aws:iam::111122223333:user/\u212aate",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: User, Name: "\u212aate"}, malformed: "U+212A"},
		{name: "full-width digit in account", in: "arn:aws:iam::11112222333\uff13:role/x",
			want: ARN{Partition: "aws", Service: "iam", Account: "11112222333\uff13", Kind: Role, Name: "x"}, malformed: "U+FF13"},
		{name: "control character", in: "arn:aws:iam::111122223333:role/a\x01b",
			want: ARN{Partition: "aws", Service: "iam", Account: acct, Kind: Role, Name: "a\x01b"}, malformed: "U+0001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse(tt.in)
			want := tt.want
			want.Raw = tt.in
			want.Malformed = got.Malformed // checked below
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, d)
			}
			switch {
			case tt.malformed == "" && got.Malformed != "":
				t.Errorf("Parse(%q).Malformed = %q, want well-formed", tt.in, got.Malformed)
			case tt.malformed != "" && !strings.Contains(got.Malformed, tt.malformed):
				t.Errorf("Parse(%q).Malformed = %q, want it to contain %q", tt.in, got.Malformed, tt.malformed)
			}
			if tt.pathStripped != "" {
				if ps := got.PathStripped(); ps != tt.pathStripped {
					t.Errorf("PathStripped() = %q, want %q", ps, tt.pathStripped)
				}
			}
		})
	}
}

func TestCanonicalCaller(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
		why     string
	}{
		{in: "arn:aws:sts::111122223333:assumed-role/Admin/alice", want: "arn:aws:iam::111122223333:role/Admin"},
		{in: "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com", want: "arn:aws:iam::111122223333:role/Admin"},
		{in: "arn:aws:sts::111122223333:assumed-role/Admin/i-0123456789abcdef0", want: "arn:aws:iam::111122223333:role/Admin"},
		{in: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice@example.com",
			want: "arn:aws:iam::111122223333:role/AWSReservedSSO_AdministratorAccess_0123456789abcdef", why: "an SSO session carries no path"},
		{in: "arn:aws:sts::111122223333:assumed-role/a/b/session", want: "arn:aws:iam::111122223333:role/a/b",
			why: "Canonicalize joins everything between assumed-role/ and the last /"},
		{in: "arn:aws:sts::111122223333:assumed-role/Admin/", want: "arn:aws:iam::111122223333:role/Admin", why: "an empty session name"},
		{in: "arn:aws-cn:sts::111122223333:assumed-role/Admin/s", want: "arn:aws-cn:iam::111122223333:role/Admin"},
		{in: "arn:aws-us-gov:sts::111122223333:assumed-role/Admin/s", want: "arn:aws-us-gov:iam::111122223333:role/Admin"},
		{in: "arn:aws:sts:us-east-1:111122223333:assumed-role/Admin/s", want: "arn:aws:iam::111122223333:role/Admin", why: "a regional STS ARN"},
		{in: "arn:aws:iam::111122223333:user/alice", want: "arn:aws:iam::111122223333:user/alice"},
		{in: "arn:aws:iam::111122223333:user/ops/bob", want: "arn:aws:iam::111122223333:user/ops/bob", why: "user paths stay"},
		{in: "arn:aws:iam::111122223333:root", want: "arn:aws:iam::111122223333:root"},
		{in: "arn:aws:sts::111122223333:federated-user/bob", want: "arn:aws:sts::111122223333:federated-user/bob"},
		{in: "arn:aws:iam::111122223333:role/Admin", want: "arn:aws:iam::111122223333:role/Admin"},
		{in: "arn:aws:iam::111122223333:role/teams/Admin", want: "arn:aws:iam::111122223333:role/teams/Admin"},

		{in: "arn:aws:sts::111122223333:assumed-role/Admin", wantErr: true, why: "no session name"},
		{in: "arn:aws:iam::111122223333:instance-profile/eks", wantErr: true},
		{in: "arn:aws:iam::111122223333:group/devs", wantErr: true},
		{in: "arn:aws:s3:::bucket", wantErr: true},
		{in: "arn:aws:sts::111122223333:user/bob", wantErr: true},
		{in: "arn:aws:iam::111122223333:assumed-role/Admin/s", wantErr: true, why: "assumed-role is an sts resource"},
		{in: "Admin", wantErr: true},
		{in: "", wantErr: true},
		// §4: "anything else, or an unknown partition → error, so the token is rejected".
		{in: "arn:aws-foo:sts::111122223333:assumed-role/Admin/s", wantErr: true, why: "unknown partition (§4; arn.Canonicalize checkPartition)"},
		{in: "arn:aws-foo:iam::111122223333:user/alice", wantErr: true, why: "unknown partition (§4; arn.Canonicalize checkPartition)"},
		{in: "arn:AWS:iam::111122223333:root", wantErr: true, why: "partitions are lower case (§4; arn.Canonicalize checkPartition)"},
		{in: " arn:aws:iam::111122223333:user/alice", wantErr: true, why: "leading space: arn.Canonicalize's aws-sdk arn.Parse needs the arn: prefix"},
		{in: "\u200barn:aws:iam::111122223333:user/alice", wantErr: true},
		{in: "arn:aws:iam::111122223333:root ", wantErr: true, why: `trailing space: arn.Canonicalize sees the resource "root ", which it does not know`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := CanonicalCaller(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Errorf("CanonicalCaller(%q) = %q, want an error (%s)", tt.in, got, tt.why)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("CanonicalCaller(%q) = %q, %v; want %q (%s)", tt.in, got, err, tt.want, tt.why)
			}
		})
	}
}

// ExampleARN_PathStripped: the form of a role ARN that can match a session.
func ExampleARN_PathStripped() {
	a := Parse("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123abcd")
	fmt.Println(a.Kind, a.Path)
	fmt.Println(a.PathStripped())
	// Output:
	// role /aws-reserved/sso.amazonaws.com/eu-west-1/
	// arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123abcd
}
