package archive

import (
	"fmt"
	"hash/maphash"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/audit"
	"github.com/evanalyze/evanalyze/internal/load/k8sjson"
)

// decodeWorker decodes blocks into its own batch. Per-file counts of the
// block in hand are kept apart and added to the file under the lock.
type decodeWorker struct {
	opts    Options
	allow   func(k8sjson.Shape) bool
	files   []*FileStats
	sources []load.Source

	dec   k8sjson.Decoder
	row   load.EventRow
	batch *load.Batch

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
	shapes                                                 [k8sjson.ShapeSkip + 1]int64
	skipReasons                                            map[string]int64
	errs, warns                                            []*load.InputError
	firstErr                                               error
}

func newDecodeWorker(opts Options, allow func(k8sjson.Shape) bool, files []*FileStats, sources []load.Source) *decodeWorker {
	w := &decodeWorker{
		opts: opts, allow: allow, files: files, sources: sources,
		batch:       load.NewDecodeBatch(opts.Mem),
		skipReasons: map[string]int64{},
		envelopes:   map[string]int64{},
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
		w.batch.Append(&w.row, prov)
	}
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
	w.batch.Append(&w.row, &p)
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
	w.read, w.records, w.rejected, w.skipped, w.warnings, w.outOfScope = 0, 0, 0, 0, 0, 0
	w.shapes = [k8sjson.ShapeSkip + 1]int64{}
	w.errs, w.warns = w.errs[:0], w.warns[:0]
}
