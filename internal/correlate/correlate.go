package correlate

import (
	"cmp"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/evanalyze/evanalyze/internal/load"
)

// Correlate reconstructs the rollouts of Deployments from the event table
// and, when changes is not nil, the changes table.
func Correlate(events arrow.Record, changes arrow.Record) Result {
	return join([]partResult{correlate(events, changes, nil, DefaultRules())})
}

// CorrelateParts reconstructs the rollouts of an archive's parts, on up to
// workers goroutines at once: a rollout never crosses a namespace, so each
// part is correlated on its own, and the result is the one Correlate gives
// for the whole table, whatever the parts and workers.
func CorrelateParts(parts []load.Partition, workers int) Result {
	return CorrelatePartsWith(parts, workers, DefaultRules())
}

// CorrelatePartsWith is CorrelateParts with the failure rule's thresholds.
func CorrelatePartsWith(parts []load.Partition, workers int, rules Rules) Result {
	res := make([]partResult, len(parts))
	load.Parallel(len(parts), workers, func(i int) {
		p := &parts[i]
		rows := p.ChangeRows
		if rows == nil {
			rows = []int32{} // none of the changes table's rows
		}
		res[i] = correlate(p.Events, p.Changes, rows, rules)
	})
	return join(res)
}

// SortRollouts sorts rollouts in the order of Result.Rollouts: by
// cluster, start, namespace, kind, name and sequence. Rollouts correlated
// from several archives of one fleet (archive.LoadEach), concatenated and
// sorted, are in the order of one archive of everything.
func SortRollouts(rs []Rollout) {
	order := make([]int32, len(rs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(i, j int32) int { return compareRollouts(&rs[i], &rs[j]) })
	sorted := make([]Rollout, len(rs))
	for i, o := range order {
		sorted[i] = rs[o]
	}
	copy(rs, sorted)
}

func compareRollouts(a, b *Rollout) int {
	return cmp.Or(strings.Compare(a.Cluster, b.Cluster), a.Start.Compare(b.Start), strings.Compare(a.Namespace, b.Namespace),
		strings.Compare(a.Kind, b.Kind), strings.Compare(a.Name, b.Name), cmp.Compare(a.Seq, b.Seq))
}

// partResult is what one part gave, in the part's order.
type partResult struct {
	rows     int32 // of the part's event table
	rollouts []Rollout
	scaling  [2][]Scaling // of Deployments, of StatefulSets and DaemonSets
}

// correlate reads one event table and the rows of the changes table
// (all of them when rows is nil).
func correlate(events arrow.Record, changes arrow.Record, rows []int32, rules Rules) partResult {
	ix := newIndex(rules)
	v := load.NewView(events)
	ix.readEvents(v)
	if changes != nil {
		ix.readChanges(changes, rows)
		ix.auditSteps()
		ix.auditInplace()
	}
	ix.inferSteps()
	ix.fillDaemonSetGaps()
	ix.fillStatefulSetCreates()
	// Each workload's rollouts come out in their own slice; they are
	// concatenated once, in the order join sorts them by.
	var parts [][]Rollout
	res := partResult{rows: int32(v.Len())}
	n := 0
	w := &walk{} // of critical paths, its memory reused
	add := func(r []Rollout, s []Scaling, kind int) {
		ix.evidence(r)
		for i := range r {
			r[i].CriticalPath = w.criticalPath(&r[i], v)
		}
		parts = append(parts, r)
		n += len(r)
		res.scaling[kind] = append(res.scaling[kind], s...)
	}
	for _, k := range sortedKeys(ix.deps) {
		r, s := ix.deployment(ix.deps[k])
		add(r, s, 0)
	}
	add(ix.jobRuns(), nil, 0)
	for _, k := range sortedKeys(ix.inplaces) {
		r, s := ix.inplaceRollouts(ix.inplaces[k])
		add(r, s, 1)
	}
	res.rollouts = make([]Rollout, 0, n)
	for _, p := range parts {
		res.rollouts = append(res.rollouts, p...)
	}
	detach(&res)
	return res
}

// join orders the parts' rollouts by cluster, start, namespace, kind,
// name and sequence number, and lists the Deployments' scaling before the
// StatefulSets' and DaemonSets', each by workload. Ties can only be
// rollouts of one part (the namespace is in the order), which keep their
// order in it. The large Rollout values are moved through an index, so
// each is copied once here.
func join(parts []partResult) Result {
	type at struct{ part, i int32 }
	var order []at
	ns := 0
	var off int32 // rows of the parts before p: Evidence rows become the joined table's
	for p, r := range parts {
		for i := range r.rollouts {
			order = append(order, at{int32(p), int32(i)})
			for j := range r.rollouts[i].Evidence {
				r.rollouts[i].Evidence[j].Row += off
			}
		}
		off += r.rows
		ns += len(r.scaling[0]) + len(r.scaling[1])
	}
	slices.SortStableFunc(order, func(x, y at) int {
		return compareRollouts(&parts[x.part].rollouts[x.i], &parts[y.part].rollouts[y.i])
	})
	res := Result{Rollouts: make([]Rollout, len(order)), Scaling: make([]Scaling, 0, ns)}
	for i, o := range order {
		res.Rollouts[i] = parts[o.part].rollouts[o.i]
	}
	for kind := range 2 {
		for _, r := range parts {
			res.Scaling = append(res.Scaling, r.scaling[kind]...)
		}
	}
	return res
}
