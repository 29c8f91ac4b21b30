package load

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// refBatch is Batch as it was on Arrow's builders, the reference the
// Batch of columns.go is compared with.
type refBatch struct {
	b *array.RecordBuilder

	dict [NumColumns]*array.BinaryDictionaryBuilder
	str  [NumColumns]*array.StringBuilder
	i32  [NumColumns]*array.Int32Builder
	i64  [NumColumns]*array.Int64Builder
	ts   [NumColumns]*array.TimestampBuilder
	bl   *array.BooleanBuilder
}

func newRefBatch(mem memory.Allocator, schema *arrow.Schema) *refBatch {
	b := &refBatch{b: array.NewRecordBuilder(mem, schema)}
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
func (b *refBatch) Len() int { return b.b.Field(0).Len() }

// Release frees the builders.
func (b *refBatch) Release() { b.b.Release() }

// NewRecord returns the rows appended so far as a record and resets the
// batch. The caller owns the record.
func (b *refBatch) NewRecord() arrow.Record { return b.b.NewRecord() }

func (b *refBatch) putDict(col int, v []byte) {
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

func (b *refBatch) putDictString(col int, v string) {
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

func (b *refBatch) putStr(col int, v []byte) {
	if len(v) == 0 {
		b.str[col].AppendNull()
		return
	}
	b.str[col].BinaryBuilder.Append(v)
}

func (b *refBatch) putTime(col int, ns int64) {
	if ns == 0 {
		b.ts[col].AppendNull()
		return
	}
	b.ts[col].Append(arrow.Timestamp(ns))
}

func (b *refBatch) putCount(col int, v int32, ok bool) {
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
func (b *refBatch) Append(r *EventRow, p *Provenance) {
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

// Batch gives the records Arrow's builders give (refBatch), in both
// schemas, dictionaries in the same order, over several records of one
// batch (sized from the last) and an empty one.
func TestBatchMatchesBuilders(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	pick := func(vs ...string) []byte {
		if s := vs[rng.IntN(len(vs))]; s != "" {
			return []byte(s)
		}
		return nil
	}
	long := strings.Repeat("a long message ", 300)
	for _, schema := range []*arrow.Schema{EventSchema, DecodeSchema} {
		b, ref := newBatch(mem, schema), newRefBatch(mem, schema)
		for rec, n := range []int{1000, 0, 1, 5000, 900, 3} {
			for i := 0; i < n; i++ {
				r := EventRow{
					API:                 []string{APICoreV1, APIEventsV1, APIAudit}[rng.IntN(3)],
					Cluster:             pick("", "", "c9"),
					Namespace:           pick("", "shop", "kube-system", "web"),
					Name:                []byte(fmt.Sprintf("web-%d.%x", rng.IntN(50), rng.Int64N(1<<60))),
					UID:                 pick("", "u1", "u2", "u3"),
					ResourceVersion:     pick("", "17", "123456"),
					Object:              ObjectRef{Kind: pick("", "Pod", "ReplicaSet"), APIVersion: pick("", "v1", "apps/v1"), Namespace: pick("", "shop"), Name: pick("", "web-1", "web-2"), UID: pick("", "o1"), FieldPath: pick("", "spec.containers{web}")},
					Owner:               ObjectRef{Kind: pick("", "ReplicaSet"), Name: pick("", "web-7d"), UID: pick("", "o2")},
					Related:             ObjectRef{Kind: pick("", "Node"), Namespace: pick("", "x"), Name: pick("", "node-1"), UID: pick("", "o3")},
					Reason:              pick("", "Scheduled", "Pulled", "Created", "Started"),
					Message:             pick("", "a message", long),
					Type:                pick("", "Normal", "Warning"),
					Action:              pick("", "Binding"),
					ReportingController: pick("", "kubelet"),
					ReportingInstance:   pick("", "node-1"),
					SourceComponent:     pick("", "default-scheduler"),
					SourceHost:          pick("", "node-2"),
					Count:               int32(rng.IntN(5)), HasCount: rng.IntN(2) == 0,
					SeriesCount: int32(rng.IntN(5)), HasSeriesCount: rng.IntN(3) == 0,
					First:      int64(rng.IntN(3)) * 1e9,
					Last:       int64(rng.IntN(3)) * 1e9,
					EventTime:  int64(rng.IntN(2)) * 5e9,
					SeriesLast: int64(rng.IntN(2)) * 7e9,
					Created:    int64(rng.IntN(2)) * 3e9,
				}
				p := Provenance{Cluster: string(pick("", "c1", "c2")), Format: string(pick("watch", "k8s-list")), File: string(pick("a.json", "b.json")), Line: int64(i), Offset: int64(100 * i)}
				b.Append(&r, &p)
				ref.Append(&r, &p)
			}
			if b.Len() != n {
				t.Fatalf("Len %d, want %d", b.Len(), n)
			}
			got, want := b.NewRecord(), ref.NewRecord()
			if !got.Schema().Equal(want.Schema()) || got.NumRows() != want.NumRows() {
				t.Fatalf("record %d: %v rows %d, want %v rows %d", rec, got.Schema(), got.NumRows(), want.Schema(), want.NumRows())
			}
			gv, wv := NewView(got), NewView(want)
			for c := 0; c < NumColumns; c++ {
				g, w := got.Column(c), want.Column(c)
				name := schema.Field(c).Name
				if g.NullN() != w.NullN() {
					t.Errorf("record %d: column %s: %d nulls, want %d", rec, name, g.NullN(), w.NullN())
				}
				gd, ok := g.(*array.Dictionary)
				if !ok {
					if !array.Equal(g, w) {
						t.Errorf("record %d: column %s: got %v, want %v", rec, name, g, w)
					}
					continue
				}
				// Arrow's dictionary builder keeps its values from record
				// to record; a Batch starts each record afresh, with the
				// values in order of first use.
				var order []string
				seen := map[string]bool{}
				for i := 0; i < gv.Len(); i++ {
					if gs, ws := gv.Str(c, i), wv.Str(c, i); gs != ws || gd.IsNull(i) != w.IsNull(i) {
						t.Fatalf("record %d: column %s row %d: %q, want %q", rec, name, i, gs, ws)
					}
					if s := gv.Str(c, i); s != "" && !seen[s] {
						seen[s] = true
						order = append(order, s)
					}
				}
				dict := gd.Dictionary().(*array.String)
				if dict.Len() != len(order) {
					t.Fatalf("record %d: column %s: dictionary %v, want %q", rec, name, dict, order)
				}
				for i, s := range order {
					if dict.Value(i) != s {
						t.Fatalf("record %d: column %s: dictionary %v, want %q", rec, name, dict, order)
					}
				}
			}
			got.Release()
			want.Release()
		}
		b.Release()
		ref.Release()
	}
}
