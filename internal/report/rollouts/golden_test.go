package rollouts

import (
	"bytes"
	"encoding/csv"
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

// CSV cells that a spreadsheet would run as formulas get a leading
// apostrophe; numbers, negative ones too, stay numbers.
func TestCSVFormulas(t *testing.T) {
	neg := -3.0
	rs := []correlate.Rollout{{Cluster: "=1+1", Namespace: "-ns", Kind: "Deployment", Name: "@web", Revision: "-2",
		FailureReason: "+cmd|' /C calc'!A0", DurationSeconds: &neg, Outcome: correlate.OutcomeFailed,
		Trigger: &correlate.Trigger{User: "=HYPERLINK(\"http://evil.example\")"}}}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rs); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for j, h := range rows[0] {
		got[h] = rows[1][j]
	}
	for col, want := range map[string]string{"cluster": "'=1+1", "namespace": "'-ns", "name": "'@web", "revision": "-2",
		"failure_reason": "'+cmd|' /C calc'!A0", "trigger_user": `'=HYPERLINK("http://evil.example")`, "duration_seconds": "-3.0"} {
		if got[col] != want {
			t.Errorf("%s = %q, want %q", col, got[col], want)
		}
	}
}

// The recordings of issue 15's classes, from each input form: the watch
// stream with the audit log, the core watch stream alone, the snapshot
// alone (internal/correlate TestLabScaling and TestLabStrategies assert
// their truth; these goldens keep every other field).
func TestInputFormGolden(t *testing.T) {
	forms := map[string][]string{
		"audit":    {"watch-eventsv1.jsonl", "audit.log.gz"},
		"watch":    {"watch-core.json"},
		"snapshot": {"events-list.json"},
	}
	for _, rec := range []string{"lab-scaling", "lab-strategies", "lab-history", "lab-readiness"} {
		for _, form := range []string{"audit", "watch", "snapshot"} {
			var paths []string
			for _, f := range forms[form] {
				paths = append(paths, filepath.Join(rec, f))
			}
			name := rec + "-" + form + ".txt.golden"
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := WriteText(&buf, reporttest.Correlate(t, paths...)); err != nil {
					t.Fatal(err)
				}
				reporttest.Golden(t, filepath.Join("testdata", name), buf.Bytes(), *update)
			})
		}
	}
}
