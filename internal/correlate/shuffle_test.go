package correlate_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
)

// readLines returns the lines of a JSON lines file, gzipped or not.
func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 8<<20)
	var out [][]byte
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// withoutSources renders rollouts as JSON without the file:line citations
// (line numbers change when records move).
func withoutSources(t *testing.T, res correlate.Result) string {
	t.Helper()
	for i := range res.Rollouts {
		r := &res.Rollouts[i]
		r.Sources = nil
		if r.Trigger != nil {
			tr := *r.Trigger
			tr.Source = ""
			r.Trigger = &tr
		}
		for j := range r.Steps {
			r.Steps[j].Source = ""
		}
		if r.CriticalPath != nil {
			for j := range r.CriticalPath.Steps {
				r.CriticalPath.Steps[j].Source = ""
			}
		}
	}
	for i := range res.Scaling {
		res.Scaling[i].Source = ""
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The same records in any order, split over any files, give the same
// rollouts and scaling: watch streams and audit logs are shuffled line by
// line with several seeds.
func TestShuffledInput(t *testing.T) {
	if testing.Short() {
		t.Skip("long: make test-long (which CI runs) runs it")
	}
	for _, c := range []struct{ scenario, events string }{
		{"lab-basic", "watch-eventsv1.jsonl"},
		{"lab-workloads", "watch-eventsv1.jsonl"},
		{"lab-lifecycle", "watch-eventsv1.jsonl"},
		{"lab-jobs", "watch-eventsv1.jsonl"},
		{"lab-failures", "watch-eventsv1.jsonl"},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			paths := lab(c.scenario, c.events, "audit.log.gz")
			if _, err := os.Stat(paths[0]); err != nil {
				t.Skip(err)
			}
			load := func(paths ...string) string {
				a, err := archive.Load(t.Context(), paths, archive.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer a.Release()
				return withoutSources(t, correlate.Correlate(a.Events(), a.Changes))
			}
			want := load(paths...)
			if !strings.Contains(want, `"outcome"`) {
				t.Fatalf("no rollouts in %s", c.scenario)
			}
			lines := append(readLines(t, paths[0]), readLines(t, paths[1])...)
			for seed := uint64(1); seed <= 3; seed++ {
				rng := rand.New(rand.NewPCG(seed, seed))
				rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
				// Events and audit records mixed, over three files.
				dir := t.TempDir()
				var files []string
				for k := 0; k < 3; k++ {
					var buf bytes.Buffer
					for i := k; i < len(lines); i += 3 {
						buf.Write(lines[i])
						buf.WriteByte('\n')
					}
					p := filepath.Join(dir, "part-"+string(rune('a'+k))+".jsonl")
					if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					files = append(files, p)
				}
				if got := load(files...); got != want {
					t.Errorf("seed %d: rollouts differ from the ordered input", seed)
				}
			}
		})
	}
}
