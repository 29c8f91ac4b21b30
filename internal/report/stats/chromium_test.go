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
	page, rollouts := labPage(t)
	htmltest.CheckCSP(t, page.Bytes())
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

// labPage is the HTML report of the four labs, and their rollouts.
func labPage(t *testing.T) (*bytes.Buffer, []correlate.Rollout) {
	t.Helper()
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
	return &page, rollouts
}

// The page's policy allows its one script by the hash of its bytes.
func TestHTMLScriptHash(t *testing.T) {
	page, _ := labPage(t)
	htmltest.CheckCSP(t, page.Bytes())
}

// In Chromium the page's own script runs under its policy (the hash is
// right), and a script or event handler that got into the page does not.
func TestHTMLCSPInChromium(t *testing.T) {
	htmltest.Chromium(t)
	page, _ := labPage(t)
	p := htmltest.Render(t, htmltest.Inject(page.Bytes()), 1100, 1500)
	if !regexp.MustCompile(`data-charts="\d+"`).MatchString(p.DOM) {
		t.Errorf("the page's own script did not run under its policy; console: %v", p.Console)
	}
	if htmltest.Injected(p.DOM) {
		t.Errorf("an injected script ran; console: %v", p.Console)
	}
}

// On a must-gather (long namespace and workload names), Chromium lays the
// page out readably: no chart label overlaps another or a bar, none is
// cut at its chart's edge, every dot names its workload and the names are
// spelled namespace/kind/name in lower case.
func TestHTMLLayoutMustGather(t *testing.T) {
	htmltest.Chromium(t)
	a, err := archive.Load(context.Background(), []string{"../../../testdata/public/openshift-must-gather-aws"}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rollouts := correlate.Correlate(a.Events(), a.Changes).Rollouts
	a.Release()
	var page bytes.Buffer
	if err := stats.WriteHTML(&page, stats.Compute(rollouts, stats.DefaultThresholds()), rollouts); err != nil {
		t.Fatal(err)
	}
	l := htmltest.Measure(t, page.Bytes(), 1300, 1500, "")
	if len(l.Page.Console) > 0 {
		t.Errorf("console: %v", l.Page.Console)
	}
	if len(l.Labels) < 20 {
		t.Errorf("%d labels measured", len(l.Labels))
	}
	for _, p := range l.Problems() {
		t.Error(p)
	}
	dots := regexp.MustCompile(`<circle [^>]*><title>default openshift-[a-z-]+/(deployment|daemonset|statefulset)/[a-z0-9-]+ #\d+: [0-9.]+s</title>`).FindAllString(page.String(), -1)
	if len(dots) == 0 {
		t.Error("the duration dots do not name their workload")
	}
	if strings.Contains(page.String(), "/Deployment/") {
		t.Error("a name is spelled with the kind capitalised")
	}
}
