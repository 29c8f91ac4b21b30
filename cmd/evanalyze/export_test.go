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

// Binary output is refused on a terminal unless --output-file names a
// file, and - read from a terminal says that it waits for input.
func TestTerminalChecks(t *testing.T) {
	tty, err := os.CreateTemp(t.TempDir(), "tty")
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	old := terminal
	terminal = func(fd uintptr) bool { return fd == tty.Fd() }
	defer func() { terminal = old }()
	var errb bytes.Buffer
	code := run(t.Context(), []string{"stats", "-o", "parquet", lab}, streams{In: strings.NewReader(""), Out: tty, Err: &errb})
	if code != exitUsage || !strings.Contains(errb.String(), "--output-file") {
		t.Errorf("parquet on a terminal: exit %d, %q", code, errb.String())
	}
	file := filepath.Join(t.TempDir(), "stats.parquet")
	errb.Reset()
	code = run(t.Context(), []string{"stats", "-o", "parquet", "--output-file", file, lab}, streams{In: strings.NewReader(""), Out: tty, Err: &errb})
	if st, err := os.Stat(file); code != exitOK || err != nil || st.Size() < 4 {
		t.Errorf("--output-file: exit %d, %v, %q", code, err, errb.String())
	}
	errb.Reset()
	code = run(t.Context(), []string{"rollouts", "-"}, streams{In: tty, Out: io.Discard, Err: &errb})
	if code != exitOK || !strings.HasPrefix(errb.String(), "reading events from standard input (a terminal)") {
		t.Errorf("- on a terminal: exit %d, %q", code, errb.String())
	}
}
