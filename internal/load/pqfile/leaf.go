package pqfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/jsonscan"
)

// What a column of the event table is built from.
type target uint8

const (
	tDict  target = iota // dictionary<int32, utf8>
	tStr                 // utf8
	tCount               // int32
	tTime                // timestamp[ns]
	tInt64               // int64
	tBool                // bool
)

var targets = func() (t [load.NumColumns]target) {
	for i, f := range load.EventSchema.Fields() {
		switch f.Type.ID() {
		case arrow.DICTIONARY:
			t[i] = tDict
		case arrow.STRING:
			t[i] = tStr
		case arrow.INT32:
			t[i] = tCount
		case arrow.TIMESTAMP:
			t[i] = tTime
		case arrow.INT64:
			t[i] = tInt64
		default:
			t[i] = tBool
		}
	}
	return t
}()

// leaf is a Parquet leaf column read into one column of the event table.
type leaf struct {
	path   string // dotted, for errors
	index  int    // in the row group's column chunks
	maxDef byte
	kind   parquet.Kind
	unit   int64 // INT64/INT32 timestamps: nanoseconds per stored unit
	text   bool  // BYTE_ARRAY timestamps: RFC 3339 text
	uuid   bool  // FIXED_LEN_BYTE_ARRAY(16) UUIDs, read as text
	size   int   // FIXED_LEN_BYTE_ARRAY: bytes a value
}

// bindLeaf checks that the leaf at path can fill a column of kind t and
// says how to read it. The error names the column.
func bindLeaf(schema *parquet.Schema, path string, t target) (*leaf, error) {
	node, repeated, found := findNode(schema, path)
	switch {
	case !found:
		return nil, fmt.Errorf("column %s: missing", path)
	case repeated:
		return nil, fmt.Errorf("column %s: repeated, want one value per row", path)
	case !node.Leaf():
		return nil, fmt.Errorf("column %s: a group of %d fields, want one value", path, len(node.Fields()))
	}
	lc, ok := schema.Lookup(strings.Split(path, ".")...)
	if !ok || lc.Node == nil || lc.MaxRepetitionLevel > 0 {
		return nil, fmt.Errorf("column %s: repeated, want one value per row", path)
	}
	typ := lc.Node.Type()
	l := &leaf{path: path, index: lc.ColumnIndex, maxDef: byte(lc.MaxDefinitionLevel), kind: typ.Kind()}
	if l.kind == parquet.FixedLenByteArray {
		l.size = typ.Length()
	}
	want := ""
	switch t {
	case tDict, tStr:
		if lt := typ.LogicalType(); l.kind == parquet.FixedLenByteArray && lt != nil && lt.Value != nil {
			_, l.uuid = lt.Value.(*format.UUIDType)
		}
		if l.kind != parquet.ByteArray && !l.uuid {
			want = "a string"
		}
	case tCount, tInt64:
		if l.kind != parquet.Int32 && l.kind != parquet.Int64 {
			want = "an integer"
		}
	case tTime:
		switch l.kind {
		case parquet.ByteArray:
			l.text = true
		case parquet.Int96:
			l.unit = 1 // converted from Julian day and nanoseconds
		case parquet.Int64, parquet.Int32:
			l.unit = timeUnit(typ)
		}
		if !l.text && l.unit == 0 {
			want = "a timestamp (TIMESTAMP, INT96 or RFC 3339 text)"
		}
	case tBool:
		if l.kind != parquet.Boolean {
			want = "a boolean"
		}
	}
	if want != "" {
		return nil, fmt.Errorf("column %s: %s, want %s", path, typeName(typ), want)
	}
	return l, nil
}

// findNode finds the node at a dotted path, and whether it or a group
// above it repeats (a LIST's element repeats).
func findNode(schema *parquet.Schema, path string) (node parquet.Node, repeated, found bool) {
	node = schema
	for _, name := range strings.Split(path, ".") {
		var next parquet.Node
		for _, f := range node.Fields() {
			if f.Name() == name {
				next = f
				break
			}
		}
		if next == nil {
			return nil, false, false
		}
		node = next
		repeated = repeated || node.Repeated()
	}
	if !node.Leaf() {
		// A LIST or MAP: a group of a repeated group.
		for _, f := range node.Fields() {
			repeated = repeated || f.Repeated()
		}
	}
	return node, repeated, true
}

// timeUnit returns the nanoseconds per unit of a timestamp column, 0 when
// it is not one.
func timeUnit(typ parquet.Type) int64 {
	if lt := typ.LogicalType(); lt != nil {
		if ts, ok := lt.Value.(*format.TimestampType); ok && ts.Unit.Value != nil {
			return int64(ts.Unit.Value.Duration())
		}
	}
	if ct := typ.ConvertedType(); ct != nil {
		switch *ct {
		case deprecated.TimestampMillis:
			return 1e6
		case deprecated.TimestampMicros:
			return 1e3
		}
	}
	return 0
}

func typeName(typ parquet.Type) string {
	if lt := typ.LogicalType(); lt != nil && lt.Value != nil {
		return typ.Kind().String() + " " + lt.String()
	}
	return typ.Kind().String()
}

// chunkReader reads the pages of column chunks into the columns of a
// table. It keeps scratch space between pages; it is not safe for
// concurrent use.
type chunkReader struct {
	chunk   chunkBytes  // the bytes of the chunk being read
	pb      pageBuffers // for decoding its pages (pages.go)
	decoded int         // chunks decoded by readPages, for tests

	ints []int64
	ok   []bool
	text []byte   // UUIDs as text
	offs []uint32 // of text

	// Dictionary values of the last numeric or text-timestamp dictionary.
	seen     *dictData
	dictInts []int64
	dictOK   []bool

	// Values that could not be read (kept as null) are counted in warnTo,
	// under the column being read.
	warnTo *table
	col    int
}

// read reads the column chunk of l in g into column col of t.
func (r *chunkReader) read(t *table, col int, l *leaf, g *group) (err error) {
	defer recoverCorrupt(&err)
	r.seen, r.col = nil, col
	if targets[col] == tDict {
		t.dict[col].seen = nil
	}
	if l.index >= len(g.chunks) || l.index >= len(g.meta.Columns) {
		return fmt.Errorf("%w: no chunk", parquet.ErrCorrupted)
	}
	chunk, ok := g.chunks[l.index].(*parquet.FileColumnChunk)
	if !ok {
		return fmt.Errorf("%w: no chunk", parquet.ErrCorrupted)
	}
	if err := r.chunk.load(g.r, g.size, &g.meta.Columns[l.index].MetaData, g.meta.NumRows); err != nil {
		return err
	}
	if decodePages && r.chunk.decodable(l) {
		r.decoded++
		return r.readPages(t, col, l)
	}
	// Other encodings, codecs and page layouts: parquet-go's pages.
	pages := chunk.PagesFrom(&r.chunk)
	defer pages.Close()
	var pqDict parquet.Dictionary
	var dict *dictData
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		pd := pageData{n: int(p.NumValues()), nulls: int(p.NumNulls()), levels: p.DefinitionLevels(), values: p.Data()}
		if d := p.Dictionary(); d != nil {
			if d != pqDict {
				pqDict, dict = d, &dictData{values: d.Page().Data(), n: d.Len()}
			}
			pd.dict = dict
		}
		err = r.page(t, col, l, &pd)
		parquet.Release(p)
		if err != nil {
			return err
		}
	}
}

// pageData is a data page as the page functions read it, from the pages
// decoded here (pages.go) or from parquet-go's.
type pageData struct {
	n      int // rows, nulls included
	nulls  int
	levels []byte          // definition levels; nil for a required column
	values encoding.Values // the present values, or their dictionary indexes
	dict   *dictData       // the chunk's dictionary when values are indexes
}

// dictData is the dictionary of a column chunk.
type dictData struct {
	values encoding.Values
	n      int
}

func (r *chunkReader) page(t *table, col int, l *leaf, p *pageData) error {
	switch targets[col] {
	case tDict:
		return r.dictPage(t.dict[col], l, p)
	case tStr:
		return r.strPage(t.str[col], l, p)
	case tCount, tInt64, tTime:
		return r.intPage(t, col, l, p)
	}
	return nil
}

var errCorrupt = fmt.Errorf("%w: values do not match the page's row count", parquet.ErrCorrupted)

// dictPage appends a string page to a dictionary column.
func (r *chunkReader) dictPage(c *dictCol, l *leaf, p *pageData) error {
	n := p.n
	levels := p.levels
	if len(levels) > 0 && len(levels) < n {
		return errCorrupt
	}
	first := c.valid.n
	c.valid.grow(n)
	out := c.idx.extend(n)
	bits := c.valid.bits.all()
	set := 0
	null := c.nullID()
	put := func(i int, id int32) {
		if id < 0 {
			out[i] = 0
			return
		}
		out[i] = id
		j := first + i
		bits[j>>3] |= 1 << (j & 7)
		set++
	}
	if d := p.dict; d != nil {
		remap, err := c.remapOf(d, r, l)
		if err != nil {
			return err
		}
		idx := p.values.Int32()
		if len(levels) == 0 && c.remapValid {
			// No empty value in the dictionary: every row is valid.
			if len(idx) < n {
				return errCorrupt
			}
			if c.remapSame && maxIndex(idx[:n]) < uint32(len(remap)) {
				// The column's dictionary starts with this one, in order.
				copy(out, idx[:n])
				c.valid.setRange(first, n)
				return nil
			}
			for i, x := range idx[:n] {
				if uint(x) >= uint(len(remap)) {
					return errIndex(x)
				}
				out[i] = remap[x]
			}
			c.valid.setRange(first, n)
			return nil
		}
		if len(levels) == 0 && c.remapNull {
			// Only empty values in the dictionary: every row is null.
			if len(idx) < n {
				return errCorrupt
			}
			for _, x := range idx[:n] {
				if uint(x) >= uint(len(remap)) {
					return errIndex(x)
				}
			}
			clear(out)
			return nil
		}
		if len(levels) == 0 {
			if len(idx) < n {
				return errCorrupt
			}
			for i, x := range idx[:n] {
				if uint(x) >= uint(len(remap)) {
					return errIndex(x)
				}
				if id := remap[x]; id >= 0 {
					out[i] = id
					j := first + i
					bits[j>>3] |= 1 << (j & 7)
					set++
				} else {
					out[i] = 0
				}
			}
		} else {
			j := 0
			for i := range out {
				if levels[i] != l.maxDef {
					put(i, null)
					continue
				}
				if j >= len(idx) || uint(idx[j]) >= uint(len(remap)) {
					return errCorrupt
				}
				put(i, remap[idx[j]])
				j++
			}
		}
	} else {
		data, offs, err := r.byteArrays(l, p.values)
		if err != nil {
			return err
		}
		j := 0
		for i := range out {
			if len(levels) > 0 && levels[i] != l.maxDef {
				put(i, null)
				continue
			}
			if j+1 >= len(offs) || offs[j+1] < offs[j] || int(offs[j+1]) > len(data) {
				return errCorrupt
			}
			put(i, c.id(data[offs[j]:offs[j+1]]))
			j++
		}
	}
	c.valid.nulls -= set
	return nil
}

// maxIndex returns the largest of xs as unsigned (so a negative one is
// larger than any index), 0 for none.
func maxIndex(xs []int32) uint32 {
	var a, b uint32
	i := 0
	for ; i+1 < len(xs); i += 2 {
		a = max(a, uint32(xs[i]))
		b = max(b, uint32(xs[i+1]))
	}
	for ; i < len(xs); i++ {
		a = max(a, uint32(xs[i]))
	}
	return max(a, b)
}

func errIndex(x int32) error {
	return fmt.Errorf("%w: dictionary index %d out of range", parquet.ErrCorrupted, x)
}

// remapOf maps the indexes of a Parquet dictionary to c's.
func (c *dictCol) remapOf(d *dictData, r *chunkReader, l *leaf) ([]int32, error) {
	if c.seen == d {
		return c.remap, nil
	}
	data, offs, err := r.byteArrays(l, d.values)
	if err != nil {
		return nil, err
	}
	n := d.n
	if len(offs) < n+1 {
		return nil, errCorrupt
	}
	c.remap = grow(c.remap, n)
	c.remapValid, c.remapNull, c.remapSame = true, true, true
	// Room for every value of the dictionary, so the column's own
	// dictionary grows once, not value by value.
	if len(offs) > n {
		c.dict.data.reserve(int(offs[n]) - int(offs[0]))
	}
	c.dict.offs.reserve(n)
	c.dict.valid.bits.reserve(n/8 + 1)
	for i := range c.remap {
		if offs[i+1] < offs[i] || int(offs[i+1]) > len(data) {
			return nil, errCorrupt
		}
		c.remap[i] = c.id(data[offs[i]:offs[i+1]])
		c.remapValid = c.remapValid && c.remap[i] >= 0
		c.remapNull = c.remapNull && c.remap[i] < 0
		c.remapSame = c.remapSame && c.remap[i] == int32(i)
	}
	c.seen = d
	return c.remap, nil
}

// byteArrays returns string values back to back with their offsets:
// BYTE_ARRAY values as they are, 16-byte UUIDs (FIXED_LEN_BYTE_ARRAY) in
// their canonical text form.
func (r *chunkReader) byteArrays(l *leaf, v encoding.Values) ([]byte, []uint32, error) {
	switch {
	case v.Kind() == encoding.ByteArray && l.kind == parquet.ByteArray:
		data, offs := v.ByteArray()
		return data, offs, nil
	case v.Kind() == encoding.FixedLenByteArray && l.uuid:
		raw, size := v.FixedLenByteArray()
		if size != 16 {
			return nil, nil, fmt.Errorf("%w: UUID of %d bytes", parquet.ErrCorrupted, size)
		}
		k := len(raw) / 16
		r.text = grow(r.text, 36*k)
		r.offs = grow(r.offs, k+1)
		for i := 0; i < k; i++ {
			formatUUID((*[36]byte)(r.text[36*i:]), (*[16]byte)(raw[16*i:]))
			r.offs[i] = uint32(36 * i)
		}
		r.offs[k] = uint32(36 * k)
		return r.text, r.offs, nil
	}
	return nil, nil, fmt.Errorf("%w: %v page in a %v column", parquet.ErrCorrupted, v.Kind(), l.kind)
}

// formatUUID writes u as xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx into dst.
func formatUUID(dst *[36]byte, u *[16]byte) {
	le := binary.LittleEndian
	le.PutUint16(dst[0:], hexPairs[u[0]])
	le.PutUint16(dst[2:], hexPairs[u[1]])
	le.PutUint16(dst[4:], hexPairs[u[2]])
	le.PutUint16(dst[6:], hexPairs[u[3]])
	dst[8] = '-'
	le.PutUint16(dst[9:], hexPairs[u[4]])
	le.PutUint16(dst[11:], hexPairs[u[5]])
	dst[13] = '-'
	le.PutUint16(dst[14:], hexPairs[u[6]])
	le.PutUint16(dst[16:], hexPairs[u[7]])
	dst[18] = '-'
	le.PutUint16(dst[19:], hexPairs[u[8]])
	le.PutUint16(dst[21:], hexPairs[u[9]])
	dst[23] = '-'
	le.PutUint16(dst[24:], hexPairs[u[10]])
	le.PutUint16(dst[26:], hexPairs[u[11]])
	le.PutUint16(dst[28:], hexPairs[u[12]])
	le.PutUint16(dst[30:], hexPairs[u[13]])
	le.PutUint16(dst[32:], hexPairs[u[14]])
	le.PutUint16(dst[34:], hexPairs[u[15]])
}

// hexPairs holds the two lowercase hex digits of each byte, as a
// little-endian uint16.
var hexPairs = func() (t [256]uint16) {
	const hex = "0123456789abcdef"
	for i := range t {
		t[i] = uint16(hex[i>>4]) | uint16(hex[i&15])<<8
	}
	return t
}()

// strPage appends a string page to a utf8 column.
func (r *chunkReader) strPage(c *strCol, l *leaf, p *pageData) error {
	n := p.n
	levels := p.levels
	if len(levels) > 0 && len(levels) < n {
		return errCorrupt
	}
	if d := p.dict; d != nil {
		data, offs, err := r.byteArrays(l, d.values)
		if err != nil {
			return err
		}
		idx := p.values.Int32()
		present := n
		if len(levels) > 0 {
			present = bytes.Count(levels[:n], []byte{l.maxDef})
		}
		if len(idx) < present {
			return errCorrupt
		}
		idx = idx[:present]
		// Look the values up twice, to size the data once.
		size := 0
		for _, x := range idx {
			if uint(x)+1 >= uint(len(offs)) || offs[x+1] < offs[x] || int(offs[x+1]) > len(data) {
				return errCorrupt
			}
			size += int(offs[x+1] - offs[x])
		}
		first, base := c.valid.n, c.data.n
		c.valid.grow(n)
		dst := c.data.extend(size)
		out := c.offs.extend(n)
		bits := c.valid.bits.all()
		w, set := 0, 0
		if len(levels) == 0 {
			for i, x := range idx {
				if v := data[offs[x]:offs[x+1]]; len(v) > 0 {
					w += copy(dst[w:], v)
					k := first + i
					bits[k>>3] |= 1 << (k & 7)
					set++
				}
				out[i] = int32(base + w)
			}
			c.valid.nulls -= set
			return nil
		}
		j := 0
		for i, lv := range levels[:n] {
			if lv == l.maxDef {
				x := idx[j]
				j++
				if v := data[offs[x]:offs[x+1]]; len(v) > 0 {
					w += copy(dst[w:], v)
					k := first + i
					bits[k>>3] |= 1 << (k & 7)
					set++
				}
			}
			out[i] = int32(base + w)
		}
		c.valid.nulls -= set
		return nil
	}
	if l.uuid {
		return c.addUUIDs(p.values, levels, l.maxDef, n)
	}
	data, offs, err := r.byteArrays(l, p.values)
	if err != nil {
		return err
	}
	if len(levels) == 0 || p.nulls == 0 {
		if len(offs) != n+1 || len(data) < int(offs[n]) || offs[0] > offs[n] {
			return errCorrupt
		}
		c.addPlain(data, offs)
		return nil
	}
	return c.addSparse(data, offs, levels, l.maxDef, n)
}

// addSparse appends the n rows of a page of byte arrays with nulls: the
// rows whose level is maxDef take the values in turn.
func (c *strCol) addSparse(data []byte, offs []uint32, levels []byte, maxDef byte, n int) error {
	k := len(offs) - 1
	if k < 0 || int(offs[k]) > len(data) || offs[0] > offs[k] {
		return errCorrupt
	}
	first, base := c.valid.n, int32(c.data.n)-int32(offs[0])
	copy(c.data.extend(int(offs[k]-offs[0])), data[offs[0]:offs[k]])
	c.valid.grow(n)
	out := c.offs.extend(n)
	bits := c.valid.bits.all()
	j, set := 0, 0
	for i, lv := range levels[:n] {
		if lv == maxDef {
			if j >= k || offs[j+1] < offs[j] {
				return errCorrupt
			}
			if offs[j+1] != offs[j] {
				b := first + i
				bits[b>>3] |= 1 << (b & 7)
				set++
			}
			j++
		}
		out[i] = base + int32(offs[j])
	}
	if j != k {
		return errCorrupt
	}
	c.valid.nulls -= set
	return nil
}

// addUUIDs appends the n rows of a page of 16-byte UUIDs, as text; with
// levels, the rows whose level is maxDef take the values in turn.
func (c *strCol) addUUIDs(v encoding.Values, levels []byte, maxDef byte, n int) error {
	if v.Kind() != encoding.FixedLenByteArray {
		return fmt.Errorf("%w: %v page in a UUID column", parquet.ErrCorrupted, v.Kind())
	}
	raw, size := v.FixedLenByteArray()
	if size != 16 {
		return fmt.Errorf("%w: UUID of %d bytes", parquet.ErrCorrupted, size)
	}
	k := len(raw) / 16
	if len(levels) == 0 && k < n {
		return errCorrupt
	}
	if len(levels) == 0 {
		k = n
	}
	first, base := c.valid.n, int32(c.data.n)
	dst := c.data.extend(36 * k)
	if len(dst) < 36*k || len(raw) < 16*k {
		return errCorrupt
	}
	// Checked above: k UUIDs in raw, room for k texts in dst.
	d, u := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(raw))
	for j := 0; j < k; j++ {
		formatUUID((*[36]byte)(unsafe.Add(d, 36*j)), (*[16]byte)(unsafe.Add(u, 16*j)))
	}
	out := c.offs.extend(n)
	if len(levels) == 0 {
		for i := range out {
			out[i] = base + int32(36*(i+1))
		}
		c.valid.grow(n)
		c.valid.setRange(first, n)
		return nil
	}
	c.valid.grow(n)
	if setValid(c.valid.bits.all(), first, levels[:n], maxDef) != k {
		return errCorrupt
	}
	end := base
	for i, lv := range levels[:n] {
		if lv == maxDef {
			end += 36
		}
		out[i] = end
	}
	c.valid.nulls -= k
	return nil
}

// intPage appends an integer or timestamp page to an int32, int64 or
// timestamp column. Timestamps at or before the epoch and counts outside
// 0..2^31-1 are null, as in JSON inputs.
func (r *chunkReader) intPage(t *table, col int, l *leaf, p *pageData) error {
	n := p.n
	levels := p.levels
	if len(levels) > 0 && len(levels) < n {
		return errCorrupt
	}
	vals, ok, err := r.values(l, p)
	if err != nil {
		return err
	}
	present := len(vals)
	if len(levels) > 0 {
		present = n - p.nulls
	} else if len(vals) < n {
		return errCorrupt
	}
	if len(vals) < present || ok != nil && len(ok) < present {
		return errCorrupt
	}
	switch targets[col] {
	case tCount:
		c := t.i32[col]
		first := c.len()
		out := c.extend(n)
		bits := c.valid.bits.all()
		set, j := 0, 0
		for i := range out {
			out[i] = 0
			if len(levels) > 0 && levels[i] != l.maxDef {
				continue
			}
			if v := vals[j]; v >= 0 && v <= math.MaxInt32 {
				out[i] = int32(v)
				k := first + i
				bits[k>>3] |= 1 << (k & 7)
				set++
			} else {
				r.warn(fmt.Errorf("column %s: out of range: %d", l.path, v))
			}
			j++
		}
		c.valid.nulls -= set
	case tInt64:
		c := t.i64[col]
		first := c.len()
		out := c.extend(n)
		if len(levels) == 0 {
			copy(out, vals)
			c.valid.setRange(first, n)
			return nil
		}
		bits := c.valid.bits.all()
		set, j := 0, 0
		for i := range out {
			out[i] = 0
			if levels[i] == l.maxDef {
				out[i] = vals[j]
				j++
				k := first + i
				bits[k>>3] |= 1 << (k & 7)
				set++
			}
		}
		c.valid.nulls -= set
	case tTime:
		c := t.i64[col]
		first := c.len()
		out := c.extend(n)
		bits := c.valid.bits.all()
		set, j := 0, 0
		if len(levels) == 0 && ok == nil {
			// Every row has a value; those at or before the epoch are null.
			for i, v := range vals[:n] {
				v = max(v, 0)
				out[i] = v
				if v != 0 {
					k := first + i
					bits[k>>3] |= 1 << (k & 7)
					set++
				}
			}
			c.valid.nulls -= set
			return nil
		}
		if ok == nil {
			set = setValid(bits, first, levels[:n], l.maxDef)
			if set > len(vals) {
				return errCorrupt
			}
			for i, lv := range levels[:n] {
				out[i] = 0
				if lv == l.maxDef {
					v := vals[j]
					j++
					if v <= 0 {
						// At or before the epoch: null.
						k := first + i
						bits[k>>3] &^= 1 << (k & 7)
						set--
						continue
					}
					out[i] = v
				}
			}
			c.valid.nulls -= set
			return nil
		}
		for i := range out {
			out[i] = 0
			if len(levels) > 0 && levels[i] != l.maxDef {
				continue
			}
			if v := vals[j]; v > 0 && (ok == nil || ok[j]) {
				out[i] = v
				k := first + i
				bits[k>>3] |= 1 << (k & 7)
				set++
			}
			j++
		}
		c.valid.nulls -= set
	}
	return nil
}

func (r *chunkReader) warn(err error) {
	if r.warnTo == nil {
		return
	}
	if r.warnTo.warnings[r.col] == 0 {
		r.warnTo.warning[r.col] = err
	}
	r.warnTo.warnings[r.col]++
}

// values returns the present values of a numeric (or text timestamp) page
// as int64, timestamps in nanoseconds. ok, when not nil, marks the values
// that could be read.
func (r *chunkReader) values(l *leaf, p *pageData) ([]int64, []bool, error) {
	if d := p.dict; d != nil {
		if r.seen != d {
			vals, ok, err := r.decode(l, d.values, nil, nil)
			if err != nil {
				return nil, nil, err
			}
			r.dictInts, r.dictOK = append(r.dictInts[:0], vals...), append(r.dictOK[:0], ok...)
			if ok == nil {
				r.dictOK = nil
			}
			r.seen = d
		}
		idx := p.values.Int32()
		out := grow(r.ints, len(idx))
		r.ints = out
		for i, x := range idx {
			if uint(x) >= uint(len(r.dictInts)) {
				return nil, nil, fmt.Errorf("%w: dictionary index %d out of range", parquet.ErrCorrupted, x)
			}
			out[i] = r.dictInts[x]
		}
		if r.dictOK == nil {
			return out, nil, nil
		}
		ok := grow(r.ok, len(idx))
		r.ok = ok
		for i, x := range idx {
			ok[i] = r.dictOK[x]
		}
		return out, ok, nil
	}
	return r.decode(l, p.values, r.ints, r.ok)
}

// decode converts values to int64 (into buf when a conversion is needed).
func (r *chunkReader) decode(l *leaf, v encoding.Values, buf []int64, okBuf []bool) ([]int64, []bool, error) {
	if v.Kind() != encodingKind(l.kind) {
		return nil, nil, fmt.Errorf("%w: %v page in a %v column", parquet.ErrCorrupted, v.Kind(), l.kind)
	}
	unit := max(l.unit, 1)
	switch l.kind {
	case parquet.Int64:
		vals := v.Int64()
		if unit == 1 {
			return vals, nil, nil
		}
		out := grow(buf, len(vals))
		for i, x := range vals {
			out[i] = r.scaleTime(l, x, unit)
		}
		r.ints = out
		return out, nil, nil
	case parquet.Int32:
		vals := v.Int32()
		out := grow(buf, len(vals))
		if unit == 1 {
			for i, x := range vals {
				out[i] = int64(x)
			}
		} else {
			for i, x := range vals {
				out[i] = r.scaleTime(l, int64(x), unit)
			}
		}
		r.ints = out
		return out, nil, nil
	case parquet.Int96:
		vals := v.Int96()
		out := grow(buf, len(vals))
		for i, x := range vals {
			// Impala and Spark: nanoseconds of the day, then the Julian day.
			nanos := int64(uint64(x[1])<<32 | uint64(x[0]))
			const day = int64(86400e9)
			days := int64(x[2]) - 2440588
			if days > math.MaxInt64/day || days < math.MinInt64/day || nanos < 0 || nanos > day || nanos > math.MaxInt64-days*day {
				// Not Unix nanoseconds in an int64 (from 1677 to
				// 2262): it would wrap to another time.
				r.warn(fmt.Errorf("column %s: %w", l.path, jsonscan.ErrTimeRange))
				out[i] = 0
				continue
			}
			out[i] = days*86400e9 + nanos
		}
		r.ints = out
		return out, nil, nil
	case parquet.ByteArray:
		data, offs := v.ByteArray()
		k := max(len(offs)-1, 0)
		out, ok := grow(buf, k), grow(okBuf, k)
		for i := range out {
			ns, set, err := jsonscan.ParseTime(data[offs[i]:offs[i+1]])
			if err != nil {
				r.warn(fmt.Errorf("column %s: %w", l.path, err))
			}
			out[i], ok[i] = ns, set && err == nil
		}
		r.ints, r.ok = out, ok
		return out, ok, nil
	}
	return nil, nil, fmt.Errorf("column %s: cannot read %v values", l.path, l.kind)
}

// encodingKind is the encoding package's name of a physical type.
func encodingKind(k parquet.Kind) encoding.Kind {
	switch k {
	case parquet.Boolean:
		return encoding.Boolean
	case parquet.Int32:
		return encoding.Int32
	case parquet.Int64:
		return encoding.Int64
	case parquet.Int96:
		return encoding.Int96
	case parquet.Float:
		return encoding.Float
	case parquet.Double:
		return encoding.Double
	case parquet.ByteArray:
		return encoding.ByteArray
	case parquet.FixedLenByteArray:
		return encoding.FixedLenByteArray
	}
	return encoding.Undefined
}

// scaleTime converts x units to nanoseconds. A time int64 nanoseconds
// cannot hold (before 1677, after 2262) is a counted warning and null, as
// text that is not a time is: it would wrap to another time.
func (r *chunkReader) scaleTime(l *leaf, x, unit int64) int64 {
	if x > math.MaxInt64/unit || x < math.MinInt64/unit {
		r.warn(fmt.Errorf("column %s: %w", l.path, jsonscan.ErrTimeRange))
		return 0
	}
	return x * unit
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, max(n, 2*cap(s)))
	}
	return s[:n]
}
