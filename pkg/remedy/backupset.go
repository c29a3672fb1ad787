package remedy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// BackupSet is one backup file, a v1 List of every object a run changes, as each was
// just before its change. Each object is appended to the file, in one write, before
// it is changed, so that a run cut short leaves a backup of what it did change; the
// cost is linear in the objects (the file is never rewritten). An object backed up
// twice (a conflict re-reads it) appears twice: the later copy is what the change
// overwrote, and restores read the last copy of each object.
type BackupSet struct {
	dir, prefix string
	mu          sync.Mutex
	path        string
	file        *os.File
	keys        map[string]bool
}

// NewBackupSet names a backup that will be written in dir as <prefix>-<time>.yaml,
// on the first Add.
func NewBackupSet(dir, prefix string) *BackupSet {
	return &BackupSet{dir: dir, prefix: prefix, keys: map[string]bool{}}
}

// Path is the file written, "" before the first Add.
func (b *BackupSet) Path() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.path
}

// Len is the number of objects in the backup (each counted once).
func (b *BackupSet) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.keys)
}

// Add appends obj to the file (created 0600, in a folder created 0700, on the first
// call). It returns only once the object is written.
func (b *BackupSet) Add(gvk schema.GroupVersionKind, obj Object) error {
	c := obj.DeepCopyObject()
	c.GetObjectKind().SetGroupVersionKind(gvk)
	data, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	// One item of the List's items: "- " before the first line, two spaces before the rest.
	item := "- " + strings.ReplaceAll(strings.TrimSuffix(string(data), "\n"), "\n", "\n  ") + "\n"
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.file == nil {
		if err := os.MkdirAll(b.dir, 0o700); err != nil {
			return err
		}
		b.path = filepath.Join(b.dir, fmt.Sprintf("%s-%s.yaml", b.prefix, time.Now().UTC().Format("20060102T150405.000000000Z")))
		f, err := os.OpenFile(b.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
		if err != nil {
			b.path = ""
			return err
		}
		if _, err := f.WriteString("apiVersion: v1\nkind: List\nitems:\n"); err != nil {
			f.Close()
			return err
		}
		b.file = f
	}
	if _, err := b.file.WriteString(item); err != nil {
		return err
	}
	m, _ := meta.Accessor(c)
	b.keys[objectKey(c, m)] = true
	return nil
}

// Close flushes the file to disk and closes it; Add must not be called after.
func (b *BackupSet) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.file == nil {
		return nil
	}
	err := b.file.Sync()
	if cerr := b.file.Close(); err == nil {
		err = cerr
	}
	b.file = nil
	return err
}

func objectKey(o runtime.Object, m interface {
	GetNamespace() string
	GetName() string
}) string {
	return o.GetObjectKind().GroupVersionKind().Kind + "/" + m.GetNamespace() + "/" + m.GetName()
}
