package remedy

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

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

// BindingChange turns a binding's live subjects (and annotations) into new ones.
// It returns changed=false when there is nothing to do.
type BindingChange func(subjects []rbacv1.Subject, annotations map[string]string) (newSubjects []rbacv1.Subject, newAnnotations map[string]string, changed bool, err error)

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

// RoleBindingSubjects updates one existing RoleBinding's subjects (and annotations).
func RoleBindingSubjects(c kube.Interface, namespace, name string, change BindingChange, o Options) *Write[*rbacv1.RoleBinding] {
	return RoleBinding(c, namespace, name, func(live *rbacv1.RoleBinding, exists bool) (*rbacv1.RoleBinding, bool, error) {
		if !exists {
			return nil, false, fmt.Errorf("rolebinding %s/%s does not exist", namespace, name)
		}
		subjects, annotations, changed, err := change(live.Subjects, live.Annotations)
		if err != nil || !changed {
			return live, false, err
		}
		d := live.DeepCopy()
		d.Subjects, d.Annotations = subjects, annotations
		return d, true, nil
	}, o)
}

// ClusterRoleBindingSubjects updates one existing ClusterRoleBinding's subjects (and annotations).
func ClusterRoleBindingSubjects(c kube.Interface, name string, change BindingChange, o Options) *Write[*rbacv1.ClusterRoleBinding] {
	return ClusterRoleBinding(c, name, func(live *rbacv1.ClusterRoleBinding, exists bool) (*rbacv1.ClusterRoleBinding, bool, error) {
		if !exists {
			return nil, false, fmt.Errorf("clusterrolebinding %s does not exist", name)
		}
		subjects, annotations, changed, err := change(live.Subjects, live.Annotations)
		if err != nil || !changed {
			return live, false, err
		}
		d := live.DeepCopy()
		d.Subjects, d.Annotations = subjects, annotations
		return d, true, nil
	}, o)
}

// RemoveSubjects is a BindingChange that takes out every subject equal to one of
// remove (by kind, name and namespace, as written).
func RemoveSubjects(remove []rbacv1.Subject) BindingChange {
	return func(subjects []rbacv1.Subject, annotations map[string]string) ([]rbacv1.Subject, map[string]string, bool, error) {
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
		return keep, annotations, len(keep) != len(subjects), nil
	}
}
