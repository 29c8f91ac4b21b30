// Package otlp turns reconstructed rollouts into OpenTelemetry traces: one
// trace per rollout, a root span for the rollout, child spans for scale
// steps and pods, and inside each pod spans for scheduling, image pull,
// container start and readiness. The original Kubernetes events become
// span events. IDs derive from content, so the same archive always gives
// the same traces and a repeated backfill never duplicates. docs/traces.md
// is the trace model.
package otlp

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load"
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

// kindAttr maps a workload kind to its semantic-convention prefix.
var kindAttr = map[string]string{
	"Deployment": "k8s.deployment", "StatefulSet": "k8s.statefulset", "DaemonSet": "k8s.daemonset", "Job": "k8s.job",
}

// Build returns one ResourceSpans per rollout, in the rollouts' order.
// events (the event table) may be nil; with it, Kubernetes events become
// span events.
func Build(rollouts []correlate.Rollout, events arrow.Record, opts Options) []*tracepb.ResourceSpans {
	var ix *eventIndex
	if events != nil {
		ix = newEventIndex(load.NewView(events))
	}
	out := make([]*tracepb.ResourceSpans, 0, len(rollouts))
	a := &slab{}
	if ix != nil {
		ix.a = a
	}
	for i := range rollouts {
		out = append(out, buildOne(a, &rollouts[i], ix, opts))
	}
	return out
}

// TraceID derives a rollout's trace ID from its identity: cluster, kind,
// namespace, name, uid, sequence number and new ReplicaSet.
func TraceID(r *correlate.Rollout) []byte {
	h := sha256.Sum256([]byte(strings.Join([]string{"evanalyze/trace/v1", r.Cluster, r.Kind, r.Namespace, r.Name, r.UID,
		itoa(r.Seq), r.NewReplicaSet, r.Start.UTC().Format(time.RFC3339Nano)}, "\x00")))
	return h[:16]
}

// spanID derives a span ID from the trace ID and the span's path in it.
func spanID(trace []byte, path ...string) []byte {
	var buf [256]byte
	b := append(buf[:0], trace...)
	for _, p := range path {
		b = append(b, 0)
		b = append(b, p...)
	}
	sum := sha256.Sum256(b)
	if binary.BigEndian.Uint64(sum[:8]) == 0 {
		sum[7] = 1 // an all-zero span ID is invalid
	}
	id := make([]byte, 8)
	copy(id, sum[:8])
	return id
}

func itoa(n int) string { return strconv.Itoa(n) }

// slab hands out attribute values from chunks: a trace has a handful of
// attributes per span and allocating each KeyValue, AnyValue and oneof
// wrapper separately was most of the time spent building traces.
type slab struct {
	kv []commonpb.KeyValue
	av []commonpb.AnyValue
	sv []commonpb.AnyValue_StringValue
	iv []commonpb.AnyValue_IntValue
	bv []commonpb.AnyValue_BoolValue
}

const slabSize = 512

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

func nanos(t time.Time) uint64 { return uint64(t.UnixNano()) }

func buildOne(a *slab, r *correlate.Rollout, ix *eventIndex, opts Options) *tracepb.ResourceSpans {
	trace := TraceID(r)
	root := spanID(trace, "rollout")
	prefix := kindAttr[r.Kind]
	if prefix == "" {
		prefix = "k8s." + strings.ToLower(r.Kind)
	}
	service := opts.ServiceName
	if service == "" {
		service = r.Namespace + "/" + r.Name
	}
	resAttrs := []*commonpb.KeyValue{
		a.str("service.name", service),
		a.str("k8s.cluster.name", r.Cluster),
		a.str("k8s.namespace.name", r.Namespace),
		a.str(prefix+".name", r.Name),
	}
	if r.UID != "" {
		resAttrs = append(resAttrs, a.str(prefix+".uid", r.UID))
	}

	// The rollout's end: its end, else the last thing seen in it.
	end := r.Start
	if r.End != nil {
		end = *r.End
	}
	for _, p := range r.Pods {
		for _, t := range []*time.Time{p.Created, p.Scheduled, p.Pulling, p.Pulled, p.Started, p.Ready} {
			if r.End == nil && t != nil && t.After(end) {
				end = *t
			}
		}
	}
	for _, s := range r.Steps {
		if r.End == nil && s.At.After(end) {
			end = s.At
		}
	}

	rootAttrs := []*commonpb.KeyValue{
		a.str("evanalyze.rollout.outcome", r.Outcome),
		a.integer("evanalyze.rollout.seq", int64(r.Seq)),
		a.boolean("evanalyze.rollout.rollback", r.Rollback),
		a.integer("evanalyze.rollout.replicas", int64(r.Replicas)),
	}
	if r.Revision != "" {
		rootAttrs = append(rootAttrs, a.str("evanalyze.rollout.revision", r.Revision))
	}
	if r.NewReplicaSet != "" {
		rootAttrs = append(rootAttrs, a.str("k8s.replicaset.name", r.NewReplicaSet))
	}
	if len(r.OldReplicaSets) > 0 {
		rootAttrs = append(rootAttrs, a.strs("evanalyze.rollout.old_replicasets", r.OldReplicaSets))
	}
	if r.Owner != "" {
		rootAttrs = append(rootAttrs, a.str("k8s.cronjob.name", r.Owner))
	}
	if r.Partial {
		rootAttrs = append(rootAttrs, a.boolean("evanalyze.rollout.partial", true))
	}
	if r.FailureReason != "" {
		rootAttrs = append(rootAttrs, a.str("evanalyze.rollout.failure_reason", r.FailureReason))
	}
	if r.Trigger != nil {
		rootAttrs = append(rootAttrs, a.str("evanalyze.trigger.user", r.Trigger.User), a.str("evanalyze.trigger.time", r.Trigger.At.Format(time.RFC3339Nano)))
		if r.Trigger.UserAgent != "" {
			rootAttrs = append(rootAttrs, a.str("user_agent.original", r.Trigger.UserAgent))
		}
		if r.Trigger.AuditID != "" {
			// The API server's own spans carry the audit ID.
			rootAttrs = append(rootAttrs, a.str("k8s.audit.id", r.Trigger.AuditID))
		}
	}
	if len(r.Changes) > 0 {
		rootAttrs = append(rootAttrs, a.strs("evanalyze.rollout.changes", r.Changes))
	}
	rootSpan := &tracepb.Span{
		TraceId: trace, SpanId: root, Name: "rollout", Kind: tracepb.Span_SPAN_KIND_INTERNAL,
		StartTimeUnixNano: nanos(r.Start), EndTimeUnixNano: nanos(end), Attributes: rootAttrs,
	}
	switch r.Outcome {
	case correlate.OutcomeFailed:
		rootSpan.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: r.FailureReason}
	case correlate.OutcomeComplete:
		rootSpan.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_OK}
	}
	if ix != nil {
		rootSpan.Events = ix.spanEvents(r.Cluster, r.Namespace, r.Kind, r.Name, r.Start, end)
		if r.NewReplicaSet != "" {
			rootSpan.Events = append(rootSpan.Events, ix.spanEvents(r.Cluster, r.Namespace, "ReplicaSet", r.NewReplicaSet, r.Start, end)...)
			sortEvents(rootSpan.Events)
		}
	}
	spans := []*tracepb.Span{rootSpan}

	// Scale steps: each lasts until the next step (the last until the end).
	for i, s := range r.Steps {
		stepEnd := end
		if i+1 < len(r.Steps) && r.Steps[i+1].At.After(s.At) {
			stepEnd = r.Steps[i+1].At
		}
		if stepEnd.Before(s.At) {
			stepEnd = s.At
		}
		spans = append(spans, &tracepb.Span{
			TraceId: trace, SpanId: spanID(trace, "step", itoa(i)), ParentSpanId: root, Name: "scale replicaset",
			Kind: tracepb.Span_SPAN_KIND_INTERNAL, StartTimeUnixNano: nanos(s.At), EndTimeUnixNano: nanos(stepEnd),
			Attributes: []*commonpb.KeyValue{a.str("k8s.replicaset.name", s.ReplicaSet), a.integer("evanalyze.replicas.from", int64(s.From)), a.integer("evanalyze.replicas.to", int64(s.To))},
		})
	}

	for _, p := range r.Pods {
		spans = append(spans, podSpans(a, trace, root, r, &p, end, ix)...)
	}
	return &tracepb.ResourceSpans{
		Resource: &resourcepb.Resource{Attributes: resAttrs},
		ScopeSpans: []*tracepb.ScopeSpans{{
			Scope: &commonpb.InstrumentationScope{Name: ScopeName, Version: opts.Version},
			Spans: spans,
		}},
	}
}

// podSpans returns a pod's span and its phase spans.
func podSpans(a *slab, trace, root []byte, r *correlate.Rollout, p *correlate.Pod, end time.Time, ix *eventIndex) []*tracepb.Span {
	if p.Created == nil {
		return nil
	}
	start := *p.Created
	podEnd := end
	switch {
	case p.Ready != nil:
		podEnd = *p.Ready
	case p.Started != nil:
		podEnd = *p.Started
	case p.Deleted != nil:
		podEnd = *p.Deleted
	}
	if podEnd.Before(start) {
		podEnd = start
	}
	created := start.Format(time.RFC3339Nano)
	id := spanID(trace, "pod", p.Name, p.UID, created)
	attrs := []*commonpb.KeyValue{a.str("k8s.pod.name", p.Name)}
	if p.UID != "" {
		attrs = append(attrs, a.str("k8s.pod.uid", p.UID))
	}
	if p.Node != "" {
		attrs = append(attrs, a.str("k8s.node.name", p.Node))
	}
	if p.ReplicaSet != "" {
		attrs = append(attrs, a.str("k8s.replicaset.name", p.ReplicaSet))
	}
	if p.Restarts > 0 {
		attrs = append(attrs, a.integer("k8s.container.restart_count", int64(p.Restarts)))
	}
	span := &tracepb.Span{
		TraceId: trace, SpanId: id, ParentSpanId: root, Name: "pod", Kind: tracepb.Span_SPAN_KIND_INTERNAL,
		StartTimeUnixNano: nanos(start), EndTimeUnixNano: nanos(podEnd), Attributes: attrs,
	}
	if len(p.Warnings) > 0 {
		var sigs []string
		for s := range p.Warnings {
			sigs = append(sigs, s)
		}
		slices.Sort(sigs)
		span.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: strings.Join(sigs, ", ")}
	}
	if ix != nil {
		evEnd := end
		if p.Deleted != nil && p.Deleted.After(evEnd) {
			evEnd = *p.Deleted
		}
		span.Events = ix.spanEvents(r.Cluster, r.Namespace, "Pod", p.Name, start.Add(-time.Second), evEnd)
	}
	out := []*tracepb.Span{span}
	phase := func(name string, from, to *time.Time) {
		if from == nil || to == nil || to.Before(*from) {
			return
		}
		out = append(out, &tracepb.Span{
			TraceId: trace, SpanId: spanID(trace, "pod", p.Name, p.UID, created, name), ParentSpanId: id,
			Name: name, Kind: tracepb.Span_SPAN_KIND_INTERNAL, StartTimeUnixNano: nanos(*from), EndTimeUnixNano: nanos(*to),
			Attributes: []*commonpb.KeyValue{a.str("k8s.pod.name", p.Name)},
		})
	}
	phase("schedule", p.Created, p.Scheduled)
	phase("pull image", p.Pulling, p.Pulled)
	phase("start container", p.Pulled, p.Started)
	phase("readiness", p.Started, p.Ready)
	return out
}

// eventIndex finds the events about an object in a time window.
type eventIndex struct {
	a    *slab
	v    *load.View
	rows map[string][]int // cluster/namespace/kind/name -> rows in time order
}

func newEventIndex(v *load.View) *eventIndex {
	ix := &eventIndex{v: v, rows: map[string][]int{}}
	for i := 0; i < v.Len(); i++ {
		ns := v.Str(load.ColObjectNamespace, i)
		if ns == "" {
			ns = v.Str(load.ColNamespace, i)
		}
		k := v.Str(load.ColCluster, i) + "\x00" + ns + "\x00" + v.Str(load.ColObjectKind, i) + "\x00" + v.Str(load.ColObjectName, i)
		ix.rows[k] = append(ix.rows[k], i)
	}
	for _, rows := range ix.rows {
		slices.SortStableFunc(rows, func(a, b int) int {
			ta, tb := v.Time(load.ColTime, a), v.Time(load.ColTime, b)
			switch {
			case ta < tb:
				return -1
			case ta > tb:
				return 1
			}
			return 0
		})
	}
	return ix
}

// spanEvents returns the observations of an object's events in [from, to]
// as span events: name = reason, with message, type, count and the source.
func (ix *eventIndex) spanEvents(cluster, ns, kind, name string, from, to time.Time) []*tracepb.Span_Event {
	var out []*tracepb.Span_Event
	v, a := ix.v, ix.a
	for _, i := range ix.rows[cluster+"\x00"+ns+"\x00"+kind+"\x00"+name] {
		t := v.Time(load.ColTime, i)
		if t < from.UnixNano() || t > to.UnixNano() {
			continue
		}
		attrs := []*commonpb.KeyValue{
			a.str("k8s.event.reason", v.Str(load.ColReason, i)),
			a.str("k8s.event.message", v.Str(load.ColMessage, i)),
			a.str("k8s.event.type", v.Str(load.ColType, i)),
			a.str("evanalyze.source", v.Str(load.ColSourceFile, i)+":"+itoa(int(v.Int64(load.ColSourceLine, i)))),
		}
		if c, ok := v.Int32(load.ColCount, i); ok {
			attrs = append(attrs, a.integer("k8s.event.count", int64(c)))
		}
		if n := v.Str(load.ColName, i); n != "" {
			attrs = append(attrs, a.str("k8s.event.name", n))
		}
		out = append(out, &tracepb.Span_Event{TimeUnixNano: uint64(t), Name: v.Str(load.ColReason, i), Attributes: attrs})
	}
	return out
}

func sortEvents(evs []*tracepb.Span_Event) {
	slices.SortStableFunc(evs, func(a, b *tracepb.Span_Event) int {
		switch {
		case a.TimeUnixNano < b.TimeUnixNano:
			return -1
		case a.TimeUnixNano > b.TimeUnixNano:
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
}
