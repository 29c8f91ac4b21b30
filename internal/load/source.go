package load

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Source is one input: a file, or standard input ("-").
type Source struct {
	Path    string // as given or found; "-" for standard input
	Cluster string // from a cluster=NAME path segment or --cluster; "" when neither names one
}

// Skipped is a file or directory found in a directory that is not read,
// with the reason.
type Skipped struct {
	Path   string
	Reason string
	// Err is set when the entry could not be read (a directory that
	// cannot be listed, a symlink that cannot be followed): an input
	// lost, counted apart and fatal under --strict. Entries left out on
	// purpose (names that are no archive, named pipes, symlink loops)
	// have none.
	Err error
}

// Expand turns the paths given on the command line into sources, in a
// deterministic order: files as given, directories walked recursively in
// lexical order. Inside directories only regular files that look like
// archives are read (see IsArchiveName); everything else is returned as
// skipped with the reason, so nothing is ignored silently: names that are
// no archive, hidden files, named pipes, sockets and devices (opening a
// pipe could block forever), directories that cannot be listed (with
// Skipped.Err; the walk goes on). Symlinks are followed, to files and to
// directories, a directory given as a symlink included; a link to a
// directory being walked (a loop) or already walked, or to a file read
// under another name, is skipped with the reason. A cluster=NAME segment
// anywhere in a path names the cluster of everything below it (the
// innermost one wins); otherwise cluster is used.
//
// A path given that does not exist or cannot be examined is an error.
func Expand(paths []string, cluster string) ([]Source, []Skipped, error) {
	return expand(osFS{}, paths, cluster)
}

// fileSystem is what Expand asks of the file system, for tests to fail.
type fileSystem interface {
	Stat(name string) (fs.FileInfo, error)
	ReadDir(name string) ([]fs.DirEntry, error)
}

type osFS struct{}

func (osFS) Stat(name string) (fs.FileInfo, error)      { return os.Stat(name) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }

func expand(fsys fileSystem, paths []string, cluster string) ([]Source, []Skipped, error) {
	w := walker{fsys: fsys, dirs: map[fileKey]string{}}
	var groups [][]found // per path given, in order
	for _, p := range paths {
		if p == "-" {
			groups = append(groups, []found{{path: "-", given: true}})
			continue
		}
		st, err := fsys.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		if !st.IsDir() {
			groups = append(groups, []found{{path: p, given: true}})
			continue
		}
		w.found = nil
		w.dir(p, st)
		sort.Slice(w.found, func(i, j int) bool { return w.found[i].path < w.found[j].path })
		groups = append(groups, w.found)
	}
	// A file reached through a symlink and under another name is read
	// once: under a name that is no link when there is one (audit.log
	// rather than latest.log), else under the first.
	keep := map[fileKey]found{}
	for _, g := range groups {
		for _, f := range g {
			if f.given || !f.hasKey {
				continue
			}
			if k, ok := keep[f.key]; !ok || k.link && !f.link {
				keep[f.key] = f
			}
		}
	}
	var out []Source
	for _, g := range groups {
		for _, f := range g {
			if !f.given && f.hasKey {
				if k := keep[f.key]; k.path != f.path && (f.link || k.link) {
					w.skip(f.path, "same file as "+k.path+" (symlink)", nil)
					continue
				}
			}
			c := cluster
			if f.path != "-" {
				c = ClusterOf(f.path, cluster)
			}
			out = append(out, Source{Path: f.path, Cluster: c})
		}
	}
	return out, w.skipped, nil
}

// found is a file to read.
type found struct {
	path   string
	key    fileKey
	hasKey bool
	link   bool // reached through a symlink
	given  bool // named on the command line
}

type walker struct {
	fsys    fileSystem
	dirs    map[fileKey]string // directories entered, by identity
	stack   []fileKey          // the directories being walked
	found   []found
	skipped []Skipped
	depth   int
}

// maxDepth bounds the walk where directories have no identity to find
// loops by (keyOf).
const maxDepth = 256

func (w *walker) skip(path, reason string, err error) {
	w.skipped = append(w.skipped, Skipped{Path: path, Reason: reason, Err: err})
}

// dir walks the directory at path (st from Stat, links followed).
func (w *walker) dir(path string, st fs.FileInfo) {
	if w.depth >= maxDepth {
		w.skip(path, fmt.Sprintf("more than %d directories deep", maxDepth), nil)
		return
	}
	w.depth++
	defer func() { w.depth-- }()
	key, ok := keyOf(st)
	if ok {
		if prev, seen := w.dirs[key]; seen {
			if slices.Contains(w.stack, key) {
				w.skip(path, "symlink loop: "+prev+" is being read", nil)
			} else {
				w.skip(path, "directory already read as "+prev, nil)
			}
			return
		}
		w.dirs[key] = path
		w.stack = append(w.stack, key)
		defer func() { w.stack = w.stack[:len(w.stack)-1] }()
	}
	entries, err := w.fsys.ReadDir(path)
	if err != nil {
		// The entries listed before the error are still walked.
		w.skip(path, "unreadable directory: "+errText(err), err)
	}
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(path, name)
		if strings.HasPrefix(name, ".") {
			if !e.IsDir() {
				w.skip(p, "hidden file", nil)
			}
			continue // a hidden directory is not entered
		}
		typ, link := e.Type(), false
		var st fs.FileInfo
		if typ&fs.ModeSymlink != 0 {
			link = true
			st, err = w.fsys.Stat(p)
			if err != nil {
				w.skip(p, "broken symlink: "+errText(err), err)
				continue
			}
			typ = st.Mode().Type()
		}
		switch {
		case typ.IsDir():
			if st == nil {
				if st, err = w.fsys.Stat(p); err != nil {
					w.skip(p, "unreadable directory: "+errText(err), err)
					continue
				}
			}
			w.dir(p, st)
		case !typ.IsRegular():
			w.skip(p, "not a regular file ("+typeName(typ)+")", nil)
		case !IsArchiveName(name):
			w.skip(p, "not an archive file name", nil)
		default:
			// Its identity, to find it again through a symlink under
			// another name: an lstat, next to reading the file.
			f := found{path: p, link: link}
			if st == nil {
				st, _ = e.Info()
			}
			if st != nil {
				f.key, f.hasKey = keyOf(st)
			}
			w.found = append(w.found, f)
		}
	}
}

func typeName(t fs.FileMode) string {
	switch {
	case t&fs.ModeNamedPipe != 0:
		return "named pipe"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeCharDevice != 0:
		return "character device"
	case t&fs.ModeDevice != 0:
		return "device"
	case t&fs.ModeIrregular != 0:
		return "irregular file"
	}
	return t.String()
}

// errText is err without the path, which the skipped entry names.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// IsArchiveName reports whether a file found in a directory is read: JSON
// (.json, .jsonl, .ndjson), YAML (.yaml, .yml), logs (.log, and rotated
// names such as audit.log.1), optionally compressed (.gz, .zst).
func IsArchiveName(name string) bool {
	n := strings.ToLower(name)
	for _, ext := range []string{".gz", ".zst", ".zstd"} {
		n = strings.TrimSuffix(n, ext)
	}
	for _, ext := range []string{".json", ".jsonl", ".ndjson", ".log", ".yaml", ".yml", ".parquet"} {
		if strings.HasSuffix(n, ext) {
			return true
		}
	}
	// Rotated logs: audit.log.1, audit.log.2026-11-25
	return strings.Contains(n, ".log.")
}

// ClusterOf returns the cluster named by the innermost cluster=NAME segment
// of path (NAME decoded as DecodeCluster decodes it), or def. A segment
// EncodeCluster capped does not hold the whole name: ClusterOf returns ""
// for it, leaving the cluster to the records (whose rows in the archive
// hold the whole name).
func ClusterOf(path, def string) string {
	segs := strings.Split(filepath.ToSlash(path), "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if seg, ok := strings.CutPrefix(segs[i], "cluster="); ok && seg != "" {
			name, _ := DecodeCluster(seg)
			return name
		}
	}
	return def
}

// Compression names a stream's compression.
type Compression string

const (
	CompressionNone Compression = ""
	CompressionGzip Compression = "gzip"
	CompressionZstd Compression = "zstd"
)

// Open opens a source for reading, decompressing gzip and zstd (detected
// from the content, not the name). Close the returned reader.
func Open(src Source, stdin io.Reader) (io.ReadCloser, Compression, error) {
	var f io.ReadCloser
	if src.Path == "-" {
		if stdin == nil {
			stdin = os.Stdin
		}
		f = io.NopCloser(stdin)
	} else {
		file, err := os.Open(src.Path)
		if err != nil {
			return nil, "", err
		}
		f = file
	}
	br := bufio.NewReaderSize(f, 256<<10)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, "", fmt.Errorf("gzip: %w", err)
		}
		return &readCloser{Reader: zr, close: func() error { return errors.Join(zr.Close(), f.Close()) }}, CompressionGzip, nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			f.Close()
			return nil, "", fmt.Errorf("zstd: %w", err)
		}
		return &readCloser{Reader: zr, close: func() error { zr.Close(); return f.Close() }}, CompressionZstd, nil
	}
	return &readCloser{Reader: br, close: f.Close}, CompressionNone, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r *readCloser) Close() error { return r.close() }
