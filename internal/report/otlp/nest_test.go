package otlp_test

import (
	"os"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestSpansNest checks, over every recording in testdata and the public
// must-gathers when EVANALYZE_PUBLIC_DATA names them, that each span lies
// within its parent (start ≤ the child's start, end ≥ the child's end):
// the root holds its scale steps and pods, a pod its phases
// (correlate.Rollout.Interval, Pod.Interval).
func TestSpansNest(t *testing.T) {
	dirs, err := filepath.Glob("../../../testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() && filepath.Base(d) != "golden" {
			paths = append(paths, d)
		}
	}
	if pub := os.Getenv("EVANALYZE_PUBLIC_DATA"); pub != "" {
		paths = append(paths, pub)
	}
	for _, dir := range paths {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			jsonl, _, rollouts := export(t, []string{dir})
			td := readJSON(t, jsonl)
			type iv struct{ start, end pcommon.Timestamp }
			spans, children := 0, 0
			// A large trace is split into parts (requests) of whole
			// spans: a parent can be in another part of its trace.
			type id struct {
				trace pcommon.TraceID
				span  pcommon.SpanID
			}
			byID := map[id]iv{}
			var all []ptrace.Span
			for i := 0; i < td.ResourceSpans().Len(); i++ {
				ss := td.ResourceSpans().At(i).ScopeSpans()
				for j := 0; j < ss.Len(); j++ {
					for k := 0; k < ss.At(j).Spans().Len(); k++ {
						s := ss.At(j).Spans().At(k)
						byID[id{s.TraceID(), s.SpanID()}] = iv{s.StartTimestamp(), s.EndTimestamp()}
						all = append(all, s)
					}
				}
			}
			{
				for _, s := range all {
					spans++
					if s.EndTimestamp() < s.StartTimestamp() {
						t.Errorf("%s span %s ends %v before it starts", s.TraceID(), s.Name(), s.StartTimestamp().AsTime().Sub(s.EndTimestamp().AsTime()))
					}
					if s.ParentSpanID().IsEmpty() {
						continue
					}
					p, ok := byID[id{s.TraceID(), s.ParentSpanID()}]
					if !ok {
						t.Errorf("%s span %s: parent not in its trace", s.TraceID(), s.Name())
						continue
					}
					children++
					if s.StartTimestamp() < p.start {
						t.Errorf("%s span %s starts %v before its parent", s.TraceID(), s.Name(), p.start.AsTime().Sub(s.StartTimestamp().AsTime()))
					}
					if s.EndTimestamp() > p.end {
						t.Errorf("%s span %s ends %v after its parent", s.TraceID(), s.Name(), s.EndTimestamp().AsTime().Sub(p.end.AsTime()))
					}
				}
			}
			if len(rollouts) > 0 && children == 0 {
				t.Errorf("%d rollouts, %d spans and no child span", len(rollouts), spans)
			}
		})
	}
}
