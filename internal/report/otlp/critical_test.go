package otlp_test

import (
	"cmp"
	"path/filepath"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// jaegerSpan is what Jaeger UI's critical path reads of a span.
type jaegerSpan struct {
	id, parent pcommon.SpanID
	name       string
	start, end uint64
	pod        string
	marked     bool // evanalyze.critical_path
	children   []*jaegerSpan
}

// jaegerCriticalPath is Jaeger UI's critical path
// (packages/jaeger-ui/src/components/TracePage/CriticalPath): from the
// root's end, the child that finished last before the point, recursively
// into it; a span without such a child is on the path from its start, and
// the walk returns to its parent at that start. Children are ordered by
// end time, latest first, and on a tie by start (Jaeger's trace tree
// orders children by start time). It returns the spans on the path. With ties,
// a child that ends in the same whole second the point is at (times of
// whole seconds, as core/v1 events carry) counts as before it, which
// Jaeger, comparing strictly, does not.
func jaegerCriticalPath(root *jaegerSpan, byID map[pcommon.SpanID]*jaegerSpan, ties bool) []*jaegerSpan {
	for _, s := range byID {
		slices.SortFunc(s.children, func(a, b *jaegerSpan) int {
			return cmp.Or(cmp.Compare(b.end, a.end), cmp.Compare(a.start, b.start), slices.Compare(a.id[:], b.id[:]))
		})
	}
	var path []*jaegerSpan
	seen := map[*jaegerSpan]bool{}
	var walk func(s *jaegerSpan, returning uint64, returned bool)
	walk = func(s *jaegerSpan, returning uint64, returned bool) {
		for guard := 0; guard < 1_000_000; guard++ {
			path = append(path, s)
			seen[s] = true
			var next *jaegerSpan
			if !returned {
				if len(s.children) > 0 {
					next = s.children[0]
				}
			} else {
				for _, c := range s.children {
					if c.end < returning || ties && !seen[c] && c.end == returning && c.end%1e9 == 0 {
						next = c
						break
					}
				}
			}
			if next != nil {
				s, returned = next, false
				continue
			}
			p, ok := byID[s.parent]
			if !ok {
				return
			}
			s, returning, returned = p, s.start, true
		}
	}
	walk(root, 0, false)
	return path
}

// TestJaegerFollowsCriticalPath checks that the spans are shaped so that
// Jaeger's critical-path view goes through the same pods as the
// rollout's critical path: the pods it passes are those marked
// evanalyze.critical_path.
func TestJaegerFollowsCriticalPath(t *testing.T) {
	recs, err := filepath.Glob("../../../testdata/lab-*")
	if err != nil || len(recs) == 0 {
		t.Fatal(recs, err)
	}
	for _, rec := range recs {
		t.Run(filepath.Base(rec), func(t *testing.T) {
			jsonl, _, rollouts := export(t, []string{rec})
			td := readJSON(t, jsonl)
			traces := map[pcommon.TraceID]map[pcommon.SpanID]*jaegerSpan{}
			roots := map[pcommon.TraceID]*jaegerSpan{}
			names := map[pcommon.TraceID]string{}
			for i := 0; i < td.ResourceSpans().Len(); i++ {
				rs := td.ResourceSpans().At(i)
				svc, _ := rs.Resource().Attributes().Get("service.name")
				ss := rs.ScopeSpans()
				for j := 0; j < ss.Len(); j++ {
					for k := 0; k < ss.At(j).Spans().Len(); k++ {
						s := ss.At(j).Spans().At(k)
						js := &jaegerSpan{id: s.SpanID(), parent: s.ParentSpanID(), name: s.Name(),
							start: uint64(s.StartTimestamp()), end: uint64(s.EndTimestamp())}
						if v, ok := s.Attributes().Get("k8s.pod.name"); ok {
							js.pod = v.Str()
						}
						if v, ok := s.Attributes().Get("evanalyze.critical_path"); ok && v.Bool() {
							js.marked = true
						}
						if traces[s.TraceID()] == nil {
							traces[s.TraceID()] = map[pcommon.SpanID]*jaegerSpan{}
						}
						traces[s.TraceID()][s.SpanID()] = js
						if s.ParentSpanID().IsEmpty() {
							roots[s.TraceID()] = js
							seq, _ := s.Attributes().Get("evanalyze.rollout.seq")
							names[s.TraceID()] = svc.Str() + " rollout " + seq.AsString()
						}
					}
				}
			}
			marked, agree, ties := 0, 0, 0
			for tid, byID := range traces {
				for _, s := range byID {
					if p, ok := byID[s.parent]; ok {
						p.children = append(p.children, s)
					}
				}
				var want []string
				for _, s := range byID {
					if s.name == "pod" && s.marked {
						want = append(want, s.pod)
					}
				}
				if len(want) == 0 {
					continue
				}
				marked++
				slices.Sort(want)
				pods := func(ties bool) []string {
					var got []string
					for _, s := range jaegerCriticalPath(roots[tid], byID, ties) {
						if s.name == "pod" && !slices.Contains(got, s.pod) {
							got = append(got, s.pod)
						}
					}
					slices.Sort(got)
					return got
				}
				got := pods(false)
				if slices.Equal(want, got) {
					agree++
					continue
				}
				if got = pods(true); slices.Equal(want, got) {
					ties++
					continue
				}
				t.Errorf("%s: Jaeger's critical path goes through pods %v, the rollout's through %v", names[tid], got, want)
			}
			if marked == 0 && len(rollouts) > 0 {
				t.Errorf("%d rollouts and no pod marked on a critical path", len(rollouts))
			}
			t.Logf("%d traces with a critical path: %d as Jaeger's, %d as Jaeger's but for whole-second ties", marked, agree, ties)
		})
	}
}
