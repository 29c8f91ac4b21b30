package otlp

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"io"
	"strconv"
	"unicode/utf8"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// MaxLineBytes keeps each JSON line under the 1 MiB the Collector's
// otlpjsonfile receiver reads by default (FORMATS.md).
const MaxLineBytes = 1 << 20

// Batches groups resource spans into requests of at most maxSpans spans
// and about maxBytes of protobuf, keeping each rollout's trace whole.
func Batches(rs []*tracepb.ResourceSpans, maxSpans, maxBytes int) []*collectorpb.ExportTraceServiceRequest {
	var out []*collectorpb.ExportTraceServiceRequest
	cur := &collectorpb.ExportTraceServiceRequest{}
	spans, size := 0, 0
	for _, r := range rs {
		n := 0
		for _, s := range r.ScopeSpans {
			n += len(s.Spans)
		}
		sz := proto.Size(r)
		if len(cur.ResourceSpans) > 0 && (spans+n > maxSpans || size+sz > maxBytes) {
			out = append(out, cur)
			cur, spans, size = &collectorpb.ExportTraceServiceRequest{}, 0, 0
		}
		cur.ResourceSpans = append(cur.ResourceSpans, r)
		spans += n
		size += sz
	}
	if len(cur.ResourceSpans) > 0 {
		out = append(out, cur)
	}
	return out
}

// WriteJSONLines writes one ExportTraceServiceRequest per line in the OTLP
// JSON encoding (opentelemetry-proto docs/specification.md): hex trace and
// span IDs, lowerCamelCase keys, enums as integers, 64-bit integers as
// strings. This is what the Collector's file exporter writes and its
// otlpjsonfile receiver reads. protojson is not used: it writes IDs in
// base64.
func WriteJSONLines(w io.Writer, reqs []*collectorpb.ExportTraceServiceRequest) error {
	bw := bufio.NewWriter(w)
	var buf []byte
	for _, req := range reqs {
		buf = appendRequest(buf[:0], req)
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteProto writes each request as protobuf preceded by its length as a
// 4-byte big-endian number, as the Collector's file exporter does with
// format: proto.
func WriteProto(w io.Writer, reqs []*collectorpb.ExportTraceServiceRequest) error {
	bw := bufio.NewWriter(w)
	opts := proto.MarshalOptions{Deterministic: true}
	var buf []byte
	for _, req := range reqs {
		var err error
		buf, err = opts.MarshalAppend(buf[:0], req)
		if err != nil {
			return err
		}
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(buf)))
		bw.Write(n[:])
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func appendRequest(b []byte, req *collectorpb.ExportTraceServiceRequest) []byte {
	b = append(b, `{"resourceSpans":[`...)
	for i, rs := range req.ResourceSpans {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"resource":{"attributes":`...)
		b = appendAttrs(b, rs.Resource.GetAttributes())
		b = append(b, `},"scopeSpans":[`...)
		for j, ss := range rs.ScopeSpans {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"scope":{"name":`...)
			b = appendString(b, ss.Scope.GetName())
			if v := ss.Scope.GetVersion(); v != "" {
				b = append(b, `,"version":`...)
				b = appendString(b, v)
			}
			b = append(b, `},"spans":[`...)
			for k, sp := range ss.Spans {
				if k > 0 {
					b = append(b, ',')
				}
				b = appendSpan(b, sp)
			}
			b = append(b, "]}"...)
		}
		b = append(b, "]}"...)
	}
	return append(b, "]}"...)
}

func appendSpan(b []byte, sp *tracepb.Span) []byte {
	b = append(b, `{"traceId":"`...)
	b = hex.AppendEncode(b, sp.TraceId)
	b = append(b, `","spanId":"`...)
	b = hex.AppendEncode(b, sp.SpanId)
	b = append(b, '"')
	if len(sp.ParentSpanId) > 0 {
		b = append(b, `,"parentSpanId":"`...)
		b = hex.AppendEncode(b, sp.ParentSpanId)
		b = append(b, '"')
	}
	b = append(b, `,"name":`...)
	b = appendString(b, sp.Name)
	b = append(b, `,"kind":`...)
	b = strconv.AppendInt(b, int64(sp.Kind), 10)
	b = append(b, `,"startTimeUnixNano":"`...)
	b = strconv.AppendUint(b, sp.StartTimeUnixNano, 10)
	b = append(b, `","endTimeUnixNano":"`...)
	b = strconv.AppendUint(b, sp.EndTimeUnixNano, 10)
	b = append(b, `","attributes":`...)
	b = appendAttrs(b, sp.Attributes)
	if len(sp.Events) > 0 {
		b = append(b, `,"events":[`...)
		for i, e := range sp.Events {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"timeUnixNano":"`...)
			b = strconv.AppendUint(b, e.TimeUnixNano, 10)
			b = append(b, `","name":`...)
			b = appendString(b, e.Name)
			b = append(b, `,"attributes":`...)
			b = appendAttrs(b, e.Attributes)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if sp.Status != nil {
		b = append(b, `,"status":{`...)
		comma := false
		if sp.Status.Message != "" {
			b = append(b, `"message":`...)
			b = appendString(b, sp.Status.Message)
			comma = true
		}
		if sp.Status.Code != 0 {
			if comma {
				b = append(b, ',')
			}
			b = append(b, `"code":`...)
			b = strconv.AppendInt(b, int64(sp.Status.Code), 10)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendAttrs(b []byte, attrs []*commonpb.KeyValue) []byte {
	b = append(b, '[')
	for i, kv := range attrs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = appendString(b, kv.Key)
		b = append(b, `,"value":`...)
		b = appendValue(b, kv.Value)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendValue(b []byte, v *commonpb.AnyValue) []byte {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		b = append(b, `{"stringValue":`...)
		b = appendString(b, x.StringValue)
	case *commonpb.AnyValue_IntValue:
		b = append(b, `{"intValue":"`...)
		b = strconv.AppendInt(b, x.IntValue, 10)
		b = append(b, '"')
	case *commonpb.AnyValue_BoolValue:
		b = append(b, `{"boolValue":`...)
		b = strconv.AppendBool(b, x.BoolValue)
	case *commonpb.AnyValue_DoubleValue:
		b = append(b, `{"doubleValue":`...)
		b = strconv.AppendFloat(b, x.DoubleValue, 'g', -1, 64)
	case *commonpb.AnyValue_ArrayValue:
		b = append(b, `{"arrayValue":{"values":[`...)
		for i, e := range x.ArrayValue.GetValues() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, e)
		}
		b = append(b, "]}"...)
	default:
		return append(b, "{}"...)
	}
	return append(b, '}')
}

// appendString writes a JSON string; untrusted event text is escaped so it
// stays text in any viewer (<, >, & as \u escapes; invalid UTF-8 replaced).
func appendString(b []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, `\u202`...)
			b = append(b, hexd[r&0xf])
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}
