package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// --soft-after and --hard-after set the failure rule's thresholds: the
// must-gather apiserver rollout 2 waits on anti-affinity for 6 s before a
// newer template replaces it (superseded by default; failed when a soft
// signal needs only 1 s), and negative ones are a usage error.
func TestFailureRuleFlags(t *testing.T) {
	dir := "../../testdata/public/openshift-must-gather-aws/namespaces/openshift-apiserver"
	outcome := func(args ...string) string {
		t.Helper()
		out, errOut, code := runCmd(t, "", append([]string{"rollouts", dir, "--cluster-name", "aws", "-o", "jsonl", "--name", "apiserver"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var outcomes []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var r struct{ Outcome string }
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatal(err)
			}
			outcomes = append(outcomes, r.Outcome)
		}
		return strings.Join(outcomes, " ")
	}
	if got := outcome(); got != "complete superseded complete" {
		t.Errorf("default: %s", got)
	}
	if got := outcome("--soft-after", "1s"); got != "complete failed complete" {
		t.Errorf("--soft-after 1s: %s", got)
	}
	if _, errOut, code := runCmd(t, "", "rollouts", dir, "--hard-after", "-1s"); code != 2 || !strings.Contains(errOut, "must not be negative") {
		t.Errorf("--hard-after -1s: exit %d %q", code, errOut)
	}
}
