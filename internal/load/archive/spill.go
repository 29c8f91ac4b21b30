package archive

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/evanalyze/evanalyze/internal/load"
)

// A spiller keeps decoded event rows on disk once they pass the memory
// budget (Options.SpillBytes): each spill writes the rows it is given to a
// new file under a directory of its own (Options.TempDir), one Arrow IPC
// stream per partition (load.PartitionKey) and source file origin, and
// remembers where each partition's streams are. LoadEach then reads the
// partitions back in order, in groups of about the budget, and finishes
// each group as an archive: a partition never crosses a group, so every
// repeat of an event meets the others in one merge, and each group's
// rollouts are those of the whole archive in its namespaces.
//
// Streams are written uncompressed: a spill is read once, soon after, from
// the local disk, and IPC without compression reads at memory speed.
type spiller struct {
	dir   string
	mem   memory.Allocator
	files []*os.File // of each spill, for reading back
	refs  map[load.PartitionKey][]spillRef
	crefs map[load.PartitionKey][]spillRef // kept audit writes, as JSON lines
	bytes map[load.PartitionKey]int64      // Arrow bytes spilled per partition
	spilt int64                            // rows written
}

// spillRef is one IPC stream of one spill file.
type spillRef struct {
	file   int32 // index in spiller.files
	origin int32 // the batch's origin (see merge), -1 for none
	off, n int64 // byte range of the stream in the file
}

func newSpiller(tempDir string, mem memory.Allocator) (*spiller, error) {
	dir, err := os.MkdirTemp(tempDir, "evanalyze-spill-")
	if err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	return &spiller{dir: dir, mem: mem, refs: map[load.PartitionKey][]spillRef{}, crefs: map[load.PartitionKey][]spillRef{}, bytes: map[load.PartitionKey]int64{}}, nil
}

// close removes the spill files.
func (s *spiller) close() error {
	var errs []error
	for _, f := range s.files {
		errs = append(errs, f.Close())
	}
	s.files = nil
	errs = append(errs, os.RemoveAll(s.dir))
	return errors.Join(errs...)
}

// recordBytes is the size of rec's Arrow buffers.
func recordBytes(rec arrow.Record) int64 {
	var n int64
	var add func(d arrow.ArrayData)
	add = func(d arrow.ArrayData) {
		for _, b := range d.Buffers() {
			if b != nil {
				n += int64(b.Len())
			}
		}
		for _, c := range d.Children() {
			add(c)
		}
		if dict, ok := d.Dictionary().(*array.Data); ok && dict != nil {
			add(dict)
		}
	}
	for _, c := range rec.Columns() {
		add(c.Data())
	}
	return n
}

// spill writes the rows of batches to a new spill file, by partition and
// origin. The caller still owns batches (and releases them).
func (s *spiller) spill(batches []arrow.Record, origins []int) error {
	type groupKey struct {
		part   load.PartitionKey
		origin int32
	}
	groups := map[groupKey][]load.RowAt{}
	views := make([]*load.View, len(batches))
	for b, rec := range batches {
		v := load.NewView(rec)
		views[b] = v
		origin := int32(-1)
		if b < len(origins) {
			origin = int32(origins[b])
		}
		for i := 0; i < v.Len(); i++ {
			k := groupKey{load.EventPartition(v, i), origin}
			g, ok := groups[k]
			if !ok {
				// The key outlives the batch: its strings are copied.
				k.part = load.PartitionKey{Cluster: strings.Clone(k.part.Cluster), Namespace: strings.Clone(k.part.Namespace)}
			}
			groups[k] = append(g, load.RowAt{Batch: int32(b), Row: int32(i)})
		}
	}
	keys := make([]groupKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b groupKey) int {
		if c := a.part.Compare(b.part); c != 0 {
			return c
		}
		return int(a.origin - b.origin)
	})

	f, err := os.Create(filepath.Join(s.dir, fmt.Sprintf("spill-%06d.arrows", len(s.files))))
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	fi := int32(len(s.files))
	s.files = append(s.files, f)
	cw := &countingWriter{w: bufio.NewWriterSize(f, 1<<20)}
	for _, k := range keys {
		rec := load.Take(s.mem, load.DecodeSchema, views, groups[k], nil, nil)
		off := cw.n
		w := ipc.NewWriter(cw, ipc.WithSchema(rec.Schema()), ipc.WithAllocator(s.mem))
		err := w.Write(rec)
		err = errors.Join(err, w.Close())
		s.bytes[k.part] += recordBytes(rec)
		s.spilt += rec.NumRows()
		rec.Release()
		if err != nil {
			return fmt.Errorf("spill %s: %w", f.Name(), err)
		}
		s.refs[k.part] = append(s.refs[k.part], spillRef{file: fi, origin: k.origin, off: off, n: cw.n - off})
	}
	if err := cw.w.(*bufio.Writer).Flush(); err != nil {
		return fmt.Errorf("spill %s: %w", f.Name(), err)
	}
	return nil
}

// read reads one spilled stream back, allocating from the spiller's
// allocator.
func (s *spiller) read(r spillRef) (arrow.Record, error) {
	f := s.files[r.file]
	rd, err := ipc.NewReader(io.NewSectionReader(f, r.off, r.n), ipc.WithAllocator(s.mem))
	if err != nil {
		return nil, fmt.Errorf("read spill %s: %w", f.Name(), err)
	}
	defer rd.Release()
	if !rd.Next() {
		err := rd.Err()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read spill %s: %w", f.Name(), err)
	}
	rec := rd.Record()
	rec.Retain()
	return rec, nil
}

// spillGroup is a run of whole partitions read back together.
type spillGroup struct {
	keys []load.PartitionKey // sorted
}

// groups cuts the partitions that have spilled rows, or other keys (of
// changes and repeats held in memory), into runs of about budget bytes
// of spilled rows, in order.
func (s *spiller) groups(other []load.PartitionKey, budget int64) []spillGroup {
	set := map[load.PartitionKey]bool{}
	for k := range s.refs {
		set[k] = true
	}
	for k := range s.crefs {
		set[k] = true
	}
	for _, k := range other {
		set[k] = true
	}
	keys := make([]load.PartitionKey, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, load.PartitionKey.Compare)
	var out []spillGroup
	var size int64
	for _, k := range keys {
		if len(out) == 0 || size >= budget {
			out = append(out, spillGroup{})
			size = 0
		}
		g := &out[len(out)-1]
		g.keys = append(g.keys, k)
		size += s.bytes[k]
	}
	return out
}

// load reads the spilled rows of the group's partitions.
func (s *spiller) load(g spillGroup) (batches []arrow.Record, origins []int, err error) {
	for _, k := range g.keys {
		for _, r := range s.refs[k] {
			rec, err := s.read(r)
			if err != nil {
				for _, b := range batches {
					b.Release()
				}
				return nil, nil, err
			}
			batches = append(batches, rec)
			origins = append(origins, int(r.origin))
		}
	}
	return batches, origins, nil
}

// changeKey is the partition of an audit write: the namespace of its
// object in its cluster.
func changeKey(c *load.ChangeRow) load.PartitionKey {
	return load.PartitionKey{Cluster: load.ClusterOrDefault(c.Cluster), Namespace: c.Namespace}
}

// changeBytes estimates what a kept audit write holds in memory: the
// struct, its strings and its containers and conditions.
func changeBytes(c *load.ChangeRow) int64 {
	n := 900 + len(c.AuditID) + len(c.Name) + len(c.ObjectUID) + len(c.UserAgent) + len(c.StatusMessage) + len(c.Change) +
		len(c.Revision) + len(c.RevisionHistory) + len(c.OwnerName) + len(c.TemplateHash)
	for i := range c.Containers {
		ct := &c.Containers[i]
		n += 200 + len(ct.Name) + len(ct.Image) + len(ct.Env) + len(ct.Resources)
	}
	for i := range c.Conditions {
		n += 100 + len(c.Conditions[i].Message) + len(c.Conditions[i].Reason)
	}
	return int64(n)
}

// spillChanges writes kept audit writes to a new spill file, by
// partition, as JSON lines: encoding/json keeps what the rows mean (a
// pointer to zero is not a nil one, an empty list not a missing one), and
// audit writes spill far less often than events.
func (s *spiller) spillChanges(rows []load.ChangeRow) error {
	byKey := map[load.PartitionKey][]int32{}
	for i := range rows {
		k := changeKey(&rows[i])
		byKey[k] = append(byKey[k], int32(i))
	}
	keys := make([]load.PartitionKey, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, load.PartitionKey.Compare)
	f, err := os.Create(filepath.Join(s.dir, fmt.Sprintf("changes-%06d.jsonl", len(s.files))))
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	fi := int32(len(s.files))
	s.files = append(s.files, f)
	bw := bufio.NewWriterSize(f, 1<<20)
	cw := &countingWriter{w: bw}
	enc := json.NewEncoder(cw)
	for _, k := range keys {
		off := cw.n
		for _, i := range byKey[k] {
			if err := enc.Encode(&rows[i]); err != nil {
				return fmt.Errorf("spill %s: %w", f.Name(), err)
			}
			s.bytes[k] += changeBytes(&rows[i])
		}
		s.crefs[k] = append(s.crefs[k], spillRef{file: fi, origin: -1, off: off, n: cw.n - off})
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("spill %s: %w", f.Name(), err)
	}
	return nil
}

// loadChanges reads the spilled audit writes of the group's partitions.
func (s *spiller) loadChanges(g spillGroup) ([]load.ChangeRow, error) {
	var out []load.ChangeRow
	for _, k := range g.keys {
		for _, r := range s.crefs[k] {
			f := s.files[r.file]
			dec := json.NewDecoder(bufio.NewReader(io.NewSectionReader(f, r.off, r.n)))
			for {
				var c load.ChangeRow
				if err := dec.Decode(&c); err == io.EOF {
					break
				} else if err != nil {
					return nil, fmt.Errorf("read spill %s: %w", f.Name(), err)
				}
				out = append(out, c)
			}
		}
	}
	return out, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
