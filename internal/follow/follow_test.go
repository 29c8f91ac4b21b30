package follow

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/otlp"
)

// pace writes the records of a recorded stream to w as they came: the
// delay between two records is the time between their events divided by
// speed, at most maxDelay, so that a recording of minutes replays in
// seconds with its order and rhythm.
func pace(w io.WriteCloser, data []byte, speed float64, maxDelay time.Duration) error {
	defer w.Close()
	var f framer
	var prev time.Time
	start := 0
	for start < len(data) {
		// The next record: up to where the framer ends one.
		end := start
		for i := start; i < len(data); i++ {
			if e := int(f.scan(data[i : i+1])); e > start {
				end = e
				break
			}
		}
		if end == start {
			end = len(data)
		}
		rec := data[start:end]
		if t := recordTime(rec); !t.IsZero() {
			if !prev.IsZero() && t.After(prev) {
				time.Sleep(min(time.Duration(float64(t.Sub(prev))/speed), maxDelay))
			}
			prev = t
		}
		if _, err := w.Write(rec); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// recordTime is the latest time an event record (core/v1, events.k8s.io,
// in a watch event or not) carries.
func recordTime(rec []byte) time.Time {
	var v struct {
		Object         json.RawMessage                       `json:"object"`
		LastTimestamp  time.Time                             `json:"lastTimestamp"`
		EventTime      time.Time                             `json:"eventTime"`
		DeprecatedLast time.Time                             `json:"deprecatedLastTimestamp"`
		FirstTimestamp time.Time                             `json:"firstTimestamp"`
		Series         *struct{ LastObservedTime time.Time } `json:"series"`
	}
	if json.Unmarshal(bytes.TrimSpace(rec), &v) != nil {
		return time.Time{}
	}
	if len(v.Object) > 0 {
		return recordTime(v.Object)
	}
	t := v.LastTimestamp
	for _, o := range []time.Time{v.EventTime, v.DeprecatedLast, v.FirstTimestamp} {
		if o.After(t) {
			t = o
		}
	}
	if v.Series != nil && v.Series.LastObservedTime.After(t) {
		t = v.Series.LastObservedTime
	}
	return t
}

// tracesByID decodes OTLP/JSON lines into the protobuf bytes of each
// trace's resource spans, by trace ID; a trace given again replaces what
// came before (as a store keyed by span ID ends up holding).
func tracesByID(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 4<<20)
	var u ptrace.JSONUnmarshaler
	var m ptrace.ProtoMarshaler
	for sc.Scan() {
		td, err := u.UnmarshalTraces(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			one := ptrace.NewTraces()
			rss.At(i).CopyTo(one.ResourceSpans().AppendEmpty())
			id := rss.At(i).ScopeSpans().At(0).Spans().At(0).TraceID().String()
			b, err := m.MarshalTraces(one)
			if err != nil {
				t.Fatal(err)
			}
			out[id] = b
		}
	}
	return out
}

// batchExport is export --otlp-file of data read whole as name.
func batchExport(t *testing.T, data []byte, name string, fo otlp.FileOptions) ([]byte, []correlate.Rollout) {
	t.Helper()
	a, err := archive.Load(context.Background(), []string{"-"}, archive.Options{Stdin: bytes.NewReader(data), StdinName: name})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	rs := correlate.CorrelatePartsWith(a.Parts, a.Workers, correlate.DefaultRules()).Rollouts
	var b bytes.Buffer
	if _, err := otlp.WriteJSONLines(&b, rs, a.Events(), fo); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), rs
}

// TestReplayEqualsBatch replays every recorded watch stream in testdata
// through a pipe with its pacing compressed, follows it into a trace
// file, and checks that the traces sent, each at its last version, are
// byte for byte the batch export of the same stream; that every decided
// rollout left within a bound of its end in stream time; and that no
// trace was orphaned. -short replays two of them.
func TestReplayEqualsBatch(t *testing.T) {
	streams, _ := filepath.Glob("../../testdata/lab-*/watch-*")
	if testing.Short() {
		streams = slices.DeleteFunc(streams, func(p string) bool {
			return !strings.Contains(p, "lab-basic/") && !strings.Contains(p, "lab-failures/watch-core")
		})
	}
	if len(streams) == 0 {
		t.Fatal("no recorded watch streams")
	}
	fo := otlp.FileOptions{Options: otlp.Options{Version: "test"}, MaxSpans: 2000}
	for _, path := range streams {
		t.Run(strings.TrimPrefix(path, "../../testdata/"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, rollouts := batchExport(t, data, path, fo)
			pr, pw := io.Pipe()
			go pace(pw, data, 200, 20*time.Millisecond)
			var got bytes.Buffer
			// The stream time of each correlation, and of the one before
			// each hand-on.
			var ticks []time.Time
			type emit struct {
				id         string
				end        *time.Time
				prev       time.Time // the stream time of the correlation before
				inProgress bool
			}
			var emits []emit
			sink := &TraceSink{W: &got, Options: fo}
			st, err := Run(context.Background(), pr, Options{Name: path, Rules: correlate.DefaultRules(), Tick: 10 * time.Millisecond,
				OnTick: func(now time.Time) { ticks = append(ticks, now) },
				OnEmit: func(r *correlate.Rollout, now time.Time) {
					var prev time.Time
					if len(ticks) > 1 {
						prev = ticks[len(ticks)-2]
					}
					emits = append(emits, emit{string(otlp.TraceID(r)), r.End, prev, r.Outcome == correlate.OutcomeInProgress})
				}}, sink)
			if err != nil {
				t.Fatal(err)
			}
			g, w := tracesByID(t, got.Bytes()), tracesByID(t, want)
			if len(g) != len(w) || len(w) != len(rollouts) {
				t.Errorf("%d traces followed, %d exported, %d rollouts", len(g), len(w), len(rollouts))
			}
			for id, b := range w {
				if !bytes.Equal(g[id], b) {
					t.Errorf("trace %s: followed differs from exported (%d and %d bytes)", id, len(g[id]), len(b))
				}
			}
			if st.Orphaned != 0 {
				t.Errorf("%d traces orphaned", st.Orphaned)
			}
			// Each decided rollout's trace left first at the correlation
			// that could first decide it: at the one before, the stream
			// had not yet passed its end by the bound. In stream time, so
			// that a slow machine (fewer correlations) does not change
			// the answer. Later versions (the old pods' Killing after a
			// rollout completed, a count that went up) follow as they
			// come.
			const bound = 5 * time.Second
			late, first := 0, map[string]bool{}
			for _, e := range emits {
				if e.inProgress || e.end == nil || first[e.id] {
					continue
				}
				first[e.id] = true
				if d := e.prev.Sub(e.end.Add(DefaultSettle)); d > bound {
					late++
					t.Logf("a rollout was decidable %v after its end one correlation before it left", d)
				}
			}
			if late > 0 {
				t.Errorf("%d of %d rollouts left later than the correlation after their end (+%v)", late, len(first), bound)
			}
			t.Logf("%d bytes, %d ticks, %d handed on (%d rollouts), %d in progress", st.Bytes, st.Ticks, st.Emitted, len(rollouts), st.InProgress)
		})
	}
}

// TestReplayEvicts replays recordings whose namespaces go quiet with
// IdleAfter short enough to evict them: less is held than was read, every
// rollout keeps its trace ID, and the traces sent, each at its last
// version, are the batch export of the whole stream, but for rollouts of
// a namespace that came back after it was dropped (they are correlated
// without what came before: lab-lifecycle's shop/search rollout 2 does not
// know its old ReplicaSet).
func TestReplayEvicts(t *testing.T) {
	fo := otlp.FileOptions{Options: otlp.Options{Version: "test"}, MaxSpans: 2000}
	for _, c := range []struct {
		path    string
		idle    time.Duration
		revived []string // rollouts (namespace/name seq) of a namespace dropped before they started
	}{
		{"../../testdata/lab-failures/watch-eventsv1.jsonl", 20 * time.Second, nil},
		{"../../testdata/lab-lifecycle/watch-core.json", 60 * time.Second, []string{"shop/search 2"}},
	} {
		t.Run(strings.TrimPrefix(c.path, "../../testdata/"), func(t *testing.T) {
			data, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			want, rollouts := batchExport(t, data, c.path, fo)
			pr, pw := io.Pipe()
			go pace(pw, data, 200, 20*time.Millisecond)
			var got bytes.Buffer
			st, err := Run(context.Background(), pr, Options{Name: c.path, Rules: correlate.DefaultRules(), Tick: 10 * time.Millisecond,
				IdleAfter: c.idle}, &TraceSink{W: &got, Options: fo})
			if err != nil {
				t.Fatal(err)
			}
			if st.EvictedBytes == 0 || st.Held >= st.Bytes {
				t.Errorf("nothing evicted: %d rollouts, %d of %d bytes held", st.Evicted, st.Held, st.Bytes)
			}
			g, w := tracesByID(t, got.Bytes()), tracesByID(t, want)
			if len(g) != len(w) || len(w) != len(rollouts) {
				t.Errorf("%d traces followed, %d exported, %d rollouts", len(g), len(w), len(rollouts))
			}
			var differ []string
			for i := range rollouts {
				r := &rollouts[i]
				id := hex.EncodeToString(otlp.TraceID(r))
				if _, ok := g[id]; !ok {
					t.Errorf("%s/%s %d: no trace %s followed", r.Namespace, r.Name, r.Seq, id)
				}
				if !bytes.Equal(g[id], w[id]) {
					differ = append(differ, fmt.Sprintf("%s/%s %d", r.Namespace, r.Name, r.Seq))
				}
			}
			if !slices.Equal(differ, c.revived) {
				t.Errorf("traces that differ from the batch export: %v, want %v (evicted %v)", differ, c.revived, st.EvictedNamespaces)
			}
			t.Logf("%d rollouts evicted, %d bytes (%v); %d of %d bytes held at the end; %d ticks", st.Evicted, st.EvictedBytes, st.EvictedNamespaces, st.Held, st.Bytes, st.Ticks)
		})
	}
}

// TestQuietStream writes a recording into a pipe that stays open: the
// stream's time runs on with the clock, so the last rollouts are decided
// and handed on without another record coming.
func TestQuietStream(t *testing.T) {
	data, err := os.ReadFile("../../testdata/lab-basic/watch-core.json")
	if err != nil {
		t.Fatal(err)
	}
	_, rollouts := batchExport(t, data, "x", otlp.FileOptions{})
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write(data)
	decided := make(chan struct{})
	ids := map[string]bool{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, pr, Options{Rules: correlate.DefaultRules(), Tick: 10 * time.Millisecond, Settle: 300 * time.Millisecond,
			OnEmit: func(r *correlate.Rollout, now time.Time) {
				if r.Outcome != correlate.OutcomeInProgress {
					ids[string(otlp.TraceID(r))] = true
				}
				if len(ids) == len(rollouts) {
					select {
					case <-decided:
					default:
						close(decided)
					}
				}
			}}, &RolloutSink{W: io.Discard})
		done <- err
	}()
	select {
	case <-decided:
	case <-time.After(20 * time.Second):
		t.Fatalf("%d of %d rollouts handed on while the stream is open and quiet", len(ids), len(rollouts))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestFlushInProgress: with FlushAfter shorter than its rollouts, a
// replay hands each on in progress once it has been open that long, then
// decided, under the same trace ID; the last version of each is the batch
// export's.
func TestFlushInProgress(t *testing.T) {
	path := "../../testdata/lab-lifecycle/watch-core.json"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fo := otlp.FileOptions{Options: otlp.Options{Version: "test"}, MaxSpans: 2000}
	want, rollouts := batchExport(t, data, path, fo)
	pr, pw := io.Pipe()
	go pace(pw, data, 200, 20*time.Millisecond)
	var got bytes.Buffer
	var order []string // "id outcome" of each hand-on
	st, err := Run(context.Background(), pr, Options{Name: path, Rules: correlate.DefaultRules(), Tick: 10 * time.Millisecond, FlushAfter: 5 * time.Second,
		OnEmit: func(r *correlate.Rollout, now time.Time) {
			order = append(order, string(otlp.TraceID(r))+" "+r.Outcome)
		}},
		&TraceSink{W: &got, Options: fo})
	if err != nil {
		t.Fatal(err)
	}
	// A rollout of search (52 s, slow pulls) went in progress first, then
	// decided, as one trace.
	var flushed int
	for i, e := range order {
		id, outcome, _ := strings.Cut(e, " ")
		if outcome != correlate.OutcomeInProgress {
			continue
		}
		for _, later := range order[i+1:] {
			if lid, lo, _ := strings.Cut(later, " "); lid == id && lo != correlate.OutcomeInProgress {
				flushed++
				break
			}
		}
	}
	if st.InProgress == 0 || flushed == 0 {
		t.Errorf("%d hand-ons in progress, %d of them decided later under the same ID", st.InProgress, flushed)
	}
	g, w := tracesByID(t, got.Bytes()), tracesByID(t, want)
	if len(g) != len(w) || len(w) != len(rollouts) {
		t.Errorf("%d traces followed, %d exported, %d rollouts", len(g), len(w), len(rollouts))
	}
	for id, b := range w {
		if !bytes.Equal(g[id], b) {
			t.Errorf("trace %s: followed differs from exported", id)
		}
	}
}
