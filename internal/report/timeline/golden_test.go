package timeline

import (
	"bytes"
	"flag"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestGolden(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name, rec string
		o         Options
	}{
		// README.md of each recording says what happened when.
		{"lab-basic-shop", "lab-basic", Options{Since: at("2026-11-25T03:29:00Z"), Until: at("2026-11-25T03:32:00Z"), Namespace: "shop"}},
		{"lab-failures", "lab-failures", Options{}},
		{"lab-failures-verbose-api", "lab-failures", Options{Workload: "deployment/api", Verbose: true}},
	} {
		a := reporttest.Load(t, tc.rec)
		tl := Build(a.Events(), a.Changes, correlate.Correlate(a.Events(), a.Changes), tc.o)
		if len(tl.Entries) == 0 {
			t.Fatalf("%s: no entries", tc.name)
		}
		for ext, write := range map[string]func(io.Writer, *Timeline) error{"txt": WriteText, "md": WriteMarkdown} {
			name := tc.name + "." + ext + ".golden"
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := write(&buf, tl); err != nil {
					t.Fatal(err)
				}
				reporttest.Golden(t, filepath.Join("testdata", name), buf.Bytes(), *update)
			})
		}
	}
}

func TestMarkdownEscapes(t *testing.T) {
	got := mdEscape("<script>[x](y) *a*_b_ `c` | \x1b[31m & ~")
	want := `&lt;script&gt;\[x\]\(y\) \*a\*\_b\_ \` + "`" + `c\` + "`" + ` \| \\x1b\[31m &amp; \~`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
