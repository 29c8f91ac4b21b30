package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/archive"
)

// publicData is ../shared/data/public (public must-gathers and support
// bundles, too large for testdata/); EVANALYZE_PUBLIC_DATA overrides it.
// `make test-public` and `make test-long` (CI) run these tests; `make test`
// (-short) leaves them out, as do runs without the data, unless
// EVANALYZE_REQUIRE_PUBLIC_DATA is set: then missing data fails.
func publicData(t *testing.T) string {
	if testing.Short() && os.Getenv("EVANALYZE_REQUIRE_PUBLIC_DATA") == "" {
		t.Skip("public data: long (make test-public or make test-long runs it)")
	}
	dir := os.Getenv("EVANALYZE_PUBLIC_DATA")
	if dir == "" {
		dir = "../../../shared/data/public"
	}
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.tsv")); err != nil {
		if os.Getenv("EVANALYZE_REQUIRE_PUBLIC_DATA") != "" {
			t.Fatalf("public data: %v", err)
		}
		t.Skipf("public data not found (%v); set EVANALYZE_PUBLIC_DATA", err)
	}
	return dir
}

// scaledUp matches the ScalingReplicaSet messages of every Kubernetes
// version (docs/rollouts.md), written independently of the correlator's
// parser.
var scaledUp = regexp.MustCompile(`^(?:\(combined from similar events\): )?Scaled up replica set (\S+) (?:to|from \d+ to) (\d+)`)

// The four OpenShift must-gathers: every event read, none rejected, and
// the rollouts agree with the ScalingReplicaSet events in them.
func TestPublicMustGathers(t *testing.T) {
	root := filepath.Join(publicData(t), "openshift-must-gather-clean")
	for _, c := range []struct {
		cluster string
		events  int64
		// failed: all on signals that lasted (FailedMount of DaemonSet
		// pods from over 10 s before a newer template, or with none;
		// untolerated taints). vsphere's controller-manager rollout 3 is
		// one: each of its pods' mounts failed 5 times from 09:38:26 (the
		// event's firstTimestamp) to 09:38:34, and a newer template came
		// at 09:38:38.8.
		failed int
	}{{"aws", 5373, 2}, {"azure", 5302, 1}, {"metal", 5171, 1}, {"vsphere", 5230, 3}} {
		t.Run(c.cluster, func(t *testing.T) {
			dir := filepath.Join(root, c.cluster)
			a, err := archive.Load(context.Background(), []string{dir}, archive.Options{Cluster: c.cluster})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Release()
			if a.Totals.Events != c.events || a.Totals.Rejected != 0 {
				t.Errorf("%d events, %d rejected; want %d and 0", a.Totals.Events, a.Totals.Rejected, c.events)
			}
			res := correlate.Correlate(a.Events(), a.Changes)

			// Oracle: the ReplicaSets each Deployment's events scaled up.
			v := load.NewView(a.Events())
			want := map[string]bool{} // namespace/deployment/replicaset
			for i := 0; i < v.Len(); i++ {
				if v.Str(load.ColReason, i) != "ScalingReplicaSet" || v.Str(load.ColObjectKind, i) != "Deployment" {
					continue
				}
				if m := scaledUp.FindStringSubmatch(v.Str(load.ColMessage, i)); m != nil {
					want[v.Str(load.ColObjectNamespace, i)+"/"+v.Str(load.ColObjectName, i)+"/"+m[1]] = true
				}
			}
			got := map[string]bool{}
			for _, r := range res.Rollouts {
				if r.Kind != "Deployment" {
					continue
				}
				got[r.Namespace+"/"+r.Name+"/"+r.NewReplicaSet] = true
			}
			var missing, extra []string
			for k := range want {
				if !got[k] {
					missing = append(missing, k)
				}
			}
			for k := range got {
				if !want[k] {
					extra = append(extra, k)
				}
			}
			sort.Strings(missing)
			sort.Strings(extra)
			if len(missing) > 0 || len(extra) > 0 {
				t.Errorf("Deployment rollouts: ReplicaSets scaled up but without a rollout %v; rollouts of ReplicaSets never scaled up %v", missing, extra)
			}

			// Every record a rollout cites is an event of its workload, its
			// ReplicaSets or its pods, with the reason that rule reads.
			byLine := map[string]int{}
			for i := 0; i < v.Len(); i++ {
				byLine[fmt.Sprintf("%s:%d", v.Str(load.ColSourceFile, i), v.Int64(load.ColSourceLine, i))] = i
			}
			kinds := map[string]int{}
			for _, r := range res.Rollouts {
				kinds[r.Kind]++
				cites := append([]string(nil), r.Sources...)
				for _, st := range r.Steps {
					cites = append(cites, st.Source)
				}
				if len(cites) == 0 {
					t.Errorf("%s/%s/%s rollout %d cites no record", r.Namespace, r.Kind, r.Name, r.Seq)
				}
				for _, src := range cites {
					i, ok := byLine[src]
					if !ok {
						t.Errorf("%s/%s rollout %d: %s is no event record", r.Kind, r.Name, r.Seq, src)
						continue
					}
					reason, obj, msg := v.Str(load.ColReason, i), v.Str(load.ColObjectName, i), v.Str(load.ColMessage, i)
					ok = v.Str(load.ColObjectNamespace, i) == r.Namespace
					switch r.Kind {
					case "Deployment":
						ok = ok && reason == "ScalingReplicaSet" && obj == r.Name
					case "DaemonSet":
						ok = ok && (reason == "SuccessfulCreate" || reason == "SuccessfulDelete") && obj == r.Name &&
							(strings.HasPrefix(strings.TrimPrefix(msg, "(combined from similar events): "), "Created pod: ") || strings.HasPrefix(strings.TrimPrefix(msg, "(combined from similar events): "), "Deleted pod: "))
					case "StatefulSet":
						ok = ok && (reason == "SuccessfulCreate" || reason == "SuccessfulDelete") && obj == r.Name &&
							strings.Contains(msg, " in StatefulSet "+r.Name+" successful")
					}
					if !ok {
						t.Errorf("%s/%s rollout %d cites %s: %s %s/%s %q", r.Kind, r.Name, r.Seq, src, reason, v.Str(load.ColObjectKind, i), obj, msg)
					}
				}
				// Pods belong to the workload: a DaemonSet's are named
				// after it, a StatefulSet's NAME-ORDINAL, a Deployment's
				// after one of its ReplicaSets.
				names := map[string]bool{}
				for _, p := range r.Pods {
					if !strings.HasPrefix(p.Name, r.Name+"-") {
						t.Errorf("%s/%s rollout %d has pod %s", r.Kind, r.Name, r.Seq, p.Name)
					}
					// Only a StatefulSet creates one pod name again.
					if names[p.Name] && r.Kind != "StatefulSet" {
						t.Errorf("%s/%s rollout %d has pod %s twice", r.Kind, r.Name, r.Seq, p.Name)
					}
					names[p.Name] = true
				}
			}
			t.Logf("%d rollouts %v from %d scaled-up ReplicaSets", len(res.Rollouts), kinds, len(want))

			// Outcomes (docs/rollouts.md "Outcomes"): each failed rollout
			// has a reason and an end; a DaemonSet rollout never holds more
			// pods than the masters it runs on (several generations merged);
			// warnings during a start or a surge do not fail a rollout that a
			// newer template replaced (openshift-apiserver/apiserver 2:
			// anti-affinity; openshift-console/console 2: readiness probe);
			// prometheus-adapter 1 on aws is not complete (its pods never
			// started: untolerated taints, then replaced).
			failed := 0
			for _, r := range res.Rollouts {
				id := fmt.Sprintf("%s/%s/%s %d", r.Namespace, r.Kind, r.Name, r.Seq)
				if r.Outcome == correlate.OutcomeFailed {
					failed++
					if r.FailureReason == "" || r.End == nil {
						t.Errorf("%s failed: reason %q, end %v", id, r.FailureReason, r.End)
					}
				}
				if r.Kind == "DaemonSet" && r.Name == "controller-manager" && len(r.Pods) > 3 {
					t.Errorf("%s: %d pods on 3 masters (%.0f s)", id, len(r.Pods), *r.DurationSeconds)
				}
				switch {
				case r.Namespace == "openshift-apiserver" && r.Name == "apiserver" && r.Outcome == correlate.OutcomeFailed,
					r.Namespace == "openshift-console" && r.Name == "console" && r.Outcome == correlate.OutcomeFailed:
					t.Errorf("%s failed on a start-up signal: %s", id, r.FailureReason)
				case c.cluster == "aws" && r.Name == "prometheus-adapter" && r.Seq == 1 && r.Outcome == correlate.OutcomeComplete:
					t.Errorf("%s complete though its pods never started", id)
				}
			}
			if failed != c.failed {
				t.Errorf("%d failed rollouts, want %d", failed, c.failed)
			}

			// Every FailedCreate of a ReplicaSet, DaemonSet or StatefulSet
			// (pods it could not create) is counted on a rollout.
			failedCreate, counted := 0, 0
			for i := 0; i < v.Len(); i++ {
				switch v.Str(load.ColObjectKind, i) {
				case "ReplicaSet", "DaemonSet", "StatefulSet":
					if v.Str(load.ColReason, i) == "FailedCreate" && v.Bool(load.ColLatest, i) {
						n, _ := v.Int32(load.ColCount, i)
						failedCreate += int(max(n, 1))
					}
				}
			}
			for _, r := range res.Rollouts {
				counted += r.Warnings["FailedCreate"]
			}
			if counted != failedCreate {
				t.Errorf("FailedCreate: %d on rollouts, %d in the events", counted, failedCreate)
			}

			// Every command runs on the directory and agrees on the count.
			out, stderr, code := runCmd(t, "", "stats", "--cluster-name", c.cluster, "-o", "json", dir)
			var st struct {
				Workloads []struct{ Rollouts int } `json:"workloads"`
			}
			if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
				t.Fatalf("stats: exit %d: %s", code, stderr)
			}
			n := 0
			for _, w := range st.Workloads {
				n += w.Rollouts
			}
			if n != len(res.Rollouts) {
				t.Errorf("stats counts %d rollouts, correlate %d", n, len(res.Rollouts))
			}
			out, stderr, code = runCmd(t, "", "timeline", "--cluster-name", c.cluster, "-o", "json", dir)
			var tl struct {
				Entries []struct{ Kind, Summary string } `json:"entries"`
			}
			if code != 0 || json.Unmarshal([]byte(out), &tl) != nil {
				t.Fatalf("timeline: exit %d: %s", code, stderr)
			}
			n = 0
			for _, e := range tl.Entries {
				if e.Kind == "rollout" && strings.HasSuffix(e.Summary, " started") || e.Kind == "rollout" && strings.Contains(e.Summary, " started (") {
					n++
				}
			}
			if n != len(res.Rollouts) {
				t.Errorf("timeline has %d rollout starts, want %d", n, len(res.Rollouts))
			}
			out, stderr, code = runCmd(t, "", "export", "--cluster-name", c.cluster, "--otlp-file", "-", dir)
			if code != 0 {
				t.Fatalf("export: exit %d: %s", code, stderr)
			}
			traces := map[string]bool{}
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				var req struct {
					ResourceSpans []struct {
						ScopeSpans []struct {
							Spans []struct {
								TraceID, ParentSpanID, Name string
							}
						}
					}
				}
				if err := json.Unmarshal([]byte(line), &req); err != nil {
					t.Fatalf("export line: %v", err)
				}
				for _, rs := range req.ResourceSpans {
					for _, ss := range rs.ScopeSpans {
						for _, sp := range ss.Spans {
							if sp.ParentSpanID == "" {
								traces[sp.TraceID] = true
							}
						}
					}
				}
			}
			if len(traces) != len(res.Rollouts) {
				t.Errorf("export wrote %d traces with a root span, want %d", len(traces), len(res.Rollouts))
			}
		})
	}
}

// Every file under the public data reads with no rejection but the one
// malformed fixture (Falco's {"kind": 0}); records that are not Kubernetes
// records are skipped with their reasons.
func TestPublicDataRejections(t *testing.T) {
	root := publicData(t)
	a, err := archive.Load(context.Background(), []string{root}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	for _, f := range a.Files {
		if f.Rejected == 0 {
			continue
		}
		if filepath.Base(f.File) == "fal_01_003.json" && f.Rejected == 1 {
			continue
		}
		t.Errorf("%s: %d rejected: %v", f.File, f.Rejected, f.Errors)
	}
	tot := a.Totals
	if tot.Read != tot.Audit.Records+(tot.Records-tot.Audit.Events)+tot.Skipped+tot.Rejected {
		t.Errorf("counts do not add up: %+v", tot)
	}
	t.Logf("read %d, events %d, audit records %d, skipped %d, rejected %d", tot.Read, tot.Events, tot.Audit.Records, tot.Skipped, tot.Rejected)
}
