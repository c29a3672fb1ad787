package source

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	rbacclient "k8s.io/client-go/kubernetes/typed/rbac/v1"
	"k8s.io/client-go/tools/pager"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/rbac"
)

// DefaultPageSize keeps round trips few on large clusters (a page of RBAC objects is
// a few hundred kilobytes at most) while bounding the size of each response.
const DefaultPageSize = 2000

// RBACScope says which RBAC objects an answer needs.
type RBACScope struct {
	// Namespaced asks for Roles and RoleBindings too; ClusterRoles and
	// ClusterRoleBindings are always read.
	Namespaced bool
	// Namespace limits Roles and RoleBindings to one namespace; "" reads all.
	Namespace string
	// PageSize of each LIST; 0 means DefaultPageSize.
	PageSize int64
}

// ReadError lists every read that failed. The snapshot is then incomplete and must not
// be used for an answer.
type ReadError struct {
	Failures []ReadFailure
	// Subject names what is incomplete ("RBAC" when empty).
	Subject string
}

// ReadFailure is one LIST that failed.
type ReadFailure struct {
	What string // for example "rolebindings in namespace app", "clusterroles"
	Err  error
}

func (e *ReadError) Error() string {
	parts := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		parts[i] = fmt.Sprintf("cannot list %s: %v", f.What, f.Err)
	}
	subject := e.Subject
	if subject == "" {
		subject = "RBAC"
	}
	return "incomplete view of " + subject + ", refusing to answer: " + strings.Join(parts, "; ")
}

// Unwrap returns the underlying errors, so that apierrors.IsForbidden and friends see them.
func (e *ReadError) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		errs[i] = f.Err
	}
	return errs
}

// ReadRBAC reads the RBAC objects scope needs with one paginated LIST per kind, all
// issued at once. Any failed LIST fails the whole read with a *ReadError naming each.
func ReadRBAC(ctx context.Context, c rbacclient.RbacV1Interface, scope RBACScope) (*rbac.Snapshot, error) {
	pageSize := scope.PageSize
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	where := ""
	if scope.Namespace != "" {
		where = " in namespace " + scope.Namespace
	}

	s := &rbac.Snapshot{}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []ReadFailure
	)
	read := func(what string, list func(context.Context) error) {
		wg.Go(func() {
			if err := list(ctx); err != nil {
				mu.Lock()
				failures = append(failures, ReadFailure{What: what, Err: err})
				mu.Unlock()
			}
		})
	}
	read("clusterroles", func(ctx context.Context) error {
		in := interner{}
		return listInto(ctx, pageSize, c.ClusterRoles().List, &s.ClusterRoles, func(r *rbacv1.ClusterRole) { in.rules(r.Rules) })
	})
	read("clusterrolebindings", func(ctx context.Context) error {
		in := interner{}
		return listInto(ctx, pageSize, c.ClusterRoleBindings().List, &s.ClusterRoleBindings, func(b *rbacv1.ClusterRoleBinding) { in.binding(b.Subjects, &b.RoleRef) })
	})
	if scope.Namespaced {
		read("roles"+where, func(ctx context.Context) error {
			in := interner{}
			return listInto(ctx, pageSize, c.Roles(scope.Namespace).List, &s.Roles, func(r *rbacv1.Role) { in.rules(r.Rules) })
		})
		read("rolebindings"+where, func(ctx context.Context) error {
			in := interner{}
			return listInto(ctx, pageSize, c.RoleBindings(scope.Namespace).List, &s.RoleBindings, func(b *rbacv1.RoleBinding) { in.binding(b.Subjects, &b.RoleRef) })
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		// Report in a fixed order, whatever order the LISTs finished in.
		order := []string{"clusterroles", "clusterrolebindings", "roles", "rolebindings"}
		rank := func(f ReadFailure) int {
			return slices.IndexFunc(order, func(kind string) bool { return strings.HasPrefix(f.What+" ", kind+" ") })
		}
		slices.SortFunc(failures, func(a, b ReadFailure) int { return rank(a) - rank(b) })
		return nil, &ReadError{Failures: failures}
	}
	return s, nil
}

// listInto reads a collection with client-go's pager and appends its items to dst,
// each slimmed (see slim) and tidied. The first page says how many items remain, so dst is
// allocated once at its final size instead of growing page by page.
func listInto[T any, PT interface {
	*T
	metav1.Object
}, L runtime.Object](ctx context.Context, pageSize int64, list func(context.Context, metav1.ListOptions) (L, error), dst *[]T, tidy func(PT)) error {
	total := 0 // written by the page function before the pager hands its items on
	p := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		l, err := list(ctx, opts)
		if err != nil {
			return nil, err
		}
		if m, err := meta.ListAccessor(l); err == nil && total == 0 && m.GetRemainingItemCount() != nil {
			total = meta.LenList(l) + int(*m.GetRemainingItemCount())
		}
		return l, nil
	})
	p.PageSize = pageSize
	return p.EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
		x, ok := obj.(PT)
		if !ok {
			return fmt.Errorf("unexpected %T in a list", obj)
		}
		if *dst == nil && total > 0 {
			*dst = make([]T, 0, total)
		}
		slim(x)
		tidy(x)
		*dst = append(*dst, *x)
		return nil
	})
}

// slim drops what the engines never read of an object's metadata (uid,
// resourceVersion, timestamps, managed fields, owner references, finalizers, and every
// annotation but the RBAC autoupdate one), so that a snapshot of a large cluster holds
// no managed fields or last-applied configurations. Writes re-read what they change.
func slim(o metav1.Object) {
	o.SetUID("")
	o.SetResourceVersion("")
	o.SetCreationTimestamp(metav1.Time{})
	o.SetManagedFields(nil)
	o.SetOwnerReferences(nil)
	o.SetFinalizers(nil)
	if a := o.GetAnnotations(); len(a) > 0 {
		if v, ok := a[rbacv1.AutoUpdateAnnotationKey]; ok && len(a) > 1 {
			o.SetAnnotations(map[string]string{rbacv1.AutoUpdateAnnotationKey: v})
		} else if !ok {
			o.SetAnnotations(nil)
		}
	}
}

// interner shares the strings RBAC rules repeat (verbs, API groups, resources) across
// a whole read, instead of one copy per rule as decoded.
type interner map[string]string

func (in interner) all(ss []string) {
	for i := range ss {
		in.one(&ss[i])
	}
}

func (in interner) one(s *string) {
	if v, ok := in[*s]; ok {
		*s = v
	} else {
		in[*s] = *s
	}
}

func (in interner) binding(subjects []rbacv1.Subject, ref *rbacv1.RoleRef) {
	for i := range subjects {
		in.one(&subjects[i].Kind)
		in.one(&subjects[i].APIGroup)
		in.one(&subjects[i].Namespace)
	}
	in.one(&ref.Kind)
	in.one(&ref.APIGroup)
}

func (in interner) rules(rules []rbacv1.PolicyRule) {
	for i := range rules {
		r := &rules[i]
		in.all(r.Verbs)
		in.all(r.APIGroups)
		in.all(r.Resources)
		in.all(r.ResourceNames)
		in.all(r.NonResourceURLs)
	}
}

// pageFunc adapts a typed List method to the pager.
func pageFunc[L runtime.Object](list func(context.Context, metav1.ListOptions) (L, error)) pager.ListPageFunc {
	return func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return list(ctx, opts)
	}
}
