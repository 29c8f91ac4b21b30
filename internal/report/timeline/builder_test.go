package timeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/reporttest"
)

// A timeline built from a fleet's archives one at a time (clusters, and
// groups of namespaces when rows spill) is the one built from one archive
// of everything: entries, their order, the pods node problems hit, and the
// summary.
func TestBuilderGivesTheWholeTimeline(t *testing.T) {
	fleet := t.TempDir()
	for _, rec := range []string{"lab-basic", "lab-failures", "lab-workloads"} {
		if err := os.CopyFS(filepath.Join(fleet, "cluster="+rec), os.DirFS(filepath.Join(reporttest.Root, rec))); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	whole, err := archive.Load(ctx, []string{fleet}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Release()
	res := correlate.Correlate(whole.Events(), whole.Changes)
	for _, o := range []Options{
		{},
		{Verbose: true},
		{Since: time.Date(2026, 11, 25, 3, 29, 0, 0, time.UTC), Until: time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)},
		{Workload: "deployment/cart-api", Verbose: true},
		{Node: "kwok-node-1"},
	} {
		want, err := json.Marshal(Build(whole.Events(), whole.Changes, res, o))
		if err != nil {
			t.Fatal(err)
		}
		if len(want) < 500 && o.Node == "" {
			t.Fatalf("%+v: next to nothing: %s", o, want)
		}
		for _, spill := range []int64{0, 1} {
			b := NewBuilder(o)
			err := archive.LoadEach(ctx, []string{fleet}, archive.Options{SpillBytes: spill, TempDir: t.TempDir()}, func(a *archive.Archive) error {
				b.Add(a.Events(), a.Changes, correlate.CorrelateParts(a.Parts, 2))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(b.Timeline())
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("%+v spill %d: the timeline of archives one at a time differs:\n%.600s\nwant:\n%.600s", o, spill, got, want)
			}
		}
	}
}
