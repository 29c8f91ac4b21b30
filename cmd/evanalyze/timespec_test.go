package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseTimeSpec(t *testing.T) {
	first := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	last := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2026-11-25T03:29:00Z", time.Date(2026, 11, 25, 3, 29, 0, 0, time.UTC)},
		{"2026-11-25T05:29:00+02:00", time.Date(2026, 11, 25, 3, 29, 0, 0, time.UTC)},
		{"2026-11-25T03:29:00.5Z", time.Date(2026, 11, 25, 3, 29, 0, 5e8, time.UTC)},
		{"2026-11-26", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)},
		{"start", first},
		{"end", last},
		{"start+5m", first.Add(5 * time.Minute)},
		{"end-10m", last.Add(-10 * time.Minute)},
		{"end-1d2h", last.Add(-26 * time.Hour)},
		{"2h", last.Add(-2 * time.Hour)},
		{"1d", last.Add(-24 * time.Hour)},
		{"90s", last.Add(-90 * time.Second)},
	} {
		ts, err := parseTimeSpec("since", tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got := ts.at(first, last); !got.Equal(tc.want) {
			t.Errorf("%q = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"yesterday", "2026-11-25T03:29:00", "2026-13-01", "start+", "start5m", "end+-5m", "-2h", "2x", "now"} {
		if _, err := parseTimeSpec("since", bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// Relative times refer to the archive's last record, never the wall
// clock: --since end-1m selects what the absolute time does.
func TestRelativeSinceIsTheArchives(t *testing.T) {
	rel, _, code1 := runCmd(t, "", "rollouts", "-q", "-o", "json", "--since", "3m", lab)
	// lab-basic's last record is at 2026-11-25T03:32:14.932712Z.
	abs, _, code2 := runCmd(t, "", "rollouts", "-q", "-o", "json", "--since", "2026-11-25T03:29:14.932712Z", lab)
	if code1 != exitOK || code2 != exitOK || rel != abs || len(rel) < 100 {
		t.Errorf("exit %d/%d; --since 3m and the absolute time differ (%d vs %d bytes)", code1, code2, len(rel), len(abs))
	}
	// inspect reads the inputs once more for their span.
	rel, _, code1 = runCmd(t, "", "inspect", "-o", "json", "--since", "3m", lab)
	abs, _, code2 = runCmd(t, "", "inspect", "-o", "json", "--since", "2026-11-25T03:29:14.932712Z", lab)
	if code1 != exitOK || code2 != exitOK || rel != abs || !strings.Contains(rel, `"out_of_scope"`) {
		t.Errorf("inspect: exit %d/%d; --since 3m and the absolute time differ (%d vs %d bytes)", code1, code2, len(rel), len(abs))
	}
}

func TestKinds(t *testing.T) {
	for _, in := range []string{"deploy", "deployment", "deployments", "Deployment", "DEPLOY"} {
		if k, err := parseKind("kind", in); err != nil || k != "Deployment" {
			t.Errorf("%q = %q, %v", in, k, err)
		}
	}
	for in, want := range map[string]string{"sts": "StatefulSet", "statefulsets": "StatefulSet", "ds": "DaemonSet", "daemonset": "DaemonSet",
		"job": "Job", "jobs": "Job", "cj": "CronJob", "cronjobs": "CronJob"} {
		if k, err := parseKind("kind", in); err != nil || k != want {
			t.Errorf("%q = %q, %v", in, k, err)
		}
	}
	if _, err := parseKind("kind", "pod"); err == nil {
		t.Error("pod: no error")
	}
	// --kind deploy selects what --kind Deployment does.
	a, _, _ := runCmd(t, "", "rollouts", "-q", "-o", "json", "--kind", "deploy", lab)
	b, _, _ := runCmd(t, "", "rollouts", "-q", "-o", "json", "--kind", "Deployment", lab)
	if a != b || len(a) < 100 {
		t.Errorf("--kind deploy and Deployment differ (%d vs %d bytes)", len(a), len(b))
	}
}

// --workload NAME finds the kind when one kind has that name.
func TestWorkloadByName(t *testing.T) {
	a, _, code1 := runCmd(t, "", "timeline", "-q", "--workload", "cart-api", "--since", "start", lab)
	b, _, code2 := runCmd(t, "", "timeline", "-q", "--workload", "deploy/cart-api", "--since", "start", lab)
	if code1 != exitOK || code2 != exitOK || a != b || len(a) < 100 {
		t.Errorf("exit %d/%d: --workload cart-api and deploy/cart-api differ:\n%s\n%s", code1, code2, a, b)
	}
}

// --cluster selects, --cluster-name names.
func TestClusterFlags(t *testing.T) {
	all, _, _ := runCmd(t, "", "rollouts", "-q", "--cluster-name", "prod", lab)
	sel, _, code := runCmd(t, "", "rollouts", "-q", "--cluster-name", "prod", "--cluster", "prod", lab)
	if code != exitOK || sel != all || !strings.Contains(all, " prod ") {
		t.Errorf("exit %d: --cluster prod of inputs named prod:\n%s", code, sel)
	}
	out, _, code := runCmd(t, "", "changes", "-q", "--cluster", "default", lab+"/audit.log.gz")
	if code != exitOK || !strings.Contains(out, "default") {
		t.Errorf("changes --cluster default: exit %d\n%s", code, out)
	}
}
