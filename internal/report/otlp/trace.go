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
	for i := range rollouts {
		out = append(out, buildOne(&rollouts[i], ix, opts))
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
	h := sha256.New()
	h.Write(trace)
	for _, p := range path {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	sum := h.Sum(nil)
	if binary.BigEndian.Uint64(sum[:8]) == 0 {
		sum[7] = 1 // an all-zero span ID is invalid
	}
	return sum[:8]
}

func itoa(n int) string { return strconv.Itoa(n) }

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func integer(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

func boolean(k string, v bool) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v}}}
}

func strs(k string, vs []string) *commonpb.KeyValue {
	arr := &commonpb.ArrayValue{}
	for _, v := range vs {
		arr.Values = append(arr.Values, &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}})
	}
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: arr}}}
}

func nanos(t time.Time) uint64 { return uint64(t.UnixNano()) }

func buildOne(r *correlate.Rollout, ix *eventIndex, opts Options) *tracepb.ResourceSpans {
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
		str("service.name", service),
		str("k8s.cluster.name", r.Cluster),
		str("k8s.namespace.name", r.Namespace),
		str(prefix+".name", r.Name),
	}
	if r.UID != "" {
		resAttrs = append(resAttrs, str(prefix+".uid", r.UID))
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
		str("evanalyze.rollout.outcome", r.Outcome),
		integer("evanalyze.rollout.seq", int64(r.Seq)),
		boolean("evanalyze.rollout.rollback", r.Rollback),
		integer("evanalyze.rollout.replicas", int64(r.Replicas)),
	}
	if r.Revision != "" {
		rootAttrs = append(rootAttrs, str("evanalyze.rollout.revision", r.Revision))
	}
	if r.NewReplicaSet != "" {
		rootAttrs = append(rootAttrs, str("k8s.replicaset.name", r.NewReplicaSet))
	}
	if len(r.OldReplicaSets) > 0 {
		rootAttrs = append(rootAttrs, strs("evanalyze.rollout.old_replicasets", r.OldReplicaSets))
	}
	if r.Owner != "" {
		rootAttrs = append(rootAttrs, str("k8s.cronjob.name", r.Owner))
	}
	if r.Partial {
		rootAttrs = append(rootAttrs, boolean("evanalyze.rollout.partial", true))
	}
	if r.FailureReason != "" {
		rootAttrs = append(rootAttrs, str("evanalyze.rollout.failure_reason", r.FailureReason))
	}
	if r.Trigger != nil {
		rootAttrs = append(rootAttrs, str("evanalyze.trigger.user", r.Trigger.User), str("evanalyze.trigger.time", r.Trigger.At.Format(time.RFC3339Nano)))
		if r.Trigger.UserAgent != "" {
			rootAttrs = append(rootAttrs, str("user_agent.original", r.Trigger.UserAgent))
		}
		if r.Trigger.AuditID != "" {
			// The API server's own spans carry the audit ID.
			rootAttrs = append(rootAttrs, str("k8s.audit.id", r.Trigger.AuditID))
		}
	}
	if len(r.Changes) > 0 {
		rootAttrs = append(rootAttrs, strs("evanalyze.rollout.changes", r.Changes))
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
			Attributes: []*commonpb.KeyValue{str("k8s.replicaset.name", s.ReplicaSet), integer("evanalyze.replicas.from", int64(s.From)), integer("evanalyze.replicas.to", int64(s.To))},
		})
	}

	for _, p := range r.Pods {
		spans = append(spans, podSpans(trace, root, r, &p, end, ix)...)
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
func podSpans(trace, root []byte, r *correlate.Rollout, p *correlate.Pod, end time.Time, ix *eventIndex) []*tracepb.Span {
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
	id := spanID(trace, "pod", p.Name, p.UID, start.Format(time.RFC3339Nano))
	attrs := []*commonpb.KeyValue{str("k8s.pod.name", p.Name)}
	if p.UID != "" {
		attrs = append(attrs, str("k8s.pod.uid", p.UID))
	}
	if p.Node != "" {
		attrs = append(attrs, str("k8s.node.name", p.Node))
	}
	if p.ReplicaSet != "" {
		attrs = append(attrs, str("k8s.replicaset.name", p.ReplicaSet))
	}
	if p.Restarts > 0 {
		attrs = append(attrs, integer("k8s.container.restart_count", int64(p.Restarts)))
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
	phase := func(name string, a, b *time.Time) {
		if a == nil || b == nil || b.Before(*a) {
			return
		}
		out = append(out, &tracepb.Span{
			TraceId: trace, SpanId: spanID(trace, "pod", p.Name, p.UID, start.Format(time.RFC3339Nano), name), ParentSpanId: id,
			Name: name, Kind: tracepb.Span_SPAN_KIND_INTERNAL, StartTimeUnixNano: nanos(*a), EndTimeUnixNano: nanos(*b),
			Attributes: []*commonpb.KeyValue{str("k8s.pod.name", p.Name)},
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
	v := ix.v
	for _, i := range ix.rows[cluster+"\x00"+ns+"\x00"+kind+"\x00"+name] {
		t := v.Time(load.ColTime, i)
		if t < from.UnixNano() || t > to.UnixNano() {
			continue
		}
		attrs := []*commonpb.KeyValue{
			str("k8s.event.reason", v.Str(load.ColReason, i)),
			str("k8s.event.message", v.Str(load.ColMessage, i)),
			str("k8s.event.type", v.Str(load.ColType, i)),
			str("evanalyze.source", v.Str(load.ColSourceFile, i)+":"+itoa(int(v.Int64(load.ColSourceLine, i)))),
		}
		if c, ok := v.Int32(load.ColCount, i); ok {
			attrs = append(attrs, integer("k8s.event.count", int64(c)))
		}
		if n := v.Str(load.ColName, i); n != "" {
			attrs = append(attrs, str("k8s.event.name", n))
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
