// Package resources turns the TYPE[.GROUP] a user types into the API group and
// resource RBAC sees, the way kubectl does (short names, singular, plural and kind,
// through a RESTMapper), and knows the resources only RBAC knows (impersonation
// targets and signers), which discovery never lists.
package resources

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Resource is a resolved resource type.
type Resource struct {
	Group    string
	Resource string // plural, lower case; "*" for all resources
	// Namespaced reports whether requests for the resource carry a namespace. It is
	// true for "*", whose requests RBAC evaluates in the namespace asked for.
	Namespaced bool
	// RBACOnly marks resources RBAC knows but discovery does not list.
	RBACOnly bool
}

// String returns the resource as kubectl writes it: resource[.group].
func (r Resource) String() string {
	if r.Group == "" {
		return r.Resource
	}
	return r.Resource + "." + r.Group
}

// rbacOnly returns the resources that RBAC rules name but that are not served as API
// resources: the targets of the impersonate verb and certificate signers.
func rbacOnly(gr schema.GroupResource) (Resource, bool) {
	switch gr {
	case schema.GroupResource{Resource: "users"}, schema.GroupResource{Resource: "user"}:
		return Resource{Resource: "users", RBACOnly: true}, true
	case schema.GroupResource{Resource: "groups"}, schema.GroupResource{Resource: "group"}:
		return Resource{Resource: "groups", RBACOnly: true}, true
	case schema.GroupResource{Resource: "uids"}, schema.GroupResource{Resource: "uids", Group: "authentication.k8s.io"}:
		return Resource{Group: "authentication.k8s.io", Resource: "uids", RBACOnly: true}, true
	case schema.GroupResource{Resource: "userextras"}, schema.GroupResource{Resource: "userextras", Group: "authentication.k8s.io"}:
		return Resource{Group: "authentication.k8s.io", Resource: "userextras", RBACOnly: true}, true
	case schema.GroupResource{Resource: "signers"}, schema.GroupResource{Resource: "signers", Group: "certificates.k8s.io"}:
		return Resource{Group: "certificates.k8s.io", Resource: "signers", RBACOnly: true}, true
	}
	return Resource{}, false
}

// NotFoundError says that no resource type matches what the user typed.
type NotFoundError struct{ Arg string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("the server doesn't have a resource type %q", e.Arg)
}

// Resolve turns arg (TYPE or TYPE.GROUP, as kubectl get accepts it: a short name,
// singular, plural or kind, optionally with a version and group) into a Resource.
// mapper may be nil when the answer needs no discovery ("*", RBAC-only resources);
// otherwise it is consulted as kubectl does. An argument no mapping matches gives a
// *NotFoundError; discovery failures are returned as they are.
func Resolve(mapper meta.RESTMapper, arg string) (Resource, error) {
	lower := strings.ToLower(arg)
	gr := schema.ParseGroupResource(lower)
	if gr.Resource == "" {
		return Resource{}, fmt.Errorf("resource type must not be empty")
	}
	if gr.Resource == "*" {
		// "*" alone is every resource of every group, as users read it (and as RBAC
		// rules write it: apiGroups ["*"], resources ["*"]); "*.apps" is every resource
		// of one group, "*." the core group's.
		group := gr.Group
		if lower == "*" {
			group = "*"
		}
		return Resource{Group: group, Resource: "*", Namespaced: true}, nil
	}
	if r, ok := rbacOnly(gr); ok {
		return r, nil
	}
	if mapper == nil {
		return Resource{}, &NotFoundError{Arg: arg}
	}

	fullySpecified, groupResource := schema.ParseResourceArg(lower)
	var gvr schema.GroupVersionResource
	if fullySpecified != nil {
		gvr, _ = mapper.ResourceFor(*fullySpecified)
	}
	if gvr.Empty() {
		var err error
		gvr, err = mapper.ResourceFor(groupResource.WithVersion(""))
		if err != nil && !meta.IsNoMatchError(err) {
			return Resource{}, err
		}
	}
	var mapping *meta.RESTMapping
	if !gvr.Empty() {
		gvk, err := mapper.KindFor(gvr)
		if err != nil {
			return Resource{}, err
		}
		if mapping, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			return Resource{}, err
		}
	} else {
		// Not a resource name: try it as a Kind (Deployment, Deployment.apps), in its
		// original case.
		_, gk := schema.ParseKindArg(arg)
		m, err := mapper.RESTMapping(gk)
		if err != nil {
			if meta.IsNoMatchError(err) {
				return Resource{}, &NotFoundError{Arg: arg}
			}
			return Resource{}, err
		}
		mapping = m
	}
	return Resource{
		Group:      mapping.Resource.Group,
		Resource:   mapping.Resource.Resource,
		Namespaced: mapping.Scope.Name() == meta.RESTScopeNameNamespace,
	}, nil
}

// KnownSubresources are the subresources Kubernetes serves for a resource (by its
// plural name), for telling TYPE/NAME from TYPE with --subresource: "pods/exec" asks
// about a pod named exec, which is rarely what is meant.
func KnownSubresources(resource string) []string {
	switch resource {
	case "pods":
		return []string{"attach", "binding", "ephemeralcontainers", "eviction", "exec", "log", "portforward", "proxy", "resize", "status"}
	case "deployments", "replicasets", "statefulsets", "replicationcontrollers":
		return []string{"scale", "status"}
	case "daemonsets", "jobs", "cronjobs", "persistentvolumeclaims", "persistentvolumes", "resourcequotas", "horizontalpodautoscalers", "poddisruptionbudgets":
		return []string{"status"}
	case "services", "nodes":
		return []string{"proxy", "status"}
	case "namespaces":
		return []string{"finalize", "status"}
	case "serviceaccounts":
		return []string{"token"}
	case "certificatesigningrequests":
		return []string{"approval", "status"}
	case "customresourcedefinitions", "apiservices":
		return []string{"status"}
	}
	return nil
}
