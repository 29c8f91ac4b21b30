package otlp

import (
	"bufio"
	"encoding/binary"
	"io"
	"slices"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/evanalyze/evanalyze/internal/correlate"
)

// MaxLineBytes keeps each JSON line under the 1 MiB the Collector's
// otlpjsonfile receiver reads by default (FORMATS.md).
const MaxLineBytes = 1 << 20

// Batches groups resource spans into requests of at most maxSpans spans
// and about maxBytes of protobuf, keeping each rollout's trace whole. A
// trace larger than the limits gets a request of its own. The writers and
// Requests cut where Batches cuts; it is for callers that want messages
// (the tests compare the encoders with proto.Marshal on them).
func Batches(rs []*tracepb.ResourceSpans, maxSpans, maxBytes int) []*collectorpb.ExportTraceServiceRequest {
	var out []*collectorpb.ExportTraceServiceRequest
	cur := &collectorpb.ExportTraceServiceRequest{}
	var b batcher
	for _, r := range rs {
		n := 0
		for _, s := range r.ScopeSpans {
			n += len(s.Spans)
		}
		if b.add(n, proto.Size(r), maxSpans, maxBytes) && len(cur.ResourceSpans) > 0 {
			out = append(out, cur)
			cur = &collectorpb.ExportTraceServiceRequest{}
		}
		cur.ResourceSpans = append(cur.ResourceSpans, r)
	}
	if len(cur.ResourceSpans) > 0 {
		out = append(out, cur)
	}
	return out
}

// batcher decides where requests end; Batches and the file writers share
// it so that they cut at the same traces.
type batcher struct{ traces, spans, size int }

// add counts a trace of n spans and sz bytes of protobuf and reports
// whether it starts a new request.
func (b *batcher) add(n, sz, maxSpans, maxBytes int) (flush bool) {
	if b.traces > 0 && (b.spans+n > maxSpans || b.size+sz > maxBytes) {
		*b = batcher{}
		flush = true
	}
	b.traces++
	b.spans += n
	b.size += sz
	return flush
}

// FileOptions shape a trace file.
type FileOptions struct {
	Options
	// MaxSpans caps the spans of one request (one line of JSON); default
	// 2000.
	MaxSpans int
	// MaxBytes caps the protobuf size of one request; default
	// MaxLineBytes/2, which keeps JSON lines under MaxLineBytes.
	MaxBytes int
}

// FileStats count what a file holds.
type FileStats struct {
	Traces, Spans, Requests int
	Bytes                   int64
}

// WriteJSONLines writes the rollouts' traces as OTLP/JSON lines: one
// ExportTraceServiceRequest per line in the OTLP JSON encoding
// (opentelemetry-proto docs/specification.md): hex trace and span IDs,
// lowerCamelCase keys, enums as integers, 64-bit integers as strings. This
// is what the Collector's file exporter writes and its otlpjsonfile
// receiver reads. protojson is not used: it writes IDs in base64. Requests
// are cut as Batches cuts them; a trace is never split. events may be nil
// (no span events). Returns the first error of w.
func WriteJSONLines(w io.Writer, rollouts []correlate.Rollout, events arrow.Record, o FileOptions) (FileStats, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	var n int64
	st, err := encodeRequests(rollouts, events, o, false, func(line []byte, _, _ int) error {
		n += int64(len(line))
		_, err := bw.Write(line)
		return err
	})
	st.Bytes = n
	if err == nil {
		err = bw.Flush()
	}
	return st, err
}

// WriteProto writes the rollouts' traces as protobuf
// ExportTraceServiceRequests, each preceded by its length as a 4-byte
// big-endian number, as the Collector's file exporter does with format:
// proto. The bytes are those of proto.Marshal with Deterministic on the
// requests of Batches(Build(...)). Returns the first error of w.
func WriteProto(w io.Writer, rollouts []correlate.Rollout, events arrow.Record, o FileOptions) (FileStats, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	var n int64
	st, err := encodeRequests(rollouts, events, o, true, func(req []byte, _, _ int) error {
		var size [4]byte
		binary.BigEndian.PutUint32(size[:], uint32(len(req)))
		n += 4 + int64(len(req))
		bw.Write(size[:])
		_, err := bw.Write(req)
		return err
	})
	st.Bytes = n
	if err == nil {
		err = bw.Flush()
	}
	return st, err
}

// Request is one ExportTraceServiceRequest in protobuf, the bytes
// proto.Marshal with Deterministic writes for it.
type Request struct {
	Body          []byte
	Traces, Spans int
}

// Requests encodes the rollouts' traces as protobuf requests for Send, cut
// as the files are (Batches): at most o.MaxSpans spans and about
// o.MaxBytes bytes each, a trace never split. events may be nil.
func Requests(rollouts []correlate.Rollout, events arrow.Record, o FileOptions) []Request {
	var out []Request
	encodeRequests(rollouts, events, o, true, func(req []byte, traces, spans int) error {
		out = append(out, Request{Body: slices.Clone(req), Traces: traces, Spans: spans})
		return nil
	})
	return out
}

const jsonRequestStart = `{"resourceSpans":[`

// encodeRequests encodes the rollouts' traces into requests cut as
// Batches cuts them and hands each to emit: protobuf, or a JSON line with
// its newline, with the number of traces and spans in it. The slice is
// reused after emit returns. It stops at emit's first error and returns it.
func encodeRequests(rollouts []correlate.Rollout, events arrow.Record, o FileOptions, pb bool, emit func(req []byte, traces, spans int) error) (FileStats, error) {
	if o.MaxSpans <= 0 {
		o.MaxSpans = 2000
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = MaxLineBytes / 2
	}
	var (
		st            FileStats
		bat           batcher
		bld           = newBuilder(rollouts, events, o.Options)
		req           []byte // the request being filled
		traces, spans int    // in req
	)
	flush := func() error {
		if !pb {
			req = append(req, "]}\n"...)
		}
		st.Requests++
		err := emit(req, traces, spans)
		req, traces, spans = req[:0], 0, 0
		return err
	}
	for i := range rollouts {
		t := bld.build(i)
		if pb {
			t.fixUTF8()
		}
		sz := t.sizes()
		if bat.add(len(t.spans), sz, o.MaxSpans, o.MaxBytes) {
			if err := flush(); err != nil {
				return st, err
			}
		}
		st.Traces++
		st.Spans += len(t.spans)
		traces++
		spans += len(t.spans)
		switch {
		case pb:
			req = append(req, 0x0a) // resource_spans
			req = protowire.AppendVarint(req, uint64(sz))
			req = t.appendProto(req)
		case len(req) == 0:
			req = t.appendJSON(append(req, jsonRequestStart...))
		default:
			req = t.appendJSON(append(req, ','))
		}
	}
	if len(req) > 0 {
		return st, flush()
	}
	return st, nil
}
