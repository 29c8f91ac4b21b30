package correlate

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// jobInfo is what events and audit records say about one Job.
type jobInfo struct {
	key     objKey
	uid     string
	owner   string // CronJob that created it
	created int64  // Job created (audit) or the CronJob's "Created job" event
	done    int64  // Completed event or Complete condition
	failed  int64  // BackoffLimitExceeded, DeadlineExceeded or a Failed condition
	reason  string // why it failed
	pods    []string
	trigger *Trigger
	changes []string
	sources []string // the Job controller's events: the first create and the end
	// failures the Job controller reported itself (FailedCreate: quota,
	// admission), apart from the Job's own end.
	failures []failure
}

func (ix *index) job(k objKey) *jobInfo {
	j := ix.jobs[k]
	if j == nil {
		j = &jobInfo{key: k}
		ix.jobs[k] = j
	}
	return j
}

// jobEvent reads the Job controller's events (pkg/controller/job/
// job_controller.go): "Created pod: P", "Job completed",
// BackoffLimitExceeded, DeadlineExceeded.
func (ix *index) jobEvent(k objKey, uid, reason, msg string, at int64, source string) {
	j := ix.job(k)
	if uid != "" && j.uid == "" {
		j.uid = uid
	}
	switch reason {
	case "SuccessfulCreate", "SuccessfulDelete":
		pod, created, ok := ParsePodRef(msg)
		if !ok {
			return
		}
		p := ix.pod(objKey{k.nsKey, pod})
		if created {
			if p.created == 0 || at < p.created {
				p.created, p.Created = at, ix.tp(at)
			}
			if !slices.Contains(j.pods, pod) {
				j.pods = append(j.pods, pod)
			}
			if len(j.sources) == 0 {
				j.sources = append(j.sources, source)
			}
		} else {
			ix.setFirst(&p.Deleted, at)
		}
	case "Completed":
		if j.done == 0 || at < j.done {
			j.done = at
		}
		j.sources = append(j.sources, source)
	case "BackoffLimitExceeded", "DeadlineExceeded", "FailedIndexes", "MaxFailedIndexesExceeded", "PodFailurePolicy":
		if j.failed == 0 || at < j.failed {
			j.failed, j.reason = at, reason+": "+strings.TrimPrefix(msg, combinedPrefix)
		}
		j.sources = append(j.sources, source)
	}
}

// cronJobEvent reads the CronJob controller's events
// (pkg/controller/cronjob/cronjob_controllerv2.go): "Created job J".
func (ix *index) cronJobEvent(k objKey, reason, msg string, at int64) {
	if reason != "SuccessfulCreate" {
		return
	}
	name, ok := strings.CutPrefix(strings.TrimPrefix(msg, combinedPrefix), "Created job ")
	if !ok {
		return
	}
	j := ix.job(objKey{k.nsKey, strings.TrimSpace(name)})
	j.owner = k.name
	if j.created == 0 || at < j.created {
		j.created = at
	}
}

// jobs turns Job runs into rollouts: a run starts when the Job is created
// (or its first pod is), completes with the Job, fails with it, and is in
// progress otherwise.
func (ix *index) jobRuns() []Rollout {
	keys := make([]objKey, 0, len(ix.jobs))
	for k, j := range ix.jobs {
		if len(j.pods) > 0 || j.created != 0 || len(j.failures) > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b objKey) int {
		return cmp.Or(strings.Compare(a.cluster, b.cluster), strings.Compare(a.namespace, b.namespace), strings.Compare(a.name, b.name))
	})
	seq := map[objKey]int{}
	var out []Rollout
	for _, k := range keys {
		j := ix.jobs[k]
		r := Rollout{
			Cluster: k.cluster, Namespace: k.namespace, Kind: "Job", Name: k.name, UID: j.uid, Owner: j.owner,
			OldReplicaSets: []string{}, Changes: []string{}, Pods: []Pod{}, Steps: []Step{}, Warnings: map[string]int{},
			Trigger: j.trigger, Sources: j.sources,
		}
		if j.changes != nil {
			r.Changes = j.changes
		}
		// Runs of one CronJob are numbered in order; a plain Job is one run.
		workload := objKey{k.nsKey, k.name}
		if j.owner != "" {
			workload.name = "cronjob/" + j.owner
		}
		seq[workload]++
		r.Seq = seq[workload]
		start := j.created
		var failures []failure
		for _, name := range j.pods {
			p := ix.lookupPod(objKey{k.nsKey, name})
			if p == nil {
				continue
			}
			r.Pods = append(r.Pods, p.out())
			if start == 0 || p.created != 0 && p.created < start {
				start = p.created
			}
			for sig, n := range p.Warnings {
				r.Warnings[sig] += n
			}
			failures = append(failures, p.failures...)
		}
		for _, f := range j.failures {
			failures = append(failures, f)
			r.Warnings[f.signal] += int(f.count)
			if start == 0 || f.at < start {
				start = f.at
			}
		}
		if start == 0 {
			continue
		}
		slices.SortFunc(r.Pods, func(a, b Pod) int { return cmp.Or(compareTimes(a.Created, b.Created), strings.Compare(a.Name, b.Name)) })
		r.Replicas = len(r.Pods)
		r.Phases = phases(r.Pods)
		r.Start = time.Unix(0, start).UTC()
		switch {
		case j.done != 0:
			r.Outcome, r.End = OutcomeComplete, ix.tp(j.done)
		case j.failed != 0:
			r.Outcome, r.End, r.FailureReason = OutcomeFailed, ix.tp(j.failed), j.reason
		case len(failures) > 0:
			// Still running at the end of the archive, with failure
			// signals: failed (docs/rollouts.md), with no end.
			slices.SortFunc(failures, func(a, b failure) int { return cmp.Compare(a.at, b.at) })
			r.Outcome, r.FailureReason = OutcomeFailed, failures[0].signal+": "+failures[0].detail
		default:
			r.Outcome = OutcomeInProgress
		}
		if r.End != nil {
			d := r.End.Sub(r.Start).Seconds()
			r.DurationSeconds = &d
		}
		out = append(out, r)
	}
	// Number the runs of each CronJob by start time.
	slices.SortStableFunc(out, func(a, b Rollout) int {
		return cmp.Or(strings.Compare(a.Cluster, b.Cluster), strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Owner, b.Owner), a.Start.Compare(b.Start))
	})
	runs := map[string]int{}
	for i := range out {
		if out[i].Owner != "" {
			key := out[i].Cluster + "\x00" + out[i].Namespace + "\x00" + out[i].Owner
			runs[key]++
			out[i].Seq = runs[key]
		}
	}
	return out
}
