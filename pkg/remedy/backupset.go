package remedy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// BackupSet is one backup file, a v1 List of every object a run changes, as each was
// just before its change. It is written again (atomically) after each addition, so
// that a run cut short leaves a backup of what it did change.
type BackupSet struct {
	dir, prefix string
	mu          sync.Mutex
	path        string
	items       []runtime.Object
}

// NewBackupSet names a backup that will be written in dir as <prefix>-<time>.yaml,
// on the first Add.
func NewBackupSet(dir, prefix string) *BackupSet { return &BackupSet{dir: dir, prefix: prefix} }

// Path is the file written, "" before the first Add.
func (b *BackupSet) Path() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.path
}

// Len is the number of objects in the backup.
func (b *BackupSet) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.items)
}

// Add records obj (replacing an earlier copy of the same object, as after a
// conflict the fresher one is what the change overwrites) and rewrites the file.
func (b *BackupSet) Add(gvk schema.GroupVersionKind, obj Object) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := obj.DeepCopyObject()
	c.GetObjectKind().SetGroupVersionKind(gvk)
	key := func(o runtime.Object) string {
		m, _ := meta.Accessor(o)
		return o.GetObjectKind().GroupVersionKind().Kind + "/" + m.GetNamespace() + "/" + m.GetName()
	}
	replaced := false
	for i, it := range b.items {
		if key(it) == key(c) {
			b.items[i], replaced = c, true
		}
	}
	if !replaced {
		b.items = append(b.items, c)
	}
	if b.path == "" {
		if err := os.MkdirAll(b.dir, 0o700); err != nil {
			return err
		}
		b.path = filepath.Join(b.dir, fmt.Sprintf("%s-%s.yaml", b.prefix, time.Now().UTC().Format("20060102T150405.000000000Z")))
	}
	list := &metav1.List{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "List"}}
	for _, it := range b.items {
		raw, err := json.Marshal(it)
		if err != nil {
			return err
		}
		list.Items = append(list.Items, runtime.RawExtension{Raw: raw})
	}
	data, err := yaml.Marshal(list)
	if err != nil {
		return err
	}
	tmp := b.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, b.path)
}
