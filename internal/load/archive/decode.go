package archive

import (
	"fmt"
	"github.com/apache/arrow/go/v15/arrow"
	"hash/maphash"
	"math"
	"strings"
	"sync"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/audit"
	"github.com/evanalyze/evanalyze/internal/load/k8sjson"
)

// decodeWorker decodes blocks into its own batch. Per-file counts of the
// block in hand are kept apart and added to the file under the lock.
//
// It appends a record to the batch only when it does not repeat a row
// some worker appended before from an earlier place (see dedupTable and
// repeat).
type decodeWorker struct {
	opts    Options
	allow   func(k8sjson.Shape) bool
	files   []*FileStats
	sources []load.Source
	ranks   []int32 // of each file, by name (fileRanks)

	seen *dedupTable
	strs map[string]string // the partition names of phantoms, interned
	in   hashInput

	dec    k8sjson.Decoder
	row    load.EventRow
	batch  *load.Batch
	hashes []rowHash // of the rows of batch, when repeat hashed them all
	hash   rowHash   // of the row repeat looked at last

	aud       audit.Decoder
	ch        load.ChangeRow
	changes   []load.ChangeRow // write requests, owned
	reqs      []reqRef         // requests kept only to be counted: reads, writes left out of the changes table
	file      int              // index of the file of the block in hand
	h, h2     maphash.Hash     // for reqRef
	patches   []eventPatch     // event patches found in audit logs, owned
	audit     AuditStats       // of the current block
	envelopes map[string]int64 // records found inside log shipper envelopes, by envelope

	// counts for the current block
	read, records, rejected, skipped, warnings, outOfScope int64
	appended                                               int64
	shapes                                                 [k8sjson.ShapeSkip + 1]int64
	skipReasons                                            map[string]int64
	errs, warns                                            []*load.InputError
	firstErr                                               error
}

func newDecodeWorker(opts Options, allow func(k8sjson.Shape) bool, files []*FileStats, sources []load.Source, ranks []int32, seen *dedupTable) *decodeWorker {
	w := &decodeWorker{
		opts: opts, allow: allow, files: files, sources: sources, ranks: ranks, seen: seen,
		batch:       load.NewBatch(opts.Mem),
		skipReasons: map[string]int64{},
		envelopes:   map[string]int64{},
		strs:        map[string]string{},
	}
	w.h.SetSeed(seed)
	w.h2.SetSeed(seed2)
	return w
}

func (w *decodeWorker) decodeBlock(j job) {
	b := j.block
	w.file = j.file
	fs := w.files[j.file]
	layout := b.Layout.String()
	if j.yaml {
		layout = "yaml-" + layout
	}
	prov := load.Provenance{Cluster: w.sources[j.file].Cluster, File: fs.File}
	for _, fe := range b.Errors {
		w.read++
		w.reject(&load.InputError{File: fs.File, Line: fe.Line, Offset: fe.Offset, Err: fe.Err})
	}
	for _, r := range b.Records {
		w.read++
		off := b.Base + int64(r.Start)
		w.record(b.Data[r.Start:r.End], fs, &prov, layout, r.Line, off, 0)
	}
}

// maxEnvelopes bounds nested envelopes (a fixture wrapper around an Azure
// diagnostic record around an audit event).
const maxEnvelopes = 2

// record decodes one record; depth counts envelopes already opened.
func (w *decodeWorker) record(rec []byte, fs *FileStats, prov *load.Provenance, layout string, line, off int64, depth int) {
	{
		res, err := w.dec.Decode(rec, &w.row)
		if err != nil {
			if depth < maxEnvelopes {
				inner, env, skip := w.dec.Unwrap(rec)
				if skip != "" {
					w.envelopes[env]++
					w.skipped++
					w.skipReasons[skip]++
					return
				}
				if len(inner) > 0 {
					// Copy: decoding the inner records reuses the
					// decoder's buffers that inner may alias.
					w.envelopes[env]++
					w.read += int64(len(inner) - 1) // each inner record is a record read
					for _, in := range inner {
						w.record(append([]byte(nil), in...), fs, prov, env, line, off, depth+1)
					}
					return
				}
			}
			w.reject(&load.InputError{File: fs.File, Line: line, Offset: off, Err: err})
			return
		}
		if !w.allow(res.Shape) {
			w.reject(&load.InputError{File: fs.File, Line: line, Offset: off,
				Err: fmt.Errorf("not a %s record (looks like %s)", w.opts.Format, res.Shape)})
			return
		}
		w.shapes[res.Shape]++
		switch res.Shape {
		case k8sjson.ShapeSkip:
			w.skipped++
			w.skipReasons[res.Skip]++
			return
		case k8sjson.ShapeAudit:
			w.decodeAudit(rec, fs, prov, line, off)
			return
		}
		for _, werr := range res.Warnings {
			w.warnings++
			if len(w.warns) < w.opts.MaxErrors {
				w.warns = append(w.warns, &load.InputError{File: fs.File, Line: line, Offset: off, Err: werr})
			}
		}
		w.records++
		if !w.inScope(&w.row, prov.Cluster) {
			return
		}
		prov.Format = shapeFormat(res.Shape, layout)
		prov.Line = line
		prov.Offset = off
		w.append(&w.row, prov)
	}
}

// dedupKey is what makes two decoded rows exact repeats for merge: the
// identity and observation hashes (256 bits), and a hash of the partition
// namespace and of whether the row is an audit write. Repeats in different
// partitions are merged by no one (merge works partition by partition);
// applyPatches prefers rows that are not audit writes, so those are kept
// apart from audit rows too.
type dedupKey struct{ id, id2, obs, ob2, part uint64 }

// dedupTable is shared by the decode workers: it maps the key of every
// row they appended to the place of that row, and counts the records that
// repeat one from a later place as phantoms instead of rows. A million
// copies of one record cost one map entry and one phantom, not a million
// rows, whichever workers decode them. Shared rather than one per worker,
// repeats are caught whichever worker appended the row: with W workers a
// per-worker map misses about (W-1)/W of the repeats across files. Its
// shards are locked for a map look-up only (the hashes are computed
// outside), so workers rarely wait.
//
// It holds one entry per distinct observation appended: 56 bytes of key
// and value, 85 to 135 bytes with the map's slack as measured with Go
// 1.26's maps, next to the ~400 bytes of the Arrow row and the 128 bytes
// of merge's refs that a repeat no longer costs. It is dropped when the
// decode ends, before merge.
type dedupTable struct {
	shards [dedupShards]dedupShard
}

const dedupShards = 256

type dedupShard struct {
	mu       sync.Mutex
	seen     map[dedupKey]keptObs
	phantoms []phantom // chained per key from keptObs.ph
	_        [24]byte  // a shard per cache line
}

func newDedupTable() *dedupTable {
	t := &dedupTable{}
	for i := range t.shards {
		t.shards[i].seen = map[dedupKey]keptObs{}
	}
	return t
}

// take returns the phantoms of every shard and empties the table.
func (t *dedupTable) take() []phantom {
	var out []phantom
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		out = append(out, s.phantoms...)
		s.phantoms = nil
		clear(s.seen)
		s.mu.Unlock()
	}
	return out
}

// all returns the phantoms of every shard.
func (t *dedupTable) all() []phantom {
	var out []phantom
	for i := range t.shards {
		out = append(out, t.shards[i].phantoms...)
	}
	return out
}

// keptObs is the place of the row appended for a key, and the chain of its
// phantoms.
type keptObs struct {
	off  int64
	file int32 // rank
	ph   int32 // index+1 in phantoms of the last phantom of the key; 0 when none
}

// append appends r to the batch unless it repeats a row appended from an
// earlier place.
func (w *decodeWorker) append(r *load.EventRow, p *load.Provenance) {
	if w.opts.onAppend != nil {
		w.opts.onAppend(r, p)
	}
	if !w.opts.noDecodeDedup {
		if w.repeat(r, p) {
			return
		}
		w.hashes = append(w.hashes, w.hash)
	}
	w.batch.Append(r, p)
	w.appended++
}

// newRecord returns the rows of the batch as a record, with their hashes
// when the worker has them all (nil otherwise), and resets the batch.
func (w *decodeWorker) newRecord() (arrow.Record, []rowHash) {
	hs := w.hashes
	if len(hs) != w.batch.Len() {
		hs = nil
	}
	w.hashes = make([]rowHash, 0, len(w.hashes))
	return w.batch.NewRecord(), hs
}

// repeat reports whether r repeats, exactly, a row a worker appended from
// an earlier place (file rank, then offset; the same place for the records
// of one envelope) in the same partition, counting it as a phantom of that
// row when it does. A record from an earlier place than the kept row (files
// decoded out of name order) is appended, becomes the row its key's later
// repeats are compared with, and merge keeps it over the first.
//
// Why merge always finds a real row first in a group of repeats: a phantom
// is counted only once a worker has claimed, under the shard's lock, the
// key for a row it then appends, from a place at or before the phantom's
// file and offset, in the same partition; every appended row reaches
// merge, which sorts repeats by (file rank, offset), and a phantom's offset
// is MaxInt64, so that row, or one still earlier, sorts before the
// phantom.
func (w *decodeWorker) repeat(r *load.EventRow, p *load.Provenance) bool {
	in := &w.in
	in.fromRow(r, p.Cluster)
	partNS := bstr(r.Object.Namespace)
	if partNS == "" {
		partNS = in.namespace // load.PartitionNamespace
	}
	w.h.Reset()
	w.h.WriteString(partNS)
	if r.API == load.APIAudit {
		w.h.WriteByte(0)
	}
	part := w.h.Sum64()
	w.hash = rowHash{id: identityHash(&w.h, in), id2: identityHash(&w.h2, in),
		obs: observationHash(&w.h, in), ob2: observationHash(&w.h2, in)}
	k := dedupKey{part: part, id: w.hash.id, id2: w.hash.id2, obs: w.hash.obs, ob2: w.hash.ob2}
	file := w.ranks[w.file]
	s := &w.seen.shards[k.id2%dedupShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.seen[k]
	if !ok || file < e.file || file == e.file && p.Offset < e.off {
		e.file, e.off = file, p.Offset
		s.seen[k] = e
		return false
	}
	for i := e.ph; i != 0; i = s.phantoms[i-1].next {
		if ph := &s.phantoms[i-1]; ph.file == file && ph.n < math.MaxInt32 {
			ph.n++
			return true
		}
	}
	s.phantoms = append(s.phantoms, phantom{id: k.id, id2: k.id2, obs: k.obs, ob2: k.ob2,
		part: load.PartitionKey{Cluster: w.intern(in.cluster), Namespace: w.intern(partNS)},
		file: file, n: 1, next: e.ph})
	e.ph = int32(len(s.phantoms))
	s.seen[k] = e
	return true
}

// intern returns s as a string of its own, one per distinct value.
func (w *decodeWorker) intern(s string) string {
	if v, ok := w.strs[s]; ok {
		return v
	}
	v := strings.Clone(s)
	w.strs[v] = v
	return v
}

// decodeAudit decodes an audit record into a change row and, for event
// writes, an event observation (create) or a pending patch.
func (w *decodeWorker) decodeAudit(rec []byte, fs *FileStats, prov *load.Provenance, line, off int64) {
	res, err := w.aud.Decode(rec, &w.ch)
	if res.CloudAuditLogs {
		w.envelopes["gcp-cloud-audit-logs"]++
	}
	if err != nil {
		w.reject(&load.InputError{File: fs.File, Line: line, Offset: off, Err: err})
		return
	}
	for _, werr := range res.Warnings {
		w.warn(fs, line, off, werr)
	}
	ch := &w.ch
	if res.Kind == audit.KindSkip {
		w.skipped++
		w.skipReasons[res.Skip]++
		return
	}
	w.audit.count(ch)
	if res.Kind != audit.KindWrite {
		w.reqs = append(w.reqs, newReqRef(&w.h, &w.h2, prov.Cluster, ch.AuditID, w.file, false))
		return
	}
	if prov.Cluster != "" || ch.Cluster == "" {
		ch.Cluster = prov.Cluster // a path or flag names the cluster; else the record may
	}
	if w.opts.Changes.keeps(ch) {
		ch.SourceFile, ch.SourceLine, ch.SourceOffset = fs.File, line, off
		w.changes = append(w.changes, *ch)
	} else {
		w.reqs = append(w.reqs, newReqRef(&w.h, &w.h2, ch.Cluster, ch.AuditID, w.file, true))
	}
	if res.EventObject == nil || audit.StageRank(ch.Stage) < 3 || (ch.Code >= 300 && ch.Code != 0) {
		return
	}
	p := *prov
	p.Format, p.Line, p.Offset = "audit", line, off
	if res.EventPatch {
		var row load.EventRow
		row.Namespace, row.Name = []byte(ch.Namespace), []byte(ch.Name)
		if err := w.dec.DecodePatch(res.EventObject, &row); err != nil {
			w.warn(fs, line, off, fmt.Errorf("event patch: %w", err))
			return
		}
		w.patches = append(w.patches, newEventPatch(&row, &p))
		w.records++
		w.audit.Events++
		return
	}
	r, err := w.dec.Decode(res.EventObject, &w.row)
	if err != nil || (r.Shape != k8sjson.ShapeEvent && r.Shape != k8sjson.ShapeExporter) {
		if err == nil {
			err = fmt.Errorf("request object is %s, not an event", r.Shape)
		}
		w.warn(fs, line, off, fmt.Errorf("event write: %w", err))
		return
	}
	for _, werr := range r.Warnings {
		w.warn(fs, line, off, fmt.Errorf("event write: %w", werr))
	}
	w.row.API = load.APIAudit
	if len(w.row.Namespace) == 0 {
		w.row.Namespace = []byte(ch.Namespace)
	}
	if len(w.row.Name) == 0 {
		w.row.Name = []byte(ch.Name)
	}
	w.records++
	w.audit.Events++
	if !w.inScope(&w.row, p.Cluster) {
		return
	}
	w.append(&w.row, &p)
}

// inScope reports whether a decoded row is in Options.Scope, counting
// those that are not.
func (w *decodeWorker) inScope(r *load.EventRow, inputCluster string) bool {
	if w.opts.Scope.IsZero() || w.opts.Scope.Row(r, load.RowCluster(r, inputCluster)) {
		return true
	}
	w.outOfScope++
	return false
}

func (w *decodeWorker) warn(fs *FileStats, line, off int64, err error) {
	w.warnings++
	if len(w.warns) < w.opts.MaxErrors {
		w.warns = append(w.warns, &load.InputError{File: fs.File, Line: line, Offset: off, Err: err})
	}
}

func (w *decodeWorker) reject(e *load.InputError) {
	w.rejected++
	if w.firstErr == nil {
		w.firstErr = e
	}
	if len(w.errs) < w.opts.MaxErrors {
		w.errs = append(w.errs, e)
	}
}

// flushStats adds the block's counts to its file. The caller holds the lock.
func (w *decodeWorker) flushStats(file int) {
	fs := w.files[file]
	fs.Read += w.read
	fs.Records += w.records
	fs.Skipped += w.skipped
	fs.Warnings += w.warnings
	fs.OutOfScope += w.outOfScope
	fs.appended += w.appended
	for i, n := range w.shapes {
		fs.shapes[i] += n
	}
	for k, n := range w.skipReasons {
		fs.SkipReasons[k] += n
		delete(w.skipReasons, k)
	}
	for k, n := range w.envelopes {
		if fs.Envelopes == nil {
			fs.Envelopes = map[string]int64{}
		}
		fs.Envelopes[k] += n
		delete(w.envelopes, k)
	}
	for _, e := range w.errs {
		fs.addError(e, w.opts.MaxErrors)
	}
	fs.Rejected += w.rejected - int64(len(w.errs)) // addError counted the kept ones
	if len(fs.WarningList) < 4*w.opts.MaxErrors {
		fs.WarningList = append(fs.WarningList, w.warns...)
	}
	fs.Audit.add(&w.audit)
	w.audit = AuditStats{}
	w.read, w.records, w.rejected, w.skipped, w.warnings, w.outOfScope, w.appended = 0, 0, 0, 0, 0, 0, 0
	w.shapes = [k8sjson.ShapeSkip + 1]int64{}
	w.errs, w.warns = w.errs[:0], w.warns[:0]
}
