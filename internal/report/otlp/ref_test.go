package otlp_test

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"unicode/utf8"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// The reference encodings of requests built as tracepb messages: the
// OTLP/JSON encoder the file writer used before it encoded traces
// directly (it wrote the golden files), and proto.Marshal. The writers
// must give the same bytes (TestWritersMatchReference).

// refJSONLines encodes requests as OTLP/JSON lines.
func refJSONLines(reqs []*collectorpb.ExportTraceServiceRequest) []byte {
	var b []byte
	for _, req := range reqs {
		b = refRequest(b, req)
		b = append(b, '\n')
	}
	return b
}

// refProto encodes requests as length-prefixed protobuf.
func refProto(reqs []*collectorpb.ExportTraceServiceRequest) ([]byte, error) {
	var b []byte
	for _, req := range reqs {
		msg, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
		if err != nil {
			return nil, err
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(msg)))
		b = append(b, msg...)
	}
	return b, nil
}

func refRequest(b []byte, req *collectorpb.ExportTraceServiceRequest) []byte {
	b = append(b, `{"resourceSpans":[`...)
	for i, rs := range req.ResourceSpans {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"resource":{"attributes":`...)
		b = refAttrs(b, rs.Resource.GetAttributes())
		b = append(b, `},"scopeSpans":[`...)
		for j, ss := range rs.ScopeSpans {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"scope":{"name":`...)
			b = refString(b, ss.Scope.GetName())
			if v := ss.Scope.GetVersion(); v != "" {
				b = append(b, `,"version":`...)
				b = refString(b, v)
			}
			b = append(b, `},"spans":[`...)
			for k, sp := range ss.Spans {
				if k > 0 {
					b = append(b, ',')
				}
				b = refSpan(b, sp)
			}
			b = append(b, "]}"...)
		}
		b = append(b, "]}"...)
	}
	return append(b, "]}"...)
}

func refSpan(b []byte, sp *tracepb.Span) []byte {
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
	b = refString(b, sp.Name)
	b = append(b, `,"kind":`...)
	b = strconv.AppendInt(b, int64(sp.Kind), 10)
	b = append(b, `,"startTimeUnixNano":"`...)
	b = strconv.AppendUint(b, sp.StartTimeUnixNano, 10)
	b = append(b, `","endTimeUnixNano":"`...)
	b = strconv.AppendUint(b, sp.EndTimeUnixNano, 10)
	b = append(b, `","attributes":`...)
	b = refAttrs(b, sp.Attributes)
	if len(sp.Events) > 0 {
		b = append(b, `,"events":[`...)
		for i, e := range sp.Events {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"timeUnixNano":"`...)
			b = strconv.AppendUint(b, e.TimeUnixNano, 10)
			b = append(b, `","name":`...)
			b = refString(b, e.Name)
			b = append(b, `,"attributes":`...)
			b = refAttrs(b, e.Attributes)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if sp.DroppedEventsCount != 0 {
		b = append(b, `,"droppedEventsCount":`...)
		b = strconv.AppendUint(b, uint64(sp.DroppedEventsCount), 10)
	}
	if sp.Status != nil {
		b = append(b, `,"status":{`...)
		comma := false
		if sp.Status.Message != "" {
			b = append(b, `"message":`...)
			b = refString(b, sp.Status.Message)
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

func refAttrs(b []byte, attrs []*commonpb.KeyValue) []byte {
	b = append(b, '[')
	for i, kv := range attrs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = refString(b, kv.Key)
		b = append(b, `,"value":`...)
		b = refValue(b, kv.Value)
		b = append(b, '}')
	}
	return append(b, ']')
}

func refValue(b []byte, v *commonpb.AnyValue) []byte {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		b = append(b, `{"stringValue":`...)
		b = refString(b, x.StringValue)
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
			b = refValue(b, e)
		}
		b = append(b, "]}"...)
	default:
		return append(b, "{}"...)
	}
	return append(b, '}')
}

// appendString writes a JSON string; untrusted event text is escaped so it
// stays text in any viewer (<, >, & as \u escapes; invalid UTF-8 replaced).
func refString(b []byte, s string) []byte {
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
