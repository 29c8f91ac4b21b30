// Package timeline merges what happened in a time window into one
// chronological story for post-incident reviews: workload changes with
// their actor (audit logs), rollout starts and ends with outcomes, scaling
// actions, warnings and failure events with repeats collapsed, and node
// events; with a summary of what changed, what failed first, what
// recovered and what was still broken. docs/timeline.md states the rules.
// The timeline is written here as text, Markdown, JSON and HTML.
package timeline

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load"
)

// Entry kinds.
const (
	KindChange   = "change"
	KindRollout  = "rollout"
	KindScaling  = "scaling"
	KindWarning  = "warning"
	KindNode     = "node"
	KindEvent    = "event" // other events, with Verbose
	SevInfo      = "info"
	SevWarning   = "warning"
	SevError     = "error"
	maxSourceRef = 20
)

// Entry is one line of the timeline.
type Entry struct {
	Time      time.Time  `json:"time"`
	Until     *time.Time `json:"until,omitempty"` // last repeat of a collapsed entry
	Cluster   string     `json:"cluster"`
	Namespace string     `json:"namespace,omitempty"`
	Object    string     `json:"object"` // kind/name
	Kind      string     `json:"kind"`
	Actor     string     `json:"actor,omitempty"`
	Summary   string     `json:"summary"`
	Severity  string     `json:"severity"`
	Count     int        `json:"count,omitempty"`
	Sources   []string   `json:"sources"` // file:line of the records behind it
	// RolloutSignal marks a failure signal (docs/rollouts.md) on a pod or
	// ReplicaSet of a rollout: what a review reads first.
	RolloutSignal bool `json:"rollout_signal,omitempty"`

	order int // among entries of one object at one time: rollout seq*2, +1 for an end
}

// Options select the window and the scope.
type Options struct {
	Since, Until time.Time // zero: open
	Cluster      string
	Namespace    string
	Workload     string // kind/name, e.g. deployment/web
	Node         string
	Verbose      bool // include Normal events instead of folding them into rollouts
	ShowBenign   bool // list events of known-benign reasons (Benign) instead of counting them
}

// Benign are warning reasons known to be harmless, folded into one count
// per reason in the summary unless ShowBenign (docs/timeline.md lists them
// with why).
var Benign = map[string]bool{
	// OpenShift's library-go controller factory warns at every controller
	// start when its resync interval is short (0s or 10s), on every
	// operator start: dozens per operator restart on a must-gather.
	"FastControllerResync": true,
}

// Timeline is the result.
type Timeline struct {
	Since, Until time.Time      // the window; zero: open (null in JSON)
	Summary      []string       `json:"summary"`
	Entries      []Entry        `json:"entries"`
	Folded       map[string]int `json:"folded,omitempty"` // events of known-benign reasons left out, by reason
}

// MarshalJSON writes {"since", "until", "summary", "entries"}, an open end
// of the window as null.
func (tl *Timeline) MarshalJSON() ([]byte, error) {
	end := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	return json.Marshal(struct {
		Since   *time.Time     `json:"since"`
		Until   *time.Time     `json:"until"`
		Summary []string       `json:"summary"`
		Entries []Entry        `json:"entries"`
		Folded  map[string]int `json:"folded,omitempty"`
	}{end(tl.Since), end(tl.Until), tl.Summary, tl.Entries, tl.Folded})
}

// noise are Normal events folded into rollout lines unless Verbose.
var noise = map[string]bool{
	"Pulling": true, "Pulled": true, "Created": true, "Started": true, "Scheduled": true, "SuccessfulCreate": true,
	"SuccessfulDelete": true, "ScalingReplicaSet": true, "Killing": true, "Completed": true, "SawCompletedJob": true,
}

func (o Options) inWindow(t time.Time) bool {
	return (o.Since.IsZero() || !t.Before(o.Since)) && (o.Until.IsZero() || !t.After(o.Until))
}

// inScope: the cluster and namespace, and the workload. The events of a
// workload's ReplicaSets and pods are in scope by its rollouts' evidence
// (evidenceRows), not by their names.
func (o Options) inScope(cluster, ns, kind, name string) bool {
	if o.Cluster != "" && cluster != o.Cluster || o.Namespace != "" && ns != o.Namespace {
		return false
	}
	return o.Workload == "" || strings.EqualFold(o.Workload, kind+"/"+name)
}

// evidenceRows marks the rows of the event table (n rows) that are
// evidence of a rollout of the workload in scope: the events of its
// ReplicaSets and pods that correlation gave it (correlate.Evidence).
// Nil without a workload.
func evidenceRows(res correlate.Result, o Options, n int) []bool {
	if o.Workload == "" {
		return nil
	}
	rows := make([]bool, n)
	for _, r := range res.Rollouts {
		if !o.inScope(r.Cluster, r.Namespace, strings.ToLower(r.Kind), r.Name) {
			continue
		}
		for _, e := range r.Evidence {
			if int(e.Row) < n {
				rows[e.Row] = true
			}
		}
	}
	return rows
}

// Rollouts returns the rollouts in scope that overlap the window, for the
// chart.
func Rollouts(res correlate.Result, o Options) []correlate.Rollout {
	var out []correlate.Rollout
	for _, r := range res.Rollouts {
		_, end := r.Interval()
		if !o.inScope(r.Cluster, r.Namespace, strings.ToLower(r.Kind), r.Name) || o.Node != "" && !onNode(&r, o.Node) ||
			!o.Until.IsZero() && r.Start.After(o.Until) || !o.Since.IsZero() && end.Before(o.Since) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// Build makes the timeline of the window from one archive's tables and
// its correlation result.
func Build(events, changes arrow.Record, res correlate.Result, o Options) *Timeline {
	b := NewBuilder(o)
	b.Add(events, changes, res)
	return b.Timeline()
}

// A Builder makes the timeline of a window from archives read one at a
// time (archive.LoadEach: clusters, or groups of a cluster's namespaces):
// the timeline of the archives added is that of one archive of them all.
// It keeps the entries in the window and the rollouts, not the tables.
type Builder struct {
	o       Options
	folded  map[string]int
	entries []Entry
	nodes   []int // entries of node problems, which name the pods they hit
	res     correlate.Result
}

// NewBuilder returns a Builder of the window and scope of o.
func NewBuilder(o Options) *Builder { return &Builder{o: o} }

// Add adds the entries of one archive: its event and changes tables (either
// may be nil) and what correlation made of them. The tables are not kept;
// res's rollouts are, without their evidence.
func (b *Builder) Add(events, changes arrow.Record, res correlate.Result) {
	o := b.o
	in, scope := o.inWindow, o.inScope

	// Changes with their actor.
	if changes != nil {
		str := func(col, i int) string { return load.ChangeString(changes, col, i) }
		for i := 0; i < int(changes.NumRows()); i++ {
			t := time.Unix(0, load.ChangeTime(changes, load.CRequestTime, i)).UTC()
			change := str(load.CChange, i)
			code, _ := load.ChangeInt32(changes, load.CCode, i)
			kind := resourceKind(str(load.CResource, i))
			// An eviction (kubectl drain, a node's pressure, the
			// descheduler): a fact of its own, belonging to no rollout.
			eviction := str(load.CResource, i) == "pods" && str(load.CSubresource, i) == "eviction" && str(load.CVerb, i) == "create"
			if eviction {
				kind, change = "pod", "evicted"
			}
			if kind == "" || (change == "" && code < 400) || str(load.COwnerKind, i) != "" && !eviction || str(load.CSubresource, i) == "status" {
				continue
			}
			if !in(t) || !scope(str(load.CCluster, i), str(load.CNamespace, i), kind, str(load.CName, i)) || o.Node != "" {
				continue
			}
			e := Entry{Time: t, Cluster: str(load.CCluster, i), Namespace: str(load.CNamespace, i), Object: kind + "/" + str(load.CName, i),
				Kind: KindChange, Actor: str(load.CUser, i), Severity: SevInfo,
				Sources: []string{fmt.Sprintf("%s:%d", str(load.CSourceFile, i), load.ChangeInt64(changes, load.CSourceLine, i))}}
			e.Summary = str(load.CVerb, i) + " " + change
			switch {
			case eviction && code >= 400:
				e.Severity = SevWarning // a PodDisruptionBudget said no
				e.Summary = fmt.Sprintf("eviction refused (%d %s)", code, str(load.CStatusReason, i))
			case eviction:
				e.Summary = "evicted"
			case code >= 400:
				e.Severity = SevWarning
				e.Summary = fmt.Sprintf("%s denied (%d %s)", str(load.CVerb, i), code, str(load.CStatusReason, i))
			}
			b.entries = append(b.entries, e)
		}
	}

	// Rollout starts and ends.
	for _, r := range res.Rollouts {
		if !scope(r.Cluster, r.Namespace, strings.ToLower(r.Kind), r.Name) || o.Node != "" && !onNode(&r, o.Node) {
			continue
		}
		obj := strings.ToLower(r.Kind) + "/" + r.Name
		actor := ""
		if r.Trigger != nil {
			actor = r.Trigger.User
		}
		if in(r.Start) {
			s := fmt.Sprintf("rollout %d started", r.Seq)
			if r.Revision != "" {
				s += " (revision " + r.Revision + ")"
			}
			if r.Rollback {
				s += ", a rollback"
			}
			if len(r.Changes) > 0 {
				s += ": " + strings.Join(r.Changes, "; ")
			}
			b.entries = append(b.entries, Entry{Time: r.Start, Cluster: r.Cluster, Namespace: r.Namespace, Object: obj, Kind: KindRollout,
				Actor: actor, Summary: s, Severity: SevInfo, Sources: rolloutSources(&r, true), order: 2 * r.Seq})
		}
		if r.End != nil && in(*r.End) {
			sev, s := SevInfo, fmt.Sprintf("rollout %d %s after %s", r.Seq, r.Outcome, dur(r.DurationSeconds))
			if r.Outcome == correlate.OutcomeComplete {
				s = fmt.Sprintf("rollout %d complete after %s: %s up (%s)", r.Seq, dur(r.DurationSeconds), plural(len(r.Pods), "pod"), phaseText(&r))
			}
			if r.Outcome == correlate.OutcomeFailed {
				sev, s = SevError, fmt.Sprintf("rollout %d failed after %s: %s", r.Seq, dur(r.DurationSeconds), firstLine(r.FailureReason))
			}
			if cp := r.CriticalPath.Summary(); cp != "" {
				s += "; longest: " + cp
			}
			b.entries = append(b.entries, Entry{Time: *r.End, Cluster: r.Cluster, Namespace: r.Namespace, Object: obj, Kind: KindRollout,
				Summary: s, Severity: sev, Sources: rolloutSources(&r, false), order: 2*r.Seq + 1})
		}
	}
	for _, sc := range res.Scaling {
		if !in(sc.At) || !scope(sc.Cluster, sc.Namespace, strings.ToLower(sc.Kind), sc.Name) || o.Node != "" {
			continue
		}
		b.entries = append(b.entries, Entry{Time: sc.At, Cluster: sc.Cluster, Namespace: sc.Namespace, Object: strings.ToLower(sc.Kind) + "/" + sc.Name,
			Kind: KindScaling, Actor: sc.User, Summary: fmt.Sprintf("scaled %d → %d", sc.From, sc.To), Severity: SevInfo, Sources: nonEmpty(sc.Source)})
	}

	// Events: warnings and failures collapsed per object and reason; node
	// events; the rest only with Verbose.
	if events != nil {
		if b.folded == nil {
			b.folded = map[string]int{}
		}
		n := int(events.NumRows())
		for _, e := range eventEntries(load.NewView(events), in, scope, evidenceRows(res, o, n), rolloutRows(res, o, n), o, b.folded) {
			if e.Kind == KindNode && e.Severity != SevInfo {
				b.nodes = append(b.nodes, len(b.entries))
			}
			b.entries = append(b.entries, e)
		}
	}
	for _, r := range res.Rollouts {
		r.Evidence = nil // rows of tables that are not kept
		b.res.Rollouts = append(b.res.Rollouts, r)
	}
	b.res.Scaling = append(b.res.Scaling, res.Scaling...)
}

// Timeline returns the timeline of what was added, and the rollouts in
// scope that overlap the window (for the chart).
func (b *Builder) Timeline() *Timeline {
	o := b.o
	// Rollouts of several archives, in the order of one.
	correlate.SortRollouts(b.res.Rollouts)
	for _, i := range b.nodes {
		b.entries[i].Summary += podsHit(b.res, b.entries[i])
	}
	tl := &Timeline{Since: o.Since, Until: o.Until, Entries: b.entries}
	for k, n := range b.folded {
		if n > 0 {
			if tl.Folded == nil {
				tl.Folded = map[string]int{}
			}
			tl.Folded[k] = n
		}
	}
	slices.SortStableFunc(tl.Entries, func(a, b Entry) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.Cluster, b.Cluster), strings.Compare(a.Namespace, b.Namespace),
			strings.Compare(a.Object, b.Object), strings.Compare(a.Kind, b.Kind), cmp.Compare(a.order, b.order), strings.Compare(a.Summary, b.Summary))
	})
	if tl.Entries == nil {
		tl.Entries = []Entry{}
	}
	tl.Summary = summarize(tl.Entries, b.res, o.inWindow, o.inScope, o)
	if len(tl.Folded) > 0 {
		var parts []string
		total := 0
		for _, k := range slices.Sorted(maps.Keys(tl.Folded)) {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, tl.Folded[k]))
			total += tl.Folded[k]
		}
		tl.Summary = append(tl.Summary, fmt.Sprintf("folded: %s of known-benign reasons (%s); --show-benign lists them",
			plural(total, "event"), strings.Join(parts, ", ")))
	}
	return tl
}

// Rollouts returns the rollouts added that are in scope and overlap the
// window, for the chart (WriteHTML).
func (b *Builder) Rollouts() []correlate.Rollout { return Rollouts(b.res, b.o) }

// rolloutRows marks the rows of the event table (n rows) that are evidence
// of any rollout in scope: events of its ReplicaSets and pods.
func rolloutRows(res correlate.Result, o Options, n int) []bool {
	rows := make([]bool, n)
	for _, r := range res.Rollouts {
		if !o.inScope(r.Cluster, r.Namespace, strings.ToLower(r.Kind), r.Name) {
			continue
		}
		for _, e := range r.Evidence {
			if int(e.Row) < n {
				rows[e.Row] = true
			}
		}
	}
	return rows
}

// eventEntries makes the entries of events; evidence (see evidenceRows),
// when not nil, brings rows of other objects than the workload in scope;
// ofRollout (rolloutRows) marks the rows of rollouts' pods and ReplicaSets.
// Events of Benign reasons are counted in folded unless o.ShowBenign.
func eventEntries(v *load.View, in func(time.Time) bool, scope func(c, ns, k, n string) bool, evidence, ofRollout []bool, o Options, folded map[string]int) []Entry {
	type key struct{ cluster, ns, obj, reason, msg string }
	groups := map[key]*Entry{}
	var order []key
	for i := 0; i < v.Len(); i++ {
		t := time.Unix(0, v.Time(load.ColTime, i)).UTC()
		if !in(t) {
			continue
		}
		cluster, kind, name := v.Str(load.ColCluster, i), v.Str(load.ColObjectKind, i), v.Str(load.ColObjectName, i)
		ns := v.Str(load.ColObjectNamespace, i)
		if ns == "" {
			ns = v.Str(load.ColNamespace, i)
		}
		reason, msg, typ := v.Str(load.ColReason, i), v.Str(load.ColMessage, i), v.Str(load.ColType, i)
		_, failure := correlate.FailureSignal(reason, msg)
		entryKind, sev := KindEvent, SevInfo
		switch {
		case kind == "Node":
			entryKind = KindNode
			if typ == "Warning" || strings.Contains(reason, "NotReady") {
				sev = SevWarning
			}
		case typ == "Warning" || failure:
			entryKind, sev = KindWarning, SevWarning
		case !o.Verbose && noise[reason]:
			continue
		case !o.Verbose:
			continue
		}
		if kind == "Node" {
			if o.Cluster != "" && cluster != o.Cluster || o.Workload != "" || o.Namespace != "" && ns != o.Namespace {
				continue
			}
		} else if !scope(cluster, ns, strings.ToLower(kind), name) && (evidence == nil || !evidence[i]) {
			continue
		}
		if o.Node != "" && !(kind == "Node" && name == o.Node || strings.Contains(msg, o.Node) || v.Str(load.ColReportingInstance, i) == o.Node) {
			continue
		}
		n, _ := v.Int32(load.ColCount, i)
		if Benign[reason] && !o.ShowBenign {
			if v.Bool(load.ColLatest, i) {
				folded[reason] += int(max(n, 1))
			}
			continue
		}
		// Collapse repeats: same object, reason and message (less digits
		// that vary, such as counts in "0/3 nodes are available").
		k := key{cluster, ns, kind + "/" + name, reason, normalize(msg, name)}
		src := fmt.Sprintf("%s:%d", v.Str(load.ColSourceFile, i), v.Int64(load.ColSourceLine, i))
		if g := groups[k]; g != nil {
			if v.Bool(load.ColLatest, i) {
				g.Count += int(max(n, 1))
			}
			if t.After(*g.Until) {
				*g.Until = t
			}
			if len(g.Sources) < maxSourceRef && !slices.Contains(g.Sources, src) {
				g.Sources = append(g.Sources, src)
			}
			continue
		}
		e := &Entry{Time: t, Until: &t, Cluster: cluster, Namespace: ns, Object: strings.ToLower(kind) + "/" + name, Kind: entryKind,
			Actor: v.Str(load.ColReportingController, i), Summary: reason + ": " + msg, Severity: sev, Sources: []string{src},
			RolloutSignal: failure && i < len(ofRollout) && ofRollout[i] && (kind == "Pod" || kind == "ReplicaSet")}
		if v.Bool(load.ColLatest, i) {
			e.Count = int(max(n, 1))
		}
		groups[k] = e
		order = append(order, k)
	}
	out := make([]Entry, 0, len(order))
	for _, k := range order {
		e := *groups[k]
		e.Count = max(e.Count, 1)
		if !e.Until.After(e.Time) {
			e.Until = nil
		}
		if e.Count > 1 {
			over := ""
			if e.Until != nil {
				over = " over " + e.Until.Sub(e.Time).Round(time.Second).String()
			}
			reason, msg, _ := strings.Cut(e.Summary, ": ")
			e.Summary = fmt.Sprintf("%s ×%d%s: %s", reason, e.Count, over, msg)
		}
		out = append(out, e)
	}
	return out
}

// summarize says what changed, what failed first, what recovered and what
// was still broken at the end of the window.
func summarize(entries []Entry, res correlate.Result, in func(time.Time) bool, scope func(c, ns, k, n string) bool, o Options) []string {
	var out []string
	changes := 0
	for _, e := range entries {
		if e.Kind == KindChange {
			changes++
		}
	}
	rollouts := 0
	for _, r := range res.Rollouts {
		if in(r.Start) && scope(r.Cluster, r.Namespace, strings.ToLower(r.Kind), r.Name) {
			rollouts++
		}
	}
	out = append(out, fmt.Sprintf("%s, %s started", plural(changes, "workload change"), plural(rollouts, "rollout")))
	// The first failure a review reads: a failed rollout or a failure
	// signal on a rollout's pods, before other warnings (an operator's
	// complaint, a node's).
	first := -1
	for i, e := range entries {
		if e.Severity == SevError || e.RolloutSignal {
			first = i
			break
		}
	}
	if first < 0 {
		first = slices.IndexFunc(entries, func(e Entry) bool { return e.Severity == SevWarning && e.Kind == KindWarning })
	}
	if first >= 0 {
		e := entries[first]
		out = append(out, fmt.Sprintf("first failure: %s %s/%s %s", e.Time.Format(time.RFC3339), e.Namespace, e.Object, firstLine(e.Summary)))
	}
	// Recovered: a failed rollout followed by a complete one of the same
	// workload; still broken: the last rollout in the window failed or is
	// still going.
	last := map[string]correlate.Rollout{}
	var keys []string
	for _, r := range res.Rollouts {
		if !scope(r.Cluster, r.Namespace, strings.ToLower(r.Kind), r.Name) || o.Until.IsZero() == false && r.Start.After(o.Until) {
			continue
		}
		k := r.Cluster + "/" + r.Namespace + "/" + strings.ToLower(r.Kind) + "/" + r.Name
		prev, seen := last[k]
		if seen && prev.Outcome == correlate.OutcomeFailed && r.Outcome == correlate.OutcomeComplete && r.End != nil && in(*r.End) {
			out = append(out, fmt.Sprintf("recovered: %s/%s/%s at %s (rollout %d%s)", r.Namespace, strings.ToLower(r.Kind), r.Name,
				r.End.Format(time.RFC3339), r.Seq, map[bool]string{true: ", a rollback", false: ""}[r.Rollback]))
		}
		if !seen {
			keys = append(keys, k)
		}
		last[k] = r
	}
	for _, k := range keys {
		r := last[k]
		if !o.Since.IsZero() && r.End != nil && r.End.Before(o.Since) {
			continue // over before the window
		}
		obj := r.Namespace + "/" + strings.ToLower(r.Kind) + "/" + r.Name
		switch {
		case r.Outcome == correlate.OutcomeFailed && (r.End == nil || o.Until.IsZero() || !r.End.After(o.Until)):
			out = append(out, fmt.Sprintf("still broken at the end: %s (rollout %d failed: %s)", obj, r.Seq, firstLine(r.FailureReason)))
		case r.End == nil || !o.Until.IsZero() && r.End.After(o.Until):
			what := "still in progress at the end of the archive"
			if r.End != nil {
				what = fmt.Sprintf("%s at %s", r.Outcome, r.End.Format(time.RFC3339))
			}
			out = append(out, fmt.Sprintf("still rolling out at the end: %s (rollout %d, %s)", obj, r.Seq, what))
		}
	}
	return out
}

// rolloutSources are the records behind a rollout's start (its trigger and
// first scale step) or end (its last scale step).
func rolloutSources(r *correlate.Rollout, start bool) []string {
	out := []string{}
	if start {
		if r.Trigger != nil && r.Trigger.Source != "" {
			out = append(out, r.Trigger.Source)
		}
		if len(r.Steps) > 0 && r.Steps[0].Source != "" {
			out = append(out, r.Steps[0].Source)
		}
		if len(r.Sources) > 0 && r.Sources[0] != "" {
			out = append(out, r.Sources[0])
		}
		return out
	}
	if n := len(r.Steps); n > 0 && r.Steps[n-1].Source != "" {
		out = append(out, r.Steps[n-1].Source)
	}
	if n := len(r.Sources); (n > 1 || n == 1 && len(out) == 0) && r.Sources[n-1] != "" {
		out = append(out, r.Sources[n-1]) // a rollout stuck after one record ends with it
	}
	return out
}

// podsHit names the pods that were on the node of a node event when it
// happened (from the reconstructed rollouts' pods).
func podsHit(res correlate.Result, e Entry) string {
	node := strings.TrimPrefix(e.Object, "node/")
	var pods []string
	for _, r := range res.Rollouts {
		for _, p := range r.Pods {
			if p.Node != node || p.Created == nil || p.Created.After(e.Time) || p.Deleted != nil && p.Deleted.Before(e.Time) {
				continue
			}
			name := r.Namespace + "/" + p.Name
			if !slices.Contains(pods, name) {
				pods = append(pods, name)
			}
		}
	}
	if len(pods) == 0 {
		return ""
	}
	slices.Sort(pods)
	more := ""
	if len(pods) > 10 {
		more = fmt.Sprintf(" and %d more", len(pods)-10)
		pods = pods[:10]
	}
	return fmt.Sprintf(" (pods on %s: %s%s)", node, strings.Join(pods, ", "), more)
}

func nonEmpty(s ...string) []string {
	out := []string{}
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

func resourceKind(resource string) string {
	switch resource {
	case "deployments":
		return "deployment"
	case "statefulsets":
		return "statefulset"
	case "daemonsets":
		return "daemonset"
	case "jobs":
		return "job"
	case "cronjobs":
		return "cronjob"
	}
	return ""
}

func onNode(r *correlate.Rollout, node string) bool {
	for _, p := range r.Pods {
		if p.Node == node {
			return true
		}
	}
	return false
}

func dur(s *float64) string {
	if s == nil {
		return "?"
	}
	return (time.Duration(*s * float64(time.Second))).Round(100 * time.Millisecond).String()
}

func phaseText(r *correlate.Rollout) string {
	var parts []string
	add := func(n string, v *float64) {
		if v != nil {
			parts = append(parts, fmt.Sprintf("%s %s", n, dur(v)))
		}
	}
	add("scheduling", r.Phases.SchedulingWait)
	add("pull", r.Phases.ImagePull)
	add("start", r.Phases.ContainerStart)
	add("ready", r.Phases.Readiness)
	if len(parts) == 0 {
		return "no phase times"
	}
	return "slowest pod: " + strings.Join(parts, ", ")
}

// normalize keys the collapsing of repeated events: digits that vary
// (counts such as "0/3 nodes are available"), the event aggregator's
// "(combined from similar events): " prefix, and the generated names of the
// object's children (a ReplicaSet's or Job's refused pods "web-5d4f8-x7k2p",
// "report-swwjh" are NAME-xxxxx) do not tell events apart.
func normalize(msg, name string) string {
	msg = strings.TrimPrefix(msg, "(combined from similar events): ")
	if prefix := name + "-"; name != "" && strings.Contains(msg, prefix) {
		var out strings.Builder
		for {
			i := strings.Index(msg, prefix)
			if i < 0 {
				break
			}
			j := i + len(prefix)
			k := j
			for k < len(msg) && k-j <= 5 && lowerAlnum(msg[k]) {
				k++
			}
			out.WriteString(msg[:j])
			if k-j == 5 {
				out.WriteByte('*')
			} else {
				out.WriteString(msg[j:k])
			}
			msg = msg[k:]
		}
		out.WriteString(msg)
		msg = out.String()
	}
	b := []byte(msg)
	for i, c := range b {
		if c >= '0' && c <= '9' {
			b[i] = '#'
		}
	}
	return string(b)
}

func lowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// plural is "1 pod", "2 pods".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
