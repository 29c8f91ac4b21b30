package rollouts

import (
	"encoding/json"
	"io"
	"testing"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/report/reporttest"
)

// countingWriter counts the bytes written, for b.SetBytes.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// benchRollouts are every recorded rollout, repeated to 4096: a larger
// archive's output, many times the write buffer.
func benchRollouts(b *testing.B) []correlate.Rollout {
	var all []correlate.Rollout
	for _, rec := range reporttest.Recordings(b) {
		all = append(all, reporttest.Correlate(b, rec)...)
	}
	out := make([]correlate.Rollout, 0, 4096)
	for len(out) < cap(out) {
		out = append(out, all[:min(len(all), cap(out)-len(out))]...)
	}
	return out
}

// BenchmarkRolloutsJSON compares `rollouts -o json` written by the
// appending encoder (WriteJSON) with encoding/json as it was used before
// (one indented json.Encoder over the slice) and with encoding/json one
// rollout at a time; compare with benchstat -col /encoder.
func BenchmarkRolloutsJSON(b *testing.B) {
	rs := benchRollouts(b)
	for _, bc := range []struct {
		name  string
		write func(io.Writer, []correlate.Rollout) error
	}{
		{"append", WriteJSON},
		{"encoding-json", func(w io.Writer, rs []correlate.Rollout) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			return enc.Encode(rs)
		}},
		{"encoding-json-each", writeJSONEach},
	} {
		b.Run("encoder="+bc.name, func(b *testing.B) {
			var cw countingWriter
			if err := bc.write(&cw, rs); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(cw.n)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := bc.write(io.Discard, rs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*float64(len(rs))/b.Elapsed().Seconds(), "rollouts/s")
		})
	}
}

// writeJSONEach is the streaming writer on encoding/json: MarshalIndent
// of each rollout with prefix and indent "  " gives the same bytes.
func writeJSONEach(w io.Writer, rs []correlate.Rollout) error {
	if len(rs) == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	io.WriteString(w, "[\n  ")
	for i := range rs {
		if i > 0 {
			io.WriteString(w, ",\n  ")
		}
		buf, err := marshalIndent(&rs[i])
		if err != nil {
			return err
		}
		w.Write(buf)
	}
	_, err := io.WriteString(w, "\n]\n")
	return err
}

func marshalIndent(r *correlate.Rollout) ([]byte, error) {
	var sb sliceWriter
	enc := json.NewEncoder(&sb)
	enc.SetIndent("  ", "  ")
	enc.SetEscapeHTML(false)
	err := enc.Encode(r)
	return []byte(sb)[:max(len(sb)-1, 0)], err
}

type sliceWriter []byte

func (s *sliceWriter) Write(p []byte) (int, error) { *s = append(*s, p...); return len(p), nil }

func TestJSONEach(t *testing.T) {
	rs := reporttest.Correlate(t, "lab-basic")
	var got, want sliceWriter
	if err := writeJSONEach(&got, rs); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&want, rs); err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Error("encoding/json one rollout at a time differs")
	}
}
