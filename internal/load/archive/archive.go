// Package archive loads event archives: it expands paths into sources,
// detects each file's format, frames and decodes records on a pool of
// workers, merges repeated observations and returns the event table in
// parts of whole namespaces (load.Partition), with the changes table and
// per-file statistics. It is the composition root of internal/load: the
// format packages never import each other.
//
// Memory: an Archive holds its event and changes tables in Arrow memory,
// about the size of the distinct observations and kept audit writes (the
// writes of other resources, and read requests, cost 24 bytes each);
// while loading, the decoded rows before deduplication and the kept audit
// writes as Go values are held too. LoadEach holds one cluster at a time,
// and with Options.SpillBytes at most that many bytes of decoded rows: the
// rest spill to disk and come back in groups of whole namespaces (see
// spiller), so the bound is the budget, the largest namespace and the
// kept audit writes.
package archive

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/jsonscan"
	"github.com/evanalyze/evanalyze/internal/load/k8sjson"
	"github.com/evanalyze/evanalyze/internal/load/pqfile"
	"github.com/evanalyze/evanalyze/internal/load/yamlrec"
)

// Formats returns the formats Options.Format accepts ("" or "auto"
// detects per file), in a new slice the caller may change.
func Formats() []string {
	return []string{"auto", "k8s-list", "json-array", "json-stream", "event-lines", "watch", "eventrouter", "event-exporter", "audit", "yaml"}
}

// Options configure Load.
type Options struct {
	Cluster   string           // cluster of inputs without a cluster=NAME segment
	Format    string           // input format; "" or "auto" detects it
	Strict    bool             // stop at the first rejected record
	Workers   int              // decode workers; default GOMAXPROCS
	Mem       memory.Allocator // default memory.DefaultAllocator
	Stdin     io.Reader        // for the source "-"; default os.Stdin
	StdinName string           // the file name records of "-" are shown with (file:line); default <stdin>
	MaxErrors int              // rejected records kept per file for reporting; default 100
	BatchRows int              // rows per decoded batch; default 64Ki
	BlockSize int              // bytes per framed block; default 1 MiB
	PartRows  int              // rows per part of the event table (whole namespaces); default 64Ki, fewer for a small table (about four parts per worker)
	// SpillBytes is the budget of decoded rows LoadEach holds in memory:
	// past it they spill to files under TempDir (default os.TempDir),
	// removed before LoadEach returns, and LoadEach reads them back in
	// groups of whole namespaces of about SpillBytes each. 0 never spills.
	SpillBytes int64
	TempDir    string
	Summaries  bool // fill FileStats.Summary and Archive.Summary (time span, namespaces, reasons, kinds)
	// Scope leaves out the event observations outside it, in every input;
	// Parquet archives skip the partitions (by path) and row groups (by
	// statistics) that hold none. The changes table is not scoped.
	Scope load.Scope
	// Changes selects the write requests that become rows of the changes
	// table; the others are counted only.
	Changes ChangeSet
	// Columns maps fields of the event table to the columns of Parquet
	// files other pipelines wrote (pqfile.ParseColumns).
	Columns map[string]string

	// noDecodeDedup makes the decode workers append every record, leaving
	// all of deduplication to merge (tests compare the two).
	noDecodeDedup bool
	// onAppend, when set, sees every event row a decode worker is about
	// to append or count as a repeat (tests).
	onAppend func(*load.EventRow, *load.Provenance)
}

// ChangeSet selects the write requests kept as rows of the changes table.
// Every request is counted in the audit statistics either way.
type ChangeSet int

const (
	// WorkloadChanges keeps the writes of Deployments, ReplicaSets,
	// StatefulSets, DaemonSets, Jobs, CronJobs and pods (every
	// subresource): all that rollouts, stats, export, timeline and the
	// changes summary read.
	WorkloadChanges ChangeSet = iota
	// AllChanges keeps every write (changes --all, convert).
	AllChanges
	// NoChanges keeps none (inspect).
	NoChanges
)

func (c ChangeSet) keeps(r *load.ChangeRow) bool {
	switch c {
	case AllChanges:
		return true
	case NoChanges:
		return false
	}
	return specResources[r.Resource] || r.Resource == "pods"
}

// FileStats describes one input file.
type FileStats struct {
	File        string
	Cluster     string
	Format      string
	Layout      string
	Compression string
	Bytes       int64 // decompressed bytes read

	Read         int64 // records read, including rejected ones
	Records      int64 // event records decoded (observations before merging)
	Events       int64 // distinct events in this file
	Observations int64 // distinct observations in this file
	Duplicates   int64 // records repeating an observation already counted
	Rejected     int64
	Skipped      int64
	Warnings     int64
	Conflicts    int64 // observations that disagree with the first of their event on what never changes (see conflicts)
	OutOfScope   int64 // records decoded but outside Options.Scope
	appended     int64 // records the decode workers appended as rows, the others being repeats they counted (tests)

	// Parquet: row groups, and those skipped unread by Options.Scope with
	// the rows they hold.
	RowGroups, RowGroupsSkipped int
	Unread                      int64

	SkipReasons map[string]int64
	Envelopes   map[string]int64   // records that were log shipper envelopes or cloud log entries, by kind (azure-diagnostics, log-wrapper, gcp-cloud-audit-logs)
	Audit       AuditStats         // of this file's audit records
	Summary     Summary            // of this file's distinct observations
	Errors      []*load.InputError // the first MaxErrors rejected records
	WarningList []*load.InputError // the first MaxErrors field warnings and conflicts

	shapes [k8sjson.ShapeSkip + 1]int64
}

// Summary describes a set of observations.
type Summary struct {
	First, Last int64            // observation times, Unix ns; 0 when none
	Clusters    map[string]int64 // observations per cluster
	Namespaces  map[string]int64
	Reasons     map[string]int64
	Kinds       map[string]int64 // involved object kinds
}

func newSummary() Summary {
	return Summary{Clusters: map[string]int64{}, Namespaces: map[string]int64{}, Reasons: map[string]int64{}, Kinds: map[string]int64{}}
}

func (s *Summary) add(v *load.View, i int) {
	if t := v.Time(load.ColTime, i); t != 0 {
		if s.First == 0 || t < s.First {
			s.First = t
		}
		if t > s.Last {
			s.Last = t
		}
	}
	inc(s.Clusters, v.Str(load.ColCluster, i))
	inc(s.Namespaces, v.Str(load.ColNamespace, i))
	inc(s.Reasons, v.Str(load.ColReason, i))
	inc(s.Kinds, v.Str(load.ColObjectKind, i))
}

// merge adds the observations o describes.
func (s *Summary) merge(o *Summary) {
	if o.First != 0 && (s.First == 0 || o.First < s.First) {
		s.First = o.First
	}
	s.Last = max(s.Last, o.Last)
	for _, m := range [][2]map[string]int64{{s.Clusters, o.Clusters}, {s.Namespaces, o.Namespaces}, {s.Reasons, o.Reasons}, {s.Kinds, o.Kinds}} {
		for k, n := range m[1] {
			m[0][k] += n
		}
	}
}

// inc counts k, copying it only when it is new (k may alias Arrow memory).
func inc(m map[string]int64, k string) {
	if _, ok := m[k]; ok {
		m[k]++
		return
	}
	m[strings.Clone(k)] = 1
}

// Totals sum the files; Events and Observations count the merged table.
type Totals struct {
	Files        int
	Read         int64 // records read: audit records, event records, skipped and rejected ones
	Records      int64 // event records decoded (observations + duplicates), audit event writes included
	Events       int64
	Observations int64
	Duplicates   int64
	Rejected     int64
	Skipped      int64
	Warnings     int64
	Conflicts    int64 // observations disagreeing with the first of their event (FileStats.Conflicts)
	OutOfScope   int64 // records outside Options.Scope: records = observations + duplicates + out of scope
	Audit        AuditStats

	RowGroups, RowGroupsSkipped int   // of Parquet files
	Unread                      int64 // rows in skipped row groups
	PartitionsSkipped           int   // Parquet files not opened (in SkippedFiles)
	Unreadable                  int   // files and directories that could not be read (in SkippedFiles, with Err)
}

// Archive is a loaded archive.
type Archive struct {
	// Parts are the event table (load.EventSchema, sorted) in runs of
	// whole namespaces of a cluster, in order: what correlation reads,
	// one part per worker at a time. EventTable joins them.
	Parts        []load.Partition
	Changes      arrow.Record // the changes table, load.ChangeSchema, sorted by cluster and request time
	Files        []*FileStats
	SkippedFiles []load.Skipped
	Totals       Totals
	Summary      Summary // of the whole event table
	Workers      int     // the workers it was loaded with (Options.Workers), for the stages after it
	// Group is the index of the archive among those LoadEach gives for one
	// cluster whose rows spilled (groups of its namespaces, in order), 0
	// otherwise: the files' rejected records are in every group's Files.
	Group int

	mem    memory.Allocator
	events arrow.Record // the joined event table, once EventTable made it
}

// Events returns the whole event table, joining the parts the first time
// (the parts then become slices of it, so the rows are held once). It is
// valid until Release.
func (a *Archive) Events() arrow.Record {
	if a.events != nil {
		return a.events
	}
	if len(a.Parts) == 1 {
		a.events = a.Parts[0].Events
		a.events.Retain()
		return a.events
	}
	views := make([]*load.View, len(a.Parts))
	var at []load.RowAt
	for p := range a.Parts {
		views[p] = load.NewView(a.Parts[p].Events)
		for i := 0; i < views[p].Len(); i++ {
			at = append(at, load.RowAt{Batch: int32(p), Row: int32(i)})
		}
	}
	a.events = load.Take(a.mem, load.EventSchema, views, at, nil, nil)
	var off int64
	for i := range a.Parts {
		n := a.Parts[i].Events.NumRows()
		a.Parts[i].Events.Release()
		a.Parts[i].Events = a.events.NewSlice(off, off+n)
		off += n
	}
	return a.events
}

// Release frees the event and changes tables.
func (a *Archive) Release() {
	for _, p := range a.Parts {
		p.Events.Release()
	}
	a.Parts = nil
	if a.events != nil {
		a.events.Release()
		a.events = nil
	}
	if a.Changes != nil {
		a.Changes.Release()
		a.Changes = nil
	}
}

// ErrStrict wraps the first rejected record when Options.Strict is set.
var ErrStrict = errors.New("rejected record (--strict)")

// ErrUnreadable wraps the first file or directory that could not be read
// (load.Skipped.Err) when Options.Strict is set.
var ErrUnreadable = errors.New("unreadable input (--strict)")

// expand finds the sources of paths; under Options.Strict an entry that
// could not be read ends the run.
func expand(paths []string, opts Options) ([]load.Source, []load.Skipped, error) {
	sources, skipped, err := load.Expand(paths, opts.Cluster)
	if err != nil {
		return nil, nil, err
	}
	if opts.Strict {
		for _, s := range skipped {
			if s.Err != nil {
				return nil, nil, fmt.Errorf("%w: %s: %s", ErrUnreadable, s.Path, s.Reason)
			}
		}
	}
	return sources, skipped, nil
}

type job struct {
	file  int
	block *jsonscan.Block
	yaml  bool             // the block holds records converted from YAML
	rec   arrow.Record     // rows already decoded (Parquet); the worker adds them
	rows  int64            // how many records rec or changes hold
	chg   []load.ChangeRow // changes read from Parquet
	pq    pqfile.ReadStats // of rec
}

// Load reads paths into an Archive.
func Load(ctx context.Context, paths []string, opts Options) (*Archive, error) {
	opts, allow, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	sources, skipped, err := expand(paths, opts)
	if err != nil {
		return nil, err
	}
	sources, skipped, partitions := prune(sources, skipped, &opts.Scope)
	return loadSources(ctx, sources, skipped, partitions, opts, allow)
}

// LoadEach reads paths one cluster at a time: fn gets the archive of each
// cluster in turn, by cluster name, and the archive is released when fn
// returns, so memory holds one cluster, not the fleet. Nothing correlation
// reads crosses a cluster. When an input leaves its cluster to its records
// (no cluster=NAME segment and no Options.Cluster), the clusters cannot be
// told apart before reading, and fn gets one archive of everything. The
// files skipped unread are in the first archive's SkippedFiles.
func LoadEach(ctx context.Context, paths []string, opts Options, fn func(*Archive) error) error {
	opts, allow, err := opts.withDefaults()
	if err != nil {
		return err
	}
	sources, skipped, err := expand(paths, opts)
	if err != nil {
		return err
	}
	sources, skipped, partitions := prune(sources, skipped, &opts.Scope)
	for _, group := range clusterGroups(sources) {
		d, err := decodeSources(ctx, group, opts, allow)
		if err != nil {
			return err
		}
		err = d.each(ctx, opts, skipped, partitions, fn)
		err = errors.Join(err, d.release())
		if err != nil {
			return err
		}
		skipped, partitions = nil, 0
	}
	return nil
}

// each finishes the decoded rows as one archive, or when they spilled as
// one archive per group of namespaces, and calls fn with each in order,
// releasing it after. The archives of a spilled load share the files'
// statistics: the counts of decoding are there from the first archive,
// those of merging (events, observations, duplicates) grow with each and
// are whole in the last.
func (d *decoded) each(ctx context.Context, opts Options, skipped []load.Skipped, partitions int, fn func(*Archive) error) error {
	call := func(a *Archive, err error) error {
		if err != nil {
			return err
		}
		defer a.Release()
		return fn(a)
	}
	if d.spill == nil {
		return call(finish(opts, d.files, skipped, partitions, d.batches, d.origins, d.hashes, d.phantoms, d.patches, d.changes, d.reqs))
	}
	// What is held in memory goes to the group of its partition.
	var keys []load.PartitionKey
	for _, p := range d.phantoms {
		keys = append(keys, p.part)
	}
	patchKey := func(p *eventPatch) load.PartitionKey {
		return load.PartitionKey{Cluster: load.ClusterOrDefault(p.cluster), Namespace: p.namespace}
	}
	for i := range d.patches {
		keys = append(keys, patchKey(&d.patches[i]))
	}
	for i := range d.changes {
		keys = append(keys, changeKey(&d.changes[i]))
	}
	// Half the budget of rows per group: merging a group copies its rows
	// once more.
	groups := d.spill.groups(keys, opts.SpillBytes/2)
	group := make(map[load.PartitionKey]int, len(keys))
	for gi, g := range groups {
		for _, k := range g.keys {
			group[k] = gi
		}
	}
	phs := make([][]phantom, len(groups))
	for _, p := range d.phantoms {
		gi := group[p.part]
		phs[gi] = append(phs[gi], p)
	}
	patches := make([][]eventPatch, len(groups))
	for i := range d.patches {
		gi := group[patchKey(&d.patches[i])]
		patches[gi] = append(patches[gi], d.patches[i])
	}
	changes := make([][]load.ChangeRow, len(groups))
	for i := range d.changes {
		gi := group[changeKey(&d.changes[i])]
		changes[gi] = append(changes[gi], d.changes[i])
	}
	d.phantoms, d.patches, d.changes = nil, nil, nil
	reqs := d.reqs
	for gi, g := range groups {
		if err := ctx.Err(); err != nil {
			return err
		}
		batches, origins, err := d.spill.load(g)
		if err != nil {
			return err
		}
		spilt, err := d.spill.loadChanges(g)
		if err != nil {
			for _, b := range batches {
				b.Release()
			}
			return err
		}
		changes[gi] = append(changes[gi], spilt...)
		a, err := finish(opts, d.files, skipped, partitions, batches, origins, nil, phs[gi], patches[gi], changes[gi], reqs)
		if a != nil {
			a.Group = gi
		}
		for _, b := range batches {
			b.Release()
		}
		phs[gi], patches[gi], changes[gi] = nil, nil, nil
		skipped, partitions, reqs = nil, 0, nil
		if err := call(a, err); err != nil {
			return err
		}
	}
	return nil
}

// clusterGroups splits sources by the cluster their path or flag names,
// in order of cluster name; one group of all when any source names none
// (and none when there are no sources: one empty group, so that the caller
// still gets an archive).
func clusterGroups(sources []load.Source) [][]load.Source {
	byCluster := map[string][]load.Source{}
	for _, src := range sources {
		if src.Cluster == "" {
			return [][]load.Source{sources}
		}
		byCluster[src.Cluster] = append(byCluster[src.Cluster], src)
	}
	if len(byCluster) == 0 {
		return [][]load.Source{sources}
	}
	names := make([]string, 0, len(byCluster))
	for c := range byCluster {
		names = append(names, c)
	}
	slices.Sort(names)
	groups := make([][]load.Source, len(names))
	for i, c := range names {
		groups[i] = byCluster[c]
	}
	return groups
}

func (opts Options) withDefaults() (Options, func(k8sjson.Shape) bool, error) {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Mem == nil {
		opts.Mem = memory.DefaultAllocator
	}
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = 100
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = 64 << 10
	}
	allow, err := allowedShapes(opts.Format)
	return opts, allow, err
}

// loadSources reads sources into an Archive; opts has its defaults. It
// never spills.
func loadSources(ctx context.Context, sources []load.Source, skipped []load.Skipped, partitions int, opts Options, allow func(k8sjson.Shape) bool) (*Archive, error) {
	opts.SpillBytes = 0
	d, err := decodeSources(ctx, sources, opts, allow)
	if err != nil {
		return nil, err
	}
	defer d.release()
	return finish(opts, d.files, skipped, partitions, d.batches, d.origins, d.hashes, d.phantoms, d.patches, d.changes, d.reqs)
}

// decoded is what the decode stage gives: the decoded batches (none when
// they all spilled), the kept audit writes, the counted requests, the
// event patches waiting for their events and the repeats counted as
// phantoms.
type decoded struct {
	files    []*FileStats
	batches  []arrow.Record
	origins  []int       // per batch: the file all its rows were read from (Parquet), else -1
	hashes   [][]rowHash // per batch: its rows' hashes, from the decode workers' dedup (nil when not known)
	changes  []load.ChangeRow
	reqs     []reqRef
	patches  []eventPatch
	phantoms []phantom
	spill    *spiller // nil unless batches spilled
}

// release releases the batches and removes the spill files.
func (d *decoded) release() error {
	for _, b := range d.batches {
		b.Release()
	}
	d.batches = nil
	if d.spill != nil {
		err := d.spill.close()
		d.spill = nil
		return err
	}
	return nil
}

// spillBatches spills batches, making the spiller first. The caller
// releases batches.
func spillBatches(sp **spiller, opts Options, batches []arrow.Record, origins []int) error {
	if *sp == nil {
		s, err := newSpiller(opts.TempDir, opts.Mem)
		if err != nil {
			return err
		}
		*sp = s
	}
	err := (*sp).spill(batches, origins)
	for _, b := range batches {
		b.Release()
	}
	return err
}

// decodeSources frames and decodes sources on opts.Workers workers. Past
// opts.SpillBytes of decoded rows, the rows spill (decoded.spill), all of
// them by the end.
func decodeSources(ctx context.Context, sources []load.Source, opts Options, allow func(k8sjson.Shape) bool) (*decoded, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	files := make([]*FileStats, len(sources))
	for i, src := range sources {
		files[i] = &FileStats{File: opts.displayName(src.Path), Cluster: src.Cluster, SkipReasons: map[string]int64{}, Summary: newSummary()}
	}
	var (
		mu      sync.Mutex
		batches []arrow.Record
		origins []int // per batch: the file all its rows were read from (Parquet), else -1
		hashes  [][]rowHash
		changes []load.ChangeRow
		reqs    []reqRef
		patches []eventPatch
	)
	ranks, seen := fileRanks(files), newDedupTable()
	var (
		sp      *spiller
		phs     []phantom // of the dedup tables spills dropped
		pending int64     // Arrow bytes of batches
	)
	// add keeps a decoded batch, under mu. Past the budget the batches
	// spill, and so does the dedup table (its phantoms stay): repeats of a
	// spilled row become rows, and merge counts them as it reads the
	// partition back.
	spill := func() {
		if opts.SpillBytes <= 0 || pending < opts.SpillBytes || ctx.Err() != nil {
			return
		}
		if err := spillBatches(&sp, opts, batches, origins); err != nil {
			cancel(err)
			return
		}
		batches, origins, hashes, pending = batches[:0], origins[:0], hashes[:0], 0
		phs = append(phs, seen.take()...)
		if len(changes) > 0 {
			if err := sp.spillChanges(changes); err != nil {
				cancel(err)
			}
			changes = nil
		}
	}
	add := func(rec arrow.Record, origin int, hs []rowHash) {
		batches = append(batches, rec)
		origins = append(origins, origin)
		hashes = append(hashes, hs)
		if opts.SpillBytes > 0 {
			pending += recordBytes(rec) + int64(len(hs))*int64(unsafe.Sizeof(rowHash{}))
			spill()
		}
	}
	// addChanges keeps kept audit writes, under mu.
	addChanges := func(rows ...load.ChangeRow) {
		changes = append(changes, rows...)
		if opts.SpillBytes > 0 {
			for i := range rows {
				pending += changeBytes(&rows[i])
			}
			spill()
		}
	}
	jobs := make(chan job, 2*opts.Workers)

	// Framers: one goroutine per file, at most Workers files open at once.
	var framers sync.WaitGroup
	sem := make(chan struct{}, opts.Workers)
	go func() {
		defer close(jobs)
		for i, src := range sources {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
			framers.Add(1)
			go func(i int, src load.Source) {
				defer framers.Done()
				defer func() { <-sem }()
				frame(ctx, src, opts, files[i], i, jobs, &mu)
			}(i, src)
		}
		framers.Wait()
	}()

	// Decoders.
	var workers sync.WaitGroup
	for w := 0; w < opts.Workers; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			dw := newDecodeWorker(opts, allow, files, sources, ranks, seen)
			var batchIn int64 // input bytes decoded into dw.batch
			defer dw.batch.Release()
			for j := range jobs {
				if ctx.Err() != nil {
					if j.rec != nil {
						j.rec.Release()
					}
					continue // drain
				}
				if j.rec != nil || j.chg != nil {
					mu.Lock()
					files[j.file].Read += j.rows
					if j.rec != nil {
						add(j.rec, j.file, nil)
						fs := files[j.file]
						fs.Read += j.pq.Filtered
						fs.Records += j.rows + j.pq.Filtered
						fs.OutOfScope += j.pq.Filtered
						fs.RowGroups += j.pq.RowGroups
						fs.RowGroupsSkipped += j.pq.RowGroupsSkipped
						fs.Unread += j.pq.Unread
						fs.Warnings += j.pq.Warnings
						if j.pq.Warning != nil {
							fs.WarningList = append(fs.WarningList, &load.InputError{File: fs.File, Offset: -1, Err: j.pq.Warning})
						}
					} else {
						for i := range j.chg {
							if opts.Changes.keeps(&j.chg[i]) {
								addChanges(j.chg[i])
							} else {
								reqs = append(reqs, newReqRef(&dw.h, &dw.h2, j.chg[i].Cluster, j.chg[i].AuditID, j.file, true))
							}
						}
						// The rows are write requests: count them by level,
						// verb, resource and user as audit records are.
						for i := range j.chg {
							files[j.file].Audit.count(&j.chg[i])
						}
						files[j.file].Audit.Records += j.rows - int64(len(j.chg))
					}
					mu.Unlock()
					continue
				}
				dw.decodeBlock(j)
				batchIn += int64(len(j.block.Data))
				j.block.Release()
				mu.Lock()
				dw.flushStats(j.file)
				mu.Unlock()
				if opts.Strict && dw.firstErr != nil {
					cancel(fmt.Errorf("%w: %w", ErrStrict, dw.firstErr))
				}
				// Under a budget, a batch also ends after about an eighth
				// of it of input: a worker's batch is memory the budget
				// does not see until it is handed over.
				if dw.batch.Len() >= opts.BatchRows || opts.SpillBytes > 0 && batchIn >= opts.SpillBytes/8 {
					batchIn = 0
					rec, hs := dw.newRecord()
					mu.Lock()
					add(rec, -1, hs)
					mu.Unlock()
				}
				if opts.SpillBytes > 0 && len(dw.changes) >= 4096 {
					mu.Lock()
					addChanges(dw.changes...)
					mu.Unlock()
					dw.changes = dw.changes[:0]
				}
			}
			mu.Lock()
			if dw.batch.Len() > 0 {
				rec, hs := dw.newRecord()
				add(rec, -1, hs)
			}
			addChanges(dw.changes...)
			reqs = append(reqs, dw.reqs...)
			patches = append(patches, dw.patches...)
			mu.Unlock()
		}()
	}
	workers.Wait()
	d := &decoded{files: files, batches: batches, origins: origins, hashes: hashes, changes: changes, reqs: reqs, patches: patches, spill: sp}
	if err := context.Cause(ctx); err != nil {
		d.release()
		return nil, err
	}
	d.phantoms = append(phs, seen.all()...)
	if sp != nil {
		// Once anything spilled, everything does: each group then reads
		// its rows from one place.
		err := spillBatches(&d.spill, opts, batches, origins)
		d.batches, d.origins, d.hashes = nil, nil, nil
		if err == nil && len(changes) > 0 {
			err = sp.spillChanges(changes)
			d.changes = nil
		}
		if err != nil {
			d.release()
			return nil, err
		}
	}
	for _, f := range files {
		if f.Format != "parquet" {
			f.Format = formatName(f)
		}
		sort.SliceStable(f.Errors, func(a, b int) bool { return f.Errors[a].Offset < f.Errors[b].Offset })
		sort.SliceStable(f.WarningList, func(a, b int) bool { return f.WarningList[a].Offset < f.WarningList[b].Offset })
		if len(f.Errors) > opts.MaxErrors {
			f.Errors = f.Errors[:opts.MaxErrors]
		}
		if len(f.WarningList) > opts.MaxErrors {
			f.WarningList = f.WarningList[:opts.MaxErrors]
		}
	}
	return d, nil
}

// finish deduplicates and sorts batches into an archive with the changes
// table of changes, and adds its counts to files' (the caller releases
// batches). reqs are counted into files. hashes, when hashes[i] is not
// nil, are the hashes of the rows of batches[i] (see merge).
func finish(opts Options, files []*FileStats, skipped []load.Skipped, partitions int, batches []arrow.Record, origins []int, hashes [][]rowHash, phs []phantom, patches []eventPatch, changes []load.ChangeRow, reqs []reqRef) (*Archive, error) {
	if len(patches) > 0 {
		p := applyPatches(opts.Mem, batches, patches, &opts.Scope, files)
		defer p.Release()
		batches = append(batches[:len(batches):len(batches)], p)
		origins = append(origins[:len(origins):len(origins)], -1)
	}
	partRows := opts.PartRows
	if partRows <= 0 {
		partRows = -(64 << 10) // the default: fewer for a small table
	}
	m, err := merge(opts.Mem, batches, origins, hashes, phs, files, opts.Summaries, opts.Workers, partRows)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if f.Conflicts > 0 { // merge added them to the warnings
			sort.SliceStable(f.WarningList, func(a, b int) bool { return f.WarningList[a].Offset < f.WarningList[b].Offset })
			f.WarningList = f.WarningList[:min(len(f.WarningList), opts.MaxErrors)]
		}
	}
	a := &Archive{Files: files, SkippedFiles: skipped, Workers: opts.Workers, mem: opts.Mem}
	a.Totals.PartitionsSkipped = partitions
	for _, s := range skipped {
		if s.Err != nil {
			a.Totals.Unreadable++
		}
	}
	a.Changes = buildChanges(opts.Mem, changes, files)
	a.Parts = partition(opts.Mem, m, a.Changes)
	countRequests(reqs, files)
	a.Totals.Files = len(files)
	for _, f := range files {
		a.Totals.Read += f.Read
		a.Totals.Records += f.Records
		a.Totals.Audit.add(&f.Audit)
		a.Totals.Audit.Requests += f.Audit.Requests
		a.Totals.Audit.Duplicates += f.Audit.Duplicates
		a.Totals.Audit.Writes += f.Audit.Writes
		a.Totals.Duplicates += f.Duplicates
		a.Totals.Rejected += f.Rejected
		a.Totals.Skipped += f.Skipped
		a.Totals.Warnings += f.Warnings
		a.Totals.Conflicts += f.Conflicts
		a.Totals.OutOfScope += f.OutOfScope
		a.Totals.RowGroups += f.RowGroups
		a.Totals.RowGroupsSkipped += f.RowGroupsSkipped
		a.Totals.Unread += f.Unread
	}
	a.Summary = newSummary()
	for _, p := range a.Parts {
		v := load.NewView(p.Events)
		a.Totals.Observations += int64(v.Len())
		for i := 0; i < v.Len(); i++ {
			if v.Bool(load.ColLatest, i) {
				a.Totals.Events++
			}
			if opts.Summaries {
				a.Summary.add(v, i)
			}
		}
	}
	return a, nil
}

// partition makes the parts of the merged event table, each with the
// rows of the changes table in its namespaces.
func partition(mem memory.Allocator, m *merged, changes arrow.Record) []load.Partition {
	// The parts share the changes table: make the dictionaries Arrow makes
	// on first use now, before several goroutines read them.
	for _, col := range changes.Columns() {
		if d, ok := col.(*array.Dictionary); ok {
			d.Dictionary()
		}
	}
	parts := make([]load.Partition, len(m.parts))
	for i, rec := range m.parts {
		parts[i] = load.Partition{First: m.first[i], Events: rec, Changes: changes}
	}
	if len(parts) == 0 {
		// Audit writes with no event: one empty part holds them.
		rec := load.NewBatch(mem)
		parts = append(parts, load.Partition{Events: rec.NewRecord(), Changes: changes})
		rec.Release()
	}
	n := int(changes.NumRows())
	for i := 0; i < n; i++ {
		k := load.PartitionKey{Cluster: load.ChangeString(changes, load.CCluster, i), Namespace: load.ChangeString(changes, load.CNamespace, i)}
		// The last part whose first partition is at or before k.
		p, _ := slices.BinarySearchFunc(parts[1:], k, func(p load.Partition, k load.PartitionKey) int {
			if p.First.Compare(k) <= 0 {
				return -1
			}
			return 1
		})
		parts[p].ChangeRows = append(parts[p].ChangeRows, int32(i))
	}
	return parts
}

func (opts *Options) displayName(p string) string {
	switch {
	case p == "-" && opts.StdinName != "":
		return opts.StdinName
	case p == "-":
		return "<stdin>"
	}
	return p
}

// frame reads one source and sends its blocks to the decoders.
func frame(ctx context.Context, src load.Source, opts Options, fs *FileStats, idx int, jobs chan<- job, mu *sync.Mutex) {
	r, comp, err := load.Open(src, opts.Stdin)
	if err != nil {
		mu.Lock()
		fs.addError(&load.InputError{File: fs.File, Offset: 0, Err: err}, opts.MaxErrors)
		fs.Read++
		mu.Unlock()
		return
	}
	defer r.Close()
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4096)
	if pqfile.IsParquet(head) {
		// Parquet needs random access: read the file itself (it is not
		// compressed by us; a compressed Parquet file is read whole).
		rec, chg, n, st, err := readParquet(src, comp, br, opts)
		mu.Lock()
		fs.Compression, fs.Layout, fs.Format = string(comp), "parquet", "parquet"
		mu.Unlock()
		if err != nil {
			mu.Lock()
			fs.Read++
			fs.addError(&load.InputError{File: fs.File, Offset: -1, Err: err}, opts.MaxErrors)
			mu.Unlock()
			return
		}
		select {
		case jobs <- job{file: idx, rec: rec, chg: chg, rows: int64(n), pq: st}:
		case <-ctx.Done():
			if rec != nil {
				rec.Release()
			}
		}
		return
	}
	auto := opts.Format == "" || opts.Format == "auto"
	if opts.Format == "yaml" || auto && (isYAMLName(src.Path) || yamlrec.Looks(head)) {
		cr := &countingReader{r: br}
		b, _ := yamlrec.Convert(cr)
		select {
		case jobs <- job{file: idx, block: b, yaml: true}:
		case <-ctx.Done():
		}
		mu.Lock()
		defer mu.Unlock()
		fs.Compression = string(comp)
		fs.Layout = "yaml-" + b.Layout.String()
		fs.Bytes = cr.n
		return
	}
	fr := jsonscan.NewFramer(br, jsonscan.Options{BlockSize: opts.BlockSize})
	for ctx.Err() == nil {
		b := fr.Next()
		if b == nil {
			break
		}
		select {
		case jobs <- job{file: idx, block: b}:
		case <-ctx.Done():
		}
	}
	mu.Lock()
	defer mu.Unlock()
	fs.Compression = string(comp)
	fs.Layout = fr.Layout().String()
	fs.Bytes = fr.Offset()
	if err := fr.ReadErr(); err != nil {
		fs.Read++
		fs.addError(&load.InputError{File: fs.File, Offset: fr.Offset(), Err: fmt.Errorf("read: %w", err)}, opts.MaxErrors)
	}
}

// readParquet reads an events Parquet file into one record (in the
// scope), or a changes Parquet file into change rows.
func readParquet(src load.Source, comp load.Compression, r io.Reader, opts Options) (arrow.Record, []load.ChangeRow, int, pqfile.ReadStats, error) {
	var st pqfile.ReadStats
	var ra io.ReaderAt
	var size int64
	if src.Path != "-" && comp == load.CompressionNone {
		f, err := os.Open(src.Path)
		if err != nil {
			return nil, nil, 0, st, err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return nil, nil, 0, st, err
		}
		ra, size = f, fi.Size()
	} else {
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, nil, 0, st, err
		}
		ra, size = bytes.NewReader(data), int64(len(data))
	}
	kind, err := pqfile.Kind(ra, size)
	if err != nil {
		return nil, nil, 0, st, err
	}
	if kind == "changes" {
		chg, err := pqfile.ReadChanges(ra, src.Cluster)
		return nil, chg, len(chg), st, err
	}
	rec, st, err := pqfile.ReadEvents(ra, size, pqfile.ReadOptions{Cluster: src.Cluster, Mem: opts.Mem, Scope: opts.Scope,
		Columns: opts.Columns, File: opts.displayName(src.Path)})
	if err != nil {
		return nil, nil, 0, st, err
	}
	return rec, nil, int(rec.NumRows()), st, nil
}

// prune leaves out the events files of the Parquet archive (the
// events.parquet files WriteEvents lays out in cluster=NAME/date=DAY
// partitions) that the scope excludes by their path, returning them as
// skipped files, and how many.
func prune(sources []load.Source, skipped []load.Skipped, scope *load.Scope) ([]load.Source, []load.Skipped, int) {
	if scope.IsZero() {
		return sources, skipped, 0
	}
	kept, n := sources[:0:0], 0
	for _, src := range sources {
		if filepath.Base(src.Path) == "events.parquet" && !scope.Partition(src.Path, src.Cluster) {
			skipped = append(skipped, load.Skipped{Path: src.Path, Reason: "partition outside the scope"})
			n++
			continue
		}
		kept = append(kept, src)
	}
	return kept, skipped, n
}

func isYAMLName(path string) bool {
	n := strings.ToLower(path)
	for _, ext := range []string{".gz", ".zst", ".zstd"} {
		n = strings.TrimSuffix(n, ext)
	}
	return strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (fs *FileStats) addError(e *load.InputError, max int) {
	fs.Rejected++
	// Keep a few more than reported so that sorting by offset after the
	// concurrent decode still shows the first ones.
	if len(fs.Errors) < 4*max {
		fs.Errors = append(fs.Errors, e)
	}
}

// allowedShapes returns which record shapes a forced format accepts.
func allowedShapes(format string) (func(k8sjson.Shape) bool, error) {
	accept := func(shapes ...k8sjson.Shape) func(k8sjson.Shape) bool {
		return func(s k8sjson.Shape) bool {
			if s == k8sjson.ShapeSkip {
				return true
			}
			for _, a := range shapes {
				if s == a {
					return true
				}
			}
			return false
		}
	}
	switch format {
	case "", "auto":
		return func(k8sjson.Shape) bool { return true }, nil
	case "k8s-list", "json-array", "json-stream", "event-lines", "event-exporter":
		return accept(k8sjson.ShapeEvent, k8sjson.ShapeExporter), nil
	case "watch":
		return accept(k8sjson.ShapeWatch), nil
	case "eventrouter":
		return accept(k8sjson.ShapeEventRouter), nil
	case "audit":
		return accept(k8sjson.ShapeAudit), nil
	case "yaml":
		return func(k8sjson.Shape) bool { return true }, nil
	}
	return nil, fmt.Errorf("unknown input format %q (want one of %v)", format, Formats())
}

// formatName names a file's format from its layout and the shapes of its
// records.
func formatName(f *FileStats) string {
	best, n := k8sjson.ShapeInvalid, int64(0)
	for s := k8sjson.ShapeEvent; s <= k8sjson.ShapeAudit; s++ {
		if f.shapes[s] > n {
			best, n = s, f.shapes[s]
		}
	}
	if best == k8sjson.ShapeInvalid {
		if f.Read == 0 {
			return "empty"
		}
		return "unknown"
	}
	return shapeFormat(best, f.Layout)
}

// shapeFormat names the format of records of one shape in a layout.
func shapeFormat(shape k8sjson.Shape, layout string) string {
	switch shape {
	case k8sjson.ShapeWatch:
		return "watch"
	case k8sjson.ShapeEventRouter:
		return "eventrouter"
	case k8sjson.ShapeExporter:
		return "event-exporter"
	case k8sjson.ShapeAudit:
		return "audit"
	case k8sjson.ShapeEvent:
		switch layout {
		case "list":
			return "k8s-list"
		case "array":
			return "json-array"
		case "lines":
			return "event-lines"
		case "yaml-list":
			return "yaml-list"
		case "yaml-array", "yaml-stream":
			return "yaml"
		}
		return "json-stream"
	}
	return "unknown"
}
