// Package otlptest is an OTLP trace receiver on loopback for tests, over
// OTLP/HTTP and OTLP/gRPC, that misbehaves on purpose: it fails, closes
// connections in the middle of a request, hangs or accepts requests in
// part, and records every span it accepted by ID so that a test can check
// that nothing was lost and what was duplicated.
package otlptest

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Mode is how the receiver treats the first Receiver.N requests; it
// accepts every request after them.
type Mode int

const (
	// Accept accepts every request.
	Accept Mode = iota
	// Fail answers HTTP 503 or gRPC UNAVAILABLE (retryable).
	Fail
	// Close reads part of the request and closes the connection.
	Close
	// Hang reads the request and never answers (until the client gives
	// up or the receiver closes); the spans are not stored.
	Hang
	// Partial accepts the request but the first span of each trace in it:
	// a partial success with rejected_spans and an error_message.
	Partial
)

func (m Mode) String() string {
	return [...]string{"accept", "fail", "close", "hang", "partial"}[m]
}

// PartialMessage is the error_message of a partial success.
const PartialMessage = "otlptest: first span of each trace rejected"

// Receiver is a misbehaving OTLP trace receiver. Set the fields before
// starting it.
type Receiver struct {
	Mode Mode
	N    int // requests treated by Mode; the later ones are accepted

	// Hold, when not nil, makes the handling of each accepted request
	// after the first HoldAfter wait, after its spans were stored and
	// before it is answered, until Hold is closed: a test interrupts the
	// client while requests are in flight, and Held says which.
	Hold      chan struct{}
	HoldAfter int

	mu       sync.Mutex
	seen     int            // requests read
	spans    map[string]int // "traceID/spanID" (hex) -> times stored
	order    [][]string     // spans of each accepted request, in order
	rejected int            // spans rejected by partial successes
	held     []int          // indices in order of requests waiting for Hold
	notify   chan struct{}  // signalled at each stored request
	done     chan struct{}  // closed by stop
}

func (r *Receiver) init() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spans == nil {
		r.spans = map[string]int{}
		r.notify = make(chan struct{}, 1)
		r.done = make(chan struct{})
	}
}

// StartHTTP serves OTLP/HTTP (protobuf) on loopback until the test ends
// and returns its URL.
func (r *Receiver) StartHTTP(t testing.TB) string {
	r.init()
	srv := httptest.NewServer(http.HandlerFunc(r.serveHTTP))
	t.Cleanup(func() { r.stop(); srv.CloseClientConnections(); srv.Close() })
	return srv.URL
}

// StartGRPC serves OTLP/gRPC on loopback until the test ends and returns
// its address.
func (r *Receiver) StartGRPC(t testing.TB) string {
	r.init()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	collectorpb.RegisterTraceServiceServer(srv, grpcService{r: r})
	go srv.Serve(&closingListener{Listener: lis, r: r})
	t.Cleanup(func() { r.stop(); srv.Stop() })
	return lis.Addr().String()
}

func (r *Receiver) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.done:
	default:
		close(r.done)
	}
}

// next counts a request and says whether Mode applies to it.
func (r *Receiver) next() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen++
	return r.seen <= r.N && r.Mode != Accept
}

// store records the accepted spans of req and returns how many it
// rejected (Partial).
func (r *Receiver) store(req *collectorpb.ExportTraceServiceRequest, partial bool) (rejected int, held bool) {
	var ids []string
	for _, rs := range req.ResourceSpans {
		first := true
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				if partial && first {
					first = false
					rejected++
					continue
				}
				ids = append(ids, hex.EncodeToString(s.TraceId)+"/"+hex.EncodeToString(s.SpanId))
			}
		}
	}
	r.mu.Lock()
	for _, id := range ids {
		r.spans[id]++
	}
	r.rejected += rejected
	r.order = append(r.order, ids)
	if r.Hold != nil && len(r.order) > r.HoldAfter {
		r.held = append(r.held, len(r.order)-1)
		held = true
	}
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
	return rejected, held
}

// hold waits for Hold or the end of the test or request.
func (r *Receiver) hold(ctx context.Context) {
	select {
	case <-r.Hold:
	case <-r.done:
	case <-ctx.Done():
	}
}

// hang waits until the client gives up or the receiver stops.
func (r *Receiver) hang(ctx context.Context) {
	select {
	case <-r.done:
	case <-ctx.Done():
	}
}

func (r *Receiver) serveHTTP(w http.ResponseWriter, hr *http.Request) {
	if hr.URL.Path != "/v1/traces" || hr.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	faulty := r.next()
	if faulty && r.Mode == Close {
		io.ReadFull(hr.Body, make([]byte, 64))
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	body, err := io.ReadAll(hr.Body)
	if err != nil {
		return
	}
	switch {
	case faulty && r.Mode == Fail:
		http.Error(w, "otlptest: unavailable", http.StatusServiceUnavailable)
		return
	case faulty && r.Mode == Hang:
		r.hang(hr.Context())
		return
	}
	var req collectorpb.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, held := r.answer(&req, faulty && r.Mode == Partial)
	if held {
		r.hold(hr.Context())
	}
	out, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func (r *Receiver) answer(req *collectorpb.ExportTraceServiceRequest, partial bool) (*collectorpb.ExportTraceServiceResponse, bool) {
	resp := &collectorpb.ExportTraceServiceResponse{}
	n, held := r.store(req, partial)
	if n > 0 {
		resp.PartialSuccess = &collectorpb.ExportTracePartialSuccess{RejectedSpans: int64(n), ErrorMessage: PartialMessage}
	}
	return resp, held
}

type grpcService struct {
	collectorpb.UnimplementedTraceServiceServer
	r *Receiver
}

func (g grpcService) Export(ctx context.Context, req *collectorpb.ExportTraceServiceRequest) (*collectorpb.ExportTraceServiceResponse, error) {
	r := g.r
	// Close is done by closingListener, before a request gets here.
	faulty := r.Mode != Close && r.next()
	switch {
	case faulty && r.Mode == Fail:
		return nil, status.Error(codes.Unavailable, "otlptest: unavailable")
	case faulty && r.Mode == Hang:
		r.hang(ctx)
		return nil, status.Error(codes.Unavailable, "otlptest: hung up")
	}
	resp, held := r.answer(req, faulty && r.Mode == Partial)
	if held {
		r.hold(ctx)
	}
	return resp, nil
}

// closingListener closes each of the first N connections of a Close
// receiver once it has read a few KiB: in the middle of the first request
// sent on it (gRPC multiplexes requests on one connection, so every
// request in flight on it is cut).
type closingListener struct {
	net.Listener
	r *Receiver
}

func (l *closingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil || l.r.Mode != Close {
		return c, err
	}
	if l.r.next() {
		return &closingConn{Conn: c, left: 2048}, nil
	}
	return c, nil
}

type closingConn struct {
	net.Conn
	left int
}

func (c *closingConn) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.Conn.Close()
		return 0, io.ErrUnexpectedEOF
	}
	if len(p) > c.left {
		p = p[:c.left]
	}
	n, err := c.Conn.Read(p)
	c.left -= n
	return n, err
}

// Spans returns how many times each span ("traceID/spanID", hex) was
// stored.
func (r *Receiver) Spans() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.spans))
	for k, v := range r.spans {
		out[k] = v
	}
	return out
}

// Rejected is the number of spans rejected by partial successes.
func (r *Receiver) Rejected() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rejected
}

// Requests is the number of requests whose spans were stored.
func (r *Receiver) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.order)
}

// Held returns the spans of the requests that waited for Hold: the
// requests in flight when the test interrupted the client.
func (r *Receiver) Held() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, i := range r.held {
		out = append(out, r.order[i]...)
	}
	slices.Sort(out)
	return out
}

// HeldRequests is the number of requests that waited for Hold.
func (r *Receiver) HeldRequests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.held)
}

// WaitRequests waits until n requests were stored, or ctx ends.
func (r *Receiver) WaitRequests(ctx context.Context, n int) error {
	for {
		if r.Requests() >= n {
			return nil
		}
		select {
		case <-r.notify:
		case <-ctx.Done():
			return fmt.Errorf("otlptest: %d of %d requests stored: %w", r.Requests(), n, ctx.Err())
		}
	}
}

// Tally compares what the receiver stored with the spans sent
// ("traceID/spanID", hex): spans sent and never stored, and spans stored
// more than once (each counted once per extra copy).
func (r *Receiver) Tally(sent []string) (lost, duplicated []string) {
	got := r.Spans()
	for _, id := range sent {
		switch n := got[id]; {
		case n == 0:
			lost = append(lost, id)
		case n > 1:
			for range n - 1 {
				duplicated = append(duplicated, id)
			}
		}
	}
	slices.Sort(duplicated)
	return lost, duplicated
}
