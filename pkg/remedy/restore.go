package remedy

import (
	"context"
	"fmt"
	"os"
	"slices"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"
)

// backupList is a backup file: a v1 List of typed objects.
type backupList struct {
	ServiceAccounts     []corev1.ServiceAccount
	RoleBindings        []rbacv1.RoleBinding
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
}

func readBackupList(path string) (*backupList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var list struct {
		Kind  string           `json:"kind"`
		Items []map[string]any `json:"items"`
	}
	if err := yaml.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if list.Kind != "List" {
		return nil, fmt.Errorf("%s is not a backup (a List), but a %q", path, list.Kind)
	}
	// An object backed up twice (its write was retried after a conflict) counts once:
	// the last copy is what the change overwrote.
	last := map[string]int{}
	key := func(it map[string]any) string {
		m, _ := it["metadata"].(map[string]any)
		return fmt.Sprintf("%v/%v/%v", it["kind"], m["namespace"], m["name"])
	}
	for i, it := range list.Items {
		last[key(it)] = i
	}
	out := &backupList{}
	for i, it := range list.Items {
		if last[key(it)] != i {
			continue
		}
		raw, err := yaml.Marshal(it)
		if err != nil {
			return nil, err
		}
		var into any
		switch it["kind"] {
		case "ServiceAccount":
			out.ServiceAccounts = append(out.ServiceAccounts, corev1.ServiceAccount{})
			into = &out.ServiceAccounts[len(out.ServiceAccounts)-1]
		case "RoleBinding":
			out.RoleBindings = append(out.RoleBindings, rbacv1.RoleBinding{})
			into = &out.RoleBindings[len(out.RoleBindings)-1]
		case "ClusterRoleBinding":
			out.ClusterRoleBindings = append(out.ClusterRoleBindings, rbacv1.ClusterRoleBinding{})
			into = &out.ClusterRoleBindings[len(out.ClusterRoleBindings)-1]
		default:
			return nil, fmt.Errorf("%s: item %d is a %v, which a restore does not handle", path, i, it["kind"])
		}
		if err := yaml.UnmarshalStrict(raw, into); err != nil {
			return nil, fmt.Errorf("%s: item %d: %v", path, i, err)
		}
	}
	return out, nil
}

// RestoreResult is what a restore did to one object.
type RestoreResult struct {
	// Object is "serviceaccount/NAME -n NS", "rolebinding/NAME -n NS" or
	// "clusterrolebinding/NAME".
	Object string
	// Created: the object no longer existed and was created again as it was.
	Created, Changed bool
	Err              error
}

// RestoreBackup puts back what a backup List holds: each service account's
// automountServiceAccountToken, each binding's subjects and autoupdate annotation
// (a binding that no longer exists is created again, as it was). Every object goes
// through the common write path: its current resourceVersion, conflicts retried,
// the dry-run mode, and a backup (o.BackupSet) of what is replaced. It goes on after
// a failure; the error is only for a backup it cannot read.
func RestoreBackup(ctx context.Context, c kube.Interface, path string, o Options) ([]RestoreResult, error) {
	b, err := readBackupList(path)
	if err != nil {
		return nil, err
	}
	var out []RestoreResult
	for _, sa := range b.ServiceAccounts {
		res, err := ServiceAccountAutomount(c, sa.Namespace, sa.Name, sa.AutomountServiceAccountToken, o).Run(ctx)
		out = append(out, RestoreResult{Object: fmt.Sprintf("serviceaccount/%s -n %s", sa.Name, sa.Namespace), Changed: res.Changed, Err: err})
	}
	for _, rb := range b.RoleBindings {
		want := rb
		res, err := RoleBinding(c, rb.Namespace, rb.Name, func(live *rbacv1.RoleBinding, exists bool) (*rbacv1.RoleBinding, bool, error) {
			if !exists {
				return recreated(&want), true, nil
			}
			return restoreBindingFields(live, live.RoleRef, want.RoleRef, want.Subjects, want.Annotations, live.DeepCopy)
		}, o).Run(ctx)
		out = append(out, RestoreResult{Object: fmt.Sprintf("rolebinding/%s -n %s", rb.Name, rb.Namespace), Created: res.Created && res.Changed, Changed: res.Changed, Err: err})
	}
	for _, crb := range b.ClusterRoleBindings {
		want := crb
		res, err := ClusterRoleBinding(c, crb.Name, func(live *rbacv1.ClusterRoleBinding, exists bool) (*rbacv1.ClusterRoleBinding, bool, error) {
			if !exists {
				return recreated(&want), true, nil
			}
			return restoreBindingFields(live, live.RoleRef, want.RoleRef, want.Subjects, want.Annotations, live.DeepCopy)
		}, o).Run(ctx)
		out = append(out, RestoreResult{Object: "clusterrolebinding/" + crb.Name, Created: res.Created && res.Changed, Changed: res.Changed, Err: err})
	}
	return out, nil
}

// binding is either kind of RBAC binding, for restoreBindingFields.
type binding interface {
	*rbacv1.RoleBinding | *rbacv1.ClusterRoleBinding
}

// restoreBindingFields sets a live binding's subjects and autoupdate annotation to
// the backup's. roleRef is immutable: a binding whose role changed is not restored.
func restoreBindingFields[T binding](live T, liveRef, wantRef rbacv1.RoleRef, subjects []rbacv1.Subject, annotations map[string]string, copyLive func() T) (T, bool, error) {
	if liveRef != wantRef {
		return live, false, fmt.Errorf("its roleRef is now %s/%s, not %s/%s as in the backup: delete it first to restore it", liveRef.Kind, liveRef.Name, wantRef.Kind, wantRef.Name)
	}
	d := copyLive()
	var meta *metav1.ObjectMeta
	var liveSubjects *[]rbacv1.Subject
	switch b := any(d).(type) {
	case *rbacv1.RoleBinding:
		meta, liveSubjects = &b.ObjectMeta, &b.Subjects
	case *rbacv1.ClusterRoleBinding:
		meta, liveSubjects = &b.ObjectMeta, &b.Subjects
	}
	changed := !slices.Equal(*liveSubjects, subjects)
	*liveSubjects = subjects
	if want, ok := annotations[rbacv1.AutoUpdateAnnotationKey]; ok && meta.Annotations[rbacv1.AutoUpdateAnnotationKey] != want {
		if meta.Annotations == nil {
			meta.Annotations = map[string]string{}
		}
		meta.Annotations[rbacv1.AutoUpdateAnnotationKey] = want
		changed = true
	}
	return d, changed, nil
}

// recreated is a backed-up object ready to be created again.
func recreated[T binding](b T) T {
	var meta *metav1.ObjectMeta
	switch o := any(b).(type) {
	case *rbacv1.RoleBinding:
		c := o.DeepCopy()
		meta = &c.ObjectMeta
		clearServerFields(meta)
		return any(c).(T)
	case *rbacv1.ClusterRoleBinding:
		c := o.DeepCopy()
		meta = &c.ObjectMeta
		clearServerFields(meta)
		return any(c).(T)
	}
	return b
}

func clearServerFields(m *metav1.ObjectMeta) {
	m.ResourceVersion, m.UID, m.Generation = "", "", 0
	m.CreationTimestamp = metav1.Time{}
	m.ManagedFields = nil
}
