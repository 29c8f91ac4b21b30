package correlate

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/evanalyze/evanalyze/internal/load"
)

// The index: what correlation knows of a partition's workloads, ReplicaSets
// and pods as it reads the event and changes tables.

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
	delta  int    // a step inferred from pod creates (+n) or deletes (-n): From and To follow the count before it
	// inferred: no event or audit write reports the step (gapSteps,
	// inferSteps): the rollout it is in is partial.
	inferred bool
	ScaleStep
}

// gap is a combined ScalingReplicaSet event of which fewer observations
// are loaded than its count: the scale steps between its first and last
// time are missing (a snapshot keeps only the last message).
type gap struct {
	first, last int64
	count, seen int32
	source      string
}

// depInfo is one Deployment object (a name can be several objects over
// time: steps carry the uid they were reported with).
type depInfo struct {
	key   objKey
	uid   string
	steps []step
	gaps  map[string]*gap // by event name
	open  []*gap          // those with fewer observations than their count, by name (gapSteps)
}

// specWrite is a write to a Deployment from the audit log.
type specWrite struct {
	at                   int64
	user, agent, auditID string
	source               string // file:line of the audit record
	change               string
	specChanged          bool
	trigger              bool // a spec change or a resume: can start a rollout
	onDelete             bool // the workload's update strategy is OnDelete
}

// index is everything correlation reads, grouped by object.
type index struct {
	deps        map[objKey]*depInfo
	pods        map[podKey]*podInfo
	nsIDs       map[nsKey]int32       // namespace -> its podKey.ns
	nsList      []nsKey               // podKey.ns -> namespace
	rsPods      map[objKey][]*podInfo // pods a ReplicaSet created, in order
	rsOwner     map[objKey]string     // ReplicaSet -> Deployment name (audit)
	rules       Rules
	signals     map[*Rollout][]failure // failure signals of StatefulSet and DaemonSet rollouts not complete, until their outcome is decided
	auditedDeps map[objKey]bool        // Deployments whose ReplicaSet replica writes the audit log has
	rsRev       map[objKey][]revAt     // ReplicaSet revision annotations over time
	writes      map[objKey][]specWrite
	deadlines   map[objKey][]int64 // ProgressDeadlineExceeded times per Deployment
	jobs        map[objKey]*jobInfo
	inplaces    map[objKey]*inplaceInfo // StatefulSets and DaemonSets, by "Kind/name"
	v           *load.View              // the event table
	end         int64                   // last time in the archive
	times       []time.Time             // slab for tp
	podSlab     []podInfo               // slab for pod
	candidates  []*podInfo              // scratch for finish
	rsWrites    []rsWrite               // ReplicaSet replica counts from the audit log
	rsFailures  map[objKey][]failure    // FailedCreate and other failure signals of ReplicaSets
	auditOps    []auditOp               // StatefulSet and DaemonSet pod creates and deletes from the audit log
	firstSeen   map[objKey]int64        // see podsFirstSeen
	named       map[objKey][]namedPod   // see namedPods
	objRows     map[workloadKey][]int32 // rows of the events of workloads and ReplicaSets (evidenceKinds), in row order
	owned       map[objKey][]*podInfo   // see ownedPods
}

type revAt struct {
	at       int64
	revision string
	history  string
	uid      string // of the ReplicaSet object
}

func newIndex(rules Rules) *index {
	return &index{rules: rules,
		deps: map[objKey]*depInfo{}, rsFailures: map[objKey][]failure{}, pods: map[podKey]*podInfo{}, nsIDs: map[nsKey]int32{}, rsPods: map[objKey][]*podInfo{},
		rsOwner: map[objKey]string{}, auditedDeps: map[objKey]bool{}, signals: map[*Rollout][]failure{}, rsRev: map[objKey][]revAt{}, writes: map[objKey][]specWrite{},
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
