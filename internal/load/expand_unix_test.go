//go:build unix

package load_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/evanalyze/evanalyze/internal/load"
)

// Symlinks are followed, to files and directories, a directory given as a
// symlink too (it read 0 files); loops, links to what is read under
// another name and named pipes are listed as not read with the reason
// (they were left out without a word).
func TestExpandLinksAndPipes(t *testing.T) {
	root := t.TempDir()
	j := func(name string) string { return filepath.Join(root, filepath.FromSlash(name)) }
	for _, name := range []string{"logs/audit.log.1", "data/cluster=prod/events.json"} {
		writeFile(t, root, name, []byte("{}\n"))
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, j(name)); err != nil {
			t.Fatal(err)
		}
	}
	link("audit.log.1", "logs/latest.log")              // a file under another name: read once, as audit.log.1
	link("../data/cluster=prod", "logs/cluster=canary") // a directory: walked under the link's name
	link("..", "logs/up")                               // a loop
	link("missing.json", "logs/gone.json")              // broken
	if err := syscall.Mkfifo(j("logs/pipe.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	arg := filepath.Join(outside, "archive")
	if err := os.Symlink(j("logs"), arg); err != nil {
		t.Fatal(err)
	}

	got, skipped, err := load.Expand([]string{arg}, "")
	if err != nil {
		t.Fatal(err)
	}
	a := func(name string) string { return filepath.Join(arg, filepath.FromSlash(name)) }
	want := []load.Source{
		{Path: a("audit.log.1")},
		{Path: a("cluster=canary/events.json"), Cluster: "canary"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sources:\n%+v\nwant\n%+v", got, want)
	}
	var lines []string
	for _, s := range skipped {
		lines = append(lines, strings.TrimPrefix(s.Path, arg+"/")+": "+s.Reason+map[bool]string{true: " [error]"}[s.Err != nil])
	}
	wantSkipped := []string{
		"gone.json: broken symlink: stat: no such file or directory [error]",
		"pipe.json: not a regular file (named pipe)",
		"up/data/cluster=prod: directory already read as " + a("cluster=canary"),
		"up/logs: symlink loop: " + arg + " is being read",
		"latest.log: same file as " + a("audit.log.1") + " (symlink)",
	}
	if strings.Join(lines, "\n") != strings.Join(wantSkipped, "\n") {
		t.Errorf("skipped:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(wantSkipped, "\n"))
	}
}
