package archive

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/evanalyze/evanalyze/internal/load"
)

// An event's identity is (cluster, namespace, name): event names are unique
// per namespace (client-go appends the creation time in hex) and the same
// event seen through the core and events.k8s.io APIs, a watch stream, a
// snapshot or an audit log (whose request objects have no uid) shares them.
// Without a name, the uid, and without either the involved object, reason,
// first time and message, stand in.
//
// An observation is what an event looked like at one moment: its count,
// series count, message, reason, type and times. Records with the same
// identity and observation are exact repeats and merge into one row; the
// kept row is the one that comes first by (file, offset), so the result does
// not depend on the order of inputs or workers.

type rowRef struct {
	batch    int32  // -1 for a phantom (see phantom)
	row      int32  // of a phantom: how many records it stands for
	id, id2  uint64 // identity hash, 128 bits
	obs, ob2 uint64 // observation hash, 128 bits
	file     int32  // rank of the source file name
	off      int64
	counts   int32 // rank of the file whose counts the row adds to
	part     int32 // rank of the row's partition (load.PartitionKey)
}

// rowHash is what merge hashes of a row: its identity and observation
// hashes. The decode workers hash every row they append (decodeWorker.repeat)
// and hand the hashes on with the batch, so merge does not hash those rows
// again.
type rowHash struct{ id, id2, obs, ob2 uint64 }

// A phantom stands for n records that a decode worker did not append
// because they repeat, exactly, a row it had appended from an earlier place
// (file rank, offset) in the same partition; see decodeWorker.repeat. In
// merge it is a ref without a row that sorts last in its file (offset
// MaxInt64): it joins its group after the row it repeats, adds n
// duplicates for its file and its file to the files the observation and
// the event were seen in, and n to the kept row's duplicates.
type phantom struct {
	id, id2, obs, ob2 uint64
	part              load.PartitionKey
	file              int32 // rank of the file the records were read from
	n                 int32
	next              int32 // the decode worker's chain of phantoms of one key: index+1, 0 at the end
}

// Two independent 64-bit hashes make a 128-bit key: two different
// identities or observations colliding is about as likely as a bit flip in
// memory (2^-128 per pair), so equal keys are taken as equal content without
// comparing the strings again.
var seed, seed2 = maphash.MakeSeed(), maphash.MakeSeed()

// hashInput holds the columns identityHash and observationHash read, as
// the event table holds them: "" for null strings, 0 for null times and
// counts. fromView reads them from a row of a table, fromRow from a decoded
// row about to be appended (Batch.Append), with the same values.
type hashInput struct {
	cluster, namespace, name, uid      string
	objectUID, objectName              string
	reason, typ, message               string
	count, seriesCount                 int32
	first, last, eventTime, seriesLast int64
}

func (in *hashInput) fromView(v *load.View, i int) {
	in.cluster = v.Str(load.ColCluster, i)
	in.namespace = v.Str(load.ColNamespace, i)
	in.name = v.Str(load.ColName, i)
	in.uid = v.Str(load.ColUID, i)
	in.objectUID = v.Str(load.ColObjectUID, i)
	in.objectName = v.Str(load.ColObjectName, i)
	in.reason = v.Str(load.ColReason, i)
	in.typ = v.Str(load.ColType, i)
	in.message = v.Str(load.ColMessage, i)
	in.count, _ = v.Int32(load.ColCount, i)
	in.seriesCount, _ = v.Int32(load.ColSeriesCount, i)
	in.first = v.Time(load.ColFirstTime, i)
	in.last = v.Time(load.ColLastTime, i)
	in.eventTime = v.Time(load.ColEventTime, i)
	in.seriesLast = v.Time(load.ColSeriesLastTime, i)
}

// fromRow fills in from r as Batch.Append(r, &load.Provenance{Cluster:
// inputCluster}) stores it: the cluster it gets (load.RowCluster), the
// first time refined from the name, counts only when they are set. The
// strings alias r.
func (in *hashInput) fromRow(r *load.EventRow, inputCluster string) {
	in.cluster = load.RowCluster(r, inputCluster)
	in.namespace = bstr(r.Namespace)
	in.name = bstr(r.Name)
	in.uid = bstr(r.UID)
	in.objectUID = bstr(r.Object.UID)
	in.objectName = bstr(r.Object.Name)
	in.reason = bstr(r.Reason)
	in.typ = bstr(r.Type)
	in.message = bstr(r.Message)
	in.count, in.seriesCount = 0, 0
	if r.HasCount {
		in.count = r.Count
	}
	if r.HasSeriesCount {
		in.seriesCount = r.SeriesCount
	}
	in.first = load.RefineFirst(r.Name, r.First)
	in.last = r.Last
	in.eventTime = r.EventTime
	in.seriesLast = r.SeriesLast
}

// bstr is b as a string sharing its bytes.
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func identityHash(h *maphash.Hash, in *hashInput) uint64 {
	h.Reset()
	h.WriteString(in.cluster)
	h.WriteByte(0)
	h.WriteString(in.namespace)
	h.WriteByte(0)
	if in.name != "" {
		h.WriteString(in.name)
		return h.Sum64()
	}
	if in.uid != "" {
		h.WriteByte(1)
		h.WriteString(in.uid)
		return h.Sum64()
	}
	h.WriteByte(2)
	h.WriteString(in.objectUID)
	h.WriteByte(0)
	h.WriteString(in.objectName)
	h.WriteByte(0)
	h.WriteString(in.reason)
	h.WriteByte(0)
	writeInt(h, in.first)
	writeInt(h, in.eventTime)
	h.WriteString(in.message)
	return h.Sum64()
}

func observationHash(h *maphash.Hash, in *hashInput) uint64 {
	h.Reset()
	writeInt(h, int64(in.count))
	writeInt(h, int64(in.seriesCount))
	writeInt(h, in.first)
	writeInt(h, in.last)
	writeInt(h, in.eventTime)
	writeInt(h, in.seriesLast)
	h.WriteString(in.reason)
	h.WriteByte(0)
	h.WriteString(in.typ)
	h.WriteByte(0)
	h.WriteString(in.message)
	return h.Sum64()
}

func writeInt(h *maphash.Hash, n int64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(n))
	h.Write(b[:])
}

// fileRanks ranks the files by name, the order of provenance in merge:
// by index in files.
func fileRanks(files []*FileStats) []int32 {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.File
	}
	slices.Sort(names)
	ranks := make([]int32, len(files))
	for i, f := range files {
		r, _ := slices.BinarySearch(names, f.File)
		for r+1 < len(names) && names[r+1] == f.File {
			r++ // names are unique (load.Expand); were they not, the last wins as in a map
		}
		ranks[i] = int32(r)
	}
	return ranks
}

// merged is the event table as runs of whole partitions, in order.
type merged struct {
	parts []arrow.Record
	first []load.PartitionKey // of each part: its first partition
}

func (m *merged) release() {
	for _, p := range m.parts {
		if p != nil {
			p.Release()
		}
	}
}

// fileCounts are the per-file counts one part adds.
type fileCounts struct {
	events, observations, duplicates int64
	summary                          *Summary
	conflicts                        int64
	conflictList                     []*load.InputError // the first maxConflicts
}

// maxConflicts bounds the conflicts one run keeps per file for reporting,
// as Options.MaxErrors (default 100) bounds them per file in the end.
const maxConflicts = 100

// merge deduplicates the decoded batches into the event table, as runs of
// whole partitions (namespaces of a cluster) of about partRows rows each,
// and fills the per-file event, observation and duplicate counts. Repeats
// of an event never cross a partition, so each run is deduplicated and
// sorted on its own, on up to workers goroutines. A row counts for its
// source file, or for origins[batch] when that is not -1: rows read from a
// Parquet archive keep the name of the file they were first read from, the
// archive file is the one they were read from now. The phantoms are the
// records the decode workers counted instead of appending (see phantom).
// It returns an error only when a phantom has no row to join, which
// decodeWorker.repeat rules out.
func merge(mem memory.Allocator, batches []arrow.Record, origins []int, hashes [][]rowHash, phantoms []phantom, files []*FileStats, summaries bool, workers, partRows int) (*merged, error) {
	workers = max(workers, 1)
	views := make([]*load.View, len(batches))
	total := len(phantoms)
	for i, b := range batches {
		views[i] = load.NewView(b)
		total += views[i].Len()
	}
	fileRank := make(map[string]int32, len(files))
	for i, r := range fileRanks(files) {
		fileRank[files[i].File] = r
	}
	byName := make([]*FileStats, len(files))
	for _, f := range files {
		byName[fileRank[f.File]] = f
	}

	// Hash every row and name its partition, batches on all workers; the
	// phantoms, hashed already, are one more slot.
	refs := make([][]rowRef, len(batches)+1)
	keys := make([][]load.PartitionKey, len(batches)+1) // per batch: its partitions, by local id
	load.Parallel(len(batches)+1, workers, func(bi int) {
		if bi == len(batches) {
			local := map[load.PartitionKey]int32{}
			rs := make([]rowRef, len(phantoms))
			for i, p := range phantoms {
				id, ok := local[p.part]
				if !ok {
					id = int32(len(keys[bi]))
					local[p.part] = id
					keys[bi] = append(keys[bi], p.part)
				}
				rs[i] = rowRef{batch: -1, row: p.n, id: p.id, id2: p.id2, obs: p.obs, ob2: p.ob2,
					file: p.file, counts: p.file, off: math.MaxInt64, part: id}
			}
			refs[bi] = rs
			return
		}
		v := views[bi]
		origin := int32(-1)
		if bi < len(origins) && origins[bi] >= 0 {
			origin = fileRank[files[origins[bi]].File]
		}
		var h, h2 maphash.Hash
		h.SetSeed(seed)
		h2.SetSeed(seed2)
		var in hashInput
		var hs []rowHash // the rows' hashes, when the decode worker gave them
		if bi < len(hashes) && len(hashes[bi]) == v.Len() {
			hs = hashes[bi]
		}
		lastFile, lastRank := "", int32(-1)
		local := map[load.PartitionKey]int32{}
		last, lastID := [3]int{-3, -3, -3}, int32(-1)
		rs := make([]rowRef, v.Len())
		for i := range rs {
			// Consecutive rows mostly share their namespace: compare
			// dictionary indices before looking the strings up.
			d := [3]int{v.DictIndex(load.ColCluster, i), v.DictIndex(load.ColObjectNamespace, i), v.DictIndex(load.ColNamespace, i)}
			if d != last || d[0] == -2 || d[1] == -2 || d[2] == -2 {
				k := load.EventPartition(v, i)
				id, ok := local[k]
				if !ok {
					id = int32(len(keys[bi]))
					k = load.PartitionKey{Cluster: strings.Clone(k.Cluster), Namespace: strings.Clone(k.Namespace)}
					local[k] = id
					keys[bi] = append(keys[bi], k)
				}
				last, lastID = d, id
			}
			// Rows of a batch mostly come from one file.
			if f := v.Str(load.ColSourceFile, i); f != lastFile || lastRank < 0 {
				lastFile, lastRank = f, fileRank[f]
			}
			file := lastRank
			counts := file
			if origin >= 0 {
				counts = origin
			}
			var rh rowHash
			if hs != nil {
				rh = hs[i]
			} else {
				in.fromView(v, i)
				rh = rowHash{id: identityHash(&h, &in), id2: identityHash(&h2, &in),
					obs: observationHash(&h, &in), ob2: observationHash(&h2, &in)}
			}
			rs[i] = rowRef{
				batch: int32(bi), row: int32(i),
				id: rh.id, id2: rh.id2, obs: rh.obs, ob2: rh.ob2,
				file: file, counts: counts,
				off:  v.Int64(load.ColSourceOffset, i),
				part: lastID,
			}
		}
		refs[bi] = rs
	})

	// Rank the partitions and group the rows by partition.
	rank := map[load.PartitionKey]int32{}
	for _, ks := range keys {
		for _, k := range ks {
			rank[k] = 0
		}
	}
	sorted := make([]load.PartitionKey, 0, len(rank))
	for k := range rank {
		sorted = append(sorted, k)
	}
	slices.SortFunc(sorted, load.PartitionKey.Compare)
	for i, k := range sorted {
		rank[k] = int32(i)
	}
	rows := make([]int, len(sorted)+1) // rows per partition, then start offsets
	for bi, rs := range refs {
		ranks := make([]int32, len(keys[bi]))
		for id, k := range keys[bi] {
			ranks[id] = rank[k]
		}
		for i := range rs {
			rs[i].part = ranks[rs[i].part]
			rows[rs[i].part+1]++
		}
	}
	for p := 1; p < len(rows); p++ {
		rows[p] += rows[p-1]
	}
	grouped := make([]rowRef, total)
	next := slices.Clone(rows[:len(sorted)])
	for bi := range refs {
		for _, r := range refs[bi] {
			grouped[next[r.part]] = r
			next[r.part]++
		}
		refs[bi] = nil
	}

	// Cut the partitions into runs of about partRows rows; a negative
	// partRows is the default's -partRows at most, and at least about four
	// runs per worker when the table is small, so that every core has
	// parts to merge and correlate (a table of 36k rows was one part: one
	// core).
	if partRows < 0 {
		partRows = min(-partRows, max(total/(4*workers), 1024))
	}
	var cuts []int // first partition of each run
	for p := 0; p < len(sorted); p++ {
		if len(cuts) == 0 || rows[p]-rows[cuts[len(cuts)-1]] >= partRows {
			cuts = append(cuts, p)
		}
	}
	m := &merged{parts: make([]arrow.Record, len(cuts)), first: make([]load.PartitionKey, len(cuts))}
	counts := make([][]fileCounts, len(cuts))
	errs := make([]error, len(cuts))
	load.Parallel(len(cuts), workers, func(c int) {
		lo, hi := cuts[c], len(sorted)
		if c+1 < len(cuts) {
			hi = cuts[c+1]
		}
		m.first[c] = sorted[lo]
		counts[c] = make([]fileCounts, len(files))
		m.parts[c], errs[c] = mergeRun(mem, views, grouped[rows[lo]:rows[hi]], counts[c], summaries)
	})
	if err := errors.Join(errs...); err != nil {
		m.release()
		return nil, err
	}
	for _, fc := range counts {
		for f, n := range fc {
			byName[f].Events += n.events
			byName[f].Observations += n.observations
			byName[f].Duplicates += n.duplicates
			byName[f].Conflicts += n.conflicts
			byName[f].WarningList = append(byName[f].WarningList, n.conflictList...)
			if n.summary != nil {
				byName[f].Summary.merge(n.summary)
			}
		}
	}
	return m, nil
}

// mergeRun deduplicates and sorts the rows of whole partitions into one
// record, adding to counts (by file rank). The record is nil with an error.
func mergeRun(mem memory.Allocator, views []*load.View, refs []rowRef, counts []fileCounts, summaries bool) (arrow.Record, error) {
	slices.SortFunc(refs, func(a, b rowRef) int {
		if c := cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.id2, b.id2)); c != 0 {
			return c
		}
		if c := cmp.Or(cmp.Compare(a.obs, b.obs), cmp.Compare(a.ob2, b.ob2)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.file, b.file); c != 0 {
			return c
		}
		return cmp.Compare(a.off, b.off)
	})

	type kept struct {
		ref    rowRef
		dups   int64
		latest bool
	}
	out := make([]kept, 0, len(refs))
	var idFiles, obsFiles []int32
	var obs []rowRef // of one identity, for conflicts
	versions := map[[2]string]rowRef{}
	for lo := 0; lo < len(refs); {
		// One identity: refs[lo:hi].
		hi := lo + 1
		first := refs[lo]
		for hi < len(refs) && refs[hi].id == first.id && refs[hi].id2 == first.id2 {
			hi++
		}
		idFiles = idFiles[:0]
		latest, start := -1, len(out)
		for olo := lo; olo < hi; {
			ohi := olo + 1
			o := refs[olo]
			if o.batch < 0 {
				// A phantom sorts after the row it repeats (offset
				// MaxInt64, file rank at or after that row's): it
				// cannot come first.
				return nil, fmt.Errorf("merge: %d repeated records without the row they repeat", o.row)
			}
			ov := views[o.batch]
			obsFiles = append(obsFiles[:0], o.counts)
			var dups int64
			for ohi < hi && refs[ohi].obs == o.obs && refs[ohi].ob2 == o.ob2 {
				r := &refs[ohi]
				if !slices.Contains(obsFiles, r.counts) {
					obsFiles = append(obsFiles, r.counts)
				}
				n := int64(1)
				if r.batch < 0 {
					n = int64(r.row)
				}
				counts[r.counts].duplicates += n
				dups += n
				ohi++
			}
			for _, f := range obsFiles {
				counts[f].observations++
				if summaries {
					if counts[f].summary == nil {
						s := newSummary()
						counts[f].summary = &s
					}
					counts[f].summary.add(ov, int(o.row))
				}
				if !slices.Contains(idFiles, f) {
					idFiles = append(idFiles, f)
				}
			}
			out = append(out, kept{ref: o, dups: dups})
			if latest < 0 || later(views, o, out[latest].ref) {
				latest = len(out) - 1
			}
			olo = ohi
		}
		out[latest].latest = true
		if len(out)-start > 1 {
			obs = obs[:0]
			for _, k := range out[start:] {
				obs = append(obs, k.ref)
			}
			conflicts(views, obs, counts, versions)
		}
		for _, f := range idFiles {
			counts[f].events++
		}
		lo = hi
	}

	// The table's order (compareRows), with its first keys read once per
	// row: the partition's rank stands for cluster and partition
	// namespace (ranks follow load.PartitionKey.Compare), then the
	// namespace and the time, which tell most rows apart.
	type sortRow struct {
		part, k int32 // k: index in out
		t       int64
		ns      string // aliases the view
	}
	order := make([]sortRow, len(out))
	for i := range out {
		r := &out[i].ref
		v := views[r.batch]
		order[i] = sortRow{part: r.part, k: int32(i), t: v.Time(load.ColTime, int(r.row)), ns: v.Str(load.ColNamespace, int(r.row))}
	}
	slices.SortFunc(order, func(a, b sortRow) int {
		if c := cmp.Compare(a.part, b.part); c != 0 {
			return c
		}
		if c := strings.Compare(a.ns, b.ns); c != 0 {
			return c
		}
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return compareRows(views, out[a.k].ref, out[b.k].ref)
	})
	at := make([]load.RowAt, len(order))
	latest := make([]bool, len(order))
	dups := make([]int32, len(order))
	for i, o := range order {
		k := &out[o.k]
		at[i] = load.RowAt{Batch: k.ref.batch, Row: k.ref.row}
		latest[i] = k.latest
		dups[i] = int32(min(k.dups, math.MaxInt32))
	}
	return load.Take(mem, load.EventSchema, views, at, latest, dups), nil
}

// conflicts reports the observations of one event that disagree with its
// first one (by file and offset) on what stays the same for the life of an
// event: its uid, involved object, reason and type (client-go's recorders
// key their aggregation and series on them and give a new event a new
// name), or that claim an earlier one's uid and resourceVersion with other
// content. Each stays an observation of its own (which of them is right is
// not ours to say), counted in its file's Conflicts, with a warning.
// versions is scratch space, cleared first.
func conflicts(views []*load.View, obs []rowRef, counts []fileCounts, versions map[[2]string]rowRef) {
	clear(versions)
	slices.SortFunc(obs, func(a, b rowRef) int { return cmp.Or(cmp.Compare(a.file, b.file), cmp.Compare(a.off, b.off)) })
	first := obs[0]
	fv, fi := views[first.batch], int(first.row)
	for n, r := range obs {
		v, i := views[r.batch], int(r.row)
		var what string
		with := first
		for _, c := range [...]struct {
			col  int
			name string
		}{
			{load.ColUID, "uid"}, {load.ColReason, "reason"}, {load.ColType, "type"},
			{load.ColObjectKind, "involved object kind"}, {load.ColObjectNamespace, "involved object namespace"},
			{load.ColObjectName, "involved object name"}, {load.ColObjectUID, "involved object uid"},
		} {
			if a, b := fv.Str(c.col, fi), v.Str(c.col, i); n > 0 && a != "" && b != "" && a != b {
				what = fmt.Sprintf("%s %q, was %q", c.name, cut(b), cut(a))
				break
			}
		}
		if uid, rv := v.Str(load.ColUID, i), v.Str(load.ColResourceVersion, i); what == "" && uid != "" && rv != "" {
			// Distinct observations (merge's groups) with one version.
			if prev, ok := versions[[2]string{uid, rv}]; ok {
				what, with = fmt.Sprintf("resourceVersion %s with other content", cut(rv)), prev
			} else {
				versions[[2]string{uid, rv}] = r
			}
		}
		if what == "" {
			continue
		}
		wv, wi := views[with.batch], int(with.row)
		c := &counts[r.counts]
		c.conflicts++
		if len(c.conflictList) < maxConflicts {
			c.conflictList = append(c.conflictList, &load.InputError{
				File: v.Str(load.ColSourceFile, i), Line: v.Int64(load.ColSourceLine, i), Offset: v.Int64(load.ColSourceOffset, i),
				Err: fmt.Errorf("event %s/%s: conflicts with %s:%d: %s (kept as another observation)",
					v.Str(load.ColNamespace, i), v.Str(load.ColName, i), wv.Str(load.ColSourceFile, wi), wv.Int64(load.ColSourceLine, wi), what),
			})
		}
	}
}

func cut(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// later reports whether observation a is later than b: by count (series
// count for events.k8s.io series), then observed time, then resource
// version, then content.
func later(views []*load.View, a, b rowRef) bool {
	va, vb := views[a.batch], views[b.batch]
	i, j := int(a.row), int(b.row)
	if c := cmp.Compare(effCount(va, i), effCount(vb, j)); c != 0 {
		return c > 0
	}
	if c := cmp.Compare(va.Time(load.ColTime, i), vb.Time(load.ColTime, j)); c != 0 {
		return c > 0
	}
	if c := compareRV(va.Str(load.ColResourceVersion, i), vb.Str(load.ColResourceVersion, j)); c != 0 {
		return c > 0
	}
	return compareRows(views, a, b) > 0
}

func effCount(v *load.View, i int) int32 {
	if sc, ok := v.Int32(load.ColSeriesCount, i); ok {
		return sc
	}
	c, _ := v.Int32(load.ColCount, i)
	return c
}

// compareRV orders resource versions numerically when both are numbers
// (etcd revisions), else as strings.
func compareRV(a, b string) int {
	if len(a) != len(b) && isDigits(a) && isDigits(b) {
		return cmp.Compare(len(a), len(b))
	}
	return strings.Compare(a, b)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// compareRows is the order of the event table: cluster, partition
// namespace (load.PartitionNamespace), the event's namespace, time,
// involved object, event name, then content and provenance, so every row
// has one place whatever the input order.
func compareRows(views []*load.View, a, b rowRef) int {
	va, vb := views[a.batch], views[b.batch]
	i, j := int(a.row), int(b.row)
	if c := strings.Compare(va.Str(load.ColCluster, i), vb.Str(load.ColCluster, j)); c != 0 {
		return c
	}
	if c := strings.Compare(load.PartitionNamespace(va, i), load.PartitionNamespace(vb, j)); c != 0 {
		return c
	}
	if c := strings.Compare(va.Str(load.ColNamespace, i), vb.Str(load.ColNamespace, j)); c != 0 {
		return c
	}
	if c := cmp.Compare(va.Time(load.ColTime, i), vb.Time(load.ColTime, j)); c != 0 {
		return c
	}
	for _, col := range []int{load.ColObjectKind, load.ColObjectName, load.ColName, load.ColReason, load.ColMessage} {
		if c := strings.Compare(va.Str(col, i), vb.Str(col, j)); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(effCount(va, i), effCount(vb, j)); c != 0 {
		return c
	}
	for _, col := range []int{load.ColFirstTime, load.ColLastTime, load.ColEventTime, load.ColSeriesLastTime} {
		if c := cmp.Compare(va.Time(col, i), vb.Time(col, j)); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(a.file, b.file); c != 0 {
		return c
	}
	return cmp.Compare(a.off, b.off)
}
