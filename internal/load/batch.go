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
	mem    memory.Allocator
	schema *arrow.Schema
	rows   int
	cap    int // rows every column has room for
	cols   [NumColumns]builder

	// The rows and string bytes of the last record, to size the builders
	// of the next one on its first row: batches of one decoder are alike,
	// and buffers that grow by doubling copy themselves each time.
	last struct {
		rows  int
		bytes [NumColumns]int
	}
}

// NewBatch returns an empty batch of EventSchema allocating from mem.
// Release it when done.
func NewBatch(mem memory.Allocator) *Batch { return newBatch(mem, EventSchema) }

// NewDecodeBatch returns a batch of DecodeSchema, EventSchema with plain
// strings instead of dictionaries.
func NewDecodeBatch(mem memory.Allocator) *Batch { return newBatch(mem, DecodeSchema) }

func newBatch(mem memory.Allocator, schema *arrow.Schema) *Batch {
	b := &Batch{mem: mem, schema: schema}
	for i := 0; i < NumColumns; i++ {
		c := &b.cols[i]
		c.typ = schema.Field(i).Type
		switch c.typ.(type) {
		case *arrow.DictionaryType:
			c.kind = kindDict
			c.dict = &dictMemo{idx: map[string]int32{}, values: array.NewStringBuilder(mem), lastK: -1}
		case *arrow.StringType:
			c.kind = kindStr
		case *arrow.Int32Type:
			c.kind = kindInt32
		case *arrow.Int64Type:
			c.kind = kindInt64
		case *arrow.TimestampType:
			c.kind = kindTime
		case *arrow.BooleanType:
			c.kind = kindBool
		}
	}
	return b
}

// Len is the number of rows appended since the last NewRecord.
func (b *Batch) Len() int { return b.rows }

// Release frees the builders.
func (b *Batch) Release() {
	for i := range b.cols {
		b.cols[i].release()
	}
	b.rows, b.cap = 0, 0
}

// NewRecord returns the rows appended so far as a record and resets the
// batch. The caller owns the record.
func (b *Batch) NewRecord() arrow.Record {
	b.last.rows = b.rows
	cols := make([]arrow.Array, NumColumns)
	for i := range b.cols {
		c := &b.cols[i]
		b.last.bytes[i] = c.data.n
		cols[i] = c.array(b.mem, b.rows)
	}
	rec := array.NewRecord(b.schema, cols, int64(b.rows))
	for _, c := range cols {
		c.Release()
	}
	b.rows, b.cap = 0, 0
	return rec
}

// grow makes room for one more row: on the first row as many rows and
// bytes as the last record had, with some slack, else twice the rows.
func (b *Batch) grow() {
	slack := func(n int) int { return n + n/16 }
	rows := max(2*b.cap, 256)
	if b.rows == 0 && b.last.rows > 0 {
		rows = max(rows, slack(b.last.rows))
	}
	for i := range b.cols {
		bytes := 0
		if b.rows == 0 {
			bytes = slack(b.last.bytes[i])
		}
		b.cols[i].grow(b.mem, rows, bytes)
	}
	b.cap = rows
}

func (b *Batch) putDict(col int, v []byte) {
	c := &b.cols[col]
	if c.kind == kindStr {
		c.str(b.mem, b.rows, v)
		return
	}
	c.dictionary(b.rows, v)
}

func (b *Batch) putDictString(col int, v string) {
	b.putDict(col, unsafe.Slice(unsafe.StringData(v), len(v)))
}

func (b *Batch) putStr(col int, v []byte) { b.cols[col].str(b.mem, b.rows, v) }

func (b *Batch) putTime(col int, ns int64) { b.cols[col].time(b.rows, ns) }

func (b *Batch) putCount(col int, v int32, ok bool) { b.cols[col].i32(b.rows, v, ok) }

// Append adds one observation. It fills derived columns: the reporting
// controller and instance fall back to source.component and source.host;
// first_time is refined from the event name (see NameTime); time is the
// observation time (see ObservedTime).
func (b *Batch) Append(r *EventRow, p *Provenance) {
	if b.rows == b.cap {
		b.grow()
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
	b.cols[ColSourceLine].putI64(b.rows, p.Line)
	b.cols[ColSourceOffset].putI64(b.rows, p.Offset)
	b.cols[ColLatest].bool(b.rows, false)
	b.cols[ColDuplicates].i32(b.rows, 0, true)
	b.rows++
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
