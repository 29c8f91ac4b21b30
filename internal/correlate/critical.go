package correlate

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evanalyze/evanalyze/internal/load"
)

// Critical path: what a rollout's duration is made of (docs/rollouts.md,
// "Critical path").
//
// A rollout's duration is a chain of waits: a scale step makes the
// ReplicaSet controller create a pod, the scheduler binds it, the kubelet
// pulls its image and starts it, it becomes ready, and the Deployment
// controller takes the next step. The chain is found backwards from the
// rollout's end: the pod that gated a point in time is the one whose
// readiness came last before it (Jaeger's critical path takes the child
// span that finished last, the same rule), its own milestones lead back to
// its creation, its creation to the step that asked for it, and that step
// to the pod that gated it, until the rollout's start. StatefulSets and
// DaemonSets replace pods in place: a pod's creation leads to the pod that
// was ready last before it. Every instant from start to end is in exactly
// one step of the chain, so the phases add up to the duration.

// Phases of the critical path, in the order a pod goes through them.
const (
	PathController     = "controller"      // a controller's reaction: step → pod created, pod ready → next step
	PathCreateBlocked  = "create_blocked"  // step → pod created while the controller's creates were refused (FailedCreate)
	PathSchedulingWait = "scheduling_wait" // created → scheduled
	PathImagePull      = "image_pull"      // pulling → pulled
	PathContainerStart = "container_start" // scheduled → pulling (the sandbox), pulled → started
	PathReadiness      = "readiness"       // started → ready
	PathRunning        = "running"         // a Job's pod: started → the run's end
)

// CriticalPath is the chain of waits a rollout's duration is made of.
type CriticalPath struct {
	Seconds float64    `json:"seconds"`
	Phases  PathPhases `json:"phases"`
	// Longest names the phase with the most seconds (the first in
	// PathPhases' order on a tie).
	Longest string     `json:"longest"`
	Steps   []PathStep `json:"steps"`
}

// PathPhases are the seconds of the critical path in each phase.
type PathPhases struct {
	Controller     float64 `json:"controller_seconds"`
	CreateBlocked  float64 `json:"create_blocked_seconds"`
	SchedulingWait float64 `json:"scheduling_wait_seconds"`
	ImagePull      float64 `json:"image_pull_seconds"`
	ContainerStart float64 `json:"container_start_seconds"`
	Readiness      float64 `json:"readiness_seconds"`
	Running        float64 `json:"running_seconds"`
}

// PathStep is one wait of the critical path: from one milestone to the
// next, in one phase.
type PathStep struct {
	Phase   string    `json:"phase"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Seconds float64   `json:"seconds"`
	// Pod is the pod the step waits on ("" for a controller's reaction
	// between two scale steps).
	Pod string `json:"pod,omitempty"`
	// Until is the milestone that ends the step, in words: "scaled
	// web-6ff6db9c5f 1 → 2", "pod web-6ff6db9c5f-j7pl7 scheduled".
	Until string `json:"until"`
	// Detail names the warnings seen during the wait ("Unschedulable ×4").
	Detail string `json:"detail,omitempty"`
	// Source is file:line of the record that shows the milestone that
	// ends the step, when an event shows it.
	Source string `json:"source,omitempty"`
	// AtStep is 1 + the index in the rollout's Steps of the scale step
	// that ends the wait, 0 when another milestone ends it.
	AtStep int `json:"-"`
}

// Marks returns, in one pass over the path, the names of the pods on it
// and, of the rollout's nSteps scale steps, which are on it.
func (c *CriticalPath) Marks(nSteps int) (pods map[string]bool, steps []bool) {
	steps = make([]bool, nSteps)
	if c == nil {
		return nil, steps
	}
	pods = map[string]bool{}
	for _, s := range c.Steps {
		if s.Pod != "" {
			pods[s.Pod] = true
		}
		if s.AtStep > 0 && s.AtStep <= nSteps {
			steps[s.AtStep-1] = true
		}
	}
	return pods, steps
}

// of points at the seconds of a phase; nil for an unknown one.
func (p *PathPhases) of(phase string) *float64 {
	switch phase {
	case PathController:
		return &p.Controller
	case PathCreateBlocked:
		return &p.CreateBlocked
	case PathSchedulingWait:
		return &p.SchedulingWait
	case PathImagePull:
		return &p.ImagePull
	case PathContainerStart:
		return &p.ContainerStart
	case PathReadiness:
		return &p.Readiness
	case PathRunning:
		return &p.Running
	}
	return nil
}

// PathPhaseNames are the phases in PathPhases' order.
var pathPhaseNames = [...]string{PathController, PathCreateBlocked, PathSchedulingWait, PathImagePull, PathContainerStart, PathReadiness, PathRunning}

// Seconds returns the seconds of a phase of the critical path.
func (p PathPhases) Seconds(phase string) float64 {
	if s := p.of(phase); s != nil {
		return *s
	}
	return 0
}

// PhaseWords names a phase of the critical path for people.
func PhaseWords(phase string) string {
	switch phase {
	case PathController:
		return "controller"
	case PathCreateBlocked:
		return "pod creation blocked"
	case PathSchedulingWait:
		return "scheduling wait"
	case PathImagePull:
		return "image pull"
	case PathContainerStart:
		return "container start"
	case PathReadiness:
		return "readiness"
	case PathRunning:
		return "running"
	}
	return phase
}

// Summary says in one line what took the longest: "image pull 62s of 78s".
func (c *CriticalPath) Summary() string {
	if c == nil || c.Longest == "" {
		return ""
	}
	return PhaseWords(c.Longest) + " " + fmtSec(c.Phases.Seconds(c.Longest)) + " of " + fmtSec(c.Seconds)
}

func fmtSec(s float64) string { return strconv.FormatFloat(s, 'f', 1, 64) + "s" }

// milestone is a point of a pod's way to ready: the phase of the wait that
// ends at it.
type milestone struct {
	at     time.Time
	phase  string
	what   string
	reason string // of the event that shows it
}

// podMilestones appends the known milestones of p after its creation to
// ms, in the order a pod reaches them (a wait that ends before it starts,
// as whole-second times can, counts as none).
func podMilestones(ms []milestone, p *Pod) []milestone {
	add := func(t *time.Time, phase, what, reason string) {
		if t != nil {
			ms = append(ms, milestone{at: *t, phase: phase, what: what, reason: reason})
		}
	}
	add(p.Scheduled, PathSchedulingWait, "scheduled", "Scheduled")
	pulled := p.Pulled != nil && (p.Pulling == nil || !p.Pulling.Equal(*p.Pulled))
	if pulled {
		add(p.Pulling, PathContainerStart, "pulling its image", "Pulling")
		add(p.Pulled, PathImagePull, "image pulled", "Pulled")
	} else {
		add(p.Pulled, PathContainerStart, "image present", "Pulled")
	}
	add(p.Started, PathContainerStart, "started", "Started")
	add(p.Ready, PathReadiness, "ready", "")
	return ms
}

// stuckPhase is the phase of a pod's wait after its last milestone when
// it never got further: the phase its failure signals belong to, else
// the phase that comes next.
func stuckPhase(p *Pod, last string) string {
	best := ""
	rank := func(ph string) int { return slices.Index(pathPhaseNames[:], ph) }
	for sig := range p.Warnings {
		ph := signalPhase(sig)
		if ph != "" && (best == "" || rank(ph) > rank(best)) {
			best = ph
		}
	}
	if best != "" {
		return best
	}
	switch last {
	case "":
		return PathSchedulingWait
	case "scheduled", "pulling its image":
		return PathImagePull
	case "image pulled", "image present":
		return PathContainerStart
	}
	return PathReadiness
}

// signalPhase is the phase a failure signal (FailureSignal) holds up.
func signalPhase(sig string) string {
	switch sig {
	case "Unschedulable":
		return PathSchedulingWait
	case "ErrImagePull", "ImagePullBackOff":
		return PathImagePull
	case "CrashLoopBackOff", "CreateContainerError", "CreateContainerConfigError", "FailedMount",
		"FailedCreatePodSandBox", "FailedCreatePodContainer", "OOMKilled", "Failed":
		return PathContainerStart
	case "Unhealthy":
		return PathReadiness
	}
	return ""
}

// tolerance is how much later than t a time may be and still come before
// it: events in core/v1 carry whole seconds, so a time of a whole second
// stands for any instant of that second.
func tolerance(t time.Time) time.Duration {
	if t.Nanosecond() == 0 {
		return time.Second
	}
	return 0
}

// walk is the state of criticalPath's walk back from a rollout's end.
type walk struct {
	r      *Rollout
	v      *load.View
	used   []bool     // pods already on the chain
	rev    []PathStep // the chain, last step first
	t      time.Time  // the point reached
	until  string     // the milestone at t, in words
	source string     // file:line of the record that shows it
	atStep int        // 1 + the index of the scale step at t, 0 for none
	atPod  string     // the pod created at t, "" for none

	created []time.Time  // of each pod (podCreated)
	done    []*time.Time // of each pod (doneAt)
	rows    [][]int32    // of each pod: the rows of its events in the evidence
	creates []int32      // rows of the controller's SuccessfulCreate events
	refused []int32      // rows of FailedCreate events
	ms      []milestone  // scratch of walk.pod
}

// reset starts a walk back from the end of r, reusing the walk's memory:
// it fills the per-pod times and the evidence rows it looks up.
func (w *walk) reset(r *Rollout, v *load.View) {
	n := len(r.Pods)
	*w = walk{r: r, v: v, t: *r.End, until: "the rollout's end (" + r.Outcome + ")",
		used: grow(w.used, n), rev: w.rev[:0], created: grow(w.created, n), done: grow(w.done, n),
		rows: grow(w.rows, n), creates: w.creates[:0], refused: w.refused[:0], ms: w.ms[:0]}
	job := r.Kind == "Job"
	for i := range r.Pods {
		p := &r.Pods[i]
		w.used[i], w.created[i], w.done[i], w.rows[i] = false, podCreated(p), doneAt(p, job), w.rows[i][:0]
	}
	if v == nil {
		return
	}
	for _, e := range r.Evidence {
		switch {
		case e.Pod >= 0 && int(e.Pod) < len(w.rows):
			w.rows[e.Pod] = append(w.rows[e.Pod], e.Row)
		case w.v.Str(load.ColReason, int(e.Row)) == "SuccessfulCreate":
			w.creates = append(w.creates, e.Row)
		}
		if w.v.Str(load.ColReason, int(e.Row)) == "FailedCreate" {
			w.refused = append(w.refused, e.Row)
		}
	}
}

// grow returns s with length n, its first n elements as they were.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		s = append(s[:cap(s)], make([]T, n-cap(s))...)
	}
	return s[:n]
}

// criticalPath computes a rollout's critical path; v is the event table
// r.Evidence points into. A rollout without an end has none. The walk's
// memory is reused from one rollout to the next.
func (w *walk) criticalPath(r *Rollout, v *load.View) *CriticalPath {
	if r.End == nil || r.End.Before(r.Start) {
		return nil
	}
	w.reset(r, v)
	atEnd := true
	for guard := 2*len(r.Pods) + len(r.Steps) + 2; w.t.After(r.Start) && guard > 0; guard-- {
		g := w.gatingPod(atEnd)
		atEnd = false
		if g < 0 {
			// Nothing gated the point: the controller took it from
			// the step before, or from the start.
			prev := w.previousStep()
			if prev < 0 {
				w.wait(r.Start, "", "")
				break
			}
			s := &r.Steps[prev]
			w.wait(s.At, "", "")
			w.until, w.source, w.atStep = stepWords(s), s.Source, prev+1
			continue
		}
		w.used[g] = true
		w.pod(g)
		// The pod's creation: a Deployment's pods are asked for by a
		// scale step of their ReplicaSet; the pods of StatefulSets,
		// DaemonSets and Jobs by their controller, once the pod before
		// was ready (the next turn finds it).
		if k := w.creatingStep(w.t); k >= 0 {
			s := &r.Steps[k]
			w.wait(s.At, r.Pods[g].Name, "")
			w.until, w.source, w.atStep = stepWords(s), s.Source, k+1
		}
	}
	cp := &CriticalPath{Seconds: r.End.Sub(r.Start).Seconds()}
	n := 0
	for i := range w.rev {
		if s := &w.rev[i]; s.Seconds != 0 || s.Phase != PathController {
			n++ // else a reaction of no time: nothing to show
		}
	}
	cp.Steps = make([]PathStep, 0, n)
	for i := len(w.rev) - 1; i >= 0; i-- {
		s := &w.rev[i]
		if s.Seconds == 0 && s.Phase == PathController {
			continue
		}
		cp.Steps = append(cp.Steps, *s)
		*cp.Phases.of(s.Phase) += s.Seconds
	}
	best := 0.0
	for _, ph := range pathPhaseNames {
		if s := cp.Phases.Seconds(ph); s > best {
			best, cp.Longest = s, ph
		}
	}
	return cp
}

// step adds the wait from from to the point, in phase, and moves the
// point to from (never before the rollout's start or after the point).
func (w *walk) step(phase string, from time.Time, pod, detail string) {
	if from.Before(w.r.Start) {
		from = w.r.Start
	}
	if from.After(w.t) {
		from = w.t
	}
	w.rev = append(w.rev, PathStep{Phase: phase, From: from, To: w.t, Seconds: w.t.Sub(from).Seconds(),
		Pod: pod, Until: w.until, Detail: detail, Source: w.source, AtStep: w.atStep})
	w.t, w.atStep, w.atPod = from, 0, ""
}

// wait adds a controller's wait from from: pod creation blocked when the
// controller's creates were refused (FailedCreate) during it.
func (w *walk) wait(from time.Time, pod, detail string) {
	if pod == "" {
		pod = w.atPod // a wait for a pod's creation is on the pod
	}
	if n, msg := w.failedCreates(from, w.t); n > 0 {
		w.step(PathCreateBlocked, from, pod, fmt.Sprintf("FailedCreate ×%d: %s", n, msg))
		return
	}
	w.step(PathController, from, pod, detail)
}

// pod adds the waits of pod g from the point back to its creation.
func (w *walk) pod(g int) {
	p := &w.r.Pods[g]
	w.ms = podMilestones(w.ms[:0], p)
	ms := w.ms
	created := w.created[g]
	n := 0 // the milestones reached by the point
	for n < len(ms) && !ms[n].at.After(w.t.Add(tolerance(w.t))) {
		n++
	}
	ms = ms[:n]
	last := ""
	if n > 0 {
		last = ms[n-1].what
	}
	job := w.r.Kind == "Job"
	switch {
	case job && (last == "started" || last == "ready"):
		// A Job's pod runs to its end (the archive has no time for
		// it): running until the point, the next pod's creation or
		// the run's end, the controller's reaction in it.
		w.step(PathRunning, ms[n-1].at, p.Name, "")
	case last == "ready":
		w.step(PathController, ms[n-1].at, "", "")
	case last == "started" && p.Ready == nil:
		// Ready by no record the archive has (a kubelet reports no
		// event for it): readiness until the point, the controller's
		// reaction in it.
		w.step(PathReadiness, ms[n-1].at, p.Name, warningsOf(p, PathReadiness))
	default:
		// The pod got no further by the point.
		ph := stuckPhase(p, last)
		from := created
		if n > 0 {
			from = ms[n-1].at
		}
		w.step(ph, from, p.Name, warningsOf(p, ph))
	}
	for i := n - 1; i >= 0; i-- {
		m := ms[i]
		w.until, w.source = "pod "+p.Name+" "+m.what, w.podSource(g, m.reason, m.at)
		from := created
		if i > 0 {
			from = ms[i-1].at
		}
		w.step(m.phase, from, p.Name, warningsOf(p, m.phase))
	}
	w.until, w.source, w.atPod = "pod "+p.Name+" created", w.podSource(g, "SuccessfulCreate", created), p.Name
}

// gatingPod is the index of the pod not yet on the chain that the point
// waited for, -1 for none: of the pods created before it, the one whose
// readiness (else start) came last by it. At the end of a rollout that
// did not complete, a pod that never got that far is what it waited
// for: the first created of them.
func (w *walk) gatingPod(atEnd bool) int {
	best, bestAt := -1, time.Time{}
	stuck, stuckAt := -1, time.Time{}
	tol := tolerance(w.t)
	for i := range w.r.Pods {
		if w.used[i] {
			continue
		}
		created := w.created[i]
		if created.IsZero() || !created.Before(w.t.Add(tol)) {
			continue
		}
		d := w.done[i]
		if d == nil || d.After(w.t.Add(tol+tolerance(*d))) {
			if stuck < 0 || created.Before(stuckAt) {
				stuck, stuckAt = i, created
			}
			continue
		}
		if best < 0 || d.After(bestAt) {
			best, bestAt = i, *d
		}
	}
	if atEnd && w.r.Outcome != OutcomeComplete && stuck >= 0 {
		return stuck
	}
	return best
}

// doneAt is when a pod was ready, else started (the archive shows no
// readiness), nil when neither is known.
func doneAt(p *Pod, job bool) *time.Time {
	if p.Ready != nil && !job {
		return p.Ready
	}
	return p.Started
}

// podCreated is a pod's creation, else its first milestone; zero when
// nothing is known.
func podCreated(p *Pod) time.Time {
	for _, t := range [...]*time.Time{p.Created, p.Scheduled, p.Pulling, p.Pulled, p.Started, p.Ready} {
		if t != nil {
			return *t
		}
	}
	return time.Time{}
}

// auditLag is how much later than a pod's creation the audit record of
// the scale step that asked for it may be: an audit record's time is when
// the API server completed its response, and the ReplicaSet controller
// can see the write and create the pod before that.
const auditLag = 100 * time.Millisecond

// creatingStep is the index of the scale step of the rollout's new
// ReplicaSet that asked for a pod created at t: the last scale-up at or
// before it; -1 for none (workloads without steps).
func (w *walk) creatingStep(t time.Time) int {
	k := -1
	for i := range w.r.Steps {
		st := &w.r.Steps[i]
		if st.ReplicaSet == w.r.NewReplicaSet && st.To > st.From && !st.At.After(t.Add(tolerance(st.At)+tolerance(t)+auditLag)) {
			if k < 0 || !st.At.Before(w.r.Steps[k].At) {
				k = i
			}
		}
	}
	return k // a step of the same second as t: a wait of none (walk.step)
}

// previousStep is the index of the last scale step before the point, -1
// for none.
func (w *walk) previousStep() int {
	prev := -1
	for i := range w.r.Steps {
		if w.r.Steps[i].At.Before(w.t) && (prev < 0 || !w.r.Steps[i].At.Before(w.r.Steps[prev].At)) {
			prev = i
		}
	}
	return prev
}

func stepWords(s *Step) string {
	return fmt.Sprintf("scaled %s %d → %d", s.ReplicaSet, s.From, s.To)
}

// warningsOf names a pod's failure signals of one phase: "Unschedulable ×4".
func warningsOf(p *Pod, phase string) string {
	var out []string
	for _, sig := range slices.Sorted(maps.Keys(p.Warnings)) {
		if signalPhase(sig) == phase {
			out = append(out, fmt.Sprintf("%s ×%d", sig, p.Warnings[sig]))
		}
	}
	return strings.Join(out, ", ")
}

func sortedSignals(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// podSource is file:line of the event of pod g with the reason that is
// nearest to at; "" when no event of the rollout's evidence shows it.
func (w *walk) podSource(g int, reason string, at time.Time) string {
	if reason == "" || w.v == nil {
		return ""
	}
	name := w.r.Pods[g].Name
	best, bestD := -1, time.Duration(1<<63-1)
	look := func(rows []int32, named bool) {
		for _, row := range rows {
			i := int(row)
			if w.v.Str(load.ColReason, i) != reason || named && !namesPod(w.v.Str(load.ColMessage, i), name) {
				continue
			}
			if d := time.Unix(0, podEventAt(w.v, i).first).Sub(at).Abs(); d < bestD {
				best, bestD = i, d
			}
		}
	}
	look(w.rows[g], false)
	if reason == "SuccessfulCreate" {
		look(w.creates, true) // the controller's event names the pod it created
	}
	if best < 0 {
		return ""
	}
	return w.v.Str(load.ColSourceFile, best) + ":" + strconv.FormatInt(w.v.Int64(load.ColSourceLine, best), 10)
}

// failedCreates counts the refused creates (FailedCreate events of the
// rollout) that overlap from..to, with the latest message: the count of
// each event (the largest an observation of it shows), summed.
func (w *walk) failedCreates(from, to time.Time) (int, string) {
	if w.v == nil {
		return 0, ""
	}
	var counts map[string]int
	msg, msgAt := "", int64(0)
	for _, row := range w.refused {
		i := int(row)
		pe := podEventAt(w.v, i)
		first, last := time.Unix(0, pe.first), time.Unix(0, pe.at)
		if last.Before(from.Add(-tolerance(last))) || first.After(to) {
			continue
		}
		if counts == nil {
			counts = map[string]int{}
		}
		name := w.v.Str(load.ColName, i)
		counts[name] = max(counts[name], int(max(pe.count, 1)))
		if msg == "" || pe.at >= msgAt {
			msg, msgAt = strings.TrimPrefix(pe.msg, combinedPrefix), pe.at
		}
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n, msg
}

// namesPod reports whether a controller's create message names pod:
// "Created pod: NAME" (ReplicaSets, DaemonSets, Jobs), "create Pod NAME in
// StatefulSet ... successful".
func namesPod(msg, pod string) bool {
	i := strings.Index(msg, pod)
	if i <= 0 || msg[i-1] != ' ' {
		return false
	}
	rest := msg[i+len(pod):]
	return rest == "" || rest[0] == ' '
}

// PathPhaseNames are the phases of the critical path in PathPhases'
// order.
func PathPhaseNames() []string { return slices.Clone(pathPhaseNames[:]) }
