package correlate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/archive"
)

func rollouts(t *testing.T, opts archive.Options, paths ...string) []correlate.Rollout {
	t.Helper()
	a, err := archive.Load(context.Background(), paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	return correlate.Correlate(a.Events(), a.Changes).Rollouts
}

func lab(scenario string, files ...string) []string {
	var out []string
	for _, f := range files {
		out = append(out, filepath.Join("../../testdata", scenario, f))
	}
	return out
}

// summary renders what the README truth tables state about each rollout.
func summary(rs []correlate.Rollout, withAudit bool) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%s %s/%s %s", r.Start.Format("15:04:05"), r.Namespace, r.Name, r.Outcome)
		if r.Rollback {
			b.WriteString(" rollback")
		}
		if withAudit {
			user := "-"
			if r.Trigger != nil {
				user = r.Trigger.User
			}
			fmt.Fprintf(&b, " rev %s by %s", r.Revision, user)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

const argo = "system:serviceaccount:argocd:argocd-application-controller"

// The ten rollouts of lab-basic's README, from events and audit, and from
// each event export alone.
func TestLabBasic(t *testing.T) {
	want := strings.Join([]string{
		"03:28:27 shop/web complete rev 1 by alice@example.com",
		"03:28:27 shop/cart-api complete rev 1 by alice@example.com",
		"03:28:27 payments/ledger complete rev 1 by alice@example.com",
		"03:28:52 shop/web complete rev 2 by bob@example.com",
		"03:29:12 shop/cart-api failed rev 2 by " + argo,
		"03:30:07 shop/cart-api complete rollback rev 3 by alice@example.com",
		"03:30:28 payments/ledger failed rev 2 by " + argo,
		"03:30:58 payments/ledger complete rev 3 by " + argo,
		"03:31:23 shop/web failed rev 3 by bob@example.com",
		"03:31:43 shop/web complete rollback rev 4 by bob@example.com",
	}, "\n") + "\n"
	rs := rollouts(t, archive.Options{}, lab("lab-basic", "events-list.json", "audit.log.gz")...)
	if got := summary(rs, true); got != want {
		t.Errorf("events + audit:\n%s\nwant:\n%s", got, want)
	}
	reasons := map[string]string{}
	for _, r := range rs {
		if r.Outcome == correlate.OutcomeFailed {
			reasons[r.Name] = strings.SplitN(r.FailureReason, ":", 3)[0] + ":" + strings.SplitN(r.FailureReason, ":", 3)[1]
		}
	}
	if fmt.Sprint(reasons) != "map[cart-api:ProgressDeadlineExceeded: ErrImagePull ledger:CrashLoopBackOff: Back-off restarting failed container web:Unschedulable: 0/3 nodes are available]" {
		t.Errorf("failure reasons %v", reasons)
	}
	// Events alone: the same rollouts, outcomes and rollbacks.
	var noAudit strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(want), "\n") {
		noAudit.WriteString(line[:strings.Index(line, " rev ")] + "\n")
	}
	for _, f := range []string{"events-list.json", "eventsv1-list.json", "watch-core.json", "watch-eventsv1.jsonl"} {
		if got := summary(rollouts(t, archive.Options{}, lab("lab-basic", f)...), false); got != noAudit.String() {
			t.Errorf("%s alone:\n%s\nwant:\n%s", f, got, noAudit.String())
		}
	}
}

// Delete and recreate, a paused rollout, a superseded one and one still in
// progress at the end (lab-lifecycle's README).
func TestLabLifecycle(t *testing.T) {
	rs := rollouts(t, archive.Options{}, lab("lab-lifecycle", "watch-eventsv1.jsonl", "audit.log.gz")...)
	want := strings.Join([]string{
		"16:56:28 shop/api complete rev 1 by alice@example.com",
		"16:56:29 shop/frontend complete rev 1 by alice@example.com",
		"16:56:29 shop/search complete rev 1 by alice@example.com",
		"16:56:29 payments/ledger complete rev 1 by " + argo,
		"16:57:37 shop/api complete rev 1 by " + argo,
		"16:57:57 shop/api complete rev 2 by bob@example.com",
		"16:58:40 shop/frontend complete rev 2 by alice@example.com",
		"16:59:11 payments/ledger superseded rev 2 by " + argo,
		"16:59:18 payments/ledger complete rev 3 by " + argo,
		"17:00:15 shop/search in-progress rev 2 by bob@example.com",
	}, "\n") + "\n"
	if got := summary(rs, true); got != want {
		t.Errorf("lab-lifecycle:\n%s\nwant:\n%s", got, want)
	}
	for _, r := range rs {
		switch {
		case r.Name == "api" && r.Seq == 1 && r.UID == rs[4].UID:
			t.Errorf("the recreated api has the first object's uid %s", r.UID)
		case r.Name == "frontend" && r.Seq == 2:
			// Paused: two edits by bob, resumed by alice; the rollout
			// starts when the controller acts.
			if len(r.Changes) != 2 || !strings.Contains(r.Changes[0], "frontend:4.2") || !strings.Contains(r.Changes[1], "FEATURE_X") {
				t.Errorf("paused rollout changes %q", r.Changes)
			}
		case r.Outcome == correlate.OutcomeInProgress && (r.End != nil || r.DurationSeconds != nil):
			t.Errorf("in-progress rollout has an end: %v", r.End)
		}
	}
}

// The Recreate Deployment of lab-workloads starts when the old pods are
// scaled away.
func TestRecreate(t *testing.T) {
	var rs []correlate.Rollout
	for _, r := range rollouts(t, archive.Options{}, lab("lab-workloads", "events-list.json")...) {
		if r.Kind == "Deployment" {
			rs = append(rs, r)
		}
	}
	if len(rs) != 2 || rs[1].Start.Format("15:04:05") != "16:45:21" || rs[1].Outcome != correlate.OutcomeComplete ||
		fmt.Sprint(rs[1].OldReplicaSets) != "[metrics-974785bff]" {
		t.Errorf("recreate: %s", summary(rs, false))
	}
}

// The same archive in any file order and with any number of workers gives
// the same bytes.
func TestDeterministic(t *testing.T) {
	files := lab("lab-basic", "watch-core.json", "audit.log.gz", "events-list.json", "watch-eventsv1.jsonl")
	encode := func(rs []correlate.Rollout) string {
		b, err := json.Marshal(rs)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	want := encode(rollouts(t, archive.Options{Workers: 1}, files...))
	for i, opts := range []archive.Options{{Workers: 2}, {Workers: 3, BlockSize: 512}} {
		rev := append([]string(nil), files...)
		for j := range rev {
			k := (j + i + 1) % len(rev)
			rev[j], rev[k] = rev[k], rev[j]
		}
		if got := encode(rollouts(t, opts, rev...)); got != want {
			t.Fatalf("order %v, options %+v: output differs", rev, opts)
		}
	}
}

// Job runs of lab-jobs' README, from events alone and with audit logs.
func TestLabJobs(t *testing.T) {
	want := strings.Join([]string{
		"16:47:48 batch-jobs/report-2024 complete",
		"16:47:56 batch-jobs/db-migrate failed",
		"16:49:00 batch-jobs/cleanup-29927089 complete",
		"16:50:00 batch-jobs/cleanup-29927090 complete",
		"16:51:00 batch-jobs/cleanup-29927091 complete",
	}, "\n") + "\n"
	for _, files := range [][]string{lab("lab-jobs", "events-list.json"), lab("lab-jobs", "watch-core.json", "audit.log.gz")} {
		rs := rollouts(t, archive.Options{}, files...)
		if got := summary(rs, false); got != want {
			t.Errorf("%v:\n%s\nwant:\n%s", files, got, want)
			continue
		}
		failed := rs[1]
		if len(failed.Pods) != 3 || !strings.HasPrefix(failed.FailureReason, "BackoffLimitExceeded") || failed.End == nil ||
			failed.End.Format("15:04:05") != "16:48:44" {
			t.Errorf("db-migrate: %d pods, %q, end %v", len(failed.Pods), failed.FailureReason, failed.End)
		}
		if rs[0].Kind != "Job" || len(rs[0].Pods) != 2 || rs[2].Owner != "cleanup" || rs[4].Seq != 3 {
			t.Errorf("runs: %+v", rs)
		}
	}
}

// lab-workloads' StatefulSet and DaemonSet: creation, a rolling update
// replacing pods in place, a scale-up that is not a rollout, and an update
// stuck on a crash-looping pod.
func TestLabWorkloads(t *testing.T) {
	want := strings.Join([]string{
		"16:43:25 data/db complete",
		"16:43:25 infra/metrics complete",
		"16:43:25 infra/node-agent complete",
		"16:44:05 data/db complete",
		"16:44:46 infra/node-agent complete",
		"16:45:21 infra/metrics complete",
		"16:46:06 data/db failed",
	}, "\n") + "\n"
	for _, files := range [][]string{lab("lab-workloads", "events-list.json"), lab("lab-workloads", "watch-eventsv1.jsonl", "audit.log.gz")} {
		a, err := archive.Load(context.Background(), files, archive.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res := correlate.Correlate(a.Events(), a.Changes)
		a.Release()
		if got := summary(res.Rollouts, false); got != want {
			t.Errorf("%v:\n%s\nwant:\n%s", files, got, want)
			continue
		}
		// Each incarnation of a StatefulSet pod name is its own pod, with
		// its own uid.
		uids := map[string]string{}
		for _, r := range res.Rollouts {
			for _, p := range r.Pods {
				if r.Kind != "StatefulSet" || p.UID == "" {
					continue
				}
				if prev, ok := uids[p.UID]; ok {
					t.Errorf("%v: uid %s on %s and %s rollout %d", files, p.UID, prev, p.Name, r.Seq)
				}
				uids[p.UID] = fmt.Sprintf("%s rollout %d", p.Name, r.Seq)
			}
		}
		if len(uids) != 7 {
			t.Errorf("%v: %d StatefulSet pod uids, want 7: %v", files, len(uids), uids)
		}
		for _, r := range res.Rollouts {
			if r.Kind == "StatefulSet" && r.Seq == 2 {
				var names []string
				for _, p := range r.Pods {
					names = append(names, p.Name)
				}
				if fmt.Sprint(names) != "[db-2 db-1 db-0]" {
					t.Errorf("db update replaced %v, want reverse ordinal order", names)
				}
			}
			if r.Kind == "DaemonSet" && r.Seq == 2 && len(r.Pods) != 3 {
				t.Errorf("node-agent update: %d pods", len(r.Pods))
			}
		}
		if len(res.Scaling) != 1 || res.Scaling[0].Name != "db" || res.Scaling[0].From != 3 || res.Scaling[0].To != 4 {
			t.Errorf("scaling %+v", res.Scaling)
		}
		if strings.Contains(fmt.Sprint(files), "audit") {
			// The README's StatefulSet revisions, from the pods'
			// controller-revision-hash labels in the audit log.
			var revs []string
			for _, r := range res.Rollouts {
				if r.Kind == "StatefulSet" {
					revs = append(revs, r.Revision)
				}
			}
			if fmt.Sprint(revs) != "[db-77f85cf77d db-67b8d8b895 db-7c7d47f544]" {
				t.Errorf("StatefulSet revisions %v", revs)
			}
		}
	}
}

// A real OpenShift must-gather namespace (testdata/public): apiserver pods
// run an init container and two containers, so a pod is started when the
// last of them first started; the second rollout's surge pod waits on pod
// anti-affinity (a soft signal: it fits once an old pod goes) and a newer
// template replaces it 6 s later: superseded, with the warning.
func TestMustGatherMultiContainerPods(t *testing.T) {
	rs := rollouts(t, archive.Options{Cluster: "aws"}, "../../testdata/public/openshift-must-gather-aws/namespaces/openshift-apiserver")
	var got []string
	for _, r := range rs {
		got = append(got, fmt.Sprintf("%s %s %s %d pods", r.Start.Format("15:04:05"), r.NewReplicaSet, r.Outcome, len(r.Pods)))
	}
	// The Deployment has maxSurge 0: rollout 2 starts when the controller
	// scales the complete ReplicaSet down (09:26:08), before it scales up
	// the new one; rollout 3 ends with its last pod at 09:30:33 (its final
	// scale-up at 09:29:11 is its own, not a scale-only change).
	want := "[09:20:36 apiserver-65fdcd8694 complete 3 pods 09:26:08 apiserver-69d9f9688f superseded 1 pods 09:26:14 apiserver-5647477f76 complete 3 pods]"
	if fmt.Sprint(got) != want {
		t.Fatalf("rollouts %v\nwant %s", got, want)
	}
	// apiserver-65fdcd8694-ztz4k: fix-audit-permissions started 09:21:44,
	// openshift-apiserver 09:21:45, openshift-apiserver-check-endpoints
	// 09:21:47 (the event name's nanoseconds refine it).
	for _, p := range rs[0].Pods {
		if p.Name == "apiserver-65fdcd8694-ztz4k" && (p.Started == nil || p.Started.Format("15:04:05") != "09:21:47") {
			t.Errorf("ztz4k started %v, want 09:21:47", p.Started)
		}
	}
	if rs[0].End == nil || rs[0].End.Format("15:04:05") != "09:21:47" || rs[1].FailureReason != "" || rs[1].Warnings["Unschedulable"] == 0 ||
		rs[2].End == nil || rs[2].End.Format("15:04:05") != "09:30:33" || fmt.Sprint(rs[1].OldReplicaSets) != "[apiserver-65fdcd8694]" {
		t.Errorf("rollout 1 end %v, rollout 2 failure %q warnings %v, old %v, rollout 3 end %v", rs[0].End, rs[1].FailureReason, rs[1].Warnings, rs[1].OldReplicaSets, rs[2].End)
	}
}

// A rollout whose pods never started, deleted by the next rollout while
// still pending, did not complete: prometheus-adapter's first rollout on
// the must-gather (09:21:31, pods FailedScheduling on master taints until
// rollout 2 at 09:24:54 scaled them away) was said complete at its start.
func TestPendingPodsDeletedIsNotComplete(t *testing.T) {
	rs := rollouts(t, archive.Options{Cluster: "aws"}, "../../testdata/public/openshift-must-gather-aws/namespaces/openshift-monitoring")
	var got []string
	for _, r := range rs {
		if r.Name != "prometheus-adapter" {
			continue
		}
		end := "-"
		if r.End != nil {
			end = r.End.Format("15:04:05")
		}
		got = append(got, fmt.Sprintf("%s-%s %s %d pods", r.Start.Format("15:04:05"), end, r.Outcome, len(r.Pods)))
	}
	want := "[09:21:31-09:24:54 failed 2 pods 09:24:54-09:27:20 complete 2 pods]"
	if fmt.Sprint(got) != want {
		t.Errorf("prometheus-adapter rollouts %v\nwant %s", got, want)
	}
}

// A ReplicaSet that cannot create pods (FailedCreate: a security context
// constraint forbids them) counts the warnings on its rollout. Had it
// never created them (its creates and its pods' events left out), the
// rollout fails with that reason.
func TestReplicaSetFailedCreate(t *testing.T) {
	const src = "../../testdata/public/openshift-must-gather-aws/namespaces/openshift-ingress/core/events.yaml"
	router := func(rs []correlate.Rollout) correlate.Rollout {
		t.Helper()
		for _, r := range rs {
			if r.Name == "router-default" {
				return r
			}
		}
		t.Fatal("no router-default rollout")
		return correlate.Rollout{}
	}
	r := router(rollouts(t, archive.Options{Cluster: "aws"}, src))
	if r.Outcome != correlate.OutcomeComplete || r.Warnings["FailedCreate"] != 6 || r.Warnings["Unschedulable"] != 8 || len(r.Pods) != 2 {
		t.Errorf("router-default: %s, warnings %v, %d pods", r.Outcome, r.Warnings, len(r.Pods))
	}

	// Without the ReplicaSet's creates and its pods' events, it has only
	// failed to create pods.
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		APIVersion string           `yaml:"apiVersion"`
		Kind       string           `yaml:"kind"`
		Items      []map[string]any `yaml:"items"`
	}
	if err := yaml.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	var kept []map[string]any
	for _, e := range list.Items {
		obj, _ := e["involvedObject"].(map[string]any)
		name, _ := obj["name"].(string)
		if strings.HasPrefix(name, "router-default-6dd4c95495") && (obj["kind"] == "Pod" || e["reason"] == "SuccessfulCreate") {
			continue
		}
		kept = append(kept, e)
	}
	list.Items = kept
	out, err := yaml.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "events.yaml")
	if err := os.WriteFile(cut, out, 0o644); err != nil {
		t.Fatal(err)
	}
	r = router(rollouts(t, archive.Options{Cluster: "aws"}, cut))
	if r.Outcome != correlate.OutcomeFailed || !strings.HasPrefix(r.FailureReason, `FailedCreate: Error creating: pods "router-default-6dd4c95495-" is forbidden`) || len(r.Pods) != 0 {
		t.Errorf("router-default without pods: %s %q, %d pods", r.Outcome, r.FailureReason, len(r.Pods))
	}
}

// lab-failures (README): a rollout held up by a quota (FailedCreate on its
// ReplicaSet), a maxSurge-0 rollout, a DaemonSet rollout with maxSurge 1
// (new pod first, old one after) and a Job whose pods the quota refuses.
func TestLabFailures(t *testing.T) {
	want := strings.Join([]string{
		"19:59:54 shop/worker complete",
		"19:59:54 infra/api complete",
		"19:59:54 infra/agent complete",
		"20:00:19 shop/worker complete",
		"20:01:05 infra/api complete",
		"20:01:30 infra/agent complete",
		"20:02:00 batch/report failed",
	}, "\n") + "\n"
	for _, files := range [][]string{
		lab("lab-failures", "events-list.json"),
		lab("lab-failures", "watch-eventsv1.jsonl"),
		lab("lab-failures", "watch-core.json", "audit.log.gz"),
	} {
		a, err := archive.Load(context.Background(), files, archive.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res := correlate.Correlate(a.Events(), a.Changes)
		// Every FailedCreate event is counted on a rollout.
		v := load.NewView(a.Events())
		failedCreate := 0
		for i := 0; i < v.Len(); i++ {
			if v.Str(load.ColReason, i) == "FailedCreate" && v.Bool(load.ColLatest, i) {
				n, _ := v.Int32(load.ColCount, i)
				failedCreate += int(max(n, 1))
			}
		}
		a.Release()
		if got := summary(res.Rollouts, false); got != want {
			t.Errorf("%v:\n%s\nwant:\n%s", files, got, want)
			continue
		}
		counted := 0
		for _, r := range res.Rollouts {
			counted += r.Warnings["FailedCreate"]
			switch {
			case r.Name == "worker" && r.Seq == 2 && (r.Warnings["FailedCreate"] == 0 || len(r.Pods) != 3):
				t.Errorf("%v: worker rollout 2: warnings %v, %d pods", files, r.Warnings, len(r.Pods))
			case r.Name == "api" && r.Seq == 2 && (len(r.Steps) != 4 || r.Steps[0].ReplicaSet != "api-bcb98c744" || len(r.Pods) != 2):
				t.Errorf("%v: api rollout 2 steps %+v, %d pods", files, r.Steps, len(r.Pods))
			case r.Name == "agent" && r.Seq == 2:
				var names []string
				for _, p := range r.Pods {
					names = append(names, p.Name)
				}
				if fmt.Sprint(names) != "[agent-7kr2q agent-92ht8 agent-pjn9j]" || r.End == nil || r.End.Before(mustParse(t, "2026-11-25T20:01:47Z")) {
					t.Errorf("%v: agent rollout 2 pods %v, end %v", files, names, r.End)
				}
			case r.Name == "report" && (!strings.HasPrefix(r.FailureReason, "FailedCreate: Error creating: pods \"report-") || len(r.Pods) != 0 || r.End != nil):
				t.Errorf("%v: report: %q, %d pods, end %v", files, r.FailureReason, len(r.Pods), r.End)
			}
		}
		if counted != failedCreate {
			t.Errorf("%v: FailedCreate: %d on rollouts, %d in the events", files, counted, failedCreate)
		}
		for _, s := range res.Scaling {
			if s.Name == "agent" {
				t.Errorf("%v: the surge rollout gave scaling %+v", files, s)
			}
		}
	}
}

func mustParse(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}
