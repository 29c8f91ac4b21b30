package correlate

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/evanalyze/evanalyze/internal/load"
)

// nsKey names a namespace of a cluster.
type nsKey struct{ cluster, namespace string }

// objKey names an object in a namespace.
type objKey struct {
	nsKey
	name string
}

// podKey names a pod: its namespace (an index into index.nsList) and name.
// Hashing one string instead of three matters: most events are about pods.
type podKey struct {
	ns   int32
	name string
}

// podInfo collects what events and audit records say about one pod.
type podInfo struct {
	Pod
	rs          string
	rsUID       string      // uid of the ReplicaSet that created the pod, when known
	events      []int32     // rows of every event about a pod of this name, for StatefulSet incarnations
	nEvents     int32       // len(events), counted before events is filled
	auditSignal string      // the last failure signal of an audit status write
	auditTimes  []auditTime // bindings and Ready transitions from the audit log, for incarnations
	starts      []containerStart
	lastAudit   byte    // 'c' or 'd': the last create or delete of this name in the audit log
	owner       objKey  // the StatefulSet or DaemonSet ("Kind/name") of the last audit create
	revisions   []revAt // controller-revision-hash of each audit create of this name
	created     int64   // for ordering and window checks
	failures    []failure
}

type failure struct {
	at     int64
	signal string
	detail string
	audit  bool  // from a pod status write, not an event
	count  int32 // occurrences to count as warnings (workload events: those of the latest observation, else 0)
}

// workloadFailure is a failure signal a workload controller reported
// about a ReplicaSet, StatefulSet or DaemonSet (FailedCreate...): from its
// first occurrence (first_time of a repeated event).
func workloadFailure(v *load.View, i int, at int64, sig, msg string) failure {
	e := podEventAt(v, i)
	f := failure{at: e.first, signal: sig, detail: strings.TrimPrefix(msg, combinedPrefix)}
	if e.latest {
		f.count = max(e.count, 1)
	}
	return f
}

type step struct {
	at     int64
	uid    string // of the Deployment the event was about
	source string // file:line of the event
	ScaleStep
}

// depInfo is one Deployment object (a name can be several objects over
// time: steps carry the uid they were reported with).
type depInfo struct {
	key   objKey
	uid   string
	steps []step
}

// specWrite is a write to a Deployment from the audit log.
type specWrite struct {
	at                   int64
	user, agent, auditID string
	source               string // file:line of the audit record
	change               string
	specChanged          bool
	trigger              bool // a spec change or a resume: can start a rollout
}

// index is everything correlation reads, grouped by object.
type index struct {
	deps       map[objKey]*depInfo
	pods       map[podKey]*podInfo
	nsIDs      map[nsKey]int32       // namespace -> its podKey.ns
	nsList     []nsKey               // podKey.ns -> namespace
	rsPods     map[objKey][]*podInfo // pods a ReplicaSet created, in order
	rsOwner    map[objKey]string     // ReplicaSet -> Deployment name (audit)
	rsRev      map[objKey][]revAt    // ReplicaSet revision annotations over time
	writes     map[objKey][]specWrite
	deadlines  map[objKey][]int64 // ProgressDeadlineExceeded times per Deployment
	jobs       map[objKey]*jobInfo
	inplaces   map[objKey]*inplaceInfo // StatefulSets and DaemonSets, by "Kind/name"
	v          *load.View              // the event table
	end        int64                   // last time in the archive
	times      []time.Time             // slab for tp
	podSlab    []podInfo               // slab for pod
	candidates []*podInfo              // scratch for finish
	rsWrites   []rsWrite               // ReplicaSet replica counts from the audit log
	rsFailures map[objKey][]failure    // FailedCreate and other failure signals of ReplicaSets
	auditOps   []auditOp               // StatefulSet and DaemonSet pod creates and deletes from the audit log
	firstSeen  map[objKey]int64        // see podsFirstSeen
	objRows    map[workloadKey][]int32 // rows of the events of workloads and ReplicaSets (evidenceKinds), in row order
	owned      map[objKey][]*podInfo   // see ownedPods
}

type revAt struct {
	at       int64
	revision string
	history  string
	uid      string // of the ReplicaSet object
}

func newIndex() *index {
	return &index{
		deps: map[objKey]*depInfo{}, rsFailures: map[objKey][]failure{}, pods: map[podKey]*podInfo{}, nsIDs: map[nsKey]int32{}, rsPods: map[objKey][]*podInfo{},
		rsOwner: map[objKey]string{}, rsRev: map[objKey][]revAt{}, writes: map[objKey][]specWrite{},
		deadlines: map[objKey][]int64{}, jobs: map[objKey]*jobInfo{},
		inplaces: map[objKey]*inplaceInfo{}, objRows: map[workloadKey][]int32{},
	}
}

// newPod returns a new podInfo from a slab. Its Warnings map is made on the
// first warning (finish gives pods without one an empty map).
func (ix *index) newPod(name string) *podInfo {
	if len(ix.podSlab) == cap(ix.podSlab) {
		ix.podSlab = make([]podInfo, 0, 512)
	}
	ix.podSlab = append(ix.podSlab, podInfo{Pod: Pod{Name: name}})
	return &ix.podSlab[len(ix.podSlab)-1]
}

// out returns the Pod for a rollout, warnings as an empty map when none.
func (p *podInfo) out() Pod {
	out := p.Pod
	if out.Warnings == nil {
		out.Warnings = map[string]int{}
	}
	return out
}

func (ix *index) pod(k objKey) *podInfo {
	return ix.podIn(ix.nsID(k.nsKey), k.name)
}

// podIn is pod for a namespace number.
func (ix *index) podIn(ns int32, name string) *podInfo {
	pk := podKey{ns, name}
	p := ix.pods[pk]
	if p == nil {
		p = ix.newPod(name)
		ix.pods[pk] = p
	}
	return p
}

// nsID returns the number of a namespace for podKey.
func (ix *index) nsID(ns nsKey) int32 {
	id, ok := ix.nsIDs[ns]
	if !ok {
		id = int32(len(ix.nsList))
		ix.nsIDs[ns] = id
		ix.nsList = append(ix.nsList, ns)
	}
	return id
}

// lookupPod returns the pod named k, nil when nothing was said of it.
func (ix *index) lookupPod(k objKey) *podInfo {
	id, ok := ix.nsIDs[k.nsKey]
	if !ok {
		return nil
	}
	return ix.pods[podKey{id, k.name}]
}

// Correlate reconstructs the rollouts of Deployments from the event table
// and, when changes is not nil, the changes table.
func Correlate(events arrow.Record, changes arrow.Record) Result {
	return join([]partResult{correlate(events, changes, nil)})
}

// CorrelateParts reconstructs the rollouts of an archive's parts, on up to
// workers goroutines at once: a rollout never crosses a namespace, so each
// part is correlated on its own, and the result is the one Correlate gives
// for the whole table, whatever the parts and workers.
func CorrelateParts(parts []load.Partition, workers int) Result {
	res := make([]partResult, len(parts))
	load.Parallel(len(parts), workers, func(i int) {
		p := &parts[i]
		rows := p.ChangeRows
		if rows == nil {
			rows = []int32{} // none of the changes table's rows
		}
		res[i] = correlate(p.Events, p.Changes, rows)
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
func correlate(events arrow.Record, changes arrow.Record, rows []int32) partResult {
	ix := newIndex()
	v := load.NewView(events)
	ix.readEvents(v)
	if changes != nil {
		ix.readChanges(changes, rows)
		ix.auditSteps()
		ix.auditInplace()
	}
	ix.inferSteps()
	// Each workload's rollouts come out in their own slice; they are
	// concatenated once, in the order join sorts them by.
	var parts [][]Rollout
	res := partResult{rows: int32(v.Len())}
	n := 0
	add := func(r []Rollout, s []Scaling, kind int) {
		ix.evidence(r)
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

// sortedKeys returns m's keys by cluster, namespace and name.
func sortedKeys[V any](m map[objKey]V) []objKey {
	keys := make([]objKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b objKey) int {
		return cmp.Or(strings.Compare(a.cluster, b.cluster), strings.Compare(a.namespace, b.namespace), strings.Compare(a.name, b.name))
	})
	return keys
}

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
	for rk, pods := range ix.rsPods {
		owner := ix.rsOwner[rk]
		var d *depInfo
		if owner != "" {
			d = ix.deps[objKey{rk.nsKey, owner}]
		} else if i := strings.LastIndexByte(rk.name, '-'); i > 0 && replicaSetOf(rk.name, rk.name[:i]) {
			// The name rule: the ReplicaSet name less its hash is the
			// Deployment's (so api-gateway-5d4f8 is api-gateway's).
			d = ix.deps[objKey{rk.nsKey, rk.name[:i]}]
		}
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
			d.steps = append(d.steps, step{at: first, ScaleStep: ScaleStep{ReplicaSet: rk.name, From: 0, To: len(pods), Up: true}})
		}
	}
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
		p.failures = append(p.failures, failure{at: e.at, signal: sig, detail: strings.TrimPrefix(e.msg, combinedPrefix)})
		if e.latest {
			if p.Warnings == nil {
				p.Warnings = map[string]int{}
			}
			p.Warnings[sig] += int(max(e.count, 1))
		}
	}
}

// tp returns a new *time.Time for ns, from a slab: one allocation per
// 1,024 times instead of one per time.
func (ix *index) tp(ns int64) *time.Time {
	if len(ix.times) == cap(ix.times) {
		ix.times = make([]time.Time, 0, 1024)
	}
	ix.times = append(ix.times, time.Unix(0, ns).UTC())
	return &ix.times[len(ix.times)-1]
}

// setFirst sets *dst to ns unless it holds an earlier time.
func (ix *index) setFirst(dst **time.Time, ns int64) {
	if ns == 0 {
		return
	}
	if *dst == nil || ns < (*dst).UnixNano() {
		*dst = ix.tp(ns)
	}
}

// readChanges adds what the audit log knows: triggers, revisions, owners,
// pod details and progress deadlines.
func (ix *index) readChanges(rec arrow.Record, rows []int32) {
	str := func(col, i int) string { return load.ChangeString(rec, col, i) }
	n := len(rows)
	if rows == nil {
		n = int(rec.NumRows())
	}
	for r := 0; r < n; r++ {
		i := r
		if rows != nil {
			i = int(rows[r])
		}
		code, _ := load.ChangeInt32(rec, load.CCode, i)
		if code >= 400 {
			if str(load.CResource, i) == "pods" && str(load.CVerb, i) == "create" && str(load.CSubresource, i) == "" {
				ix.auditFailedCreate(rec, i)
			}
			continue
		}
		at := load.ChangeTime(rec, load.CRequestTime, i)
		k := objKey{nsKey{str(load.CCluster, i), str(load.CNamespace, i)}, str(load.CName, i)}
		res, sub, verb := str(load.CResource, i), str(load.CSubresource, i), str(load.CVerb, i)
		switch res {
		case "deployments":
			for _, c := range conditions(rec, i) {
				if c.reason == "ProgressDeadlineExceeded" && c.at != 0 && !slices.Contains(ix.deadlines[k], c.at) {
					ix.deadlines[k] = append(ix.deadlines[k], c.at)
				}
			}
			if sub != "" || verb == "delete" {
				continue
			}
			changed, _ := load.ChangeBool(rec, load.CSpecChanged, i)
			change := str(load.CChange, i)
			ix.writes[k] = append(ix.writes[k], specWrite{
				at: at, user: str(load.CUser, i), agent: str(load.CUserAgent, i), auditID: str(load.CAuditID, i),
				source: str(load.CSourceFile, i) + ":" + strconv.FormatInt(load.ChangeInt64(rec, load.CSourceLine, i), 10),
				change: change, specChanged: changed, trigger: changed || change == "resumed",
			})
		case "statefulsets", "daemonsets":
			if sub != "" || verb == "delete" {
				continue
			}
			kind := map[string]string{"statefulsets": "StatefulSet", "daemonsets": "DaemonSet"}[res]
			wk := objKey{k.nsKey, kind + "/" + k.name}
			changed, _ := load.ChangeBool(rec, load.CSpecChanged, i)
			change := str(load.CChange, i)
			ix.writes[wk] = append(ix.writes[wk], specWrite{
				at: at, user: str(load.CUser, i), agent: str(load.CUserAgent, i), auditID: str(load.CAuditID, i),
				source: str(load.CSourceFile, i) + ":" + strconv.FormatInt(load.ChangeInt64(rec, load.CSourceLine, i), 10),
				change: change, specChanged: changed, trigger: changed,
			})
		case "jobs":
			j := ix.job(k)
			if uid := str(load.CObjectUID, i); uid != "" && j.uid == "" {
				j.uid = uid
			}
			if sub == "" && verb == "create" {
				if j.created == 0 || at < j.created {
					j.created = at
				}
				if str(load.COwnerKind, i) == "CronJob" {
					j.owner = str(load.COwnerName, i)
				}
				src := str(load.CSourceFile, i) + ":" + strconv.FormatInt(load.ChangeInt64(rec, load.CSourceLine, i), 10)
				j.trigger = &Trigger{User: str(load.CUser, i), UserAgent: str(load.CUserAgent, i), At: time.Unix(0, at).UTC(), AuditID: str(load.CAuditID, i), Source: src}
				if len(j.sources) == 0 {
					j.sources = append(j.sources, src) // no Job controller event cites it
				}
				if c := str(load.CChange, i); c != "" {
					j.changes = []string{c}
				}
			}
			for _, c := range conditions(rec, i) {
				if c.status != "True" || c.at == 0 {
					continue
				}
				switch c.typ {
				case "Complete":
					if j.done == 0 || c.at < j.done {
						j.done = c.at
					}
				case "Failed":
					if j.failed == 0 || c.at < j.failed {
						j.failed, j.reason = c.at, c.reason
					}
				}
			}
		case "replicasets":
			if owner := str(load.COwnerName, i); owner != "" && str(load.COwnerKind, i) == "Deployment" {
				ix.rsOwner[k] = owner
				if n, ok := load.ChangeInt32(rec, load.CReplicas, i); ok && verb != "delete" && (sub == "" || sub == "scale") {
					ix.rsWrites = append(ix.rsWrites, rsWrite{key: k, uid: str(load.CObjectUID, i), owner: owner,
						ownerUID: str(load.COwnerUID, i), at: at, replicas: int(n), create: verb == "create" && sub == "",
						source: str(load.CSourceFile, i) + ":" + strconv.FormatInt(load.ChangeInt64(rec, load.CSourceLine, i), 10)})
				}
			}
			if rev := str(load.CRevision, i); rev != "" && sub == "" {
				revs := ix.rsRev[k]
				uid := str(load.CObjectUID, i)
				if len(revs) == 0 || revs[len(revs)-1].revision != rev || revs[len(revs)-1].uid != uid {
					ix.rsRev[k] = append(revs, revAt{at: at, revision: rev, history: str(load.CRevisionHistory, i), uid: uid})
				}
			}
		case "pods":
			p := ix.pod(k)
			if uid := str(load.CObjectUID, i); uid != "" && p.UID == "" {
				p.UID = uid
			}
			switch {
			case sub == "" && verb == "create":
				if owner := str(load.COwnerName, i); owner != "" && str(load.COwnerKind, i) == "Job" {
					j := ix.job(objKey{k.nsKey, owner})
					if !slices.Contains(j.pods, k.name) {
						j.pods = append(j.pods, k.name)
					}
				}
				if owner := str(load.COwnerName, i); owner != "" && str(load.COwnerKind, i) == "ReplicaSet" {
					p.rs, p.ReplicaSet = owner, owner
					if uid := str(load.COwnerUID, i); uid != "" {
						p.rsUID = uid
					}
					rk := objKey{k.nsKey, owner}
					if !slices.Contains(ix.rsPods[rk], p) {
						ix.rsPods[rk] = append(ix.rsPods[rk], p)
					}
				}
				if h := str(load.CControllerRevisionHash, i); h != "" {
					p.revisions = append(p.revisions, revAt{at: at, revision: h})
				}
				if uid := str(load.CObjectUID, i); uid != "" {
					p.auditTimes = append(p.auditTimes, auditTime{at: at, what: 'c', value: uid})
				}
				if kind := str(load.COwnerKind, i); kind == "StatefulSet" || kind == "DaemonSet" {
					p.owner = objKey{k.nsKey, kind + "/" + str(load.COwnerName, i)}
					p.lastAudit = 'c'
					ix.auditOps = append(ix.auditOps, auditOp{workload: p.owner, uid: str(load.COwnerUID, i), pod: k.name,
						create: true, at: at, source: str(load.CSourceFile, i) + ":" + strconv.FormatInt(load.ChangeInt64(rec, load.CSourceLine, i), 10)})
				}
				if p.created == 0 || at < p.created {
					p.created = at
					p.Created = ix.tp(at)
				}
			case sub == "binding":
				if n := str(load.CNode, i); n != "" {
					p.Node = n
				}
				ix.setFirst(&p.Scheduled, at)
				p.auditTimes = append(p.auditTimes, auditTime{at: at, what: 'b', value: str(load.CNode, i)})
			case sub == "" && verb == "delete":
				ix.setFirst(&p.Deleted, at)
				// The controller's delete; the kubelet's final delete of
				// the same pod follows and is not another one.
				if p.lastAudit == 'c' && p.owner.name != "" {
					p.lastAudit = 'd'
					ix.auditOps = append(ix.auditOps, auditOp{workload: p.owner, pod: k.name, at: at,
						source: str(load.CSourceFile, i) + ":" + strconv.FormatInt(load.ChangeInt64(rec, load.CSourceLine, i), 10)})
				}
			case sub == "status":
				for _, c := range conditions(rec, i) {
					if c.typ == "Ready" && c.status == "True" && c.at != 0 {
						ix.setFirst(&p.Ready, c.at)
						if !slices.ContainsFunc(p.auditTimes, func(t auditTime) bool { return t.what == 'r' && t.at == c.at }) {
							p.auditTimes = append(p.auditTimes, auditTime{at: c.at, what: 'r'})
						}
					}
					if c.typ == "PodScheduled" && c.status == "False" && c.reason == "Unschedulable" {
						p.auditFailure(at, "Unschedulable", c.message)
					}
				}
				for _, w := range containerSignals(rec, i) {
					p.auditFailure(at, w.signal, w.detail)
				}
				if r := maxRestarts(rec, i); r > p.Restarts {
					p.Restarts = r
				}
			}
		}
	}
	for k := range ix.writes {
		slices.SortFunc(ix.writes[k], func(a, b specWrite) int { return cmp.Compare(a.at, b.at) })
	}
}

// containerStart is the first start of a container of a pod.
type containerStart struct {
	name string
	at   int64
}

// auditTime is a pod create, binding or Ready transition from the audit
// log.
type auditTime struct {
	at    int64
	what  byte   // 'c' create, 'b' binding, 'r' Ready
	value string // the pod's uid (create), the node (binding)
}

// auditOp is a pod create or delete of a StatefulSet or DaemonSet from the
// audit log.
type auditOp struct {
	workload objKey // "Kind/name"
	uid      string // of the workload, when the create names it
	pod      string
	create   bool
	at       int64
	source   string
}

// auditInplace feeds the StatefulSets and DaemonSets that no event
// reported with the pod creates and deletes of the audit log (events take
// precedence: they are what the controller said it did).
func (ix *index) auditInplace() {
	fromEvents := map[objKey]bool{}
	for k, w := range ix.inplaces {
		fromEvents[k] = len(w.ops) > 0
	}
	for _, op := range ix.auditOps {
		if fromEvents[op.workload] {
			continue
		}
		kind, name, _ := strings.Cut(op.workload.name, "/")
		w := ix.inplace(objKey{op.workload.nsKey, name}, kind, op.uid)
		ix.inplaceEvent(w, op.pod, op.create, op.at, op.at, 1, op.source)
	}
}

// auditFailedCreate records a refused pod create of a controller (quota,
// admission: code >= 400) as FailedCreate of the pod's owner, as its
// event would, unless the owner's events reported FailedCreate (they are
// read first, and count the same refusals).
func (ix *index) auditFailedCreate(rec arrow.Record, i int) {
	str := func(col int) string { return load.ChangeString(rec, col, i) }
	owner, kind := str(load.COwnerName), str(load.COwnerKind)
	if owner == "" {
		return
	}
	k := objKey{nsKey{str(load.CCluster), str(load.CNamespace)}, owner}
	detail := "Error creating: " + str(load.CStatusMessage)
	f := failure{at: load.ChangeTime(rec, load.CRequestTime, i), signal: "FailedCreate", detail: detail, audit: true, count: 1}
	fromEvents := func(fs []failure) bool {
		return slices.ContainsFunc(fs, func(f failure) bool { return f.signal == "FailedCreate" && !f.audit })
	}
	switch kind {
	case "ReplicaSet":
		if !fromEvents(ix.rsFailures[k]) {
			ix.rsFailures[k] = append(ix.rsFailures[k], f)
		}
	case "Job":
		if j := ix.job(k); !fromEvents(j.failures) {
			j.failures = append(j.failures, f)
		}
	case "StatefulSet", "DaemonSet":
		if w := ix.inplace(k, kind, str(load.COwnerUID)); !fromEvents(w.failures) {
			w.failures = append(w.failures, f)
		}
	}
}

// rsWrite is a write of a Deployment's ReplicaSet that carries its
// spec.replicas, from the audit log.
type rsWrite struct {
	key             objKey
	uid             string
	owner, ownerUID string
	at              int64
	replicas        int
	create          bool
	source          string
}

// auditSteps turns the replica counts the deployment controller wrote into
// its ReplicaSets into scale steps: the same steps its ScalingReplicaSet
// events report, for archives without those events (audit policies often
// leave events out, and events expire). A step an event already reported
// (the same ReplicaSet and count within a few seconds) is not added twice.
// A ReplicaSet first seen in an update (the log starts after its creation)
// gives its count as a baseline, not a step.
func (ix *index) auditSteps() {
	ws := ix.rsWrites
	slices.SortStableFunc(ws, func(a, b rsWrite) int {
		return cmp.Or(strings.Compare(a.key.cluster, b.key.cluster), strings.Compare(a.key.namespace, b.key.namespace),
			strings.Compare(a.key.name, b.key.name), strings.Compare(a.uid, b.uid), cmp.Compare(a.at, b.at))
	})
	prev := -1
	for i, w := range ws {
		if i == 0 || w.key != ws[i-1].key || w.uid != ws[i-1].uid {
			prev = -1
			if w.create {
				prev = 0
			}
		}
		if prev < 0 || w.replicas == prev {
			prev = w.replicas
			continue
		}
		from := prev
		prev = w.replicas
		dk := objKey{w.key.nsKey, w.owner}
		d := ix.deps[dk]
		if d == nil {
			d = &depInfo{key: dk}
			ix.deps[dk] = d
		}
		if d.uid == "" {
			d.uid = w.ownerUID
		}
		const near = int64(5 * time.Second)
		if slices.ContainsFunc(d.steps, func(s step) bool {
			return s.ReplicaSet == w.key.name && s.To == w.replicas && s.at > w.at-near && s.at < w.at+near
		}) {
			continue
		}
		d.steps = append(d.steps, step{at: w.at, uid: w.ownerUID, source: w.source,
			ScaleStep: ScaleStep{ReplicaSet: w.key.name, From: from, To: w.replicas, Up: w.replicas > from}})
	}
}

// auditFailure records a failure signal a pod's status write shows, once
// per change of signal, unless the pod's events reported it (events are
// read first, and they say more).
func (p *podInfo) auditFailure(at int64, signal, detail string) {
	if p.auditSignal == signal {
		return
	}
	p.auditSignal = signal
	if slices.ContainsFunc(p.failures, func(f failure) bool { return f.signal == signal && !f.audit }) {
		return
	}
	p.failures = append(p.failures, failure{at: at, signal: signal, detail: detail, audit: true})
	if p.Warnings == nil {
		p.Warnings = map[string]int{}
	}
	p.Warnings[signal]++
}

// failureWaiting are container waiting and termination reasons (kubelet)
// that are failure signals, by the signal they give.
var failureReasons = map[string]string{
	"ErrImagePull": "ErrImagePull", "ImagePullBackOff": "ImagePullBackOff", "InvalidImageName": "ErrImagePull",
	"ErrImageNeverPull": "ErrImagePull", "CrashLoopBackOff": "CrashLoopBackOff",
	"CreateContainerConfigError": "CreateContainerError", "CreateContainerError": "CreateContainerError",
	"RunContainerError": "CreateContainerError", "OOMKilled": "OOMKilled",
}

type signalAt struct{ signal, detail string }

// containerSignals returns the failure signals in the container statuses
// of change row i: waiting reasons, and OOMKilled as the last termination.
func containerSignals(rec arrow.Record, i int) []signalAt {
	var out []signalAt
	for _, c := range listOfStructs(rec, load.CContainers, i, func(get func(field int) (string, int64)) [3]string {
		name, _ := get(0)
		waiting, _ := get(8)
		last, _ := get(11)
		return [3]string{name, waiting, last}
	}) {
		for _, reason := range c[1:] {
			if sig, ok := failureReasons[reason]; ok && (reason != "OOMKilled" || reason == c[2]) {
				out = append(out, signalAt{sig, reason + " (container " + c[0] + ")"})
			}
		}
	}
	return out
}

type cond struct {
	typ, status, reason, message string
	at                           int64
}

func conditions(rec arrow.Record, i int) []cond {
	return listOfStructs(rec, load.CConditions, i, func(get func(field int) (string, int64)) cond {
		t, _ := get(0)
		s, _ := get(1)
		r, _ := get(2)
		m, _ := get(3)
		_, at := get(4)
		return cond{typ: t, status: s, reason: r, message: m, at: at}
	})
}

func maxRestarts(rec arrow.Record, i int) int {
	m := 0
	for _, n := range listOfStructs(rec, load.CContainers, i, func(get func(field int) (string, int64)) int {
		_, n := get(7)
		return int(n)
	}) {
		m = max(m, n)
	}
	return m
}

// deployment reconstructs the rollouts of one Deployment from its scale
// steps, refined by the audit log.
func (ix *index) deployment(d *depInfo) ([]Rollout, []Scaling) {
	slices.SortStableFunc(d.steps, func(a, b step) int {
		return cmp.Or(cmp.Compare(a.at, b.at), strings.Compare(a.ReplicaSet, b.ReplicaSet))
	})
	var (
		rollouts []*Rollout
		scaling  []Scaling
		cur      *Rollout
		curDone  int64 // when cur's scale steps completed; 0 while not
		replicas = map[string]int{}
		seen     = map[string]bool{} // ReplicaSets that were a rollout's new one
		desired  = -1
		usedW    = 0 // writes consumed as triggers
	)
	objUID := ""
	start := func(rs string, at int64) {
		uid := objUID
		if uid == "" {
			uid = d.uid
		}
		r := &Rollout{
			Cluster: d.key.cluster, Namespace: d.key.namespace, Kind: "Deployment", Name: d.key.name, UID: uid,
			Seq: len(rollouts) + 1, NewReplicaSet: rs, Rollback: seen[rs], Start: time.Unix(0, at).UTC(),
			Warnings: map[string]int{}, OldReplicaSets: []string{}, Changes: []string{}, Pods: []Pod{}, Steps: []Step{},
		}
		for name, n := range replicas {
			if name != rs && n > 0 {
				r.OldReplicaSets = append(r.OldReplicaSets, name)
			}
		}
		slices.Sort(r.OldReplicaSets)
		seen[rs] = true
		rollouts = append(rollouts, r)
		cur, curDone = r, 0
		// The trigger: the last spec change (or resume) before the
		// controller acted, and every spec change since the previous one.
		ws := ix.writes[d.key]
		for usedW < len(ws) && ws[usedW].at <= at+int64(2*time.Second) {
			w := ws[usedW]
			usedW++
			if w.specChanged && w.change != "" {
				r.Changes = append(r.Changes, w.change)
			}
			if w.trigger {
				r.Trigger = &Trigger{User: w.user, UserAgent: w.agent, At: time.Unix(0, w.at).UTC(), AuditID: w.auditID, Source: w.source}
			}
			if strings.Contains(w.change, "rollback to the template") {
				r.Rollback = true
			}
		}
	}
	scaledAfter := map[*Rollout]int64{} // the first scale-only step after a rollout's steps completed
	// lead is a scale-down of the complete ReplicaSet that comes before
	// the next rollout's first scale-up: strategy Recreate (down to 0,
	// then up) or RollingUpdate with maxSurge 0 (down by maxUnavailable,
	// then up). That rollout starts with it.
	var lead *step
	leadFrom := 0
	established := "" // the ReplicaSet scaled before any rollout (the archive started after its own)
	for i, s := range d.steps {
		if s.uid != "" {
			if objUID != "" && s.uid != objUID {
				// The Deployment was deleted and created again with this
				// name: a new object, with its own ReplicaSets.
				cur, curDone, desired, established = nil, 0, -1, ""
				clear(replicas)
				clear(seen)
			}
			objUID = s.uid
		}
		from := s.From
		if from < 0 {
			from = replicas[s.ReplicaSet]
		}
		replicas[s.ReplicaSet] = s.To
		switch {
		case cur == nil && s.ReplicaSet == established:
			scaling = append(scaling, Scaling{Cluster: d.key.cluster, Namespace: d.key.namespace, Kind: "Deployment", Name: d.key.name,
				At: time.Unix(0, s.at).UTC(), From: from, To: s.To, User: ix.scaleUser(d.key, s.at), Source: s.source})
			continue
		case s.Up && (cur == nil || s.ReplicaSet != cur.NewReplicaSet):
			if desired < 0 || cur == nil {
				desired = -1
			}
			if cur == nil && len(rollouts) == 0 && from > 0 && !d.otherScaledDownAfter(i, s) {
				// The archive starts after this ReplicaSet's rollout and
				// nothing replaces another one: a scale-only change of the
				// established ReplicaSet.
				established = s.ReplicaSet
				scaling = append(scaling, Scaling{Cluster: d.key.cluster, Namespace: d.key.namespace, Kind: "Deployment", Name: d.key.name,
					At: time.Unix(0, s.at).UTC(), From: from, To: s.To, User: ix.scaleUser(d.key, s.at), Source: s.source})
				continue
			}
			at := s.at
			if lead != nil {
				at = lead.at
			}
			start(s.ReplicaSet, at)
			if len(rollouts) == 1 && (from > 0 || s.From < 0 && len(cur.OldReplicaSets) > 0) {
				// The archive starts within this rollout: the new
				// ReplicaSet already had pods (or, where messages give no
				// "from", older ReplicaSets were being scaled down).
				cur.Partial = true
			}
			if lead != nil {
				if !slices.Contains(cur.OldReplicaSets, lead.ReplicaSet) {
					cur.OldReplicaSets = append(cur.OldReplicaSets, lead.ReplicaSet)
					slices.Sort(cur.OldReplicaSets)
				}
				cur.Steps = append(cur.Steps, Step{At: time.Unix(0, lead.at).UTC(), ReplicaSet: lead.ReplicaSet, From: leadFrom, To: lead.To, Source: lead.source})
				lead = nil
			}
		case !s.Up && cur != nil && s.ReplicaSet == cur.NewReplicaSet && curDone != 0 && d.nextIsOtherUp(i, s) &&
			(s.To == 0 || d.steps[i+1].at-s.at <= int64(10*time.Second)):
			// Recreate (the complete ReplicaSet goes to 0 first, however
			// long its pods take to stop) or maxSurge 0 (it gives up
			// maxUnavailable pods, and the new one is scaled up at once).
			lead, leadFrom = &d.steps[i], from
			continue
		case cur != nil && s.ReplicaSet == cur.NewReplicaSet && curDone != 0:
			// The new ReplicaSet scaled after the rollout completed: a
			// scale-only change. Pods it creates are not the rollout's.
			if _, ok := scaledAfter[cur]; !ok {
				scaledAfter[cur] = s.at
			}
			scaling = append(scaling, Scaling{Cluster: d.key.cluster, Namespace: d.key.namespace, Kind: "Deployment", Name: d.key.name,
				At: time.Unix(0, s.at).UTC(), From: from, To: s.To, User: ix.scaleUser(d.key, s.at), Source: s.source})
			desired = s.To
			continue
		case !s.Up && cur != nil && s.ReplicaSet == cur.NewReplicaSet && s.To == 0 && !d.scaleUpFollows(i, s):
			// The new ReplicaSet is dropped before completing, and no
			// other one is scaled up: the template went back to one an
			// existing ReplicaSet has (a rollback to a ReplicaSet that is
			// still at full scale).
			other, n := "", 0
			for name, c := range replicas {
				if name != s.ReplicaSet && (c > n || c == n && c > 0 && name < other) {
					other, n = name, c
				}
			}
			cur.Steps = append(cur.Steps, Step{At: time.Unix(0, s.at).UTC(), ReplicaSet: s.ReplicaSet, From: from, To: s.To, Source: s.source})
			if other != "" {
				start(other, s.at)
				cur.Rollback = cur.Rollback || seen[other]
				cur.Steps = append(cur.Steps, Step{At: time.Unix(0, s.at).UTC(), ReplicaSet: s.ReplicaSet, From: from, To: s.To, Source: s.source})
			}
		}
		if cur == nil {
			continue
		}
		if last := len(cur.Steps) - 1; last < 0 || cur.Steps[last].At.UnixNano() != s.at || cur.Steps[last].ReplicaSet != s.ReplicaSet {
			cur.Steps = append(cur.Steps, Step{At: time.Unix(0, s.at).UTC(), ReplicaSet: s.ReplicaSet, From: from, To: s.To, Source: s.source})
		}
		if desired < 0 && len(cur.OldReplicaSets) == 0 && s.Up {
			desired = s.To
		}
		othersZero := true
		for name, c := range replicas {
			if name != cur.NewReplicaSet && c > 0 {
				othersZero = false
			}
		}
		target := desired
		if target < 0 {
			target = 1
		}
		if curDone == 0 && othersZero && replicas[cur.NewReplicaSet] >= target {
			curDone = s.at
			cur.Replicas = replicas[cur.NewReplicaSet]
			desired = cur.Replicas
			cur.End = ix.tp(curDone) // complete once its pods are up too (see finish)
		}
	}
	out := make([]Rollout, 0, len(rollouts))
	for i, r := range rollouts {
		var next *Rollout
		if i+1 < len(rollouts) {
			next = rollouts[i+1]
		}
		ix.finish(d, r, next, scaledAfter[r])
		out = append(out, *r)
	}
	return out, scaling
}

// nextIsOtherUp reports whether the step after i scales up a different
// ReplicaSet.
// otherScaledDownAfter reports whether another ReplicaSet is scaled down
// after step i (scale-up s) before a third one is scaled up: s is then part
// of a rollout, not a scale-only change.
func (d *depInfo) otherScaledDownAfter(i int, s step) bool {
	for _, n := range d.steps[i+1:] {
		if n.ReplicaSet == s.ReplicaSet {
			continue
		}
		return !n.Up
	}
	return false
}

// nextIsOtherUp reports whether the step after i scales up another
// ReplicaSet of the same Deployment object.
func (d *depInfo) nextIsOtherUp(i int, s step) bool {
	return i+1 < len(d.steps) && d.steps[i+1].Up && d.steps[i+1].ReplicaSet != s.ReplicaSet && (s.uid == "" || d.steps[i+1].uid == "" || d.steps[i+1].uid == s.uid)
}

// scaleUpFollows reports whether another ReplicaSet is scaled up right
// after step i (the controller drops a superseded new ReplicaSet and scales
// up the next one in the same sync).
func (d *depInfo) scaleUpFollows(i int, s step) bool {
	for _, n := range d.steps[i+1:] {
		if n.at > s.at+int64(2*time.Second) {
			return false
		}
		if n.Up && n.ReplicaSet != s.ReplicaSet {
			return true
		}
	}
	return false
}

// scaleUser finds who scaled a Deployment (a scale-only spec write) just
// before at.
func (ix *index) scaleUser(k objKey, at int64) string {
	user := ""
	for _, w := range ix.writes[k] {
		if w.at <= at+int64(2*time.Second) && strings.HasPrefix(w.change, "replicas ") {
			user = w.user
		}
	}
	return user
}

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
	allUp, latestUp := true, int64(0)
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
	r.Pods = make([]Pod, 0, len(candidates))
	for _, p := range candidates {
		if rsUID != "" && p.rsUID != "" && p.rsUID != rsUID {
			continue
		}
		r.Pods = append(r.Pods, p.out())
		for sig, n := range p.Warnings {
			r.Warnings[sig] += n
		}
		failures = append(failures, p.failures...)
		up := p.Ready
		if up == nil {
			up = p.Started
		}
		if up == nil {
			if p.Deleted == nil {
				allUp = false
			}
		} else if up.UnixNano() > latestUp {
			latestUp = up.UnixNano()
		}
		if p.Deleted == nil && up == nil {
			allUp = false
		}
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
	complete := r.End != nil && allUp && deadline == 0
	if complete && latestUp > r.End.UnixNano() {
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
	case len(failures) > 0:
		r.Outcome, r.FailureReason = OutcomeFailed, failures[0].signal+": "+failures[0].detail
	case next != nil:
		r.Outcome = OutcomeSuperseded
	default:
		r.Outcome = OutcomeInProgress
	}
	if r.Outcome != OutcomeComplete {
		r.End = nil
		if next != nil {
			r.End = &next.Start
		} else if r.Outcome == OutcomeFailed && deadline != 0 {
			r.End = ix.tp(deadline)
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
