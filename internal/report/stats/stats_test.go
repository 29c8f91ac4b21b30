package stats

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/evanalyze/evanalyze/internal/correlate"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// ro builds a rollout of cluster/namespace/name at day d with a duration
// and outcome.
func ro(cluster, name string, day int, seconds float64, outcome string) correlate.Rollout {
	r := correlate.Rollout{Cluster: cluster, Namespace: "ns", Kind: "Deployment", Name: name, Start: t0.Add(time.Duration(day) * 24 * time.Hour), Outcome: outcome}
	if outcome == correlate.OutcomeComplete || outcome == correlate.OutcomeFailed {
		end := r.Start.Add(time.Duration(seconds * float64(time.Second)))
		r.End = &end
		d := seconds
		r.DurationSeconds = &d
	}
	if outcome == correlate.OutcomeFailed {
		r.FailureReason = "ErrImagePull: Failed to pull image"
	}
	return r
}

func kinds(fs []Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Kind+" "+f.Cluster+" "+f.Workload)
	}
	return strings.Join(out, "; ")
}

func TestAggregates(t *testing.T) {
	rs := []correlate.Rollout{
		ro("a", "web", 0, 10, correlate.OutcomeComplete),
		ro("a", "web", 1, 20, correlate.OutcomeFailed),
		ro("a", "web", 2, 30, correlate.OutcomeComplete),
		ro("a", "web", 3, 0, correlate.OutcomeSuperseded),
	}
	rs[2].Rollback = true
	rep := Compute(rs, DefaultThresholds())
	g := rep.Workloads[0]
	got := fmt.Sprintf("%d %d %d %d %d %v %v %v", g.Rollouts, g.Complete, g.Failed, g.Superseded, g.Rollbacks, *g.DurationP50, *g.DurationMax, g.FailureReasons)
	if got != "4 2 1 1 1 10 30 map[ErrImagePull:1]" {
		t.Errorf("aggregates %s", got)
	}
	// Change failure rate: failed / (failed + complete); time to restore:
	// the failed rollout's start to the next complete one's end.
	if *g.ChangeFailureRate != 1.0/3 || *g.TimeToRestoreP50 != 24*3600+30 {
		t.Errorf("cfr %v ttr %v", *g.ChangeFailureRate, *g.TimeToRestoreP50)
	}
	if *g.RolloutsPerDay != 4.0/3 || rep.Fleet.Rollouts != 4 || len(rep.Clusters) != 1 || len(rep.Namespaces) != 1 {
		t.Errorf("per day %v fleet %d", *g.RolloutsPerDay, rep.Fleet.Rollouts)
	}
}

func TestSlow(t *testing.T) {
	var rs []correlate.Rollout
	for d, s := range []float64{10, 12, 11, 9, 60} {
		rs = append(rs, ro("a", "web", d, s, correlate.OutcomeComplete))
	}
	fs := Compute(rs, DefaultThresholds()).Findings
	if kinds(fs) != "slow a deployment/web" || !strings.Contains(fs[0].Evidence[0], "60s is 5.5× the workload's median 11s") {
		t.Errorf("findings %s %v", kinds(fs), fs)
	}
	// Below the minimum duration nothing is slow.
	th := DefaultThresholds()
	th.SlowMinSeconds = 100
	if fs := Compute(rs, th).Findings; len(fs) != 0 {
		t.Errorf("with a 100s minimum: %s", kinds(fs))
	}
}

func TestFlakyAndRegression(t *testing.T) {
	rs := []correlate.Rollout{
		ro("a", "api", 0, 10, correlate.OutcomeComplete),
		ro("a", "api", 1, 10, correlate.OutcomeComplete),
		ro("a", "api", 2, 10, correlate.OutcomeFailed),
		ro("a", "api", 3, 10, correlate.OutcomeFailed),
		// always failing is not flaky
		ro("a", "bad", 0, 10, correlate.OutcomeFailed),
		ro("a", "bad", 1, 10, correlate.OutcomeFailed),
		ro("a", "bad", 2, 10, correlate.OutcomeFailed),
		// getting slower
		ro("a", "db", 0, 40, correlate.OutcomeComplete),
		ro("a", "db", 1, 40, correlate.OutcomeComplete),
		ro("a", "db", 2, 100, correlate.OutcomeComplete),
		ro("a", "db", 3, 120, correlate.OutcomeComplete),
	}
	got := kinds(Compute(rs, DefaultThresholds()).Findings)
	for _, want := range []string{"flaky a deployment/api", "regression a deployment/api", "regression a deployment/db"} {
		if !strings.Contains(got, want) {
			t.Errorf("findings %q lack %q", got, want)
		}
	}
	if strings.Contains(got, "flaky a deployment/bad") {
		t.Errorf("an always failing workload is flaky: %s", got)
	}
}

func TestClusterOutlier(t *testing.T) {
	var rs []correlate.Rollout
	for d := 0; d < 3; d++ {
		rs = append(rs, ro("a", "web", d, 20, correlate.OutcomeComplete), ro("b", "web", d, 22, correlate.OutcomeComplete), ro("c", "web", d, 90, correlate.OutcomeComplete))
	}
	fs := Compute(rs, DefaultThresholds()).Findings
	if kinds(fs) != "cluster-outlier c deployment/web" || !strings.Contains(fs[0].Summary, "90s in c against 20s") {
		t.Errorf("findings %s %+v", kinds(fs), fs)
	}
}

// Shards merge by concatenating their rollouts: the partials are exact.
// The shards, concatenated in any order, give the report of the whole
// input computed in one go, and its figures are the hand-computed ones,
// among them a time to restore from a failure in one shard to the
// completion in another.
func TestMergeable(t *testing.T) {
	shards := [][]correlate.Rollout{
		{ro("a", "web", 2, 20, correlate.OutcomeFailed), ro("b", "web", 1, 50, correlate.OutcomeComplete), ro("a", "api", 2, 15, correlate.OutcomeComplete)},
		{ro("a", "web", 0, 10, correlate.OutcomeComplete), ro("a", "api", 0, 5, correlate.OutcomeComplete)},
		{ro("a", "web", 3, 40, correlate.OutcomeComplete), ro("a", "web", 4, 0, correlate.OutcomeInProgress), ro("a", "web", 1, 30, correlate.OutcomeComplete)},
	}
	whole := []correlate.Rollout{
		ro("a", "api", 0, 5, correlate.OutcomeComplete),
		ro("a", "api", 2, 15, correlate.OutcomeComplete),
		ro("a", "web", 0, 10, correlate.OutcomeComplete),
		ro("a", "web", 1, 30, correlate.OutcomeComplete),
		ro("a", "web", 2, 20, correlate.OutcomeFailed),
		ro("a", "web", 3, 40, correlate.OutcomeComplete),
		ro("a", "web", 4, 0, correlate.OutcomeInProgress),
		ro("b", "web", 1, 50, correlate.OutcomeComplete),
	}
	want, err := json.Marshal(Compute(whole, DefaultThresholds()))
	if err != nil {
		t.Fatal(err)
	}
	for _, order := range [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
		var merged []correlate.Rollout
		for _, i := range order {
			merged = append(merged, shards[i]...)
		}
		got, err := json.Marshal(Compute(merged, DefaultThresholds()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("shards in order %v: the report differs from the whole input's:\n%s\nwant\n%s", order, got, want)
		}
	}

	// rollouts complete failed in-progress | p50 p90 max | change failure
	// rate, time to restore p50, rollouts per day
	figures := func(g *Group) string {
		f := func(p *float64) string {
			if p == nil {
				return "-"
			}
			return strconv.FormatFloat(*p, 'g', 6, 64)
		}
		return fmt.Sprintf("%d %d %d %d | %s %s %s | %s %s %s", g.Rollouts, g.Complete, g.Failed, g.InProgress,
			f(g.DurationP50), f(g.DurationP90), f(g.DurationMax), f(g.ChangeFailureRate), f(g.TimeToRestoreP50), f(g.RolloutsPerDay))
	}
	var all []correlate.Rollout
	for _, sh := range shards {
		all = append(all, sh...)
	}
	rep := Compute(all, DefaultThresholds())
	got := map[string]string{"fleet": figures(rep.Fleet)}
	for _, g := range rep.Workloads {
		got["workload "+g.Cluster+"/"+g.Name] = figures(g)
	}
	for _, g := range rep.Clusters {
		got["cluster "+g.Cluster] = figures(g)
	}
	for _, g := range rep.Namespaces {
		got["namespace "+g.Cluster+"/"+g.Namespace] = figures(g)
	}
	restore := strconv.Itoa(24*3600 + 40) // a/web: failed at day 2's start, complete at day 3 + 40s
	for k, w := range map[string]string{
		// Complete durations 10 30 40; 5 rollouts over 4 days.
		"workload a/web": "5 3 1 1 | 30 40 40 | 0.25 " + restore + " 1.25",
		// 5 15; 2 rollouts within 2 days.
		"workload a/api": "2 2 0 0 | 5 15 15 | 0 - 1",
		// One rollout: no rate per day.
		"workload b/web": "1 1 0 0 | 50 50 50 | 0 - -",
		// 5 10 15 30 40; 7 over 4 days.
		"cluster a":      "7 5 1 1 | 15 40 40 | 0.166667 " + restore + " 1.75",
		"namespace a/ns": "7 5 1 1 | 15 40 40 | 0.166667 " + restore + " 1.75",
		"cluster b":      "1 1 0 0 | 50 50 50 | 0 - -",
		"namespace b/ns": "1 1 0 0 | 50 50 50 | 0 - -",
		// 5 10 15 30 40 50; 8 over 4 days.
		"fleet": "8 6 1 1 | 15 50 50 | 0.142857 " + restore + " 2",
	} {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
	if len(got) != 8 {
		t.Errorf("groups %v", got)
	}
}

func TestGroupBy(t *testing.T) {
	rs := []correlate.Rollout{
		ro("a", "web", 0, 10, correlate.OutcomeComplete),
		ro("b", "web", 1, 20, correlate.OutcomeFailed),
		ro("b", "api", 2, 30, correlate.OutcomeComplete),
	}
	rs[2].Kind = "StatefulSet"
	gs, err := GroupBy(rs, []string{"kind"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range gs {
		got = append(got, fmt.Sprintf("%s:%d/%d", g.Kind, g.Rollouts, g.Failed))
	}
	if fmt.Sprint(got) != "[Deployment:2/1 StatefulSet:1/0]" {
		t.Errorf("by kind %v", got)
	}
	if _, err := GroupBy(rs, []string{"color"}); err == nil {
		t.Error("unknown key accepted")
	}
}

// The Parquet output reads back with the same numbers.
func TestParquetOutput(t *testing.T) {
	rs := []correlate.Rollout{ro("a", "web", 0, 10, correlate.OutcomeComplete), ro("a", "web", 1, 20, correlate.OutcomeFailed)}
	rep := Compute(rs, DefaultThresholds())
	var buf bytes.Buffer
	if err := WriteParquet(&buf, rep.Workloads); err != nil {
		t.Fatal(err)
	}
	rows, err := parquet.Read[pqGroup](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Name != "web" || rows[0].Rollouts != 2 || rows[0].Failed != 1 || *rows[0].DurationP50 != 10 ||
		rows[0].FailureReasons != "ErrImagePull=1" || *rows[0].ChangeFailureRate != 0.5 {
		t.Errorf("rows %+v", rows)
	}
}

// Crash loops that come and go in rollouts that still complete are flaky.
func TestFlakyWarnings(t *testing.T) {
	var rs []correlate.Rollout
	for d := 0; d < 4; d++ {
		r := ro("a", "svc", d, 10, correlate.OutcomeComplete)
		if d%2 == 1 {
			r.Warnings = map[string]int{"CrashLoopBackOff": 2}
		}
		rs = append(rs, r)
	}
	fs := Compute(rs, DefaultThresholds()).Findings
	if kinds(fs) != "flaky a deployment/svc" || !strings.Contains(fs[0].Summary, "2 of 4 complete rollouts hit failure signals") ||
		!strings.Contains(fs[0].Evidence[0], "CrashLoopBackOff ×2") {
		t.Errorf("findings %s %+v", kinds(fs), fs)
	}
}
