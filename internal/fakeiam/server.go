// Package fakeiam is a local IAM API for tests. It speaks IAM's query protocol (a
// form-encoded POST with Action and Version, XML responses, ErrorResponse errors),
// answering GetRole, with the trust policy URL-encoded as IAM returns it, and
// GetInstanceProfile, so that the unchanged aws-sdk-go-v2 IAM client, pointed at it
// with AWS_ENDPOINT_URL_IAM, can be tested offline: with throttling, access denial
// and unknown roles, and request counts.
package fakeiam

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Op names an IAM operation the server answers.
type Op string

// The operations served.
const (
	GetRole            Op = "GetRole"
	GetInstanceProfile Op = "GetInstanceProfile"
)

// Role is a role the server knows: its ARN and trust policy document (plain JSON).
type Role struct {
	ARN   string
	Trust string
}

// Name is the role's name: the ARN's last path segment.
func (r Role) Name() string { return r.ARN[strings.LastIndex(r.ARN, "/")+1:] }

// InstanceProfile is an instance profile and its roles' ARNs.
type InstanceProfile struct {
	ARN   string
	Roles []string
}

// Error is an error response.
type Error struct {
	Status  int
	Code    string
	Message string
}

// Throttling is IAM's rate-limit error (the SDK retries it).
func Throttling() Error {
	return Error{Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded"}
}

// AccessDenied is the error IAM returns when the caller may not call the action.
func AccessDenied() Error { return Error{Status: http.StatusForbidden, Code: "AccessDenied"} }

// Server is a running fake IAM endpoint, safe for concurrent use.
type Server struct {
	URL string
	srv *httptest.Server

	mu       sync.Mutex
	roles    map[string]Role // by name
	profiles map[string]InstanceProfile
	faults   map[Op]*fault
	requests map[Op]int
	failures map[Op]int
	delay    time.Duration
	reqID    int
}

type fault struct {
	remaining int
	err       Error
}

// New starts a server holding roles and profiles, closed when the test ends.
func New(t testing.TB, roles []Role, profiles []InstanceProfile) *Server {
	s := NewServer(roles, profiles)
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a server; Close stops it.
func NewServer(roles []Role, profiles []InstanceProfile) *Server {
	s := &Server{roles: map[string]Role{}, profiles: map[string]InstanceProfile{}, faults: map[Op]*fault{}, requests: map[Op]int{}, failures: map[Op]int{}}
	for _, r := range roles {
		s.roles[r.Name()] = r
	}
	for _, p := range profiles {
		s.profiles[p.ARN[strings.LastIndex(p.ARN, "/")+1:]] = p
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// SetRole adds or replaces a role.
func (s *Server) SetRole(r Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[r.Name()] = r
}

// SetDelay makes every request take at least d.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// FailFirst makes the next n requests of op fail with e (n < 0: every request).
func (s *Server) FailFirst(op Op, n int, e Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = &fault{remaining: n, err: e}
}

// Throttle makes the next n requests of op fail with Throttling.
func (s *Server) Throttle(op Op, n int) { s.FailFirst(op, n, Throttling()) }

// Deny makes every request of op fail with AccessDenied.
func (s *Server) Deny(op Op) { s.FailFirst(op, -1, AccessDenied()) }

// ClearFaults removes every injected failure.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[Op]*fault{}
}

// Requests is how many requests of op arrived; Failures how many were refused.
func (s *Server) Requests(op Op) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[op]
}

// Failures is how many requests of op were answered with an error.
func (s *Server) Failures(op Op) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failures[op]
}

// Summary is a one-line account of the requests.
func (s *Server) Summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("GetRole=%d (failed %d), GetInstanceProfile=%d (failed %d)", s.requests[GetRole], s.failures[GetRole], s.requests[GetInstanceProfile], s.failures[GetInstanceProfile])
}

const xmlns = "https://iam.amazonaws.com/doc/2010-05-08/"

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		writeError(w, "fakeiam-bad", Error{Status: http.StatusBadRequest, Code: "InvalidAction", Message: "want a form-encoded POST"})
		return
	}
	op := Op(r.PostForm.Get("Action"))
	s.mu.Lock()
	s.requests[op]++
	s.reqID++
	id := fmt.Sprintf("fakeiam-%06d", s.reqID)
	delay := s.delay
	var injected *Error
	if f := s.faults[op]; f != nil && f.remaining != 0 {
		if f.remaining > 0 {
			f.remaining--
		}
		e := f.err
		injected = &e
	}
	s.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	fail := func(e Error) {
		s.mu.Lock()
		s.failures[op]++
		s.mu.Unlock()
		writeError(w, id, e)
	}
	switch {
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		fail(Error{Status: http.StatusForbidden, Code: "MissingAuthenticationToken", Message: "Missing Authentication Token"})
		return
	case r.PostForm.Get("Version") != "2010-05-08":
		fail(Error{Status: http.StatusBadRequest, Code: "InvalidAction", Message: "Version must be 2010-05-08"})
		return
	case injected != nil:
		e := *injected
		if e.Message == "" {
			e.Message = fmt.Sprintf("User: arn:aws:iam::111122223333:user/fakeiam is not authorized to perform: iam:%s", op)
		}
		fail(e)
		return
	}
	created := "2025-01-02T03:04:05Z"
	switch op {
	case GetRole:
		name := r.PostForm.Get("RoleName")
		s.mu.Lock()
		role, ok := s.roles[name]
		s.mu.Unlock()
		if !ok {
			fail(Error{Status: http.StatusNotFound, Code: "NoSuchEntity", Message: fmt.Sprintf("The role with name %s cannot be found.", name)})
			return
		}
		writeXML(w, fmt.Sprintf(`<GetRoleResponse xmlns="%s"><GetRoleResult><Role><Path>%s</Path><AssumeRolePolicyDocument>%s</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration><RoleId>AROAFAKE%08X</RoleId><RoleName>%s</RoleName><Arn>%s</Arn><CreateDate>%s</CreateDate></Role></GetRoleResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></GetRoleResponse>`,
			xmlns, esc(rolePath(role.ARN)), esc(url.PathEscape(role.Trust)), len(name), esc(name), esc(role.ARN), created, id))
	case GetInstanceProfile:
		name := r.PostForm.Get("InstanceProfileName")
		s.mu.Lock()
		p, ok := s.profiles[name]
		roles := map[string]Role{}
		for _, arn := range p.Roles {
			roles[arn] = s.roles[arn[strings.LastIndex(arn, "/")+1:]]
		}
		s.mu.Unlock()
		if !ok {
			fail(Error{Status: http.StatusNotFound, Code: "NoSuchEntity", Message: fmt.Sprintf("Instance Profile %s cannot be found.", name)})
			return
		}
		var members strings.Builder
		for _, arn := range p.Roles {
			n := arn[strings.LastIndex(arn, "/")+1:]
			fmt.Fprintf(&members, `<member><Path>%s</Path><RoleName>%s</RoleName><RoleId>AROAFAKE</RoleId><Arn>%s</Arn><CreateDate>%s</CreateDate><AssumeRolePolicyDocument>%s</AssumeRolePolicyDocument></member>`,
				esc(rolePath(arn)), esc(n), esc(arn), created, esc(url.PathEscape(roles[arn].Trust)))
		}
		writeXML(w, fmt.Sprintf(`<GetInstanceProfileResponse xmlns="%s"><GetInstanceProfileResult><InstanceProfile><InstanceProfileId>AIPAFAKE</InstanceProfileId><Roles>%s</Roles><InstanceProfileName>%s</InstanceProfileName><Path>%s</Path><Arn>%s</Arn><CreateDate>%s</CreateDate></InstanceProfile></GetInstanceProfileResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></GetInstanceProfileResponse>`,
			xmlns, members.String(), esc(name), esc(rolePath(p.ARN)), esc(p.ARN), created, id))
	default:
		fail(Error{Status: http.StatusBadRequest, Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version 2010-05-08", op)})
	}
}

// rolePath is the path of a role or profile ARN (":role/a/b/name" has path "/a/b/").
func rolePath(arn string) string {
	_, res, _ := strings.Cut(arn[strings.LastIndex(arn, ":")+1:], "/")
	if i := strings.LastIndex(res, "/"); i >= 0 {
		return "/" + res[:i+1]
	}
	return "/"
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func writeXML(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body))
}

func writeError(w http.ResponseWriter, id string, e Error) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, xmlns, esc(e.Code), esc(e.Message), id)
}
