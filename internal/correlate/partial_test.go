package correlate_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
)

// since copies lab-basic's events.k8s.io watch stream keeping the
// observations made at or after cutoff, as an archive that starts then.
func since(t *testing.T, cutoff string) string {
	t.Helper()
	at, err := time.Parse(time.RFC3339, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(lab("lab-basic", "watch-eventsv1.jsonl")[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dst := filepath.Join(t.TempDir(), "watch.jsonl")
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var w struct {
			Object struct {
				EventTime               time.Time
				DeprecatedLastTimestamp time.Time
				Series                  struct{ LastObservedTime time.Time }
			}
		}
		if err := json.Unmarshal(sc.Bytes(), &w); err != nil {
			t.Fatal(err)
		}
		o := w.Object
		last := o.EventTime
		for _, t := range []time.Time{o.DeprecatedLastTimestamp, o.Series.LastObservedTime} {
			if t.After(last) {
				last = t
			}
		}
		if !last.Before(at) {
			out.Write(append(sc.Bytes(), '\n'))
		}
	}
	return dst
}

func find(rs []correlate.Rollout, name string) []correlate.Rollout {
	var out []correlate.Rollout
	for _, r := range rs {
		if r.Name == name {
			out = append(out, r)
		}
	}
	return out
}

// An archive that starts in the middle of a rollout gives it marked
// partial; one that starts with a scale-only change does not make that a
// rollout.
func TestArchiveStartsMidway(t *testing.T) {
	// 03:29:00: web's second rollout has scaled web-6ff6db9c5f to 1 and
	// the old web-7bdb597cf4 not yet down; ledger's rollouts are ahead.
	a, err := archive.Load(t.Context(), []string{since(t, "2026-11-25T03:29:00Z")}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	web := find(correlate.Correlate(a.Events(), a.Changes).Rollouts, "web")
	if len(web) == 0 || web[0].NewReplicaSet != "web-6ff6db9c5f" || !web[0].Partial || web[0].Outcome != correlate.OutcomeComplete {
		t.Fatalf("web from 03:29:00: %+v", web)
	}
	for _, r := range web[1:] {
		if r.Partial {
			t.Errorf("web rollout %d partial", r.Seq)
		}
	}
	res := correlate.Correlate(a.Events(), a.Changes)
	if l := find(res.Rollouts, "ledger"); len(l) != 2 || l[0].Partial || l[1].Partial {
		t.Errorf("ledger rollouts that start in the archive: %+v", l)
	}

	// 03:32:00: web is scaled 3 -> 5 and back (its last rollout's steps
	// are before): scaling, no rollout.
	b, err := archive.Load(t.Context(), []string{since(t, "2026-11-25T03:32:00Z")}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	res = correlate.Correlate(b.Events(), b.Changes)
	if web := find(res.Rollouts, "web"); len(web) != 0 {
		t.Errorf("web from 03:32:00: rollouts %+v", web)
	}
	var scaled []string
	for _, s := range res.Scaling {
		if s.Name == "web" {
			scaled = append(scaled, s.At.Format("15:04:05")+" "+itoa(s.From)+"->"+itoa(s.To))
		}
	}
	if len(scaled) != 2 || scaled[0] != "03:32:03 3->5" || scaled[1] != "03:32:13 5->3" {
		t.Errorf("web scaling from 03:32:00: %v", scaled)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// A StatefulSet whose pods were already there when its first create in the
// archive happened: that create is a scale-up, not the creation rollout.
func TestInplaceExistedBefore(t *testing.T) {
	b, err := os.ReadFile(lab("lab-workloads", "events-list.json")[0])
	if err != nil {
		t.Fatal(err)
	}
	var list map[string]any
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	// The StatefulSet controller's events before 16:45:40 are gone (the
	// pods' own events stay): the archive shows db's pods running, then
	// the scale 3 -> 4 (db-3) and the failed update.
	var kept []any
	for _, it := range list["items"].([]any) {
		e := it.(map[string]any)
		obj := e["involvedObject"].(map[string]any)
		if obj["kind"] == "StatefulSet" && e["lastTimestamp"].(string) < "2026-11-25T16:45:40Z" {
			continue
		}
		kept = append(kept, e)
	}
	list["items"] = kept
	out, _ := json.Marshal(list)
	path := filepath.Join(t.TempDir(), "events.json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := archive.Load(t.Context(), []string{path}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	res := correlate.Correlate(a.Events(), a.Changes)
	db := find(res.Rollouts, "db")
	if len(db) != 1 || db[0].Start.Format("15:04:05") != "16:46:06" || db[0].Outcome != correlate.OutcomeFailed {
		for _, r := range db {
			t.Logf("db rollout %d %s %s", r.Seq, r.Start.Format("15:04:05"), r.Outcome)
		}
		t.Fatalf("db: %d rollouts, want the failed update only", len(db))
	}
	var scaled []string
	for _, s := range res.Scaling {
		if s.Name == "db" {
			scaled = append(scaled, s.At.Format("15:04:05"))
		}
	}
	if len(scaled) == 0 || scaled[0] != "16:45:46" {
		t.Errorf("db scaling %v, want the create of db-3 at 16:45:46", scaled)
	}
}
