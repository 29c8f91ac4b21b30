package correlate_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/load/archive"
)

// withoutEvents copies an audit log leaving out every request on events,
// as the audit policies of many clusters do (level None for events).
func withoutEvents(t *testing.T, src string) string {
	t.Helper()
	var out bytes.Buffer
	dropped := 0
	for _, line := range readLines(t, src) {
		if bytes.Contains(line, []byte(`"resource":"events"`)) {
			dropped++
			continue
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	if dropped == 0 {
		t.Fatal("no event requests to leave out")
	}
	dst := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(dst, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// From an audit log without events, the Deployments' rollouts come from
// the replica counts the controller wrote into the ReplicaSets, the pods'
// creates, bindings and Ready conditions, and their status writes' failure
// reasons: the same rollouts, outcomes, rollbacks, revisions and triggers
// as from the events.
func TestAuditWithoutEvents(t *testing.T) {
	for _, c := range []struct {
		scenario, events string
	}{
		{"lab-basic", "events-list.json"},
		{"lab-lifecycle", "watch-eventsv1.jsonl"},
		{"lab-workloads", "events-list.json"},
		{"lab-failures", "events-list.json"},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			paths := lab(c.scenario, c.events, "audit.log.gz")
			all := rollouts(t, archive.Options{}, paths...)
			want := summary(all, true)
			got := rollouts(t, archive.Options{}, withoutEvents(t, paths[1]))
			if s := summary(got, true); s != want {
				t.Errorf("audit without events:\n%s\nwant:\n%s", s, want)
				return
			}
			for i, r := range got {
				cited := r.Sources
				if len(r.Steps) > 0 {
					cited = []string{r.Steps[0].Source}
				}
				if r.Outcome == "failed" && r.FailureReason == "" || len(cited) == 0 || !strings.Contains(cited[0], "audit.log:") {
					t.Errorf("%s/%s %d: failure %q, cites %v", r.Namespace, r.Name, r.Seq, r.FailureReason, cited)
				}
				// The same pods and the same end (the audit request that
				// scaled a ReplicaSet precedes the event reporting it by a
				// few milliseconds).
				if w := all[i]; len(r.Pods) != len(w.Pods) || (r.End == nil) != (w.End == nil) || r.End != nil && r.End.Sub(*w.End).Abs() > time.Second {
					t.Errorf("%s/%s %d: %d pods, end %v; with events %d pods, end %v", r.Namespace, r.Name, r.Seq, len(r.Pods), r.End, len(w.Pods), w.End)
				}
			}
		})
	}
}
