// Package fakeec2 is a local EC2 API for tests. It speaks EC2's query protocol (a
// form-encoded POST, XML responses, Response/Errors errors) for DescribeInstances
// with InstanceId.N or the instance-id filter, MaxResults and NextToken, with tiny
// pages, throttling and access denial, so that the unchanged aws-sdk-go-v2 EC2
// client, pointed at it with AWS_ENDPOINT_URL_EC2, can be tested offline.
package fakeec2

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Instance is an instance the server knows.
type Instance struct {
	ID                 string
	HTTPTokens         string // optional | required
	HopLimit           int
	HTTPEndpoint       string // enabled | disabled
	InstanceProfileARN string
}

// Error is an error response.
type Error struct {
	Status  int
	Code    string
	Message string
}

// DefaultPageSize is the page size of a new server: tiny, to catch paging bugs.
const DefaultPageSize = 2

// Server is a running fake EC2 endpoint, safe for concurrent use.
type Server struct {
	URL string
	srv *httptest.Server

	mu        sync.Mutex
	instances []Instance
	pageSize  int
	delay     time.Duration
	fault     *Error
	faultN    int
	requests  int
	failures  int
	reqID     int
}

// New starts a server holding instances, closed when the test ends.
func New(t testing.TB, instances ...Instance) *Server {
	s := NewServer(instances...)
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a server; Close stops it.
func NewServer(instances ...Instance) *Server {
	s := &Server{instances: slices.Clone(instances), pageSize: DefaultPageSize}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// SetPageSize makes every page hold at most n reservations (n <= 0: MaxResults alone).
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// SetDelay makes every request take at least d (a network round trip).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Throttle makes the next n requests fail with RequestLimitExceeded (retried by the SDK).
func (s *Server) Throttle(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault, s.faultN = &Error{Status: http.StatusServiceUnavailable, Code: "RequestLimitExceeded", Message: "Request limit exceeded."}, n
}

// Deny makes every request fail with UnauthorizedOperation.
func (s *Server) Deny() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault, s.faultN = &Error{Status: http.StatusForbidden, Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation. User: arn:aws:iam::111122223333:user/fakeec2 is not authorized to perform: ec2:DescribeInstances"}, -1
}

// ClearFaults removes the injected failure.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = nil
}

// Requests is how many requests arrived; Failures how many were refused.
func (s *Server) Requests() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.failures
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	s.requests++
	s.reqID++
	id := fmt.Sprintf("fakeec2-%06d", s.reqID)
	var injected *Error
	if s.fault != nil && s.faultN != 0 {
		if s.faultN > 0 {
			s.faultN--
		}
		e := *s.fault
		injected = &e
	}
	all := slices.Clone(s.instances)
	pageSize, delay := s.pageSize, s.delay
	s.mu.Unlock()
	time.Sleep(delay)
	fail := func(e Error) {
		s.mu.Lock()
		s.failures++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.Status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`, esc(e.Code), esc(e.Message), id)
	}
	f := r.PostForm
	switch {
	case r.Method != http.MethodPost || f.Get("Action") != "DescribeInstances" || f.Get("Version") != "2016-11-15":
		fail(Error{Status: http.StatusBadRequest, Code: "InvalidAction", Message: "only DescribeInstances (2016-11-15) is served"})
		return
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		fail(Error{Status: http.StatusUnauthorized, Code: "AuthFailure", Message: "AWS was not able to validate the provided access credentials"})
		return
	case injected != nil:
		fail(*injected)
		return
	}
	var ids []string
	for i := 1; f.Has("InstanceId." + strconv.Itoa(i)); i++ {
		ids = append(ids, f.Get("InstanceId."+strconv.Itoa(i)))
	}
	for i := 1; f.Has("Filter." + strconv.Itoa(i) + ".Name"); i++ {
		p := "Filter." + strconv.Itoa(i)
		if f.Get(p+".Name") != "instance-id" {
			fail(Error{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: "The filter '" + f.Get(p+".Name") + "' is invalid"})
			return
		}
		for j := 1; f.Has(p + ".Value." + strconv.Itoa(j)); j++ {
			ids = append(ids, f.Get(p+".Value."+strconv.Itoa(j)))
		}
	}
	if len(ids) > 0 && f.Has("InstanceId.1") && f.Has("MaxResults") {
		fail(Error{Status: http.StatusBadRequest, Code: "InvalidParameterCombination", Message: "The parameter instancesSet cannot be used with the parameter maxResults"})
		return
	}
	var sel []Instance
	for _, in := range all {
		if len(ids) == 0 || slices.Contains(ids, in.ID) {
			sel = append(sel, in)
		}
	}
	if f.Has("InstanceId.1") {
		for _, want := range ids {
			if !slices.ContainsFunc(sel, func(in Instance) bool { return in.ID == want }) {
				fail(Error{Status: http.StatusBadRequest, Code: "InvalidInstanceID.NotFound", Message: fmt.Sprintf("The instance ID '%s' does not exist", want)})
				return
			}
		}
	}
	start := 0
	if t := f.Get("NextToken"); t != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(t, "tok-"))
		if err != nil || n > len(sel) {
			fail(Error{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: "Invalid NextToken"})
			return
		}
		start = n
	}
	limit := len(sel)
	if m := f.Get("MaxResults"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 5 || n > 1000 {
			fail(Error{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: "MaxResults must be between 5 and 1000"})
			return
		}
		limit = n
	}
	if pageSize > 0 {
		limit = min(limit, pageSize)
	}
	end := min(start+limit, len(sel))
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>%s</requestId><reservationSet>`, id)
	for _, in := range sel[start:end] {
		fmt.Fprintf(&b, `<item><reservationId>r-%s</reservationId><ownerId>111122223333</ownerId><instancesSet><item><instanceId>%s</instanceId><instanceState><code>16</code><name>running</name></instanceState>`, strings.TrimPrefix(in.ID, "i-"), esc(in.ID))
		if in.InstanceProfileARN != "" {
			fmt.Fprintf(&b, `<iamInstanceProfile><arn>%s</arn><id>AIPAFAKE</id></iamInstanceProfile>`, esc(in.InstanceProfileARN))
		}
		fmt.Fprintf(&b, `<metadataOptions><state>applied</state><httpTokens>%s</httpTokens><httpPutResponseHopLimit>%d</httpPutResponseHopLimit><httpEndpoint>%s</httpEndpoint><httpProtocolIpv6>disabled</httpProtocolIpv6><instanceMetadataTags>disabled</instanceMetadataTags></metadataOptions></item></instancesSet></item>`,
			esc(in.HTTPTokens), in.HopLimit, esc(in.HTTPEndpoint))
	}
	b.WriteString(`</reservationSet>`)
	if end < len(sel) {
		fmt.Fprintf(&b, `<nextToken>tok-%d</nextToken>`, end)
	}
	b.WriteString(`</DescribeInstancesResponse>`)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(b.String()))
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
