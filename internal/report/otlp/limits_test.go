package otlp_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/otlp"
)

// hugeMessage is the length of the messages hostileEvents writes.
const hugeMessage = 3 << 20

// hostileEvents writes lab-basic's event list with oversized text into a
// temporary directory: the first three Pulled events carry 3 MiB
// messages, the Scheduled events 20 KB of characters JSON escapes
// (6 bytes each), and one pod's Started event is observed 200 times
// (its count growing) with a message of 3,000 escaped characters, more
// than a JSON line holds on one span.
func hostileEvents(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(lab("events-list.json")[0])
	if err != nil {
		t.Fatal(err)
	}
	var list map[string]any
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	items := list["items"].([]any)
	pulled, started := 0, false
	for _, it := range items {
		ev := it.(map[string]any)
		switch ev["reason"] {
		case "Pulled":
			if pulled < 3 {
				ev["message"] = strings.Repeat("x", hugeMessage)
				pulled++
			}
		case "Scheduled":
			ev["message"] = strings.Repeat("<\x01", 10_000)
		case "Started":
			if started {
				continue
			}
			started = true
			for i := range 200 {
				c := map[string]any{}
				for k, v := range ev {
					c[k] = v
				}
				c["count"] = i + 2
				c["message"] = strings.Repeat("&", 3000)
				items = append(items, c)
			}
		}
	}
	list["items"] = items
	out, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hostile.json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Oversized event text neither makes a JSON line over 1 MiB nor a request
// over the gRPC receive limit: values are cut at MaxValueBytes with a
// marker and their original length, traces too large for a request are
// split by spans, and a span with more events than a line holds drops the
// latest (dropped_events_count). Every span is written once.
func TestLimits(t *testing.T) {
	path := hostileEvents(t)
	a, err := archive.Load(context.Background(), []string{path, lab("audit.log.gz")[0]}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	rollouts := correlate.Correlate(a.Events(), a.Changes).Rollouts
	want := map[string]bool{}
	for _, rs := range otlp.Build(rollouts, a.Events(), otlp.Options{}) {
		for _, s := range rs.ScopeSpans[0].Spans {
			want[hex.EncodeToString(s.SpanId)] = true
		}
	}
	o := otlp.FileOptions{MaxBytes: otlp.MaxLineBytes / 2} // as export does
	var j, p bytes.Buffer
	jst, err := otlp.WriteJSONLines(&j, rollouts, a.Events(), o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := otlp.WriteProto(&p, rollouts, a.Events(), o); err != nil {
		t.Fatal(err)
	}
	for i, line := range bytes.SplitAfter(j.Bytes(), []byte("\n")) {
		if len(line) > otlp.MaxLineBytes {
			t.Errorf("line %d: %d bytes, over 1 MiB", i+1, len(line))
		}
	}
	td := readJSON(t, j.Bytes()) // fails on lines of 1 MiB and more
	var m ptrace.JSONMarshaler
	ja, _ := m.MarshalTraces(td)
	pa, _ := m.MarshalTraces(readProto(t, p.Bytes()))
	if !bytes.Equal(ja, pa) {
		t.Error("JSON and protobuf files hold other traces")
	}

	got := map[string]int{}
	truncated, dropped := 0, 0
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		spans := td.ResourceSpans().At(i).ScopeSpans().At(0).Spans()
		for k := 0; k < spans.Len(); k++ {
			s := spans.At(k)
			got[s.SpanID().String()]++
			dropped += int(s.DroppedEventsCount())
			for e := 0; e < s.Events().Len(); e++ {
				attrs := s.Events().At(e).Attributes()
				msg, _ := attrs.Get("k8s.event.message")
				if len(msg.Str()) > otlp.MaxValueBytes {
					t.Fatalf("a message of %d bytes", len(msg.Str()))
				}
				if n, ok := attrs.Get("evanalyze.truncated.k8s.event.message"); ok {
					if !strings.HasSuffix(msg.Str(), "…truncated") {
						t.Errorf("truncated message without the marker: …%q", msg.Str()[len(msg.Str())-20:])
					}
					if n.Int() == hugeMessage {
						truncated++
					}
				}
			}
		}
	}
	if truncated != 3 {
		t.Errorf("%d messages of %d bytes marked truncated, want 3", truncated, hugeMessage)
	}
	if dropped == 0 || jst.DroppedEvents != dropped || jst.Truncated == 0 {
		t.Errorf("%d span events dropped, stats %+v", dropped, jst)
	}
	if len(got) != len(want) {
		t.Errorf("%d spans written, %d built", len(got), len(want))
	}
	for id, n := range got {
		if n != 1 || !want[id] {
			t.Errorf("span %s written %d times (built: %t)", id, n, want[id])
		}
	}

	// The requests for a backfill: none near the gRPC receive limit
	// (4 MiB), none over the size asked for unless a span alone is.
	reqs := otlp.Requests(rollouts, a.Events(), o)
	sent := map[string]int{}
	for i, r := range reqs {
		if len(r.Body) > otlp.MaxLineBytes {
			t.Errorf("request %d: %d bytes", i, len(r.Body))
		}
		var req collectorpb.ExportTraceServiceRequest
		if err := proto.Unmarshal(r.Body, &req); err != nil {
			t.Fatal(err)
		}
		for _, rs := range req.ResourceSpans {
			for _, s := range rs.ScopeSpans[0].Spans {
				sent[fmt.Sprintf("%x", s.SpanId)]++
			}
		}
	}
	if fmt.Sprint(sent) != fmt.Sprint(got) {
		t.Error("the requests hold other spans than the file")
	}
}
