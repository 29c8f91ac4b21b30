package stats

import (
	"bytes"
	"flag"
	"path/filepath"
	"testing"

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
