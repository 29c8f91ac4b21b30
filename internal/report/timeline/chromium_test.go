package timeline_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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
	page := labPage(t)
	htmltest.CheckCSP(t, page)
	p := htmltest.Render(t, page, 1300, 900)
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

// labPage is the verbose HTML timeline of lab-basic with a hostile message.
func labPage(t *testing.T) []byte {
	t.Helper()
	a, err := archive.Load(context.Background(), []string{"../../../testdata/lab-basic/events-list.json",
		"../../../testdata/lab-basic/audit.log.gz", "../../../testdata/bad/hostile.jsonl"}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	res := correlate.Correlate(a.Events(), a.Changes)
	o := timeline.Options{Verbose: true}
	tl := timeline.Build(a.Events(), a.Changes, res, o)
	var page bytes.Buffer
	if err := timeline.WriteHTML(&page, tl, timeline.Rollouts(res, o)); err != nil {
		t.Fatal(err)
	}
	return page.Bytes()
}

// The page's policy allows its one script by the hash of its bytes.
func TestHTMLScriptHash(t *testing.T) {
	htmltest.CheckCSP(t, labPage(t))
}

// In Chromium the page's own script runs under its policy (the hash is
// right), and a script or event handler that got into the page does not.
func TestHTMLCSPInChromium(t *testing.T) {
	htmltest.Chromium(t)
	p := htmltest.Render(t, htmltest.Inject(labPage(t)), 1300, 900)
	if !regexp.MustCompile(`data-bars="\d+"`).MatchString(p.DOM) {
		t.Errorf("the page's own script did not run under its policy; console: %v", p.Console)
	}
	if htmltest.Injected(p.DOM) {
		t.Errorf("an injected script ran; console: %v", p.Console)
	}
}

// A node going NotReady names the pods that were on it.
func TestNodeEventNamesPods(t *testing.T) {
	a, err := archive.Load(context.Background(), []string{"../../../testdata/lab-basic/events-list.json"}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	res := correlate.Correlate(a.Events(), a.Changes)
	// A NotReady event on node-1 at 03:29:30, when web's pods ran there.
	var node string
	var at time.Time
	for _, r := range res.Rollouts {
		for _, p := range r.Pods {
			if p.Node != "" && p.Started != nil && r.Name == "web" && r.Seq == 2 {
				node, at = p.Node, p.Started.Add(5*time.Second)
			}
		}
	}
	if node == "" {
		t.Fatal("no web pod with a node")
	}
	ev := fmt.Sprintf(`{"kind":"Event","apiVersion":"v1","metadata":{"name":"%s.1","namespace":"default"},"involvedObject":{"kind":"Node","name":"%s"},"reason":"NodeNotReady","message":"Node %s status is now: NodeNotReady","type":"Normal","firstTimestamp":"%s","lastTimestamp":"%s","count":1}`,
		node, node, node, at.Format(time.RFC3339), at.Format(time.RFC3339))
	path := filepath.Join(t.TempDir(), "node.jsonl")
	os.WriteFile(path, []byte(ev+"\n"), 0o644)
	b, err := archive.Load(context.Background(), []string{"../../../testdata/lab-basic/events-list.json", path}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	tl := timeline.Build(b.Events(), b.Changes, correlate.Correlate(b.Events(), b.Changes), timeline.Options{})
	for _, e := range tl.Entries {
		if e.Kind == timeline.KindNode && strings.Contains(e.Summary, "NodeNotReady") {
			if !strings.Contains(e.Summary, "(pods on "+node+": ") || !strings.Contains(e.Summary, "shop/web-6ff6db9c5f-") || e.Severity != timeline.SevWarning {
				t.Errorf("node entry %+v", e)
			}
			return
		}
	}
	t.Fatal("no NodeNotReady entry")
}

// Every entry cites the records it came from, whatever the workload kind.
func TestEveryEntryHasSources(t *testing.T) {
	var paths []string
	for _, lab := range []string{"lab-basic", "lab-jobs", "lab-workloads", "lab-lifecycle"} {
		paths = append(paths, "../../../testdata/"+lab+"/events-list.json")
	}
	a, err := archive.Load(context.Background(), paths, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	tl := timeline.Build(a.Events(), a.Changes, correlate.Correlate(a.Events(), a.Changes), timeline.Options{})
	for _, e := range tl.Entries {
		if len(e.Sources) == 0 {
			t.Errorf("no sources: %s %s %s", e.Kind, e.Object, e.Summary)
		}
	}
}

// lab-failures: a quota refuses 25 pods of one ReplicaSet and 7 of a Job,
// each refusal an event naming its generated pod, many of them combined by
// the aggregator. Each becomes one collapsed entry with the total count.
func TestRefusedPodsCollapse(t *testing.T) {
	a, err := archive.Load(context.Background(), []string{"../../../testdata/lab-failures/events-list.json"}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	tl := timeline.Build(a.Events(), a.Changes, correlate.Correlate(a.Events(), a.Changes), timeline.Options{})
	var got []string
	for _, e := range tl.Entries {
		if strings.HasPrefix(e.Summary, "FailedCreate") {
			got = append(got, fmt.Sprintf("%s %d", e.Object, e.Count))
		}
	}
	if fmt.Sprint(got) != "[replicaset/worker-54b7596c6c 25 job/report 7]" {
		t.Errorf("FailedCreate entries %v", got)
	}
}

// mustGatherPage is the HTML timeline of two minutes of an OpenShift
// must-gather: long namespace and workload names, rollouts with many pods.
func mustGatherPage(t *testing.T) []byte {
	t.Helper()
	a, err := archive.Load(context.Background(), []string{"../../../testdata/public/openshift-must-gather-aws"}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	res := correlate.Correlate(a.Events(), a.Changes)
	o := timeline.Options{Since: time.Date(2021, 8, 3, 9, 19, 0, 0, time.UTC), Until: time.Date(2021, 8, 3, 9, 28, 0, 0, time.UTC)}
	tl := timeline.Build(a.Events(), a.Changes, res, o)
	var page bytes.Buffer
	if err := timeline.WriteHTML(&page, tl, timeline.Rollouts(res, o)); err != nil {
		t.Fatal(err)
	}
	return page.Bytes()
}

// On a must-gather, Chromium lays the page out readably: no label of the
// chart overlaps another or is cut at the chart's edge, with every
// rollout's pods shown, and with them hidden (the default) the chart
// leaves the table of entries on the first screen.
func TestHTMLLayoutMustGather(t *testing.T) {
	htmltest.Chromium(t)
	page := mustGatherPage(t)
	if !bytes.Contains(page, []byte("Timeline: 2021-08-03T09:19:00Z to 2021-08-03T09:28:00Z")) {
		t.Error("the heading does not state the requested window")
	}
	open := htmltest.Measure(t, page, 1300, 1000, `document.getElementById("expand").click();`)
	if len(open.Page.Console) > 0 {
		t.Errorf("console: %v", open.Page.Console)
	}
	if len(open.Labels) < 50 {
		t.Errorf("%d labels measured with the pods shown, want the rollouts', the pods' and the ticks'", len(open.Labels))
	}
	for _, p := range open.Problems() {
		t.Error(p)
	}
	closed := htmltest.Measure(t, page, 1300, 1000, "")
	for _, p := range closed.Problems() {
		t.Error(p)
	}
	if e, ok := closed.IDs["entries"]; !ok || e[1] > 1000 {
		t.Errorf("the table of entries starts at y=%.0f, past the first screen", e[1])
	}
	if len(closed.Labels) >= len(open.Labels) {
		t.Errorf("%d labels with the pods hidden, %d shown: pods are not collapsed", len(closed.Labels), len(open.Labels))
	}
}

// On a must-gather, OpenShift's FastControllerResync warnings are folded
// into one count (unless ShowBenign), the first failure is a failure signal
// on a rollout's pod, and a probe's multi-line output is one line with ↵
// in text and keeps its line breaks in HTML.
func TestRankAndFoldMustGather(t *testing.T) {
	a, err := archive.Load(context.Background(), []string{"../../../testdata/public/openshift-must-gather-aws"}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	res := correlate.Correlate(a.Events(), a.Changes)
	o := timeline.Options{Since: time.Date(2021, 8, 3, 9, 19, 0, 0, time.UTC), Until: time.Date(2021, 8, 3, 9, 28, 0, 0, time.UTC)}
	count := func(tl *timeline.Timeline, reason string) int {
		n := 0
		for _, e := range tl.Entries {
			if strings.HasPrefix(e.Summary, reason) {
				n++
			}
		}
		return n
	}
	o.ShowBenign = true
	shown := timeline.Build(a.Events(), a.Changes, res, o)
	o.ShowBenign = false
	tl := timeline.Build(a.Events(), a.Changes, res, o)
	if count(shown, "FastControllerResync") == 0 {
		t.Fatal("no FastControllerResync with ShowBenign: the fixture changed?")
	}
	if n := count(tl, "FastControllerResync"); n != 0 || tl.Folded["FastControllerResync"] == 0 {
		t.Errorf("%d FastControllerResync entries, %d folded", n, tl.Folded["FastControllerResync"])
	}
	if !slices.ContainsFunc(tl.Summary, func(s string) bool {
		return strings.HasPrefix(s, "folded: ") && strings.Contains(s, "FastControllerResync ×")
	}) {
		t.Errorf("the summary does not say what was folded: %q", tl.Summary)
	}
	var first string
	for _, s := range tl.Summary {
		if strings.HasPrefix(s, "first failure: ") {
			first = s
		}
	}
	if !strings.Contains(first, "/pod/") {
		t.Errorf("the first failure is not on a rollout's pod: %q", first)
	}
	signals := 0
	for _, e := range tl.Entries {
		if e.RolloutSignal {
			signals++
		}
	}
	if signals == 0 {
		t.Error("no entry is marked as a failure signal on a rollout's pods")
	}
	var text, page bytes.Buffer
	if err := timeline.WriteText(&text, tl); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), `\x0a`) || !strings.Contains(text.String(), "↵") {
		t.Error("probe messages in text: want line breaks as ↵, not \\x0a")
	}
	if err := timeline.WriteHTML(&page, tl, timeline.Rollouts(res, o)); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`<td class="what">ProbeError[^<]*\n`).Match(page.Bytes()) || strings.Contains(page.String(), `\x0a`) {
		t.Error("probe messages in HTML: want their line breaks kept (white-space: pre-line)")
	}
}
