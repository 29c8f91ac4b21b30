package pqfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// A write that fails part way leaves no file of the archive, temporary or
// not, and no directory it made; a directory that was there stays.
func TestWritePartitionsCleansUp(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "cluster=a"), 0o755); err != nil {
		t.Fatal(err)
	}
	clusters := []string{"a", "b", "c"}
	boom := errors.New("boom")
	n := 0
	_, err := writePartitions(dir, "events.parquet", len(clusters),
		func(i int) (string, int64) { return clusters[i], 0 },
		func(w io.Writer, rows []int) error {
			n++
			if n == 3 {
				w.Write([]byte("partial"))
				return boom
			}
			_, err := w.Write([]byte("ok"))
			return err
		})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	var left []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if path != dir {
			rel, _ := filepath.Rel(dir, path)
			left = append(left, rel)
		}
		return nil
	})
	if len(left) != 1 || left[0] != "cluster=a" {
		t.Errorf("left behind: %q", left)
	}
}

// prepare accepts a new or empty directory and an archive with force,
// and refuses an archive without force and anything else.
func TestPrepare(t *testing.T) {
	mk := func(t *testing.T, files ...string) string {
		dir := t.TempDir()
		for _, f := range files {
			p := filepath.Join(dir, f)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	archive := []string{"cluster=a/date=2026-11-25/events.parquet", "cluster=a/date=2026-11-25/changes.parquet",
		"cluster=b%2Fc/date=unknown/events.parquet", "cluster=b%2Fc/date=unknown/.events.parquet.tmp-XYZ"}
	for _, tc := range []struct {
		name  string
		dir   string
		force bool
		want  error
	}{
		{"new", filepath.Join(t.TempDir(), "a", "b"), false, nil},
		{"empty", mk(t), false, nil},
		{"archive", mk(t, archive...), false, ErrArchiveExists},
		{"archive force", mk(t, archive...), true, nil},
		{"other file", mk(t, append(archive, "README")...), true, ErrNotArchive},
		{"other name in a partition", mk(t, "cluster=a/date=2026-11-25/events.json"), true, ErrNotArchive},
		{"deeper", mk(t, "cluster=a/date=2026-11-25/x/events.parquet"), true, ErrNotArchive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := prepare(tc.dir, tc.force)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("prepare: %v, want %v", err, tc.want)
			}
			if tc.want == nil {
				if entries, err := os.ReadDir(tc.dir); err != nil || len(entries) != 0 {
					t.Errorf("after prepare: %d entries, %v", len(entries), err)
				}
			}
		})
	}
}
