package load

import (
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// View reads the columns of an event table record without allocating.
// Strings returned alias the record's buffers: they are valid while the
// record is.
type View struct {
	Rec  arrow.Record
	cols [NumColumns]column
}

type column struct {
	dict    *array.Dictionary
	dictIdx []int32 // dict's indices (EventSchema's are int32), nil otherwise
	dictStr *array.String
	str     *array.String
	i32     *array.Int32
	i64     *array.Int64
	ts      *array.Timestamp
	bl      *array.Boolean
}

// NewView wraps rec, which must have EventSchema or DecodeSchema.
func NewView(rec arrow.Record) *View {
	v := &View{Rec: rec}
	for i := 0; i < NumColumns; i++ {
		c := &v.cols[i]
		switch a := rec.Column(i).(type) {
		case *array.Dictionary:
			c.dict = a
			c.dictStr = a.Dictionary().(*array.String)
			if idx, ok := a.Indices().(*array.Int32); ok {
				c.dictIdx = idx.Int32Values()
			}
		case *array.String:
			c.str = a
		case *array.Int32:
			c.i32 = a
		case *array.Int64:
			c.i64 = a
		case *array.Timestamp:
			c.ts = a
		case *array.Boolean:
			c.bl = a
		}
	}
	return v
}

// Len is the number of rows.
func (v *View) Len() int { return int(v.Rec.NumRows()) }

// DictIndex returns the dictionary index of a dictionary-encoded column's
// value at row i: equal indices are equal strings. It is -1 for null and
// -2 when the column is not dictionary-encoded (DecodeSchema).
func (v *View) DictIndex(col, i int) int {
	c := &v.cols[col]
	if c.dict == nil {
		return -2
	}
	if c.dict.IsNull(i) {
		return -1
	}
	if c.dictIdx != nil {
		return int(c.dictIdx[i])
	}
	return c.dict.GetValueIndex(i)
}

// Str returns a string column's value; "" for null.
func (v *View) Str(col, i int) string {
	c := &v.cols[col]
	if c.dict != nil {
		if c.dict.IsNull(i) {
			return ""
		}
		if c.dictIdx != nil {
			return c.dictStr.Value(int(c.dictIdx[i]))
		}
		return c.dictStr.Value(c.dict.GetValueIndex(i))
	}
	if c.str.IsNull(i) {
		return ""
	}
	return c.str.Value(i)
}

// Bytes is Str as a byte slice aliasing the record (do not modify).
func (v *View) Bytes(col, i int) []byte {
	s := v.Str(col, i)
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// Int32 returns an int32 column's value and whether it is set.
func (v *View) Int32(col, i int) (int32, bool) {
	c := &v.cols[col]
	if c.i32.IsNull(i) {
		return 0, false
	}
	return c.i32.Value(i), true
}

// Int64 returns an int64 column's value.
func (v *View) Int64(col, i int) int64 { return v.cols[col].i64.Value(i) }

// Time returns a timestamp column's value in Unix nanoseconds; 0 for null.
func (v *View) Time(col, i int) int64 {
	c := &v.cols[col]
	if c.ts.IsNull(i) {
		return 0
	}
	return int64(c.ts.Value(i))
}

// Bool returns a boolean column's value.
func (v *View) Bool(col, i int) bool { return v.cols[col].bl.Value(i) }

// AppendFrom copies row i of src into the batch, setting latest and
// duplicates. Take does the same for many rows at once, column by column.
func (b *Batch) AppendFrom(src *View, i int, latest bool, duplicates int32) {
	if b.rows == b.cap {
		b.grow()
	}
	for col := 0; col < NumColumns; col++ {
		c := &b.cols[col]
		switch {
		case col == ColLatest:
			c.bool(b.rows, latest)
		case col == ColDuplicates:
			c.i32(b.rows, duplicates, true)
		case c.kind == kindDict || c.kind == kindStr:
			b.putDictString(col, src.Str(col, i))
		case c.kind == kindInt32:
			v, ok := src.Int32(col, i)
			c.i32(b.rows, v, ok)
		case c.kind == kindInt64:
			c.putI64(b.rows, src.Int64(col, i))
		case c.kind == kindTime:
			c.time(b.rows, src.Time(col, i))
		}
	}
	b.rows++
}

// Row fills r with row i of the view (byte slices alias the view's record).
func (v *View) Row(i int, r *EventRow) {
	r.Reset()
	r.API = v.Str(ColAPI, i)
	r.Namespace = v.Bytes(ColNamespace, i)
	r.Name = v.Bytes(ColName, i)
	r.UID = v.Bytes(ColUID, i)
	r.ResourceVersion = v.Bytes(ColResourceVersion, i)
	r.Object = ObjectRef{Kind: v.Bytes(ColObjectKind, i), APIVersion: v.Bytes(ColObjectAPIVersion, i), Namespace: v.Bytes(ColObjectNamespace, i),
		Name: v.Bytes(ColObjectName, i), UID: v.Bytes(ColObjectUID, i), FieldPath: v.Bytes(ColObjectFieldPath, i)}
	r.Owner = ObjectRef{Kind: v.Bytes(ColOwnerKind, i), Name: v.Bytes(ColOwnerName, i), UID: v.Bytes(ColOwnerUID, i)}
	r.Related = ObjectRef{Kind: v.Bytes(ColRelatedKind, i), Namespace: v.Bytes(ColRelatedNamespace, i), Name: v.Bytes(ColRelatedName, i), UID: v.Bytes(ColRelatedUID, i)}
	r.Reason = v.Bytes(ColReason, i)
	r.Message = v.Bytes(ColMessage, i)
	r.Type = v.Bytes(ColType, i)
	r.Action = v.Bytes(ColAction, i)
	r.ReportingController = v.Bytes(ColReportingController, i)
	r.ReportingInstance = v.Bytes(ColReportingInstance, i)
	r.Count, r.HasCount = v.Int32(ColCount, i)
	r.SeriesCount, r.HasSeriesCount = v.Int32(ColSeriesCount, i)
	r.First = v.Time(ColFirstTime, i)
	r.Last = v.Time(ColLastTime, i)
	r.EventTime = v.Time(ColEventTime, i)
	r.SeriesLast = v.Time(ColSeriesLastTime, i)
	r.Created = v.Time(ColCreatedTime, i)
}
