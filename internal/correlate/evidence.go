package correlate

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/evanalyze/evanalyze/internal/load"
)

// Evidence is a row of the event table that tells of a rollout: an event
// of its workload, of one of its ReplicaSets, or of one of their pods.
// Reports take a rollout's events from its Evidence, so that which events
// belong to which rollout is decided here, by the owners correlation
// found (controller events and audit owner references), not again by
// names (docs/rollouts.md, "Evidence").
type Evidence struct {
	// Row is the event's row in the event table given to Correlate
	// (CorrelateParts: the parts' tables joined in order, as
	// archive.Archive.Events joins them).
	Row int32
	// Pod is the index in the rollout's Pods of the pod the event is
	// about, -1 for an event of another object.
	Pod int32
	// ReplicaSet is the ReplicaSet the event is about, or the one that
	// created the pod it is about; "" for the workload's own events and
	// for pods of StatefulSets, DaemonSets and Jobs.
	ReplicaSet string
}

// afterDelete is how long the events a deletion causes may follow it: a
// rollout's last scale step makes the ReplicaSet controller delete pods
// (SuccessfulDelete, milliseconds later) and the kubelet stop them
// (Killing, a second or so later). 30 s is Kubernetes' default
// terminationGracePeriodSeconds.
const afterDelete = 30 * time.Second

// workloadKey names a workload or ReplicaSet: its kind and objKey.
type workloadKey struct {
	objKey
	kind string
}

// evidenceKinds are the kinds whose events readEvents keeps the rows of.
var evidenceKinds = map[string]bool{"Deployment": true, "ReplicaSet": true, "StatefulSet": true, "DaemonSet": true, "Job": true}

// evidence fills the Evidence of one workload's rollouts (of Deployments:
// all of one Deployment's, whose ReplicaSets are shared out among them),
// each sorted by time, then row:
//   - the workload's events within its Interval, up to the next rollout's
//     start (a rollout's interval can outlast it: its pods are deleted by
//     the next one);
//   - its new ReplicaSet's events (replicaSetEvidence);
//   - each drawn pod's events from 1 s before its creation to the end of
//     the interval (for a rollout without an end: to the next rollout's
//     start), or until afterDelete past the pod's deletion when that is
//     later (the kubelet's Killing follows it; not for a StatefulSet,
//     whose next pod of the same name comes at once);
//   - for a Deployment, the events of its old ReplicaSets and of their pods
//     that no rollout draws (oldReplicaSetEvidence).
func (ix *index) evidence(rs []Rollout) {
	if len(rs) == 0 {
		return
	}
	starts, ends, clips := make([]time.Time, len(rs)), make([]time.Time, len(rs)), make([]time.Time, len(rs))
	nexts := make([]int64, len(rs)) // the next rollout's start, else the largest time
	for k := range rs {
		starts[k], ends[k] = rs[k].Interval()
		clips[k], nexts[k] = ends[k], 1<<63-1
	}
	for k := range rs {
		// The next rollout of the same workload, if any, in rs (a
		// workload's rollouts are in order of start).
		for n := k + 1; n < len(rs); n++ {
			if rs[n].Name == rs[k].Name {
				if rs[n].Start.Before(clips[k]) {
					clips[k] = rs[n].Start
				}
				nexts[k] = rs[n].Start.UnixNano()
				break
			}
		}
	}
	for k := range rs {
		r := &rs[k]
		ns := nsKey{r.Cluster, r.Namespace}
		var ev []Evidence
		ev = ix.rowsIn(ev, workloadKey{objKey{ns, r.Name}, r.Kind}, starts[k], clips[k], "")
		for i := range r.Pods {
			p := &r.Pods[i]
			info := ix.lookupPod(objKey{ns, p.Name})
			if p.Created == nil || info == nil {
				continue
			}
			lo, hi := p.Created.Add(-time.Second).UnixNano(), ends[k].UnixNano()
			if r.End == nil {
				// Not over (failed, in progress): its pods' events until
				// the next rollout, such as a crash loop's BackOff.
				hi = max(hi, nexts[k])
			}
			if p.Deleted != nil {
				del := *p.Deleted
				if r.Kind != "StatefulSet" {
					del = del.Add(afterDelete)
				}
				hi = max(hi, del.UnixNano())
			}
			for _, row := range info.events {
				if at := ix.v.Time(load.ColTime, int(row)); at >= lo && at <= hi {
					ev = append(ev, Evidence{Row: row, Pod: int32(i), ReplicaSet: p.ReplicaSet})
				}
			}
		}
		r.Evidence = ev
	}
	if rs[0].Kind == "Deployment" {
		ix.replicaSetEvidence(rs, starts, ends, clips)
	}
	for k := range rs {
		slices.SortFunc(rs[k].Evidence, func(a, b Evidence) int {
			return cmp.Or(cmp.Compare(ix.v.Time(load.ColTime, int(a.Row)), ix.v.Time(load.ColTime, int(b.Row))), cmp.Compare(a.Row, b.Row), cmp.Compare(a.Pod, b.Pod))
		})
	}
}

// rowsIn appends the rows of object k's events in [from, to].
func (ix *index) rowsIn(ev []Evidence, k workloadKey, from, to time.Time, rs string) []Evidence {
	lo, hi := from.UnixNano(), to.UnixNano()
	for _, row := range ix.objRows[k] {
		if at := ix.v.Time(load.ColTime, int(row)); at >= lo && at <= hi {
			ev = append(ev, Evidence{Row: row, Pod: -1, ReplicaSet: rs})
		}
	}
	return ev
}

// replicaSetEvidence adds to a Deployment's rollouts the events of their
// ReplicaSets. A ReplicaSet's event goes to the rollouts it is new in whose
// interval holds it, up to the next rollout's start (clips); else, for a
// ReplicaSet a rollout names as old or scales without it being its new
// one, to one rollout it is old in: the one with the latest scale step of
// the ReplicaSet at or before the event (else the latest start), from the
// rollout's start to its end, and for deletions (SuccessfulDelete,
// Killing) until afterDelete past its end; else to the rollout it is new
// in whose whole interval holds it (a deletion its own pod's). The events
// of the pods an old ReplicaSet created (as its SuccessfulCreate or
// SuccessfulDelete events or audit owner references say) that no rollout
// draws and were there before the rollout ended go to the rollout it is
// old in, in the same way.
func (ix *index) replicaSetEvidence(rs []Rollout, starts, ends, clips []time.Time) {
	var (
		oldIn    = map[string][]int{} // ReplicaSet -> rollouts it is old in
		newIn    = map[string][]int{} // ReplicaSet -> rollouts it is new in
		withSpan = map[string]bool{}  // pod -> drawn by a rollout
	)
	for k := range rs {
		r := &rs[k]
		if r.NewReplicaSet != "" {
			newIn[r.NewReplicaSet] = append(newIn[r.NewReplicaSet], k)
		}
		old := func(name string) {
			if name == "" || name == r.NewReplicaSet {
				return
			}
			if l := oldIn[name]; len(l) == 0 || l[len(l)-1] != k {
				oldIn[name] = append(l, k)
			}
		}
		for _, name := range r.OldReplicaSets {
			old(name)
		}
		for _, s := range r.Steps {
			old(s.ReplicaSet)
		}
		for _, p := range r.Pods {
			if p.Created != nil {
				withSpan[p.Name] = true
			}
		}
	}
	ns := nsKey{rs[0].Cluster, rs[0].Namespace}
	owned := ix.ownedPods()
	var rows []int32
	names := make([]string, 0, len(oldIn)+len(newIn))
	for n := range oldIn {
		names = append(names, n)
	}
	for n := range newIn {
		if oldIn[n] == nil {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		rows = append(rows[:0], ix.objRows[workloadKey{objKey{ns, name}, "ReplicaSet"}]...)
		nrs := len(rows)
		podFirst := map[string]int64{} // a pod's first event: a pod created after a rollout ended is not its
		for _, p := range owned[objKey{ns, name}] {
			if withSpan[p.Name] || len(p.events) == 0 {
				continue
			}
			rows = append(rows, p.events...)
			first := ix.v.Time(load.ColTime, int(p.events[0]))
			for _, row := range p.events[1:] {
				first = min(first, ix.v.Time(load.ColTime, int(row)))
			}
			podFirst[p.Name] = first
		}
	row:
		for n, row := range rows {
			at := time.Unix(0, ix.v.Time(load.ColTime, int(row)))
			reason := ix.v.Str(load.ColReason, int(row))
			deletion := reason == "SuccessfulDelete" || reason == "Killing"
			born := time.Time{}
			if n >= nrs {
				born = time.Unix(0, podFirst[ix.v.Str(load.ColObjectName, int(row))])
			}
			taken := false
			for _, k := range newIn[name] {
				// A pod the new ReplicaSet created after the rollout
				// ended replaces an evicted or failed one: not its.
				if !at.Before(starts[k]) && !at.After(clips[k]) && !(n >= nrs && rs[k].End != nil && born.After(*rs[k].End)) {
					rs[k].Evidence = append(rs[k].Evidence, Evidence{Row: row, Pod: -1, ReplicaSet: name})
					taken = true
				}
			}
			if taken {
				continue
			}
			best, bestAt := -1, time.Time{}
			for _, k := range oldIn[name] {
				r := &rs[k]
				if at.Before(starts[k]) || at.After(ends[k].Add(afterDelete)) || born.After(ends[k]) || at.After(ends[k]) && !deletion {
					continue
				}
				stepAt := starts[k]
				for _, s := range r.Steps {
					if s.ReplicaSet == name && !s.At.After(at) && !s.At.Before(stepAt) {
						stepAt = s.At
					}
				}
				if best < 0 || stepAt.After(bestAt) {
					best, bestAt = k, stepAt
				}
			}
			if best >= 0 {
				rs[best].Evidence = append(rs[best].Evidence, Evidence{Row: row, Pod: -1, ReplicaSet: name})
				continue
			}
			for _, k := range newIn[name] {
				if n < nrs && !at.Before(starts[k]) && !at.After(ends[k]) {
					rs[k].Evidence = append(rs[k].Evidence, Evidence{Row: row, Pod: -1, ReplicaSet: name})
					continue row
				}
			}
		}
	}
}

// ownedPods returns the pods by the ReplicaSet that created them, as its
// events or the audit log name it. It is built once per correlation.
func (ix *index) ownedPods() map[objKey][]*podInfo {
	if ix.owned != nil {
		return ix.owned
	}
	ix.owned = map[objKey][]*podInfo{}
	for pk, p := range ix.pods {
		if p.rs != "" {
			k := objKey{ix.nsList[pk.ns], p.rs}
			ix.owned[k] = append(ix.owned[k], p)
		}
	}
	for _, pods := range ix.owned {
		slices.SortFunc(pods, func(a, b *podInfo) int { return strings.Compare(a.Name, b.Name) })
	}
	return ix.owned
}
