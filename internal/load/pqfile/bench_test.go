package pqfile_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"github.com/apache/arrow/go/v15/arrow"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/load/benchutil"
	"github.com/evanalyze/evanalyze/internal/load/pqfile"
)

// BenchmarkReadEvents reads an events Parquet file into an Arrow batch:
// events/s and MB/s of Parquet. It uses make bench-data's cluster c01
// when present (83k events; its largest day partition holds 7,140), else
// lab-basic.
func BenchmarkReadEvents(b *testing.B) {
	files := writeArchive(b, c01Sources())
	// The largest partition.
	big := files[0]
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			if bs, _ := os.Stat(big); st.Size() > bs.Size() {
				big = f
			}
		}
	}
	data, err := os.ReadFile(big)
	if err != nil {
		b.Fatal(err)
	}
	benchRead(b, data)
}

// BenchmarkReadEventsRowGroup reads one file of all the events of c01 (or
// lab-basic) in one row group, as a busy cluster's day partition holds:
// the reader's speed without the per-file costs.
func BenchmarkReadEventsRowGroup(b *testing.B) {
	files := writeArchive(b, c01Sources())
	var rows []pqfile.Event
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		part, err := pqfile.ReadRows(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			b.Fatal(err)
		}
		rows = append(rows, part...)
	}
	var buf bytes.Buffer
	if err := pqfile.WriteRows(&buf, rows, pqfile.RowGroupRows); err != nil {
		b.Fatal(err)
	}
	benchRead(b, buf.Bytes())
}

// BenchmarkReadArchive reads a partitioned archive into Arrow as the
// archive loader reads it: GOMAXPROCS files at a time, each with its
// columns on GOMAXPROCS goroutines, every record kept until all files are
// read. The archive is make bench-data's events (events.jsonl of every
// cluster: 334k events in 48 day files) when present, else lab-basic's.
func BenchmarkReadArchive(b *testing.B) {
	files := writeArchive(b, archiveSources())
	var data [][]byte
	var size int64
	for _, f := range files {
		d, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, d)
		size += int64(len(d))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	rows := 0
	cpu := benchutil.StartCPU(b)
	recs := make([]arrow.Record, len(data))
	for i := 0; i < b.N; i++ {
		var next atomic.Int32
		var wg sync.WaitGroup
		errs := make([]error, runtime.GOMAXPROCS(0))
		for w := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					j := int(next.Add(1)) - 1
					if j >= len(data) {
						return
					}
					recs[j], _, errs[w] = pqfile.ReadEvents(bytes.NewReader(data[j]), int64(len(data[j])), pqfile.ReadOptions{})
					if errs[w] != nil {
						return
					}
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		for j, r := range recs {
			rows += int(r.NumRows())
			r.Release()
			recs[j] = nil
		}
	}
	cpu.ReportEvents(rows)
}

// BenchmarkConvert writes the event table of make bench-data's events
// (events.jsonl of every cluster; else lab-basic's) as a partitioned
// archive: events/s, and the archive's bytes per event against gzip's
// (default level) of the source JSON.
func BenchmarkConvert(b *testing.B) {
	src := archiveSources()
	a, err := archive.Load(context.Background(), src, archive.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Release()
	var gz int64
	for _, f := range src {
		in, err := os.Open(f)
		if err != nil {
			b.Fatal(err)
		}
		cw := &countWriter{}
		zw := gzip.NewWriter(cw)
		if _, err := io.Copy(zw, in); err != nil {
			b.Fatal(err)
		}
		zw.Close()
		in.Close()
		gz += cw.n
	}
	events := a.Events().NumRows()
	var size int64
	b.ReportAllocs()
	cpu := benchutil.StartCPU(b)
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		files, err := pqfile.WriteEvents(dir, a.Events())
		if err != nil {
			b.Fatal(err)
		}
		size = 0
		for _, f := range files {
			st, err := os.Stat(f)
			if err != nil {
				b.Fatal(err)
			}
			size += st.Size()
		}
	}
	cpu.ReportEvents(int(events) * b.N)
	b.ReportMetric(float64(size)/float64(events), "parquet-B/event")
	b.ReportMetric(float64(gz)/float64(events), "gzip-json-B/event")
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// writeArchive loads src and writes its event table as a Parquet archive
// in a temporary directory, returning the files.
func writeArchive(b *testing.B, src []string) []string {
	a, err := archive.Load(context.Background(), src, archive.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Release()
	files, err := pqfile.WriteEvents(b.TempDir(), a.Events())
	if err != nil {
		b.Fatal(err)
	}
	return files
}

// c01Sources returns make bench-data's events.jsonl of cluster c01, else
// lab-basic's watch stream.
func c01Sources() []string {
	if dir := os.Getenv("EVANALYZE_BENCH_DATA"); dir != "" {
		if p := filepath.Join(dir, "cluster=c01", "events.jsonl"); fileExists(p) {
			return []string{p}
		}
	}
	return []string{"../../../testdata/lab-basic/watch-core.json"}
}

// archiveSources returns make bench-data's events.jsonl of every cluster,
// else lab-basic's watch stream.
func archiveSources() []string {
	if dir := os.Getenv("EVANALYZE_BENCH_DATA"); dir != "" {
		if m, _ := filepath.Glob(filepath.Join(dir, "cluster=*", "events.jsonl")); len(m) > 0 {
			return m
		}
	}
	return []string{"../../../testdata/lab-basic/watch-core.json"}
}

func benchRead(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	rows := 0
	cpu := benchutil.StartCPU(b)
	for i := 0; i < b.N; i++ {
		rec, _, err := pqfile.ReadEvents(bytes.NewReader(data), int64(len(data)), pqfile.ReadOptions{Mem: memory.DefaultAllocator})
		if err != nil {
			b.Fatal(err)
		}
		rows += int(rec.NumRows())
		rec.Release()
	}
	cpu.ReportEvents(rows)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
