package explain

import (
	"strings"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
)

func TestBar(t *testing.T) {
	for _, c := range []struct {
		offset, seconds, total float64
		want                   string
	}{
		{0, 10, 10, strings.Repeat("#", BarWidth)},
		{0, 0, 10, "#" + strings.Repeat(" ", BarWidth-1)},
		{5, 5, 10, strings.Repeat(" ", BarWidth/2) + strings.Repeat("#", BarWidth/2)},
		{10, 0, 10, strings.Repeat(" ", BarWidth-1) + "#"}, // a wait of none at the end
		{0, 0, 0, "#" + strings.Repeat(" ", BarWidth-1)},
	} {
		if got := bar(c.offset, c.seconds, c.total); got != c.want || len(got) != BarWidth {
			t.Errorf("bar(%v, %v, %v) = %q, want %q", c.offset, c.seconds, c.total, got, c.want)
		}
	}
}

// TestHostileText checks that names and messages from the archive reach
// the terminal without their control sequences.
func TestHostileText(t *testing.T) {
	start := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	end := start.Add(10 * time.Second)
	evil := "web\x1b]0;pwned\x07\u202e"
	r := &correlate.Rollout{Cluster: evil, Namespace: evil, Kind: "Deployment", Name: evil, Seq: 1, Start: start, End: &end,
		Outcome: correlate.OutcomeComplete, Changes: []string{"image " + evil},
		CriticalPath: &correlate.CriticalPath{Seconds: 10, Longest: correlate.PathImagePull, Steps: []correlate.PathStep{
			{Phase: correlate.PathImagePull, From: start, To: end, Seconds: 10, Pod: evil, Until: "pod " + evil + " image pulled",
				Detail: "ErrImagePull ×2: " + evil, Source: evil + ":1"}}}}
	r.CriticalPath.Phases.ImagePull = 10
	var b strings.Builder
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Errorf("control characters reach the terminal:\n%q", out)
	}
	for _, want := range []string{"longest: image pull 10.0s of 10.0s", "by phase: image pull 10.0s (100%)", "image pulled"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}
