package timeline

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
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

// With rollouts of two clusters, the HTML page names each entry's and each
// bar's cluster; with one, it does not.
func TestHTMLNamesClusters(t *testing.T) {
	for _, c := range []struct {
		clusters []string
		want     bool
	}{{[]string{"east"}, false}, {[]string{"east", "west"}, true}} {
		var tl Timeline
		var rollouts []correlate.Rollout
		at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
		for _, cl := range c.clusters {
			end := at.Add(time.Minute)
			tl.Entries = append(tl.Entries, Entry{Time: at, Cluster: cl, Namespace: "shop", Object: "deployment/web", Kind: KindRollout, Summary: "rollout 1 started"})
			rollouts = append(rollouts, correlate.Rollout{Cluster: cl, Namespace: "shop", Kind: "Deployment", Name: "web", Seq: 1, Start: at, End: &end, Outcome: correlate.OutcomeComplete})
		}
		var page bytes.Buffer
		if err := WriteHTML(&page, &tl, rollouts); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(page.String(), "<th>cluster</th>") && strings.Contains(page.String(), `data-full="west: shop/deployment/web #1"`); got != c.want {
			t.Errorf("clusters %v: cluster named %v, want %v", c.clusters, got, c.want)
		}
	}
}
