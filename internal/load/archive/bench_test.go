package archive

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/benchutil"
	"github.com/evanalyze/evanalyze/internal/load/jsonscan"
	"github.com/evanalyze/evanalyze/internal/load/k8sjson"
)

// benchEventNames are the event exports `make bench-data` (cmd/evgen) writes
// in each cluster=NAME directory, besides audit.log.gz.
var benchEventNames = []string{"events.jsonl", "watch-eventsv1.jsonl", "events-list.json"}

// benchEventFiles returns the event files of the generated archive (not its
// audit logs) and their total decompressed size, or skips the benchmark
// when the archive has not been generated.
func benchEventFiles(b *testing.B) ([]string, int64) {
	dir := os.Getenv("EVANALYZE_BENCH_DATA")
	if dir == "" {
		dir = "/tmp/evanalyze-bench"
	}
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("no benchmark archive (make bench-data): %v", err)
	}
	clusters, err := filepath.Glob(filepath.Join(dir, "cluster=*"))
	if err != nil {
		b.Fatal(err)
	}
	var paths []string
	var size int64
	for _, c := range clusters {
		entries, err := os.ReadDir(c)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range entries {
			name := e.Name()
			for _, ext := range []string{".gz", ".zst", ".zstd"} {
				name = strings.TrimSuffix(name, ext)
			}
			for _, want := range benchEventNames {
				if name == want {
					p := filepath.Join(c, e.Name())
					paths = append(paths, p)
					size += decompressedSize(b, p)
				}
			}
		}
	}
	if len(paths) == 0 {
		b.Skipf("no event files in %s", dir)
	}
	return paths, size
}

func decompressedSize(b *testing.B, path string) int64 {
	r, _, err := load.Open(load.Source{Path: path}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkLoad is the whole load (framing, decoding, merging, sorting,
// statistics) of the generated archive's event files. MB/s are of
// decompressed input; events/s count the records read.
func BenchmarkLoad(b *testing.B) {
	paths, size := benchEventFiles(b)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			var read, rows int64
			for i := 0; i < b.N; i++ {
				a, err := Load(context.Background(), paths, Options{Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
				if a.Totals.Rejected != 0 {
					b.Fatalf("%d rejected records", a.Totals.Rejected)
				}
				read += a.Totals.Read
				rows = a.Totals.Observations
				a.Release()
			}
			benchutil.ReportEvents(b, int(read))
			b.ReportMetric(float64(rows), "rows/op")
		})
	}
}

// mergeInput decodes every lab-basic export once per cluster c0001..cN (the
// same event in each export, so each has repeats to merge) into batches of
// 64Ki rows, as the decode workers hand them to merge.
func mergeInput(b *testing.B, clusters int) (batches []arrow.Record, files []string, rows int) {
	var (
		d     k8sjson.Decoder
		row   load.EventRow
		batch = load.NewDecodeBatch(memory.DefaultAllocator)
	)
	defer batch.Release()
	raw := make([][]byte, len(exports))
	for i, name := range exports {
		var err error
		if raw[i], err = os.ReadFile(filepath.Join(labBasic, name)); err != nil {
			b.Fatal(err)
		}
	}
	for c := 1; c <= clusters; c++ {
		cluster := fmt.Sprintf("c%04d", c)
		for i, name := range exports {
			file := "cluster=" + cluster + "/" + name
			files = append(files, file)
			prov := load.Provenance{Cluster: cluster, Format: "bench", File: file}
			f := jsonscan.NewFramer(bytes.NewReader(raw[i]), jsonscan.Options{})
			for blk := f.Next(); blk != nil; blk = f.Next() {
				for _, r := range blk.Records {
					res, err := d.Decode(blk.Data[r.Start:r.End], &row)
					if err != nil || res.Shape == k8sjson.ShapeSkip {
						b.Fatalf("%s: decode: %v %v", name, err, res.Skip)
					}
					prov.Line, prov.Offset = r.Line, blk.Base+int64(r.Start)
					batch.Append(&row, &prov)
					rows++
					if batch.Len() == 64<<10 {
						batches = append(batches, batch.NewRecord())
					}
				}
				blk.Release()
			}
		}
	}
	if batch.Len() > 0 {
		batches = append(batches, batch.NewRecord())
	}
	return batches, files, rows
}

// BenchmarkMerge is the merge step alone: deduplicating, marking the latest
// observations, sorting and building the event table. events/s count input
// rows.
func BenchmarkMerge(b *testing.B) {
	for _, clusters := range []int{256, 2048} {
		batches, names, rows := mergeInput(b, clusters)
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			b.ReportAllocs()
			var out int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				files := make([]*FileStats, len(names))
				for j, n := range names {
					files[j] = &FileStats{File: n, SkipReasons: map[string]int64{}, Summary: newSummary()}
				}
				b.StartTimer()
				m, err := merge(memory.DefaultAllocator, batches, nil, nil, nil, files, false, runtime.GOMAXPROCS(0), 64<<10)
				if err != nil {
					b.Fatal(err)
				}
				out = 0
				for _, p := range m.parts {
					out += p.NumRows()
				}
				m.release()
			}
			benchutil.ReportEvents(b, rows*b.N)
			b.ReportMetric(float64(out), "rows/op")
		})
		for _, rec := range batches {
			rec.Release()
		}
	}
}

// peakAllocator tracks the most Arrow memory held at once.
type peakAllocator struct {
	memory.Allocator
	mu        sync.Mutex
	cur, peak int64
}

func (p *peakAllocator) add(n int) {
	p.mu.Lock()
	p.cur += int64(n)
	p.peak = max(p.peak, p.cur)
	p.mu.Unlock()
}

func (p *peakAllocator) Allocate(n int) []byte { p.add(n); return p.Allocator.Allocate(n) }
func (p *peakAllocator) Reallocate(n int, b []byte) []byte {
	p.add(n - len(b))
	return p.Allocator.Reallocate(n, b)
}
func (p *peakAllocator) Free(b []byte) { p.add(-len(b)); p.Allocator.Free(b) }

// BenchmarkLoadEachSpill reads the generated archive's event files one
// cluster at a time, in memory and spilling past a budget: MB/s of
// decompressed input, events/s, and the most Arrow memory held at once
// (peak-arrow-MB), which spilling bounds.
func BenchmarkLoadEachSpill(b *testing.B) {
	paths, size := benchEventFiles(b)
	for _, budget := range []int64{0, 64 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("spill=%dMiB", budget>>20), func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			var read, peak int64
			for i := 0; i < b.N; i++ {
				mem := &peakAllocator{Allocator: memory.DefaultAllocator}
				err := LoadEach(context.Background(), paths, Options{Mem: mem, SpillBytes: budget, TempDir: b.TempDir()}, func(a *Archive) error {
					if a.Group == 0 {
						read += a.Totals.Read
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				peak = max(peak, mem.peak)
			}
			benchutil.ReportEvents(b, int(read))
			b.ReportMetric(float64(peak)/(1<<20), "peak-arrow-MB")
		})
	}
}
