package pqfile

import (
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/evanalyze/evanalyze/internal/load"
)

// ReadOptions configure ReadEvents.
type ReadOptions struct {
	// Cluster, when not empty, overrides the stored cluster of every row
	// (a cluster=NAME path segment or --cluster).
	Cluster string
	Mem     memory.Allocator // default memory.DefaultAllocator
	// Workers is how many goroutines decode the columns of a row group
	// (one column each at a time); 0 means GOMAXPROCS.
	Workers int
	// Scope leaves out the rows outside it, skipping the row groups whose
	// statistics show none in it.
	Scope load.Scope
	// Columns maps fields of the event table to the columns of files that
	// other pipelines wrote (see ParseColumns); File names such a file in
	// its rows' provenance.
	Columns map[string]string
	File    string
}

// ReadEvents reads an events Parquet file into an event table record
// (load.EventSchema), column by column. Rows of an evanalyze file keep
// their stored provenance (the original file and line); the rows of a file
// other pipelines wrote (foreign.go) have the file's. latest is false and
// duplicates 0 until the archive merges the table. The caller releases
// the record. Errors name the column they concern.
func ReadEvents(r io.ReaderAt, size int64, opts ReadOptions) (rec arrow.Record, stats ReadStats, err error) {
	defer recoverCorrupt(&err)
	if opts.Mem == nil {
		opts.Mem = memory.DefaultAllocator
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	pf, err := openFile(r, size)
	if err != nil {
		return nil, stats, err
	}
	var binds []binding
	var f *foreign
	if v, ok := pf.Lookup("evanalyze.events.version"); !ok {
		binds, f, err = foreignBindings(pf.Schema(), opts.Columns, opts.File)
	} else if v != load.SchemaVersion {
		return nil, stats, fmt.Errorf("events schema version %s, this evanalyze reads %s", v, load.SchemaVersion)
	} else {
		binds, err = nativeBindings(pf.Schema(), opts.Cluster != "")
	}
	if err != nil {
		return nil, stats, err
	}
	clusterBound := slices.ContainsFunc(binds, func(b binding) bool { return b.col == load.ColCluster })
	bySize(pf, binds)
	// Room for the rows the file claims, up to a bound: a corrupt footer
	// may claim any number (a row takes a few bytes; eight rows a byte is
	// more than the most compressible file holds).
	rows := int(min(pf.NumRows(), 1<<20, 8*size))
	t := newTable(opts.Mem, 0)
	defer t.release()
	// The bound columns make their room on the goroutine that reads them
	// first (readGroup), the others here.
	t.plan(pf, size, binds, rows)
	if opts.Cluster == "" {
		t.dict[load.ColCluster].empty = []byte(load.DefaultCluster)
	}
	var row int64 // in the file, of the row group's first row
	readers := getReaders(max(1, min(opts.Workers, len(binds))))
	defer putReaders(readers)
	scoped := !opts.Scope.IsZero()
	check := newGroupCheck(&opts.Scope, binds, opts.Cluster != "")
	if f == nil {
		// The stored time is not read, but its statistics are good.
		check.time, _ = bindLeaf(pf.Schema(), "time", tTime)
	}
	// An overridden cluster is the cluster of every row.
	none := opts.Cluster != "" && !opts.Scope.Cluster(opts.Cluster)
	for i, rg := range pf.RowGroups() {
		n := int(rg.NumRows())
		md := &pf.Metadata().RowGroups[i]
		stats.RowGroups++
		row += int64(n)
		if scoped && (none || !check.mayHold(rg, md)) {
			stats.RowGroupsSkipped++
			stats.Unread += int64(n)
			continue
		}
		g := &group{r: r, size: size, meta: md, chunks: rg.ColumnChunks()}
		if err := t.readGroup(g, binds, readers); err != nil {
			return nil, stats, err
		}
		if opts.Cluster != "" || !clusterBound {
			t.dict[load.ColCluster].fill(n, []byte(load.ClusterOrDefault(opts.Cluster)))
		}
		if f != nil {
			t.derive(f, t.n, n, row-int64(n))
		} else {
			t.deriveTime(t.n, n)
		}
		kept := n
		if scoped {
			kept = t.filter(t.n, n, &opts.Scope, opts.Cluster != "")
			stats.Filtered += int64(n - kept)
		}
		t.n += kept
	}
	for col, n := range t.warnings {
		if n > 0 && stats.Warnings == 0 {
			stats.Warning = t.warning[col]
		}
		stats.Warnings += n
	}
	return t.record(), stats, nil
}

// readerPool keeps chunk readers, with their buffers, between files.
var readerPool sync.Pool

func getReaders(n int) []chunkReader {
	if rs, ok := readerPool.Get().(*[]chunkReader); ok && len(*rs) >= n {
		return (*rs)[:n]
	}
	return make([]chunkReader, n)
}

func putReaders(rs []chunkReader) {
	for i := range rs {
		rs[i].warnTo, rs[i].seen = nil, nil
	}
	readerPool.Put(&rs)
}

// group is a row group being read.
type group struct {
	r      io.ReaderAt
	size   int64 // of the file
	meta   *format.RowGroup
	chunks []parquet.ColumnChunk
}

// readGroup reads the bound columns of a row group, each column on one of
// the readers' goroutines.
func (t *table) readGroup(g *group, binds []binding, readers []chunkReader) error {
	n := int(g.meta.NumRows)
	read := func(cr *chunkReader, b binding) error {
		cr.warnTo = t
		if r := t.room[b.col]; r.rows > 0 {
			t.reserveCol(b.col, r.rows, r.data)
			t.room[b.col] = room{}
		}
		if err := cr.read(t, b.col, b.leaf, g); err != nil {
			return fmt.Errorf("column %s: %w", b.leaf.path, err)
		}
		if got := t.len(b.col); got != t.n+n {
			return fmt.Errorf("column %s: %w: %d values in a row group of %d rows", b.leaf.path, parquet.ErrCorrupted, got-t.n, n)
		}
		for _, l := range b.more {
			// Another column for the same field: it fills the rows the
			// first ones left empty.
			other := newColumn(t.mem, b.col, n)
			err := cr.read(other, b.col, l, g)
			if err == nil && other.len(b.col) != n {
				err = fmt.Errorf("%w: %d values in a row group of %d rows", parquet.ErrCorrupted, other.len(b.col), n)
			}
			if err == nil {
				t.coalesce(b.col, t.n, other)
			}
			other.release()
			if err != nil {
				return fmt.Errorf("column %s: %w", l.path, err)
			}
		}
		return nil
	}
	if len(readers) == 1 {
		for _, b := range binds {
			if err := read(&readers[0], b); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, len(binds))
	var next atomic.Int32
	var wg sync.WaitGroup
	for i := range readers {
		wg.Add(1)
		go func(cr *chunkReader) {
			defer wg.Done()
			for {
				j := int(next.Add(1)) - 1
				if j >= len(binds) {
					return
				}
				errs[j] = read(cr, binds[j])
			}
		}(&readers[i])
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// openFile opens a Parquet file, reading its footer (the schema and the
// row groups' metadata) but not its page indexes.
func openFile(r io.ReaderAt, size int64) (*parquet.File, error) {
	// parquet-go allocates the footer size the file claims: check it
	// first, so that a corrupt length does not allocate gigabytes.
	var tail [8]byte
	if size < 12 {
		return nil, fmt.Errorf("open Parquet: %w: %d bytes", parquet.ErrCorrupted, size)
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, fmt.Errorf("open Parquet: %w", err)
	}
	if footer := int64(binary.LittleEndian.Uint32(tail[:4])); footer > size-12 {
		return nil, fmt.Errorf("open Parquet: %w: footer of %d bytes in a file of %d (truncated?)", parquet.ErrCorrupted, footer, size)
	}
	pf, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("open Parquet: %w", err)
	}
	return pf, nil
}

// recoverCorrupt turns a panic of the Parquet decoder on a corrupt file
// into an error.
func recoverCorrupt(err *error) {
	if p := recover(); p != nil {
		if e, ok := p.(error); ok {
			*err = fmt.Errorf("%w: %w", parquet.ErrCorrupted, e)
		} else {
			*err = fmt.Errorf("%w: %v", parquet.ErrCorrupted, p)
		}
	}
}

// binding reads a leaf column into a column of the event table, and the
// more columns into its rows that the leaf leaves empty.
type binding struct {
	col  int
	leaf *leaf
	more []*leaf
}

// nativeBindings reads every column of an evanalyze events file by its
// name, except latest and duplicates (recomputed by the archive), the
// cluster when it is overridden, and time: it is derived from the other
// times (load.ObservedTime) faster than it is decompressed, and the
// writer stored the value it derives.
func nativeBindings(schema *parquet.Schema, clusterOverridden bool) ([]binding, error) {
	var out []binding
	for col, f := range load.EventSchema.Fields() {
		if col == load.ColLatest || col == load.ColDuplicates || col == load.ColTime || col == load.ColCluster && clusterOverridden {
			continue
		}
		l, err := bindLeaf(schema, f.Name, targets[col])
		if err != nil {
			return nil, err
		}
		out = append(out, binding{col: col, leaf: l})
	}
	return out, nil
}

// bySize orders the bindings by the size of their columns, largest first,
// so that the workers finish together.
func bySize(pf *parquet.File, binds []binding) {
	size := func(b binding) (n int64) {
		for _, rg := range pf.Metadata().RowGroups {
			if b.leaf.index < len(rg.Columns) {
				n += rg.Columns[b.leaf.index].MetaData.TotalUncompressedSize
			}
		}
		return n
	}
	sort.SliceStable(binds, func(i, j int) bool { return size(binds[i]) > size(binds[j]) })
}

// table is an event table being built.
type table struct {
	mem  memory.Allocator
	dict [load.NumColumns]*dictCol
	str  [load.NumColumns]*strCol
	i32  [load.NumColumns]*fixedCol[int32]
	i64  [load.NumColumns]*fixedCol[int64] // int64 and timestamp columns
	n    int                               // complete rows

	keepBuf []bool
	room    [load.NumColumns]room // of bound columns not yet read (plan)

	// Values that could not be read, per column, and the first of each.
	warnings [load.NumColumns]int64
	warning  [load.NumColumns]error
}

// newTable returns an empty table with room for about rows rows.
func newTable(mem memory.Allocator, rows int) *table {
	t := &table{mem: mem}
	for col := range targets {
		t.add(col, rows)
	}
	return t
}

// newColumn returns a table of one column, col.
func newColumn(mem memory.Allocator, col, rows int) *table {
	t := &table{mem: mem}
	t.add(col, rows)
	return t
}

// add adds column col, with room for about rows rows.
func (t *table) add(col, rows int) {
	mem := t.mem
	switch targets[col] {
	case tDict:
		t.dict[col] = newDictCol(mem)
	case tStr:
		t.str[col] = newStrCol(mem)
	case tCount:
		t.i32[col] = newFixedCol[int32](mem)
	case tTime, tInt64:
		t.i64[col] = newFixedCol[int64](mem)
	}
	t.reserveCol(col, rows, 0)
}

// reserveCol makes room in column col for rows rows and, in a string
// column, data bytes of values.
func (t *table) reserveCol(col, rows int, data int64) {
	if rows <= 0 {
		return
	}
	switch targets[col] {
	case tDict:
		t.dict[col].idx.reserve(rows)
		t.dict[col].valid.bits.reserve(rows/8 + 1)
	case tStr:
		t.str[col].offs.reserve(rows)
		t.str[col].valid.bits.reserve(rows/8 + 1)
		t.str[col].data.reserve(int(data))
	case tCount:
		t.i32[col].vals.reserve(rows)
		t.i32[col].valid.bits.reserve(rows/8 + 1)
	case tTime, tInt64:
		t.i64[col].vals.reserve(rows)
		t.i64[col].valid.bits.reserve(rows/8 + 1)
	}
}

// room is what a column reserves before its first values.
type room struct {
	rows int
	data int64 // string columns: bytes of values
}

// plan reserves the columns that no binding reads, and notes for the
// bound ones the room readGroup gives them: rows, and for string columns
// as much data as their uncompressed chunks hold (36 characters for each
// UUID that is not null), so that the buffers are not reallocated while
// reading.
func (t *table) plan(pf *parquet.File, fileSize int64, binds []binding, rows int) {
	var bound [load.NumColumns]bool
	for _, b := range binds {
		bound[b.col] = true
		var size int64
		for _, rg := range pf.Metadata().RowGroups {
			if targets[b.col] != tStr || b.leaf.index >= len(rg.Columns) {
				continue
			}
			md := &rg.Columns[b.leaf.index].MetaData
			if b.leaf.uuid {
				size += 36 * min(max(md.NumValues-max(md.Statistics.NullCount, 0), 0), rg.NumRows)
			} else {
				size += md.TotalUncompressedSize
			}
		}
		// The sizes are the footer's word: a corrupt one must not make
		// this allocate much more than the file could hold.
		t.room[b.col] = room{rows: max(rows, 1), data: max(min(size, 64*fileSize, 1<<30), 0)}
	}
	for col := range targets {
		if !bound[col] {
			t.reserveCol(col, rows, 0)
		}
	}
}

// len returns the rows in column col (0 for a column the table lacks).
func (t *table) len(col int) int {
	switch {
	case t.dict[col] != nil:
		return t.dict[col].len()
	case t.str[col] != nil:
		return t.str[col].len()
	case t.i32[col] != nil:
		return t.i32[col].len()
	case t.i64[col] != nil:
		return t.i64[col].len()
	case targets[col] == tBool:
		return t.n
	}
	return 0
}

// nulls appends k nulls to column col.
func (t *table) nulls(col, k int) {
	switch targets[col] {
	case tDict:
		t.dict[col].fill(k, nil)
	case tStr:
		t.str[col].addNulls(k)
	case tCount:
		clear(t.i32[col].extend(k))
	case tTime, tInt64:
		clear(t.i64[col].extend(k))
	}
}

// coalesce fills the null rows from from on of column col with other's
// values (other's rows start at from).
func (t *table) coalesce(col, from int, other *table) {
	n := other.len(col)
	switch targets[col] {
	case tDict:
		c, o := t.dict[col], other.dict[col]
		for i := 0; i < n; i++ {
			r := from + i
			if isSet(c.valid.bits.all(), r) || !isSet(o.valid.bits.all(), i) {
				continue
			}
			id := o.idx.all()[i]
			offs := o.dict.offs.all()
			if v := c.id(o.dict.data.all()[offs[id]:offs[id+1]]); v >= 0 {
				c.idx.all()[r] = v
				c.valid.set(r)
			}
		}
	case tStr:
		c, o := t.str[col], other.str[col]
		merged := newStrCol(t.mem)
		defer merged.release()
		for i := 0; i < n; i++ {
			src, r := c, from+i
			if !isSet(c.valid.bits.all(), r) {
				src, r = o, i
			}
			offs := src.offs.all()
			merged.add(src.data.all()[offs[r]:offs[r+1]])
		}
		c.keep(from, make([]bool, c.len()-from)) // cut the rows, then add them back
		offs := merged.offs.all()
		for i := 0; i < n; i++ {
			c.add(merged.data.all()[offs[i]:offs[i+1]])
		}
	case tCount:
		patch(t.i32[col], other.i32[col], from, n)
	case tTime, tInt64:
		patch(t.i64[col], other.i64[col], from, n)
	}
}

func patch[T int32 | int64](c, o *fixedCol[T], from, n int) {
	for i := 0; i < n; i++ {
		r := from + i
		if !isSet(c.valid.bits.all(), r) && isSet(o.valid.bits.all(), i) {
			c.vals.all()[r] = o.vals.all()[i]
			c.valid.set(r)
		}
	}
}

// record returns the table as a record: latest false, duplicates 0.
func (t *table) record() arrow.Record {
	t.i32[load.ColDuplicates].fill(t.n-t.i32[load.ColDuplicates].len(), 0)
	for col := range targets {
		if k := t.n - t.len(col); k > 0 {
			t.nulls(col, k) // a field the file does not have
		}
	}
	cols := make([]arrow.Array, load.NumColumns)
	for col, f := range load.EventSchema.Fields() {
		switch targets[col] {
		case tDict:
			cols[col] = t.dict[col].array(f.Type)
		case tStr:
			cols[col] = t.str[col].array()
		case tCount:
			cols[col] = t.i32[col].array(f.Type)
		case tTime, tInt64:
			cols[col] = t.i64[col].array(f.Type)
		case tBool:
			bits := memory.NewResizableBuffer(t.mem)
			bits.Resize(int(bitutil.BytesForBits(int64(t.n))))
			clear(bits.Bytes())
			data := array.NewData(f.Type, t.n, []*memory.Buffer{nil, bits}, nil, 0, 0)
			cols[col] = array.MakeFromData(data)
			data.Release()
			bits.Release()
		}
	}
	rec := array.NewRecord(load.EventSchema, cols, int64(t.n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

func (t *table) release() {
	for col := range targets {
		switch {
		case t.dict[col] != nil:
			t.dict[col].release()
		case t.str[col] != nil:
			t.str[col].release()
		case t.i32[col] != nil:
			t.i32[col].release()
		case t.i64[col] != nil:
			t.i64[col].release()
		}
	}
}
