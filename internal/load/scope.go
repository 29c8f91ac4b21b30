package load

import (
	"slices"
	"strings"
	"time"
)

// Scope selects the event observations to load: those of the clusters
// and namespaces listed (any when a list is empty) observed in
// [Since, Until) (Unix nanoseconds; 0 leaves that end open). The
// namespace of an observation is its involved object's, else the event's
// own (node events: the event's), as the correlator and the timeline
// group them. With a time range, observations without a time are out of
// the scope.
//
// Loaders drop what is outside the scope before merging repeats, for
// every input format; Parquet readers also skip partitions and row groups
// by their statistics. The changes table is not scoped.
type Scope struct {
	Since, Until int64
	Clusters     []string
	Namespaces   []string
}

// IsZero reports whether the scope selects everything.
func (s *Scope) IsZero() bool {
	return s.Since == 0 && s.Until == 0 && len(s.Clusters) == 0 && len(s.Namespaces) == 0
}

// HasTime reports whether the scope has a time range.
func (s *Scope) HasTime() bool { return s.Since != 0 || s.Until != 0 }

// Cluster reports whether a cluster is in the scope.
func (s *Scope) Cluster(c string) bool {
	return len(s.Clusters) == 0 || slices.Contains(s.Clusters, c)
}

// Namespace reports whether an observation with this event namespace and
// involved object namespace is in the scope.
func (s *Scope) Namespace(ns, objectNS string) bool {
	if len(s.Namespaces) == 0 {
		return true
	}
	if objectNS != "" {
		ns = objectNS
	}
	return slices.Contains(s.Namespaces, ns)
}

// Time reports whether an observation time (0: unknown) is in the scope.
func (s *Scope) Time(ns int64) bool {
	if !s.HasTime() {
		return true
	}
	return ns != 0 && (s.Since == 0 || ns >= s.Since) && (s.Until == 0 || ns < s.Until)
}

// Overlaps reports whether [lo, hi] (Unix nanoseconds) may hold times in
// the scope.
func (s *Scope) Overlaps(lo, hi int64) bool {
	return (s.Since == 0 || hi >= s.Since) && (s.Until == 0 || lo < s.Until)
}

// Row reports whether a decoded observation is in the scope; cluster is
// the cluster Batch.Append will give it.
func (s *Scope) Row(r *EventRow, cluster string) bool {
	if !s.Cluster(cluster) || !s.Namespace(unsafeString(r.Namespace), unsafeString(r.Object.Namespace)) {
		return false
	}
	if !s.HasTime() {
		return true
	}
	return s.Time(ObservedTime(RefineFirst(r.Name, r.First), r.Last, r.EventTime, r.SeriesLast, r.Created))
}

// RowCluster is the cluster Batch.Append gives a row from an input of
// cluster inputCluster ("" when no path or flag names one). It may alias
// the row.
func RowCluster(r *EventRow, inputCluster string) string {
	if inputCluster == "" && len(r.Cluster) > 0 {
		return unsafeString(r.Cluster) // valid as long as the row
	}
	return ClusterOrDefault(inputCluster)
}

// Partition reports whether a partition of the Parquet archive
// (cluster=NAME/date=YYYY-MM-DD, as WriteEvents lays it out) may hold
// observations in the scope, judging by its path alone: the cluster
// segment (the innermost one, "" when none) and the date segment (UTC).
func (s *Scope) Partition(path, cluster string) bool {
	if cluster != "" && !s.Cluster(cluster) {
		return false
	}
	if !s.HasTime() {
		return true
	}
	for _, seg := range strings.Split(strings.ReplaceAll(path, "\\", "/"), "/") {
		day, ok := strings.CutPrefix(seg, "date=")
		if !ok {
			continue
		}
		if day == "unknown" {
			return false // observations without a time
		}
		t, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return true
		}
		return s.Overlaps(t.UnixNano(), t.Add(24*time.Hour).UnixNano()-1)
	}
	return true
}
