package correlate

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Outcome: how a rollout ended, its end time and its phases.

// finish fills a rollout's pods, revision, outcome and end.
// finish completes r from its pods: pods its new ReplicaSet created from
// its start until the next rollout or, when scaledAt is not 0, the
// scale-only change at scaledAt.
func (ix *index) finish(d *depInfo, r *Rollout, next *Rollout, scaledAt int64) {
	startNS := r.Start.UnixNano()
	var endLimit int64 = 1<<63 - 1
	if next != nil {
		endLimit = next.Start.UnixNano()
	}
	rsKey := objKey{d.key.nsKey, r.NewReplicaSet}
	// Revision from the audit log: the revision the ReplicaSet was given
	// at or after the rollout started.
	for _, rv := range ix.rsRev[rsKey] {
		if rv.at >= startNS-int64(2*time.Second) && rv.at < endLimit {
			r.Revision = rv.revision
			if rv.history != "" {
				r.Rollback = true
			}
			break
		}
	}
	if r.Revision == "" && len(ix.rsRev[rsKey]) > 0 && r.Seq == 1 {
		r.Revision = ix.rsRev[rsKey][0].revision
	}
	// Pods the new ReplicaSet created during the rollout.
	var failures []failure
	allUp, latestUp, ups := true, int64(0), 0
	// A ReplicaSet name can be two objects (its Deployment deleted and
	// created again): keep the pods of the one that created the first pod.
	candidates := ix.candidates[:0]
	for _, p := range ix.rsPods[rsKey] {
		if p.created < startNS-int64(time.Second) || p.created >= endLimit || scaledAt != 0 && p.created >= scaledAt {
			continue
		}
		candidates = append(candidates, p)
	}
	slices.SortFunc(candidates, func(a, b *podInfo) int {
		return cmp.Or(cmp.Compare(a.created, b.created), strings.Compare(a.Name, b.Name))
	})
	rsUID := ""
	for _, p := range candidates {
		if p.rsUID != "" {
			rsUID = p.rsUID
			break
		}
	}
	ix.candidates = candidates // reused by the next rollout
	if rsUID != "" {
		kept := candidates[:0]
		for _, p := range candidates {
			if p.rsUID == "" || p.rsUID == rsUID {
				kept = append(kept, p)
			}
		}
		candidates = kept
	}
	// Once its scale steps are done, the rollout completes when as many
	// of its pods as it has replicas are up at once. Pods the ReplicaSet
	// creates after that replace evicted or failed ones (a drain, a node
	// failure): they are not the rollout's and do not extend it.
	doneAt, reached := int64(0), false
	if r.End != nil && r.Replicas > 0 {
		if doneAt, reached = upBy(candidates, r.Replicas, r.End.UnixNano()); reached {
			n := 0
			for n < len(candidates) && candidates[n].created <= doneAt {
				n++
			}
			candidates = candidates[:n]
		}
	}
	r.Pods = make([]Pod, 0, len(candidates))
	for _, p := range candidates {
		r.Pods = append(r.Pods, p.out())
		for sig, n := range p.Warnings {
			r.Warnings[sig] += n
		}
		failures = append(failures, p.failures...)
		if up := p.up(); up == nil {
			if p.Deleted == nil {
				allUp = false
			}
		} else {
			ups++
			latestUp = max(latestUp, up.UnixNano())
		}
	}
	if len(r.Pods) > 0 && ups == 0 {
		// Its pods were deleted without ever starting (the next rollout
		// scaled them away while they were pending): it did not complete.
		allUp = false
	}
	slices.SortFunc(r.Pods, func(a, b Pod) int {
		return cmp.Or(compareTimes(a.Created, b.Created), strings.Compare(a.Name, b.Name))
	})
	r.Phases = phases(r.Pods)
	rsFailed := false
	for _, f := range ix.rsFailures[rsKey] {
		if f.at >= startNS-int64(time.Second) && f.at < endLimit {
			failures = append(failures, f)
			r.Warnings[f.signal] += int(f.count)
			rsFailed = true
		}
	}
	if rsFailed && len(r.Pods) < r.Replicas {
		allUp = false // it could not create all its pods
	}
	slices.SortFunc(failures, func(a, b failure) int { return cmp.Compare(a.at, b.at) })
	var deadline int64
	for _, t := range ix.deadlines[d.key] {
		if t >= startNS && t < endLimit {
			deadline = t
			break
		}
	}
	complete := r.End != nil && (allUp || reached) && deadline == 0
	switch {
	case complete && reached:
		r.End = ix.tp(doneAt)
	case complete && latestUp > r.End.UnixNano():
		r.End = ix.tp(latestUp)
	}
	switch {
	case complete:
		r.Outcome = OutcomeComplete
	case deadline != 0:
		r.Outcome, r.FailureReason = OutcomeFailed, "ProgressDeadlineExceeded"
		if len(failures) > 0 {
			r.FailureReason += ": " + failures[0].signal
		}
	case ix.decide(r, failures, next):
	default:
		r.Outcome = OutcomeInProgress
	}
	if r.Outcome != OutcomeComplete {
		switch {
		case next != nil:
			r.End = &next.Start
		case r.Outcome == OutcomeFailed && deadline != 0:
			r.End = ix.tp(deadline)
		case r.Outcome != OutcomeFailed:
			r.End = nil
		}
	}
	if r.End != nil {
		s := r.End.Sub(r.Start).Seconds()
		r.DurationSeconds = &s
	}
	if r.Replicas == 0 {
		r.Replicas = len(r.Pods)
	}
}

// upBy finds the first time at or after from when n of pods are up (ready,
// else started) and not yet deleted.
func upBy(pods []*podInfo, n int, from int64) (int64, bool) {
	type change struct {
		at int64
		d  int
	}
	var cs []change
	for _, p := range pods {
		up := p.up()
		if up == nil {
			continue
		}
		cs = append(cs, change{up.UnixNano(), 1})
		if p.Deleted != nil && p.Deleted.After(*up) {
			cs = append(cs, change{p.Deleted.UnixNano(), -1})
		}
	}
	slices.SortFunc(cs, func(a, b change) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.d, b.d)) })
	count := 0
	for _, c := range cs {
		if c.at > from && count >= n {
			return from, true
		}
		count += c.d
		if c.at >= from && count >= n {
			return c.at, true
		}
	}
	if count >= n {
		return from, true
	}
	return 0, false
}

// up is when the pod came up: ready (audit), else started; nil when
// neither is known.
func (p *Pod) up() *time.Time {
	if p.Ready != nil {
		return p.Ready
	}
	return p.Started
}

func compareTimes(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Compare(*b)
}

func phases(pods []Pod) Phases {
	// The longest of each phase, -1 while no pod shows it.
	longest := [NumPhases]float64{-1, -1, -1, -1}
	for i := range pods {
		for k := range NumPhases {
			if from, to, ok := pods[i].Phase(k); ok {
				longest[k] = max(longest[k], to.Sub(from).Seconds())
			}
		}
	}
	var out [NumPhases]*float64
	for k, s := range longest {
		if s >= 0 {
			out[k] = &s
		}
	}
	return Phases{SchedulingWait: out[PhaseScheduling], ImagePull: out[PhaseImagePull], ContainerStart: out[PhaseContainerStart], Readiness: out[PhaseReadiness]}
}
