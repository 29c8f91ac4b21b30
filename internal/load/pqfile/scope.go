package pqfile

import (
	"bytes"
	"math"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/evanalyze/evanalyze/internal/load"
)

// ReadStats says what ReadEvents read and what its scope left out.
type ReadStats struct {
	RowGroups        int   // in the file
	RowGroupsSkipped int   // not read: their statistics show no row in the scope
	Unread           int64 // rows in the row groups not read
	Filtered         int64 // rows read and left out by the scope
	Warnings         int64 // values that could not be read (out of range, bad time text): null
	Warning          error // the first of them
}

// groupCheck decides from a row group's column statistics whether it may
// hold rows in the scope. Statistics of the cluster, namespace,
// object_namespace and time columns are used when the file has them.
type groupCheck struct {
	scope    *load.Scope
	override bool // the cluster is overridden (checked once for the file)

	cluster, namespace, objectNS, time *leaf
}

func newGroupCheck(s *load.Scope, binds []binding, override bool) *groupCheck {
	g := &groupCheck{scope: s, override: override}
	for _, b := range binds {
		switch b.col {
		case load.ColCluster:
			g.cluster = b.leaf
		case load.ColNamespace:
			g.namespace = b.leaf
		case load.ColObjectNamespace:
			g.objectNS = b.leaf
		case load.ColTime:
			g.time = b.leaf
		}
	}
	return g
}

// mayHold reports whether row group i of pf may hold rows in the scope.
func (g *groupCheck) mayHold(rg parquet.RowGroup, md *format.RowGroup) bool {
	s := g.scope
	chunks := rg.ColumnChunks()
	bounds := func(l *leaf) (lo, hi parquet.Value, allNull, ok bool) {
		if l == nil || l.index >= len(chunks) || l.index >= len(md.Columns) {
			return lo, hi, false, false
		}
		st := &md.Columns[l.index].MetaData
		if st.NumValues > 0 && st.Statistics.NullCount == st.NumValues {
			return lo, hi, true, false
		}
		fc, isFile := chunks[l.index].(*parquet.FileColumnChunk)
		if !isFile {
			return lo, hi, false, false
		}
		lo, hi, ok = fc.Bounds()
		return lo, hi, false, ok && !lo.IsNull() && !hi.IsNull()
	}
	within := func(v []byte, lo, hi parquet.Value) bool {
		return bytes.Compare(v, lo.ByteArray()) >= 0 && bytes.Compare(v, hi.ByteArray()) <= 0
	}
	if len(s.Clusters) > 0 && !g.override {
		if lo, hi, _, ok := bounds(g.cluster); ok && g.cluster.kind == parquet.ByteArray {
			nulls := md.Columns[g.cluster.index].MetaData.Statistics.NullCount > 0
			any := false
			for _, c := range s.Clusters {
				// An empty or null stored cluster reads as the default one.
				any = any || within([]byte(c), lo, hi) || c == load.DefaultCluster && (len(lo.ByteArray()) == 0 || nulls)
			}
			if !any {
				return false
			}
		}
	}
	if len(s.Namespaces) > 0 {
		nlo, nhi, nNull, nok := bounds(g.namespace)
		olo, ohi, oNull, ook := bounds(g.objectNS)
		// A row is in a namespace by its object's namespace, else its own:
		// no row can be when the name is outside both ranges.
		if (nok || nNull) && (ook || oNull) && g.namespace.kind == parquet.ByteArray && g.objectNS.kind == parquet.ByteArray {
			any := false
			for _, n := range s.Namespaces {
				any = any || nok && within([]byte(n), nlo, nhi) || ook && within([]byte(n), olo, ohi)
			}
			if !any {
				return false
			}
		}
	}
	if s.HasTime() && g.time != nil {
		lo, hi, allNull, ok := bounds(g.time)
		if allNull {
			return false // rows without a time are out of a time range
		}
		if ok && g.time.unit > 0 && (g.time.kind == parquet.Int64 || g.time.kind == parquet.Int32) {
			l, h := lo.Int64(), hi.Int64()
			if g.time.kind == parquet.Int32 {
				l, h = int64(lo.Int32()), int64(hi.Int32())
			}
			if !s.Overlaps(satMul(l, g.time.unit), satMul(h, g.time.unit)) {
				return false
			}
		}
	}
	return true
}

// filter applies the scope to rows [from, from+n) of t, which have just
// been read, and returns how many it kept.
func (t *table) filter(from, n int, s *load.Scope, override bool) int {
	keep := grow(t.keepBuf, n)
	t.keepBuf = keep
	for i := range keep {
		keep[i] = true
	}
	if len(s.Clusters) > 0 && !override {
		c := t.dict[load.ColCluster]
		allowed := idSet(c, s.Clusters)
		idx, bits := c.idx.all(), c.valid.bits.all()
		for i := range keep {
			r := from + i
			keep[i] = isSet(bits, r) && allowed[idx[r]]
		}
	}
	if len(s.Namespaces) > 0 {
		ns, ons := t.dict[load.ColNamespace], t.dict[load.ColObjectNamespace]
		nsOK, onsOK := idSet(ns, s.Namespaces), idSet(ons, s.Namespaces)
		nidx, nbits := ns.idx.all(), ns.valid.bits.all()
		oidx, obits := ons.idx.all(), ons.valid.bits.all()
		for i := range keep {
			r := from + i
			if isSet(obits, r) {
				keep[i] = keep[i] && onsOK[oidx[r]]
			} else {
				keep[i] = keep[i] && isSet(nbits, r) && nsOK[nidx[r]]
			}
		}
	}
	if s.HasTime() {
		tm := t.i64[load.ColTime]
		vals, bits := tm.vals.all(), tm.valid.bits.all()
		for i := range keep {
			r := from + i
			keep[i] = keep[i] && isSet(bits, r) && s.Time(vals[r])
		}
	}
	kept := 0
	for _, k := range keep {
		if k {
			kept++
		}
	}
	if kept == n {
		return n
	}
	for col := range targets {
		if t.len(col) != from+n {
			continue // not read
		}
		switch targets[col] {
		case tDict:
			t.dict[col].keep(from, keep)
		case tStr:
			t.str[col].keep(from, keep)
		case tCount:
			t.i32[col].keep(from, keep)
		case tTime, tInt64:
			t.i64[col].keep(from, keep)
		}
	}
	return kept
}

// idSet marks a dictionary column's indexes of values.
func idSet(c *dictCol, values []string) []bool {
	set := make([]bool, len(c.memo))
	for _, id := range c.ids(values) {
		if id >= 0 {
			set[id] = true
		}
	}
	return set
}

func isSet(bits []byte, i int) bool { return bits[i>>3]&(1<<(i&7)) != 0 }

// satMul is x*unit, saturating at the int64 range.
func satMul(x, unit int64) int64 {
	switch {
	case x > math.MaxInt64/unit:
		return math.MaxInt64
	case x < math.MinInt64/unit:
		return math.MinInt64
	}
	return x * unit
}
