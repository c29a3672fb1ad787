package remedy

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
)

func sa(ns string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns, ResourceVersion: "5"}}
}

func writes(c *fake.Clientset) []string {
	var out []string
	for _, a := range c.Actions() {
		if a.GetVerb() == "get" || a.GetVerb() == "list" {
			continue
		}
		dry := ""
		if p, ok := a.(k8stesting.PatchActionImpl); ok && len(p.GetPatchOptions().DryRun) > 0 {
			dry = " dryRun"
		}
		if u, ok := a.(k8stesting.UpdateActionImpl); ok && len(u.GetUpdateOptions().DryRun) > 0 {
			dry = " dryRun"
		}
		out = append(out, a.GetVerb()+" "+a.GetResource().Resource+dry)
	}
	return out
}

func TestServiceAccountAutomountClientDryRun(t *testing.T) {
	c := fake.NewClientset(sa("app"))
	f := false
	res, err := ServiceAccountAutomount(c, "app", "default", &f, Options{DryRun: cmdutil.DryRunClient}).Run(context.Background())
	if err != nil || !res.Changed {
		t.Fatalf("%v %+v", err, res)
	}
	if w := writes(c); len(w) != 0 {
		t.Errorf("client dry run wrote: %v", w)
	}
}

// A conflict on the patch (the resourceVersion moved) is re-read and retried; the
// patch carries the resourceVersion it was planned on.
func TestServiceAccountAutomountRetriesConflict(t *testing.T) {
	c := fake.NewClientset(sa("app"))
	conflicts := 1
	var patches []string
	c.PrependReactor("patch", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.PatchActionImpl)
		patches = append(patches, string(p.GetPatch()))
		if len(p.GetPatchOptions().DryRun) > 0 {
			// The fake tracker ignores dryRun: answer as the server would, persisting nothing.
			obj, err := c.Tracker().Get(a.GetResource(), a.GetNamespace(), p.GetName())
			return true, obj, err
		}
		if conflicts > 0 {
			conflicts--
			return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "serviceaccounts"}, "default", errors.New("modified"))
		}
		return false, nil, nil
	})
	dir := t.TempDir()
	set := NewBackupSet(dir, "test")
	f := false
	res, err := ServiceAccountAutomount(c, "app", "default", &f, Options{BackupSet: set}).Run(context.Background())
	if err != nil || res.Attempts != 2 {
		t.Fatalf("want success on the second attempt: %v, %+v", err, res)
	}
	if len(patches) != 4 || !strings.Contains(patches[0], `"resourceVersion":"5"`) || !strings.Contains(patches[0], `"automountServiceAccountToken":false`) {
		t.Errorf("patches: %q", patches)
	}
	live, _ := c.CoreV1().ServiceAccounts("app").Get(context.Background(), "default", metav1.GetOptions{})
	if live.AutomountServiceAccountToken == nil || *live.AutomountServiceAccountToken {
		t.Errorf("not patched: %+v", live)
	}
	if set.Len() != 1 {
		t.Errorf("the backup holds %d objects, want 1 (the retry replaces the first copy)", set.Len())
	}
}

func TestBackupSetWritesAList(t *testing.T) {
	dir := t.TempDir()
	set := NewBackupSet(dir, "run")
	if err := set.Add(corev1.SchemeGroupVersion.WithKind("ServiceAccount"), sa("a")); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "a"}, Subjects: []rbacv1.Subject{{Kind: "User", Name: "u"}}}
	if err := set.Add(rbacv1.SchemeGroupVersion.WithKind("RoleBinding"), rb); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(set.Path())
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Kind  string
		Items []map[string]any
	}
	if err := yaml.Unmarshal(data, &list); err != nil || list.Kind != "List" || len(list.Items) != 2 {
		t.Fatalf("backup: %v\n%s", err, data)
	}
	if list.Items[0]["kind"] != "ServiceAccount" || list.Items[1]["kind"] != "RoleBinding" {
		t.Errorf("kinds: %v %v", list.Items[0]["kind"], list.Items[1]["kind"])
	}
	if info, _ := os.Stat(set.Path()); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", info.Mode().Perm())
	}
}

func TestRemoveSubjects(t *testing.T) {
	subjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default"}, {Kind: "ServiceAccount", Name: "default", Namespace: "x"}, {Kind: "User", Name: "default"}}
	e, _ := RemoveSubjects([]rbacv1.Subject{{Kind: "ServiceAccount", Name: "default"}})(subjects, nil)
	got, changed := e.Subjects, e.Changed
	if !changed || len(got) != 2 || got[0].Namespace != "x" {
		t.Errorf("got %v", got)
	}
	e, _ = RemoveSubjects([]rbacv1.Subject{{Kind: "Group", Name: "g"}})(subjects, nil)
	changed = e.Changed
	if changed {
		t.Error("nothing to remove is no change")
	}
}
