package timeline_test

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
	"github.com/evanalyze/evanalyze/internal/report/timeline"
)

// The HTML timeline renders in real headless Chromium: the chart has bars,
// the script runs without console errors, and a hostile event message
// stays text.
func TestHTMLInChromium(t *testing.T) {
	htmltest.Chromium(t)
	a, err := archive.Load(context.Background(), []string{"../../../testdata/lab-basic/events-list.json",
		"../../../testdata/lab-basic/audit.log.gz", "../../../testdata/bad/hostile.jsonl"}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	res := correlate.Correlate(a.Events, a.Changes)
	o := timeline.Options{Verbose: true}
	tl := timeline.Build(a.Events, a.Changes, res, o)
	var page bytes.Buffer
	if err := timeline.WriteHTML(&page, tl, timeline.Rollouts(res, o)); err != nil {
		t.Fatal(err)
	}
	p := htmltest.Render(t, page.Bytes(), 1300, 900)
	m := regexp.MustCompile(`data-bars="(\d+)"`).FindStringSubmatch(p.DOM)
	if m == nil {
		t.Fatalf("the page script did not run (no data-bars); console: %v", p.Console)
	}
	if n, _ := strconv.Atoi(m[1]); n < 10 {
		t.Errorf("the chart has %d bars, want the 10 rollouts and their pods", n)
	}
	if len(p.Console) > 0 {
		t.Errorf("console: %v", p.Console)
	}
	if !strings.Contains(p.DOM, "&lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(p.DOM, "<script>alert(1)") {
		t.Error("the hostile message is not shown as text")
	}
	if p.Inked < 0.01 {
		t.Errorf("the screenshot is blank (%.3f inked)", p.Inked)
	}
}
