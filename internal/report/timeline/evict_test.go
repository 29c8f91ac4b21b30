package timeline

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/reporttest"
)

// lab-scaling's drain (alice, 14:58:03) is four eviction facts with their
// actor, and no rollout entry comes after it.
func TestEvictionsAreFacts(t *testing.T) {
	dir := filepath.Join(reporttest.Root, "lab-scaling")
	a, err := archive.Load(context.Background(), []string{filepath.Join(dir, "watch-eventsv1.jsonl"), filepath.Join(dir, "audit.log.gz")}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	b := NewBuilder(Options{})
	b.Add(a.Events(), a.Changes, correlate.Correlate(a.Events(), a.Changes))
	tl := b.Timeline()
	drain := time.Date(2026, 12, 3, 14, 58, 3, 0, time.UTC)
	var evicted []string
	for _, e := range tl.Entries {
		if e.Summary == "evicted" {
			if e.Actor != "alice@example.com" || e.Kind != KindChange || len(e.Sources) != 1 {
				t.Errorf("eviction entry %+v", e)
			}
			evicted = append(evicted, e.Object)
		}
		if e.Kind == KindRollout && e.Time.After(drain) {
			t.Errorf("rollout entry after the drain: %s %s %s", e.Time.Format(time.TimeOnly), e.Object, e.Summary)
		}
	}
	slices.Sort(evicted)
	if got := strings.Join(evicted, " "); got != "pod/catalog-7c69cc7968-f5hhp pod/catalog-7c69cc7968-fhwgd pod/checkout-566d76894-6wf54 pod/gateway-6b9d76bc64-cvmxl" {
		t.Errorf("evicted %s", got)
	}
}
