package remedy

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
)

// Options are what every write of a run shares.
type Options struct {
	DryRun    cmdutil.DryRunStrategy
	BackupSet *BackupSet
}

// ServiceAccountAutomount sets automountServiceAccountToken of one service account,
// with a merge patch that carries the resourceVersion read (so a concurrent change
// is a conflict, re-read and re-checked). value nil removes the field.
func ServiceAccountAutomount(c kube.Interface, namespace, name string, value *bool, o Options) *Write[*corev1.ServiceAccount] {
	sas := c.CoreV1().ServiceAccounts(namespace)
	return &Write[*corev1.ServiceAccount]{
		GVK:       corev1.SchemeGroupVersion.WithKind("ServiceAccount"),
		DryRun:    o.DryRun,
		BackupSet: o.BackupSet,
		Get: func(ctx context.Context) (*corev1.ServiceAccount, error) {
			return sas.Get(ctx, name, metav1.GetOptions{})
		},
		Plan: func(live *corev1.ServiceAccount, exists bool) (*corev1.ServiceAccount, bool, error) {
			if !exists {
				return nil, false, fmt.Errorf("serviceaccount %s/%s does not exist", namespace, name)
			}
			if samePtr(live.AutomountServiceAccountToken, value) {
				return live, false, nil
			}
			d := live.DeepCopy()
			d.AutomountServiceAccountToken = value
			return d, true, nil
		},
		Update: func(ctx context.Context, sa *corev1.ServiceAccount, opts metav1.UpdateOptions) (*corev1.ServiceAccount, error) {
			patch, err := json.Marshal(map[string]any{
				"metadata":                     map[string]any{"resourceVersion": sa.ResourceVersion},
				"automountServiceAccountToken": sa.AutomountServiceAccountToken,
			})
			if err != nil {
				return nil, err
			}
			return sas.Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{DryRun: opts.DryRun, FieldManager: opts.FieldManager})
		},
	}
}

func samePtr(a, b *bool) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// BindingEdit is what a BindingChange decides for one binding.
type BindingEdit struct {
	Subjects    []rbacv1.Subject
	Annotations map[string]string
	// Delete removes the binding (it is left with nothing to grant to anyone).
	Delete bool
	// Changed is false when there is nothing to do.
	Changed bool
}

// BindingChange turns a binding's live subjects (and annotations) into an edit.
type BindingChange func(subjects []rbacv1.Subject, annotations map[string]string) (BindingEdit, error)

// BindingRef names a RoleBinding (Namespace set) or a ClusterRoleBinding.
type BindingRef struct {
	Kind, Namespace, Name string
}

// BindingSubjects applies change to one binding's live subjects and annotations,
// with the guarantees of Write (resourceVersion, re-plan on conflict, dry-run,
// backup). A binding that no longer exists is left alone when missingOK (it has
// nothing left to revoke), an error otherwise.
func BindingSubjects(ctx context.Context, c kube.Interface, ref BindingRef, change BindingChange, missingOK bool, o Options) (changed, deleted bool, err error) {
	del := false // the last plan's decision (a conflict re-plans)
	edit := func(subjects []rbacv1.Subject, annotations map[string]string, exists bool) (BindingEdit, error) {
		del = false
		if !exists {
			if missingOK {
				return BindingEdit{}, nil
			}
			return BindingEdit{}, fmt.Errorf("%s %s does not exist", strings.ToLower(ref.Kind), path.Join(ref.Namespace, ref.Name))
		}
		e, err := change(subjects, annotations)
		del = e.Delete && e.Changed
		return e, err
	}
	if ref.Kind == "ClusterRoleBinding" {
		res, err := ClusterRoleBinding(c, ref.Name, func(live *rbacv1.ClusterRoleBinding, exists bool) (*rbacv1.ClusterRoleBinding, bool, error) {
			e, err := edit(live.Subjects, live.Annotations, exists)
			if err != nil || !e.Changed || e.Delete {
				return nil, e.Changed, err
			}
			d := live.DeepCopy()
			d.Subjects, d.Annotations = e.Subjects, e.Annotations
			return d, true, nil
		}, o).Run(ctx)
		return res.Changed, del && res.Changed, err
	}
	res, err := RoleBinding(c, ref.Namespace, ref.Name, func(live *rbacv1.RoleBinding, exists bool) (*rbacv1.RoleBinding, bool, error) {
		e, err := edit(live.Subjects, live.Annotations, exists)
		if err != nil || !e.Changed || e.Delete {
			return nil, e.Changed, err
		}
		d := live.DeepCopy()
		d.Subjects, d.Annotations = e.Subjects, e.Annotations
		return d, true, nil
	}, o).Run(ctx)
	return res.Changed, del && res.Changed, err
}

// RoleBinding writes one RoleBinding as plan says (update, create or delete).
func RoleBinding(c kube.Interface, namespace, name string, plan func(live *rbacv1.RoleBinding, exists bool) (*rbacv1.RoleBinding, bool, error), o Options) *Write[*rbacv1.RoleBinding] {
	rbs := c.RbacV1().RoleBindings(namespace)
	return &Write[*rbacv1.RoleBinding]{
		GVK:       rbacv1.SchemeGroupVersion.WithKind("RoleBinding"),
		DryRun:    o.DryRun,
		BackupSet: o.BackupSet,
		Get: func(ctx context.Context) (*rbacv1.RoleBinding, error) {
			return rbs.Get(ctx, name, metav1.GetOptions{})
		},
		Update: rbs.Update,
		Create: rbs.Create,
		Delete: rbs.Delete,
		Plan:   plan,
	}
}

// ClusterRoleBinding writes one ClusterRoleBinding as plan says.
func ClusterRoleBinding(c kube.Interface, name string, plan func(live *rbacv1.ClusterRoleBinding, exists bool) (*rbacv1.ClusterRoleBinding, bool, error), o Options) *Write[*rbacv1.ClusterRoleBinding] {
	crbs := c.RbacV1().ClusterRoleBindings()
	return &Write[*rbacv1.ClusterRoleBinding]{
		GVK:       rbacv1.SchemeGroupVersion.WithKind("ClusterRoleBinding"),
		DryRun:    o.DryRun,
		BackupSet: o.BackupSet,
		Get: func(ctx context.Context) (*rbacv1.ClusterRoleBinding, error) {
			return crbs.Get(ctx, name, metav1.GetOptions{})
		},
		Update: crbs.Update,
		Create: crbs.Create,
		Delete: crbs.Delete,
		Plan:   plan,
	}
}

// RemoveSubjects is a BindingChange that takes out every subject equal to one of
// remove (by kind, name and namespace, as written).
func RemoveSubjects(remove []rbacv1.Subject) BindingChange {
	return func(subjects []rbacv1.Subject, annotations map[string]string) (BindingEdit, error) {
		var keep []rbacv1.Subject
		for _, s := range subjects {
			drop := false
			for _, r := range remove {
				if s.Kind == r.Kind && s.Name == r.Name && s.Namespace == r.Namespace {
					drop = true
				}
			}
			if !drop {
				keep = append(keep, s)
			}
		}
		return BindingEdit{Subjects: keep, Annotations: annotations, Changed: len(keep) != len(subjects)}, nil
	}
}
