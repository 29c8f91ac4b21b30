package otlp

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load"
)

// afterDelete is how long the events a deletion causes may follow it: a
// rollout's last scale step makes the ReplicaSet controller delete pods
// (SuccessfulDelete, milliseconds later) and the kubelet stop them
// (Killing, a second or so later). 30 s is Kubernetes' default
// terminationGracePeriodSeconds.
const afterDelete = 30 * time.Second

// placed is an event of an old ReplicaSet, or of one of its pods, and
// where it goes in its rollout's trace: on scale step step, or on the root
// span (-1).
type placed struct{ row, step int }

// objectKey names a namespaced object of a cluster.
type objectKey struct{ cluster, namespace, name string }

func (k objectKey) compare(o objectKey) int {
	return cmp.Or(strings.Compare(k.cluster, o.cluster), strings.Compare(k.namespace, o.namespace), strings.Compare(k.name, o.name))
}

// placeOldReplicaSetEvents returns, per rollout, the events of its old
// ReplicaSets (those it names as old and those it scales that are not its
// new one) and of their pods that have no pod span in any of the traces
// and were there before it ended, from the rollout's start to its end, and
// the deletions (SuccessfulDelete, Killing) until afterDelete past its end. Each such event
// goes to one rollout, the one with the latest scale step of the
// ReplicaSet at or before the event (else the latest start), and on that
// step's span, else on the root span. Events a rollout already shows, as
// those of its new ReplicaSet, are left to it. Sorted by step, then time.
func placeOldReplicaSetEvents(rollouts []correlate.Rollout, ix *eventIndex) [][]placed {
	var (
		oldIn    = map[objectKey][]int{} // ReplicaSet -> rollouts it is old in
		newIn    = map[objectKey][]int{} // ReplicaSet -> rollouts it is new in
		withSpan = map[objectKey]bool{}  // pod -> has a pod span
		ends     = make([]time.Time, len(rollouts))
	)
	key := func(r *correlate.Rollout, name string) objectKey { return objectKey{r.Cluster, r.Namespace, name} }
	for k := range rollouts {
		r := &rollouts[k]
		ends[k] = rolloutEnd(r)
		if r.NewReplicaSet != "" {
			newIn[key(r, r.NewReplicaSet)] = append(newIn[key(r, r.NewReplicaSet)], k)
		}
		old := func(rs string) {
			if rs == "" || rs == r.NewReplicaSet {
				return
			}
			if l := oldIn[key(r, rs)]; len(l) == 0 || l[len(l)-1] != k {
				oldIn[key(r, rs)] = append(l, k)
			}
		}
		for _, rs := range r.OldReplicaSets {
			old(rs)
		}
		for _, s := range r.Steps {
			old(s.ReplicaSet)
		}
		for _, p := range r.Pods {
			if p.Created != nil { // podSpans makes a span
				withSpan[key(r, p.Name)] = true
			}
		}
	}

	out := make([][]placed, len(rollouts))
	v := ix.v
	for _, rsKey := range slices.SortedFunc(maps.Keys(oldIn), objectKey.compare) {
		rs := rsKey.name
		rows := slices.Clone(ix.lookup(rsKey.cluster, rsKey.namespace, "ReplicaSet", rs))
		nrs := len(rows)
		podFirst := map[string]int64{} // first event of each pod: a pod created after a rollout ended is not its
		for _, i := range ix.pods[rsKey] {
			name := v.Str(load.ColObjectName, i)
			if !withSpan[objectKey{rsKey.cluster, rsKey.namespace, name}] {
				rows = append(rows, i)
				if t, ok := podFirst[name]; !ok || v.Time(load.ColTime, i) < t {
					podFirst[name] = v.Time(load.ColTime, i)
				}
			}
		}
	row:
		for n, i := range rows {
			at := time.Unix(0, v.Time(load.ColTime, i))
			// After the rollout's end only what its deletions caused.
			reason := v.Str(load.ColReason, i)
			deletion := reason == "SuccessfulDelete" || reason == "Killing"
			born := time.Time{}
			if n >= nrs {
				born = time.Unix(0, podFirst[v.Str(load.ColObjectName, i)])
			}
			for _, k := range newIn[rsKey] {
				if r := &rollouts[k]; !at.Before(r.Start) && !at.After(ends[k]) {
					continue row // on rollout k's root span already
				}
			}
			best, bestStep, bestAt := -1, -1, time.Time{}
			for _, k := range oldIn[rsKey] {
				r := &rollouts[k]
				if at.Before(r.Start) || at.After(ends[k].Add(afterDelete)) || born.After(ends[k]) || at.After(ends[k]) && !deletion {
					continue
				}
				step, stepAt := -1, r.Start
				for j, s := range r.Steps {
					if s.ReplicaSet == rs && !s.At.After(at) && !s.At.Before(stepAt) {
						step, stepAt = j, s.At
					}
				}
				if best < 0 || stepAt.After(bestAt) {
					best, bestStep, bestAt = k, step, stepAt
				}
			}
			if best >= 0 {
				out[best] = append(out[best], placed{i, bestStep})
			}
		}
	}
	for _, p := range out {
		slices.SortFunc(p, func(a, b placed) int {
			return cmp.Or(cmp.Compare(a.step, b.step), cmp.Compare(v.Time(load.ColTime, a.row), v.Time(load.ColTime, b.row)), cmp.Compare(a.row, b.row))
		})
	}
	return out
}
