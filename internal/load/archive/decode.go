package archive

import (
	"fmt"

	"github.com/evanalyze/evanalyze/internal/load"
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

	// counts for the current block
	read, records, rejected, skipped, warnings int64
	shapes                                     [k8sjson.ShapeSkip + 1]int64
	skipReasons                                map[string]int64
	errs, warns                                []*load.InputError
	firstErr                                   error
}

func newDecodeWorker(opts Options, allow func(k8sjson.Shape) bool, files []*FileStats, sources []load.Source) *decodeWorker {
	return &decodeWorker{
		opts: opts, allow: allow, files: files, sources: sources,
		batch:       load.NewBatch(opts.Mem),
		skipReasons: map[string]int64{},
	}
}

func (w *decodeWorker) decodeBlock(j job) {
	b := j.block
	fs := w.files[j.file]
	layout := b.Layout.String()
	prov := load.Provenance{Cluster: w.sources[j.file].Cluster, File: fs.File}
	for _, fe := range b.Errors {
		w.read++
		w.reject(&load.InputError{File: fs.File, Line: fe.Line, Offset: fe.Offset, Err: fe.Err})
	}
	for _, r := range b.Records {
		w.read++
		res, err := w.dec.Decode(b.Data[r.Start:r.End], &w.row)
		off := b.Base + int64(r.Start)
		if err != nil {
			w.reject(&load.InputError{File: fs.File, Line: r.Line, Offset: off, Err: err})
			continue
		}
		if !w.allow(res.Shape) {
			w.reject(&load.InputError{File: fs.File, Line: r.Line, Offset: off,
				Err: fmt.Errorf("not a %s record (looks like %s)", w.opts.Format, res.Shape)})
			continue
		}
		w.shapes[res.Shape]++
		switch res.Shape {
		case k8sjson.ShapeSkip:
			w.skipped++
			w.skipReasons[res.Skip]++
			continue
		case k8sjson.ShapeAudit:
			w.skipped++
			w.skipReasons["audit record (audit logs are not loaded yet)"]++
			continue
		}
		for _, werr := range res.Warnings {
			w.warnings++
			if len(w.warns) < w.opts.MaxErrors {
				w.warns = append(w.warns, &load.InputError{File: fs.File, Line: r.Line, Offset: off, Err: werr})
			}
		}
		w.records++
		prov.Format = shapeFormat(res.Shape, layout)
		prov.Line = r.Line
		prov.Offset = off
		w.batch.Append(&w.row, &prov)
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
	for i, n := range w.shapes {
		fs.shapes[i] += n
	}
	for k, n := range w.skipReasons {
		fs.SkipReasons[k] += n
		delete(w.skipReasons, k)
	}
	for _, e := range w.errs {
		fs.addError(e, w.opts.MaxErrors)
	}
	fs.Rejected += w.rejected - int64(len(w.errs)) // addError counted the kept ones
	if len(fs.WarningList) < 4*w.opts.MaxErrors {
		fs.WarningList = append(fs.WarningList, w.warns...)
	}
	w.read, w.records, w.rejected, w.skipped, w.warnings = 0, 0, 0, 0, 0
	w.shapes = [k8sjson.ShapeSkip + 1]int64{}
	w.errs, w.warns = w.errs[:0], w.warns[:0]
}
