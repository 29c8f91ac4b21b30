package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

// hostile is lab-basic with names, users, reasons and messages that carry
// terminal escape sequences, bidi overrides, spreadsheet formulas and
// markup (testdata/bad/README.md).
const hostile = "../../testdata/bad/hostile-names"

// hostileCluster names the cluster of the hostile inputs.
const hostileCluster = "=evil\x1b[31m\u202e<script>alert(3)</script>"

// rawControl returns the first rune of out that would act on a terminal
// instead of being shown (a control character other than newline, a bidi
// override or isolate, or an invalid UTF-8 byte), and where; -1 when none.
func rawControl(out string) (int, rune) {
	for i, r := range out {
		if r == '\n' {
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || textsafe.Bidi(r) {
			return i, r
		}
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(out[i:]); n <= 1 {
				return i, r
			}
		}
	}
	return -1, 0
}

func checkNoControl(t *testing.T, what, out string) {
	t.Helper()
	if i, r := rawControl(out); i >= 0 {
		t.Errorf("%s: raw %U at byte %d: %q", what, r, i, out[max(0, i-60):min(len(out), i+20)])
	}
}

// hostileFile copies a malformed input to a file whose name carries an
// escape sequence and a bidi override, so that `file:line:` messages name it.
func hostileFile(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/bad/malformed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "evil\x1b]0;pwned\x07\u202egnp.jsonl")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Text and Markdown outputs and the messages on stderr show hostile names,
// users, reasons, messages and file names escaped: no control character,
// bidi override or invalid byte reaches the terminal.
func TestHostileTextOutputs(t *testing.T) {
	bad := hostileFile(t)
	for _, args := range [][]string{
		{"inspect", hostile, bad},
		{"inspect", "--cluster", hostileCluster, hostile},
		{"rollouts", hostile, bad},
		{"rollouts", "--cluster", hostileCluster, hostile},
		{"changes", "--all", hostile},
		{"changes", "--cluster", hostileCluster, hostile},
		{"stats", hostile, bad},
		{"stats", "--cluster", hostileCluster, "--group-by", "cluster,namespace,kind,name", hostile},
		{"timeline", "-v", hostile, bad},
		{"timeline", "-v", "--cluster", hostileCluster, hostile},
		{"timeline", "-v", "-o", "md", "--cluster", hostileCluster, hostile, bad},
		{"inspect", filepath.Join(t.TempDir(), "missing\x1b[2J\u2066")},
	} {
		t.Run(strings.Join(args[:1], " "), func(t *testing.T) {
			out, errOut, code := runCmd(t, "", args...)
			if code != exitOK && !strings.Contains(args[len(args)-1], "missing") {
				t.Fatalf("%q: exit %d: %s", args, code, errOut)
			}
			checkNoControl(t, "stdout", out)
			checkNoControl(t, "stderr", errOut)
			if args[0] != "inspect" && !strings.Contains(out, `\x1b`) {
				t.Errorf("%q: the escape sequences are not shown escaped:\n%s", args, out)
			}
			if strings.Contains(args[len(args)-1], "gnp.jsonl") && !strings.Contains(errOut, `evil\x1b]0;pwned\x07\u202egnp.jsonl:2: `) {
				t.Errorf("%q: stderr does not name the file escaped:\n%s", args, errOut)
			}
		})
	}
}
