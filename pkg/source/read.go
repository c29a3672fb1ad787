package source

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/eks"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/harden"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/resources"
)

// Input is where a command reads from: a cluster, through kubectl's kubeconfig
// flags, or files (-f), with no cluster contacted.
type Input struct {
	// Getter is kubectl's kubeconfig flags.
	Getter genericclioptions.RESTClientGetter
	// Files, when Filenames is set, are read instead of a cluster.
	Files resource.FilenameOptions
	// Namespace is where namespaced objects of the files that name none are read
	// (-n, or the kubeconfig's namespace).
	Namespace string
	// Clients are the live clients (Connect builds them; tests set fakes). Nil offline.
	Clients *Clients
}

// Offline reports whether the input is files.
func (in *Input) Offline() bool { return len(in.Files.Filenames) > 0 }

// Clients are what a live read uses.
type Clients struct {
	Kube     kube.Interface
	Metadata metadata.Interface
	// Mapper resolves resource types (kubectl's discovery-backed RESTMapper, cached
	// on disk as kubectl caches it).
	Mapper meta.RESTMapper
	// Discovery lists the resource types served (Request.Resources), cached as kubectl
	// caches it.
	Discovery discovery.DiscoveryInterface
	// Loader is the kubeconfig, where an EKS cluster name may be found.
	Loader clientcmd.ClientConfig
}

// Connect builds the live clients from the kubeconfig. It contacts no server.
//
// Reads ask for protobuf (a third of JSON's size for RBAC lists, and faster to
// decode), with JSON as the fallback. Every read and write is bounded by what is in
// flight (one paged LIST per kind; writes remedy.Concurrency objects at a time, three
// requests each), so the client-side limit only has to stay out of the way: client-go's
// default of 5 requests per second made a 2,000-object run take minutes, and even 50
// made it take 80-120 s. The server's API Priority and Fairness still applies. A
// kubeconfig whose exec plugin or flags set a limit keeps it.
func Connect(f genericclioptions.RESTClientGetter) (*Clients, error) {
	config, err := f.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	c := ClientConfig(config)
	k, err := kube.NewForConfig(c)
	if err != nil {
		return nil, err
	}
	md, err := metadata.NewForConfig(c)
	if err != nil {
		return nil, err
	}
	m, err := f.ToRESTMapper()
	if err != nil {
		return nil, err
	}
	d, err := f.ToDiscoveryClient()
	if err != nil {
		return nil, err
	}
	return &Clients{Kube: k, Metadata: md, Mapper: m, Discovery: d, Loader: f.ToRawKubeConfigLoader()}, nil
}

// ClientQPS and ClientBurst are the client-side rate limit of every client built here.
const (
	ClientQPS   = 1000
	ClientBurst = 2000
)

// ClientConfig returns a copy of config for the plugin's clients: protobuf first, and
// the client-side limit above unless the config sets one.
func ClientConfig(config *rest.Config) *rest.Config {
	c := rest.CopyConfig(config)
	c.ContentType = runtime.ContentTypeProtobuf
	c.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	if c.QPS == 0 && c.RateLimiter == nil {
		c.QPS, c.Burst = ClientQPS, ClientBurst
	}
	return c
}

// Request says what a command needs. Everything asked for is read in one concurrent
// round.
type Request struct {
	// RBAC returns which RBAC objects to read, given the mapper (who-can needs to
	// know whether the resource asked about is namespaced first); nil reads none.
	RBAC func(meta.RESTMapper) (RBACScope, error)
	// AWSAuth reads kube-system/aws-auth. Live, a missing one is a warning; offline,
	// an input without it is incomplete, unless access entries say the cluster does not
	// read it (mode API).
	AWSAuth bool
	// Access reads the cluster's EKS authentication mode and access entries.
	Access *AccessRequest
	// Harden reads what `sa harden` audits in this scope.
	Harden *HardenScope
	// PodIdentity reads the service accounts, pods, workloads and nodes pod-identity
	// maps, in Namespace ("" for all).
	PodIdentity *PodIdentityScope
	// Resources lists the resource types served, with their subresources: live from
	// discovery, offline the built-in table and the input's CRDs.
	Resources bool
	// AWS reads the AWS inputs of pod identity and the cluster's endpoint access,
	// after the rest (see AWSRequest).
	AWS *AWSRequest
}

// PodIdentityScope is the scope of a pod-identity read.
type PodIdentityScope struct {
	Namespace string
	PageSize  int64
}

// Snapshot is what was read, with one completeness flag and one list of warnings.
type Snapshot struct {
	Offline bool
	Mapper  meta.RESTMapper
	RBAC    *rbac.Snapshot
	// AWSAuth is nil when there is none (a warning says so).
	AWSAuth *AWSAuth
	// Access is nil when access entries were not read (a warning says why, where it
	// matters).
	Access *eks.Snapshot
	Harden *harden.Input
	// PodIdentity holds what pod-identity collected (nil unless asked for).
	PodIdentity *PodIdentityCollector
	// Resources are the resource types served (Request.Resources).
	Resources []resources.Served
	// AWS holds the AWS inputs (nil unless asked for); each input says whether it
	// was read.
	AWS *AWSInputs
	// Missing names what the input lacks for a full answer (offline only); the
	// answer is then incomplete and the command exits 2 after printing it.
	Missing  []string
	Warnings []v1alpha1.Warning
}

// Complete reports whether nothing the answer depends on is missing.
func (s *Snapshot) Complete() bool { return len(s.Missing) == 0 }

// Err is the error a command returns after printing an incomplete answer: exit 2,
// naming what is missing. Nil when complete.
func (s *Snapshot) Err() error {
	if s.Complete() {
		return nil
	}
	return &IncompleteError{Missing: s.Missing}
}

// IncompleteError says what an input lacked.
type IncompleteError struct{ Missing []string }

func (e *IncompleteError) Error() string { return strings.Join(e.Missing, "; ") }

func (s *Snapshot) warn(reason, format string, args ...any) {
	s.Warnings = append(s.Warnings, v1alpha1.Warning{Reason: reason, Message: fmt.Sprintf(format, args...)})
}

// Read reads what req asks for from in: live, with concurrent paged LISTs (any failed
// or forbidden read fails the whole read, naming each, as a *ReadError); offline, from
// the files, with the same completeness rules for every command.
func Read(ctx context.Context, in *Input, req Request) (*Snapshot, error) {
	if in.Offline() {
		return readFiles(ctx, in, req)
	}
	if in.Clients == nil {
		return nil, errors.New("source: no clients for a live read")
	}
	c := in.Clients
	s := &Snapshot{Mapper: c.Mapper}
	var scope *RBACScope
	if req.RBAC != nil {
		sc, err := req.RBAC(c.Mapper)
		if err != nil {
			return nil, err
		}
		scope = &sc
	}

	var (
		wg                       sync.WaitGroup
		rbacErr, authErr, accErr error
		hardenErr, podErr        error
		servedErr                error
		accessWarning            string
		servedWarning            string
	)
	if scope != nil && req.Harden == nil {
		wg.Go(func() { s.RBAC, rbacErr = ReadRBAC(ctx, c.Kube.RbacV1(), *scope) })
	}
	// The service account audit and pod identity in one namespace (or all) list the
	// same kinds: one LIST of each feeds both.
	shared := req.Harden != nil && req.PodIdentity != nil && req.Harden.Namespace == req.PodIdentity.Namespace && len(req.Harden.Exclude) == 0
	if req.Harden != nil {
		// The audit reads the RBAC kinds of its scope with the rest.
		hc := HardenClients{Kube: c.Kube, Metadata: c.Metadata}
		if shared {
			hc.PodIdentity = NewPodIdentityCollector(req.PodIdentity.Namespace)
		}
		wg.Go(func() {
			s.Harden, hardenErr = ReadHarden(ctx, hc, *req.Harden)
			if s.Harden != nil {
				s.RBAC = s.Harden.RBAC
				s.PodIdentity = hc.PodIdentity
			}
		})
	}
	if req.AWSAuth {
		wg.Go(func() { s.AWSAuth, authErr = GetAWSAuth(ctx, c.Kube.CoreV1()) })
	}
	if p := req.PodIdentity; p != nil && !shared {
		wg.Go(func() { s.PodIdentity, podErr = ReadPodIdentity(ctx, c.Kube, p.Namespace, p.PageSize) })
	}
	if req.Access != nil {
		wg.Go(func() { s.Access, accessWarning, accErr = req.Access.load(ctx, c.Loader, false) })
	}
	if req.Resources {
		wg.Go(func() { s.Resources, servedWarning, servedErr = readServed(c) })
	}
	wg.Wait()
	for _, err := range []error{rbacErr, hardenErr, podErr, servedErr} {
		if err != nil {
			return nil, err
		}
	}
	switch {
	case apierrors.IsNotFound(authErr):
		s.AWSAuth = nil
		if s.modeReadsAWSAuth() {
			s.warn("NoAWSAuth", "configmap kube-system/aws-auth does not exist, so no IAM principal is mapped through it")
		}
	case authErr != nil:
		return nil, &AWSAuthReadError{Err: authErr}
	}
	if accErr != nil {
		return nil, accErr
	}
	if accessWarning != "" {
		s.warn("AccessEntriesUnavailable", "%s", accessWarning)
	}
	if servedWarning != "" {
		s.warn("DiscoveryFailed", "%s", servedWarning)
	}
	if req.AWS != nil {
		if err := s.readAWS(ctx, req.AWS, c.Loader, false); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// AWSAuthReadError is a failed read of kube-system/aws-auth (other than NotFound).
type AWSAuthReadError struct{ Err error }

func (e *AWSAuthReadError) Error() string {
	return "incomplete view of IAM principals, refusing to answer: cannot read configmap kube-system/aws-auth: " + e.Err.Error()
}

func (e *AWSAuthReadError) Unwrap() error { return e.Err }

// modeReadsAWSAuth reports whether aws-auth counts: the mode is CONFIG_MAP,
// API_AND_CONFIG_MAP, or unknown (access entries not read).
func (s *Snapshot) modeReadsAWSAuth() bool {
	return s.Access == nil || s.Access.Cluster.AuthenticationMode != eks.ModeAPI
}

// readFiles is Read for -f input.
func readFiles(ctx context.Context, in *Input, req Request) (*Snapshot, error) {
	s := &Snapshot{Offline: true}
	var col *HardenCollector
	var visitors []func(*unstructured.Unstructured) error
	if req.Harden != nil {
		col = NewHardenCollector(*req.Harden)
		visitors = append(visitors, col.Visit)
	}
	if req.PodIdentity != nil {
		s.PodIdentity = NewPodIdentityCollector(req.PodIdentity.Namespace)
		visitors = append(visitors, s.PodIdentity.Visit)
	}
	files, err := ReadFiles(in.Getter, in.Files.Filenames, in.Files.Recursive, in.Namespace, visitors...)
	if err != nil {
		return nil, err
	}
	d, err := files.Discovery()
	if err != nil {
		return nil, err
	}
	s.Mapper = d.RESTMapper()
	for _, w := range files.Warnings {
		s.warn(w.Reason, "%s", w.Message)
	}
	if req.RBAC != nil || req.Harden != nil {
		if req.RBAC != nil {
			if _, err := req.RBAC(s.Mapper); err != nil {
				return nil, err
			}
		}
		s.RBAC = &files.RBAC
		s.Missing = append(s.Missing, files.missingRBAC()...)
	}
	if col != nil {
		s.Harden = col.Input(&files.RBAC)
	}
	if req.Resources {
		if s.Resources, err = files.servedOffline(); err != nil {
			return nil, err
		}
	}
	if req.Access != nil {
		var warning string
		if s.Access, warning, err = req.Access.load(ctx, nil, true); err != nil {
			return nil, err
		}
		if warning != "" {
			s.warn("AccessEntriesUnavailable", "%s", warning)
		}
	}
	if req.AWSAuth {
		s.AWSAuth = files.AWSAuth
		if s.AWSAuth == nil && s.modeReadsAWSAuth() {
			s.Missing = append(s.Missing, "the input holds no ConfigMap kube-system/aws-auth, so the answer is incomplete (the IAM principals it maps are unknown): add it with 'kubectl get configmap -n kube-system aws-auth -o yaml'")
		}
	}
	if req.AWS != nil {
		if err := s.readAWS(ctx, req.AWS, nil, true); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// missingRBAC names what a dump of the RBAC objects must hold and this input does
// not: the bootstrap ClusterRoles and ClusterRoleBindings every cluster has (without
// them the input is not a full dump, and an answer from it would look clean).
func (f *Files) missingRBAC() []string {
	const dump = "dump them with 'kubectl get clusterroles,clusterrolebindings,roles,rolebindings -A -o yaml'"
	if f.Counts["ClusterRole"]+f.Counts["ClusterRoleBinding"]+f.Counts["Role"]+f.Counts["RoleBinding"] == 0 {
		return []string{"the input holds no RBAC objects, so the answer is incomplete: " + dump}
	}
	var kinds []string
	if !slices.ContainsFunc(f.RBAC.ClusterRoles, func(r rbacv1.ClusterRole) bool { return isBootstrap(r.Labels) }) {
		kinds = append(kinds, "ClusterRoles")
	}
	if !slices.ContainsFunc(f.RBAC.ClusterRoleBindings, func(b rbacv1.ClusterRoleBinding) bool { return isBootstrap(b.Labels) }) {
		kinds = append(kinds, "ClusterRoleBindings")
	}
	if len(kinds) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("the input holds no %s of the bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults), so the answer is incomplete: %s", strings.Join(kinds, " and "), dump)}
}
