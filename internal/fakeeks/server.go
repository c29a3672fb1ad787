// Package fakeeks is a local EKS API for tests. It speaks the REST-JSON wire of the
// read calls the IAM view makes (DescribeCluster, ListAccessEntries,
// DescribeAccessEntry, ListAssociatedAccessPolicies; and ListNodegroups,
// DescribeNodegroup, ListFargateProfiles, DescribeFargateProfile), so the unchanged
// aws-sdk-go-v2 EKS client, pointed at it with environment variables (see Env), can
// be tested offline: with tiny pages, throttling, access denial, unknown clusters,
// and measurements of request counts and concurrency.
//
// It is test-support code in a normal package so that both package tests and the
// integration suite can import it.
package fakeeks

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
)

// Op names an EKS API operation the server answers.
type Op string

// The operations served.
const (
	DescribeCluster              Op = "DescribeCluster"
	ListAccessEntries            Op = "ListAccessEntries"
	DescribeAccessEntry          Op = "DescribeAccessEntry"
	ListAssociatedAccessPolicies Op = "ListAssociatedAccessPolicies"
	// ListPodIdentityAssociations and DescribePodIdentityAssociation: see podidentity.go.
	ListPodIdentityAssociations    Op = "ListPodIdentityAssociations"
	DescribePodIdentityAssociation Op = "DescribePodIdentityAssociation"
	// The calls that find the roles EKS manages itself (eks.ManagedRoles).
	ListNodegroups         Op = "ListNodegroups"
	DescribeNodegroup      Op = "DescribeNodegroup"
	ListFargateProfiles    Op = "ListFargateProfiles"
	DescribeFargateProfile Op = "DescribeFargateProfile"
)

// AllOps returns the operations the IAM view's reader makes (ReadAccessEntries); see
// PodIdentityOps and ManagedRoleOps for the others.
func AllOps() []Op {
	return []Op{DescribeCluster, ListAccessEntries, DescribeAccessEntry, ListAssociatedAccessPolicies}
}

// PodIdentityOps returns the operations of EKS Pod Identity the server also answers.
func PodIdentityOps() []Op {
	return []Op{ListPodIdentityAssociations, DescribePodIdentityAssociation}
}

// ManagedRoleOps returns the operations that read the managed node groups and Fargate
// profiles.
func ManagedRoleOps() []Op {
	return []Op{ListNodegroups, DescribeNodegroup, ListFargateProfiles, DescribeFargateProfile}
}

// Credentials and place that Env sets, and that the server's ARNs use.
const (
	Region          = "us-west-2"
	Account         = "111122223333"
	AccessKeyID     = "AKIAFAKEEKS000000000"
	SecretAccessKey = "fakeeks/secret/access/key/0000000000000"
)

// DefaultPageSize is the page size of a new server: tiny, to catch paging bugs.
const DefaultPageSize = 2

// Error is an error response: HTTP status, error code (sent in the x-amzn-errortype
// header and as __type) and message. An empty Message gets a realistic one naming the
// operation and cluster.
type Error struct {
	Status  int
	Code    string
	Message string
}

// Throttling is EKS's rate-limit error (the SDK retries it).
func Throttling() Error {
	return Error{Status: http.StatusTooManyRequests, Code: "ThrottlingException", Message: "Rate exceeded"}
}

// AccessDenied is the error AWS returns when IAM denies the call (not retried).
func AccessDenied() Error {
	return Error{Status: http.StatusForbidden, Code: "AccessDeniedException"}
}

// Server is a running fake EKS endpoint. Its methods are safe for concurrent use,
// including while requests are being served.
type Server struct {
	// URL is the endpoint, for AWS_ENDPOINT_URL_EKS.
	URL string

	srv *httptest.Server

	mu          sync.Mutex
	clusters    map[string]eks.Snapshot
	podIdentity map[string]PodIdentity
	endpoints   map[string]Endpoint
	pageSize    int
	delay       time.Duration
	faults      map[Op]*fault
	requests    map[Op]int
	failures    map[Op]int
	inFlight    int
	maxInFlight int
	regions     map[string]int
	requestID   int
}

type fault struct {
	remaining int // < 0: every request
	err       Error
}

// NewServer starts a server holding the given clusters (keyed by Cluster.Name);
// Close stops it.
func NewServer(clusters ...eks.Snapshot) *Server {
	s := &Server{
		clusters:    map[string]eks.Snapshot{},
		podIdentity: map[string]PodIdentity{},
		endpoints:   map[string]Endpoint{},
		pageSize:    DefaultPageSize,
		faults:      map[Op]*fault{},
		requests:    map[Op]int{},
		failures:    map[Op]int{},
		regions:     map[string]int{},
	}
	for _, c := range clusters {
		s.clusters[c.Cluster.Name] = cloneSnapshot(c)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// New starts a server that is closed when the test ends.
func New(t testing.TB, clusters ...eks.Snapshot) *Server {
	t.Helper()
	s := NewServer(clusters...)
	t.Cleanup(s.Close)
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// SetCluster adds or replaces a cluster (a copy of snap is kept).
func (s *Server) SetCluster(snap eks.Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clusters[snap.Cluster.Name] = cloneSnapshot(snap)
}

// Cluster returns a copy of the named cluster's data.
func (s *Server) Cluster(name string) (eks.Snapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clusters[name]
	return cloneSnapshot(c), ok
}

// SetPageSize makes every list page hold at most n items, whatever maxResults asks
// (n <= 0: only maxResults limits pages).
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// SetDelay makes every request take at least d (to measure concurrency).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// FailFirst makes the next n requests of op fail with e; later ones succeed.
func (s *Server) FailFirst(op Op, n int, e Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = &fault{remaining: n, err: e}
}

// FailAlways makes every request of op fail with e.
func (s *Server) FailAlways(op Op, e Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = &fault{remaining: -1, err: e}
}

// Throttle makes the next n requests of op fail with 429 ThrottlingException.
func (s *Server) Throttle(op Op, n int) { s.FailFirst(op, n, Throttling()) }

// Deny makes every request of op fail with 403 AccessDeniedException.
func (s *Server) Deny(op Op) { s.FailAlways(op, AccessDenied()) }

// ClearFaults removes every injected failure.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[Op]*fault{}
}

// ResetCounts zeroes the request, failure, concurrency and region records.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.failures, s.regions = map[Op]int{}, map[Op]int{}, map[string]int{}
	s.maxInFlight = 0
}

// Requests is how many requests of op arrived (failed ones included).
func (s *Server) Requests(op Op) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[op]
}

// Failures is how many requests of op were answered with an error (injected,
// unsigned, not found or invalid).
func (s *Server) Failures(op Op) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failures[op]
}

// TotalRequests is how many requests arrived, of every operation.
func (s *Server) TotalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.requests {
		n += c
	}
	return n
}

// MaxInFlight is the most requests that were being served at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

// Regions are the regions requests were signed for, sorted.
func (s *Server) Regions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.regions))
	for r := range s.regions {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Summary is a one-line account of the requests, for t.Logf.
func (s *Server) Summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for _, op := range append(AllOps(), PodIdentityOps()...) {
		if s.requests[op] == 0 && slices.Contains(PodIdentityOps(), op) {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s=%d (failed %d)", op, s.requests[op], s.failures[op]))
	}
	for _, op := range ManagedRoleOps() {
		if s.requests[op] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d (failed %d)", op, s.requests[op], s.failures[op]))
		}
	}
	if n := s.requests[unknownOp]; n > 0 {
		parts = append(parts, fmt.Sprintf("unknown=%d", n))
	}
	return strings.Join(parts, ", ") + fmt.Sprintf("; max in flight %d", s.maxInFlight)
}

const unknownOp Op = "Unknown"

// route maps a request to its operation, cluster and principal ARN (or node group or
// Fargate profile name). The labels are unescaped per path segment, so a principal
// ARN (which holds '/') must arrive escaped, as the SDK sends it.
func route(r *http.Request) (op Op, cluster, principal string, ok bool) {
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	for i, sg := range segs {
		u, err := url.PathUnescape(sg)
		if err != nil || u == "" {
			return unknownOp, "", "", false
		}
		segs[i] = u
	}
	if r.Method != http.MethodGet || len(segs) < 2 || segs[0] != "clusters" {
		return unknownOp, "", "", false
	}
	switch {
	case len(segs) == 2:
		return DescribeCluster, segs[1], "", true
	case len(segs) == 3 && segs[2] == "access-entries":
		return ListAccessEntries, segs[1], "", true
	case len(segs) == 4 && segs[2] == "access-entries":
		return DescribeAccessEntry, segs[1], segs[3], true
	case len(segs) == 5 && segs[2] == "access-entries" && segs[4] == "access-policies":
		return ListAssociatedAccessPolicies, segs[1], segs[3], true
	case len(segs) == 3 && segs[2] == "pod-identity-associations":
		return ListPodIdentityAssociations, segs[1], "", true
	case len(segs) == 4 && segs[2] == "pod-identity-associations":
		return DescribePodIdentityAssociation, segs[1], segs[3], true
	case len(segs) == 3 && segs[2] == "node-groups":
		return ListNodegroups, segs[1], "", true
	case len(segs) == 4 && segs[2] == "node-groups":
		return DescribeNodegroup, segs[1], segs[3], true
	case len(segs) == 3 && segs[2] == "fargate-profiles":
		return ListFargateProfiles, segs[1], "", true
	case len(segs) == 4 && segs[2] == "fargate-profiles":
		return DescribeFargateProfile, segs[1], segs[3], true
	}
	return unknownOp, "", "", false
}

// signedRegion is the region of a SigV4 Authorization header's credential scope
// (Credential=AKID/DATE/REGION/eks/aws4_request), or ok false when the request is
// not signed for eks.
func signedRegion(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if !strings.HasPrefix(h, "AWS4-HMAC-SHA256 ") {
		return "", false
	}
	_, cred, ok := strings.Cut(h, "Credential=")
	if !ok {
		return "", false
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[3] != "eks" || parts[4] != "aws4_request" {
		return "", false
	}
	return parts[2], true
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	op, cluster, principal, routed := route(r)
	region, signed := signedRegion(r)

	s.mu.Lock()
	s.requests[op]++
	s.requestID++
	reqID := fmt.Sprintf("fakeeks-%06d", s.requestID)
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	delay := s.delay
	if signed {
		s.regions[region]++
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	w.Header().Set("X-Amzn-Requestid", reqID)

	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}

	fail := func(e Error) {
		s.mu.Lock()
		s.failures[op]++
		s.mu.Unlock()
		writeError(w, e)
	}
	if !routed {
		fail(Error{Status: http.StatusNotFound, Code: "UnknownOperationException", Message: fmt.Sprintf("no EKS operation for %s %s", r.Method, r.URL.Path)})
		return
	}
	if !signed {
		fail(Error{Status: http.StatusForbidden, Code: "MissingAuthenticationTokenException", Message: "Missing Authentication Token"})
		return
	}

	s.mu.Lock()
	var injected *Error
	if f := s.faults[op]; f != nil && f.remaining != 0 {
		if f.remaining > 0 {
			f.remaining--
		}
		e := f.err
		injected = &e
	}
	snap, found := s.clusters[cluster]
	snap = cloneSnapshot(snap)
	pi := s.podIdentity[cluster]
	endpoint, ok := s.endpoints[cluster]
	if !ok {
		endpoint = DefaultEndpoint()
	}
	pageSize := s.pageSize
	s.mu.Unlock()

	if injected != nil {
		e := *injected
		if e.Message == "" {
			e.Message = defaultMessage(e.Code, op, cluster)
		}
		fail(e)
		return
	}
	if !found {
		fail(Error{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: fmt.Sprintf("No cluster found for name: %s.", cluster)})
		return
	}

	// The access entry calls need the API in the authentication mode: in CONFIG_MAP
	// mode (or a cluster created before access entries, which reports none) EKS
	// answers them with this error.
	accessEntryOp := op == ListAccessEntries || op == DescribeAccessEntry || op == ListAssociatedAccessPolicies
	if accessEntryOp && (snap.Cluster.AuthenticationMode == eks.ModeConfigMap || snap.Cluster.AuthenticationMode == "") {
		fail(Error{Status: http.StatusBadRequest, Code: "InvalidRequestException", Message: "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation."})
		return
	}
	var managed eks.ManagedRoles
	if snap.Managed != nil {
		managed = *snap.Managed
	}
	var named *eks.NamedRole
	switch op {
	case DescribeNodegroup, DescribeFargateProfile:
		list, kind := managed.NodeGroups, "Nodegroup"
		if op == DescribeFargateProfile {
			list, kind = managed.FargateProfiles, "Fargate Profile"
		}
		i := slices.IndexFunc(list, func(n eks.NamedRole) bool { return n.Name == principal })
		if i < 0 {
			fail(Error{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: fmt.Sprintf("No %s found for name: %s.", kind, principal)})
			return
		}
		named = &list[i]
	}

	var entry *eks.AccessEntry
	if principal != "" && accessEntryOp {
		i := slices.IndexFunc(snap.Entries, func(e eks.AccessEntry) bool { return e.PrincipalARN == principal })
		if i < 0 {
			fail(Error{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: fmt.Sprintf("The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'. (cluster %s, principal %s)", cluster, principal)})
			return
		}
		entry = &snap.Entries[i]
	}

	page := func(n int) (start, end int, next *string, e *Error) {
		q := r.URL.Query()
		limit := 100
		if v := q.Get("maxResults"); v != "" {
			m, err := strconv.Atoi(v)
			if err != nil || m < 1 || m > 100 {
				return 0, 0, nil, &Error{Status: http.StatusBadRequest, Code: "InvalidParameterException", Message: fmt.Sprintf("maxResults %q must be between 1 and 100", v)}
			}
			limit = m
		}
		if pageSize > 0 {
			limit = min(limit, pageSize)
		}
		if v := q.Get("nextToken"); v != "" {
			off, ok := parseToken(v, op, cluster, principal)
			if !ok || off > n {
				return 0, 0, nil, &Error{Status: http.StatusBadRequest, Code: "InvalidParameterException", Message: "The nextToken is not valid for this request."}
			}
			start = off
		}
		end = min(start+limit, n)
		if end < n {
			t := makeToken(op, cluster, principal, end)
			next = &t
		}
		return start, end, next, nil
	}

	now := float64(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC).Unix())
	switch op {
	case DescribeCluster:
		c := map[string]any{
			"name":      cluster,
			"arn":       fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", Region, Account, cluster),
			"status":    "ACTIVE",
			"version":   "1.33",
			"createdAt": now,
		}
		if pi.Issuer != "" {
			c["identity"] = map[string]any{"oidc": map[string]any{"issuer": pi.Issuer}}
		}
		c["resourcesVpcConfig"] = endpoint.vpcConfig(cluster)
		if pi.AutoMode {
			c["computeConfig"] = map[string]any{"enabled": true, "nodePools": []string{"general-purpose", "system"}}
		}
		if snap.Cluster.AuthenticationMode != "" {
			// bootstrapClusterCreatorAdminPermissions defaults to true when a cluster is
			// created (CreateAccessConfigRequest in the EKS API reference).
			bootstrap := true
			if b := snap.Cluster.BootstrapClusterCreatorAdminPermissions; b != nil {
				bootstrap = *b
			}
			c["accessConfig"] = map[string]any{
				"authenticationMode":                      snap.Cluster.AuthenticationMode,
				"bootstrapClusterCreatorAdminPermissions": bootstrap,
			}
		}
		writeJSON(w, map[string]any{"cluster": c})
	case ListAccessEntries:
		start, end, next, e := page(len(snap.Entries))
		if e != nil {
			fail(*e)
			return
		}
		arns := []string{}
		for _, en := range snap.Entries[start:end] {
			arns = append(arns, en.PrincipalARN)
		}
		body := map[string]any{"accessEntries": arns}
		if next != nil {
			body["nextToken"] = *next
		}
		writeJSON(w, body)
	case DescribeAccessEntry:
		d := Described(*entry)
		ae := map[string]any{
			"clusterName":      cluster,
			"principalArn":     d.PrincipalARN,
			"kubernetesGroups": nonNil(d.KubernetesGroups),
			"accessEntryArn":   fmt.Sprintf("arn:aws:eks:%s:%s:access-entry/%s/%x", Region, Account, cluster, d.PrincipalARN),
			"createdAt":        now,
			"modifiedAt":       now,
			"tags":             map[string]string{},
			"type":             d.Type,
			"username":         d.Username,
		}
		writeJSON(w, map[string]any{"accessEntry": ae})
	case ListNodegroups, ListFargateProfiles:
		list, key := managed.NodeGroups, "nodegroups"
		if op == ListFargateProfiles {
			list, key = managed.FargateProfiles, "fargateProfileNames"
		}
		start, end, next, e := page(len(list))
		if e != nil {
			fail(*e)
			return
		}
		names := []string{}
		for _, n := range list[start:end] {
			names = append(names, n.Name)
		}
		body := map[string]any{key: names}
		if next != nil {
			body["nextToken"] = *next
		}
		writeJSON(w, body)
	case DescribeNodegroup:
		writeJSON(w, map[string]any{"nodegroup": map[string]any{
			"nodegroupName": named.Name, "clusterName": cluster, "nodeRole": named.RoleARN, "status": "ACTIVE", "createdAt": now,
			"nodegroupArn": fmt.Sprintf("arn:aws:eks:%s:%s:nodegroup/%s/%s/0", Region, Account, cluster, named.Name),
		}})
	case DescribeFargateProfile:
		writeJSON(w, map[string]any{"fargateProfile": map[string]any{
			"fargateProfileName": named.Name, "clusterName": cluster, "podExecutionRoleArn": named.RoleARN, "status": "ACTIVE", "createdAt": now,
			"fargateProfileArn": fmt.Sprintf("arn:aws:eks:%s:%s:fargateprofile/%s/%s/0", Region, Account, cluster, named.Name),
		}})
	case ListAssociatedAccessPolicies:
		start, end, next, e := page(len(entry.AccessPolicies))
		if e != nil {
			fail(*e)
			return
		}
		pols := []any{}
		for _, p := range entry.AccessPolicies[start:end] {
			pols = append(pols, map[string]any{
				"policyArn":    p.PolicyARN,
				"accessScope":  map[string]any{"type": p.Scope.Type, "namespaces": nonNil(p.Scope.Namespaces)},
				"associatedAt": now,
				"modifiedAt":   now,
			})
		}
		body := map[string]any{"clusterName": cluster, "principalArn": entry.PrincipalARN, "associatedAccessPolicies": pols}
		if next != nil {
			body["nextToken"] = *next
		}
		writeJSON(w, body)
	case ListPodIdentityAssociations, DescribePodIdentityAssociation:
		servePodIdentity(w, r, op, cluster, principal, pi, page, fail)
	}
}

// Described is the entry as DescribeAccessEntry reports it once EKS has created it
// from e: the type (STANDARD when none was given), the username (EKS's generated one
// when none was given: the user guide's table in "Create access entries"), and the
// kubernetesGroups. EKS sets the groups of node-role types itself: an EC2_LINUX entry
// comes back with ["system:nodes"] (as AWS's own EKS workshop shows, and eksctl's
// documentation for HYBRID_LINUX); EC2_WINDOWS and FARGATE_LINUX are taken to be the
// same. EC2 (Auto Mode) and HYPERPOD_LINUX keep what was given.
func Described(e eks.AccessEntry) eks.AccessEntry {
	if e.Type == "" {
		e.Type = eks.TypeStandard
	}
	e.Username = eks.Username(&e)
	switch e.Type {
	case eks.TypeEC2Linux, eks.TypeEC2Windows, eks.TypeFargateLinux, eks.TypeHybridLinux:
		e.KubernetesGroups = []string{"system:nodes"}
	default:
		e.KubernetesGroups = slices.Clone(nonNil(e.KubernetesGroups))
	}
	return e
}

// DescribedSnapshot is snap as the read calls report it: the cluster's
// bootstrapClusterCreatorAdminPermissions (true unless created false; absent without
// an authentication mode), and every entry as Described.
func DescribedSnapshot(snap eks.Snapshot) eks.Snapshot {
	out := cloneSnapshot(snap)
	if out.Cluster.AuthenticationMode != "" && out.Cluster.BootstrapClusterCreatorAdminPermissions == nil {
		on := true
		out.Cluster.BootstrapClusterCreatorAdminPermissions = &on
	}
	for i := range out.Entries {
		out.Entries[i] = Described(out.Entries[i])
	}
	return out
}

func defaultMessage(code string, op Op, cluster string) string {
	switch code {
	case "AccessDeniedException":
		return fmt.Sprintf("User: arn:aws:iam::%s:user/fakeeks is not authorized to perform: eks:%s on resource: arn:aws:eks:%s:%s:cluster/%s", Account, op, Region, Account, cluster)
	case "ThrottlingException":
		return "Rate exceeded"
	}
	return code
}

type token struct {
	Op        Op     `json:"o"`
	Cluster   string `json:"c"`
	Principal string `json:"p,omitempty"`
	Offset    int    `json:"n"`
}

// makeToken makes an opaque nextToken bound to the listing it continues, so a
// token replayed on another listing is rejected.
func makeToken(op Op, cluster, principal string, off int) string {
	b, _ := json.Marshal(token{op, cluster, principal, off})
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseToken(s string, op Op, cluster, principal string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	var t token
	if err := json.Unmarshal(b, &t); err != nil {
		return 0, false
	}
	if t.Op != op || t.Cluster != cluster || t.Principal != principal || t.Offset < 0 {
		return 0, false
	}
	return t.Offset, true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e Error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func cloneSnapshot(s eks.Snapshot) eks.Snapshot {
	out := eks.Snapshot{Cluster: s.Cluster}
	if b := s.Cluster.BootstrapClusterCreatorAdminPermissions; b != nil {
		v := *b
		out.Cluster.BootstrapClusterCreatorAdminPermissions = &v
	}
	if s.Managed != nil {
		out.Managed = &eks.ManagedRoles{NodeGroups: slices.Clone(s.Managed.NodeGroups), FargateProfiles: slices.Clone(s.Managed.FargateProfiles)}
	}
	if s.Entries == nil {
		return out
	}
	out.Entries = make([]eks.AccessEntry, len(s.Entries))
	for i, e := range s.Entries {
		e.KubernetesGroups = slices.Clone(e.KubernetesGroups)
		e.AccessPolicies = slices.Clone(e.AccessPolicies)
		for j := range e.AccessPolicies {
			e.AccessPolicies[j].Scope.Namespaces = slices.Clone(e.AccessPolicies[j].Scope.Namespaces)
		}
		out.Entries[i] = e
	}
	return out
}

// Generate makes a deterministic cluster of n access entries: users and roles (some
// with paths), every entry type, custom and default usernames, groups, and
// STANDARD entries with one to four access policies each, cluster or namespace
// scoped (namespaces include wildcards).
func Generate(cluster, mode string, n int) eks.Snapshot {
	types := []string{eks.TypeStandard, eks.TypeStandard, eks.TypeStandard, eks.TypeEC2Linux, eks.TypeEC2Windows,
		eks.TypeFargateLinux, eks.TypeHybridLinux, eks.TypeEC2, eks.TypeHyperPod, eks.TypeStandard}
	policies := []string{"AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSAdminViewPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"}
	snap := eks.Snapshot{Cluster: eks.Cluster{Name: cluster, AuthenticationMode: mode}, Entries: []eks.AccessEntry{}}
	for i := range n {
		e := eks.AccessEntry{Type: types[i%len(types)], KubernetesGroups: []string{}, AccessPolicies: []eks.AssociatedPolicy{}}
		switch {
		case e.Type != eks.TypeStandard:
			e.PrincipalARN = fmt.Sprintf("arn:aws:iam::%s:role/node-role-%03d", Account, i)
		case i%4 == 1:
			e.PrincipalARN = fmt.Sprintf("arn:aws:iam::%s:user/dev-%03d", Account, i)
		case i%5 == 2:
			e.PrincipalARN = fmt.Sprintf("arn:aws:iam::%s:role/teams/platform/role-%03d", Account, i)
		default:
			e.PrincipalARN = fmt.Sprintf("arn:aws:iam::%s:role/role-%03d", Account, i)
		}
		if e.Type == eks.TypeStandard {
			if i%3 != 0 {
				e.Username = fmt.Sprintf("user-%03d", i)
			}
			for g := range i % 4 {
				e.KubernetesGroups = append(e.KubernetesGroups, fmt.Sprintf("group-%d", g))
			}
			for p := range 1 + i%4 {
				ap := eks.AssociatedPolicy{
					PolicyARN: "arn:aws:eks::aws:cluster-access-policy/" + policies[(i+p)%len(policies)],
					Scope:     eks.Scope{Type: eks.ScopeCluster, Namespaces: []string{}},
				}
				if (i+p)%2 == 1 {
					ap.Scope = eks.Scope{Type: eks.ScopeNamespace, Namespaces: []string{fmt.Sprintf("ns-%d", i), "dev-*"}[:1+p%2]}
				}
				e.AccessPolicies = append(e.AccessPolicies, ap)
			}
		}
		snap.Entries = append(snap.Entries, e)
	}
	return snap
}

// Env points the AWS SDK at the server at url for the rest of the test, with
// static credentials and region Region, and with nothing read from the user's AWS
// configuration: no profile, config or credentials files (they point at missing
// files), no IMDS, no web identity or container credentials.
func Env(t testing.TB, url string) {
	t.Helper()
	EnvNoCredentials(t, url)
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretAccessKey)
}

// EnvNoCredentials is Env without credentials: every source of the default
// credential chain is empty or disabled, so a call fails at once with the SDK's
// "failed to retrieve credentials" error (no IMDS probing, no timeouts) and sends
// nothing.
func EnvNoCredentials(t testing.TB, url string) {
	t.Helper()
	for _, k := range []string{
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SECURITY_TOKEN",
		"AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
		"AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_NEW_RETRIES_2026", "AWS_CA_BUNDLE",
		"AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
	} {
		unsetenv(t, k)
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "missing-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "missing-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", Region)
	t.Setenv("AWS_ENDPOINT_URL_EKS", url)
}

// unsetenv removes k for the rest of the test (t.Setenv records the old value and
// restores it at the end).
func unsetenv(t testing.TB, k string) {
	t.Setenv(k, "")
	if err := os.Unsetenv(k); err != nil {
		t.Fatalf("unsetenv %s: %v", k, err)
	}
}
