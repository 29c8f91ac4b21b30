package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// dataset is one generated input: a directory written by cmd/evgen, and what
// it holds.
type dataset struct {
	Args   []string `json:"args"`   // the evgen flags that made it
	Clones int      `json:"clones"` // from evgen's summary
	Events int64    `json:"events"` // event records over all event formats
	Audit  int64    `json:"audit"`  // audit records
	Bytes  int64    `json:"bytes"`  // all files, gzip-compressed ones decompressed

	dir string
}

// file is the path of name in the dataset's only cluster.
func (d *dataset) file(name string) string {
	return filepath.Join(d.dir, "cluster=c01", name)
}

// generate makes the dataset dir = out/name with `go run ./cmd/evgen`, or
// reuses it when out/name.stamp records the same flags. The stamp lives beside
// the directory, not in it, so that evanalyze never reads it as an input.
func generate(goCmd, out, name string, flags ...string) (*dataset, error) {
	dir := filepath.Join(out, name)
	stamp := dir + ".stamp"
	args := append([]string{"-src", "testdata/lab-basic", "-out", dir, "-seed", "1"}, flags...)
	if b, err := os.ReadFile(stamp); err == nil {
		var d dataset
		if json.Unmarshal(b, &d) == nil && slices.Equal(d.Args, args) {
			if _, err := os.Stat(dir); err == nil {
				d.dir = dir
				return &d, nil
			}
		}
	}
	if err := os.Remove(stamp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	logf("generating %s: evgen %s", name, strings.Join(args, " "))
	cmd := exec.Command(goCmd, append([]string{"run", "./cmd/evgen"}, args...)...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("evgen %s: %w", name, err)
	}
	d := &dataset{Args: args, dir: dir}
	var err error
	if d.Clones, err = summaryInt(stdout.Bytes(), "clones"); err != nil {
		return nil, fmt.Errorf("evgen %s: %w", name, err)
	}
	events, err := summaryInt(stdout.Bytes(), "events")
	if err != nil {
		return nil, fmt.Errorf("evgen %s: %w", name, err)
	}
	audit, err := summaryInt(stdout.Bytes(), "audit")
	if err != nil {
		return nil, fmt.Errorf("evgen %s: %w", name, err)
	}
	d.Events, d.Audit = int64(events), int64(audit)
	if d.Bytes, err = decompressedSize(dir); err != nil {
		return nil, fmt.Errorf("size of %s: %w", name, err)
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(stamp, append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	return d, nil
}

// summaryInt reads the number after key at the start of a line of evgen's
// summary ("clones      65 (clone i → ...").
func summaryInt(summary []byte, key string) (int, error) {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `\s+(\d+)`)
	m := re.FindSubmatch(summary)
	if m == nil {
		return 0, fmt.Errorf("no %q line in the summary", key)
	}
	return strconv.Atoi(string(m[1]))
}

// decompressedSize is the size of the regular files under dir, .gz files
// counted by their decompressed bytes.
func decompressedSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		if !strings.HasSuffix(path, ".gz") {
			fi, err := e.Info()
			if err != nil {
				return err
			}
			total += fi.Size()
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		n, err := io.Copy(io.Discard, zr)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		total += n
		return zr.Close()
	})
	return total, err
}
