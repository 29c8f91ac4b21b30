package correlate

import (
	"strings"
	"time"
)

// When a rollout that did not complete failed (docs/rollouts.md,
// "Outcomes"): on evidence that it could not make progress, not on any
// warning its pods showed while starting.

// Rules are the thresholds of the failure rule (flags --hard-after and
// --soft-after).
type Rules struct {
	// HardAfter is how long a hard signal (image pull errors, crash loops,
	// CreateContainerConfigError, FailedCreate, FailedMount, Unschedulable
	// because no node fits the pod) must have lasted before the rollout
	// was replaced for the rollout to have failed: a mount that fails for
	// the second a configmap takes to sync, then a newer template, is a
	// superseded rollout with a warning.
	HardAfter time.Duration
	// SoftAfter is how long a soft signal (a readiness probe failing while
	// the pod starts; Unschedulable only because old pods hold what the
	// pod needs: anti-affinity, host ports, a cordoned node) must last: the
	// deployment controller's default progress deadline.
	SoftAfter time.Duration
}

// DefaultRules are the documented thresholds: 10 s and 600 s.
func DefaultRules() Rules { return Rules{HardAfter: 10 * time.Second, SoftAfter: 600 * time.Second} }

// hardSignal reports whether a failure signal says the rollout cannot make
// progress by itself (a hard signal) rather than that its pods are still
// starting or waiting for old pods to go (a soft one).
func hardSignal(f failure) bool {
	switch f.signal {
	case "Unhealthy":
		return false
	case "Unschedulable":
		// A node held only by old pods (anti-affinity, host ports) or
		// cordoned by a drain: the pod fits there once they go. The
		// scheduler names each node's reason ("0/3 nodes are available:
		// 1 node(s) didn't match pod anti-affinity rules, 2 Insufficient
		// cpu."): one soft reason makes the signal soft.
		for _, soft := range []string{"anti-affinity", "free ports", "were unschedulable"} {
			if strings.Contains(f.detail, soft) {
				return false
			}
		}
		return true
	}
	return true
}

// failedBy returns the signal that made a rollout fail, given its failure
// signals in time order, the start of the rollout that replaced it (0 when
// none did) and whether that one was a rollback. A hard signal fails it
// when no rollout replaced it or it lasted HardAfter before one did; a
// soft one when it lasted SoftAfter, or when the rollout was given up by
// a rollback while it lasted.
func (ru Rules) failedBy(fs []failure, replacedAt int64, rollback bool) (failure, bool) {
	var firstSoft, lastSoft *failure
	for i := range fs {
		f := &fs[i]
		if replacedAt != 0 && f.at >= replacedAt {
			break
		}
		if hardSignal(*f) {
			if replacedAt == 0 || replacedAt-f.at >= int64(ru.HardAfter) {
				return *f, true
			}
			continue
		}
		if firstSoft == nil {
			firstSoft = f
		}
		lastSoft = f
	}
	switch {
	case firstSoft == nil:
		return failure{}, false
	case rollback:
		return *firstSoft, true
	case lastSoft.at-firstSoft.at >= int64(ru.SoftAfter) || replacedAt != 0 && replacedAt-firstSoft.at >= int64(ru.SoftAfter):
		return *firstSoft, true
	}
	return failure{}, false
}

// decide settles a rollout that did not complete, from its failure
// signals (in time order) and the rollout that replaced it (nil: none):
// failed, with its reason, ending at next's start or, stuck, at its last
// signal; else superseded, ending at next's start. It reports whether it
// decided; an undecided rollout is in progress.
func (ix *index) decide(r *Rollout, fs []failure, next *Rollout) bool {
	if f, ok := ix.rules.failedBy(fs, replacedAt(next), next != nil && next.Rollback); ok {
		r.Outcome, r.FailureReason = OutcomeFailed, f.signal+": "+f.detail
		if next != nil {
			r.End = &next.Start
		} else {
			var last int64
			for _, f := range fs {
				last = max(last, f.at)
			}
			r.End = ix.tp(last) // stuck: the last evidence
		}
		return true
	}
	if next != nil {
		r.Outcome, r.End = OutcomeSuperseded, &next.Start
		return true
	}
	return false
}

func replacedAt(next *Rollout) int64 {
	if next == nil {
		return 0
	}
	return next.Start.UnixNano()
}
