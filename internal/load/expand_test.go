package load

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// failFS fails to list the directories in bad, as a directory without
// read permission does (which tests run as root cannot make).
type failFS struct {
	osFS
	bad map[string]bool
}

func (f failFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if f.bad[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return os.ReadDir(name)
}

// A directory that cannot be listed is skipped with its error and the
// walk goes on (it aborted the run with "open ...: permission denied").
func TestExpandUnreadableDirectory(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"a/1.json", "b/2.json", "c/3.json"} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bad := filepath.Join(root, "b")
	got, skipped, err := expand(failFS{bad: map[string]bool{bad: true}}, []string{root}, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []Source{{Path: filepath.Join(root, "a", "1.json")}, {Path: filepath.Join(root, "c", "3.json")}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sources %+v", got)
	}
	if len(skipped) != 1 || skipped[0].Path != bad || skipped[0].Reason != "unreadable directory: open: permission denied" || !errors.Is(skipped[0].Err, fs.ErrPermission) {
		t.Errorf("skipped %+v", skipped)
	}
	// The same with a real directory without permissions, where the
	// tests do not run as root.
	if os.Geteuid() == 0 {
		return
	}
	if err := os.Chmod(bad, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(bad, 0o755)
	got, skipped, err = Expand([]string{root}, "")
	if err != nil || !reflect.DeepEqual(got, want) || len(skipped) != 1 || !errors.Is(skipped[0].Err, fs.ErrPermission) {
		t.Errorf("chmod 0: %+v %+v %v", got, skipped, err)
	}
}
