package stats_test

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/htmltest"
	"github.com/evanalyze/evanalyze/internal/report/stats"
)

// The HTML report renders in headless Chromium with its charts drawn and
// no console errors.
func TestHTMLInChromium(t *testing.T) {
	htmltest.Chromium(t)
	var rollouts []correlate.Rollout
	for _, lab := range []string{"lab-basic", "lab-lifecycle", "lab-jobs", "lab-workloads"} {
		a, err := archive.Load(context.Background(), []string{"../../../testdata/" + lab}, archive.Options{Cluster: lab})
		if err != nil {
			t.Fatal(err)
		}
		rollouts = append(rollouts, correlate.Correlate(a.Events(), a.Changes).Rollouts...)
		a.Release()
	}
	rep := stats.Compute(rollouts, stats.DefaultThresholds())
	var page bytes.Buffer
	if err := stats.WriteHTML(&page, rep, rollouts); err != nil {
		t.Fatal(err)
	}
	p := htmltest.Render(t, page.Bytes(), 1100, 1500)
	m := regexp.MustCompile(`data-charts="(\d+)"`).FindStringSubmatch(p.DOM)
	if m == nil {
		t.Fatalf("the page script did not run; console: %v", p.Console)
	}
	if n, _ := strconv.Atoi(m[1]); n < len(rollouts)/2 {
		t.Errorf("%d marks in the charts for %d rollouts", n, len(rollouts))
	}
	if len(p.Console) > 0 {
		t.Errorf("console: %v", p.Console)
	}
	for _, want := range []string{"lab-basic", "flaky", "Failure reasons per day", "CrashLoopBackOff"} {
		if !strings.Contains(p.DOM, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if p.Inked < 0.02 {
		t.Errorf("the screenshot is blank (%.3f inked)", p.Inked)
	}
}
