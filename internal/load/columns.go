package load

import (
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// The column builders of a Batch. Arrow's builders check capacity, call a
// closure for the offset and update their counts for every value; a Batch
// appends tens of values per row, so it keeps its own buffers (from its
// allocator), grows the fixed-width ones once per row for every column
// together, and hands the buffers to Arrow arrays in NewRecord.

// growBuf is a buffer from an allocator that grows by doubling.
type growBuf struct {
	b *memory.Buffer
	p []byte // b's whole capacity
	n int    // bytes in use
}

// reserve makes room for extra more bytes. New bytes are zero only when
// zero is true (bitmaps).
func (g *growBuf) reserve(mem memory.Allocator, extra int, zero bool) {
	if g.n+extra <= len(g.p) {
		return
	}
	if g.b == nil {
		g.b = memory.NewResizableBuffer(mem)
	}
	old := len(g.p)
	g.b.Reserve(max(2*old, g.n+extra, 64))
	g.p = g.b.Buf()
	if zero {
		clear(g.p[old:])
	}
}

// take returns the buffer with its length set and empties g. The caller
// owns the buffer.
func (g *growBuf) take(mem memory.Allocator) *memory.Buffer {
	if g.b == nil {
		g.reserve(mem, max(g.n, 1), true)
	}
	b := g.b
	b.ResizeNoShrink(g.n)
	*g = growBuf{}
	return b
}

func (g *growBuf) release() {
	if g.b != nil {
		g.b.Release()
	}
	*g = growBuf{}
}

type colKind uint8

const (
	kindStr colKind = iota
	kindDict
	kindInt32
	kindInt64
	kindTime
	kindBool
)

// builder builds one column: a validity bitmap (nullable kinds), the
// values (offsets of strings, dictionary indices, fixed-width values or
// bits) and the bytes of strings.
type builder struct {
	kind  colKind
	typ   arrow.DataType
	valid growBuf
	nulls int
	vals  growBuf
	data  growBuf // strings' bytes
	dict  *dictMemo
}

// dictMemo assigns dictionary indices in order of first use, as Arrow's
// dictionary builder does; the last value looked up is compared first,
// since consecutive rows mostly share it.
type dictMemo struct {
	idx    map[string]int32
	values *array.StringBuilder
	last   string
	lastK  int32
}

func (d *dictMemo) lookup(v []byte) int32 {
	if d.lastK >= 0 && string(v) == d.last {
		return d.lastK
	}
	k, ok := d.idx[string(v)]
	if !ok {
		s := string(v)
		k = int32(len(d.idx))
		d.idx[s] = k
		d.values.Append(s)
		d.last = s
	} else {
		d.last = d.values.Value(int(k))
	}
	d.lastK = k
	return k
}

func (d *dictMemo) reset() {
	clear(d.idx)
	d.last, d.lastK = "", -1
}

// width is the bytes per row of the values buffer, 0 for bits.
func (c *builder) width() int {
	switch c.kind {
	case kindStr, kindDict, kindInt32:
		return 4
	case kindInt64, kindTime:
		return 8
	}
	return 0
}

func (c *builder) nullable() bool { return c.kind != kindInt64 && c.kind != kindBool }

// grow makes room for rows rows in all; for strings also for bytes more
// bytes.
func (c *builder) grow(mem memory.Allocator, rows, bytes int) {
	if c.nullable() || c.kind == kindBool {
		buf := &c.valid
		if c.kind == kindBool {
			buf = &c.vals
		}
		buf.reserve(mem, (rows+7)/8-buf.n, true)
	}
	if w := c.width(); w > 0 {
		n := rows * w
		if c.kind == kindStr {
			n += 4 // the offsets have one more
		}
		c.vals.reserve(mem, n-c.vals.n, false)
	}
	if c.kind == kindStr && bytes > 0 {
		c.data.reserve(mem, bytes, false)
	}
}

func (c *builder) setValid(i int) { c.valid.p[i>>3] |= 1 << (i & 7) }

func (c *builder) putI32(i int, v int32) {
	*(*int32)(unsafe.Pointer(&c.vals.p[4*i])) = v
}

func (c *builder) putI64(i int, v int64) {
	*(*int64)(unsafe.Pointer(&c.vals.p[8*i])) = v
}

// str appends v at row i, null when empty.
func (c *builder) str(mem memory.Allocator, i int, v []byte) {
	if i == 0 {
		c.putI32(0, 0)
	}
	if len(v) > 0 {
		if c.data.n+len(v) > len(c.data.p) {
			c.data.reserve(mem, len(v), false)
		}
		c.data.n += copy(c.data.p[c.data.n:], v)
		c.setValid(i)
	} else {
		c.nulls++
	}
	c.putI32(i+1, int32(c.data.n))
}

// dictionary appends v at row i, null when empty.
func (c *builder) dictionary(i int, v []byte) {
	if len(v) == 0 {
		c.nulls++
		c.putI32(i, 0)
		return
	}
	c.putI32(i, c.dict.lookup(v))
	c.setValid(i)
}

func (c *builder) i32(i int, v int32, ok bool) {
	if !ok {
		c.nulls++
		c.putI32(i, 0)
		return
	}
	c.putI32(i, v)
	c.setValid(i)
}

func (c *builder) time(i int, ns int64) {
	c.putI64(i, ns)
	if ns == 0 {
		c.nulls++
		return
	}
	c.setValid(i)
}

func (c *builder) bool(i int, v bool) {
	if v {
		c.vals.p[i>>3] |= 1 << (i & 7)
	}
}

// array returns the rows built as an array and empties c.
func (c *builder) array(mem memory.Allocator, rows int) arrow.Array {
	if c.kind == kindStr && rows == 0 {
		c.vals.reserve(mem, 4, true) // the one offset of no rows
	}
	c.vals.n = rows * c.width()
	if c.kind == kindStr {
		c.vals.n += 4
	}
	if c.kind == kindBool {
		c.vals.n = (rows + 7) / 8
	}
	var valid *memory.Buffer
	if c.nullable() {
		c.valid.n = (rows + 7) / 8
		valid = c.valid.take(mem)
	}
	nulls := c.nulls
	c.nulls = 0
	bufs := []*memory.Buffer{valid, c.vals.take(mem)}
	typ := c.typ
	if c.kind == kindStr {
		bufs = append(bufs, c.data.take(mem))
	}
	if c.kind == kindDict {
		typ = c.typ.(*arrow.DictionaryType).IndexType
	}
	d := array.NewData(typ, rows, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	a := array.MakeFromData(d)
	d.Release()
	if c.kind != kindDict {
		return a
	}
	defer a.Release()
	values := c.dict.values.NewArray()
	defer values.Release()
	c.dict.reset()
	return array.NewDictionaryArray(c.typ, a, values)
}

func (c *builder) release() {
	c.valid.release()
	c.vals.release()
	c.data.release()
	if c.dict != nil {
		c.dict.values.Release()
	}
}
