package otlp

import (
	"bufio"
	"encoding/binary"
	"io"
	"slices"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
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
// and maxBytes of protobuf, keeping each rollout's trace whole when it
// fits in a request: a trace with more spans or bytes is split into parts
// of whole spans, each with the trace's resource and scope (receivers
// join a trace's spans by trace ID), and a part holds one span at least.
// Requests and WriteProto cut where Batches cuts; WriteJSONLines too,
// except that it also cuts where a line would pass MaxLineBytes. It is
// for callers that want messages (the tests compare the encoders with
// proto.Marshal on them).
func Batches(rs []*tracepb.ResourceSpans, maxSpans, maxBytes int) []*collectorpb.ExportTraceServiceRequest {
	var out []*collectorpb.ExportTraceServiceRequest
	cur := &collectorpb.ExportTraceServiceRequest{}
	var b batcher
	c := cutter{maxSpans: maxSpans, maxBytes: maxBytes}
	for _, r := range rs {
		var spans []*tracepb.Span
		for _, s := range r.ScopeSpans {
			spans = append(spans, s.Spans...)
		}
		var scope *commonpb.InstrumentationScope
		if len(r.ScopeSpans) > 0 {
			scope = r.ScopeSpans[0].Scope
		}
		c.rsHead, c.ssHead = sizeField(proto.Size(r.Resource)), sizeField(proto.Size(scope))
		pb := func(i int) int { return sizeField(proto.Size(spans[i])) }
		for lo := 0; lo < len(spans); {
			hi, size, _ := c.next(lo, len(spans), pb, nil)
			if b.add(hi-lo, size, 0, maxSpans, maxBytes, 0) && len(cur.ResourceSpans) > 0 {
				out = append(out, cur)
				cur = &collectorpb.ExportTraceServiceRequest{}
			}
			part := r
			if lo > 0 || hi < len(spans) {
				part = &tracepb.ResourceSpans{Resource: r.Resource, SchemaUrl: r.SchemaUrl,
					ScopeSpans: []*tracepb.ScopeSpans{{Scope: scope, Spans: spans[lo:hi]}}}
			}
			cur.ResourceSpans = append(cur.ResourceSpans, part)
			lo = hi
		}
	}
	if len(cur.ResourceSpans) > 0 {
		out = append(out, cur)
	}
	return out
}

// cutter cuts a trace into parts that fit a request each: at most
// maxSpans spans, maxBytes of protobuf and, when maxJSON is set, a JSON
// line of at most maxJSON bytes.
type cutter struct {
	maxSpans, maxBytes, maxJSON int
	rsHead, ssHead              int // protobuf: the Resource and the InstrumentationScope fields
	jsHead                      int // JSON: the ResourceSpans object but its spans
}

// next returns where the part that starts at span lo of n ends, and its
// sizes: of the resource_spans field in protobuf, and in JSON. pb(i) is
// the size of span i's field in protobuf, js(i) the length of its JSON (js
// is nil when maxJSON is not set).
func (c *cutter) next(lo, n int, pb, js func(int) int) (hi, pbSize, jsSize int) {
	ss, j := c.ssHead, c.jsHead
	for hi = lo; hi < n; hi++ {
		ss2 := ss + pb(hi)
		j2 := j
		if js != nil {
			j2 += js(hi)
			if hi > lo {
				j2++ // comma
			}
		}
		if hi > lo && (hi-lo+1 > c.maxSpans || sizeField(c.rsHead+sizeField(ss2)) > c.maxBytes ||
			js != nil && len(jsonRequestStart)+j2+len(jsonRequestEnd) > c.maxJSON) {
			break
		}
		ss, j = ss2, j2
	}
	return hi, sizeField(c.rsHead + sizeField(ss)), j
}

// batcher decides where requests end; Batches and the file writers share
// it so that they cut at the same parts.
type batcher struct{ parts, spans, size, json int }

// add counts a part of n spans, sz bytes of protobuf (its resource_spans
// field) and js bytes of JSON (0: not measured), and reports whether it
// starts a new request.
func (b *batcher) add(n, sz, js, maxSpans, maxBytes, maxJSON int) (flush bool) {
	if b.parts > 0 && (b.spans+n > maxSpans || b.size+sz > maxBytes ||
		maxJSON > 0 && len(jsonRequestStart)+b.json+js+len(jsonRequestEnd) > maxJSON) {
		*b = batcher{}
		flush = true
	}
	if b.parts > 0 {
		b.json++ // comma
	}
	b.parts++
	b.spans += n
	b.size += sz
	b.json += js
	return flush
}

// FileOptions shape a trace file.
type FileOptions struct {
	Options
	// MaxSpans caps the spans of one request (one line of JSON); default
	// 2000.
	MaxSpans int
	// MaxBytes caps the protobuf size of one request; default
	// MaxLineBytes/2. A span alone can be larger (up to maxSpanJSON).
	// JSON lines are also cut at MaxLineBytes.
	MaxBytes int
	// Checkpoint makes Requests give each trace part its Digest, which a
	// backfill with SendOptions.Checkpoint records (a cost per span: the
	// digest hashes what the part holds).
	Checkpoint bool
}

// FileStats count what a file holds.
type FileStats struct {
	Traces, Spans, Requests int
	Bytes                   int64
	Truncated               int // values cut at MaxValueBytes
	DroppedEvents           int // span events left out of spans too large for a line
}

// Add adds the figures of another write (of another cluster's traces) to s.
func (s *FileStats) Add(o FileStats) {
	s.Traces += o.Traces
	s.Spans += o.Spans
	s.Requests += o.Requests
	s.Bytes += o.Bytes
	s.Truncated += o.Truncated
	s.DroppedEvents += o.DroppedEvents
}

// WriteJSONLines writes the rollouts' traces as OTLP/JSON lines: one
// ExportTraceServiceRequest per line in the OTLP JSON encoding
// (opentelemetry-proto docs/specification.md): hex trace and span IDs,
// lowerCamelCase keys, enums as integers, 64-bit integers as strings. This
// is what the Collector's file exporter writes and its otlpjsonfile
// receiver reads. protojson is not used: it writes IDs in base64. Requests
// are cut as Batches cuts them, and also where a line would pass
// MaxLineBytes (a trace is split only when it does not fit in one line).
// events may be nil (no span events). Returns the first error of w.
func WriteJSONLines(w io.Writer, rollouts []correlate.Rollout, events arrow.Record, o FileOptions) (FileStats, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	var n int64
	st, err := encodeRequests(rollouts, events, o, false, false, func(line []byte, _ *Request) error {
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
	st, err := encodeRequests(rollouts, events, o, true, false, func(req []byte, _ *Request) error {
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
	Traces, Spans int // Traces counts the traces that start in it
	// Truncated and DroppedEvents count the values cut and the span
	// events left out in the traces that start in it.
	Truncated, DroppedEvents int
	parts                    []part // the traces (or parts of traces) in Body, in order
}

// part is a trace, or a part of one, in a Request: a resource_spans field
// of Body.
type part struct {
	end    int // where it ends in Body
	spans  int
	digest Digest
}

// Requests encodes the rollouts' traces as protobuf requests for Send, cut
// as the files are (Batches): at most o.MaxSpans spans and o.MaxBytes
// bytes each unless a span alone is larger, a trace split only when it
// does not fit in one. events may be nil.
func Requests(rollouts []correlate.Rollout, events arrow.Record, o FileOptions) []Request {
	var out []Request
	encodeRequests(rollouts, events, o, true, o.Checkpoint, func(req []byte, r *Request) error {
		r.Body = slices.Clone(req)
		out = append(out, *r)
		return nil
	})
	return out
}

const (
	jsonRequestStart = `{"resourceSpans":[`
	jsonRequestEnd   = "]}\n"
)

// encodeRequests encodes the rollouts' traces into requests cut as
// Batches cuts them (JSON lines also where they would pass MaxLineBytes)
// and hands each to emit: protobuf, or a JSON line with its newline, with
// what it holds (Body unset; the parts' digests when digests is set). The
// slice is reused after emit returns. It stops at emit's first error and
// returns it.
func encodeRequests(rollouts []correlate.Rollout, events arrow.Record, o FileOptions, pb, digests bool, emit func(req []byte, r *Request) error) (FileStats, error) {
	if o.MaxSpans <= 0 {
		o.MaxSpans = 2000
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = MaxLineBytes / 2
	}
	var (
		st   FileStats
		bat  batcher
		bld  = newBuilder(rollouts, events, o.Options)
		req  []byte  // the request being filled
		info Request // what is in req
		js   []byte  // JSON of the trace: the head, then each span; scratch for digests
		offs []int   // where each span's JSON starts in js, and where the last ends
		c    = cutter{maxSpans: o.MaxSpans, maxBytes: o.MaxBytes}
	)
	if !pb {
		c.maxJSON = MaxLineBytes
	}
	flush := func() error {
		if !pb {
			req = append(req, jsonRequestEnd...)
		}
		st.Requests++
		err := emit(req, &info)
		req, info = req[:0], Request{}
		return err
	}
	for i := range rollouts {
		t := bld.build(i)
		pbSize := func(i int) int { return sizeField(t.spans[i].size) }
		var jsSize func(int) int
		if pb {
			if t.fixUTF8() {
				t.sizes()
			}
		} else {
			js = t.appendJSONHead(js[:0])
			offs = append(offs[:0], len(js))
			for k := range t.spans {
				js = t.appendJSONSpan(js, k)
				offs = append(offs, len(js))
			}
			c.jsHead = offs[0] + len(jsonTraceEnd)
			jsSize = func(i int) int { return offs[i+1] - offs[i] }
		}
		c.rsHead, c.ssHead = sizeField(t.nSize), sizeField(t.scSize)
		st.Traces++
		st.Spans += len(t.spans)
		st.Truncated += t.truncated
		st.DroppedEvents += t.dropped
		for lo := 0; lo < len(t.spans); {
			hi, size, jsz := c.next(lo, len(t.spans), pbSize, jsSize)
			if bat.add(hi-lo, size, jsz, o.MaxSpans, o.MaxBytes, c.maxJSON) {
				if err := flush(); err != nil {
					return st, err
				}
			}
			if lo == 0 {
				info.Traces++
				info.Truncated += t.truncated
				info.DroppedEvents += t.dropped
			}
			info.Spans += hi - lo
			if pb {
				rs, ss := t.partSize(lo, hi)
				req = append(req, 0x0a) // resource_spans
				req = protowire.AppendVarint(req, uint64(rs))
				req = t.appendProto(req, lo, hi, ss)
				if digests {
					var d Digest
					d, js = t.digest(js, lo, hi)
					info.parts = append(info.parts, part{end: len(req), spans: hi - lo, digest: d})
				}
			} else {
				if len(req) == 0 {
					req = append(req, jsonRequestStart...)
				} else {
					req = append(req, ',')
				}
				req = append(req, js[:offs[0]]...)
				for k := lo; k < hi; k++ {
					if k > lo {
						req = append(req, ',')
					}
					req = append(req, js[offs[k]:offs[k+1]]...)
				}
				req = append(req, jsonTraceEnd...)
			}
			lo = hi
		}
	}
	if len(req) > 0 {
		return st, flush()
	}
	return st, nil
}
