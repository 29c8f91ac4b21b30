package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestCLIErrors runs each invocation the CLI refuses and compares its exit
// code and standard error with testdata/golden/cli-errors.txt (refresh
// with go test ./cmd/evanalyze -run TestCLIErrors -update, and review the
// diff): one golden entry per message, so a change of wording shows.
func TestCLIErrors(t *testing.T) {
	const (
		empty = "../../testdata/empty/nothing"
		junk  = "../../testdata/empty/junk"
	)
	cases := [][]string{
		// Missing arguments, unknown commands and flags: usage (2).
		{"rollouts"},
		{"nosuch"},
		{"rollouts", "--no-such-flag", lab},
		{"rollouts", "--input-format", "csv", lab},
		{"rollouts", "--workers", "-3", lab},
		{"rollouts", "-o", "yaml", lab},
		// Times.
		{"rollouts", "--since", "yesterday", lab},
		{"rollouts", "--since", "2026-11-25T03:29:00", lab},
		{"rollouts", "--since", "start+five", lab},
		{"rollouts", "--since", "2026-11-26", "--until", "2026-11-25", lab},
		{"rollouts", "--since", "end-1m", "--until", "end-2m", lab},
		{"inspect", "--since", "2026-11-25T03:30:00Z", "--until", "2026-11-25T03:29:00Z", lab},
		{"timeline", "--since", "end", "--until", "start", lab},
		{"timeline", "--window", "5m", lab},
		{"timeline", "--around", "end", "--since", "start", lab},
		// Kinds, workloads, clusters, nodes.
		{"rollouts", "--kind", "pod", lab},
		{"rollouts", "--kind", "\x1b]0;pwned\x07deploy", "--cluster", "\u202eprod", lab}, // hostile text escaped
		{"timeline", "--cluster", "\u202eprod\x1b[2J", lab},
		{"timeline", "--workload", "replicaset/web", lab},
		{"timeline", "--workload", "nosuch", lab},
		{"timeline", "--workload", "web", "../../testdata/ambiguous"},
		{"rollouts", "--cluster", "prod", lab},
		{"timeline", "--node", "node-9", "--since", "start", lab},
		{"explain", lab},
		{"rollouts", "--follow", lab, lab},
		{"rollouts", "--follow", lab},
		{"rollouts", "--follow", "-o", "json", "-"},
		{"rollouts", "--follow", "--since", "1h", "-o", "jsonl", "-"},
		{"export", "--follow", "--otlp-file", "-", "--checkpoint", "x", "-"},
		{"explain", "--workload", "deploy/web", "--seq", "2", "--revision", "2", lab},
		{"explain", "--workload", "deploy/web", "--seq", "9", lab},
		{"explain", "--workload", "deploy/nosuch", lab},
		// Values that cannot be meant.
		{"stats", "--fleet-quantile", "7", lab},
		{"stats", "--flaky-min", "0", lab},
		{"stats", "--output-file", "x.parquet", lab},
		{"export", lab},
		{"convert", "--cluster", "prod", "--to", "never-written", lab},
		{"export", "--otlp-file", "-", "--concurrency", "0", lab},
		// Inputs that hold nothing: a warning, and under --strict exit 1.
		{"rollouts", empty},
		{"rollouts", "--strict", empty},
		{"stats", "-q", junk},
		// Failures (1).
		{"inspect", "does-not-exist"},
		{"inspect", "--strict", "../../testdata/bad/malformed.jsonl"},
	}
	var b strings.Builder
	for _, args := range cases {
		out, errOut, code := runCmd(t, "", args...)
		shown := make([]string, len(args))
		for i, a := range args {
			// Hostile arguments are shown quoted, not raw, in the file.
			if q := strconv.Quote(a); q != `"`+a+`"` {
				a = q
			}
			shown[i] = a
		}
		fmt.Fprintf(&b, "$ evanalyze %s\nexit %d\n%s", strings.Join(shown, " "), code, errOut)
		if !strings.HasSuffix(errOut, "\n") {
			b.WriteString("\n")
		}
		b.WriteString("\n")
		if code == exitUsage && out != "" {
			t.Errorf("%v: usage error with output on stdout:\n%s", args, out)
		}
		if code == exitOK && !strings.Contains(errOut, "warning:") {
			t.Errorf("%v: exit 0 without a warning: %q", args, errOut)
		}
	}
	golden(t, "cli-errors.txt", b.String())
}
