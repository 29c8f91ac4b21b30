package otlp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

// SendOptions configure a backfill into an OTLP receiver.
type SendOptions struct {
	Endpoint    string            // http(s)://host:port[/path] for OTLP/HTTP; host:port for gRPC
	Protocol    string            // "http/protobuf" (default) or "grpc"
	Headers     map[string]string // sent with every request (API keys: take them from the environment)
	Insecure    bool              // gRPC without TLS; for https, do not verify the certificate
	Timeout     time.Duration     // per attempt; default 10s
	Concurrency int               // requests in flight; default 4
	MaxAttempts int               // per request; default 8
	Backoff     time.Duration     // first retry delay, doubled each time up to MaxBackoff; default 500ms
	MaxBackoff  time.Duration     // default 30s
	Checkpoint  string            // file of the Digests of the trace parts delivered: a rerun skips them
	Progress    func(done, total int)
}

// SendStats sum up a backfill.
type SendStats struct {
	Requests     int      // requests delivered now
	Skipped      int      // requests the checkpoint says were delivered before, whole
	SkippedSpans int      // spans the checkpoint says were delivered before (in those and in requests sent in part)
	Spans        int      // spans delivered now
	Retries      int      // attempts after a retryable failure
	Failed       int      // requests not delivered
	Throttled    int      // retries asked for by the receiver (429, RESOURCE_EXHAUSTED)
	Partial      int      // requests the receiver accepted in part (partial success)
	Rejected     int64    // spans the receiver rejected in them
	Messages     []string // the receiver's partial_success messages, distinct, at most 3
}

// Add adds the figures of another backfill (of another cluster's
// requests) to s.
func (s *SendStats) Add(o SendStats) {
	s.Requests += o.Requests
	s.Skipped += o.Skipped
	s.SkippedSpans += o.SkippedSpans
	s.Spans += o.Spans
	s.Retries += o.Retries
	s.Failed += o.Failed
	s.Throttled += o.Throttled
	s.Partial += o.Partial
	s.Rejected += o.Rejected
	for _, m := range o.Messages {
		s.addMessage(m)
	}
}

// addMessage keeps a receiver's message: distinct, at most 3.
func (s *SendStats) addMessage(m string) {
	if m != "" && len(s.Messages) < 3 && !slices.Contains(s.Messages, m) {
		s.Messages = append(s.Messages, m)
	}
}

// errPermanent marks an answer that retrying will not change.
type errPermanent struct{ error }

// Send delivers the requests, with bounded concurrency and retries with
// exponential backoff on retryable answers (HTTP 429, 502, 503, 504,
// honouring Retry-After; gRPC UNAVAILABLE, RESOURCE_EXHAUSTED,
// DEADLINE_EXCEEDED; network errors). It returns an error when any request
// was not delivered; the checkpoint then lets a rerun resume.
func Send(ctx context.Context, reqs []Request, o SendOptions) (SendStats, error) {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	send, closeFn, err := newSender(o)
	if err != nil {
		return SendStats{}, err
	}
	defer closeFn()
	if o.Checkpoint != "" {
		for _, req := range reqs {
			if len(req.parts) == 0 {
				return SendStats{}, errors.New("checkpoint: the requests have no digests (make them with FileOptions.Checkpoint)")
			}
		}
	}
	done, ckpt, err := openCheckpoint(o.Checkpoint)
	if err != nil {
		return SendStats{}, err
	}

	var (
		mu    sync.Mutex
		st    SendStats
		errs  []error
		ckErr error // the first checkpoint write that failed
		wg    sync.WaitGroup
		sem   = make(chan struct{}, o.Concurrency)
		count int
	)
	for _, req := range reqs {
		var todo []part // the parts to record once delivered
		if ckpt != nil {
			var spans int
			req.Body, spans, todo = pending(req, done)
			st.SkippedSpans += req.Spans - spans
			if len(todo) == 0 && len(req.parts) > 0 {
				st.Skipped++
				continue
			}
			req.Spans = spans
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			retries, throttled, ans, err := deliver(ctx, send, req.Body, o)
			mu.Lock()
			defer mu.Unlock()
			st.Retries += retries
			st.Throttled += throttled
			st.addMessage(ans.message)
			switch {
			case err != nil:
				st.Failed++
				errs = append(errs, err)
			case ans.rejected > 0:
				// Not retried (the OTLP spec: the client MUST NOT retry a
				// partial success) and not checkpointed: a rerun sends
				// the request again.
				st.Partial++
				rejected := min(ans.rejected, int64(req.Spans))
				st.Rejected += rejected
				st.Spans += req.Spans - int(rejected)
			default:
				st.Requests++
				st.Spans += req.Spans
				if ckpt != nil {
					var lines []byte
					for _, p := range todo {
						lines = append(hex.AppendEncode(lines, p.digest[:]), '\n')
					}
					// One write: a process killed now leaves whole lines.
					if _, err := ckpt.Write(lines); err != nil && ckErr == nil {
						ckErr = err
					}
				}
			}
			count++
			if o.Progress != nil {
				o.Progress(count, len(reqs)-st.Skipped)
			}
		}()
	}
	wg.Wait()
	// A checkpoint that lost records would make a rerun send them again:
	// its write, sync and close errors are errors of the backfill.
	if ckpt != nil {
		if err := errors.Join(ckErr, ckpt.Sync(), ckpt.Close()); err != nil {
			ckErr = fmt.Errorf("write checkpoint: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	err = nil
	if len(errs) > 0 {
		todo := len(reqs) - st.Skipped
		err = fmt.Errorf("%d of %d requests not delivered: %w", todo-st.Requests-st.Partial, todo, errors.Join(first(errs, 3)...))
	}
	if st.Rejected > 0 {
		err = errors.Join(err, fmt.Errorf("the receiver rejected %d spans in %d requests (partial success, not retried): %s",
			st.Rejected, st.Partial, strings.Join(st.Messages, "; ")))
	}
	return st, errors.Join(err, ckErr)
}

func first(errs []error, n int) []error {
	if len(errs) > n {
		return append(errs[:n:n], fmt.Errorf("and %d more", len(errs)-n))
	}
	return errs
}

// deliver sends one request with retries. ans is the receiver's answer
// to the attempt that succeeded.
func deliver(ctx context.Context, send sendFunc, body []byte, o SendOptions) (retries, throttled int, ans answer, err error) {
	delay := o.Backoff
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, o.Timeout)
		ans, err := send(actx, body)
		cancel()
		if err == nil {
			return retries, throttled, ans, nil
		}
		var perm errPermanent
		if errors.As(err, &perm) || attempt >= o.MaxAttempts || ctx.Err() != nil {
			return retries, throttled, answer{}, err
		}
		if ans.throttle {
			throttled++
		}
		wait := ans.wait
		if wait <= 0 {
			wait = delay
			delay = min(2*delay, o.MaxBackoff)
		}
		retries++
		select {
		case <-time.After(min(wait, o.MaxBackoff)):
		case <-ctx.Done():
			return retries, throttled, answer{}, ctx.Err()
		}
	}
}

// answer is what one attempt learnt from the receiver.
type answer struct {
	wait     time.Duration // after a failure: how long the receiver asked to wait (0: use the backoff)
	throttle bool          // the failure was a rate limit
	rejected int64         // after a success: partial_success.rejected_spans
	message  string        // partial_success.error_message (also a warning when nothing was rejected)
}

// partial reads an ExportTraceServiceResponse's partial_success.
func partial(resp *collectorpb.ExportTraceServiceResponse) answer {
	ps := resp.GetPartialSuccess()
	msg := strings.TrimSpace(ps.GetErrorMessage())
	if len(msg) > 512 {
		msg = strings.ToValidUTF8(msg[:512], "") + "…"
	}
	// The receiver's text goes to a terminal.
	return answer{rejected: max(ps.GetRejectedSpans(), 0), message: textsafe.Sanitize(msg)}
}

// sendFunc makes one attempt.
type sendFunc func(ctx context.Context, body []byte) (answer, error)

func newSender(o SendOptions) (sendFunc, func(), error) {
	switch o.Protocol {
	case "", "http/protobuf", "http":
		return httpSender(o)
	case "grpc":
		return grpcSender(o)
	}
	return nil, nil, fmt.Errorf("unknown OTLP protocol %q (want http/protobuf or grpc)", o.Protocol)
}

func httpSender(o SendOptions) (sendFunc, func(), error) {
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, fmt.Errorf("OTLP/HTTP endpoint %q: want http(s)://host:port[/path]", o.Endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if o.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	client := &http.Client{Transport: tr}
	target := u.String()
	send := func(ctx context.Context, body []byte) (answer, error) {
		hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return answer{}, errPermanent{err}
		}
		hreq.Header.Set("Content-Type", "application/x-protobuf")
		for k, v := range o.Headers {
			hreq.Header.Set(k, v)
		}
		resp, err := client.Do(hreq)
		if err != nil {
			return answer{}, fmt.Errorf("POST %s: %w", target, err) // network errors are retried
		}
		msg, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			if err != nil {
				// The receiver may have stored the spans, or not: resend.
				return answer{}, fmt.Errorf("POST %s: read the response: %w", target, err)
			}
			return httpAnswer(resp.Header.Get("Content-Type"), msg), nil
		}
		if len(msg) > 4096 {
			msg = msg[:4096]
		}
		err = fmt.Errorf("POST %s: %s: %s", target, resp.Status, strings.TrimSpace(string(msg)))
		switch resp.StatusCode {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return answer{wait: retryAfter(resp.Header.Get("Retry-After")), throttle: resp.StatusCode == http.StatusTooManyRequests}, err
		}
		return answer{}, errPermanent{err}
	}
	return send, tr.CloseIdleConnections, nil
}

// maxResponseBytes bounds what is read of an answer.
const maxResponseBytes = 1 << 20

// httpAnswer decodes the body of a 2xx answer, an ExportTraceServiceResponse
// in protobuf or, when the receiver says so, JSON (the OTLP/HTTP spec). An
// empty body is a full success; so is one that does not decode (a proxy's
// "OK"): the status code is the answer then.
func httpAnswer(contentType string, body []byte) answer {
	var resp collectorpb.ExportTraceServiceResponse
	var err error
	if strings.HasPrefix(contentType, "application/json") {
		err = protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(body, &resp)
	} else {
		err = proto.Unmarshal(body, &resp)
	}
	if err != nil {
		return answer{}
	}
	return partial(&resp)
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

func grpcSender(o SendOptions) (sendFunc, func(), error) {
	target := strings.TrimPrefix(strings.TrimPrefix(o.Endpoint, "grpc://"), "dns:///")
	creds := credentials.NewTLS(&tls.Config{})
	if o.Insecure {
		creds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, nil, fmt.Errorf("OTLP/gRPC endpoint %q: %w", o.Endpoint, err)
	}
	md := metadata.New(o.Headers)
	send := func(ctx context.Context, body []byte) (answer, error) {
		var resp collectorpb.ExportTraceServiceResponse
		err := conn.Invoke(metadata.NewOutgoingContext(ctx, md), collectorpb.TraceService_Export_FullMethodName,
			encodedRequest(body), &resp, grpc.ForceCodec(requestCodec{}))
		if err == nil {
			return partial(&resp), nil
		}
		switch status.Code(err) {
		case codes.Unavailable, codes.DeadlineExceeded:
			return answer{}, err
		case codes.ResourceExhausted:
			return answer{throttle: true}, err
		}
		return answer{}, errPermanent{err}
	}
	return send, func() { conn.Close() }, nil
}

// encodedRequest is an ExportTraceServiceRequest already in protobuf.
type encodedRequest []byte

// requestCodec sends an encodedRequest as it is and decodes the answer
// with proto: the requests are encoded once, by Requests.
type requestCodec struct{}

var _ encoding.Codec = requestCodec{}

func (requestCodec) Name() string { return "proto" }

func (requestCodec) Marshal(v any) ([]byte, error) {
	switch m := v.(type) {
	case encodedRequest:
		return m, nil
	case proto.Message:
		return proto.Marshal(m)
	}
	return nil, fmt.Errorf("otlp: cannot encode %T", v)
}

func (requestCodec) Unmarshal(data []byte, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("otlp: cannot decode into %T", v)
	}
	return proto.Unmarshal(data, m)
}

// pending returns the body of the parts of req that done does not hold,
// their spans and the parts.
func pending(req Request, done map[Digest]bool) ([]byte, int, []part) {
	n, spans := 0, 0
	for _, p := range req.parts {
		if !done[p.digest] {
			n++
			spans += p.spans
		}
	}
	switch {
	case n == len(req.parts):
		return req.Body, req.Spans, req.parts
	case n == 0:
		return nil, 0, nil
	}
	var body []byte
	var todo []part
	start := 0
	for _, p := range req.parts {
		if !done[p.digest] {
			body = append(body, req.Body[start:p.end]...)
			todo = append(todo, part{end: len(body), spans: p.spans, digest: p.digest})
		}
		start = p.end
	}
	return body, spans, todo
}

// checkpointHeader starts a new checkpoint file.
const checkpointHeader = "# evanalyze export --checkpoint: the digests of the trace parts a receiver accepted (docs/traces.md, \"Checkpoint\")\n"

// openCheckpoint reads the digests recorded before and opens the file to
// add more. Lines that are not a digest (a comment, a line cut short by a
// crash, a checkpoint of an older version) match nothing.
func openCheckpoint(path string) (map[Digest]bool, *os.File, error) {
	done := map[Digest]bool{}
	if path == "" {
		return done, nil, nil
	}
	if f, err := os.Open(path); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var d Digest
			if line := bytes.TrimSpace(sc.Bytes()); len(line) == 2*len(d) {
				if _, err := hex.Decode(d[:], line); err == nil {
					done[d] = true
				}
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, nil, fmt.Errorf("read checkpoint: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("read checkpoint: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("open checkpoint: %w", err)
	}
	if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
		if _, err := f.WriteString(checkpointHeader); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("write checkpoint: %w", err)
		}
	}
	return done, f, nil
}
