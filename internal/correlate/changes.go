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

// Reading the changes table (the audit log's writes): triggers, creations,
// in-place updates, pod status and failure signals.

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
			if sub != "" && sub != "scale" || verb == "delete" {
				continue // the scale subresource: who scaled (kubectl scale, an HPA)
			}
			changed, _ := load.ChangeBool(rec, load.CSpecChanged, i)
			change := str(load.CChange, i)
			if sub == "scale" && !strings.HasPrefix(change, "replicas ") {
				continue
			}
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
				change: change, specChanged: changed, trigger: changed, onDelete: str(load.CStrategy, i) == "OnDelete",
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
		kind, name, _ := strings.Cut(op.workload.name, "/")
		if fromEvents[op.workload] {
			// The events may lack some creates: the event recorder's spam
			// filter drops a busy object's events past a burst of 25 (a
			// DaemonSet on many nodes). A create no event reported within
			// a few seconds is added; deletes are not (an eviction's
			// delete is not the controller's).
			w := ix.inplaces[op.workload]
			if !op.create || slices.ContainsFunc(w.ops, func(o podOp) bool {
				return o.create && o.pod == op.pod && o.at > op.at-int64(5*time.Second) && o.at < op.at+int64(5*time.Second)
			}) {
				continue
			}
		}
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
		ix.auditedDeps[dk] = true
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
		name, _ := get(load.KName)
		waiting, _ := get(load.KWaitingReason)
		last, _ := get(load.KLastTerminatedReason)
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
		t, _ := get(load.DType)
		s, _ := get(load.DStatus)
		r, _ := get(load.DReason)
		m, _ := get(load.DMessage)
		_, at := get(load.DLastTransition)
		return cond{typ: t, status: s, reason: r, message: m, at: at}
	})
}

func maxRestarts(rec arrow.Record, i int) int {
	m := 0
	for _, n := range listOfStructs(rec, load.CContainers, i, func(get func(field int) (string, int64)) int {
		_, n := get(load.KRestarts)
		return int(n)
	}) {
		m = max(m, n)
	}
	return m
}
