// Package benchutil holds helpers shared by the benchmarks.
package benchutil

import (
	"bytes"
	"os"
	"testing"
)

// ReportEvents reports n events processed over the benchmark as events/s,
// so that benchstat can compare runs.
func ReportEvents(b *testing.B, n int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// Repeat reads a testdata file and repeats it until it is at least size
// bytes, for benchmarks that need more than one recording's worth of input.
// Repeats of a line-oriented file stay valid JSON lines.
func Repeat(tb testing.TB, path string, size int) []byte {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.HasSuffix(raw, []byte("\n")) {
		raw = append(raw, '\n')
	}
	out := make([]byte, 0, size+len(raw))
	for len(out) < size {
		out = append(out, raw...)
	}
	return out
}
