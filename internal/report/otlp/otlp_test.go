package otlp_test

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"go.opentelemetry.io/collector/pdata/ptrace"
	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/otlp"
)

func lab(files ...string) []string {
	var out []string
	for _, f := range files {
		out = append(out, filepath.Join("../../../testdata/lab-basic", f))
	}
	return out
}

// export loads, correlates and writes traces in both encodings.
func export(t *testing.T, paths []string) (jsonl, pb []byte, rollouts []correlate.Rollout) {
	t.Helper()
	a, err := archive.Load(context.Background(), paths, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	rollouts = correlate.Correlate(a.Events(), a.Changes).Rollouts
	o := otlp.FileOptions{Options: otlp.Options{Version: "test"}, MaxSpans: 40}
	var j, p bytes.Buffer
	if _, err := otlp.WriteJSONLines(&j, rollouts, a.Events(), o); err != nil {
		t.Fatal(err)
	}
	if _, err := otlp.WriteProto(&p, rollouts, a.Events(), o); err != nil {
		t.Fatal(err)
	}
	return j.Bytes(), p.Bytes(), rollouts
}

// readJSON decodes OTLP/JSON lines with the Collector's own decoder.
func readJSON(t *testing.T, data []byte) ptrace.Traces {
	t.Helper()
	all := ptrace.NewTraces()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 4<<20)
	var u ptrace.JSONUnmarshaler
	for sc.Scan() {
		if len(sc.Bytes()) >= otlp.MaxLineBytes {
			t.Fatalf("line of %d bytes: the otlpjsonfile receiver reads at most 1 MiB", len(sc.Bytes()))
		}
		td, err := u.UnmarshalTraces(sc.Bytes())
		if err != nil {
			t.Fatalf("pdata rejects a line: %v", err)
		}
		td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
	return all
}

func readProto(t *testing.T, data []byte) ptrace.Traces {
	t.Helper()
	all := ptrace.NewTraces()
	r := bytes.NewReader(data)
	var u ptrace.ProtoUnmarshaler
	for {
		var n [4]byte
		if _, err := io.ReadFull(r, n[:]); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		msg := make([]byte, binary.BigEndian.Uint32(n[:]))
		if _, err := io.ReadFull(r, msg); err != nil {
			t.Fatal(err)
		}
		td, err := u.UnmarshalTraces(msg)
		if err != nil {
			t.Fatal(err)
		}
		td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
	return all
}

func TestLabBasicTraces(t *testing.T) {
	jsonl, pb, rollouts := export(t, lab("events-list.json", "audit.log.gz"))
	td := readJSON(t, jsonl)
	if n := td.ResourceSpans().Len(); n != len(rollouts) || n != 10 {
		t.Fatalf("%d resource spans for %d rollouts", n, len(rollouts))
	}
	// The JSON and protobuf files hold the same traces.
	var m ptrace.JSONMarshaler
	a, _ := m.MarshalTraces(td)
	b, _ := m.MarshalTraces(readProto(t, pb))
	if !bytes.Equal(a, b) {
		t.Fatal("JSON and protobuf files differ")
	}
	traces := map[string]bool{}
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		svc, _ := rs.Resource().Attributes().Get("service.name")
		spans := rs.ScopeSpans().At(0).Spans()
		ids := map[string]bool{}
		var root ptrace.Span
		for j := 0; j < spans.Len(); j++ {
			s := spans.At(j)
			ids[s.SpanID().String()] = true
			traces[s.TraceID().String()] = true
			if s.Name() == "rollout" {
				root = s
			}
			if s.EndTimestamp() < s.StartTimestamp() {
				t.Errorf("%s: span %s ends before it starts", svc.Str(), s.Name())
			}
			for k := range s.Attributes().All() {
				if strings.HasPrefix(k, "k8s.event.") || k == "evanalyze.source" {
					t.Errorf("%s: span %s has the event attribute %s", svc.Str(), s.Name(), k)
				}
			}
		}
		for j := 0; j < spans.Len(); j++ {
			s := spans.At(j)
			if s.Name() != "rollout" && !ids[s.ParentSpanID().String()] {
				t.Errorf("%s: span %s has no parent in its trace", svc.Str(), s.Name())
			}
		}
		r := rollouts[i]
		outcome, _ := root.Attributes().Get("evanalyze.rollout.outcome")
		if outcome.Str() != r.Outcome || svc.Str() != r.Namespace+"/"+r.Name {
			t.Errorf("trace %d: outcome %q service %q, rollout %s %s/%s", i, outcome.Str(), svc.Str(), r.Outcome, r.Namespace, r.Name)
		}
		if (r.Outcome == correlate.OutcomeFailed) != (root.Status().Code() == ptrace.StatusCodeError) {
			t.Errorf("%s: status %v for outcome %s", svc.Str(), root.Status().Code(), r.Outcome)
		}
		if user, ok := root.Attributes().Get("evanalyze.trigger.user"); !ok || user.Str() != r.Trigger.User {
			t.Errorf("%s: trigger user %v", svc.Str(), user)
		}
		if got, want := root.TraceID().String(), hex.EncodeToString(otlp.TraceID(&r)); got != want {
			t.Errorf("%s: trace ID %s, TraceID says %s", svc.Str(), got, want)
		}
		if _, ok := root.Attributes().Get("k8s.audit.id"); !ok {
			t.Errorf("%s: no audit id", svc.Str())
		}
	}
	if len(traces) != 10 {
		t.Errorf("%d distinct trace IDs", len(traces))
	}
	// The unschedulable web rollout carries the scheduler's event on its
	// pod span, with an error status.
	found := false
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		spans := td.ResourceSpans().At(i).ScopeSpans().At(0).Spans()
		for j := 0; j < spans.Len(); j++ {
			s := spans.At(j)
			for k := 0; k < s.Events().Len(); k++ {
				if s.Name() == "pod" && s.Events().At(k).Name() == "FailedScheduling" && s.Status().Code() == ptrace.StatusCodeError {
					found = true
				}
			}
		}
	}
	if !found {
		t.Error("no pod span with a FailedScheduling event and an error status")
	}
}

// The same archive gives the same bytes whatever the input order.
func TestDeterministicIDs(t *testing.T) {
	a, _, _ := export(t, lab("events-list.json", "audit.log.gz", "watch-core.json"))
	b, _, _ := export(t, lab("watch-core.json", "events-list.json", "audit.log.gz"))
	if !bytes.Equal(a, b) {
		t.Fatal("output depends on input order")
	}
	if !strings.Contains(string(a), `"traceId":"`) || strings.Contains(string(a), `"traceId":"A`) {
		t.Fatal("trace IDs are not hex")
	}
}

// The file writers encode traces directly; they must write the bytes of
// the tracepb messages Build makes, cut by Batches, as the reference
// encoders write them: the OTLP/JSON encoder that wrote the golden files,
// and proto.Marshal with Deterministic.
func TestWritersMatchReference(t *testing.T) {
	for _, dir := range []string{"lab-basic", "lab-jobs", "lab-lifecycle", "lab-workloads", "bad", "public"} {
		a, err := archive.Load(context.Background(), []string{filepath.Join("../../../testdata", dir)}, archive.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rollouts := correlate.Correlate(a.Events(), a.Changes).Rollouts
		for _, o := range []otlp.FileOptions{
			{},
			{Options: otlp.Options{Version: "v1.2.3"}, MaxSpans: 5},
			{Options: otlp.Options{ServiceName: "svc <&>"}, MaxSpans: 40, MaxBytes: 4096},
			{MaxSpans: 1, MaxBytes: 1},
		} {
			for _, events := range []arrow.Record{a.Events(), nil} {
				name := fmt.Sprintf("%s/%+v/events=%t", dir, o, events != nil)
				reqs := otlp.Batches(otlp.Build(rollouts, events, o.Options), cmp.Or(o.MaxSpans, 2000), cmp.Or(o.MaxBytes, otlp.MaxLineBytes/2))
				spans := 0
				for _, req := range reqs {
					for _, rs := range req.ResourceSpans {
						spans += len(rs.ScopeSpans[0].Spans)
					}
				}
				wantPB, err := refProto(reqs)
				if err != nil {
					t.Fatal(err)
				}
				for _, tc := range []struct {
					format string
					write  func(io.Writer, []correlate.Rollout, arrow.Record, otlp.FileOptions) (otlp.FileStats, error)
					want   []byte
				}{
					{"json", otlp.WriteJSONLines, refJSONLines(reqs)},
					{"proto", otlp.WriteProto, wantPB},
				} {
					var got bytes.Buffer
					st, err := tc.write(&got, rollouts, events, o)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got.Bytes(), tc.want) {
						t.Errorf("%s %s: the writer's %d bytes differ from the reference's %d at byte %d", name, tc.format,
							got.Len(), len(tc.want), diffAt(got.Bytes(), tc.want))
					}
					want := otlp.FileStats{Traces: len(rollouts), Spans: spans, Requests: len(reqs), Bytes: int64(len(tc.want))}
					if st != want {
						t.Errorf("%s %s: stats %+v, want %+v", name, tc.format, st, want)
					}
				}
				// Requests for Send: the same protobuf, in memory.
				got := otlp.Requests(rollouts, events, o)
				if len(got) != len(reqs) {
					t.Fatalf("%s: %d requests, want %d", name, len(got), len(reqs))
				}
				for i, r := range got {
					want, err := proto.MarshalOptions{Deterministic: true}.Marshal(reqs[i])
					if err != nil {
						t.Fatal(err)
					}
					n, traces := 0, 0 // a trace split over requests counts in the one with its root
					for _, rs := range reqs[i].ResourceSpans {
						n += len(rs.ScopeSpans[0].Spans)
						if len(rs.ScopeSpans[0].Spans[0].ParentSpanId) == 0 {
							traces++
						}
					}
					if !bytes.Equal(r.Body, want) || r.Traces != traces || r.Spans != n {
						t.Errorf("%s: request %d differs from the reference", name, i)
					}
				}
			}
		}
		a.Release()
	}
}

func diffAt(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// The writers reuse one trace model from rollout to rollout: nothing of a
// large trace may stay in the next one.
func TestWriterReuseClearsTrace(t *testing.T) {
	a, err := archive.Load(context.Background(), lab("events-list.json", "audit.log.gz"), archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	rollouts := correlate.Correlate(a.Events(), a.Changes).Rollouts
	big, small := rollouts[0], rollouts[0]
	for _, r := range rollouts {
		if len(r.Pods) > len(big.Pods) {
			big = r
		}
		if len(r.Pods) < len(small.Pods) {
			small = r
		}
	}
	o := otlp.FileOptions{MaxSpans: 1} // one trace per line
	for _, write := range []func(io.Writer, []correlate.Rollout, arrow.Record, otlp.FileOptions) (otlp.FileStats, error){otlp.WriteJSONLines, otlp.WriteProto} {
		var both, alone bytes.Buffer
		if _, err := write(&both, []correlate.Rollout{big, small}, a.Events(), o); err != nil {
			t.Fatal(err)
		}
		if _, err := write(&alone, []correlate.Rollout{small}, a.Events(), o); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(both.Bytes(), alone.Bytes()) || both.Len() < 2*alone.Len() {
			t.Errorf("the small trace after the big one differs from the small trace alone")
		}
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// A write error stops the writer and is returned.
func TestWriterError(t *testing.T) {
	a, err := archive.Load(context.Background(), lab("events-list.json", "audit.log.gz"), archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	rollouts := correlate.Correlate(a.Events(), a.Changes).Rollouts
	for len(rollouts) < 5000 { // more than the writer buffers
		rollouts = append(rollouts, rollouts...)
	}
	for _, write := range []func(io.Writer, []correlate.Rollout, arrow.Record, otlp.FileOptions) (otlp.FileStats, error){otlp.WriteJSONLines, otlp.WriteProto} {
		st, err := write(&failWriter{n: 1000}, rollouts, a.Events(), otlp.FileOptions{})
		if err == nil || err.Error() != "disk full" || st.Traces == len(rollouts) {
			t.Errorf("stats %+v, error %v", st, err)
		}
	}
}

// Strings with invalid UTF-8 (from a foreign Parquet file, a file name)
// become U+FFFD in both encodings, as in JSON, so the protobuf stays valid.
func TestInvalidUTF8(t *testing.T) {
	start := time.Date(2026, 11, 25, 3, 28, 27, 0, time.UTC)
	created := start.Add(time.Second)
	rollouts := []correlate.Rollout{{
		Cluster: "c\xff", Namespace: "shop", Kind: "Deployment", Name: "web\xfe", Start: start, Outcome: correlate.OutcomeFailed,
		FailureReason: "bad \xed\xa0\x80", Changes: []string{"ok", "image \xff"}, OldReplicaSets: []string{"web-1"},
		Pods: []correlate.Pod{{Name: "web-1-\xff", Created: &created, Warnings: map[string]int{"Back\xffOff": 1}}},
	}}
	o := otlp.FileOptions{Options: otlp.Options{Version: "v\xff"}}
	var j, p bytes.Buffer
	if _, err := otlp.WriteJSONLines(&j, rollouts, nil, o); err != nil {
		t.Fatal(err)
	}
	if _, err := otlp.WriteProto(&p, rollouts, nil, o); err != nil {
		t.Fatal(err)
	}
	var req collectorpb.ExportTraceServiceRequest
	if err := proto.Unmarshal(p.Bytes()[4:], &req); err != nil {
		t.Fatalf("the protobuf is invalid: %v", err)
	}
	var m ptrace.JSONMarshaler
	a, _ := m.MarshalTraces(readJSON(t, j.Bytes()))
	b, _ := m.MarshalTraces(readProto(t, p.Bytes()))
	if !bytes.Equal(a, b) || !strings.Contains(string(a), `"web\ufffd"`) && !strings.Contains(string(a), "web\uFFFD") {
		t.Errorf("JSON and protobuf differ or lack U+FFFD:\n%s\n%s", a, b)
	}
	reqs := otlp.Batches(otlp.Build(rollouts, nil, o.Options), 100, otlp.MaxLineBytes)
	if got, err := refProto(reqs); err != nil || !bytes.Equal(got, p.Bytes()) {
		t.Errorf("Build gives other protobuf (error %v)", err)
	}
}
