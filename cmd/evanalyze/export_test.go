package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// An output that cannot be written fails the command; it is not lost
// silently. Writing to /dev/full fails with ENOSPC.
func TestWriteOutputErrors(t *testing.T) {
	hello := func(w io.Writer) error {
		_, err := io.WriteString(w, "hello\n")
		return err
	}
	var out bytes.Buffer
	if err := writeOutput("-", &out, hello); err != nil || out.String() != "hello\n" {
		t.Errorf("-: %v, wrote %q", err, out.String())
	}
	path := filepath.Join(t.TempDir(), "out.jsonl")
	if err := writeOutput(path, nil, hello); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "hello\n" {
		t.Errorf("%s: %q, %v", path, got, err)
	}
	failing := errors.New("encoder failed")
	err := writeOutput(path, nil, func(io.Writer) error { return failing })
	if !errors.Is(err, failing) || !strings.HasPrefix(err.Error(), "write "+path+": ") {
		t.Errorf("failing writer: %v", err)
	}
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	if err := writeOutput("/dev/full", nil, hello); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("/dev/full: %v, want ENOSPC", err)
	}
	_, errOut, code := runCmd(t, "", "export", "-q", "--otlp-file", "/dev/full", lab)
	if code != exitFailure || !strings.Contains(errOut, "write /dev/full: ") || !strings.Contains(errOut, "no space left on device") {
		t.Errorf("export to /dev/full: exit %d, %q", code, errOut)
	}
}
