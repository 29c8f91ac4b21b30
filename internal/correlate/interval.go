package correlate

import "time"

// Reports draw a rollout as a span with its scale steps and pods inside,
// and each pod with its phases inside. The intervals are decided here, once,
// so that the trace export and the timeline's chart cannot disagree
// (docs/rollouts.md, "Intervals").

// Phase numbers of a pod, in the order of Phases' fields.
const (
	PhaseScheduling     = iota // created → scheduled
	PhaseImagePull             // pulling → pulled
	PhaseContainerStart        // pulled → started
	PhaseReadiness             // started → ready
	NumPhases
)

// Phase returns phase k of p (PhaseScheduling...). ok is false unless
// both ends are known and in order: a phase is never made up, nor
// negative (node and control-plane clocks differ).
func (p *Pod) Phase(k int) (from, to time.Time, ok bool) {
	var a, b *time.Time
	switch k {
	case PhaseScheduling:
		a, b = p.Created, p.Scheduled
	case PhaseImagePull:
		a, b = p.Pulling, p.Pulled
	case PhaseContainerStart:
		a, b = p.Pulled, p.Started
	case PhaseReadiness:
		a, b = p.Started, p.Ready
	}
	if a == nil || b == nil || b.Before(*a) {
		return time.Time{}, time.Time{}, false
	}
	return *a, *b, true
}

// Interval returns the interval a pod is drawn over within a rollout
// whose interval ends at end: from its creation to its becoming ready
// (else started, else deleted, else end), widened to hold each of its
// phases. ok is false for a pod whose creation is unknown: it is not
// drawn.
func (p *Pod) Interval(end time.Time) (start, stop time.Time, ok bool) {
	if p.Created == nil {
		return time.Time{}, time.Time{}, false
	}
	start, stop = p.hull()
	if p.Ready == nil && p.Started == nil && p.Deleted == nil && end.After(stop) {
		stop = end
	}
	return start, stop, true
}

// hull is Interval without the rollout's end: a pod that never came up
// and was not deleted ends at its last phase (or its creation).
func (p *Pod) hull() (start, stop time.Time) {
	start = *p.Created
	stop = start
	// Up when ready, else started: the time the critical path's gating
	// rule uses too (doneAt), so that a trace viewer's critical path
	// follows the same pods.
	if d := doneAt(p, false); d != nil {
		stop = *d
	} else if p.Deleted != nil {
		stop = *p.Deleted
	}
	if stop.Before(start) {
		stop = start
	}
	for k := range NumPhases {
		if from, to, ok := p.Phase(k); ok {
			start, stop = earliest(start, from), latest(stop, to)
		}
	}
	return start, stop
}

// Interval returns the interval a rollout is drawn over: every scale step
// and every pod (Pod.Interval with this end) lies within it. The start is
// Start, or earlier when a step or a pod comes before it (pods created up
// to 1 s before the start belong to a rollout). The end is End, else the
// last thing seen of it (a failed rollout without a deadline, one in
// progress): the latest time any of its pods shows (created, scheduled,
// pulling, pulled, started, ready, deleted); either way at least its last
// step and the end of each pod it draws.
func (r *Rollout) Interval() (start, end time.Time) {
	start, end = r.Start, r.Start
	if r.End != nil {
		end = latest(end, *r.End)
	} else {
		for i := range r.Pods {
			p := &r.Pods[i]
			for _, at := range [...]*time.Time{p.Created, p.Scheduled, p.Pulling, p.Pulled, p.Started, p.Ready, p.Deleted} {
				if at != nil {
					end = latest(end, *at)
				}
			}
		}
	}
	for _, s := range r.Steps {
		start, end = earliest(start, s.At), latest(end, s.At)
	}
	for i := range r.Pods {
		if p := &r.Pods[i]; p.Created != nil {
			a, b := p.hull()
			start, end = earliest(start, a), latest(end, b)
		}
	}
	return start, end
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
