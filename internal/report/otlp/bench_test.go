package otlp_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/otlp"
)

// BenchmarkWrite builds traces for lab-basic's rollouts cloned into 1,000
// clusters and writes them as OTLP/JSON lines and protobuf: spans/s.
func BenchmarkWrite(b *testing.B) {
	a, err := archive.Load(context.Background(), lab("events-list.json", "audit.log.gz"), archive.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Release()
	base := correlate.Correlate(a.Events, a.Changes).Rollouts
	var rollouts []correlate.Rollout
	for c := 0; c < 1000; c++ {
		for _, r := range base {
			r.Cluster = fmt.Sprintf("c%04d", c)
			rollouts = append(rollouts, r)
		}
	}
	spans := 0
	for _, rs := range otlp.Build(rollouts, nil, otlp.Options{}) {
		spans += len(rs.ScopeSpans[0].Spans)
	}
	for _, format := range []string{"json", "proto"} {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				reqs := otlp.Batches(otlp.Build(rollouts, nil, otlp.Options{}), 2000, otlp.MaxLineBytes/2)
				if format == "json" {
					err = otlp.WriteJSONLines(io.Discard, reqs)
				} else {
					err = otlp.WriteProto(io.Discard, reqs)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(spans*b.N)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}
