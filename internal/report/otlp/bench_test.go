package otlp_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/otlp"
)

// benchRollouts loads lab-basic and clones its 10 rollouts 1,000 times.
// Without events the clones go to 1,000 clusters; with events they stay
// in lab-basic's cluster with new sequence numbers (new trace IDs), so
// each clone finds its Kubernetes events and carries them as span events.
func benchRollouts(b *testing.B, withEvents bool) (rollouts []correlate.Rollout, events arrow.Record, release func()) {
	b.Helper()
	a, err := archive.Load(context.Background(), lab("events-list.json", "audit.log.gz"), archive.Options{})
	if err != nil {
		b.Fatal(err)
	}
	base := correlate.Correlate(a.Events(), a.Changes).Rollouts
	for c := 0; c < 1000; c++ {
		for _, r := range base {
			if withEvents {
				r.Seq += 1000 * (c + 1)
			} else {
				r.Cluster = fmt.Sprintf("c%04d", c)
			}
			rollouts = append(rollouts, r)
		}
	}
	if withEvents {
		events = a.Events()
	}
	return rollouts, events, a.Release
}

// reportSpans reports spans/s; with b.SetBytes, B/s is the file's rate.
func reportSpans(b *testing.B, spans int) {
	b.ReportMetric(float64(spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
}

// writeFile is what evanalyze export --otlp-file does after correlating.
func writeFile(w io.Writer, format string, rollouts []correlate.Rollout, events arrow.Record) (spans int, err error) {
	write := otlp.WriteJSONLines
	if format == "proto" {
		write = otlp.WriteProto
	}
	st, err := write(w, rollouts, events, otlp.FileOptions{})
	return st.Spans, err
}

// BenchmarkWrite writes lab-basic's rollouts cloned 1,000 times (10,000
// traces, 107,000 spans) as OTLP/JSON lines and protobuf, with and without
// span events: spans/s and bytes of file per second. The target is 1M
// spans/s on one core (-cpu 1).
func BenchmarkWrite(b *testing.B) {
	for _, withEvents := range []bool{false, true} {
		rollouts, events, release := benchRollouts(b, withEvents)
		defer release()
		for _, format := range []string{"json", "proto"} {
			b.Run(fmt.Sprintf("format=%s/events=%t", format, withEvents), func(b *testing.B) {
				var out bytes.Buffer
				spans, err := writeFile(&out, format, rollouts, events)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(out.Len()))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := writeFile(io.Discard, format, rollouts, events); err != nil {
						b.Fatal(err)
					}
				}
				reportSpans(b, spans)
			})
		}
	}
}
