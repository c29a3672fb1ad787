// Package source reads one snapshot of the objects kubectl-eksiam reasons about: from
// a cluster with paged, concurrent LISTs, or from files written by kubectl get.
package source

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/resource"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/resources"
)

// Warning is something about the input a reader of the answer should know.
type Warning struct {
	Reason  string
	Message string
}

// Files is what was read from -f inputs.
type Files struct {
	RBAC rbac.Snapshot
	// CRDs found in the input, as resources a RESTMapper can resolve.
	CRDs []CRD
	// AWSAuth is the ConfigMap kube-system/aws-auth, when the input holds it.
	AWSAuth *AWSAuth
	// Counts of objects read by kind (RBAC kinds and CustomResourceDefinition).
	Counts   map[string]int
	Warnings []Warning
}

// CRD is a custom resource type declared in the input.
type CRD struct {
	Group    string
	Version  string
	Resource resources.APIResource
	// Subresources the served version enables (status, scale), sorted.
	Subresources []string
}

// Discovery returns the built-in resource table extended with the input's CRDs and
// the well-known add-on groups (CRDs in the input win).
func (f *Files) Discovery() (*resources.Discovery, error) {
	d, err := resources.Builtin()
	if err != nil {
		return nil, err
	}
	for _, c := range f.CRDs {
		d.Add(c.Group, c.Version, c.Resource)
	}
	d.AddWellKnownAddOns()
	return d, nil
}

type objectKey struct{ kind, namespace, name string }

// namespacedKinds are the namespaced kinds the readers use: a manifest may leave their
// namespace to the command line.
var namespacedKinds = map[schema.GroupKind]bool{
	{Group: rbacv1.GroupName, Kind: "Role"}: true, {Group: rbacv1.GroupName, Kind: "RoleBinding"}: true,
	{Kind: "ServiceAccount"}: true, {Kind: "Pod"}: true, {Kind: "Secret"}: true, {Kind: "ReplicationController"}: true,
	{Group: "apps", Kind: "Deployment"}: true, {Group: "apps", Kind: "StatefulSet"}: true, {Group: "apps", Kind: "DaemonSet"}: true,
	{Group: "apps", Kind: "ReplicaSet"}: true, {Group: "batch", Kind: "Job"}: true, {Group: "batch", Kind: "CronJob"}: true,
}

// kubeVersion is the form of a Kubernetes API version (v1, v2beta1...).
var kubeVersion = regexp.MustCompile(`^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$`)

// ReadFiles reads Kubernetes objects from files, directories (recursively when
// recursive is set) and "-" (standard input), in any form kubectl get -o yaml|json
// writes: single objects, List objects, multi-document YAML. It contacts no cluster.
// Objects of kinds kubectl-eksiam does not use are skipped. The same object given twice
// is read once; the last one wins, with a warning.
//
// Every object is also passed to visitors (for the service account audit, say).
//
// Namespaced objects without metadata.namespace (raw install manifests) are read in
// namespace, with a warning, as 'kubectl apply -n' would place them; with namespace ""
// they are refused.
func ReadFiles(getter resource.RESTClientGetter, filenames []string, recursive bool, namespace string, visitors ...func(*unstructured.Unstructured) error) (*Files, error) {
	r := resource.NewBuilder(getter).
		Local().
		Unstructured().
		FilenameParam(false, &resource.FilenameOptions{Filenames: filenames, Recursive: recursive}).
		Do()
	if err := r.Err(); err != nil {
		return nil, err
	}

	out := &Files{Counts: map[string]int{}}
	// Where each RBAC object was read from, and its index in its list.
	seen := map[objectKey]string{}
	position := map[objectKey]int{}
	add := func(key objectKey, source string) (idx int, dup bool) {
		if prev, ok := seen[key]; ok {
			out.Warnings = append(out.Warnings, Warning{Reason: "DuplicateObject",
				Message: fmt.Sprintf("%s %s appears more than once in the input (%s, %s): using the last", key.kind, nsName(key), prev, source)})
			return position[key], true
		}
		seen[key] = source
		return 0, false
	}

	var noVersion, defaulted []string
	visit := func(info *resource.Info, u *unstructured.Unstructured) error {
		if namespace != "" && u.GetNamespace() == "" && namespacedKinds[u.GroupVersionKind().GroupKind()] {
			u.SetNamespace(namespace)
			defaulted = append(defaulted, fmt.Sprintf("%s %s", u.GetKind(), u.GetName()))
		}
		gvk := u.GroupVersionKind()
		key := objectKey{kind: gvk.Kind, namespace: u.GetNamespace(), name: u.GetName()}
		where := func(err error) error {
			return fmt.Errorf("%s: %s %s: %w", info.Source, gvk.Kind, nsName(key), err)
		}
		if u.GetAPIVersion() == "" {
			noVersion = append(noVersion, fmt.Sprintf("%s %s (%s)", gvk.Kind, nsName(key), info.Source))
			return nil
		}
		if gvk.Group == rbacv1.GroupName && gvk.Version != rbacv1.SchemeGroupVersion.Version {
			why := "not a version the API server serves"
			if gvk.Version == "v1beta1" || gvk.Version == "v1alpha1" {
				why = "removed in Kubernetes 1.22; convert the file to rbac.authorization.k8s.io/v1"
			}
			return where(fmt.Errorf("apiVersion %s is %s", u.GetAPIVersion(), why))
		}
		for _, visit := range visitors {
			if err := visit(u); err != nil {
				return where(err)
			}
		}
		switch {
		case gvk.Group == rbacv1.GroupName:
			if key.name == "" {
				return where(fmt.Errorf("metadata.name is missing"))
			}
			idx, dup := add(key, info.Source)
			var n int
			var err error
			switch gvk.Kind {
			case "ClusterRole":
				n, err = put(&out.RBAC.ClusterRoles, u, idx, dup)
			case "ClusterRoleBinding":
				n, err = put(&out.RBAC.ClusterRoleBindings, u, idx, dup)
			case "Role":
				n, err = put(&out.RBAC.Roles, u, idx, dup, requireNamespace)
			case "RoleBinding":
				n, err = put(&out.RBAC.RoleBindings, u, idx, dup, requireNamespace)
			default:
				return nil
			}
			if err != nil {
				return where(err)
			}
			position[key] = n
			if !dup {
				out.Counts[gvk.Kind]++
			}
		case gvk.Group == "" && gvk.Kind == "ConfigMap" && key.namespace == awsauth.Namespace && key.name == awsauth.Name:
			var cm corev1.ConfigMap
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.UnstructuredContent(), &cm); err != nil {
				return where(err)
			}
			if out.AWSAuth != nil {
				out.Warnings = append(out.Warnings, Warning{Reason: "DuplicateObject",
					Message: fmt.Sprintf("ConfigMap kube-system/aws-auth appears more than once in the input (%s, %s): using the last", out.AWSAuth.Source, info.Source)})
			}
			out.AWSAuth = awsAuthFromConfigMap(&cm, info.Source)
			out.Counts[gvk.Kind]++
		case gvk.Group == "apiextensions.k8s.io" && gvk.Kind == "CustomResourceDefinition":
			crd, err := crdFrom(u)
			if err != nil {
				return where(err)
			}
			out.CRDs = append(out.CRDs, crd)
			out.Counts[gvk.Kind]++
		}
		return nil
	}
	err := r.Visit(func(info *resource.Info, err error) error {
		if err != nil {
			return err
		}
		var u *unstructured.Unstructured
		switch o := info.Object.(type) {
		case *unstructured.Unstructured:
			if !o.IsList() {
				return visit(info, o)
			}
			u = o
		case *unstructured.UnstructuredList:
			u = &unstructured.Unstructured{Object: o.UnstructuredContent()}
		default:
			return nil
		}
		// A List's items are read whatever the List's own apiVersion says, with a warning
		// when it is not one a server writes (v1 List, or the items' own <Kind>List).
		gv, kind := u.GroupVersionKind().GroupVersion(), u.GetKind()
		typed := kind != "List" && strings.HasSuffix(kind, "List") && kubeVersion.MatchString(gv.Version) && (gv.Group != rbacv1.GroupName || gv.Version == "v1")
		if !(kind == "List" && gv.String() == "v1") && !typed {
			out.Warnings = append(out.Warnings, Warning{Reason: "UnknownListVersion",
				Message: fmt.Sprintf("%s: a %s with apiVersion %q: its items are read, but no API server writes such a list", info.Source, kind, u.GetAPIVersion())})
		}
		list, err := u.ToList()
		if err != nil {
			return fmt.Errorf("%s: %v", info.Source, err)
		}
		for i := range list.Items {
			item := &list.Items[i]
			if item.GetAPIVersion() == "" && strings.HasSuffix(kind, "List") && kind != "List" {
				// <Kind>List items may leave their type implicit.
				item.SetAPIVersion(u.GetAPIVersion())
				item.SetKind(strings.TrimSuffix(kind, "List"))
			}
			if err := visit(info, item); err != nil {
				return err
			}
		}
		return nil
	})
	if len(defaulted) > 0 {
		shown := defaulted[:min(len(defaulted), 10)]
		more := ""
		if len(defaulted) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(defaulted)-len(shown))
		}
		out.Warnings = append(out.Warnings, Warning{Reason: "NamespaceDefaulted",
			Message: fmt.Sprintf("%d object(s) have no metadata.namespace and are read in namespace %s (-n, or the kubeconfig's), as kubectl apply would place them: %s%s", len(defaulted), namespace, strings.Join(shown, ", "), more)})
	}
	if len(noVersion) > 0 {
		out.Warnings = append(out.Warnings, Warning{Reason: "NoAPIVersion",
			Message: fmt.Sprintf("skipped %d object(s) without apiVersion, which no API server accepts: %s", len(noVersion), strings.Join(noVersion, ", "))})
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func nsName(k objectKey) string {
	if k.namespace == "" {
		return k.name
	}
	return k.namespace + "/" + k.name
}

type objectCheck func(namespace string) error

func requireNamespace(ns string) error {
	if ns == "" {
		return fmt.Errorf("metadata.namespace is missing")
	}
	return nil
}

// put converts u into the typed object T and appends it to *list, or replaces the
// element at idx when dup is set. It returns the element's index.
func put[T any, P interface {
	*T
	GetNamespace() string
}](list *[]T, u *unstructured.Unstructured, idx int, dup bool, checks ...objectCheck) (int, error) {
	var obj T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.UnstructuredContent(), &obj); err != nil {
		return 0, err
	}
	for _, check := range checks {
		if err := check(P(&obj).GetNamespace()); err != nil {
			return 0, err
		}
	}
	if dup {
		(*list)[idx] = obj
		return idx, nil
	}
	*list = append(*list, obj)
	return len(*list) - 1, nil
}

// crdFrom reads the parts of a CustomResourceDefinition a RESTMapper needs.
func crdFrom(u *unstructured.Unstructured) (CRD, error) {
	group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
	plural, _, _ := unstructured.NestedString(u.Object, "spec", "names", "plural")
	singular, _, _ := unstructured.NestedString(u.Object, "spec", "names", "singular")
	kind, _, _ := unstructured.NestedString(u.Object, "spec", "names", "kind")
	short, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "names", "shortNames")
	scope, _, _ := unstructured.NestedString(u.Object, "spec", "scope")
	versions, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions")
	if group == "" || plural == "" || kind == "" {
		return CRD{}, fmt.Errorf("spec.group, spec.names.plural and spec.names.kind are required")
	}
	version := ""
	var subresources []string
	for _, v := range versions {
		m, _ := v.(map[string]any)
		name, _ := m["name"].(string)
		served, _ := m["served"].(bool)
		storage, _ := m["storage"].(bool)
		if served && (version == "" || storage) {
			version = name
			subs, _ := m["subresources"].(map[string]any)
			subresources = slices.Sorted(maps.Keys(subs))
		}
	}
	if version == "" {
		return CRD{}, fmt.Errorf("spec.versions has no served version")
	}
	if singular == "" {
		singular = strings.ToLower(kind)
	}
	return CRD{Group: group, Version: version, Subresources: subresources, Resource: resources.APIResource{
		Name: plural, SingularName: singular, Kind: kind, ShortNames: short, Namespaced: scope != "Cluster",
	}}, nil
}
