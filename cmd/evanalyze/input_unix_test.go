//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A symlinked directory given reads its files (it read 0 with exit 0);
// named pipes and broken links inside are listed as not read; an input
// that could not be read is reported on stderr, counted, and fatal under
// --strict (an unreadable directory aborted every run).
func TestInputLinksPipesUnreadable(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile(lab + "/watch-eventsv1.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "events.jsonl"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	arg := filepath.Join(t.TempDir(), "archive")
	if err := os.Symlink(dir, arg); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCmd(t, "", "inspect", arg)
	if code != exitOK || !strings.Contains(out, "TOTAL (1 file)") || !strings.Contains(out, "139 ") ||
		!strings.Contains(out, "not read:   "+filepath.Join(arg, "pipe.json")+" (not a regular file (named pipe))") || errOut != "" {
		t.Errorf("symlinked directory: exit %d\n%s\n%s", code, out, errOut)
	}

	if err := os.Symlink("nowhere.json", filepath.Join(dir, "gone.json")); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runCmd(t, "", "inspect", "-o", "json", arg)
	gone := filepath.Join(arg, "gone.json")
	if code != exitOK || !strings.Contains(out, `"unreadable": 1`) || !strings.Contains(errOut, "not read: "+gone+": broken symlink: stat: no such file or directory") {
		t.Errorf("broken link: exit %d\n%s\n%s", code, out, errOut)
	}
	_, errOut, code = runCmd(t, "", "rollouts", "--strict", arg)
	if code != exitFailure || !strings.Contains(errOut, "Error: unreadable input (--strict): "+gone+": broken symlink") {
		t.Errorf("--strict: exit %d %q", code, errOut)
	}

	if os.Geteuid() == 0 {
		return // root reads a directory without permissions
	}
	if err := os.Remove(filepath.Join(dir, "gone.json")); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(sub, 0o755)
	out, errOut, code = runCmd(t, "", "inspect", dir)
	if code != exitOK || !strings.Contains(out, "TOTAL (1 files)") || !strings.Contains(errOut, "not read: "+sub+": unreadable directory: open: permission denied") {
		t.Errorf("unreadable directory: exit %d\n%s\n%s", code, out, errOut)
	}
}
