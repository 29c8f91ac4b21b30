package correlate

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evanalyze/evanalyze/internal/load"
)

// Reading the event table: scale steps, pod lifecycles and failure signals.

func (ix *index) readEvents(v *load.View) {
	ix.v = v
	// Size the pod map up front (one pod per four pod events or fewer) so
	// that it does not grow step by step.
	podEvents := 0
	var isPod []int8 // by object_kind dictionary index: 1 Pod, 2 another kind
	for i := 0; i < v.Len(); i++ {
		d := v.DictIndex(load.ColObjectKind, i)
		if d < 0 {
			if d == -2 && v.Str(load.ColObjectKind, i) == "Pod" {
				podEvents++ // not dictionary-encoded
			}
			continue
		}
		for d >= len(isPod) {
			isPod = append(isPod, 0)
		}
		if isPod[d] == 0 {
			isPod[d] = 2
			if v.Str(load.ColObjectKind, i) == "Pod" {
				isPod[d] = 1
			}
		}
		if isPod[d] == 1 {
			podEvents++
		}
	}
	ix.pods = make(map[podKey]*podInfo, podEvents/4)
	podRows := make([]podRow, 0, podEvents)
	// Rows are sorted by cluster and namespace: the namespace of a row is
	// most often the previous row's, told by the dictionary indices.
	var (
		ns     nsKey
		nsid   int32 = -1
		lastNS       = [3]int{-3, -3, -3}
	)
	for i := 0; i < v.Len(); i++ {
		at := v.Time(load.ColTime, i)
		if d := [3]int{v.DictIndex(load.ColCluster, i), v.DictIndex(load.ColObjectNamespace, i), v.DictIndex(load.ColNamespace, i)}; d != lastNS || d[0] == -2 {
			ns = nsKey{v.Str(load.ColCluster, i), v.Str(load.ColObjectNamespace, i)}
			if ns.namespace == "" {
				ns.namespace = v.Str(load.ColNamespace, i)
			}
			nsid, lastNS = ix.nsID(ns), d
		}
		kind, name := v.Str(load.ColObjectKind, i), v.Str(load.ColObjectName, i)
		reason, msg := v.Str(load.ColReason, i), v.Str(load.ColMessage, i)
		k := objKey{ns, name}
		if kind != "Pod" && evidenceKinds[kind] {
			wk := workloadKey{k, kind}
			ix.objRows[wk] = append(ix.objRows[wk], int32(i))
		}
		src := func() string {
			return v.Str(load.ColSourceFile, i) + ":" + strconv.FormatInt(v.Int64(load.ColSourceLine, i), 10)
		}
		switch kind {
		case "Deployment":
			if reason != "ScalingReplicaSet" {
				continue
			}
			s, ok := ParseScaling(msg)
			if !ok {
				continue
			}
			d := ix.deps[k]
			if d == nil {
				d = &depInfo{key: k}
				ix.deps[k] = d
			}
			if uid := v.Str(load.ColObjectUID, i); uid != "" && d.uid == "" {
				d.uid = uid
			}
			d.steps = append(d.steps, step{at: at, uid: v.Str(load.ColObjectUID, i), ScaleStep: s, source: src()})
			if strings.HasPrefix(msg, combinedPrefix) {
				if d.gaps == nil {
					d.gaps = map[string]*gap{}
				}
				name := v.Str(load.ColName, i)
				g := d.gaps[name]
				if g == nil {
					g = &gap{}
					d.gaps[name] = g
				}
				g.observe(v, i, src())
			}
		case "Job":
			if sig, ok := FailureSignal(reason, msg); ok && reason != "BackoffLimitExceeded" && reason != "DeadlineExceeded" {
				j := ix.job(k)
				j.failures = append(j.failures, workloadFailure(v, i, at, sig, msg))
				continue
			}
			ix.jobEvent(k, v.Str(load.ColObjectUID, i), reason, msg, at, src())
		case "CronJob":
			ix.cronJobEvent(k, reason, msg, at)
		case "ReplicaSet":
			if sig, ok := FailureSignal(reason, msg); ok {
				// The ReplicaSet cannot create pods (quota, admission,
				// a missing service account): its rollout's failure.
				ix.rsFailures[k] = append(ix.rsFailures[k], workloadFailure(v, i, at, sig, msg))
				continue
			}
			pod, created, ok := ParsePodRef(msg)
			if !ok || reason != "SuccessfulCreate" && reason != "SuccessfulDelete" {
				continue
			}
			p := ix.podIn(nsid, pod)
			p.rs, p.ReplicaSet = name, name
			if uid := v.Str(load.ColObjectUID, i); uid != "" {
				p.rsUID = uid
			}
			if created {
				if p.created == 0 || at < p.created {
					p.created = at
					p.Created = ix.tp(at)
				}
				if !slices.Contains(ix.rsPods[k], p) {
					ix.rsPods[k] = append(ix.rsPods[k], p)
				}
			} else {
				ix.setFirst(&p.Deleted, at)
			}
		case "Pod":
			p := ix.podIn(nsid, name)
			p.nEvents++
			podRows = append(podRows, podRow{p, int32(i)})
			ix.applyPodEvent(p, podEventAt(v, i))
		case "StatefulSet", "DaemonSet":
			if sig, ok := FailureSignal(reason, msg); ok {
				w := ix.inplace(k, kind, v.Str(load.ColObjectUID, i))
				w.failures = append(w.failures, workloadFailure(v, i, at, sig, msg))
				continue
			}
			if kind == "DaemonSet" {
				if pod, create, ok := ParsePodRef(msg); ok && (reason == "SuccessfulCreate" || reason == "SuccessfulDelete") {
					c, _ := v.Int32(load.ColCount, i)
					if strings.HasPrefix(msg, combinedPrefix) {
						w := ix.inplace(k, kind, v.Str(load.ColObjectUID, i))
						if w.gaps == nil {
							w.gaps = map[string]*dsGap{}
						}
						name := v.Str(load.ColName, i)
						g := w.gaps[name]
						if g == nil {
							g = &dsGap{create: create}
							w.gaps[name] = g
						}
						g.observe(v, i, src())
						c = 1 // first_time is another pod's event
					}
					ix.inplaceEvent(ix.inplace(k, kind, v.Str(load.ColObjectUID, i)), pod, create, at, v.Time(load.ColFirstTime, i), c, src())
				}
				continue
			}
			if pod, create, ok := parseStatefulSetPod(msg); ok && (reason == "SuccessfulCreate" || reason == "SuccessfulDelete") {
				c, _ := v.Int32(load.ColCount, i)
				if strings.HasPrefix(msg, combinedPrefix) {
					c = 1 // first_time is another pod's event
				}
				ix.inplaceEvent(ix.inplace(k, kind, v.Str(load.ColObjectUID, i)), pod, create, at, v.Time(load.ColFirstTime, i), c, src())
			}
		}
	}
	groupPodRows(podRows)
}

// podRow is the row of an event about pod p.
type podRow struct {
	p   *podInfo
	row int32
}

// groupPodRows fills each pod's events with its rows, in row order, all
// pods' rows in one array.
func groupPodRows(rows []podRow) {
	all := make([]int32, len(rows))
	off := 0
	for _, pr := range rows {
		if pr.p.events == nil {
			pr.p.events = all[off : off : off+int(pr.p.nEvents)]
			off += int(pr.p.nEvents)
		}
		pr.p.events = append(pr.p.events, pr.row)
	}
}

// inferSteps fills in ReplicaSets of a Deployment that no ScalingReplicaSet
// event names: a snapshot export keeps only the last message of a combined
// event, so a rollout can be visible only through its ReplicaSet's
// SuccessfulCreate events. The ReplicaSet belongs to the Deployment by its
// audit owner reference, else by the name rule <deployment>-<hash>; its
// first pod's creation stands in for the scale-up.
func (ix *index) inferSteps() {
	ix.gapSteps()
	for rk, pods := range ix.rsPods {
		d := ix.ownerOf(rk)
		if d == nil || slices.ContainsFunc(d.steps, func(s step) bool { return s.ReplicaSet == rk.name }) {
			continue
		}
		var first int64
		for _, p := range pods {
			if p.created != 0 && (first == 0 || p.created < first) {
				first = p.created
			}
		}
		if first != 0 {
			d.steps = append(d.steps, step{at: first, inferred: true, ScaleStep: ScaleStep{ReplicaSet: rk.name, From: 0, To: len(pods), Up: true}})
		}
	}
}

// ownerOf is the Deployment of ReplicaSet rk: its audit owner reference,
// else the name rule: the ReplicaSet name less its hash is the
// Deployment's (so api-gateway-5d4f8 is api-gateway's).
func (ix *index) ownerOf(rk objKey) *depInfo {
	if owner := ix.rsOwner[rk]; owner != "" {
		return ix.deps[objKey{rk.nsKey, owner}]
	}
	if i := strings.LastIndexByte(rk.name, '-'); i > 0 && replicaSetOf(rk.name, rk.name[:i]) {
		return ix.deps[objKey{rk.nsKey, rk.name[:i]}]
	}
	return nil
}

// gapSteps fills the scale steps a combined ScalingReplicaSet event hides
// (see gap) from the pod creates and deletes of the Deployment's
// ReplicaSets within it: each ReplicaSet's creates (deletes) within a
// second of each other are one step up (down) by their number. The audit
// log's replica writes, when loaded, are exact and take precedence.
func (ix *index) gapSteps() {
	var deps []*depInfo
	owned := map[*depInfo][]objKey{} // a Deployment's ReplicaSets
	for rk := range ix.rsPods {
		if d := ix.ownerOf(rk); d != nil {
			owned[d] = append(owned[d], rk)
		}
	}
	for _, d := range ix.deps {
		ix.tailGap(d, owned[d])
		d.open = d.open[:0]
		if ix.auditedDeps[d.key] {
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(d.gaps)) {
			if g := d.gaps[name]; g.seen < g.count && g.first != 0 {
				d.open = append(d.open, g)
			}
		}
		if len(d.open) > 0 {
			deps = append(deps, d)
		}
	}
	for _, d := range deps {
		m := map[string][]rsOp{}
		for _, rk := range owned[d] {
			for _, p := range ix.rsPods[rk] {
				if p.created != 0 && d.inGap(p.created) != nil {
					m[rk.name] = append(m[rk.name], rsOp{p.created, 1})
				}
				if p.Deleted != nil && d.inGap(p.Deleted.UnixNano()) != nil {
					m[rk.name] = append(m[rk.name], rsOp{p.Deleted.UnixNano(), -1})
				}
			}
		}
		for rs, ops := range m {
			slices.SortFunc(ops, func(a, b rsOp) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.delta, b.delta)) })
			for i := 0; i < len(ops); {
				j, n := i, 0
				for j < len(ops) && ops[j].delta == ops[i].delta && ops[j].at-ops[i].at < int64(time.Second) {
					n += ops[j].delta
					j++
				}
				d.steps = append(d.steps, step{at: ops[i].at, delta: n, inferred: true, source: d.inGap(ops[i].at).source, ScaleStep: ScaleStep{ReplicaSet: rs, From: -1, To: -1, Up: n > 0}})
				i = j
			}
		}
	}
}

// tailGap opens a gap after a Deployment's last scale step when that step
// leaves a rollout unfinished (more than one ReplicaSet with replicas), or
// when a ReplicaSet it left at 0 creates pods after it: the
// event recorder's spam filter drops an object's events past a burst of 25
// (a rollout of a Deployment with ten replicas and more), while its
// ReplicaSets, other objects, still report their pods.
func (ix *index) tailGap(d *depInfo, rss []objKey) {
	if len(d.steps) == 0 || ix.auditedDeps[d.key] {
		return
	}
	steps := slices.Clone(d.steps)
	slices.SortStableFunc(steps, func(a, b step) int { return cmp.Compare(a.at, b.at) })
	replicas := map[string]int{}
	for _, s := range steps {
		replicas[s.ReplicaSet] = s.To
	}
	last := steps[len(steps)-1]
	with := 0
	for _, n := range replicas {
		if n > 0 {
			with++
		}
	}
	// A ReplicaSet at 0 that creates pods later was scaled up: a step
	// (a rollout, a rollback) no event reports.
	scaledLater := false
	for _, rk := range rss {
		if replicas[rk.name] > 0 {
			continue
		}
		for _, p := range ix.rsPods[rk] {
			if p.created > last.at+int64(2*time.Second) {
				scaledLater = true
			}
		}
	}
	if with < 2 && !scaledLater {
		return
	}
	if d.gaps == nil {
		d.gaps = map[string]*gap{}
	}
	d.gaps["\x00tail"] = &gap{first: last.at + int64(2*time.Second), last: math.MaxInt64 / 2, count: 1, source: last.source}
}

// inGap is the open gap (gapSteps) around t.
func (d *depInfo) inGap(t int64) *gap {
	for _, g := range d.open {
		if t >= g.first-int64(time.Second) && t < g.last+int64(time.Second) {
			return g
		}
	}
	return nil
}

// observe counts row i, an observation of a combined event, in g.
func (g *gap) observe(v *load.View, i int, source string) {
	g.seen++
	if at := v.Time(load.ColTime, i); at >= g.last {
		g.last, g.source = at, source
	}
	c, _ := v.Int32(load.ColCount, i)
	g.count = max(g.count, c)
	if f := v.Time(load.ColFirstTime, i); f != 0 && (g.first == 0 || f < g.first) {
		g.first = f
	}
}

// rsOp is a pod create (+1) or delete (-1) of a ReplicaSet.
type rsOp struct {
	at    int64
	delta int
}

// podEvent is a kubelet or scheduler event about a pod.
type podEvent struct {
	at          int64 // this observation
	first       int64 // the first occurrence: at, or first_time for a repeated event
	reason, msg string
	uid         string
	count       int32
	latest      bool
}

// podEventAt reads row i of the event table as a pod event.
func podEventAt(v *load.View, i int) podEvent {
	e := podEvent{at: v.Time(load.ColTime, i), reason: v.Str(load.ColReason, i), msg: v.Str(load.ColMessage, i),
		uid: v.Str(load.ColObjectUID, i), latest: v.Bool(load.ColLatest, i)}
	e.count, _ = v.Int32(load.ColCount, i)
	e.first = e.at
	if f := v.Time(load.ColFirstTime, i); e.count > 1 && f != 0 && f < e.at {
		e.first = f // a snapshot of a repeated event: only its first and last times are left
	}
	return e
}

// applyPodEvent adds what a pod event says to p.
func (ix *index) applyPodEvent(p *podInfo, e podEvent) {
	if e.uid != "" && p.UID == "" {
		p.UID = e.uid
	}
	switch e.reason {
	case "Scheduled":
		if node, ok := ParseScheduled(e.msg); ok {
			p.Node = node
		}
		ix.setFirst(&p.Scheduled, e.first)
	case "Pulling":
		ix.setFirst(&p.Pulling, e.first)
	case "Pulled":
		ix.setFirst(&p.Pulled, e.first)
		if p.Pulling == nil {
			p.Pulling = ix.tp(e.first) // "already present on machine": no pull
		}
	case "Started":
		// The pod is started when each of its containers has started
		// once: the latest of the containers' first starts (an init
		// container and two more start one after another; restarts of a
		// crashing container do not move it).
		name := strings.TrimPrefix(strings.TrimPrefix(e.msg, combinedPrefix), "Started container ")
		if i := slices.IndexFunc(p.starts, func(c containerStart) bool { return c.name == name }); i >= 0 {
			p.starts[i].at = min(p.starts[i].at, e.first)
		} else {
			p.starts = append(p.starts, containerStart{name, e.first})
		}
		last := int64(0)
		for _, c := range p.starts {
			last = max(last, c.at)
		}
		if p.Started == nil || p.Started.UnixNano() != last {
			p.Started = ix.tp(last)
		}
	case "Killing":
		ix.setFirst(&p.Deleted, e.first)
	}
	if sig, ok := FailureSignal(e.reason, e.msg); ok {
		detail := strings.TrimPrefix(e.msg, combinedPrefix)
		// A repeated event (count > 1) occurred from its first time on:
		// a snapshot keeps one observation of it, at its last time, which
		// can come after a newer rollout replaced this one (a probe that
		// fails while the pod terminates) although the signal began long
		// before; the failure rule needs when it began and how long it
		// lasted, as a watch stream's observations of it show.
		if e.first < e.at && !slices.ContainsFunc(p.failures, func(f failure) bool { return f.at == e.first && f.signal == sig && !f.audit }) {
			p.failures = append(p.failures, failure{at: e.first, signal: sig, detail: detail})
		}
		p.failures = append(p.failures, failure{at: e.at, signal: sig, detail: detail})
		if e.latest {
			if p.Warnings == nil {
				p.Warnings = map[string]int{}
			}
			p.Warnings[sig] += int(max(e.count, 1))
		}
	}
}
