package stats

import (
	"bytes"
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestGolden(t *testing.T) {
	rs := reporttest.Clusters(t, "lab-basic", "lab-failures")
	rep := Compute(rs, DefaultThresholds())
	grouped := Compute(rs, DefaultThresholds())
	var err error
	if grouped.Groups, err = GroupBy(rs, []string{"cluster", "kind"}); err != nil {
		t.Fatal(err)
	}
	grouped.GroupBy = []string{"cluster", "kind"}
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"labs.txt.golden", func(b *bytes.Buffer) error { return WriteText(b, rep) }},
		{"labs-by-cluster-kind.txt.golden", func(b *bytes.Buffer) error { return WriteText(b, grouped) }},
		{"labs.csv.golden", func(b *bytes.Buffer) error { return WriteCSV(b, rep) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.write(&buf); err != nil {
				t.Fatal(err)
			}
			reporttest.Golden(t, filepath.Join("testdata", tc.name), buf.Bytes(), *update)
		})
	}
}

// Slim rollouts give the same report, grouped every way, as whole ones.
func TestSlim(t *testing.T) {
	rs := reporttest.Clusters(t, "lab-basic", "lab-failures", "lab-workloads", "lab-jobs", "lab-lifecycle")
	slim := make([]correlate.Rollout, len(rs))
	for i, r := range rs {
		Slim(&r)
		slim[i] = r
	}
	for _, keys := range [][]string{nil, {"cluster", "kind"}, {"namespace"}} {
		report := func(rs []correlate.Rollout) string {
			rep := Compute(rs, DefaultThresholds())
			if keys != nil {
				var err error
				if rep.Groups, err = GroupBy(rs, keys); err != nil {
					t.Fatal(err)
				}
				rep.GroupBy = keys
			}
			var b bytes.Buffer
			if err := WriteText(&b, rep); err != nil {
				t.Fatal(err)
			}
			j, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			return b.String() + string(j)
		}
		if got, want := report(slim), report(rs); got != want {
			t.Errorf("group by %v: slim rollouts give another report:\n%.500s\nwant:\n%.500s", keys, got, want)
		}
	}
}
