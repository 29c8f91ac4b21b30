package archive

import (
	"cmp"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/evanalyze/evanalyze/internal/load"
)

// AuditStats describe the audit records of a file.
type AuditStats struct {
	Records    int64 // audit records decoded (each stage of a request counts)
	Requests   int64 // distinct requests (auditIDs) after merging stages
	Duplicates int64 // stage records merged into their request
	Writes     int64 // write requests (rows of the changes table when Options.Changes keeps their resource)
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

// reqRef is an audit request kept only to be counted once per auditID: a
// read, or a write whose resource the command reads no rows of (see
// ChangeSet). 24 bytes, whatever the lengths of the IDs.
type reqRef struct {
	id, id2 uint64 // hash of cluster and auditID, 128 bits
	file    int32  // index in Load's files
	write   bool
	noID    bool // no auditID: a request of its own
}

func newReqRef(h, h2 *maphash.Hash, cluster, auditID string, file int, write bool) reqRef {
	sum := func(h *maphash.Hash) uint64 {
		h.Reset()
		h.WriteString(cluster)
		h.WriteByte(0)
		h.WriteString(auditID)
		return h.Sum64()
	}
	return reqRef{id: sum(h), id2: sum(h2), file: int32(file), write: write, noID: auditID == ""}
}

// countRequests adds the distinct requests to their files' counts (to the
// first file by name that holds one); the other stage records of a request
// are duplicates.
func countRequests(refs []reqRef, files []*FileStats) {
	slices.SortFunc(refs, func(a, b reqRef) int {
		return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.id2, b.id2), strings.Compare(files[a.file].File, files[b.file].File))
	})
	for i, r := range refs {
		f := files[r.file]
		if i > 0 && !r.noID && r.id == refs[i-1].id && r.id2 == refs[i-1].id2 {
			f.Audit.Duplicates++
			continue
		}
		f.Audit.Requests++
		if r.write {
			f.Audit.Writes++
		}
	}
}
