package otlp_test

import (
	"context"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/otlp"
	"github.com/evanalyze/evanalyze/internal/report/otlp/otlptest"
)

// requests encodes lab-basic's traces in small requests.
func requests(t *testing.T) []otlp.Request {
	t.Helper()
	a, err := archive.Load(context.Background(), lab("events-list.json", "audit.log.gz"), archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	return otlp.Requests(correlate.Correlate(a.Events(), a.Changes).Rollouts, a.Events(), otlp.FileOptions{MaxSpans: 20, MaxBytes: otlp.MaxLineBytes, Checkpoint: true})
}

// receiver is an OTLP/HTTP receiver on loopback that answers from a script.
type receiver struct {
	mu      sync.Mutex
	answers []int // status codes for the next requests; then 200
	spans   int
	got     int
	header  string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.header = r.Header.Get("X-Api-Key")
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if len(rc.answers) > 0 {
		code := rc.answers[0]
		rc.answers = rc.answers[1:]
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		http.Error(w, "try later", code)
		return
	}
	var req collectorpb.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, rs := range req.ResourceSpans {
		rc.spans += len(rs.ScopeSpans[0].Spans)
	}
	rc.got++
	w.Header().Set("Content-Type", "application/x-protobuf")
}

func fast(o otlp.SendOptions) otlp.SendOptions {
	o.Backoff, o.MaxBackoff, o.Timeout = time.Millisecond, 5*time.Millisecond, 5*time.Second
	return o
}

func TestSendHTTPRetries(t *testing.T) {
	reqs := requests(t)
	rc := &receiver{answers: []int{503, 429, 502, 504}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	st, err := otlp.Send(context.Background(), reqs, fast(otlp.SendOptions{Endpoint: srv.URL, Headers: map[string]string{"X-Api-Key": "secret"}, Concurrency: 2}))
	if err != nil {
		t.Fatal(err)
	}
	if st.Requests != len(reqs) || st.Retries != 4 || st.Throttled != 1 || st.Failed != 0 || rc.got != len(reqs) || rc.spans != 97 || rc.header != "secret" {
		t.Errorf("stats %+v, receiver got %d requests, %d spans, header %q", st, rc.got, rc.spans, rc.header)
	}
}

// A permanent error is not retried, is reported, and the checkpoint lets a
// second run deliver only what is missing.
func TestSendCheckpointResume(t *testing.T) {
	reqs := requests(t)
	if len(reqs) < 3 {
		t.Fatalf("want several requests, got %d", len(reqs))
	}
	ckpt := filepath.Join(t.TempDir(), "backfill.ckpt")
	rc := &receiver{answers: []int{400}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	o := fast(otlp.SendOptions{Endpoint: srv.URL, Checkpoint: ckpt, Concurrency: 1})
	st, err := otlp.Send(context.Background(), reqs, o)
	if err == nil || !strings.Contains(err.Error(), "1 of") || st.Failed != 1 || st.Retries != 0 || st.Requests != len(reqs)-1 {
		t.Fatalf("first run: %+v, %v", st, err)
	}
	st, err = otlp.Send(context.Background(), reqs, o)
	if err != nil || st.Requests != 1 || st.Skipped != len(reqs)-1 || rc.got != len(reqs) {
		t.Fatalf("resume: %+v, %v, receiver got %d", st, err, rc.got)
	}
	st, err = otlp.Send(context.Background(), reqs, o)
	if err != nil || st.Requests != 0 || st.Skipped != len(reqs) {
		t.Fatalf("third run: %+v, %v", st, err)
	}
}

func TestSendGiveUp(t *testing.T) {
	rc := &receiver{answers: []int{503, 503, 503, 503, 503, 503}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	reqs := requests(t)[:1]
	o := fast(otlp.SendOptions{Endpoint: srv.URL, MaxAttempts: 3})
	st, err := otlp.Send(context.Background(), reqs, o)
	if err == nil || st.Failed != 1 || st.Retries != 2 || !strings.Contains(err.Error(), "503") {
		t.Fatalf("%+v, %v", st, err)
	}
	if _, err := otlp.Send(context.Background(), reqs, otlp.SendOptions{Endpoint: "ftp://x"}); err == nil {
		t.Error("bad endpoint accepted")
	}
}

// grpcReceiver fails the first calls with UNAVAILABLE.
type grpcReceiver struct {
	collectorpb.UnimplementedTraceServiceServer
	fails atomic.Int32
	spans atomic.Int32
	key   atomic.Value
}

func (g *grpcReceiver) Export(ctx context.Context, req *collectorpb.ExportTraceServiceRequest) (*collectorpb.ExportTraceServiceResponse, error) {
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("x-api-key")) > 0 {
		g.key.Store(md.Get("x-api-key")[0])
	}
	if g.fails.Add(-1) >= 0 {
		return nil, status.Error(codes.Unavailable, "warming up")
	}
	for _, rs := range req.ResourceSpans {
		g.spans.Add(int32(len(rs.ScopeSpans[0].Spans)))
	}
	return &collectorpb.ExportTraceServiceResponse{}, nil
}

func TestSendGRPC(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &grpcReceiver{}
	g.fails.Store(2)
	srv := grpc.NewServer()
	collectorpb.RegisterTraceServiceServer(srv, g)
	go srv.Serve(lis)
	defer srv.Stop()
	st, err := otlp.Send(context.Background(), requests(t), fast(otlp.SendOptions{
		Endpoint: lis.Addr().String(), Protocol: "grpc", Insecure: true, Headers: map[string]string{"x-api-key": "k"}}))
	if err != nil || st.Retries != 2 || g.spans.Load() != 97 || g.key.Load() != "k" {
		t.Fatalf("%+v, %v, spans %d, key %v", st, err, g.spans.Load(), g.key.Load())
	}
}

// sentIDs lists the spans of requests as "traceID/spanID" (hex).
func sentIDs(t *testing.T, reqs []otlp.Request) []string {
	t.Helper()
	var ids []string
	for _, r := range reqs {
		var req collectorpb.ExportTraceServiceRequest
		if err := proto.Unmarshal(r.Body, &req); err != nil {
			t.Fatal(err)
		}
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					ids = append(ids, hex.EncodeToString(s.TraceId)+"/"+hex.EncodeToString(s.SpanId))
				}
			}
		}
	}
	return ids
}

// start serves rc over protocol and returns options that send to it.
func start(t *testing.T, rc *otlptest.Receiver, protocol string, o otlp.SendOptions) otlp.SendOptions {
	t.Helper()
	o = fast(o)
	if protocol == "grpc" {
		o.Endpoint, o.Protocol, o.Insecure = rc.StartGRPC(t), "grpc", true
	} else {
		o.Endpoint = rc.StartHTTP(t)
	}
	return o
}

// A partial success (HTTP 200 or gRPC OK with partial_success) is not a
// delivery: the rejected spans are counted with the receiver's message,
// the request is not retried (the OTLP spec forbids it) nor checkpointed,
// Send fails, and a rerun sends the request again.
func TestSendPartialSuccess(t *testing.T) {
	for _, protocol := range []string{"http", "grpc"} {
		t.Run(protocol, func(t *testing.T) {
			reqs := requests(t)
			sent := sentIDs(t, reqs)
			rc := &otlptest.Receiver{Mode: otlptest.Partial, N: 1}
			o := start(t, rc, protocol, otlp.SendOptions{Checkpoint: filepath.Join(t.TempDir(), "ckpt"), Concurrency: 1})
			st, err := otlp.Send(context.Background(), reqs, o)
			if err == nil || !strings.Contains(err.Error(), otlptest.PartialMessage) || !strings.Contains(err.Error(), "rejected") {
				t.Fatalf("partial success: error %v", err)
			}
			first := len(sentIDs(t, reqs[:1]))
			if st.Rejected != int64(rc.Rejected()) || st.Rejected == 0 || st.Partial != 1 || st.Requests != len(reqs)-1 ||
				st.Retries != 0 || st.Spans != len(sent)-int(st.Rejected) || len(st.Messages) != 1 || st.Messages[0] != otlptest.PartialMessage {
				t.Fatalf("stats %+v, receiver rejected %d", st, rc.Rejected())
			}
			if lost, _ := rc.Tally(sent); len(lost) != int(st.Rejected) {
				t.Fatalf("%d spans lost, %d rejected", len(lost), st.Rejected)
			}
			st, err = otlp.Send(context.Background(), reqs, o)
			if err != nil || st.Requests != 1 || st.Rejected != 0 {
				t.Fatalf("rerun: %+v, %v", st, err)
			}
			lost, dup := rc.Tally(sent)
			if len(lost) != 0 || len(dup) != first-int(rc.Rejected()) {
				t.Errorf("after the rerun: %d lost, %d duplicated (want the %d accepted spans of the partial request)", len(lost), len(dup), first-rc.Rejected())
			}
		})
	}
}

// The checkpoint records trace parts, not requests: a rerun cut into
// other requests (another --max-spans) sends only the traces missing.
func TestSendCheckpointRecut(t *testing.T) {
	a, err := archive.Load(context.Background(), lab("events-list.json", "audit.log.gz"), archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	rollouts := correlate.Correlate(a.Events(), a.Changes).Rollouts
	small := otlp.Requests(rollouts, a.Events(), otlp.FileOptions{MaxSpans: 30, Checkpoint: true})
	one := otlp.Requests(rollouts, a.Events(), otlp.FileOptions{Checkpoint: true})
	if _, err := otlp.Send(context.Background(), otlp.Requests(rollouts, a.Events(), otlp.FileOptions{}), otlp.SendOptions{Endpoint: "http://127.0.0.1:1", Checkpoint: "x"}); err == nil {
		t.Error("requests without digests checkpointed")
	}
	if len(small) < 3 || len(one) != 1 {
		t.Fatalf("%d and %d requests", len(small), len(one))
	}
	rc := &otlptest.Receiver{}
	o := start(t, rc, "http", otlp.SendOptions{Checkpoint: filepath.Join(t.TempDir(), "ckpt"), Concurrency: 1})
	// The first run stops after the first request.
	if st, err := otlp.Send(context.Background(), small[:1], o); err != nil || st.Requests != 1 {
		t.Fatalf("%+v, %v", st, err)
	}
	st, err := otlp.Send(context.Background(), one, o)
	if err != nil || st.Requests != 1 || st.SkippedSpans != small[0].Spans || st.Spans != 97-small[0].Spans {
		t.Fatalf("rerun in one request: %+v, %v", st, err)
	}
	lost, dup := rc.Tally(sentIDs(t, one))
	if len(lost) != 0 || len(dup) != 0 {
		t.Errorf("%d spans lost, %d duplicated", len(lost), len(dup))
	}
}

// Every fault of the test receiver, over both protocols: what was sent
// is received, once, except that a request accepted in part is sent
// again whole by the rerun the checkpoint allows (its accepted spans
// twice); Send fails (exit 1) only for the partial success. The log (-v)
// is the table of docs/traces.md, "Faults".
func TestSendFaults(t *testing.T) {
	for _, protocol := range []string{"http", "grpc"} {
		for _, tc := range []struct {
			mode otlptest.Mode
			n    int
		}{{otlptest.Accept, 0}, {otlptest.Fail, 3}, {otlptest.Close, 2}, {otlptest.Hang, 2}, {otlptest.Partial, 2}} {
			t.Run(protocol+"/"+tc.mode.String(), func(t *testing.T) {
				reqs := requests(t)
				sent := sentIDs(t, reqs)
				rc := &otlptest.Receiver{Mode: tc.mode, N: tc.n}
				o := start(t, rc, protocol, otlp.SendOptions{Checkpoint: filepath.Join(t.TempDir(), "ckpt"), Concurrency: 2})
				o.Timeout = 300 * time.Millisecond // a hung request is given up after this
				st, err := otlp.Send(context.Background(), reqs, o)
				code := exitCode(err)
				reruns, wantDup := 0, 0
				if tc.mode == otlptest.Partial {
					if code != 1 || st.Partial != tc.n || st.Retries != 0 {
						t.Fatalf("partial success: exit %d, %+v", code, st)
					}
					st2, err := otlp.Send(context.Background(), reqs, o)
					if err != nil || st2.Requests != tc.n {
						t.Fatalf("rerun: %+v, %v", st2, err)
					}
					reruns++
					// The rerun sends the requests accepted in part whole:
					// their accepted spans are received twice.
					wantDup = st2.Spans - int(st.Rejected)
				} else if err != nil {
					t.Fatalf("%+v, %v", st, err)
				}
				if tc.mode != otlptest.Accept && tc.mode != otlptest.Partial && st.Retries < 1 {
					t.Errorf("no retry: the fault did not happen (%+v)", st)
				}
				lost, dup := rc.Tally(sent)
				if len(lost) != 0 || len(dup) != wantDup {
					t.Errorf("%d lost, %d duplicated (want %d)", len(lost), len(dup), wantDup)
				}
				t.Logf("| %s | %s ×%d | %d | %d | %d | %d | %d | %d | %d |", protocol, tc.mode, tc.n, len(sent), len(rc.Spans()), len(lost), len(dup), st.Retries, code, reruns)
			})
		}
	}
}

func exitCode(err error) int {
	if err != nil {
		return 1
	}
	return 0
}

// An OTLP/HTTP receiver may answer in JSON; a partial_success that
// rejects nothing is a warning: delivered, its message kept.
func TestSendPartialSuccessJSON(t *testing.T) {
	for _, tc := range []struct {
		body     string
		rejected int64
	}{
		{`{"partialSuccess":{"rejectedSpans":"3","errorMessage":"too old"}}`, 3},
		{`{"partialSuccess":{"errorMessage":"too old"}}`, 0},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, tc.body)
		}))
		reqs := requests(t)
		st, err := otlp.Send(context.Background(), reqs, fast(otlp.SendOptions{Endpoint: srv.URL}))
		srv.Close()
		want := int64(0) // a request cannot reject more spans than it has
		for _, r := range reqs {
			want += min(tc.rejected, int64(r.Spans))
		}
		if (err != nil) != (tc.rejected > 0) || st.Rejected != want || len(st.Messages) != 1 || st.Messages[0] != "too old" {
			t.Errorf("%s: %+v, %v", tc.body, st, err)
		}
	}
}
