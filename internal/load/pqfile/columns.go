package pqfile

import (
	"encoding/binary"
	bits8 "math/bits"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// The Arrow columns of the event table are built here directly from
// decoded Parquet pages, a page at a time: values are copied in bulk where
// the layouts agree (offsets, integers) and dictionary pages are remapped
// once per Parquet dictionary, not once per row. Nothing is allocated per
// row; a dictionary column allocates one string per distinct value.

// vec is a growable Arrow buffer of fixed-width values.
type vec[T int32 | int64 | byte] struct {
	buf *memory.Buffer
	n   int
}

func newVec[T int32 | int64 | byte](mem memory.Allocator) vec[T] {
	return vec[T]{buf: memory.NewResizableBuffer(mem)}
}

// extend adds k values and returns them (their content is undefined).
func (v *vec[T]) extend(k int) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	need := (v.n + k) * size
	if need > v.buf.Cap() {
		v.buf.Reserve(max(need, 2*v.buf.Cap(), 64))
	}
	v.buf.ResizeNoShrink(need)
	v.n += k
	return v.all()[v.n-k:]
}

// reserve makes room for k more values.
func (v *vec[T]) reserve(k int) {
	var zero T
	if need := (v.n + max(k, 0)) * int(unsafe.Sizeof(zero)); need > v.buf.Cap() {
		v.buf.Reserve(need)
	}
}

func (v *vec[T]) all() []T {
	b := v.buf.Bytes()
	if len(b) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/int(unsafe.Sizeof(zero)))
}

// bitmap is an Arrow validity bitmap being built.
type bitmap struct {
	bits  vec[byte]
	n     int // bits
	nulls int
}

// grow adds k bits, all unset (null); set marks the valid ones.
func (m *bitmap) grow(k int) {
	need := int(bitutil.BytesForBits(int64(m.n + k)))
	if add := need - m.bits.n; add > 0 {
		clear(m.bits.extend(add))
	}
	m.n += k
	m.nulls += k
}

func (m *bitmap) set(i int) {
	b := m.bits.all()
	b[i>>3] |= 1 << (i & 7)
	m.nulls--
}

// setRange marks bits [i, i+k) valid.
func (m *bitmap) setRange(i, k int) {
	bitutil.SetBitsTo(m.bits.all(), int64(i), int64(k), true)
	m.nulls -= k
}

// buffer returns the bitmap for an array of n values, nil without nulls.
func (m *bitmap) buffer() *memory.Buffer {
	if m.nulls == 0 {
		return nil
	}
	return m.bits.buf
}

func (m *bitmap) release() { m.bits.buf.Release() }

// fixedCol is a nullable int32, int64 or timestamp column.
type fixedCol[T int32 | int64] struct {
	valid bitmap
	vals  vec[T]
}

func newFixedCol[T int32 | int64](mem memory.Allocator) *fixedCol[T] {
	return &fixedCol[T]{valid: bitmap{bits: newVec[byte](mem)}, vals: newVec[T](mem)}
}

func (c *fixedCol[T]) len() int { return c.vals.n }

// extend adds k values, null until set valid, and returns them.
func (c *fixedCol[T]) extend(k int) []T {
	c.valid.grow(k)
	return c.vals.extend(k)
}

// fill adds k copies of v.
func (c *fixedCol[T]) fill(k int, v T) {
	out := c.extend(k)
	for i := range out {
		out[i] = v
	}
	c.valid.setRange(c.valid.n-k, k)
}

func (c *fixedCol[T]) array(dt arrow.DataType) arrow.Array {
	data := array.NewData(dt, c.vals.n, []*memory.Buffer{c.valid.buffer(), c.vals.buf}, nil, c.valid.nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func (c *fixedCol[T]) release() {
	c.valid.release()
	c.vals.buf.Release()
}

// strCol is a nullable utf8 column. Empty strings are null.
type strCol struct {
	valid bitmap
	offs  vec[int32] // len()+1 offsets
	data  vec[byte]
}

func newStrCol(mem memory.Allocator) *strCol {
	c := &strCol{valid: bitmap{bits: newVec[byte](mem)}, offs: newVec[int32](mem), data: newVec[byte](mem)}
	c.offs.extend(1)[0] = 0
	return c
}

func (c *strCol) len() int { return c.offs.n - 1 }

// add appends one value.
func (c *strCol) add(v []byte) {
	c.valid.grow(1)
	if len(v) > 0 {
		c.valid.set(c.valid.n - 1)
		copy(c.data.extend(len(v)), v)
	}
	c.offs.extend(1)[0] = int32(c.data.n)
}

// addNulls appends k nulls.
func (c *strCol) addNulls(k int) {
	c.valid.grow(k)
	end := int32(c.data.n)
	for i, o := 0, c.offs.extend(k); i < len(o); i++ {
		o[i] = end
	}
}

// addPlain appends the values of a Parquet byte array page: data holds
// them back to back, offs[i]..offs[i+1] is value i.
func (c *strCol) addPlain(data []byte, offs []uint32) {
	k := len(offs) - 1
	if k <= 0 {
		return
	}
	first := c.valid.n
	c.valid.grow(k)
	base := int32(c.data.n) - int32(offs[0])
	copy(c.data.extend(int(offs[k]-offs[0])), data[offs[0]:offs[k]])
	out := c.offs.extend(k)
	next := offs[1 : k+1]
	empty := false
	for i, o := range next {
		out[i] = base + int32(o)
		empty = empty || o == offs[i]
	}
	if !empty {
		c.valid.setRange(first, k)
		return
	}
	bits := c.valid.bits.all()
	set := 0
	for i, o := range next {
		if o != offs[i] {
			j := first + i
			bits[j>>3] |= 1 << (j & 7)
			set++
		}
	}
	c.valid.nulls -= set
}

func (c *strCol) array() arrow.Array {
	data := array.NewData(arrow.BinaryTypes.String, c.len(), []*memory.Buffer{c.valid.buffer(), c.offs.buf, c.data.buf}, nil, c.valid.nulls, 0)
	defer data.Release()
	return array.NewStringData(data)
}

func (c *strCol) release() {
	c.valid.release()
	c.offs.buf.Release()
	c.data.buf.Release()
}

// dictCol is a dictionary<int32, utf8> column. Empty strings are null.
type dictCol struct {
	valid bitmap
	idx   vec[int32]
	dict  *strCol
	memo  map[string]int32
	empty []byte // the value of empty and null strings; nil: null

	// The remap of the Parquet dictionary last seen (a column chunk's pages
	// share one): Parquet index -> index in dict, -1 for null.
	seen       any
	remap      []int32
	remapValid bool // no -1 in remap
	remapNull  bool // only -1 in remap
	remapSame  bool // remap[i] == i
}

func newDictCol(mem memory.Allocator) *dictCol {
	return &dictCol{valid: bitmap{bits: newVec[byte](mem)}, idx: newVec[int32](mem), dict: newStrCol(mem), memo: map[string]int32{}}
}

func (c *dictCol) len() int { return c.idx.n }

// id returns the dictionary index of v, adding it when new; -1 for null
// (an empty v, unless empty is set).
func (c *dictCol) id(v []byte) int32 {
	if len(v) == 0 {
		if c.empty == nil {
			return -1
		}
		v = c.empty
	}
	if i, ok := c.memo[string(v)]; ok {
		return i
	}
	i := int32(len(c.memo))
	c.memo[string(v)] = i
	c.dict.add(v)
	return i
}

// nullID is the index of null and empty values.
func (c *dictCol) nullID() int32 { return c.id(nil) }

// add appends one value.
func (c *dictCol) add(v []byte) {
	id := c.id(v)
	c.valid.grow(1)
	out := c.idx.extend(1)
	out[0] = max(id, 0)
	if id >= 0 {
		c.valid.set(c.valid.n - 1)
	}
}

// fill appends k copies of v.
func (c *dictCol) fill(k int, v []byte) {
	id := c.id(v)
	c.valid.grow(k)
	out := c.idx.extend(k)
	for i := range out {
		out[i] = max(id, 0)
	}
	if id >= 0 {
		c.valid.setRange(c.valid.n-k, k)
	}
}

func (c *dictCol) array(dt arrow.DataType) arrow.Array {
	idx := array.NewData(arrow.PrimitiveTypes.Int32, c.idx.n, []*memory.Buffer{c.valid.buffer(), c.idx.buf}, nil, c.valid.nulls, 0)
	defer idx.Release()
	indices := array.MakeFromData(idx)
	defer indices.Release()
	dict := c.dict.array()
	defer dict.Release()
	return array.NewDictionaryArray(dt, indices, dict)
}

func (c *dictCol) release() {
	c.valid.release()
	c.idx.buf.Release()
	c.dict.release()
}

// Compaction: rows [from, len) are cut to those with keep[i-from] set,
// when the scope drops some rows of a row group just read.

// truncate keeps the first n values.
func (v *vec[T]) truncate(n int) {
	var zero T
	v.n = n
	v.buf.ResizeNoShrink(n * int(unsafe.Sizeof(zero)))
}

func (m *bitmap) keep(from int, keep []bool) {
	bits := m.bits.all()
	w := from
	for i, k := range keep {
		if k {
			bitutil.SetBitTo(bits, w, bitutil.BitIsSet(bits, from+i))
			w++
		}
	}
	m.n = w
	m.bits.truncate(int(bitutil.BytesForBits(int64(w))))
	if w%8 != 0 {
		b := m.bits.all()
		b[len(b)-1] &= byte(1)<<(w%8) - 1
	}
	m.nulls = w - bitutil.CountSetBits(m.bits.all(), 0, w)
}

func compact[T any](v []T, from int, keep []bool) int {
	w := from
	for i, k := range keep {
		if k {
			v[w] = v[from+i]
			w++
		}
	}
	return w
}

func (c *fixedCol[T]) keep(from int, keep []bool) {
	c.vals.truncate(compact(c.vals.all(), from, keep))
	c.valid.keep(from, keep)
}

func (c *dictCol) keep(from int, keep []bool) {
	c.idx.truncate(compact(c.idx.all(), from, keep))
	c.valid.keep(from, keep)
}

func (c *strCol) keep(from int, keep []bool) {
	offs, data := c.offs.all(), c.data.all()
	w, end := from, offs[from]
	for i, k := range keep {
		if !k {
			continue
		}
		lo, hi := offs[from+i], offs[from+i+1]
		copy(data[end:], data[lo:hi])
		end += hi - lo
		w++
		offs[w] = end // unchanged while no row was dropped, else not read again
	}
	c.offs.truncate(w + 1)
	c.data.truncate(int(end))
	c.valid.keep(from, keep)
}

// ids returns a column's dictionary indexes of values (-1 for those it has
// not seen).
func (c *dictCol) ids(values []string) []int32 {
	out := make([]int32, len(values))
	for i, v := range values {
		id, ok := c.memo[v]
		if !ok {
			id = -1
		}
		out[i] = id
	}
	return out
}

// setValid sets bit first+i of bits for each i where levels[i] is maxDef
// (the row has a value) and returns how many it set. The bits must be
// unset. Eight levels at a time become one byte of the bitmap.
func setValid(bits []byte, first int, levels []byte, maxDef byte) int {
	set, i, n := 0, 0, len(levels)
	for ; i < n && (first+i)&7 != 0; i++ {
		if levels[i] == maxDef {
			b := first + i
			bits[b>>3] |= 1 << (b & 7)
			set++
		}
	}
	want := uint64(maxDef) * 0x0101010101010101
	out := bits[(first+i)>>3:]
	for k := 0; i+8 <= n; i, k = i+8, k+1 {
		x := binary.LittleEndian.Uint64(levels[i:]) ^ want
		// The high bit of each byte of z is set where x's byte is zero,
		// then the eight bits gather into one byte, level i in bit 0.
		z := ^((x&0x7f7f7f7f7f7f7f7f + 0x7f7f7f7f7f7f7f7f) | x) & 0x8080808080808080
		m := byte(((z >> 7) * 0x0102040810204080) >> 56)
		out[k] = m
		set += bits8.OnesCount8(m)
	}
	for ; i < n; i++ {
		if levels[i] == maxDef {
			b := first + i
			bits[b>>3] |= 1 << (b & 7)
			set++
		}
	}
	return set
}
