package changes

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"path/filepath"
	"testing"

	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestGolden(t *testing.T) {
	writeJSON := func(w io.Writer, rows []Change) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(rows)
	}
	for _, tc := range []struct {
		name, rec, namespace string
		all                  bool
	}{
		{"lab-basic", "lab-basic/audit.log.gz", "", false},
		{"lab-failures", "lab-failures/audit.log.gz", "", false},
		{"lab-failures-all-batch", "lab-failures/audit.log.gz", "batch", true},
	} {
		opts := archive.Options{} // the rows the changes command loads
		if tc.all {
			opts.Changes = archive.AllChanges
		}
		rows := Select(reporttest.LoadOptions(t, opts, tc.rec).Changes, tc.namespace, tc.all)
		if len(rows) == 0 {
			t.Fatalf("%s: no changes", tc.name)
		}
		for ext, write := range map[string]func(io.Writer, []Change) error{"txt": WriteText, "csv": WriteCSV, "json": writeJSON} {
			name := tc.name + "." + ext + ".golden"
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := write(&buf, rows); err != nil {
					t.Fatal(err)
				}
				reporttest.Golden(t, filepath.Join("testdata", name), buf.Bytes(), *update)
			})
		}
	}
}
