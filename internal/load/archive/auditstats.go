package archive

import (
	"cmp"
	"slices"
	"strings"

	"github.com/evanalyze/evanalyze/internal/load"
)

// AuditStats describe the audit records of a file.
type AuditStats struct {
	Records    int64 // audit records decoded (each stage of a request counts)
	Requests   int64 // distinct requests (auditIDs) after merging stages
	Duplicates int64 // stage records merged into their request
	Writes     int64 // write requests: rows of the changes table
	Events     int64 // event writes turned into event observations
	ByLevel    map[string]int64
	ByStage    map[string]int64
	ByVerb     map[string]int64
	ByResource map[string]int64
	ByUser     map[string]int64
}

func (a *AuditStats) count(ch *load.ChangeRow) {
	if a.ByLevel == nil {
		a.ByLevel, a.ByStage, a.ByVerb = map[string]int64{}, map[string]int64{}, map[string]int64{}
		a.ByResource, a.ByUser = map[string]int64{}, map[string]int64{}
	}
	a.Records++
	a.ByLevel[ch.Level]++
	a.ByStage[ch.Stage]++
	a.ByVerb[ch.Verb]++
	res := ch.Resource
	if ch.Subresource != "" {
		res += "/" + ch.Subresource
	}
	a.ByResource[res]++
	a.ByUser[ch.User]++
}

func (a *AuditStats) add(b *AuditStats) {
	if b.Records == 0 && b.Events == 0 {
		return
	}
	a.Records += b.Records
	a.Events += b.Events
	for _, p := range []struct {
		dst *map[string]int64
		src map[string]int64
	}{
		{&a.ByLevel, b.ByLevel}, {&a.ByStage, b.ByStage}, {&a.ByVerb, b.ByVerb}, {&a.ByResource, b.ByResource}, {&a.ByUser, b.ByUser},
	} {
		if *p.dst == nil {
			*p.dst = map[string]int64{}
		}
		for k, v := range p.src {
			(*p.dst)[k] += v
		}
	}
}

// eventPatch is an event patch from an audit log, waiting for the event it
// patches: the recorder sends only count, lastTimestamp and message (or
// series), so the other fields come from another observation of the event.
type eventPatch struct {
	cluster, namespace, name, message string
	count, seriesCount                int32
	hasCount, hasSeriesCount          bool
	last, seriesLast                  int64
	prov                              load.Provenance
}

func newEventPatch(r *load.EventRow, p *load.Provenance) eventPatch {
	return eventPatch{
		cluster: p.Cluster, namespace: string(r.Namespace), name: string(r.Name), message: string(r.Message),
		count: r.Count, seriesCount: r.SeriesCount, hasCount: r.HasCount, hasSeriesCount: r.HasSeriesCount,
		last: r.Last, seriesLast: r.SeriesLast, prov: *p,
	}
}

// readRef is a read request, kept only to count requests once per auditID.
type readRef struct{ cluster, auditID, file string }

// countReads adds the distinct read requests to their files' counts; the
// other stage records of a request are duplicates.
func countReads(reads []readRef, files []*FileStats) {
	byFile := map[string]*FileStats{}
	for _, f := range files {
		byFile[f.File] = f
	}
	slices.SortFunc(reads, func(a, b readRef) int {
		return cmp.Or(strings.Compare(a.cluster, b.cluster), strings.Compare(a.auditID, b.auditID), strings.Compare(a.file, b.file))
	})
	for i, r := range reads {
		f := byFile[r.file]
		if f == nil {
			continue
		}
		if i > 0 && r.auditID != "" && r.auditID == reads[i-1].auditID && r.cluster == reads[i-1].cluster {
			f.Audit.Duplicates++
		} else {
			f.Audit.Requests++
		}
	}
}
