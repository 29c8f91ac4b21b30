// Package otlp turns reconstructed rollouts into OpenTelemetry traces: one
// trace per rollout, a root span for the rollout, child spans for scale
// steps and pods, and inside each pod spans for scheduling, image pull,
// container start and readiness. The original Kubernetes events become
// span events. IDs derive from content, so the same archive always gives
// the same traces and a repeated backfill never duplicates. docs/traces.md
// is the trace model.
//
// The file writers (WriteJSONLines, WriteProto) encode each trace straight
// from a reused flat model (model.go) without building protobuf messages;
// Build makes the same traces as tracepb messages for the network sender.
package otlp

import (
	"strconv"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/evanalyze/evanalyze/internal/correlate"
)

// ScopeName is the instrumentation scope of the spans.
const ScopeName = "evanalyze"

// Options shape the traces.
type Options struct {
	// ServiceName sets service.name on every trace; empty means the
	// workload name (what a Jaeger user browses by).
	ServiceName string
	// Version is the scope version (the evanalyze version).
	Version string
}

// Build returns one ResourceSpans per rollout, in the rollouts' order.
// events (the event table) may be nil; with it, Kubernetes events become
// span events. The messages hold strings of the rollouts and of events:
// keep events until they are sent.
func Build(rollouts []correlate.Rollout, events arrow.Record, opts Options) []*tracepb.ResourceSpans {
	b := newBuilder(rollouts, events, opts)
	out := make([]*tracepb.ResourceSpans, 0, len(rollouts))
	a := &slab{}
	for i := range rollouts {
		t := b.build(i)
		t.fixUTF8()
		out = append(out, t.toProto(a))
	}
	return out
}

// toProto makes the trace's tracepb messages.
func (t *trace) toProto(a *slab) *tracepb.ResourceSpans {
	traceID := a.bytes(t.id[:])
	spans := make([]*tracepb.Span, len(t.spans))
	structs := make([]tracepb.Span, len(t.spans))
	for i := range t.spans {
		s, ps := &t.spans[i], &structs[i]
		*ps = tracepb.Span{
			TraceId: traceID, SpanId: a.bytes(s.id[:]), Name: s.name, Kind: tracepb.Span_SPAN_KIND_INTERNAL,
			StartTimeUnixNano: s.start, EndTimeUnixNano: s.end, Attributes: t.protoAttrs(a, s.attrLo, s.attrHi),
		}
		if s.hasParent {
			ps.ParentSpanId = a.bytes(s.parent[:])
		}
		if s.evHi > s.evLo {
			ps.Events = make([]*tracepb.Span_Event, s.evHi-s.evLo)
			evs := make([]tracepb.Span_Event, s.evHi-s.evLo)
			for j := range evs {
				e := &t.events[s.evLo+j]
				evs[j] = tracepb.Span_Event{TimeUnixNano: e.time, Name: e.name, Attributes: t.protoAttrs(a, e.attrLo, e.attrHi)}
				ps.Events[j] = &evs[j]
			}
		}
		ps.DroppedEventsCount = s.dropped
		if s.hasStatus {
			ps.Status = &tracepb.Status{Code: tracepb.Status_StatusCode(s.code), Message: s.msg}
		}
		spans[i] = ps
	}
	return &tracepb.ResourceSpans{
		Resource: &resourcepb.Resource{Attributes: t.protoAttrs(a, t.resLo, t.resHi)},
		ScopeSpans: []*tracepb.ScopeSpans{{
			Scope: &commonpb.InstrumentationScope{Name: ScopeName, Version: t.version},
			Spans: spans,
		}},
	}
}

func (t *trace) protoAttrs(a *slab, lo, hi int) []*commonpb.KeyValue {
	if lo == hi {
		return nil
	}
	out := make([]*commonpb.KeyValue, hi-lo)
	for i := range out {
		at := &t.attrs[lo+i]
		switch at.kind {
		case valInt:
			out[i] = a.integer(at.key.name, at.i)
		case valBool:
			out[i] = a.boolean(at.key.name, at.i != 0)
		case valStrings:
			out[i] = a.strs(at.key.name, t.lists[at.i])
		case valJoin:
			out[i] = a.str(at.key.name, at.s+"/"+t.more[at.i])
		case valSource:
			out[i] = a.str(at.key.name, at.s+":"+strconv.FormatInt(at.i, 10))
		default:
			out[i] = a.str(at.key.name, at.s)
		}
	}
	return out
}

// slab hands out attribute values from chunks: a trace has a handful of
// attributes per span and allocating each KeyValue, AnyValue and oneof
// wrapper separately was most of the time spent building traces.
type slab struct {
	kv []commonpb.KeyValue
	av []commonpb.AnyValue
	sv []commonpb.AnyValue_StringValue
	iv []commonpb.AnyValue_IntValue
	bv []commonpb.AnyValue_BoolValue
	id []byte
}

const slabSize = 512

// bytes copies an ID out of the reused model.
func (a *slab) bytes(id []byte) []byte {
	if len(a.id) < len(id) {
		a.id = make([]byte, 16*slabSize)
	}
	b := a.id[:len(id):len(id)]
	copy(b, id)
	a.id = a.id[len(id):]
	return b
}

func (a *slab) kvAny(k string) (*commonpb.KeyValue, *commonpb.AnyValue) {
	if len(a.kv) == 0 {
		a.kv = make([]commonpb.KeyValue, slabSize)
	}
	if len(a.av) == 0 {
		a.av = make([]commonpb.AnyValue, slabSize)
	}
	kv, av := &a.kv[0], &a.av[0]
	a.kv, a.av = a.kv[1:], a.av[1:]
	kv.Key, kv.Value = k, av
	return kv, av
}

func (a *slab) strVal(v string) *commonpb.AnyValue_StringValue {
	if len(a.sv) == 0 {
		a.sv = make([]commonpb.AnyValue_StringValue, slabSize)
	}
	sv := &a.sv[0]
	a.sv = a.sv[1:]
	sv.StringValue = v
	return sv
}

func (a *slab) str(k, v string) *commonpb.KeyValue {
	kv, av := a.kvAny(k)
	av.Value = a.strVal(v)
	return kv
}

func (a *slab) integer(k string, v int64) *commonpb.KeyValue {
	kv, av := a.kvAny(k)
	if len(a.iv) == 0 {
		a.iv = make([]commonpb.AnyValue_IntValue, slabSize)
	}
	iv := &a.iv[0]
	a.iv = a.iv[1:]
	iv.IntValue = v
	av.Value = iv
	return kv
}

func (a *slab) boolean(k string, v bool) *commonpb.KeyValue {
	kv, av := a.kvAny(k)
	if len(a.bv) == 0 {
		a.bv = make([]commonpb.AnyValue_BoolValue, slabSize)
	}
	bv := &a.bv[0]
	a.bv = a.bv[1:]
	bv.BoolValue = v
	av.Value = bv
	return kv
}

func (a *slab) strs(k string, vs []string) *commonpb.KeyValue {
	arr := &commonpb.ArrayValue{Values: make([]*commonpb.AnyValue, len(vs))}
	for i, v := range vs {
		arr.Values[i] = &commonpb.AnyValue{Value: a.strVal(v)}
	}
	kv, av := a.kvAny(k)
	av.Value = &commonpb.AnyValue_ArrayValue{ArrayValue: arr}
	return kv
}
