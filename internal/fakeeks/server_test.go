package fakeeks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
)

const testAuth = "AWS4-HMAC-SHA256 Credential=" + AccessKeyID + "/20250102/eu-west-1/eks/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"

// get sends a raw GET, signed (in form: the fake does not check signatures) unless
// auth is "", and decodes the JSON body.
func get(t *testing.T, s *Server, path, auth string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: decoding the body: %v", path, err)
	}
	return resp.StatusCode, resp.Header, body
}

func TestServerWire(t *testing.T) {
	snap := Generate("prod", eks.ModeAPI, 5)
	off := false
	noCreator := Generate("no-creator", eks.ModeAPI, 1)
	noCreator.Cluster.BootstrapClusterCreatorAdminPermissions = &off
	legacy := Generate("legacy", eks.ModeConfigMap, 2)
	legacy.Managed = &eks.ManagedRoles{NodeGroups: []eks.NamedRole{{Name: "ng-1", RoleARN: "arn:aws:iam::111122223333:role/ng-role"}},
		FargateProfiles: []eks.NamedRole{{Name: "fp-1", RoleARN: "arn:aws:iam::111122223333:role/fp-role"}}}
	s := New(t, snap, noCreator, legacy)
	arn := snap.Entries[2].PrincipalARN // a role with a path: its '/' must arrive escaped
	esc := url.PathEscape(arn)

	tests := []struct {
		name, path, auth string
		status           int
		errType          string
		check            func(t *testing.T, body map[string]any)
	}{
		{"unsigned", "/clusters/prod", "", 403, "MissingAuthenticationTokenException", nil},
		{"describe cluster", "/clusters/prod", testAuth, 200, "", func(t *testing.T, b map[string]any) {
			ac := b["cluster"].(map[string]any)["accessConfig"].(map[string]any)
			if ac["authenticationMode"] != "API" || ac["bootstrapClusterCreatorAdminPermissions"] != true {
				t.Errorf("accessConfig %v, want API and EKS's default bootstrapClusterCreatorAdminPermissions true", ac)
			}
		}},
		{"describe cluster, creator admin turned off", "/clusters/no-creator", testAuth, 200, "", func(t *testing.T, b map[string]any) {
			if v := b["cluster"].(map[string]any)["accessConfig"].(map[string]any)["bootstrapClusterCreatorAdminPermissions"]; v != false {
				t.Errorf("bootstrapClusterCreatorAdminPermissions %v, want false as created", v)
			}
		}},
		// Managed node groups and Fargate profiles (point 6 of issue 14).
		{"list node groups", "/clusters/legacy/node-groups?maxResults=100", testAuth, 200, "", func(t *testing.T, b map[string]any) {
			if fmt.Sprint(b["nodegroups"]) != "[ng-1]" {
				t.Errorf("nodegroups %v", b["nodegroups"])
			}
		}},
		{"describe node group", "/clusters/legacy/node-groups/ng-1", testAuth, 200, "", func(t *testing.T, b map[string]any) {
			if r := b["nodegroup"].(map[string]any)["nodeRole"]; r != "arn:aws:iam::111122223333:role/ng-role" {
				t.Errorf("nodeRole %v", r)
			}
		}},
		{"unknown node group", "/clusters/legacy/node-groups/nope", testAuth, 404, "ResourceNotFoundException", nil},
		{"list Fargate profiles", "/clusters/legacy/fargate-profiles", testAuth, 200, "", func(t *testing.T, b map[string]any) {
			if fmt.Sprint(b["fargateProfileNames"]) != "[fp-1]" {
				t.Errorf("fargateProfileNames %v", b["fargateProfileNames"])
			}
		}},
		{"describe Fargate profile", "/clusters/legacy/fargate-profiles/fp-1", testAuth, 200, "", func(t *testing.T, b map[string]any) {
			if r := b["fargateProfile"].(map[string]any)["podExecutionRoleArn"]; r != "arn:aws:iam::111122223333:role/fp-role" {
				t.Errorf("podExecutionRoleArn %v", r)
			}
		}},
		{"no node groups", "/clusters/prod/node-groups", testAuth, 200, "", func(t *testing.T, b map[string]any) {
			if fmt.Sprint(b["nodegroups"]) != "[]" {
				t.Errorf("nodegroups %v", b["nodegroups"])
			}
		}},
		// EKS refuses the access entry calls in CONFIG_MAP mode.
		{"list entries in CONFIG_MAP mode", "/clusters/legacy/access-entries", testAuth, 400, "InvalidRequestException", nil},
		{"describe entry in CONFIG_MAP mode", "/clusters/legacy/access-entries/" + url.PathEscape("arn:aws:iam::111122223333:role/x"), testAuth, 400, "InvalidRequestException", nil},
		{"unknown cluster", "/clusters/nope/access-entries", testAuth, 404, "ResourceNotFoundException", nil},
		{"first page", "/clusters/prod/access-entries?maxResults=100", testAuth, 200, "", func(t *testing.T, b map[string]any) {
			if n := len(b["accessEntries"].([]any)); n != DefaultPageSize || b["nextToken"] == nil {
				t.Errorf("%d entries, nextToken %v; want a page of %d and a token", n, b["nextToken"], DefaultPageSize)
			}
		}},
		{"maxResults below the page size", "/clusters/prod/access-entries?maxResults=1", testAuth, 200, "", func(t *testing.T, b map[string]any) {
			if n := len(b["accessEntries"].([]any)); n != 1 {
				t.Errorf("%d entries, want 1", n)
			}
		}},
		{"maxResults out of range", "/clusters/prod/access-entries?maxResults=0", testAuth, 400, "InvalidParameterException", nil},
		{"forged token", "/clusters/prod/access-entries?nextToken=abc", testAuth, 400, "InvalidParameterException", nil},
		{"token of another listing", "/clusters/prod/access-entries?nextToken=" + makeToken(ListAssociatedAccessPolicies, "prod", arn, 2), testAuth, 400, "InvalidParameterException", nil},
		{"describe entry, escaped ARN", "/clusters/prod/access-entries/" + esc, testAuth, 200, "", func(t *testing.T, b map[string]any) {
			if p := b["accessEntry"].(map[string]any)["principalArn"]; p != arn {
				t.Errorf("principalArn %v, want %s", p, arn)
			}
		}},
		// Point 2 of issue 14: DescribeAccessEntry reports what EKS sets, not only what
		// was given: a node entry's username and kubernetesGroups ["system:nodes"], and
		// a STANDARD entry's generated username.
		{"describe node entry", "/clusters/prod/access-entries/" + url.PathEscape(snap.Entries[3].PrincipalARN), testAuth, 200, "", func(t *testing.T, b map[string]any) {
			ae := b["accessEntry"].(map[string]any)
			if ae["type"] != eks.TypeEC2Linux || ae["username"] != "system:node:{{EC2PrivateDNSName}}" || fmt.Sprint(ae["kubernetesGroups"]) != "[system:nodes]" {
				t.Errorf("EC2_LINUX entry: %v", ae)
			}
		}},
		{"describe entry with the default username", "/clusters/prod/access-entries/" + url.PathEscape(snap.Entries[0].PrincipalARN), testAuth, 200, "", func(t *testing.T, b map[string]any) {
			if u := b["accessEntry"].(map[string]any)["username"]; u != "arn:aws:sts::111122223333:assumed-role/role-000/{{SessionName}}" {
				t.Errorf("username %v, want the one EKS generates", u)
			}
		}},
		{"describe entry, unescaped ARN", "/clusters/prod/access-entries/" + arn, testAuth, 404, "UnknownOperationException", nil},
		{"unknown entry", "/clusters/prod/access-entries/" + url.PathEscape("arn:aws:iam::1:role/x"), testAuth, 404, "ResourceNotFoundException", nil},
		{"policies", "/clusters/prod/access-entries/" + esc + "/access-policies", testAuth, 200, "", func(t *testing.T, b map[string]any) {
			if n := len(b["associatedAccessPolicies"].([]any)); n != min(DefaultPageSize, len(snap.Entries[2].AccessPolicies)) {
				t.Errorf("%d policies", n)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := get(t, s, tt.path, tt.auth)
			if status != tt.status || h.Get("X-Amzn-Errortype") != tt.errType {
				t.Fatalf("status %d, x-amzn-errortype %q, body %v; want %d %q", status, h.Get("X-Amzn-Errortype"), body, tt.status, tt.errType)
			}
			if tt.errType != "" && body["message"] == "" {
				t.Errorf("error without a message: %v", body)
			}
			if tt.check != nil {
				tt.check(t, body)
			}
			t.Logf("%d %v", status, body)
		})
	}
	if r := s.Regions(); len(r) != 1 || r[0] != "eu-west-1" {
		t.Errorf("regions %v, want [eu-west-1] from the credential scope", r)
	}
	t.Logf("%s", s.Summary())
}

func TestServerFaults(t *testing.T) {
	s := New(t, Generate("prod", eks.ModeAPI, 3))
	s.Throttle(DescribeCluster, 2)
	for i, want := range []int{429, 429, 200, 200} {
		if status, _, _ := get(t, s, "/clusters/prod", testAuth); status != want {
			t.Errorf("request %d: status %d, want %d", i+1, status, want)
		}
	}
	s.Deny(ListAccessEntries)
	for i := range 3 {
		status, h, body := get(t, s, "/clusters/prod/access-entries", testAuth)
		if status != 403 || h.Get("X-Amzn-Errortype") != "AccessDeniedException" || body["message"] == nil {
			t.Errorf("request %d: %d %q %v; want 403 AccessDeniedException with a message", i+1, status, h.Get("X-Amzn-Errortype"), body)
		}
	}
	if r, f := s.Requests(DescribeCluster), s.Failures(DescribeCluster); r != 4 || f != 2 {
		t.Errorf("DescribeCluster: %d requests, %d failed; want 4, 2", r, f)
	}
	if r, f := s.Requests(ListAccessEntries), s.Failures(ListAccessEntries); r != 3 || f != 3 {
		t.Errorf("ListAccessEntries: %d requests, %d failed; want 3, 3", r, f)
	}
	t.Logf("%s", s.Summary())
	s.ClearFaults()
	s.ResetCounts()
	if status, _, _ := get(t, s, "/clusters/prod/access-entries", testAuth); status != 200 || s.TotalRequests() != 1 {
		t.Errorf("after ClearFaults and ResetCounts: status %d, %d requests; want 200, 1", status, s.TotalRequests())
	}
}

func TestEnv(t *testing.T) {
	t.Setenv("AWS_PROFILE", "someone-elses")
	t.Setenv("AWS_SESSION_TOKEN", "stale")
	t.Run("Env", func(t *testing.T) {
		Env(t, "http://127.0.0.1:1")
		for k, want := range map[string]string{"AWS_ENDPOINT_URL_EKS": "http://127.0.0.1:1", "AWS_ACCESS_KEY_ID": AccessKeyID, "AWS_REGION": Region, "AWS_EC2_METADATA_DISABLED": "true"} {
			if got := os.Getenv(k); got != want {
				t.Errorf("%s=%q, want %q", k, got, want)
			}
		}
		for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN"} {
			if v, ok := os.LookupEnv(k); ok {
				t.Errorf("%s is set (%q), want it unset", k, v)
			}
		}
		for _, k := range []string{"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
			if _, err := os.Stat(os.Getenv(k)); !os.IsNotExist(err) {
				t.Errorf("%s=%q exists (%v), want a missing file", k, os.Getenv(k), err)
			}
		}
	})
	t.Run("EnvNoCredentials", func(t *testing.T) {
		EnvNoCredentials(t, "http://127.0.0.1:1")
		for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"} {
			if v, ok := os.LookupEnv(k); ok {
				t.Errorf("%s is set (%q), want it unset", k, v)
			}
		}
	})
	if got := os.Getenv("AWS_PROFILE"); got != "someone-elses" {
		t.Errorf("AWS_PROFILE=%q after the subtests, want it restored", got)
	}
}
