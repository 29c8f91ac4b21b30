package rollouts

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"testing"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/report/reporttest"
)

// A Writer given the rollouts in pieces writes the bytes of the one-slice
// writers, for every way of cutting them, none included.
func TestWriterSplits(t *testing.T) {
	rs := reporttest.Correlate(t, "lab-basic")
	if len(rs) < 3 {
		t.Fatalf("%d rollouts", len(rs))
	}
	for _, c := range []struct {
		format string
		whole  func(io.Writer, []correlate.Rollout) error
	}{{"json", WriteJSON}, {"jsonl", WriteJSONL}, {"csv", WriteCSV}} {
		for _, set := range [][]correlate.Rollout{nil, rs[:1], rs} {
			var want bytes.Buffer
			if err := c.whole(&want, set); err != nil {
				t.Fatal(err)
			}
			for _, cuts := range [][]int{nil, {0}, {1}, {0, 0, 1}, {1, 2, len(set)}} {
				var got bytes.Buffer
				w, err := NewWriter(&got, c.format)
				if err != nil {
					t.Fatal(err)
				}
				lo := 0
				for _, hi := range cuts {
					hi = min(hi, len(set))
					if hi < lo {
						continue
					}
					if err := w.Write(set[lo:hi]); err != nil {
						t.Fatal(err)
					}
					lo = hi
				}
				if err := w.Write(set[lo:]); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if got.String() != want.String() || w.Len() != len(set) {
					t.Errorf("%s, %d rollouts cut at %v: %d rollouts, differs:\n%s\nwant:\n%s", c.format, len(set), cuts, w.Len(),
						head(got.String()), head(want.String()))
				}
			}
		}
	}
	if _, err := NewWriter(io.Discard, "text"); err == nil {
		t.Error("a streaming writer of text")
	}
}

func head(s string) string { return fmt.Sprintf("%.300s", s) }

// Rollouts added to a Sorter in runs, each out of order, come out in the
// order of one sorted run, as the Writer writes them; the file is gone
// after Close.
func TestSorter(t *testing.T) {
	rs := reporttest.Correlate(t, "lab-basic")
	rs = append(rs, reporttest.Correlate(t, "lab-failures")...)
	sorted := slices.Clone(rs)
	correlate.SortRollouts(sorted)
	for _, format := range []string{"json", "jsonl", "csv"} {
		var want, got bytes.Buffer
		w, _ := NewWriter(&want, format)
		if err := w.Write(sorted); err != nil {
			t.Fatal(err)
		}
		w.Close()
		dir := t.TempDir()
		w, _ = NewWriter(&got, format)
		s := NewSorter(w, dir)
		rev := slices.Clone(rs)
		slices.Reverse(rev)
		for lo := 0; lo < len(rev); lo += 4 {
			if err := s.Add(rev[lo:min(lo+4, len(rev))]); err != nil {
				t.Fatal(err)
			}
		}
		if s.Len() != len(rs) {
			t.Errorf("%d kept, want %d", s.Len(), len(rs))
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		// A second run after a flush: nothing left of the first.
		if err := s.Flush(); err != nil || s.Len() != 0 {
			t.Fatalf("second flush: %v, %d kept", err, s.Len())
		}
		w.Close()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s: sorted output differs:\n%s\nwant:\n%s", format, head(got.String()), head(want.String()))
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("left behind: %v", left)
		}
	}
}
