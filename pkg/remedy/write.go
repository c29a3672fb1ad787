// Package remedy is the one place that writes to the cluster: it applies a planned
// change to one object with optimistic concurrency (the read resourceVersion, a
// re-read, re-plan and re-check on every conflict), kubectl's dry-run modes, and a
// backup of the object before it is changed.
package remedy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
)

// FieldManager names kubectl-eksiam in managedFields.
const FieldManager = "kubectl-eksiam"

// Object is a typed Kubernetes object pointer, such as *corev1.ConfigMap.
type Object interface {
	runtime.Object
	metav1.Object
}

// Write is one planned change to one object.
type Write[T Object] struct {
	// GVK of the object, stamped on backups and printed objects.
	GVK schema.GroupVersionKind
	Get func(ctx context.Context) (T, error)
	// Update and Create send the object; Create may be nil (never create).
	Update func(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	Create func(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	// Delete removes the object; it is used when Plan returns a nil object with
	// changed=true. The call carries the live UID and resourceVersion as preconditions.
	Delete func(ctx context.Context, name string, opts metav1.DeleteOptions) error
	// Plan returns the object to write given the live one (live is the zero T when
	// it does not exist). It runs again after every conflict, on the fresh object,
	// so its checks always see what is written over. It must not modify live, and
	// returns changed=false when there is nothing to do; a nil object with
	// changed=true deletes the object.
	Plan   func(live T, exists bool) (desired T, changed bool, err error)
	DryRun cmdutil.DryRunStrategy
	// BackupDir receives a copy of the live object before a real write ("" = none).
	BackupDir string
	// BackupSet, when set, collects the live object instead (one file for a run).
	BackupSet *BackupSet
}

// Result says what happened.
type Result[T Object] struct {
	// Live is the object as read before the write (the zero T when absent).
	Live    T
	Exists  bool
	Desired T
	// Written is what the server returned (for client dry-run, Desired).
	Written T
	Changed bool
	Created bool
	Deleted bool
	// Attempts counts the reads (more than one after conflicts).
	Attempts int
	// Backup is the path of the backup written, if any.
	Backup string
}

// conflictBackoff is client-go's retry.DefaultRetry stretched for objects several
// writers edit at once (aws-auth during node group changes, or parallel pipelines):
// up to 10 attempts over about 6 seconds, with jitter to spread the writers out.
var conflictBackoff = wait.Backoff{Steps: 10, Duration: 20 * time.Millisecond, Factor: 1.7, Jitter: 1.0}

// Run plans and writes, retrying on conflict.
func (w *Write[T]) Run(ctx context.Context) (*Result[T], error) {
	res := &Result[T]{}
	err := retry.RetryOnConflict(conflictBackoff, func() error {
		res.Attempts++
		var zero T
		live, err := w.Get(ctx)
		exists := true
		if apierrors.IsNotFound(err) {
			live, exists, err = zero, false, nil
		}
		if err != nil {
			return err
		}
		res.Live, res.Exists = live, exists
		desired, changed, err := w.Plan(live, exists)
		if err != nil {
			return err
		}
		res.Desired, res.Changed, res.Created = desired, changed, !exists
		if !changed {
			return nil
		}
		if !exists && w.Create == nil {
			return fmt.Errorf("%s does not exist", w.GVK.Kind)
		}
		if w.DryRun == cmdutil.DryRunClient {
			res.Written = desired
			return nil
		}
		deleting := any(desired) == any(zero)
		res.Deleted = deleting
		if deleting && (w.Delete == nil || !exists) {
			return fmt.Errorf("%s: deleting is not supported here", w.GVK.Kind)
		}
		send := func(dryRun []string) (T, error) {
			if deleting {
				uid, rv := live.GetUID(), live.GetResourceVersion()
				err := w.Delete(ctx, live.GetName(), metav1.DeleteOptions{DryRun: dryRun,
					Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &rv}})
				return zero, err
			}
			if exists {
				return w.Update(ctx, desired, metav1.UpdateOptions{DryRun: dryRun, FieldManager: FieldManager})
			}
			return w.Create(ctx, desired, metav1.CreateOptions{DryRun: dryRun, FieldManager: FieldManager})
		}
		// The server checks the write first (authorization, admission, validation,
		// the resourceVersion) without persisting it, so that a refused write leaves
		// nothing behind, not even a backup.
		if res.Written, err = send([]string{metav1.DryRunAll}); err != nil || w.DryRun == cmdutil.DryRunServer {
			return err
		}
		switch {
		case exists && w.BackupSet != nil:
			if err := w.BackupSet.Add(w.GVK, live); err != nil {
				return fmt.Errorf("writing the backup (nothing was changed): %w", err)
			}
			res.Backup = w.BackupSet.Path()
		case exists && w.BackupDir != "":
			if res.Backup, err = WriteBackup(w.BackupDir, w.GVK, live); err != nil {
				return fmt.Errorf("writing the backup (nothing was changed): %w", err)
			}
		}
		if res.Written, err = send(nil); err != nil && res.Backup != "" && w.BackupSet == nil {
			// Nothing was changed (a conflict is retried on a fresh read, with a
			// fresh backup): drop this backup.
			_ = os.Remove(res.Backup)
			res.Backup = ""
		}
		return err
	})
	if err != nil {
		var retryErr error = err
		if apierrors.IsConflict(err) {
			retryErr = fmt.Errorf("the object kept changing under the edit (%d attempts): %w", res.Attempts, err)
		}
		return res, retryErr
	}
	return res, nil
}

// WriteBackup saves obj as YAML in dir (created 0700; the file 0600) and returns the
// path. The name carries the object, its resourceVersion and the time.
func WriteBackup(dir string, gvk schema.GroupVersionKind, obj Object) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	c := obj.DeepCopyObject()
	c.GetObjectKind().SetGroupVersionKind(gvk)
	data, err := yaml.Marshal(c)
	if err != nil {
		return "", err
	}
	m, err := meta.Accessor(c)
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("%s-%s-%s-rv%s-%s.yaml", strings.ToLower(gvk.Kind), m.GetNamespace(), m.GetName(), m.GetResourceVersion(),
		time.Now().UTC().Format("20060102T150405.000000000Z"))
	name = strings.ReplaceAll(name, ":", "_")
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return "", errors.Join(werr, os.Remove(path))
	}
	return path, nil
}
