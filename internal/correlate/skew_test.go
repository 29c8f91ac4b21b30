package correlate_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
)

// skewNodeEvents rewrites a core/v1 event list as if the nodes' clocks
// (kwok stands in for the kubelets here) were off: every time of the
// events a node reported moves by skew(node), also the nanosecond time the
// event name carries.
func skewNodeEvents(t *testing.T, src, dst string, skew func(node string) time.Duration) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var list map[string]any
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	// The node of each pod, from the scheduler's events.
	nodeOf := map[string]string{}
	for _, it := range list["items"].([]any) {
		e := it.(map[string]any)
		if msg, _ := e["message"].(string); e["reason"] == "Scheduled" {
			if _, rest, ok := strings.Cut(msg, "Successfully assigned "); ok {
				if pod, node, ok := strings.Cut(rest, " to "); ok {
					nodeOf[pod] = node
				}
			}
		}
	}
	var d time.Duration
	shift := func(m map[string]any, key string) {
		s, ok := m[key].(string)
		if !ok {
			return
		}
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		m[key] = ts.Add(d).UTC().Format(time.RFC3339)
	}
	n := 0
	for _, it := range list["items"].([]any) {
		e := it.(map[string]any)
		if e["reportingComponent"] != "kwok_controller" {
			continue
		}
		obj := e["involvedObject"].(map[string]any)
		node, ok := nodeOf[obj["namespace"].(string)+"/"+obj["name"].(string)]
		if !ok {
			continue
		}
		d = skew(node)
		n++
		shift(e, "firstTimestamp")
		shift(e, "lastTimestamp")
		md := e["metadata"].(map[string]any)
		shift(md, "creationTimestamp")
		if name, ok := md["name"].(string); ok {
			if i := strings.LastIndexByte(name, '.'); i > 0 {
				if ns, err := strconv.ParseUint(name[i+1:], 16, 64); err == nil {
					md["name"] = name[:i+1] + strconv.FormatUint(uint64(int64(ns)+int64(d)), 16)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no node events to skew")
	}
	out, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A few seconds of clock skew between the nodes and the control plane
// change no rollout, outcome or pod, and never give a negative duration or
// phase: times from the nodes are clamped to the control plane's order.
func TestClockSkew(t *testing.T) {
	src := lab("lab-basic", "events-list.json")[0]
	want := rollouts(t, archive.Options{}, src)
	const d = 3 * time.Second
	for name, skew := range map[string]func(string) time.Duration{
		"all nodes behind": func(string) time.Duration { return -d },
		"all nodes ahead":  func(string) time.Duration { return d },
		"nodes apart": func(node string) time.Duration {
			if node[len(node)-1]%2 == 0 {
				return -d
			}
			return d
		},
	} {
		path := filepath.Join(t.TempDir(), "events-list.json")
		skewNodeEvents(t, src, path, skew)
		got := rollouts(t, archive.Options{}, path)
		if summary(got, false) != summary(want, false) {
			t.Errorf("%s:\n%s\nwant:\n%s", name, summary(got, false), summary(want, false))
			continue
		}
		changed := 0
		for i, r := range got {
			w := want[i]
			if r.DurationSeconds != nil && w.DurationSeconds != nil && *r.DurationSeconds != *w.DurationSeconds {
				changed++
			}
			if r.NewReplicaSet != w.NewReplicaSet || len(r.Pods) != len(w.Pods) || r.FailureReason != w.FailureReason {
				t.Errorf("%s: rollout %s/%s %d: rs %s pods %d %q, want %s %d %q", name, r.Namespace, r.Name, r.Seq,
					r.NewReplicaSet, len(r.Pods), r.FailureReason, w.NewReplicaSet, len(w.Pods), w.FailureReason)
			}
			if r.DurationSeconds != nil && *r.DurationSeconds < 0 {
				t.Errorf("%s: %s/%s %d: duration %v", name, r.Namespace, r.Name, r.Seq, *r.DurationSeconds)
			}
			if (r.DurationSeconds == nil) != (w.DurationSeconds == nil) ||
				r.DurationSeconds != nil && abs(*r.DurationSeconds-*w.DurationSeconds) > d.Abs().Seconds()+1 {
				t.Errorf("%s: %s/%s %d: duration %v, want %v", name, r.Namespace, r.Name, r.Seq, r.DurationSeconds, w.DurationSeconds)
			}
			for _, ph := range []*float64{r.Phases.SchedulingWait, r.Phases.ImagePull, r.Phases.ContainerStart, r.Phases.Readiness} {
				if ph != nil && *ph < 0 {
					t.Errorf("%s: %s/%s %d: negative phase %+v", name, r.Namespace, r.Name, r.Seq, r.Phases)
				}
			}
			wp, gp := w.Phases, r.Phases
			if (wp.ImagePull == nil) != (gp.ImagePull == nil) || (wp.ContainerStart == nil) != (gp.ContainerStart == nil) || (wp.SchedulingWait == nil) != (gp.SchedulingWait == nil) {
				t.Errorf("%s: %s/%s %d: phases %s, want %s", name, r.Namespace, r.Name, r.Seq, phaseString(gp), phaseString(wp))
			}
		}
		if changed == 0 {
			t.Errorf("%s: no duration changed: the skew was not applied", name)
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func phaseString(p correlate.Phases) string {
	b, _ := json.Marshal(p)
	return string(b)
}
