package correlate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/archive"
)

// recordings lists the recorded inputs in testdata: each directory, and
// the public must-gathers when EVANALYZE_PUBLIC_DATA names them.
func recordings(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob("../../testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		// golden: outputs; empty and ambiguous: CLI cases with next to no
		// events.
		if fi, err := os.Stat(d); err == nil && fi.IsDir() && !slices.Contains([]string{"golden", "empty", "ambiguous"}, filepath.Base(d)) {
			out = append(out, d)
		}
	}
	if pub := os.Getenv("EVANALYZE_PUBLIC_DATA"); pub != "" {
		out = append(out, pub)
	}
	return out
}

// TestPartsGiveTheWholeTable checks that correlating an archive part by
// part, with parts of any size on any number of workers, gives the
// rollouts and scaling of correlating its whole event table at once.
func TestPartsGiveTheWholeTable(t *testing.T) {
	if testing.Short() {
		t.Skip("long: make test-long (which CI runs) runs it")
	}
	for _, dir := range recordings(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			whole, err := archive.Load(context.Background(), []string{dir}, archive.Options{PartRows: 1 << 30, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer whole.Release()
			if len(whole.Parts) != 1 {
				t.Fatalf("%d parts with PartRows 1<<30, want 1", len(whole.Parts))
			}
			wholeRes := correlate.Correlate(whole.Events(), whole.Changes)
			want := resultJSON(t, wholeRes)
			wantEv := evidenceOf(wholeRes, whole.Events())
			if len(want) < 100 {
				t.Fatalf("whole table gives next to nothing: %s", want)
			}
			for _, c := range []struct{ rows, workers int }{{1, 1}, {1, 8}, {7, 2}, {500, 2}, {0, 8}} {
				t.Run(fmt.Sprintf("rows=%d/workers=%d", c.rows, c.workers), func(t *testing.T) {
					a, err := archive.Load(context.Background(), []string{dir}, archive.Options{PartRows: c.rows, Workers: c.workers})
					if err != nil {
						t.Fatal(err)
					}
					defer a.Release()
					if c.rows == 1 && len(a.Parts) < 2 && a.Totals.Observations > 1 {
						t.Errorf("one part with PartRows 1 over %d observations", a.Totals.Observations)
					}
					res := correlate.CorrelateParts(a.Parts, c.workers)
					if got := resultJSON(t, res); got != want {
						t.Errorf("%d parts give other rollouts than the whole table:\n%s", len(a.Parts), firstDiff(got, want))
					}
					// Evidence is not in the JSON: its rows must be the
					// whole table's, the same events in the same rows.
					if got := evidenceOf(res, a.Events()); got != wantEv {
						t.Errorf("%d parts give other evidence than the whole table:\n%s", len(a.Parts), firstDiff(got, wantEv))
					}
				})
			}
		})
	}
}

// evidenceOf lists each rollout's evidence: row, pod, ReplicaSet and the
// row's source in events.
func evidenceOf(res correlate.Result, events arrow.Record) string {
	v := load.NewView(events)
	var b strings.Builder
	n := 0
	for _, r := range res.Rollouts {
		fmt.Fprintf(&b, "%s/%s/%s#%d:", r.Namespace, r.Kind, r.Name, r.Seq)
		for _, e := range r.Evidence {
			fmt.Fprintf(&b, " %d/%d/%s=%s:%d", e.Row, e.Pod, e.ReplicaSet, v.Str(load.ColSourceFile, int(e.Row)), v.Int64(load.ColSourceLine, int(e.Row)))
			n++
		}
		b.WriteByte('\n')
	}
	if n == 0 {
		b.WriteString("no evidence")
	}
	return b.String()
}

func resultJSON(t *testing.T, res correlate.Result) string {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// firstDiff shows where two strings part.
func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(i-200, 0)
	return fmt.Sprintf("got  …%s\nwant …%s", got[lo:min(i+200, len(got))], want[lo:min(i+200, len(want))])
}

// TestLoadEachGivesTheWholeArchive checks that reading a fleet one cluster
// at a time gives, cluster after cluster, the rollouts of reading it at
// once, and that inputs that leave the cluster to their records are read
// together.
func TestLoadEachGivesTheWholeArchive(t *testing.T) {
	dir := t.TempDir()
	for cluster, rec := range map[string]string{"b-west": "lab-basic", "a-east": "lab-workloads", "c-north": "lab-failures"} {
		if err := os.CopyFS(filepath.Join(dir, "cluster="+cluster), os.DirFS(filepath.Join("../../testdata", rec))); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	whole, err := archive.Load(ctx, []string{dir}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Release()
	want := resultJSON(t, correlate.Result{Rollouts: correlate.Correlate(whole.Events(), whole.Changes).Rollouts})
	if len(want) < 1000 {
		t.Fatalf("the fleet gives next to nothing: %s", want)
	}

	var got []correlate.Rollout
	var clusters []string
	var observations int64
	err = archive.LoadEach(ctx, []string{dir}, archive.Options{Workers: 2}, func(a *archive.Archive) error {
		seen := map[string]bool{}
		for _, f := range a.Files {
			seen[f.Cluster] = true
		}
		if len(seen) != 1 {
			t.Errorf("one archive holds the files of clusters %v", seen)
		}
		for c := range seen {
			clusters = append(clusters, c)
		}
		observations += a.Totals.Observations
		got = append(got, correlate.CorrelateParts(a.Parts, 2).Rollouts...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(clusters) != "[a-east b-west c-north]" {
		t.Errorf("clusters in the order %v, want by name", clusters)
	}
	if observations != whole.Totals.Observations {
		t.Errorf("%d observations one cluster at a time, %d at once", observations, whole.Totals.Observations)
	}
	if g := resultJSON(t, correlate.Result{Rollouts: got}); g != want {
		t.Errorf("one cluster at a time gives other rollouts:\n%s", firstDiff(g, want))
	}

	// A file without a cluster=NAME segment may hold any cluster: one
	// archive of everything.
	loose := filepath.Join(t.TempDir(), "events.jsonl")
	data, err := os.ReadFile("../../testdata/lab-basic/watch-eventsv1.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(loose, data, 0o644); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := archive.LoadEach(ctx, []string{dir, loose}, archive.Options{}, func(*archive.Archive) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d archives with an input of no named cluster, want 1", n)
	}
}

// TestSpilledLoadGivesTheWholeArchive checks that a load past its memory
// budget, its rows spilled to disk and read back in groups of namespaces,
// gives the rollouts, counts and per-file figures of one load in memory,
// for every budget and number of workers, and leaves no file behind.
func TestSpilledLoadGivesTheWholeArchive(t *testing.T) {
	if testing.Short() {
		t.Skip("long: make test-long (which CI runs) runs it")
	}
	fleet := t.TempDir()
	for cluster, rec := range map[string]string{"b-west": "lab-basic", "a-east": "lab-workloads", "c-north": "lab-failures", "d-south": "lab-lifecycle"} {
		if err := os.CopyFS(filepath.Join(fleet, "cluster="+cluster), os.DirFS(filepath.Join("../../testdata", rec))); err != nil {
			t.Fatal(err)
		}
	}
	inputs := map[string][]string{"fleet": {fleet}, "lab-jobs": {"../../testdata/lab-jobs"}, "lab-basic": {"../../testdata/lab-basic"}}
	ctx := context.Background()
	for name, paths := range inputs {
		whole, err := archive.Load(ctx, paths, archive.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := resultJSON(t, correlate.Result{Rollouts: correlate.CorrelateParts(whole.Parts, 2).Rollouts})
		wantFiles := fileFigures(slices.SortedFunc(slices.Values(whole.Files), func(a, b *archive.FileStats) int { return strings.Compare(a.File, b.File) }))
		wantTotals := [3]int64{whole.Totals.Events, whole.Totals.Observations, whole.Totals.Duplicates}
		whole.Release()
		for _, c := range []struct {
			budget           int64
			batchRows, works int
		}{{1, 7, 1}, {1, 64 << 10, 2}, {32 << 10, 100, 8}, {16 << 10, 1000, 2}} {
			t.Run(fmt.Sprintf("%s/budget=%d/batch=%d/workers=%d", name, c.budget, c.batchRows, c.works), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
				defer mem.AssertSize(t, 0)
				tmp := t.TempDir()
				var got []correlate.Rollout
				var totals [3]int64
				byName := map[string]*archive.FileStats{}
				groups, spilling := 0, 0
				err := archive.LoadEach(ctx, paths, archive.Options{Mem: mem, SpillBytes: c.budget, TempDir: tmp, BatchRows: c.batchRows, Workers: c.works}, func(a *archive.Archive) error {
					groups++
					if spilled, _ := os.ReadDir(tmp); len(spilled) == 1 {
						spilling++
					}
					got = append(got, correlate.CorrelateParts(a.Parts, c.works).Rollouts...)
					totals[0] += a.Totals.Events
					totals[1] += a.Totals.Observations
					for _, f := range a.Files {
						byName[f.File] = f // the last archive of a cluster has its files' figures
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if spilling == 0 {
					t.Errorf("%d archives, none spilled", groups)
				}
				var files []*archive.FileStats
				for _, f := range byName {
					files = append(files, f)
				}
				slices.SortFunc(files, func(a, b *archive.FileStats) int { return strings.Compare(a.File, b.File) })
				correlate.SortRollouts(got)
				if g := resultJSON(t, correlate.Result{Rollouts: got}); g != want {
					t.Errorf("a spilled load gives other rollouts:\n%s", firstDiff(g, want))
				}
				for _, f := range files {
					totals[2] += f.Duplicates
				}
				if totals != wantTotals {
					t.Errorf("events, observations, duplicates %v spilled, %v in memory", totals, wantTotals)
				}
				if g := fileFigures(files); g != wantFiles {
					t.Errorf("per-file figures spilled:\n%s\nin memory:\n%s", g, wantFiles)
				}
				if left, _ := os.ReadDir(tmp); len(left) != 0 {
					t.Errorf("spill files left behind: %v", left)
				}
			})
		}
	}
}

func fileFigures(files []*archive.FileStats) string {
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "%s read=%d records=%d events=%d obs=%d dups=%d rejected=%d audit=%+v\n",
			f.File, f.Read, f.Records, f.Events, f.Observations, f.Duplicates, f.Rejected, f.Audit)
	}
	return b.String()
}
