package correlate

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evanalyze/evanalyze/internal/load"
)

// StatefulSets and DaemonSets replace their pods in place: the controller
// deletes a pod and creates its successor (the same name for a StatefulSet
// ordinal, a new name on the same node for a DaemonSet). Their events carry
// no revision, so rollouts are found from the pattern of deletes and
// creates, and named by audit writes when those are loaded.

// podOp is a pod create or delete by a workload controller.
type podOp struct {
	at     int64
	key    int64 // for ordering: a whole-second time (lastTimestamp) sorts at the end of its second
	pod    string
	create bool
	source string // file:line of the event
}

// inplaceInfo is one StatefulSet or DaemonSet.
type inplaceInfo struct {
	key      objKey
	kind     string
	uid      string
	ops      []podOp
	failures []failure // the controller's own failure signals (FailedCreate...)
	gaps     map[string]*dsGap
}

// dsGap is a combined SuccessfulCreate or SuccessfulDelete event of a
// DaemonSet with fewer observations than its count: the pods it created
// (deleted) between its first and last time are not named (a snapshot keeps
// only the last message).
type dsGap struct {
	gap
	create bool
}

// fillStatefulSetCreates adds the creates an aggregated StatefulSet event
// hides: its message is the same for every create of an ordinal, so a
// snapshot of one with count 3 keeps the first and the last only. Each
// incarnation of an ordinal (a uid in its pod's events) whose first event
// no create op is within 5 s of, while the controller works, was created
// then.
func (ix *index) fillStatefulSetCreates() {
	for _, k := range sortedKeys(ix.inplaces) {
		w := ix.inplaces[k]
		if w.kind != "StatefulSet" || len(w.ops) == 0 {
			continue
		}
		opsFrom, opsTo := w.opsSpan()
		var add []podOp
		for _, np := range ix.namedPods()[k] {
			first := map[string]int64{} // uid -> its first event
			for _, r := range np.p.events {
				uid := ix.v.Str(load.ColObjectUID, int(r))
				if uid == "" {
					continue
				}
				if at := ix.v.Time(load.ColTime, int(r)); first[uid] == 0 || at < first[uid] {
					first[uid] = at
				}
			}
			for _, at := range first {
				if at <= opsFrom || at > opsTo+replaceWindow || slices.ContainsFunc(w.ops, func(o podOp) bool {
					return o.create && o.pod == np.name && o.at > at-int64(5*time.Second) && o.at < at+int64(5*time.Second)
				}) {
					continue
				}
				add = append(add, podOp{at: at, key: at, pod: np.name, create: true, source: w.ops[len(w.ops)-1].source})
			}
		}
		slices.SortFunc(add, func(a, b podOp) int { return cmp.Or(cmp.Compare(a.at, b.at), strings.Compare(a.pod, b.pod)) })
		w.ops = append(w.ops, add...)
	}
}

// startsLife reports whether a pod event's reason is one of the first of a
// pod's life (the scheduler's, the kubelet's until the container runs).
func startsLife(reason string) bool {
	switch reason {
	case "Scheduled", "FailedScheduling", "Pulling", "Pulled", "Created", "Started", "AddedInterface":
		return true
	}
	return false
}

// fillDaemonSetGaps adds the creates and deletes a combined DaemonSet event
// hides, from the events of its pods (named <daemonset>-xxxxx): a pod whose
// first event falls in a create gap was created then; one whose Killing
// falls in a delete gap was deleted then.
func (ix *index) fillDaemonSetGaps() {
	for _, k := range sortedKeys(ix.inplaces) {
		w := ix.inplaces[k]
		if w.kind != "DaemonSet" || len(w.ops) == 0 {
			continue
		}
		var open []*dsGap // by name
		for _, name := range slices.Sorted(maps.Keys(w.gaps)) {
			if g := w.gaps[name]; g.seen < g.count {
				open = append(open, g)
			}
		}
		in := func(t int64, create bool) *dsGap {
			for _, g := range open {
				// The kubelet's Killing follows the controller's delete by
				// a second or two.
				if g.create == create && t >= g.first-int64(time.Second) && t <= g.last+int64(2*time.Second) {
					return g
				}
			}
			return nil
		}
		has := func(pod string, create bool) bool {
			return slices.ContainsFunc(w.ops, func(o podOp) bool { return o.pod == pod && o.create == create })
		}
		opsFrom, opsTo := w.opsSpan()
		var add []podOp
		for _, np := range ix.namedPods()[k] {
			switch g := in(np.first, true); {
			case has(np.name, true):
			case g != nil:
				add = append(add, podOp{at: np.first, key: np.first, pod: np.name, create: true, source: g.source})
			case np.first > opsFrom && np.first <= opsTo+replaceWindow && startsLife(ix.v.Str(load.ColReason, int(np.firstRow))):
				// No event names its create (the recorder's spam
				// filter), but its life starts while the controller
				// works.
				add = append(add, podOp{at: np.first, key: np.first, pod: np.name, create: true, source: w.ops[len(w.ops)-1].source})
			}
			if p := np.p; p.Deleted != nil {
				if g := in(p.Deleted.UnixNano(), false); g != nil && !has(np.name, false) {
					at := p.Deleted.UnixNano()
					add = append(add, podOp{at: at, key: at, pod: np.name, source: g.source})
				}
			}
		}
		slices.SortFunc(add, func(a, b podOp) int { return cmp.Or(cmp.Compare(a.at, b.at), strings.Compare(a.pod, b.pod)) })
		w.ops = append(w.ops, add...)
	}
}

// replaceWindow is how long after a delete the successor's create counts
// as its replacement.
const replaceWindow = int64(60 * time.Second)

// parseStatefulSetPod parses the StatefulSet controller's pod events
// (pkg/controller/statefulset/stateful_pod_control.go, recordPodEvent):
// "create Pod db-0 in StatefulSet db successful", "delete Pod ...".
func parseStatefulSetPod(msg string) (pod string, create, ok bool) {
	msg = strings.TrimPrefix(msg, combinedPrefix)
	verb, rest, ok := strings.Cut(msg, " Pod ")
	if !ok || (verb != "create" && verb != "delete") {
		return "", false, false
	}
	pod, _, ok = strings.Cut(rest, " in StatefulSet ")
	return pod, verb == "create", ok && pod != ""
}

func (ix *index) inplace(k objKey, kind, uid string) *inplaceInfo {
	w := ix.inplaces[objKey{k.nsKey, kind + "/" + k.name}]
	if w == nil {
		w = &inplaceInfo{key: k, kind: kind}
		ix.inplaces[objKey{k.nsKey, kind + "/" + k.name}] = w
	}
	if w.uid == "" {
		w.uid = uid
	}
	return w
}

// inplaceEvent records a controller pod event. An aggregated StatefulSet
// event (count > 1, the same message for every create of one ordinal)
// stands for its first and latest occurrence: first_time and the
// observation time. A DaemonSet's pod names are unique: its repeated event
// is one create or delete, at its first occurrence. Callers pass count 1
// for a combined event ("(combined from similar events): "), whose
// first_time belongs to another pod.
func (ix *index) inplaceEvent(w *inplaceInfo, pod string, create bool, at, first int64, count int32, source string) {
	add := func(t int64) {
		if t == 0 {
			return
		}
		op := podOp{at: t, key: t, pod: pod, create: create, source: source}
		if t%1e9 == 0 {
			// Only the second is known; the delete it replaces may be
			// known to the nanosecond within the same second.
			op.key = t + 1e9 - 1
		}
		if !slices.ContainsFunc(w.ops, func(o podOp) bool { return o.at == op.at && o.pod == op.pod && o.create == op.create }) {
			w.ops = append(w.ops, op)
		}
	}
	switch {
	case count > 1 && w.kind == "DaemonSet" && first != 0:
		add(first)
	case count > 1:
		add(at)
		add(first)
	default:
		add(at)
	}
}

// inplaceRollouts reconstructs the rollouts of one StatefulSet or DaemonSet.
//
// The first creates make the creation rollout. Later, a delete of a live
// pod that is followed by a create within replaceWindow is a replacement;
// the first replacement after the previous rollout completed starts an
// update rollout, which completes when as many pods as were live at its
// start have been replaced and their successors started. A create with no
// delete before it is a scale-up, a delete with no create after it a
// scale-down (Scaling, not rollouts).
func (ix *index) inplaceRollouts(w *inplaceInfo) ([]Rollout, []Scaling) {
	slices.SortFunc(w.ops, func(a, b podOp) int {
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(boolInt(a.create), boolInt(b.create)), strings.Compare(a.pod, b.pod))
	})
	var (
		rollouts []*Rollout
		scaling  []Scaling
		cur      *Rollout
		creation bool    // cur is the creation rollout
		target   int     // pods an update rollout replaces
		pending  int     // deletes waiting for their successor
		created  []podOp // creates that belong to cur
		surplus  int     // surge pods (DaemonSet maxSurge) whose old pod is still there
		done     bool    // no more pods are expected for cur
		live     = map[string]bool{}
		usedW    int
	)
	ws := ix.writes[objKey{w.key.nsKey, w.kind + "/" + w.key.name}]
	start := func(at int64) {
		cur = &Rollout{
			Cluster: w.key.cluster, Namespace: w.key.namespace, Kind: w.kind, Name: w.key.name, UID: w.uid,
			Seq: len(rollouts) + 1, Start: time.Unix(0, at).UTC(), OldReplicaSets: []string{}, Changes: []string{},
			Pods: []Pod{}, Steps: []Step{}, Warnings: map[string]int{},
		}
		rollouts = append(rollouts, cur)
		created, done, pending, surplus = nil, false, 0, 0
		for usedW < len(ws) && ws[usedW].at <= at+int64(2*time.Second) {
			wr := ws[usedW]
			usedW++
			if wr.specChanged && wr.change != "" {
				cur.Changes = append(cur.Changes, wr.change)
			}
			if wr.trigger {
				cur.Trigger = &Trigger{User: wr.user, UserAgent: wr.agent, At: time.Unix(0, wr.at).UTC(), AuditID: wr.auditID, Source: wr.source}
			}
		}
	}
	// replaced reports whether delete i is followed by its successor's
	// create (the same name for a StatefulSet, any new pod for a DaemonSet).
	replaced := func(i int) bool {
		op := w.ops[i]
		for _, n := range w.ops[i+1:] {
			if n.at > op.at+replaceWindow {
				return false
			}
			if n.create && (n.pod == op.pod || w.kind == "DaemonSet") {
				return true
			}
		}
		return false
	}
	// surges reports whether create i is a DaemonSet's surge pod (its
	// updateStrategy's maxSurge): a live pod is deleted after it, within
	// replaceWindow, before another create.
	surges := func(i int) bool {
		op := w.ops[i]
		if w.kind != "DaemonSet" {
			return false
		}
		for _, n := range w.ops[i+1:] {
			if n.at > op.at+replaceWindow {
				return false
			}
			if !n.create {
				return live[n.pod]
			}
		}
		return false
	}
	// recreated reports whether create i replaces a pod that someone
	// other than the controller deleted (an OnDelete update, an eviction,
	// a manual delete), and which: for a StatefulSet its ordinal is still
	// live (no delete by the controller); for a DaemonSet a live pod went
	// (its Killing event, its audit delete) shortly before.
	recreated := func(i int) (string, bool) {
		op := w.ops[i]
		if w.kind == "StatefulSet" {
			return op.pod, live[op.pod]
		}
		best, bestAt := "", int64(0)
		for q := range live {
			p := ix.lookupPod(objKey{w.key.nsKey, q})
			if p == nil || p.Deleted == nil {
				continue
			}
			at := p.Deleted.UnixNano()
			if at >= op.at-int64(30*time.Second) && at <= op.at+int64(2*time.Second) && (best == "" || at < bestAt || at == bestAt && q < best) {
				best, bestAt = q, at
			}
		}
		return best, best != ""
	}
	// A run of recreations is a rollout when the audit log has the
	// template change before it, or, from events alone, when it replaces
	// every pod that was live at its start; otherwise (a drain, a node
	// lost) it is dropped again.
	tentative, lastRecreate := false, int64(0)
	drop := func() {
		rollouts = rollouts[:len(rollouts)-1]
		cur, done, tentative = nil, true, false
		if len(rollouts) > 0 {
			cur = rollouts[len(rollouts)-1]
		}
	}
	scale := func(op podOp, from, to int) {
		scaling = append(scaling, Scaling{Cluster: w.key.cluster, Namespace: w.key.namespace, Kind: w.kind, Name: w.key.name,
			At: time.Unix(0, op.at).UTC(), From: from, To: to, Source: op.source})
	}
	// Pods of this workload seen before its first create: the archive
	// starts after its creation, so the first creates are scale-ups (a new
	// node for a DaemonSet), not the creation rollout.
	existed := false
	if i := slices.IndexFunc(w.ops, func(o podOp) bool { return o.create }); i >= 0 {
		first, ok := ix.podsFirstSeen()[objKey{w.key.nsKey, w.kind + "/" + w.key.name}]
		existed = ok && first < w.ops[i].at-int64(2*time.Second)
	}
	for i, op := range w.ops {
		if tentative && !done && op.at-lastRecreate > replaceWindow {
			drop()
		}
		gone, isRecreate := "", false
		if op.create && !(len(rollouts) == 0 && !existed) && !(cur != nil && !done && (creation || pending > 0)) {
			gone, isRecreate = recreated(i)
		}
		switch {
		case isRecreate:
			if cur == nil || done {
				at := op.at
				trigger := usedW < len(ws) && ws[usedW].trigger && ws[usedW].at <= op.at
				if trigger {
					at = ws[usedW].at // OnDelete: the rollout starts at the template change
				}
				start(at)
				cur.Sources = append(cur.Sources, op.source)
				creation, target, tentative = false, len(live), !trigger
			}
			created = append(created, op)
			lastRecreate = op.at
			if w.kind == "DaemonSet" {
				delete(live, gone)
			}
		case op.create && len(rollouts) == 0 && !existed:
			start(op.at)
			cur.Sources = append(cur.Sources, op.source)
			creation = true
			created = append(created, op)
		case op.create && cur != nil && !done && creation && op.at-created[len(created)-1].at <= replaceWindow:
			created = append(created, op) // the next pod of the creation
		case op.create && cur != nil && !done && pending > 0:
			created = append(created, op) // a replacement
			pending--
		case op.create && surges(i):
			// maxSurge: the new pod comes first, the old one goes after.
			if cur == nil || done {
				start(op.at)
				cur.Sources = append(cur.Sources, op.source)
				creation, target = false, len(live)
			}
			created = append(created, op)
			surplus++
		case op.create:
			scale(op, len(live), len(live)+1)
		case surplus > 0 && cur != nil && !done:
			surplus-- // the old pod a surge pod replaced
		case replaced(i):
			if cur == nil || done {
				start(op.at)
				cur.Sources = append(cur.Sources, op.source)
				creation, target = false, len(live)
			}
			pending++
		default:
			scale(op, len(live), len(live)-1)
		}
		live[op.pod] = op.create
		if !op.create {
			delete(live, op.pod)
		}
		if cur == nil || done {
			continue
		}
		next := i + 1
		switch {
		case creation && (next == len(w.ops) || !w.ops[next].create || w.ops[next].at-op.at > replaceWindow):
			done = true
		case !creation && len(created) >= target && pending == 0 && surplus == 0:
			done = true
		}
		if done {
			tentative = false
			if len(created) > 0 && created[len(created)-1].source != cur.Sources[len(cur.Sources)-1] {
				cur.Sources = append(cur.Sources, created[len(created)-1].source)
			}
			ix.finishInplace(w, cur, created)
		}
	}
	if tentative && !done {
		drop()
	}
	if cur != nil && !done {
		ix.finishInplace(w, cur, created)
		if missing := max(pending, target-len(created)); !creation && missing > 0 && cur.Outcome == OutcomeComplete {
			cur.Partial, cur.PartialReason = true, strconv.Itoa(missing)+" of its pods' replacements not in the archive (the recorder's spam filter drops a busy object's events)"
		}
	}
	// A template change no pod followed (an OnDelete workload whose pods
	// nobody deleted yet): a rollout in progress from the change.
	for usedW < len(ws) {
		wr := ws[usedW]
		if !wr.trigger || !wr.onDelete || cur != nil && wr.at <= cur.Start.UnixNano() {
			usedW++
			continue
		}
		start(wr.at) // takes wr
		cur.Sources = append(cur.Sources, wr.source)
		cur.Outcome = OutcomeInProgress
	}
	seen := map[string]bool{}
	for _, r := range rollouts {
		if r.Revision != "" && seen[r.Revision] {
			r.Rollback = true // back to a template an earlier rollout had
		}
		seen[r.Revision] = r.Revision != "" || seen[r.Revision]
	}
	// The controller's own failure signals (it cannot create pods) go to
	// the rollout that was under way: the last one started at or before
	// them (the first one for those before it). One left unfinished fails.
	for _, f := range w.failures {
		k := 0
		for k+1 < len(rollouts) && rollouts[k+1].Start.UnixNano() <= f.at {
			k++
		}
		if len(rollouts) == 0 {
			break
		}
		r := rollouts[k]
		r.Warnings[f.signal] += int(f.count)
		if r.Outcome == OutcomeInProgress {
			ix.signals[r] = append(ix.signals[r], f)
		}
	}
	out := make([]Rollout, 0, len(rollouts))
	for i, r := range rollouts {
		var next *Rollout
		if i+1 < len(rollouts) {
			next = rollouts[i+1]
		}
		if r.Outcome == OutcomeInProgress {
			fs := ix.signals[r]
			slices.SortStableFunc(fs, func(a, b failure) int { return cmp.Compare(a.at, b.at) })
			ix.decide(r, fs, next)
			if r.End != nil {
				d := r.End.Sub(r.Start).Seconds()
				r.DurationSeconds = &d
			}
		}
		delete(ix.signals, r)
		out = append(out, *r)
	}
	return out, scaling
}

// finishInplace fills a rollout's pods (each create's incarnation: the
// pod's events from its create until its next create), revision and
// outcome.
func (ix *index) finishInplace(w *inplaceInfo, r *Rollout, created []podOp) {
	// The revision: the controller-revision-hash label of the pods the
	// rollout created (audit logs), the one most of them carry.
	votes := map[string]int{}
	for _, c := range created {
		if h := ix.revisionOf(w, c); h != "" {
			votes[h]++
		}
	}
	best := 0
	for h, n := range votes {
		if n > best || n == best && h < r.Revision {
			r.Revision, best = h, n
		}
	}
	var failures []failure
	allUp, last := len(created) > 0, int64(0)
	for _, c := range created {
		p := ix.incarnation(w, c)
		r.Pods = append(r.Pods, p.out())
		for sig, n := range p.Warnings {
			r.Warnings[sig] += n
		}
		failures = append(failures, p.failures...)
		if up := p.up(); up == nil {
			allUp = false
		} else if up.UnixNano() > last {
			last = up.UnixNano()
		}
	}
	r.Replicas = len(created)
	r.Phases = phases(r.Pods)
	slices.SortFunc(failures, func(a, b failure) int { return cmp.Compare(a.at, b.at) })
	r.Outcome = OutcomeInProgress
	if allUp {
		r.Outcome, r.End = OutcomeComplete, ix.tp(last)
	} else {
		ix.signals[r] = failures // decided once the next rollout is known
	}
	if r.End != nil {
		d := r.End.Sub(r.Start).Seconds()
		r.DurationSeconds = &d
	}
}

// revisionOf is the controller-revision-hash of the audit pod create
// closest to op (within a few seconds).
func (ix *index) revisionOf(w *inplaceInfo, op podOp) string {
	p := ix.lookupPod(objKey{w.key.nsKey, op.pod})
	if p == nil {
		return ""
	}
	best, dist := "", int64(5*time.Second)
	for _, rv := range p.revisions {
		d := rv.at - op.at
		if d < 0 {
			d = -d
		}
		if d <= dist {
			best, dist = rv.revision, d
		}
	}
	return best
}

// incarnation returns the pod created by op: the events of its name from
// the create up to the next create of the same name.
func (ix *index) incarnation(w *inplaceInfo, op podOp) *podInfo {
	next := int64(1<<63 - 1)
	for _, o := range w.ops {
		if o.create && o.pod == op.pod && o.at > op.at && o.at < next {
			next = o.at
		}
	}
	p := ix.newPod(op.pod)
	p.Created, p.created = ix.tp(op.at), op.at
	all := ix.lookupPod(objKey{w.key.nsKey, op.pod})
	if all == nil {
		return p
	}
	in := func(at int64) bool { return at >= op.at-int64(time.Second) && at < next }
	uid, scheduled := "", false
	for _, i := range all.events {
		e := podEventAt(ix.v, int(i))
		if !in(e.at) {
			continue
		}
		ix.applyPodEvent(p, e)
		// The uid: of the pod's Scheduled event, else of its first event
		// after the create that is not the previous incarnation's end.
		if e.uid != "" && e.at >= op.at-int64(time.Second) && e.reason == "Scheduled" && !scheduled {
			uid, scheduled = e.uid, true
		} else if uid == "" && e.uid != "" && e.at >= op.at && e.reason != "Killing" {
			uid = e.uid
		}
	}
	// What the audit log says of this incarnation: its create (uid), its
	// binding, its Ready transition and failure reasons of its status
	// writes.
	for _, t := range all.auditTimes {
		switch {
		case t.what == 'c':
			if d := t.at - op.at; d > -int64(5*time.Second) && d < int64(5*time.Second) {
				uid = t.value
			}
		case !in(t.at):
		case t.what == 'r':
			ix.setFirst(&p.Ready, t.at)
		case t.what == 'b':
			ix.setFirst(&p.Scheduled, t.at)
			if t.value != "" {
				p.Node = t.value
			}
		}
	}
	for _, f := range all.failures {
		if f.audit && in(f.at) {
			p.auditFailure(f.at, f.signal, f.detail)
		}
	}
	p.UID = uid
	return p
}

// podsFirstSeen returns, by "Kind/name" of a StatefulSet or DaemonSet, the
// time of the first event about a pod named like its pods (NAME-ORDINAL,
// NAME-xxxxx). It is built once per correlation.
func (ix *index) podsFirstSeen() map[objKey]int64 {
	if ix.firstSeen != nil {
		return ix.firstSeen
	}
	ix.firstSeen = map[objKey]int64{}
	for k, pods := range ix.namedPods() {
		ds := strings.HasPrefix(k.name, "DaemonSet/")
		for _, np := range pods {
			if ds && isOrdinal(np.name[strings.LastIndexByte(np.name, '-')+1:]) {
				continue // NAME-12345 counts for a StatefulSet only, as it always has
			}
			if t, ok := ix.firstSeen[k]; !ok || np.first < t {
				ix.firstSeen[k] = np.first
			}
		}
	}
	return ix.firstSeen
}

// namedPod is a pod with events named like a StatefulSet's or a
// DaemonSet's, with its first event.
type namedPod struct {
	name     string
	p        *podInfo
	first    int64 // time of its first event
	firstRow int32
}

// namedPods returns the pods with events named like a StatefulSet's
// (NAME-ORDINAL) or a DaemonSet's (NAME-xxxxx), by "Kind/NAME". It is
// built once per correlation.
func (ix *index) namedPods() map[objKey][]namedPod {
	if ix.named != nil {
		return ix.named
	}
	ix.named = map[objKey][]namedPod{}
	for pk, p := range ix.pods {
		if len(p.events) == 0 {
			continue
		}
		i := strings.LastIndexByte(pk.name, '-')
		if i <= 0 {
			continue
		}
		owner, suffix := pk.name[:i], pk.name[i+1:]
		sts, ds := isOrdinal(suffix), len(suffix) == 5 // a generated suffix can be all digits: both
		if !sts && !ds {
			continue
		}
		np := namedPod{name: pk.name, p: p, first: ix.v.Time(load.ColTime, int(p.events[0])), firstRow: p.events[0]}
		for _, r := range p.events[1:] {
			if at := ix.v.Time(load.ColTime, int(r)); at < np.first {
				np.first, np.firstRow = at, r
			}
		}
		if sts {
			k := objKey{ix.nsList[pk.ns], "StatefulSet/" + owner}
			ix.named[k] = append(ix.named[k], np)
		}
		if ds {
			k := objKey{ix.nsList[pk.ns], "DaemonSet/" + owner}
			ix.named[k] = append(ix.named[k], np)
		}
	}
	return ix.named
}

// opsSpan is the time of w's first and last pod op.
func (w *inplaceInfo) opsSpan() (from, to int64) {
	from, to = w.ops[0].at, w.ops[0].at
	for _, o := range w.ops {
		from, to = min(from, o.at), max(to, o.at)
	}
	return from, to
}

func isOrdinal(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
