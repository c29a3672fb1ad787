package source

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
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
	read := func(what string, list pager.ListPageFunc, each func(runtime.Object)) {
		wg.Go(func() {
			p := pager.New(list)
			p.PageSize = pageSize
			err := p.EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
				each(obj)
				return nil
			})
			if err != nil {
				mu.Lock()
				failures = append(failures, ReadFailure{What: what, Err: err})
				mu.Unlock()
			}
		})
	}
	read("clusterroles", pageFunc(c.ClusterRoles().List), func(o runtime.Object) {
		s.ClusterRoles = append(s.ClusterRoles, *o.(*rbacv1.ClusterRole))
	})
	read("clusterrolebindings", pageFunc(c.ClusterRoleBindings().List), func(o runtime.Object) {
		s.ClusterRoleBindings = append(s.ClusterRoleBindings, *o.(*rbacv1.ClusterRoleBinding))
	})
	if scope.Namespaced {
		read("roles"+where, pageFunc(c.Roles(scope.Namespace).List), func(o runtime.Object) {
			s.Roles = append(s.Roles, *o.(*rbacv1.Role))
		})
		read("rolebindings"+where, pageFunc(c.RoleBindings(scope.Namespace).List), func(o runtime.Object) {
			s.RoleBindings = append(s.RoleBindings, *o.(*rbacv1.RoleBinding))
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

// pageFunc adapts a typed List method to the pager.
func pageFunc[L runtime.Object](list func(context.Context, metav1.ListOptions) (L, error)) pager.ListPageFunc {
	return func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return list(ctx, opts)
	}
}
