package otlp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

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
	rollouts = correlate.Correlate(a.Events, a.Changes).Rollouts
	reqs := otlp.Batches(otlp.Build(rollouts, a.Events, otlp.Options{Version: "test"}), 40, otlp.MaxLineBytes/2)
	var j, p bytes.Buffer
	if err := otlp.WriteJSONLines(&j, reqs); err != nil {
		t.Fatal(err)
	}
	if err := otlp.WriteProto(&p, reqs); err != nil {
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
