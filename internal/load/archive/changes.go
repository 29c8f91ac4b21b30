package archive

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/audit"
)

// buildChanges merges the stages of each request (one row per cluster and
// auditID: the completed stage wins, earlier stages fill its gaps),
// summarises what each workload write changed, and returns the changes
// table sorted by cluster, request time and audit ID.
func buildChanges(mem memory.Allocator, rows []load.ChangeRow, files []*FileStats) arrow.Record {
	byFile := map[string]*FileStats{}
	for _, f := range files {
		byFile[f.File] = f
	}
	// Stage merge.
	slices.SortFunc(rows, func(a, b load.ChangeRow) int {
		return cmp.Or(strings.Compare(a.Cluster, b.Cluster), strings.Compare(a.AuditID, b.AuditID),
			-cmp.Compare(audit.StageRank(a.Stage), audit.StageRank(b.Stage)),
			strings.Compare(a.SourceFile, b.SourceFile), cmp.Compare(a.SourceOffset, b.SourceOffset))
	})
	merged := rows[:0]
	for i := 0; i < len(rows); {
		j := i + 1
		best := rows[i]
		for j < len(rows) && rows[j].AuditID != "" && rows[j].AuditID == best.AuditID && rows[j].Cluster == best.Cluster {
			fillGaps(&best, &rows[j])
			if f := byFile[rows[j].SourceFile]; f != nil {
				f.Audit.Duplicates++
			}
			j++
		}
		if f := byFile[best.SourceFile]; f != nil {
			f.Audit.Requests++
			f.Audit.Writes++
		}
		merged = append(merged, best)
		i = j
	}
	summarize(merged)
	slices.SortFunc(merged, func(a, b load.ChangeRow) int {
		return cmp.Or(strings.Compare(a.Cluster, b.Cluster), cmp.Compare(a.RequestTime, b.RequestTime),
			strings.Compare(a.AuditID, b.AuditID), strings.Compare(a.SourceFile, b.SourceFile), cmp.Compare(a.SourceOffset, b.SourceOffset))
	})
	cb := load.NewChangeBatch(mem)
	defer cb.Release()
	for i := range merged {
		cb.Append(&merged[i])
	}
	return cb.NewRecord()
}

// fillGaps copies into best what only an earlier stage recorded.
func fillGaps(best, other *load.ChangeRow) {
	if best.RequestTime == 0 {
		best.RequestTime = other.RequestTime
	}
	if best.User == "" {
		best.User, best.Groups = other.User, other.Groups
	}
	if best.UserAgent == "" {
		best.UserAgent = other.UserAgent
	}
	if best.SourceIP == "" {
		best.SourceIP = other.SourceIP
	}
	if best.Kind == "" && other.Kind != "" {
		// The object fields came with the other stage only.
		best.Kind, best.Generation, best.Replicas, best.Containers, best.HasContainers = other.Kind, other.Generation, other.Replicas, other.Containers, other.HasContainers
		best.Paused, best.Strategy, best.Revision, best.RevisionHistory = other.Paused, other.Strategy, other.Revision, other.RevisionHistory
	}
}

// Workload resources whose spec changes are summarised.
var specResources = map[string]bool{
	"deployments": true, "statefulsets": true, "daemonsets": true, "replicasets": true, "jobs": true, "cronjobs": true,
}

// spec is what a change summary compares.
type spec struct {
	replicas   *int32
	paused     *bool
	strategy   string
	template   string // template hash, from response objects
	parts      string // the template's parts (load.ChangeRow.TemplateParts)
	partition  *int32
	containers []load.Container
	known      bool // containers were seen
}

// summarize sets SpecChanged and Change on workload writes by comparing
// each with the previous known spec of the same object.
func summarize(rows []load.ChangeRow) {
	idx := make([]int, 0, len(rows))
	for i := range rows {
		if specResources[rows[i].Resource] && (rows[i].Subresource == "" || rows[i].Subresource == "scale" || rows[i].Subresource == "status") {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(x, y int) int {
		a, b := &rows[x], &rows[y]
		return cmp.Or(strings.Compare(a.Cluster, b.Cluster), strings.Compare(a.APIGroup, b.APIGroup),
			strings.Compare(a.Resource, b.Resource), strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name),
			cmp.Compare(a.RequestTime, b.RequestTime), strings.Compare(a.AuditID, b.AuditID))
	})
	var prev *spec
	var prevKey string
	var revisions map[string]string // template hash -> the revision it had
	for _, i := range idx {
		r := &rows[i]
		key := r.Cluster + "\x00" + r.APIGroup + "\x00" + r.Resource + "\x00" + r.Namespace + "\x00" + r.Name
		if key != prevKey {
			prev, prevKey, revisions = nil, key, map[string]string{}
		}
		if r.Code >= 400 {
			continue // a failed write changed nothing
		}
		// The deployment controller writes the revision annotation after
		// the spec change; remember which template had which revision so
		// that a later return to it is recognised as a rollback.
		if r.Revision != "" && r.TemplateHash != "" && (r.Subresource == "status" || r.Verb == "update") {
			revisions[r.TemplateHash] = r.Revision
		}
		if r.Subresource == "status" {
			continue
		}
		if r.Verb == "delete" || r.Verb == "deletecollection" {
			r.Change = "deleted"
			prev = nil
			continue
		}
		cur := specOf(r)
		if r.Subresource == "scale" {
			if prev != nil && cur.replicas != nil && prev.replicas != nil && *cur.replicas != *prev.replicas {
				r.Change = fmt.Sprintf("replicas %d → %d", *prev.replicas, *cur.replicas)
				f := false
				r.SpecChanged = &f
			}
			if prev != nil && cur.replicas != nil {
				prev.replicas = cur.replicas
			}
			continue
		}
		if prev == nil {
			if r.Verb == "create" {
				t := true
				r.SpecChanged = &t
				r.Change = "created"
				if d := describe(&cur); d != "" {
					r.Change += ": " + d
				} else {
					r.Change += " (spec not in the audit record)"
				}
			}
			prev = &cur
			continue
		}
		changes, templateChanged := diff(prev, &cur)
		if rev, ok := revisions[cur.template]; ok && templateChanged && cur.template != prev.template {
			changes = append(changes, "rollback to the template of revision "+rev)
		}
		r.Change = strings.Join(changes, "; ")
		r.SpecChanged = &templateChanged
		next := cur
		if !cur.known { // a patch body without the template: keep what we knew
			next.containers, next.known, next.template = prev.containers, prev.known, prev.template
		}
		if next.template == prev.template || next.parts == "" {
			next.parts = prev.parts
		}
		if next.partition == nil {
			next.partition = prev.partition
		}
		if next.replicas == nil {
			next.replicas = prev.replicas
		}
		if next.paused == nil {
			next.paused = prev.paused
		}
		if next.strategy == "" {
			next.strategy = prev.strategy
		}
		prev = &next
	}
}

func specOf(r *load.ChangeRow) spec {
	s := spec{replicas: r.Replicas, paused: r.Paused, strategy: r.Strategy, template: r.TemplateHash, parts: r.TemplateParts,
		partition: r.Partition, known: r.HasContainers}
	if s.paused == nil && r.TemplateHash != "" && (r.Resource == "deployments" || r.Resource == "cronjobs") {
		f := false // a response object omits paused (suspend) when false
		s.paused = &f
	}
	for _, c := range r.Containers {
		s.containers = append(s.containers, load.Container{Name: c.Name, Image: c.Image, Init: c.Init, Env: c.Env, Resources: c.Resources})
	}
	return s
}

func describe(s *spec) string {
	var parts []string
	for _, c := range s.containers {
		parts = append(parts, c.Name+"="+c.Image)
	}
	if s.replicas != nil {
		parts = append(parts, fmt.Sprintf("replicas %d", *s.replicas))
	}
	return strings.Join(parts, ", ")
}

// diff lists what changed from a to b and whether the pod template did.
func diff(a, b *spec) (changes []string, template bool) {
	if b.known && a.known {
		for _, nc := range b.containers {
			oc := findContainer(a.containers, nc.Name, nc.Init)
			switch {
			case oc == nil:
				changes = append(changes, fmt.Sprintf("container %s added (%s)", nc.Name, nc.Image))
				template = true
				continue
			case oc.Image != nc.Image:
				changes = append(changes, fmt.Sprintf("image %s: %s → %s", nc.Name, oc.Image, nc.Image))
				template = true
			}
			if oc.Resources != nc.Resources {
				changes = append(changes, fmt.Sprintf("resources %s: %s → %s", nc.Name, orNone(oc.Resources), orNone(nc.Resources)))
				template = true
			}
			if oc.Env != nc.Env {
				changes = append(changes, fmt.Sprintf("env %s: %s → %s", nc.Name, orNone(oc.Env), orNone(nc.Env)))
				template = true
			}
		}
		for _, oc := range a.containers {
			if findContainer(b.containers, oc.Name, oc.Init) == nil {
				changes = append(changes, fmt.Sprintf("container %s removed", oc.Name))
				template = true
			}
		}
	}
	if a.template != "" && b.template != "" && a.template != b.template {
		named := map[string]bool{} // containers the rules above described
		if b.known && a.known {
			for _, nc := range b.containers {
				if oc := findContainer(a.containers, nc.Name, nc.Init); oc == nil || oc.Image != nc.Image || oc.Resources != nc.Resources || oc.Env != nc.Env {
					named[containerPath(nc)] = true
				}
			}
			for _, oc := range a.containers {
				if findContainer(b.containers, oc.Name, oc.Init) == nil {
					named[containerPath(oc)] = true
				}
			}
		}
		parts := partChanges(a.parts, b.parts, named)
		if len(parts) == 0 && !template {
			parts = []string{"pod template changed"}
		}
		changes = append(changes, parts...)
		template = true
	}
	if a.partition != nil && b.partition != nil && *a.partition != *b.partition {
		changes = append(changes, fmt.Sprintf("partition %d → %d", *a.partition, *b.partition))
	}
	if a.replicas != nil && b.replicas != nil && *a.replicas != *b.replicas {
		changes = append(changes, fmt.Sprintf("replicas %d → %d", *a.replicas, *b.replicas))
	}
	if b.paused != nil && (a.paused == nil && *b.paused || a.paused != nil && *a.paused != *b.paused) {
		if *b.paused {
			changes = append(changes, "paused")
		} else {
			changes = append(changes, "resumed")
		}
	}
	if a.strategy != "" && b.strategy != "" && a.strategy != b.strategy {
		changes = append(changes, fmt.Sprintf("strategy %s → %s", a.strategy, b.strategy))
	}
	return changes, template
}

// restartedAt is the template annotation kubectl rollout restart sets.
const restartedAt = "metadata.annotations.kubectl.kubernetes.io/restartedAt"

func containerPath(c load.Container) string {
	if c.Init {
		return "spec.initContainers." + c.Name
	}
	return "spec.containers." + c.Name
}

// partChanges names what changed between two templates' parts (see
// load.ChangeRow.TemplateParts): kubectl rollout restart, each label and
// annotation with its old and new value, and, as "pod template changed:
// PATHS", the other parts, except the containers in named (described
// already). Either side unknown: nothing.
func partChanges(a, b string, named map[string]bool) []string {
	if a == "" || b == "" {
		return nil
	}
	am, bm := partMap(a), partMap(b)
	keys := make([]string, 0, len(am)+len(bm))
	for k := range am {
		keys = append(keys, k)
	}
	for k := range bm {
		if _, ok := am[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out, paths []string
	for _, k := range keys {
		ov, inA := am[k]
		nv, inB := bm[k]
		if inA && inB && ov == nv || named[k] {
			continue
		}
		var what string
		switch {
		case k == restartedAt:
			out = append(out, "restart (kubectl rollout restart)")
			continue
		case strings.HasPrefix(k, "metadata.annotations."):
			what = "annotation " + strings.TrimPrefix(k, "metadata.annotations.")
		case strings.HasPrefix(k, "metadata.labels."):
			what = "label " + strings.TrimPrefix(k, "metadata.labels.")
		default:
			paths = append(paths, k)
			continue
		}
		switch {
		case !inA:
			out = append(out, what+" added ("+shortValue(nv)+")")
		case !inB:
			out = append(out, what+" removed ("+shortValue(ov)+")")
		default:
			out = append(out, what+": "+shortValue(ov)+" → "+shortValue(nv))
		}
	}
	if len(paths) > 0 {
		out = append(out, "pod template changed: "+strings.Join(paths, ", "))
	}
	return out
}

func partMap(s string) map[string]string {
	m := map[string]string{}
	for line := range strings.SplitSeq(s, "\n") {
		k, v, _ := strings.Cut(line, "=")
		m[k] = v
	}
	return m
}

// shortValue cuts a long value (a config checksum) to its first 12 bytes.
func shortValue(v string) string {
	if len(v) <= 20 {
		return v
	}
	cut := 12
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut] + "…"
}

func findContainer(cs []load.Container, name string, init bool) *load.Container {
	for i := range cs {
		if cs[i].Name == name && cs[i].Init == init {
			return &cs[i]
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// applyPatches turns event patches into full observations: each takes the
// fields the patch does not carry from an observation of the same event
// (one from an export when there is one, as those have the uid), and is
// returned as a batch for merge. A patch of an event seen nowhere else is
// kept with only its own fields.
func applyPatches(mem memory.Allocator, batches []arrow.Record, patches []eventPatch, scope *load.Scope, files []*FileStats) arrow.Record {
	type ref struct {
		v     *load.View
		i     int
		audit bool
	}
	want := map[string]bool{}
	key := func(cluster, ns, name string) string { return cluster + "\x00" + ns + "\x00" + name }
	for _, p := range patches {
		want[key(load.ClusterOrDefault(p.cluster), p.namespace, p.name)] = true
	}
	base := map[string]ref{}
	for _, b := range batches {
		v := load.NewView(b)
		for i := 0; i < v.Len(); i++ {
			k := key(v.Str(load.ColCluster, i), v.Str(load.ColNamespace, i), v.Str(load.ColName, i))
			if !want[k] {
				continue
			}
			isAudit := v.Str(load.ColAPI, i) == load.APIAudit
			if old, ok := base[k]; !ok || old.audit && !isAudit {
				base[k] = ref{v, i, isAudit}
			}
		}
	}
	out := load.NewDecodeBatch(mem)
	defer out.Release()
	var row load.EventRow
	for i := range patches {
		p := &patches[i]
		if b, ok := base[key(load.ClusterOrDefault(p.cluster), p.namespace, p.name)]; ok {
			b.v.Row(b.i, &row)
			row.ResourceVersion = nil
		} else {
			row.Reset()
			row.Namespace, row.Name = []byte(p.namespace), []byte(p.name)
		}
		row.API = load.APIAudit
		if p.message != "" {
			row.Message = []byte(p.message)
		}
		if p.hasCount {
			row.Count, row.HasCount = p.count, true
		}
		if p.hasSeriesCount {
			row.SeriesCount, row.HasSeriesCount = p.seriesCount, true
		}
		if p.last != 0 {
			row.Last = p.last
		}
		if p.seriesLast != 0 {
			row.SeriesLast = p.seriesLast
		}
		if !scope.IsZero() && !scope.Row(&row, load.RowCluster(&row, p.prov.Cluster)) {
			for _, f := range files {
				if f.File == p.prov.File {
					f.OutOfScope++
				}
			}
			continue
		}
		out.Append(&row, &p.prov)
	}
	return out.NewRecord()
}
