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
