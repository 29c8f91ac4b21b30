package stats

import (
	"strings"
	"testing"
	"time"
)

func TestSecondsApart(t *testing.T) {
	for _, tc := range []struct {
		a, b         float64
		wantA, wantB string
	}{
		{341.4, 341.2, "341.4s", "341.2s"},
		{400, 341, "400s", "341s"},
		{341.0004, 341.0001, "341.000s", "341.000s"},
	} {
		if a, b := secondsApart(tc.a, tc.b); a != tc.wantA || b != tc.wantB {
			t.Errorf("secondsApart(%g, %g) = %s, %s", tc.a, tc.b, a, b)
		}
	}
}

func TestPaceNeedsADay(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	short, long := t0.Add(56*time.Minute), t0.Add(48*time.Hour)
	perDay := 43.0
	if got := pace(&Group{Rollouts: 86, FirstRollout: &t0, LastRollout: &short, RolloutsPerDay: &perDay}); got != "86 rollouts in 56m0s" {
		t.Errorf("56 minutes: %q", got)
	}
	if got := pace(&Group{Rollouts: 86, FirstRollout: &t0, LastRollout: &long, RolloutsPerDay: &perDay}); got != "43.0 rollouts/day" {
		t.Errorf("two days: %q", got)
	}
}

func TestClipOnlyInText(t *testing.T) {
	long := strings.Repeat("é", 200)
	if firstLine(long) != long {
		t.Error("firstLine cut a reason: machine output must not truncate")
	}
	if got := clip(long, 10); got != strings.Repeat("é", 10)+"…" {
		t.Errorf("clip: %q", got)
	}
}
