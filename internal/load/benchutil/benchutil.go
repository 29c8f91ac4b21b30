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

// CPU measures the CPU time a benchmark's loop uses, for machines shared
// with other work, where events/s (wall clock) moves with their load:
//
//	cpu := benchutil.StartCPU(b) // after setup, instead of b.ResetTimer
//	... the loop ...
//	cpu.ReportEvents(n)
type CPU struct {
	b     *testing.B
	start int64
}

// StartCPU resets the benchmark timer and starts counting CPU time.
func StartCPU(b *testing.B) CPU {
	b.ResetTimer()
	return CPU{b: b, start: cpuTime()}
}

// ReportEvents reports events/s (wall clock) and events/cpu-s, n events
// per CPU second of the whole process (all goroutines: a loop that uses
// two cores has half the events/cpu-s of its events/s). Where the
// platform gives no CPU time only events/s is reported.
func (c CPU) ReportEvents(n int) {
	ReportEvents(c.b, n)
	if used := cpuTime() - c.start; used > 0 && c.start > 0 {
		c.b.ReportMetric(float64(n)/(float64(used)/1e9), "events/cpu-s")
	}
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
