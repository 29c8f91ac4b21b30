package rollouts

import (
	"bytes"
	"flag"
	"io"
	"path/filepath"
	"testing"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestGolden(t *testing.T) {
	writers := []struct {
		ext   string
		write func(io.Writer, []correlate.Rollout) error
	}{
		{"txt", WriteText},
		{"csv", WriteCSV},
		{"json", WriteJSON},
		{"jsonl", WriteJSONL},
	}
	for _, rec := range []string{"lab-basic", "lab-failures"} {
		rs := reporttest.Correlate(t, rec)
		if len(rs) == 0 {
			t.Fatalf("%s: no rollouts", rec)
		}
		for _, w := range writers {
			name := rec + "." + w.ext + ".golden"
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := w.write(&buf, rs); err != nil {
					t.Fatal(err)
				}
				reporttest.Golden(t, filepath.Join("testdata", name), buf.Bytes(), *update)
			})
		}
	}
}
