package load

import (
	"bytes"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// ObjectRef is a reference to a Kubernetes object as events carry it.
type ObjectRef struct {
	Kind, APIVersion, Namespace, Name, UID, FieldPath []byte
}

// EventRow is one decoded event observation, as decoders hand it to a
// Batch. Byte slices may alias the decoder's input and are only valid until
// the decoder's next record: Batch.Append copies them. Times are Unix
// nanoseconds; 0 means unset.
type EventRow struct {
	API       string // APICoreV1, APIEventsV1 or APIAudit
	Cluster   []byte // cluster named by the record itself (event-exporter's clusterName)
	Namespace []byte
	Name      []byte
	UID       []byte

	ResourceVersion []byte
	Object          ObjectRef
	Owner           ObjectRef // controller owner of the involved object, when the exporter looked it up
	Related         ObjectRef

	Reason, Message, Type, Action []byte

	ReportingController, ReportingInstance []byte
	SourceComponent, SourceHost            []byte

	Count, SeriesCount       int32
	HasCount, HasSeriesCount bool

	First, Last, EventTime, SeriesLast, Created int64
}

// Reset clears r for reuse.
func (r *EventRow) Reset() { *r = EventRow{} }

// Provenance says where a record came from.
type Provenance struct {
	Cluster string // cluster of the input (path segment, --cluster or "default")
	Format  string // detected input format
	File    string
	Line    int64 // 1-based; 0 when unknown
	Offset  int64 // byte offset of the record in the decompressed stream
}

// Batch accumulates event rows into Arrow columns.
type Batch struct {
	b *array.RecordBuilder

	dict [NumColumns]*array.BinaryDictionaryBuilder
	str  [NumColumns]*array.StringBuilder
	i32  [NumColumns]*array.Int32Builder
	i64  [NumColumns]*array.Int64Builder
	ts   [NumColumns]*array.TimestampBuilder
	bl   *array.BooleanBuilder

	// The rows and string bytes of the last record, to size the builders
	// of the next one on its first row: batches of one decoder are alike,
	// and builders that grow by doubling copy their buffers each time.
	last struct {
		rows  int
		bytes [NumColumns]int
	}
}

// NewBatch returns an empty batch of EventSchema allocating from mem.
// Release it when done.
func NewBatch(mem memory.Allocator) *Batch { return newBatch(mem, EventSchema) }

// NewDecodeBatch returns a batch for decoders: DecodeSchema, EventSchema with
// plain strings instead of dictionaries, which are cheaper to append to;
// the merged table is dictionary-encoded once (Take).
func NewDecodeBatch(mem memory.Allocator) *Batch { return newBatch(mem, DecodeSchema) }

func newBatch(mem memory.Allocator, schema *arrow.Schema) *Batch {
	b := &Batch{b: array.NewRecordBuilder(mem, schema)}
	for i := 0; i < NumColumns; i++ {
		switch fb := b.b.Field(i).(type) {
		case *array.BinaryDictionaryBuilder:
			b.dict[i] = fb
		case *array.StringBuilder:
			b.str[i] = fb
		case *array.Int32Builder:
			b.i32[i] = fb
		case *array.Int64Builder:
			b.i64[i] = fb
		case *array.TimestampBuilder:
			b.ts[i] = fb
		case *array.BooleanBuilder:
			b.bl = fb
		}
	}
	return b
}

// Len is the number of rows appended since the last NewRecord.
func (b *Batch) Len() int { return b.b.Field(0).Len() }

// Release frees the builders.
func (b *Batch) Release() { b.b.Release() }

// NewRecord returns the rows appended so far as a record and resets the
// batch. The caller owns the record.
func (b *Batch) NewRecord() arrow.Record {
	b.last.rows = b.Len()
	for col, sb := range b.str {
		if sb != nil {
			b.last.bytes[col] = sb.DataLen()
		}
	}
	return b.b.NewRecord()
}

// reserve sizes the empty builders for a record like the last one, with
// some slack.
func (b *Batch) reserve() {
	slack := func(n int) int { return n + n/16 }
	b.b.Reserve(slack(b.last.rows))
	for col, sb := range b.str {
		if sb != nil && b.last.bytes[col] > 0 {
			sb.ReserveData(slack(b.last.bytes[col]))
		}
	}
}

func (b *Batch) putDict(col int, v []byte) {
	if b.dict[col] == nil {
		b.putStr(col, v)
		return
	}
	if len(v) == 0 {
		b.dict[col].AppendNull()
		return
	}
	_ = b.dict[col].Append(v)
}

func (b *Batch) putDictString(col int, v string) {
	if b.dict[col] == nil {
		if v == "" {
			b.str[col].AppendNull()
		} else {
			b.str[col].Append(v)
		}
		return
	}
	if v == "" {
		b.dict[col].AppendNull()
		return
	}
	// AppendString would copy v into a new []byte first.
	_ = b.dict[col].Append(unsafe.Slice(unsafe.StringData(v), len(v)))
}

func (b *Batch) putStr(col int, v []byte) {
	if len(v) == 0 {
		b.str[col].AppendNull()
		return
	}
	b.str[col].BinaryBuilder.Append(v)
}

func (b *Batch) putTime(col int, ns int64) {
	if ns == 0 {
		b.ts[col].AppendNull()
		return
	}
	b.ts[col].Append(arrow.Timestamp(ns))
}

func (b *Batch) putCount(col int, v int32, ok bool) {
	if !ok {
		b.i32[col].AppendNull()
		return
	}
	b.i32[col].Append(v)
}

// Append adds one observation. It fills derived columns: the reporting
// controller and instance fall back to source.component and source.host;
// first_time is refined from the event name (see NameTime); time is the
// observation time (see ObservedTime).
func (b *Batch) Append(r *EventRow, p *Provenance) {
	if b.last.rows > 0 && b.bl.Len() == 0 {
		b.reserve()
	}
	cluster := p.Cluster
	if len(r.Cluster) > 0 && p.Cluster == "" {
		cluster = unsafeString(r.Cluster)
	}
	b.putDictString(ColCluster, ClusterOrDefault(cluster))
	b.putDict(ColNamespace, r.Namespace)
	b.putStr(ColName, r.Name)
	b.putStr(ColUID, r.UID)
	b.putStr(ColResourceVersion, r.ResourceVersion)
	b.putDict(ColObjectKind, r.Object.Kind)
	b.putDict(ColObjectAPIVersion, r.Object.APIVersion)
	b.putDict(ColObjectNamespace, r.Object.Namespace)
	b.putStr(ColObjectName, r.Object.Name)
	b.putStr(ColObjectUID, r.Object.UID)
	b.putStr(ColObjectFieldPath, r.Object.FieldPath)
	b.putDict(ColOwnerKind, r.Owner.Kind)
	b.putStr(ColOwnerName, r.Owner.Name)
	b.putStr(ColOwnerUID, r.Owner.UID)
	b.putDict(ColRelatedKind, r.Related.Kind)
	b.putDict(ColRelatedNamespace, r.Related.Namespace)
	b.putStr(ColRelatedName, r.Related.Name)
	b.putStr(ColRelatedUID, r.Related.UID)
	b.putDict(ColReason, r.Reason)
	b.putStr(ColMessage, r.Message)
	b.putDict(ColType, r.Type)
	b.putDict(ColAction, r.Action)
	rc, ri := r.ReportingController, r.ReportingInstance
	if len(rc) == 0 {
		rc = r.SourceComponent
	}
	if len(ri) == 0 {
		ri = r.SourceHost
	}
	b.putDict(ColReportingController, rc)
	b.putDict(ColReportingInstance, ri)
	b.putCount(ColCount, r.Count, r.HasCount)
	b.putCount(ColSeriesCount, r.SeriesCount, r.HasSeriesCount)
	first := RefineFirst(r.Name, r.First)
	b.putTime(ColFirstTime, first)
	b.putTime(ColLastTime, r.Last)
	b.putTime(ColEventTime, r.EventTime)
	b.putTime(ColSeriesLastTime, r.SeriesLast)
	b.putTime(ColCreatedTime, r.Created)
	b.putTime(ColTime, ObservedTime(first, r.Last, r.EventTime, r.SeriesLast, r.Created))
	b.putDictString(ColAPI, r.API)
	b.putDictString(ColSourceFormat, p.Format)
	b.putDictString(ColSourceFile, p.File)
	b.i64[ColSourceLine].Append(p.Line)
	b.i64[ColSourceOffset].Append(p.Offset)
	b.bl.Append(false)
	b.i32[ColDuplicates].Append(0)
}

// DefaultCluster names the cluster of inputs that name none.
const DefaultCluster = "default"

// NameTime returns the creation time encoded in an event name. client-go's
// recorders (tools/record/event.go and tools/events/event_recorder.go) name
// events fmt.Sprintf("%v.%x", object name, t.UnixNano()), taking t from the
// same clock reading as firstTimestamp or eventTime.
func NameTime(name []byte) (int64, bool) {
	dot := bytes.LastIndexByte(name, '.')
	if dot < 0 || len(name)-dot-1 < 15 || len(name)-dot-1 > 16 {
		return 0, false
	}
	var v uint64
	for _, c := range name[dot+1:] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(c)
	}
	if v > 1<<62 {
		return 0, false
	}
	return int64(v), true
}

// RefineFirst returns the first-seen time at the best precision available.
// firstTimestamp has whole seconds; when the name encodes a time within the
// same second (allowing 1s of slack for a recorder that read the clock
// twice), the name's nanoseconds are used. Otherwise first is returned as
// is.
func RefineFirst(name []byte, first int64) int64 {
	if first == 0 || first%1e9 != 0 {
		return first // unset or already sub-second
	}
	nt, ok := NameTime(name)
	if !ok || nt < first-1e9 || nt >= first+2e9 {
		return first
	}
	return nt
}

// ObservedTime is the time of an observation, in the order kubectl uses to
// sort events (series.lastObservedTime, lastTimestamp, eventTime), falling
// back to first_time and creationTimestamp. When lastTimestamp is the whole
// second of a refined first_time, the refined time is used.
func ObservedTime(first, last, eventTime, seriesLast, created int64) int64 {
	switch {
	case seriesLast != 0:
		return seriesLast
	case last != 0:
		if first != 0 && last == first-first%1e9 {
			return first
		}
		return last
	case eventTime != 0:
		return eventTime
	case first != 0:
		return first
	}
	return created
}

func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
