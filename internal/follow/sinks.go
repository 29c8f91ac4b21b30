package follow

import (
	"bytes"
	"context"
	"io"
	"sync"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/report/otlp"
	"github.com/evanalyze/evanalyze/internal/report/rollouts"
)

// RolloutSink writes each rollout handed on as one line of JSON, as
// rollouts -o jsonl writes it.
type RolloutSink struct {
	W   io.Writer
	enc rollouts.Encoder
	buf []byte
}

func (s *RolloutSink) Encode(buf []byte, r *correlate.Rollout, _ arrow.Record) ([]byte, error) {
	return s.enc.AppendRollout(buf, r)
}

func (s *RolloutSink) Write(rs []correlate.Rollout, _ arrow.Record) error {
	s.buf = s.buf[:0]
	for i := range rs {
		var err error
		if s.buf, err = s.enc.AppendRollout(s.buf, &rs[i]); err != nil {
			return err
		}
		s.buf = append(s.buf, '\n')
	}
	_, err := s.W.Write(s.buf)
	return err
}

// TraceSink writes each rollout handed on as its trace: OTLP/JSON lines
// (or length-prefixed protobuf with Proto), as export --otlp-file writes
// them, a trace handed on again (decided after it was sent in progress,
// or changed by a late record) in full again with the same IDs.
type TraceSink struct {
	W       io.Writer
	Proto   bool
	Options otlp.FileOptions
	Stats   otlp.FileStats
}

// encodeTrace appends the OTLP/JSON of r's trace to buf.
func encodeTrace(buf []byte, r *correlate.Rollout, events arrow.Record, o otlp.FileOptions) ([]byte, error) {
	w := bytes.NewBuffer(buf)
	_, err := otlp.WriteJSONLines(w, []correlate.Rollout{*r}, events, o)
	return w.Bytes(), err
}

func (s *TraceSink) Encode(buf []byte, r *correlate.Rollout, events arrow.Record) ([]byte, error) {
	return encodeTrace(buf, r, events, s.Options)
}

func (s *TraceSink) Write(rs []correlate.Rollout, events arrow.Record) error {
	write := otlp.WriteJSONLines
	if s.Proto {
		write = otlp.WriteProto
	}
	st, err := write(s.W, rs, events, s.Options)
	s.Stats.Add(st)
	return err
}

// SendSink sends each rollout handed on as its trace to an OTLP receiver,
// with the backfill's retries (otlp.Send), from a queue of at most Queue
// requests: reading never waits for the receiver; when the queue is full
// the oldest request is dropped and counted (Lost), never silently.
type SendSink struct {
	Options otlp.FileOptions
	Send    otlp.SendOptions

	mu        sync.Mutex
	queue     []otlp.Request
	max       int
	wake      chan struct{}
	closed    bool
	done      chan struct{}
	Stats     otlp.SendStats
	Traces    int // traces queued
	Lost      int // requests dropped from a full queue
	LostSpans int
	Err       error // the last delivery error
}

// NewSendSink starts the sender; Close stops it once the queue is empty
// (or ctx ends: what is left is counted as lost).
func NewSendSink(ctx context.Context, fo otlp.FileOptions, so otlp.SendOptions, queue int) *SendSink {
	if queue <= 0 {
		queue = 256
	}
	s := &SendSink{Options: fo, Send: so, max: queue, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go s.run(ctx)
	return s
}

func (s *SendSink) Encode(buf []byte, r *correlate.Rollout, events arrow.Record) ([]byte, error) {
	return encodeTrace(buf, r, events, s.Options)
}

func (s *SendSink) Write(rs []correlate.Rollout, events arrow.Record) error {
	reqs := otlp.Requests(rs, events, s.Options)
	s.mu.Lock()
	for _, r := range reqs {
		s.Traces += r.Traces
		if len(s.queue) == s.max {
			s.Lost++
			s.LostSpans += s.queue[0].Spans
			s.queue = s.queue[1:]
		}
		s.queue = append(s.queue, r)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

func (s *SendSink) run(ctx context.Context) {
	defer close(s.done)
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return
			}
			select {
			case <-s.wake:
			case <-ctx.Done():
				return
			}
			continue
		}
		req := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		st, err := otlp.Send(ctx, []otlp.Request{req}, s.Send)
		s.mu.Lock()
		s.Stats.Add(st)
		if err != nil {
			s.Err = err
		}
		s.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
	}
}

// Close waits until the queue is sent (or the sender's context ends) and
// counts what was left as lost.
func (s *SendSink) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.queue {
		s.Lost++
		s.LostSpans += r.Spans
	}
	s.queue = nil
	return s.Err
}
