package pqfile

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
)

// ErrArchiveExists is returned by WriteArchive when the directory already
// holds an archive and force is not set.
var ErrArchiveExists = errors.New("holds an archive")

// ErrNotArchive is returned by WriteArchive when the directory holds
// something other than an archive, which it never replaces.
var ErrNotArchive = errors.New("not empty and not an archive")

// WriteArchive writes the event and changes tables as a Parquet archive
// into dir (WriteEvents, WriteChanges), which must not exist, be empty, or,
// with force, hold an archive that the new one replaces: its partitions are
// removed first, so none from an earlier run is left to be read back.
// Anything else in dir (other files, symbolic links) is an ErrNotArchive
// error, force or not; an archive without force is ErrArchiveExists. On an
// error no file of the new archive is left in place (an archive that force
// removed stays removed). It returns the files written, in order.
func WriteArchive(dir string, events, changes arrow.Record, force bool) ([]string, error) {
	if err := prepare(dir, force); err != nil {
		return nil, err
	}
	files, err := WriteEvents(dir, events)
	if err != nil {
		return nil, err
	}
	cfiles, err := WriteChanges(dir, changes)
	if err != nil {
		for _, f := range files {
			os.Remove(f)
		}
		removeEmptyParts(dir)
		return nil, err
	}
	return append(files, cfiles...), nil
}

// prepare checks what dir holds and, with force, removes an archive.
func prepare(dir string, force bool) error {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s: not a directory", dir)
	}
	files := 0
	var foreign string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		if !archiveEntry(rel, d) {
			foreign = rel
			if d.Type()&fs.ModeSymlink != 0 {
				foreign += " (a symbolic link)"
			}
			return fs.SkipAll
		}
		if !d.IsDir() {
			files++
		}
		return nil
	})
	switch {
	case err != nil:
		return err
	case foreign != "":
		return fmt.Errorf("%s is %w (it holds %s): nothing written", dir, ErrNotArchive, foreign)
	case files == 0 && isEmpty(dir):
		return nil
	case !force:
		return fmt.Errorf("%s %w (%d files)", dir, ErrArchiveExists, files)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		// RemoveAll removes symbolic links, never what they point to.
		if err := root.RemoveAll(e.Name()); err != nil {
			return fmt.Errorf("remove the old archive: %w", err)
		}
	}
	return nil
}

func isEmpty(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) == 0
}

// archiveEntry reports whether rel (a path relative to the archive's
// directory) is one an archive holds: directories cluster=NAME and
// cluster=NAME/date=DAY, regular files events.parquet and changes.parquet
// in those, and temporary files a run left behind. Symbolic links never
// are.
func archiveEntry(rel string, d fs.DirEntry) bool {
	segs := strings.Split(filepath.ToSlash(rel), "/")
	switch {
	case len(segs) == 1:
		return d.IsDir() && strings.HasPrefix(segs[0], "cluster=")
	case len(segs) == 2:
		return d.IsDir() && strings.HasPrefix(segs[1], "date=")
	case len(segs) == 3:
		name := segs[2]
		return d.Type().IsRegular() && (name == "events.parquet" || name == "changes.parquet" || isTemp(name))
	}
	return false
}

// isTemp reports a temporary file name of archiveWriter.
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".parquet.tmp-")
}

// removeEmptyParts removes the empty partition directories under dir.
func removeEmptyParts(dir string) {
	clusters, _ := filepath.Glob(filepath.Join(dir, "cluster=*"))
	for _, c := range clusters {
		days, _ := filepath.Glob(filepath.Join(c, "date=*"))
		for _, d := range days {
			os.Remove(d) // only when empty
		}
		os.Remove(c)
	}
}

// archiveWriter writes the files of an archive under its directory without
// following a symbolic link inside it: every directory on a file's path is
// checked not to be one (and os.Root keeps any operation from leaving the
// directory, should one appear meanwhile), and each file is written under
// a temporary name (.NAME.tmp-RANDOM, created exclusively, hidden from
// readers) and renamed into place, which replaces a link there instead of
// writing through it.
type archiveWriter struct {
	dir   string
	root  *os.Root
	files []string // written, relative to dir
	dirs  []string // created, relative to dir, in order
}

func openArchive(dir string) (*archiveWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &archiveWriter{dir: dir, root: root}, nil
}

// writeParts writes each partition's file rel/name with write and returns
// the paths written.
func (aw *archiveWriter) writeParts(keys []string, name string, write func(w io.Writer, key string) error) ([]string, error) {
	var paths []string
	for _, k := range keys {
		rel := filepath.Join(k, name)
		if err := aw.writeFile(rel, func(w io.Writer) error { return write(w, k) }); err != nil {
			return nil, fmt.Errorf("write %s: %w", filepath.Join(aw.dir, rel), err)
		}
		paths = append(paths, filepath.Join(aw.dir, rel))
	}
	return paths, nil
}

// mkdirs makes the directories of rel, refusing any that is not a
// directory (a symbolic link included).
func (aw *archiveWriter) mkdirs(rel string) error {
	segs := strings.Split(filepath.ToSlash(rel), "/")
	for i := range segs {
		p := filepath.Join(segs[:i+1]...)
		st, err := aw.root.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := aw.root.Mkdir(p, 0o755); err != nil {
				return err
			}
			aw.dirs = append(aw.dirs, p)
		case err != nil:
			return err
		case st.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link: not followed", filepath.Join(aw.dir, p))
		case !st.IsDir():
			return fmt.Errorf("%s is not a directory", filepath.Join(aw.dir, p))
		}
	}
	return nil
}

func (aw *archiveWriter) writeFile(rel string, write func(io.Writer) error) error {
	if err := aw.mkdirs(filepath.Dir(rel)); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(rel), "."+filepath.Base(rel)+".tmp-"+rand.Text())
	f, err := aw.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err == nil {
		if st, lerr := aw.root.Lstat(rel); lerr == nil && !st.Mode().IsRegular() {
			err = fmt.Errorf("%s is not a regular file: not replaced", filepath.Join(aw.dir, rel))
		} else {
			err = aw.root.Rename(tmp, rel)
		}
	}
	if err != nil {
		aw.root.Remove(tmp)
		return err
	}
	aw.files = append(aw.files, rel)
	return nil
}

// finish closes the writer; after an error (err) it first removes the
// files and directories it made.
func (aw *archiveWriter) finish(err error) error {
	if err != nil {
		for _, f := range aw.files {
			aw.root.Remove(f)
		}
		for i := len(aw.dirs) - 1; i >= 0; i-- {
			aw.root.Remove(aw.dirs[i])
		}
	}
	return errors.Join(err, aw.root.Close())
}
