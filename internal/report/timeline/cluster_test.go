package timeline

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// Entries of two clusters name their cluster (else they read as repeats);
// one cluster's do not, and every format states the requested window.
func TestEntriesNameTheirCluster(t *testing.T) {
	at := time.Date(2026, 11, 25, 3, 29, 0, 0, time.UTC)
	e := Entry{Time: at, Namespace: "shop", Object: "deployment/web", Kind: KindRollout, Summary: "rollout 2 started"}
	a, b := e, e
	a.Cluster, b.Cluster = "prod", "staging"
	for _, tc := range []struct {
		entries []Entry
		want    bool
	}{{[]Entry{a, b}, true}, {[]Entry{a, a}, false}} {
		tl := &Timeline{Since: at.Add(-time.Minute), Until: at.Add(time.Minute), Entries: tc.entries}
		var txt, md bytes.Buffer
		if err := WriteText(&txt, tl); err != nil {
			t.Fatal(err)
		}
		if err := WriteMarkdown(&md, tl); err != nil {
			t.Fatal(err)
		}
		for name, out := range map[string]string{"text": txt.String(), "md": md.String()} {
			if got := strings.Contains(out, "staging") || strings.Contains(out, "prod"); got != tc.want {
				t.Errorf("%s with clusters %v: names the cluster %v:\n%s", name, tc.entries, got, out)
			}
			if !strings.Contains(out, "2026-11-25T03:28:00Z to 2026-11-25T03:30:00Z") {
				t.Errorf("%s does not state the window:\n%s", name, out)
			}
		}
	}
}
