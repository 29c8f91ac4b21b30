package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/evanalyze/evanalyze/internal/report/htmltest"
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
		{"inspect", "--cluster-name", hostileCluster, hostile},
		{"rollouts", hostile, bad},
		{"rollouts", "--cluster-name", hostileCluster, hostile},
		{"changes", "--all", hostile},
		{"changes", "--cluster-name", hostileCluster, hostile},
		{"stats", hostile, bad},
		{"stats", "--cluster-name", hostileCluster, "--group-by", "cluster,namespace,kind,name", hostile},
		{"timeline", "-v", hostile, bad},
		{"timeline", "-v", "--cluster-name", hostileCluster, hostile},
		{"timeline", "-v", "-o", "md", "--cluster-name", hostileCluster, hostile, bad},
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

// formula reports whether a spreadsheet would run a CSV cell as a formula:
// it starts with =, +, -, @, tab or CR and is not a number (nor the
// reports' lone "-").
func formula(cell string) bool {
	if cell == "" || cell == "-" || strings.IndexByte("=+-@\t\r", cell[0]) < 0 {
		return false
	}
	_, err := strconv.ParseFloat(cell, 64)
	return err != nil
}

// CSV outputs neutralise formula cells (a leading apostrophe), show control
// characters escaped, and keep numbers numbers.
func TestHostileCSV(t *testing.T) {
	for _, args := range [][]string{
		{"rollouts", "-o", "csv", "--cluster-name", hostileCluster, hostile},
		{"changes", "-o", "csv", "--all", "--cluster-name", hostileCluster, hostile},
		{"stats", "-o", "csv", "--cluster-name", hostileCluster, hostile},
	} {
		t.Run(args[0], func(t *testing.T) {
			out, errOut, code := runCmd(t, "", args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			checkNoControl(t, "csv", out)
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			neutral := 0
			for i, row := range rows {
				for j, cell := range row {
					if formula(cell) {
						t.Errorf("row %d column %s: formula cell %q", i, rows[0][j], cell)
					}
					if strings.HasPrefix(cell, "'=") || strings.HasPrefix(cell, "'+") || strings.HasPrefix(cell, "'@") || strings.HasPrefix(cell, "'-") {
						neutral++
					}
				}
			}
			if neutral == 0 {
				t.Errorf("no neutralised cell in %d rows", len(rows))
			}
		})
	}
}

// JSON outputs are valid, carry hostile text only as JSON escapes (no raw
// control character or bidi override), and read back as the original text.
func TestHostileJSON(t *testing.T) {
	const ns = "-payments\x1b]8;;http://evil.example\x07\u2066"
	for _, args := range [][]string{
		{"rollouts", "-o", "json"}, {"rollouts", "-o", "jsonl"}, {"changes", "-o", "json", "--all"},
		{"stats", "-o", "json", "--group-by", "namespace"}, {"inspect", "-o", "json"}, {"timeline", "-o", "json", "-v"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errOut, code := runCmd(t, "", append(args, "-q", "--cluster-name", hostileCluster, hostile)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			checkNoControl(t, "json", out)
			docs := []string{out}
			if args[2] == "jsonl" {
				docs = strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			}
			var v []any
			for _, d := range docs {
				var doc any
				if err := json.Unmarshal([]byte(d), &doc); err != nil {
					t.Fatalf("not JSON: %v: %.200s", err, d)
				}
				v = append(v, doc)
			}
			if !containsString(v, ns) || (args[0] != "inspect" && !containsString(v, hostileCluster)) {
				t.Errorf("the hostile names do not read back as themselves")
			}
		})
	}
}

// containsString reports whether a decoded JSON value holds s as a string
// (or a key).
func containsString(v any, s string) bool {
	switch v := v.(type) {
	case string:
		return v == s
	case []any:
		for _, e := range v {
			if containsString(e, s) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if k == s || containsString(e, s) {
				return true
			}
		}
	}
	return false
}

// HTML pages escape markup, show control characters and bidi overrides
// escaped, keep their one script allowed by its hash, and in Chromium
// render the hostile text as text.
func TestHostileHTML(t *testing.T) {
	for _, args := range [][]string{
		{"stats", "-o", "html"}, {"timeline", "-o", "html", "-v"},
	} {
		t.Run(args[0], func(t *testing.T) {
			out, errOut, code := runCmd(t, "", append(args, "-q", "--cluster-name", hostileCluster, hostile)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			checkNoControl(t, "html", out)
			if n := strings.Count(out, "<script"); n != 1 {
				t.Errorf("%d script elements, want the page's one", n)
			}
			for _, raw := range []string{"<b>", "<script>alert", "</script><"} {
				if strings.Contains(out, raw) {
					t.Errorf("unescaped markup %q in the page", raw)
				}
			}
			if !strings.Contains(out, "&lt;script&gt;alert(") {
				t.Error("the hostile markup is not shown escaped")
			}
			htmltest.CheckCSP(t, []byte(out))
			if _, err := exec.LookPath("chromium"); err != nil {
				t.Skip("chromium not installed")
			}
			p := htmltest.Render(t, []byte(out), 1300, 900)
			if !strings.Contains(p.DOM, `data-`) || strings.Contains(p.DOM, "<b>") || strings.Count(p.DOM, "<script") != 1 {
				t.Errorf("in Chromium: script did not run or markup became elements; console: %v", p.Console)
			}
		})
	}
}
