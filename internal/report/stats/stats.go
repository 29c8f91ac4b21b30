// Package stats aggregates rollouts into per-workload statistics, roll-ups
// per namespace, cluster and the whole fleet, delivery measures, and
// findings (slow, flaky, regressions, cluster outliers). The partials are
// exact (every duration is kept), so shards of an archive merge by
// concatenating their rollouts. docs/stats.md states the rules. The
// report is written here as text, CSV, HTML and Parquet.
package stats

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/evanalyze/evanalyze/internal/correlate"
)

// Thresholds of the findings; DefaultThresholds gives their defaults.
type Thresholds struct {
	SlowFactor     float64 // a rollout is slow when it takes this many times its workload's median...
	SlowMinSeconds float64 // ...and at least this long
	FleetQuantile  float64 // or when it is above this quantile of the fleet's durations
	FlakyMin       int     // a workload is flaky with at least this many rollouts, some failed and some complete
	RegressFactor  float64 // a regression: the recent half's median duration this many times the earlier half's
	RegressMinRuns int     // rollouts a workload needs for the regression rule
	OutlierFactor  float64 // a cluster outlier: median duration this many times the other clusters' median
}

// DefaultThresholds returns the thresholds used when flags do not change
// them.
func DefaultThresholds() Thresholds {
	return Thresholds{SlowFactor: 3, SlowMinSeconds: 30, FleetQuantile: 0.95, FlakyMin: 3, RegressFactor: 2, RegressMinRuns: 4, OutlierFactor: 3}
}

// Group is the statistics of a set of rollouts (a workload, a namespace, a
// cluster, the fleet).
type Group struct {
	Cluster   string `json:"cluster,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Name      string `json:"name,omitempty"`

	Rollouts   int `json:"rollouts"`
	Complete   int `json:"complete"`
	Failed     int `json:"failed"`
	Superseded int `json:"superseded"`
	InProgress int `json:"in_progress"`
	Rollbacks  int `json:"rollbacks"`

	DurationP50 *float64 `json:"duration_p50_seconds"`
	DurationP90 *float64 `json:"duration_p90_seconds"`
	DurationP99 *float64 `json:"duration_p99_seconds"`
	DurationMax *float64 `json:"duration_max_seconds"`

	SchedulingWaitP50 *float64 `json:"scheduling_wait_p50_seconds"`
	SchedulingWaitP90 *float64 `json:"scheduling_wait_p90_seconds"`
	ImagePullP50      *float64 `json:"image_pull_p50_seconds"`
	ImagePullP90      *float64 `json:"image_pull_p90_seconds"`
	ContainerStartP50 *float64 `json:"container_start_p50_seconds"`
	ContainerStartP90 *float64 `json:"container_start_p90_seconds"`
	ReadinessP50      *float64 `json:"readiness_p50_seconds"`
	ReadinessP90      *float64 `json:"readiness_p90_seconds"`

	PodRestarts    int            `json:"pod_restarts"`
	FailureReasons map[string]int `json:"failure_reasons"`
	FirstRollout   *time.Time     `json:"first_rollout"`
	LastRollout    *time.Time     `json:"last_rollout"`

	// Delivery measures (DORA): rollouts per day over the group's span,
	// failed / all decided rollouts, and the median time from a failed
	// rollout to the next complete one of the same workload.
	RolloutsPerDay    *float64 `json:"rollouts_per_day"`
	ChangeFailureRate *float64 `json:"change_failure_rate"`
	TimeToRestoreP50  *float64 `json:"time_to_restore_p50_seconds"`

	durations, sched, pull, start, ready, restore []float64
}

// Finding is a rule that fired, with its evidence.
type Finding struct {
	Kind      string   `json:"kind"` // slow, flaky, regression, cluster-outlier
	Cluster   string   `json:"cluster,omitempty"`
	Namespace string   `json:"namespace"`
	Workload  string   `json:"workload"` // kind/name
	Summary   string   `json:"summary"`
	Evidence  []string `json:"evidence"`
	Score     float64  `json:"score"` // for ordering: how far past the threshold
}

// Report is the whole of stats.
type Report struct {
	Workloads  []*Group   `json:"workloads"`
	Namespaces []*Group   `json:"namespaces"`
	Clusters   []*Group   `json:"clusters"`
	Fleet      *Group     `json:"fleet"`
	Findings   []Finding  `json:"findings"`
	Thresholds Thresholds `json:"thresholds"`
	// Groups are the roll-ups asked for with GroupBy (nil otherwise).
	Groups  []*Group `json:"groups,omitempty"`
	GroupBy []string `json:"group_by,omitempty"`
}

// GroupKeys are the fields GroupBy accepts.
var GroupKeys = []string{"cluster", "namespace", "kind", "name"}

// GroupBy rolls rollouts up by any of GroupKeys (a CronJob's runs count as
// the CronJob). Time to restore is per workload and is not rolled up here.
func GroupBy(rollouts []correlate.Rollout, keys []string) ([]*Group, error) {
	for _, k := range keys {
		if !slices.Contains(GroupKeys, k) {
			return nil, fmt.Errorf("cannot group by %q (want %s)", k, strings.Join(GroupKeys, ", "))
		}
	}
	groups := map[string]*Group{}
	for i := range rollouts {
		r := &rollouts[i]
		g := &Group{}
		for _, k := range keys {
			switch k {
			case "cluster":
				g.Cluster = r.Cluster
			case "namespace":
				g.Namespace = r.Namespace
			case "kind":
				g.Kind = workloadKind(r)
			case "name":
				g.Name = workloadName(r)
			}
		}
		key := g.Cluster + "\x00" + g.Namespace + "\x00" + g.Kind + "\x00" + g.Name
		if groups[key] == nil {
			groups[key] = g
		}
		groups[key].add(r)
	}
	out := make([]*Group, 0, len(groups))
	for _, g := range groups {
		g.finish()
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *Group) int {
		return cmp.Or(strings.Compare(a.Cluster, b.Cluster), strings.Compare(a.Namespace, b.Namespace),
			strings.Compare(a.Kind, b.Kind), strings.Compare(a.Name, b.Name))
	})
	return out, nil
}

// Compute aggregates rollouts.
func Compute(rollouts []correlate.Rollout, th Thresholds) *Report {
	rs := slices.Clone(rollouts)
	slices.SortStableFunc(rs, func(a, b correlate.Rollout) int {
		return cmp.Or(strings.Compare(a.Cluster, b.Cluster), strings.Compare(a.Namespace, b.Namespace),
			strings.Compare(a.Kind, b.Kind), strings.Compare(workloadName(&a), workloadName(&b)), a.Start.Compare(b.Start))
	})
	rep := &Report{Thresholds: th, Fleet: &Group{}}
	wl, ns, cl := map[string]*Group{}, map[string]*Group{}, map[string]*Group{}
	byWorkload := map[string][]*correlate.Rollout{}
	var order []string
	for i := range rs {
		r := &rs[i]
		name := workloadName(r)
		kind := workloadKind(r)
		wk := r.Cluster + "\x00" + r.Namespace + "\x00" + kind + "\x00" + name
		g := wl[wk]
		if g == nil {
			g = &Group{Cluster: r.Cluster, Namespace: r.Namespace, Kind: kind, Name: name}
			wl[wk] = g
			order = append(order, wk)
		}
		byWorkload[wk] = append(byWorkload[wk], r)
		nk := r.Cluster + "\x00" + r.Namespace
		if ns[nk] == nil {
			ns[nk] = &Group{Cluster: r.Cluster, Namespace: r.Namespace}
		}
		if cl[r.Cluster] == nil {
			cl[r.Cluster] = &Group{Cluster: r.Cluster}
		}
		for _, grp := range []*Group{g, ns[nk], cl[r.Cluster], rep.Fleet} {
			grp.add(r)
		}
	}
	// Time to restore: per workload, a failed rollout to the next complete.
	for _, wk := range order {
		var failedAt *time.Time
		for _, r := range byWorkload[wk] {
			switch r.Outcome {
			case correlate.OutcomeFailed:
				if failedAt == nil {
					t := r.Start
					failedAt = &t
				}
			case correlate.OutcomeComplete:
				if failedAt != nil && r.End != nil {
					d := r.End.Sub(*failedAt).Seconds()
					g := wl[wk]
					nk := g.Cluster + "\x00" + g.Namespace
					for _, grp := range []*Group{g, ns[nk], cl[g.Cluster], rep.Fleet} {
						grp.restore = append(grp.restore, d)
					}
					failedAt = nil
				}
			}
		}
	}
	for _, wk := range order {
		rep.Workloads = append(rep.Workloads, wl[wk])
	}
	for _, g := range sortedGroups(ns) {
		rep.Namespaces = append(rep.Namespaces, g)
	}
	for _, g := range sortedGroups(cl) {
		rep.Clusters = append(rep.Clusters, g)
	}
	for _, g := range append(append(append([]*Group{rep.Fleet}, rep.Workloads...), rep.Namespaces...), rep.Clusters...) {
		g.finish()
	}
	rep.Findings = findings(rep, byWorkload, order, wl, th)
	return rep
}

// workloadName groups a CronJob's runs under the CronJob.
func workloadName(r *correlate.Rollout) string {
	if r.Owner != "" {
		return r.Owner
	}
	return r.Name
}

func workloadKind(r *correlate.Rollout) string {
	if r.Owner != "" {
		return "CronJob"
	}
	return r.Kind
}

func sortedGroups(m map[string]*Group) []*Group {
	out := make([]*Group, 0, len(m))
	for _, g := range m {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *Group) int {
		return cmp.Or(strings.Compare(a.Cluster, b.Cluster), strings.Compare(a.Namespace, b.Namespace))
	})
	return out
}

func (g *Group) add(r *correlate.Rollout) {
	g.Rollouts++
	switch r.Outcome {
	case correlate.OutcomeComplete:
		g.Complete++
	case correlate.OutcomeFailed:
		g.Failed++
		reason, _, _ := strings.Cut(r.FailureReason, ":")
		if g.FailureReasons == nil {
			g.FailureReasons = map[string]int{}
		}
		g.FailureReasons[reason]++
	case correlate.OutcomeSuperseded:
		g.Superseded++
	case correlate.OutcomeInProgress:
		g.InProgress++
	}
	if r.Rollback {
		g.Rollbacks++
	}
	if r.DurationSeconds != nil && r.Outcome == correlate.OutcomeComplete {
		g.durations = append(g.durations, *r.DurationSeconds)
	}
	for _, p := range r.Pods {
		g.PodRestarts += p.Restarts
	}
	put := func(dst *[]float64, v *float64) {
		if v != nil {
			*dst = append(*dst, *v)
		}
	}
	put(&g.sched, r.Phases.SchedulingWait)
	put(&g.pull, r.Phases.ImagePull)
	put(&g.start, r.Phases.ContainerStart)
	put(&g.ready, r.Phases.Readiness)
	t := r.Start
	if g.FirstRollout == nil || t.Before(*g.FirstRollout) {
		g.FirstRollout = &t
	}
	if g.LastRollout == nil || t.After(*g.LastRollout) {
		g.LastRollout = &t
	}
}

func (g *Group) finish() {
	g.DurationP50, g.DurationP90, g.DurationP99 = quantile(g.durations, 0.5), quantile(g.durations, 0.9), quantile(g.durations, 0.99)
	g.DurationMax = quantile(g.durations, 1)
	g.SchedulingWaitP50, g.SchedulingWaitP90 = quantile(g.sched, 0.5), quantile(g.sched, 0.9)
	g.ImagePullP50, g.ImagePullP90 = quantile(g.pull, 0.5), quantile(g.pull, 0.9)
	g.ContainerStartP50, g.ContainerStartP90 = quantile(g.start, 0.5), quantile(g.start, 0.9)
	g.ReadinessP50, g.ReadinessP90 = quantile(g.ready, 0.5), quantile(g.ready, 0.9)
	g.TimeToRestoreP50 = quantile(g.restore, 0.5)
	if decided := g.Complete + g.Failed; decided > 0 {
		r := float64(g.Failed) / float64(decided)
		g.ChangeFailureRate = &r
	}
	if g.FirstRollout != nil && g.Rollouts > 1 {
		days := g.LastRollout.Sub(*g.FirstRollout).Hours() / 24
		days = math.Max(days, 1) // a burst within a day counts per day
		f := float64(g.Rollouts) / days
		g.RolloutsPerDay = &f
	}
	if g.FailureReasons == nil {
		g.FailureReasons = map[string]int{}
	}
}

// quantile is the nearest-rank quantile q of xs (nil when empty).
func quantile(xs []float64, q float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	i = max(0, min(i, len(s)-1))
	v := math.Round(s[i]*1000) / 1000
	return &v
}

func findings(rep *Report, byWorkload map[string][]*correlate.Rollout, order []string, wl map[string]*Group, th Thresholds) []Finding {
	var out []Finding
	fleetQ := quantile(rep.Fleet.durations, th.FleetQuantile)
	for _, wk := range order {
		g := wl[wk]
		rs := byWorkload[wk]
		who := strings.ToLower(g.Kind) + "/" + g.Name
		// Slow: far above the workload's own median, or the fleet's pN.
		for _, r := range rs {
			if r.DurationSeconds == nil || r.Outcome != correlate.OutcomeComplete {
				continue
			}
			d := *r.DurationSeconds
			var why []string
			score := 0.0
			if g.DurationP50 != nil && g.Complete >= 3 && d >= th.SlowFactor**g.DurationP50 && d >= th.SlowMinSeconds {
				why = append(why, fmt.Sprintf("%.0fs is %.1f× the workload's median %.0fs", d, d / *g.DurationP50, *g.DurationP50))
				score = d / *g.DurationP50 / th.SlowFactor
			}
			// Above at millisecond precision: the rollout that is the
			// quantile is not above it.
			if fleetQ != nil && len(rep.Fleet.durations) >= 20 && math.Round(d*1000) > math.Round(*fleetQ*1000) && d >= th.SlowMinSeconds {
				ds, qs := secondsApart(d, *fleetQ)
				why = append(why, fmt.Sprintf("%s is above the fleet's p%s of %s", ds, strconv.FormatFloat(th.FleetQuantile*100, 'g', 4, 64), qs))
				score = math.Max(score, d / *fleetQ)
			}
			if len(why) == 0 {
				continue
			}
			out = append(out, Finding{Kind: "slow", Cluster: g.Cluster, Namespace: g.Namespace, Workload: who, Score: score,
				Summary:  fmt.Sprintf("rollout %d (%s) took %.0fs; %s", r.Seq, r.Start.Format(time.RFC3339), d, slowestPhase(r)),
				Evidence: why})
		}
		// Flaky: some rollouts fail, others complete; or complete rollouts
		// hit failure signals (crash loops, probe failures) only sometimes.
		noisy, quiet := 0, 0
		var noisyEv []string
		for _, r := range rs {
			if r.Outcome != correlate.OutcomeComplete {
				continue
			}
			if len(r.Warnings) > 0 {
				noisy++
				noisyEv = append(noisyEv, fmt.Sprintf("rollout %d at %s completed after %s", r.Seq, r.Start.Format(time.RFC3339), warningText(r.Warnings)))
			} else {
				quiet++
			}
		}
		if g.Rollouts >= th.FlakyMin && g.Failed == 0 && noisy > 0 && quiet > 0 {
			out = append(out, Finding{Kind: "flaky", Cluster: g.Cluster, Namespace: g.Namespace, Workload: who,
				Score:    float64(noisy) / float64(noisy+quiet) * 2,
				Summary:  fmt.Sprintf("%d of %d complete rollouts hit failure signals on the way", noisy, noisy+quiet),
				Evidence: noisyEv})
		}
		if g.Rollouts >= th.FlakyMin && g.Failed > 0 && g.Complete > 0 {
			var ev []string
			for _, r := range rs {
				if r.Outcome == correlate.OutcomeFailed {
					ev = append(ev, fmt.Sprintf("rollout %d at %s failed: %s", r.Seq, r.Start.Format(time.RFC3339), firstLine(r.FailureReason)))
				}
			}
			out = append(out, Finding{Kind: "flaky", Cluster: g.Cluster, Namespace: g.Namespace, Workload: who,
				Score:    float64(g.Failed) / float64(g.Rollouts) * 3,
				Summary:  fmt.Sprintf("%d of %d rollouts failed, %d completed", g.Failed, g.Rollouts, g.Complete),
				Evidence: ev})
		}
		// Regression: the recent half slower or failing more.
		if len(rs) >= th.RegressMinRuns {
			early, late := rs[:len(rs)/2], rs[len(rs)/2:]
			em, lm := medianDuration(early), medianDuration(late)
			if em != nil && lm != nil && *lm >= th.RegressFactor**em && *lm >= th.SlowMinSeconds {
				out = append(out, Finding{Kind: "regression", Cluster: g.Cluster, Namespace: g.Namespace, Workload: who,
					Score:    *lm / *em / th.RegressFactor,
					Summary:  fmt.Sprintf("median duration went from %.0fs to %.0fs", *em, *lm),
					Evidence: []string{fmt.Sprintf("earlier %d rollouts: median %.0fs; recent %d: median %.0fs", len(early), *em, len(late), *lm)}})
			}
			ef, lf := failRate(early), failRate(late)
			if lf > ef && lf >= 0.5 {
				out = append(out, Finding{Kind: "regression", Cluster: g.Cluster, Namespace: g.Namespace, Workload: who,
					Score:    lf - ef + 1,
					Summary:  fmt.Sprintf("failure rate went from %.0f%% to %.0f%%", ef*100, lf*100),
					Evidence: []string{fmt.Sprintf("earlier %d rollouts, recent %d", len(early), len(late))}})
			}
		}
	}
	// Cluster outliers: the same namespace/kind/name across clusters.
	type across struct{ groups []*Group }
	same := map[string]*across{}
	var keys []string
	for _, wk := range order {
		g := wl[wk]
		k := g.Namespace + "\x00" + g.Kind + "\x00" + g.Name
		if same[k] == nil {
			same[k] = &across{}
			keys = append(keys, k)
		}
		same[k].groups = append(same[k].groups, g)
	}
	for _, k := range keys {
		gs := same[k].groups
		if len(gs) < 2 {
			continue
		}
		for _, g := range gs {
			var others []float64
			for _, o := range gs {
				if o != g {
					others = append(others, o.durations...)
				}
			}
			om := quantile(others, 0.5)
			if g.DurationP50 == nil || om == nil || *om == 0 || *g.DurationP50 < th.OutlierFactor**om || *g.DurationP50 < th.SlowMinSeconds {
				continue
			}
			out = append(out, Finding{Kind: "cluster-outlier", Cluster: g.Cluster, Namespace: g.Namespace, Workload: strings.ToLower(g.Kind) + "/" + g.Name,
				Score:    *g.DurationP50 / *om / th.OutlierFactor,
				Summary:  fmt.Sprintf("median duration %.0fs in %s against %.0fs in the other clusters", *g.DurationP50, g.Cluster, *om),
				Evidence: []string{fmt.Sprintf("%d clusters run %s/%s", len(gs), g.Namespace, g.Name)}})
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.Kind, b.Kind), strings.Compare(a.Cluster, b.Cluster),
			strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Workload, b.Workload), strings.Compare(a.Summary, b.Summary))
	})
	if out == nil {
		out = []Finding{}
	}
	return out
}

func warningText(w map[string]int) string {
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, w[k])
	}
	return strings.Join(parts, ", ")
}

func medianDuration(rs []*correlate.Rollout) *float64 {
	var d []float64
	for _, r := range rs {
		if r.DurationSeconds != nil && r.Outcome == correlate.OutcomeComplete {
			d = append(d, *r.DurationSeconds)
		}
	}
	return quantile(d, 0.5)
}

func failRate(rs []*correlate.Rollout) float64 {
	failed, decided := 0, 0
	for _, r := range rs {
		switch r.Outcome {
		case correlate.OutcomeFailed:
			failed++
			decided++
		case correlate.OutcomeComplete:
			decided++
		}
	}
	if decided == 0 {
		return 0
	}
	return float64(failed) / float64(decided)
}

// slowestPhase says what took the longest: the critical path's longest
// phase (docs/rollouts.md, "Critical path"), else the slowest pod's
// longest phase.
func slowestPhase(r *correlate.Rollout) string {
	if s := r.CriticalPath.Summary(); s != "" {
		return "longest: " + s
	}
	best, name := -1.0, "slowest phase: unknown (no pod phases)"
	for _, p := range []struct {
		n string
		v *float64
	}{{"scheduling wait", r.Phases.SchedulingWait}, {"image pull", r.Phases.ImagePull}, {"container start", r.Phases.ContainerStart}, {"readiness", r.Phases.Readiness}} {
		if p.v != nil && *p.v > best {
			best, name = *p.v, fmt.Sprintf("slowest phase: %s %.0fs", p.n, *p.v)
		}
	}
	return name
}

// firstLine is the first line of a failure reason, whole: machine
// output never truncates (the text table cuts, with clip).
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// Slim drops from r what Compute, GroupBy and WriteHTML do not read, so that a
// command can hold a fleet's rollouts for them: the pods become one with
// the rollout's total restarts, and steps, changes, sources, trigger and
// evidence go.
func Slim(r *correlate.Rollout) {
	restarts := 0
	for _, p := range r.Pods {
		restarts += p.Restarts
	}
	r.Pods = []correlate.Pod{{Restarts: restarts}}
	r.Steps, r.Changes, r.Sources, r.Evidence, r.OldReplicaSets, r.Trigger = nil, nil, nil, nil, nil, nil
	if c := r.CriticalPath; c != nil {
		// The findings read its longest phase only.
		r.CriticalPath = &correlate.CriticalPath{Seconds: c.Seconds, Phases: c.Phases, Longest: c.Longest}
	}
}

// clip cuts s to n runes with "…", for the human table only.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// secondsApart formats two durations in seconds with as many decimals as
// it takes to show them different (up to 3), so that "above the fleet's
// p95" never reads as two equal numbers.
func secondsApart(a, b float64) (string, string) {
	for prec := 0; prec < 3; prec++ {
		x, y := strconv.FormatFloat(a, 'f', prec, 64), strconv.FormatFloat(b, 'f', prec, 64)
		if x != y {
			return x + "s", y + "s"
		}
	}
	return strconv.FormatFloat(a, 'f', 3, 64) + "s", strconv.FormatFloat(b, 'f', 3, 64) + "s"
}
