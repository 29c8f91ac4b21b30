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

// Skipped is a file found in a directory that is not read, with the reason.
type Skipped struct {
	Path   string
	Reason string
}

// Expand turns the paths given on the command line into sources, in a
// deterministic order: files as given, directories walked recursively in
// lexical order. Inside directories only files that look like archives are
// read (see IsArchiveName); the others are returned as skipped so nothing
// is ignored silently. A cluster=NAME segment anywhere in a path names the
// cluster of everything below it (the innermost one wins); otherwise
// cluster is used.
func Expand(paths []string, cluster string) ([]Source, []Skipped, error) {
	var out []Source
	var skipped []Skipped
	for _, p := range paths {
		if p == "-" {
			out = append(out, Source{Path: "-", Cluster: cluster})
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		if !st.IsDir() {
			out = append(out, Source{Path: p, Cluster: ClusterOf(p, cluster)})
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if path != p && strings.HasPrefix(name, ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				skipped = append(skipped, Skipped{Path: path, Reason: "hidden file"})
				return nil
			}
			if d.IsDir() || !d.Type().IsRegular() {
				return nil
			}
			if !IsArchiveName(name) {
				skipped = append(skipped, Skipped{Path: path, Reason: "not an archive file name"})
				return nil
			}
			found = append(found, path)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		sort.Strings(found)
		for _, f := range found {
			out = append(out, Source{Path: f, Cluster: ClusterOf(f, cluster)})
		}
	}
	return out, skipped, nil
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
