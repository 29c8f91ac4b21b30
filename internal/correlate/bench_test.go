package correlate_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/load/benchutil"
)

// cloneEvents repeats lab-basic's event table into clusters c0000, c0001,
// ... until it has at least n rows: real shapes, distinct workloads.
func cloneEvents(b *testing.B, n int) arrow.Record {
	a, err := archive.Load(context.Background(), lab("lab-basic", "watch-core.json"), archive.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Release()
	v := load.NewView(a.Events())
	batch := load.NewBatch(memory.DefaultAllocator)
	defer batch.Release()
	var row load.EventRow
	for c := 0; batch.Len() < n; c++ {
		prov := load.Provenance{Cluster: fmt.Sprintf("c%04d", c), Format: "bench", File: "bench"}
		for i := 0; i < v.Len(); i++ {
			v.Row(i, &row)
			batch.Append(&row, &prov)
		}
	}
	return batch.NewRecord()
}

func BenchmarkCorrelate(b *testing.B) {
	rec := cloneEvents(b, 1_000_000)
	defer rec.Release()
	b.ReportAllocs()
	cpu := benchutil.StartCPU(b)
	rollouts := 0
	for i := 0; i < b.N; i++ {
		rollouts = len(correlate.Correlate(rec, nil).Rollouts)
	}
	cpu.ReportEvents(b.N * int(rec.NumRows()))
	b.ReportMetric(float64(rollouts), "rollouts")
}

// BenchmarkCorrelateParts correlates the same table in parts of whole
// clusters of about 64Ki rows, on 1 and 2 workers.
func BenchmarkCorrelateParts(b *testing.B) {
	rec := cloneEvents(b, 1_000_000)
	defer rec.Release()
	v := load.NewView(rec)
	var parts []load.Partition
	lo := 0
	for i := 1; i <= v.Len(); i++ {
		if i == v.Len() || i-lo >= 64<<10 && v.Str(load.ColCluster, i) != v.Str(load.ColCluster, i-1) {
			parts = append(parts, load.Partition{First: load.EventPartition(v, lo), Events: rec.NewSlice(int64(lo), int64(i))})
			lo = i
		}
	}
	defer func() {
		for _, p := range parts {
			p.Events.Release()
		}
	}()
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			rollouts := 0
			for i := 0; i < b.N; i++ {
				rollouts = len(correlate.CorrelateParts(parts, workers).Rollouts)
			}
			benchutil.ReportEvents(b, b.N*int(rec.NumRows()))
			b.ReportMetric(float64(rollouts), "rollouts")
		})
	}
}
