package load

import (
	"math"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// RowAt names row Row of view Batch in a Take.
type RowAt struct{ Batch, Row int32 }

// Take returns a record of schema (EventSchema or DecodeSchema) holding the
// rows at of views, in that order, with the values Batch.AppendFrom would
// append (empty strings and zero times become null). latest and dups, when
// not nil, give each row's latest and duplicates columns (len(at) each);
// else they are the source rows'. The caller owns the record.
//
// It builds each column in one pass: strings are copied into a buffer sized
// once, and a dictionary column maps each source dictionary index, or each
// distinct plain string, to its output index once, so the output's
// dictionaries hold the values in order of first use, as a
// BinaryDictionaryBuilder fed row by row would.
func Take(mem memory.Allocator, schema *arrow.Schema, views []*View, at []RowAt, latest []bool, dups []int32) arrow.Record {
	n := len(at)
	cols := make([]arrow.Array, NumColumns)
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	t := taker{mem: mem, views: views, at: at}
	for col := 0; col < NumColumns; col++ {
		typ := schema.Field(col).Type
		switch {
		case col == ColLatest:
			cols[col] = t.latest(latest)
		case col == ColDuplicates:
			cols[col] = t.dups(dups)
		default:
			switch tt := typ.(type) {
			case *arrow.DictionaryType:
				cols[col] = t.dict(col, tt)
			case *arrow.StringType:
				cols[col] = t.str(col)
			case *arrow.Int32Type:
				cols[col] = t.i32(col)
			case *arrow.Int64Type:
				cols[col] = t.i64(col)
			case *arrow.TimestampType:
				cols[col] = t.ts(col, tt)
			}
		}
	}
	return array.NewRecord(schema, cols, int64(n))
}

type taker struct {
	mem   memory.Allocator
	views []*View
	at    []RowAt
}

func (t *taker) buffer(size int) *memory.Buffer {
	b := memory.NewResizableBuffer(t.mem)
	b.Resize(size)
	return b
}

// bitmap is a validity bitmap of len(t.at) bits, all clear.
func (t *taker) bitmap() *memory.Buffer {
	b := t.buffer(int(bitutil.BytesForBits(int64(len(t.at)))))
	clear(b.Bytes())
	return b
}

// makeArray wraps buffers as an array of typ, releasing them (the array
// holds them). A validity bitmap without nulls is dropped.
func makeArray(typ arrow.DataType, n, nulls int, bufs ...*memory.Buffer) arrow.Array {
	if nulls == 0 && bufs[0] != nil {
		bufs[0].Release()
		bufs[0] = nil
	}
	d := array.NewData(typ, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	a := array.MakeFromData(d)
	d.Release()
	return a
}

// str returns the string values of col, null for empty ones.
func (t *taker) str(col int) arrow.Array {
	size := 0
	for _, r := range t.at {
		size += len(t.views[r.Batch].Str(col, int(r.Row)))
	}
	if size > math.MaxInt32 {
		// Beyond what int32 offsets address: let the builder fail as it
		// would have.
		return t.strBuilder(col)
	}
	valid, offs, data := t.bitmap(), t.buffer(4*(len(t.at)+1)), t.buffer(size)
	vb, ob, db := valid.Bytes(), arrow.Int32Traits.CastFromBytes(offs.Bytes()), data.Bytes()
	pos, nulls := 0, 0
	ob[0] = 0
	for i, r := range t.at {
		s := t.views[r.Batch].Str(col, int(r.Row))
		if s == "" {
			nulls++
		} else {
			bitutil.SetBit(vb, i)
			pos += copy(db[pos:], s)
		}
		ob[i+1] = int32(pos)
	}
	return makeArray(arrow.BinaryTypes.String, len(t.at), nulls, valid, offs, data)
}

func (t *taker) strBuilder(col int) arrow.Array {
	b := array.NewStringBuilder(t.mem)
	defer b.Release()
	for _, r := range t.at {
		if s := t.views[r.Batch].Str(col, int(r.Row)); s == "" {
			b.AppendNull()
		} else {
			b.Append(s)
		}
	}
	return b.NewArray()
}

// dict returns col dictionary-encoded, null for empty values.
func (t *taker) dict(col int, typ *arrow.DictionaryType) arrow.Array {
	memo := map[string]int32{}
	values := array.NewStringBuilder(t.mem)
	defer values.Release()
	lookup := func(s string) int32 {
		if k, ok := memo[s]; ok {
			return k
		}
		k := int32(len(memo))
		memo[s] = k
		values.Append(s)
		return k
	}
	// remap[b][d] is the output index of source dictionary index d of
	// view b, plus one; 0 until first use.
	remap := make([][]int32, len(t.views))
	valid, idx := t.bitmap(), t.buffer(4*len(t.at))
	vb, ib := valid.Bytes(), arrow.Int32Traits.CastFromBytes(idx.Bytes())
	nulls := 0
	lastS, lastK := "", int32(-1)
	for i, r := range t.at {
		v := t.views[r.Batch]
		c := &v.cols[col]
		var k int32
		switch {
		case c.dictIdx != nil:
			if c.dict.IsNull(int(r.Row)) {
				k = -1
				break
			}
			d := c.dictIdx[r.Row]
			m := remap[r.Batch]
			if m == nil {
				m = make([]int32, c.dictStr.Len())
				remap[r.Batch] = m
			}
			if k = m[d] - 1; k < 0 {
				if s := c.dictStr.Value(int(d)); s == "" {
					m[d] = 0 // null, looked up each time: rare
				} else {
					k = lookup(s)
					m[d] = k + 1
				}
			}
		default:
			s := v.Str(col, int(r.Row))
			switch {
			case s == "":
				k = -1
			case s == lastS && lastK >= 0:
				k = lastK
			default:
				k = lookup(s)
				lastS, lastK = s, k
			}
		}
		if k < 0 {
			nulls++
			ib[i] = 0
			continue
		}
		bitutil.SetBit(vb, i)
		ib[i] = k
	}
	indices := makeArray(typ.IndexType, len(t.at), nulls, valid, idx)
	defer indices.Release()
	dict := values.NewArray()
	defer dict.Release()
	return array.NewDictionaryArray(typ, indices, dict)
}

func (t *taker) i32(col int) arrow.Array {
	valid, vals := t.bitmap(), t.buffer(4*len(t.at))
	vb, xb := valid.Bytes(), arrow.Int32Traits.CastFromBytes(vals.Bytes())
	nulls := 0
	for i, r := range t.at {
		x, ok := t.views[r.Batch].Int32(col, int(r.Row))
		xb[i] = x
		if !ok {
			nulls++
			xb[i] = 0
			continue
		}
		bitutil.SetBit(vb, i)
	}
	return makeArray(arrow.PrimitiveTypes.Int32, len(t.at), nulls, valid, vals)
}

func (t *taker) i64(col int) arrow.Array {
	vals := t.buffer(8 * len(t.at))
	xb := arrow.Int64Traits.CastFromBytes(vals.Bytes())
	for i, r := range t.at {
		xb[i] = t.views[r.Batch].Int64(col, int(r.Row))
	}
	return makeArray(arrow.PrimitiveTypes.Int64, len(t.at), 0, nil, vals)
}

func (t *taker) ts(col int, typ *arrow.TimestampType) arrow.Array {
	valid, vals := t.bitmap(), t.buffer(8*len(t.at))
	vb, xb := valid.Bytes(), arrow.Int64Traits.CastFromBytes(vals.Bytes())
	nulls := 0
	for i, r := range t.at {
		x := t.views[r.Batch].Time(col, int(r.Row))
		xb[i] = x
		if x == 0 {
			nulls++
			continue
		}
		bitutil.SetBit(vb, i)
	}
	return makeArray(typ, len(t.at), nulls, valid, vals)
}

func (t *taker) latest(latest []bool) arrow.Array {
	vals := t.bitmap()
	vb := vals.Bytes()
	for i, r := range t.at {
		var l bool
		if latest != nil {
			l = latest[i]
		} else {
			l = t.views[r.Batch].Bool(ColLatest, int(r.Row))
		}
		if l {
			bitutil.SetBit(vb, i)
		}
	}
	return makeArray(arrow.FixedWidthTypes.Boolean, len(t.at), 0, nil, vals)
}

func (t *taker) dups(dups []int32) arrow.Array {
	vals := t.buffer(4 * len(t.at))
	xb := arrow.Int32Traits.CastFromBytes(vals.Bytes())
	for i, r := range t.at {
		if dups != nil {
			xb[i] = dups[i]
		} else {
			xb[i], _ = t.views[r.Batch].Int32(ColDuplicates, int(r.Row))
		}
	}
	return makeArray(arrow.PrimitiveTypes.Int32, len(t.at), 0, nil, vals)
}
