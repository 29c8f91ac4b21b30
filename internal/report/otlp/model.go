package otlp

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load"
)

// The trace model: one rollout's trace as flat slices that an encoder
// reuses from rollout to rollout. The JSON and protobuf writers encode it
// directly and Build converts it to tracepb messages, so the three cannot
// disagree on what a trace holds. Strings point into the rollouts and the
// event table; nothing is copied.

// valueKind is the type of an attribute value.
type valueKind uint8

const (
	valString  valueKind = iota // s
	valInt                      // i
	valBool                     // i != 0
	valStrings                  // trace.lists[i], an array of strings
	valJoin                     // s + "/" + trace.more[i], without building the string
	valSource                   // s + ":" + i (file:line), without building the string
)

// attrKey is an attribute key with its encodings made once.
type attrKey struct {
	name      string
	json      string   // {"key":"<name>","value":
	proto     string   // KeyValue.key: tag, length, name
	truncated *attrKey // evanalyze.truncated.<name>: the original length of a cut value
}

func newKey(name string) *attrKey {
	k := makeKey(name)
	k.truncated = makeKey(truncatedPrefix + name)
	return k
}

func makeKey(name string) *attrKey {
	k := &attrKey{name: name}
	k.json = string(appendString([]byte(`{"key":`), name)) + `,"value":`
	k.proto = string(appendBytesField(nil, 1, name))
	return k
}

// MaxValueBytes caps the bytes of a string value (an attribute, each
// string of an array and the array as a whole, a span event's name, a
// span's status message). A longer value is cut at a UTF-8 boundary and
// ends with TruncatedMarker, within MaxValueBytes, and the attribute
// evanalyze.truncated.<key> holds its original length in bytes (for an
// array: the sum of its strings' lengths). Kubernetes event notes are at
// most 1 KiB when written through events.k8s.io (the API server's
// NoteLengthLimit, pkg/apis/core/validation/events.go); what is longer
// is rare and, at 3 MB, what made lines of 15 MB. Every value at its
// largest, escaped for JSON (up to 6 bytes a byte), still leaves a JSON
// line room for span events (see maxSpanJSON).
const MaxValueBytes = 4 << 10

// TruncatedMarker ends a value cut at MaxValueBytes.
const TruncatedMarker = "…truncated"

const truncatedPrefix = "evanalyze.truncated."

// keyStatusTruncated holds the original length of a pod span's cut status
// message (the root's status message is its failure reason, whose
// attribute says it).
var keyStatusTruncated = makeKey(truncatedPrefix + "otel.status_description")

// cut returns s cut to MaxValueBytes with TruncatedMarker, or s.
func cut(s string) string {
	if len(s) <= MaxValueBytes {
		return s
	}
	n := MaxValueBytes - len(TruncatedMarker)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + TruncatedMarker
}

// The attribute keys, made once.
var (
	keyServiceName    = newKey("service.name")
	keyClusterName    = newKey("k8s.cluster.name")
	keyNamespaceName  = newKey("k8s.namespace.name")
	keyOutcome        = newKey("evanalyze.rollout.outcome")
	keySeq            = newKey("evanalyze.rollout.seq")
	keyRollback       = newKey("evanalyze.rollout.rollback")
	keyReplicas       = newKey("evanalyze.rollout.replicas")
	keyRevision       = newKey("evanalyze.rollout.revision")
	keyReplicaSetName = newKey("k8s.replicaset.name")
	keyOldReplicaSets = newKey("evanalyze.rollout.old_replicasets")
	keyCronJobName    = newKey("k8s.cronjob.name")
	keyPartial        = newKey("evanalyze.rollout.partial")
	keyPartialReason  = newKey("evanalyze.rollout.partial_reason")
	keyLongestPhase   = newKey("evanalyze.rollout.longest_phase")
	keyLongestMillis  = newKey("evanalyze.rollout.longest_phase_ms")
	keyCriticalPath   = newKey("evanalyze.critical_path")
	keyFailureReason  = newKey("evanalyze.rollout.failure_reason")
	keyTriggerUser    = newKey("evanalyze.trigger.user")
	keyTriggerTime    = newKey("evanalyze.trigger.time")
	keyUserAgent      = newKey("user_agent.original")
	keyAuditID        = newKey("k8s.audit.id")
	keyChanges        = newKey("evanalyze.rollout.changes")
	keyReplicasFrom   = newKey("evanalyze.replicas.from")
	keyReplicasTo     = newKey("evanalyze.replicas.to")
	keyPodName        = newKey("k8s.pod.name")
	keyPodUID         = newKey("k8s.pod.uid")
	keyNodeName       = newKey("k8s.node.name")
	keyRestartCount   = newKey("k8s.container.restart_count")
	keyEventReason    = newKey("k8s.event.reason")
	keyEventMessage   = newKey("k8s.event.message")
	keyEventType      = newKey("k8s.event.type")
	keyEventCount     = newKey("k8s.event.count")
	keyEventName      = newKey("k8s.event.name")
	keySource         = newKey("evanalyze.source")
)

// kindKeys are a workload kind's k8s.<kind>.name and .uid keys.
type kindKeys struct{ name, uid *attrKey }

// kindAttr maps a workload kind to its semantic-convention prefix.
var kindAttr = map[string]string{
	"Deployment": "k8s.deployment", "StatefulSet": "k8s.statefulset", "DaemonSet": "k8s.daemonset", "Job": "k8s.job",
}

// attr is an attribute. It is kept small: traces append many.
type attr struct {
	key   *attrKey
	s     string
	i     int64
	size  int32 // protobuf size of the KeyValue message, set by trace.sizes
	vsize int32 // of its AnyValue
	kind  valueKind
}

type event struct {
	time           uint64
	name           string
	attrLo, attrHi int // in trace.attrs
	size           int
}

// Status codes (opentelemetry-proto trace.proto Status.StatusCode).
const (
	statusOK    = 1
	statusError = 2
)

// spanKindInternal is SPAN_KIND_INTERNAL.
const spanKindInternal = 1

type span struct {
	id, parent     [8]byte
	hasParent      bool
	name           string
	start, end     uint64
	attrLo, attrHi int // in trace.attrs
	evLo, evHi     int // in trace.events
	hasStatus      bool
	code           int32
	msg            string
	size           int
	dropped        uint32 // span events left out (maxSpanJSON)
}

// trace is one rollout's trace. reset keeps the slices' memory.
type trace struct {
	id           [16]byte
	hex          [32]byte // id in hex, set by appendJSONHead
	resLo, resHi int      // resource attributes in attrs
	spans        []span
	attrs        []attr
	events       []event
	lists        [][]string // values of valStrings attributes
	more         []string   // second parts of valJoin attributes
	version      string
	truncated    int // values cut at MaxValueBytes
	dropped      int // span events dropped (maxSpanJSON)
	size         int // protobuf size of the ResourceSpans message
	nSize        int // of Resource
	sSize        int // of ScopeSpans
	scSize       int // of InstrumentationScope
}

func (t *trace) reset() {
	clear(t.attrs) // drop references to the last rollout's strings
	clear(t.events)
	clear(t.spans)
	clear(t.lists)
	clear(t.more)
	*t = trace{spans: t.spans[:0], attrs: t.attrs[:0], events: t.events[:0], lists: t.lists[:0], more: t.more[:0]}
}

// str adds a string attribute, cut at MaxValueBytes.
func (t *trace) str(k *attrKey, v string) {
	if len(v) > MaxValueBytes {
		t.attrs = append(t.attrs, attr{key: k, kind: valString, s: cut(v)})
		t.integer(k.truncated, int64(len(v)))
		t.truncated++
		return
	}
	t.attrs = append(t.attrs, attr{key: k, kind: valString, s: v})
}

func (t *trace) integer(k *attrKey, v int64) {
	t.attrs = append(t.attrs, attr{key: k, kind: valInt, i: v})
}

func (t *trace) boolean(k *attrKey, v bool) {
	a := attr{key: k, kind: valBool}
	if v {
		a.i = 1
	}
	t.attrs = append(t.attrs, a)
}

// strs adds an array of strings. When its protobuf size is over
// MaxValueBytes, its strings are cut and it ends with TruncatedMarker
// after those that fit.
func (t *trace) strs(k *attrKey, v []string) {
	if size := listSize(v); size > MaxValueBytes {
		orig := 0
		for _, s := range v {
			orig += len(s)
		}
		var out []string
		size := sizeField(sizeField(len(TruncatedMarker)))
		for _, s := range v {
			s = cut(s)
			if size += sizeField(sizeField(len(s))); size > MaxValueBytes {
				break
			}
			out = append(out, s)
		}
		v = append(out, TruncatedMarker)
		t.attrs = append(t.attrs, attr{key: k, kind: valStrings, i: int64(len(t.lists))})
		t.lists = append(t.lists, v)
		t.integer(k.truncated, int64(orig))
		t.truncated++
		return
	}
	t.attrs = append(t.attrs, attr{key: k, kind: valStrings, i: int64(len(t.lists))})
	t.lists = append(t.lists, v)
}

// join adds the attribute s1 + "/" + s2.
func (t *trace) join(k *attrKey, s1, s2 string) {
	if len(s1)+1+len(s2) > MaxValueBytes {
		t.str(k, s1+"/"+s2)
		return
	}
	t.attrs = append(t.attrs, attr{key: k, kind: valJoin, s: s1, i: int64(len(t.more))})
	t.more = append(t.more, s2)
}

// source adds the attribute file + ":" + line.
func (t *trace) source(k *attrKey, file string, line int64) {
	if len(file)+1+intLen(line) > MaxValueBytes {
		t.str(k, file+":"+strconv.FormatInt(line, 10))
		return
	}
	t.attrs = append(t.attrs, attr{key: k, kind: valSource, s: file, i: line})
}

// fixUTF8 replaces each byte of invalid UTF-8 in t's strings with U+FFFD,
// as the JSON encoder does, so that the protobuf encodings are valid
// (proto3 strings must be UTF-8; proto.Marshal refuses others) and hold
// what the JSON holds. The loaders keep strings valid, so this finds
// nothing in practice; it costs a scan. It reports whether it replaced
// anything (the sizes must be computed again).
func (t *trace) fixUTF8() (changed bool) {
	fix := func(s *string) {
		if !utf8.ValidString(*s) {
			*s = string([]rune(*s))
			changed = true
		}
	}
	for i := range t.attrs {
		fix(&t.attrs[i].s)
	}
	for i := range t.events {
		fix(&t.events[i].name)
	}
	for i := range t.spans {
		fix(&t.spans[i].msg)
	}
	for i := range t.more {
		fix(&t.more[i])
	}
	for i, l := range t.lists {
		for j := range l {
			if !utf8.ValidString(l[j]) {
				l = slices.Clone(l) // the rollout's slice is not ours
				for j := range l {
					fix(&l[j])
				}
				t.lists[i] = l
				break
			}
		}
	}
	fix(&t.version)
	return changed
}

// builder fills a trace from a rollout. It is not safe for concurrent use.
type builder struct {
	opts     Options
	rollouts []correlate.Rollout
	v        *load.View // the event table; nil: no span events
	kinds    map[string]kindKeys
	t        trace
	buf      []byte   // scratch for hashing and keys
	sigs     []string // scratch for a pod's warning names
	slots    []int32  // scratch: the span of each of a rollout's Evidence (see placeEvidence)
	bySlot   []int32  // scratch: Evidence indices grouped by span
	slotEnd  []int32  // scratch: where each span's group ends in bySlot
	js       []byte   // scratch: a span's JSON (limitEvents)
}

// newBuilder prepares the traces of rollouts; events may be nil (no span
// events), else it is the event table the rollouts were correlated from:
// their Evidence are its rows.
func newBuilder(rollouts []correlate.Rollout, events arrow.Record, opts Options) *builder {
	b := &builder{opts: opts, rollouts: rollouts, kinds: map[string]kindKeys{}}
	if events != nil {
		b.v = load.NewView(events)
	}
	return b
}

func (b *builder) kindKeys(kind string) kindKeys {
	if k, ok := b.kinds[kind]; ok {
		return k
	}
	prefix := kindAttr[kind]
	if prefix == "" {
		prefix = "k8s." + strings.ToLower(kind)
	}
	k := kindKeys{newKey(prefix + ".name"), newKey(prefix + ".uid")}
	b.kinds[kind] = k
	return k
}

// TraceID derives a rollout's trace ID from its identity: cluster, kind,
// namespace, name, uid, sequence number, new ReplicaSet and start.
func TraceID(r *correlate.Rollout) []byte {
	h := sha256.Sum256(appendTraceKey(nil, r))
	return h[:16]
}

// appendTraceKey appends what a trace ID is the hash of.
func appendTraceKey(b []byte, r *correlate.Rollout) []byte {
	b = append(b, "evanalyze/trace/v1\x00"...)
	for _, s := range []string{r.Cluster, r.Kind, r.Namespace, r.Name, r.UID} {
		b = append(b, s...)
		b = append(b, 0)
	}
	b = strconv.AppendInt(b, int64(r.Seq), 10)
	b = append(b, 0)
	b = append(b, r.NewReplicaSet...)
	b = append(b, 0)
	return r.Start.UTC().AppendFormat(b, time.RFC3339Nano)
}

// spanIDOf hashes a span's path: the trace ID, then each part after a NUL.
// An all-zero span ID is invalid, so one is never returned.
func spanIDOf(path []byte) [8]byte {
	sum := sha256.Sum256(path)
	if binary.BigEndian.Uint64(sum[:8]) == 0 {
		sum[7] = 1
	}
	return [8]byte(sum[:8])
}

func nanos(t time.Time) uint64 { return uint64(t.UnixNano()) }

// placeEvidence decides the span of each of r's Evidence (correlate
// decided which events are the rollout's): an event of a drawn pod goes on
// the pod's span; one of an old ReplicaSet, or of a pod of one that is
// drawn in no trace, on the latest scale step of that ReplicaSet at or
// before it, else on the root; the workload's and the new ReplicaSet's on
// the root. Spans are numbered root 0, step i 1+i, pod j 1+len(Steps)+j;
// b.bySlot holds the Evidence indices span by span, in Evidence order (by
// time), span n's up to b.slotEnd[n].
func (b *builder) placeEvidence(r *correlate.Rollout) {
	nSlots := 1 + len(r.Steps) + len(r.Pods)
	b.slots = slices.Grow(b.slots[:0], len(r.Evidence))[:len(r.Evidence)]
	b.slotEnd = slices.Grow(b.slotEnd[:0], nSlots)[:nSlots]
	clear(b.slotEnd)
	for i := range r.Evidence {
		e := &r.Evidence[i]
		slot := 0
		switch {
		case e.Pod >= 0 && int(e.Pod) < len(r.Pods):
			slot = 1 + len(r.Steps) + int(e.Pod)
		case e.ReplicaSet != "" && e.ReplicaSet != r.NewReplicaSet:
			at := time.Unix(0, b.v.Time(load.ColTime, int(e.Row)))
			for j := range r.Steps {
				if s := &r.Steps[j]; s.ReplicaSet == e.ReplicaSet && !s.At.After(at) && (slot == 0 || !s.At.Before(r.Steps[slot-1].At)) {
					slot = 1 + j
				}
			}
		}
		b.slots[i] = int32(slot)
		b.slotEnd[slot]++
	}
	for n := 1; n < nSlots; n++ {
		b.slotEnd[n] += b.slotEnd[n-1]
	}
	b.bySlot = slices.Grow(b.bySlot[:0], len(r.Evidence))[:len(r.Evidence)]
	for i := len(r.Evidence) - 1; i >= 0; i-- { // backwards: each span's events stay in order
		b.slotEnd[b.slots[i]]--
		b.bySlot[b.slotEnd[b.slots[i]]] = int32(i)
	}
	// slotEnd now holds where each group starts; shift to ends.
	copy(b.slotEnd, b.slotEnd[1:])
	b.slotEnd[nSlots-1] = int32(len(r.Evidence))
}

// spanEvents adds the events of span n (see placeEvidence) and returns
// where they are in t.events.
func (b *builder) spanEvents(r *correlate.Rollout, n int) (lo, hi int) {
	lo = len(b.t.events)
	if b.v == nil {
		return lo, lo
	}
	from := int32(0)
	if n > 0 {
		from = b.slotEnd[n-1]
	}
	for _, i := range b.bySlot[from:b.slotEnd[n]] {
		b.event(int(r.Evidence[i].Row))
	}
	return lo, len(b.t.events)
}

// build fills b.t with the trace of rollout k.
func (b *builder) build(k int) *trace {
	r := &b.rollouts[k]
	t := &b.t
	t.reset()
	t.version = b.opts.Version
	b.buf = appendTraceKey(b.buf[:0], r)
	h := sha256.Sum256(b.buf)
	t.id = [16]byte(h[:16])
	path := append(b.buf[:0], t.id[:]...)
	root := spanIDOf(append(path, "\x00rollout"...))

	keys := b.kindKeys(r.Kind)
	if b.opts.ServiceName != "" {
		t.str(keyServiceName, b.opts.ServiceName)
	} else {
		t.join(keyServiceName, r.Namespace, r.Name)
	}
	t.str(keyClusterName, r.Cluster)
	t.str(keyNamespaceName, r.Namespace)
	t.str(keys.name, r.Name)
	if r.UID != "" {
		t.str(keys.uid, r.UID)
	}
	t.resHi = len(t.attrs)

	start, end := r.Interval()
	if b.v != nil {
		b.placeEvidence(r)
	}

	lo := len(t.attrs)
	t.str(keyOutcome, r.Outcome)
	t.integer(keySeq, int64(r.Seq))
	t.boolean(keyRollback, r.Rollback)
	t.integer(keyReplicas, int64(r.Replicas))
	if r.Revision != "" {
		t.str(keyRevision, r.Revision)
	}
	if r.NewReplicaSet != "" {
		t.str(keyReplicaSetName, r.NewReplicaSet)
	}
	if len(r.OldReplicaSets) > 0 {
		t.strs(keyOldReplicaSets, r.OldReplicaSets)
	}
	if r.Owner != "" {
		t.str(keyCronJobName, r.Owner)
	}
	if r.Partial {
		t.boolean(keyPartial, true)
		if r.PartialReason != "" {
			t.str(keyPartialReason, r.PartialReason)
		}
	}
	if r.FailureReason != "" {
		t.str(keyFailureReason, r.FailureReason)
	}
	if cp := r.CriticalPath; cp != nil && cp.Longest != "" {
		t.str(keyLongestPhase, cp.Longest)
		t.integer(keyLongestMillis, int64(cp.Phases.Seconds(cp.Longest)*1000))
	}
	if r.Trigger != nil {
		t.str(keyTriggerUser, r.Trigger.User)
		t.str(keyTriggerTime, r.Trigger.At.Format(time.RFC3339Nano))
		if r.Trigger.UserAgent != "" {
			t.str(keyUserAgent, r.Trigger.UserAgent)
		}
		if r.Trigger.AuditID != "" {
			// The API server's own spans carry the audit ID.
			t.str(keyAuditID, r.Trigger.AuditID)
		}
	}
	if len(r.Changes) > 0 {
		t.strs(keyChanges, r.Changes)
	}
	rs := span{id: root, name: "rollout", start: nanos(start), end: nanos(end), attrLo: lo, attrHi: len(t.attrs)}
	switch r.Outcome {
	case correlate.OutcomeFailed:
		rs.hasStatus, rs.code, rs.msg = true, statusError, cut(r.FailureReason)
	case correlate.OutcomeComplete:
		rs.hasStatus, rs.code = true, statusOK
	}
	rs.evLo, rs.evHi = b.spanEvents(r, 0)
	sortEvents(t.events[rs.evLo:rs.evHi])
	t.spans = append(t.spans, rs)

	// Scale steps: each an instant, the controller's write. A span that
	// lasted until the next step would hide the pods between them from
	// a trace viewer's critical path (Jaeger's follows the child that
	// finished last before each point): with instants, it follows the
	// same chain as the rollout's critical path, step, gating pod, step.
	gating, stepOn := r.CriticalPath.Marks(len(r.Steps))
	for i, s := range r.Steps {
		p := append(path, "\x00step\x00"...)
		p = strconv.AppendInt(p, int64(i), 10)
		lo := len(t.attrs)
		t.str(keyReplicaSetName, s.ReplicaSet)
		t.integer(keyReplicasFrom, int64(s.From))
		t.integer(keyReplicasTo, int64(s.To))
		if stepOn[i] {
			t.boolean(keyCriticalPath, true)
		}
		hi := len(t.attrs)
		evLo, evHi := b.spanEvents(r, 1+i)
		sortEvents(t.events[evLo:evHi])
		t.spans = append(t.spans, span{id: spanIDOf(p), parent: root, hasParent: true, name: "scale replicaset",
			start: nanos(s.At), end: nanos(s.At), attrLo: lo, attrHi: hi, evLo: evLo, evHi: evHi})
		path = p[:len(t.id)]
	}

	for i := range r.Pods {
		path = b.pod(path, root, r, i, end, gating[r.Pods[i].Name])
	}
	b.buf = path
	b.limitEvents()
	return t
}

// maxSpanJSON caps the OTLP JSON of one span, so that a span and its
// trace's resource (at most a few hundred KiB with every value at
// MaxValueBytes, all escaped) fit in a JSON line of MaxLineBytes; its
// protobuf is smaller. Spans are whole in a request, so this also bounds
// a request sent to a receiver (gRPC receivers take 4 MiB by default).
const maxSpanJSON = 768 << 10

// limitEvents keeps the span events of each span that fit in maxSpanJSON,
// in time order, and drops the later ones, counting them in the span's
// dropped_events_count as OpenTelemetry SDKs do beyond their event limit
// (the OTLP Span message). It sets the sizes (trace.sizes). The choice is
// made on the JSON, for both encodings, so that files in both encodings
// and the backfill hold the same spans.
func (b *builder) limitEvents() {
	t := &b.t
	t.sizes()
	hex.Encode(t.hex[:], t.id[:])
	changed := false
	for i := range t.spans {
		s := &t.spans[i]
		// The JSON of a span is at most about 6 times its protobuf (a
		// byte escaped as \u00XX): only large spans are measured.
		if s.size <= maxSpanJSON/8 || s.evHi == s.evLo {
			continue
		}
		evHi := s.evHi
		s.evHi = s.evLo
		b.js = t.appendJSONSpan(b.js[:0], i)
		n := len(b.js) + len(`,"events":[]`) + len(`,"droppedEventsCount":4294967295`)
		keep := s.evLo
		for j := s.evLo; j < evHi; j++ {
			b.js = t.appendJSONEvent(b.js[:0], j)
			if n+len(b.js)+1 > maxSpanJSON {
				break
			}
			n += len(b.js) + 1
			keep = j + 1
		}
		s.evHi = keep
		if keep < evHi {
			s.dropped = uint32(evHi - keep)
			t.dropped += evHi - keep
			changed = true
		}
	}
	if changed {
		t.sizes()
	}
}

// pod adds a pod's span and its phase spans, marked when the pod gates
// the rollout's critical path. path holds the trace ID and is returned,
// perhaps grown, for reuse.
func (b *builder) pod(path []byte, root [8]byte, r *correlate.Rollout, k int, end time.Time, gating bool) []byte {
	p := &r.Pods[k]
	start, podEnd, ok := p.Interval(end)
	if !ok {
		return path
	}
	t := &b.t
	pp := append(path, "\x00pod\x00"...)
	pp = append(pp, p.Name...)
	pp = append(pp, 0)
	pp = append(pp, p.UID...)
	pp = append(pp, 0)
	pp = p.Created.AppendFormat(pp, time.RFC3339Nano)
	id := spanIDOf(pp)
	lo := len(t.attrs)
	t.str(keyPodName, p.Name)
	if p.UID != "" {
		t.str(keyPodUID, p.UID)
	}
	if p.Node != "" {
		t.str(keyNodeName, p.Node)
	}
	if p.ReplicaSet != "" {
		t.str(keyReplicaSetName, p.ReplicaSet)
	}
	if p.Restarts > 0 {
		t.integer(keyRestartCount, int64(p.Restarts))
	}
	if gating {
		t.boolean(keyCriticalPath, true)
	}
	var msg string
	if len(p.Warnings) > 0 {
		b.sigs = b.sigs[:0]
		for sig := range p.Warnings {
			b.sigs = append(b.sigs, sig)
		}
		slices.Sort(b.sigs)
		if msg = strings.Join(b.sigs, ", "); len(msg) > MaxValueBytes {
			t.integer(keyStatusTruncated, int64(len(msg)))
			t.truncated++
			msg = cut(msg)
		}
	}
	s := span{id: id, parent: root, hasParent: true, name: "pod", start: nanos(start), end: nanos(podEnd), attrLo: lo, attrHi: len(t.attrs)}
	if len(p.Warnings) > 0 {
		s.hasStatus, s.code, s.msg = true, statusError, msg
	}
	s.evLo, s.evHi = b.spanEvents(r, 1+len(r.Steps)+k)
	t.spans = append(t.spans, s)
	n := len(pp)
	for k, name := range phaseNames {
		from, to, ok := p.Phase(k)
		if !ok {
			continue
		}
		pp = append(append(pp[:n], 0), name...)
		lo := len(t.attrs)
		t.str(keyPodName, p.Name)
		t.spans = append(t.spans, span{id: spanIDOf(pp), parent: id, hasParent: true, name: name,
			start: nanos(from), end: nanos(to), attrLo: lo, attrHi: len(t.attrs)})
	}
	return pp[:len(path)]
}

// phaseNames are the phase spans' names, by correlate's phase numbers.
var phaseNames = [correlate.NumPhases]string{
	correlate.PhaseScheduling: "schedule", correlate.PhaseImagePull: "pull image",
	correlate.PhaseContainerStart: "start container", correlate.PhaseReadiness: "readiness",
}

// event adds row i of the event table as a span event: name = reason,
// with message, type, count and the source.
func (b *builder) event(i int) {
	t, v := &b.t, b.v
	reason := v.Str(load.ColReason, i)
	lo := len(t.attrs)
	t.str(keyEventReason, reason)
	t.str(keyEventMessage, v.Str(load.ColMessage, i))
	t.str(keyEventType, v.Str(load.ColType, i))
	t.source(keySource, v.Str(load.ColSourceFile, i), v.Int64(load.ColSourceLine, i))
	if c, ok := v.Int32(load.ColCount, i); ok {
		t.integer(keyEventCount, int64(c))
	}
	if n := v.Str(load.ColName, i); n != "" {
		t.str(keyEventName, n)
	}
	t.events = append(t.events, event{time: uint64(v.Time(load.ColTime, i)), name: cut(reason), attrLo: lo, attrHi: len(t.attrs)})
}

func sortEvents(evs []event) {
	slices.SortStableFunc(evs, func(a, b event) int {
		switch {
		case a.time < b.time:
			return -1
		case a.time > b.time:
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
}
