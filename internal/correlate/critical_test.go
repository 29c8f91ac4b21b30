package correlate_test

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/evanalyze/evanalyze/internal/correlate"
)

// TestCriticalPathAddsUp checks, for every recording in every input form
// it has, that each rollout with an end has a critical path whose waits
// run without gap or overlap from its start to its end, each in a known
// phase, on pods of the rollout, and whose phases add up to its duration.
func TestCriticalPathAddsUp(t *testing.T) {
	dirs, _ := filepath.Glob("../../testdata/lab-*")
	for _, dir := range dirs {
		for _, files := range inputForms {
			if _, err := os.Stat(filepath.Join(dir, files[0])); err != nil {
				continue
			}
			res := correlateLab(t, filepath.Base(dir), files)
			paths := 0
			for i := range res.Rollouts {
				r := &res.Rollouts[i]
				cp := r.CriticalPath
				if r.End == nil {
					if cp != nil {
						t.Errorf("%s %v: %s rollout %d has no end and a critical path", dir, files, r.Name, r.Seq)
					}
					continue
				}
				if cp == nil {
					t.Errorf("%s %v: %s rollout %d has an end and no critical path", dir, files, r.Name, r.Seq)
					continue
				}
				paths++
				at, sum := r.Start, 0.0
				for _, s := range cp.Steps {
					if !s.From.Equal(at) || s.To.Before(s.From) {
						t.Errorf("%s %v: %s rollout %d: wait %s %v..%v after %v", dir, files, r.Name, r.Seq, s.Phase, s.From, s.To, at)
					}
					if !slices.Contains(correlate.PathPhaseNames(), s.Phase) {
						t.Errorf("%s %v: %s rollout %d: phase %q", dir, files, r.Name, r.Seq, s.Phase)
					}
					if s.Pod != "" && !slices.ContainsFunc(r.Pods, func(p correlate.Pod) bool { return p.Name == s.Pod }) {
						t.Errorf("%s %v: %s rollout %d: wait on %s, not its pod", dir, files, r.Name, r.Seq, s.Pod)
					}
					at = s.To
					sum += s.Seconds
				}
				if !at.Equal(*r.End) && len(cp.Steps) > 0 {
					t.Errorf("%s %v: %s rollout %d: the path ends %v, the rollout %v", dir, files, r.Name, r.Seq, at, *r.End)
				}
				var phases float64
				for _, ph := range correlate.PathPhaseNames() {
					phases += cp.Phases.Seconds(ph)
				}
				if math.Abs(sum-cp.Seconds) > 1e-6 || math.Abs(phases-cp.Seconds) > 1e-6 {
					t.Errorf("%s %v: %s rollout %d: waits %.6fs, phases %.6fs, duration %.6fs", dir, files, r.Name, r.Seq, sum, phases, cp.Seconds)
				}
			}
			if paths == 0 {
				t.Errorf("%s %v: no critical path", dir, files)
			}
		}
	}
}

// TestCriticalPathKnown checks the chains whose answer the recordings
// know, from each input form: lab-basic's web rollout 2 waits, in each of
// its three waves, for one new pod's readiness and then the next scale
// step; lab-lifecycle's search pulls slowly (the image pull dominates);
// lab-failures' worker rollout 2 waits for a quota (the wait is refused
// creates, not a pod phase); lab-basic's web rollout 3 never schedules
// and ledger rollout 2 crash-loops.
func TestCriticalPathKnown(t *testing.T) {
	find := func(rs []correlate.Rollout, name string, seq int) *correlate.Rollout {
		for i := range rs {
			if rs[i].Name == name && rs[i].Seq == seq {
				return &rs[i]
			}
		}
		return nil
	}
	for _, files := range inputForms {
		basic := correlateLab(t, "lab-basic", files).Rollouts
		web := find(basic, "web", 2)
		if web == nil || web.CriticalPath == nil {
			t.Fatalf("%v: web rollout 2 without a critical path", files)
		}
		var pods, steps []string
		for _, s := range web.CriticalPath.Steps {
			if s.Pod != "" && !slices.Contains(pods, s.Pod) {
				pods = append(pods, s.Pod)
			}
			if strings.HasPrefix(s.Until, "scaled ") {
				steps = append(steps, s.Until)
			}
		}
		var created []string
		for _, p := range web.Pods {
			created = append(created, p.Name)
		}
		if !slices.Equal(pods, created) || len(pods) != 3 {
			t.Errorf("%v: web rollout 2 waits on pods %v, want its three in order %v", files, pods, created)
		}
		if want := []string{"scaled web-6ff6db9c5f 1 → 2", "scaled web-6ff6db9c5f 2 → 3"}; !slices.Equal(steps, want) {
			t.Errorf("%v: web rollout 2 reaches steps %v, want %v", files, steps, want)
		}
		// Each wave: the pod's readiness leads to the next step (the
		// wait that ends at the step is readiness when the archive has
		// no ready time, else the controller's after the pod was ready).
		for i, s := range web.CriticalPath.Steps {
			if strings.HasPrefix(s.Until, "scaled ") {
				prev := web.CriticalPath.Steps[i-1]
				if s.Phase != correlate.PathReadiness && !(s.Phase == correlate.PathController && strings.HasSuffix(prev.Until, " ready")) {
					t.Errorf("%v: web rollout 2: %s wait until %q after %q, not the pod's readiness", files, s.Phase, s.Until, prev.Until)
				}
			}
		}
		if got := web.CriticalPath.Longest; got != correlate.PathReadiness {
			t.Errorf("%v: web rollout 2: longest %s, want readiness", files, got)
		}
		for _, c := range []struct {
			rec, name string
			seq       int
			longest   string
			share     float64 // of the duration, at least
			detail    string  // in a wait of the longest phase
		}{
			{"lab-lifecycle", "search", 1, correlate.PathImagePull, 0.8, ""},
			{"lab-failures", "worker", 2, correlate.PathCreateBlocked, 0.5, "FailedCreate ×"},
			{"lab-basic", "web", 3, correlate.PathSchedulingWait, 0.95, "Unschedulable"},
			{"lab-basic", "ledger", 2, correlate.PathContainerStart, 0.8, "CrashLoopBackOff"},
		} {
			rs := basic
			if c.rec != "lab-basic" {
				rs = correlateLab(t, c.rec, files).Rollouts
			}
			r := find(rs, c.name, c.seq)
			if r == nil || r.CriticalPath == nil {
				t.Errorf("%s %v: %s rollout %d without a critical path", c.rec, files, c.name, c.seq)
				continue
			}
			cp := r.CriticalPath
			if cp.Longest != c.longest || cp.Phases.Seconds(c.longest) < c.share*cp.Seconds {
				t.Errorf("%s %v: %s rollout %d: longest %s (%s), want %s, at least %.0f%% of %.1fs", c.rec, files, c.name, c.seq,
					cp.Longest, cp.Summary(), c.longest, 100*c.share, cp.Seconds)
			}
			if c.detail != "" && !slices.ContainsFunc(cp.Steps, func(s correlate.PathStep) bool {
				return s.Phase == c.longest && strings.Contains(s.Detail, c.detail)
			}) {
				t.Errorf("%s %v: %s rollout %d: no %s wait names %q: %+v", c.rec, files, c.name, c.seq, c.longest, c.detail, cp.Steps)
			}
		}
	}
}
