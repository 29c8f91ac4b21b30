package load_test

import (
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/load"
)

var (
	day   = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	since = day.Add(3 * time.Hour).UnixNano()
	until = day.Add(4 * time.Hour).UnixNano()
)

func TestScopeSelectors(t *testing.T) {
	zero := load.Scope{}
	if !zero.IsZero() || zero.HasTime() {
		t.Errorf("zero scope: IsZero %v, HasTime %v", zero.IsZero(), zero.HasTime())
	}
	for _, s := range []load.Scope{{Since: 1}, {Until: 1}, {Clusters: []string{"a"}}, {Namespaces: []string{"a"}}} {
		if s.IsZero() {
			t.Errorf("%+v: IsZero", s)
		}
	}
	if s := (load.Scope{Until: 1}); !s.HasTime() {
		t.Error("an open start with an end has a time range")
	}

	s := load.Scope{Clusters: []string{"prod", "canary"}, Namespaces: []string{"shop"}}
	for _, tc := range []struct {
		cluster string
		want    bool
	}{{"prod", true}, {"canary", true}, {"staging", false}, {"", false}} {
		if got := s.Cluster(tc.cluster); got != tc.want {
			t.Errorf("Cluster(%q) = %v", tc.cluster, got)
		}
		if !zero.Cluster(tc.cluster) {
			t.Errorf("no clusters listed: Cluster(%q) false", tc.cluster)
		}
	}
	// The involved object's namespace wins over the event's own.
	for _, tc := range []struct {
		ns, objectNS string
		want         bool
	}{
		{"shop", "", true},
		{"default", "shop", true},
		{"shop", "default", false},
		{"", "", false},
		{"default", "", false},
	} {
		if got := s.Namespace(tc.ns, tc.objectNS); got != tc.want {
			t.Errorf("Namespace(%q, %q) = %v", tc.ns, tc.objectNS, got)
		}
		if !zero.Namespace(tc.ns, tc.objectNS) {
			t.Errorf("no namespaces listed: Namespace(%q, %q) false", tc.ns, tc.objectNS)
		}
	}
}

// [Since, Until): the start is in, the end is out, an unknown time is out
// once there is a range, and a zero end leaves that side open.
func TestScopeTime(t *testing.T) {
	for _, tc := range []struct {
		name  string
		scope load.Scope
		ns    int64
		want  bool
	}{
		{"no range, unknown time", load.Scope{}, 0, true},
		{"no range", load.Scope{}, since, true},
		{"at the start", load.Scope{Since: since, Until: until}, since, true},
		{"before the start", load.Scope{Since: since, Until: until}, since - 1, false},
		{"just before the end", load.Scope{Since: since, Until: until}, until - 1, true},
		{"at the end", load.Scope{Since: since, Until: until}, until, false},
		{"unknown time", load.Scope{Since: since, Until: until}, 0, false},
		{"open end", load.Scope{Since: since}, until * 2, true},
		{"open start", load.Scope{Until: until}, 1, true},
		{"open start, unknown time", load.Scope{Until: until}, 0, false},
	} {
		if got := tc.scope.Time(tc.ns); got != tc.want {
			t.Errorf("%s: Time(%d) = %v, want %v", tc.name, tc.ns, got, tc.want)
		}
	}
}

// Overlaps judges a closed range [lo, hi], such as a row group's
// statistics, against [Since, Until).
func TestScopeOverlaps(t *testing.T) {
	s := load.Scope{Since: since, Until: until}
	for _, tc := range []struct {
		name   string
		lo, hi int64
		want   bool
	}{
		{"inside", since + 1, until - 1, true},
		{"around", since - 10, until + 10, true},
		{"ends at the start", since - 10, since, true},
		{"ends before the start", since - 10, since - 1, false},
		{"starts at the end", until, until + 10, false},
		{"starts just before the end", until - 1, until + 10, true},
	} {
		if got := s.Overlaps(tc.lo, tc.hi); got != tc.want {
			t.Errorf("%s: Overlaps = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !(&load.Scope{}).Overlaps(5, 1) {
		t.Error("no range: Overlaps false")
	}
}

// Partitions are judged by their cluster and date=YYYY-MM-DD segments.
func TestScopePartition(t *testing.T) {
	timed := load.Scope{Since: since, Until: until, Clusters: []string{"prod"}}
	for _, tc := range []struct {
		name          string
		scope         load.Scope
		path, cluster string
		want          bool
	}{
		{"the day", timed, "out/cluster=prod/date=2026-11-25/events.parquet", "prod", true},
		{"the day before", timed, "out/cluster=prod/date=2026-11-24/events.parquet", "prod", false},
		{"the day after", timed, "out/cluster=prod/date=2026-11-26/events.parquet", "prod", false},
		{"another cluster", timed, "out/cluster=dev/date=2026-11-25/events.parquet", "dev", false},
		{"no cluster segment", timed, "out/date=2026-11-25/events.parquet", "", true},
		{"no times", timed, "out/cluster=prod/date=unknown/events.parquet", "prod", false},
		{"no times, no range", load.Scope{}, "out/cluster=prod/date=unknown/events.parquet", "prod", true},
		{"not a date", timed, "out/cluster=prod/date=yesterday/events.parquet", "prod", true},
		{"no date segment", timed, "out/cluster=prod/events.parquet", "prod", true},
		{"backslashes", timed, `out\cluster=prod\date=2026-11-24\events.parquet`, "prod", false},
		{"range ending at midnight", load.Scope{Since: day.Add(-time.Hour).UnixNano(), Until: day.UnixNano()}, "date=2026-11-25/events.parquet", "", false},
		{"range starting at the last nanosecond", load.Scope{Since: day.Add(24*time.Hour - 1).UnixNano()}, "date=2026-11-25/events.parquet", "", true},
	} {
		if got := tc.scope.Partition(tc.path, tc.cluster); got != tc.want {
			t.Errorf("%s: Partition(%q, %q) = %v, want %v", tc.name, tc.path, tc.cluster, got, tc.want)
		}
	}
}

// Row applies the cluster, namespace and time of a decoded observation,
// its time as Batch.Append computes it.
func TestScopeRow(t *testing.T) {
	at := func(ns int64) *load.EventRow {
		return &load.EventRow{Namespace: []byte("default"), Object: load.ObjectRef{Namespace: []byte("shop")}, Last: ns}
	}
	s := load.Scope{Since: since, Until: until, Clusters: []string{"prod"}, Namespaces: []string{"shop"}}
	for _, tc := range []struct {
		name    string
		row     *load.EventRow
		cluster string
		want    bool
	}{
		{"in", at(since), "prod", true},
		{"other cluster", at(since), "dev", false},
		{"too late", at(until), "prod", false},
		{"no time", at(0), "prod", false},
		{"event namespace only", &load.EventRow{Namespace: []byte("shop"), Last: since}, "prod", true},
		{"object in another namespace", &load.EventRow{Namespace: []byte("shop"), Object: load.ObjectRef{Namespace: []byte("kube-system")}, Last: since}, "prod", false},
		// series.lastObservedTime is the time, not lastTimestamp.
		{"series time", &load.EventRow{Namespace: []byte("shop"), Last: since, SeriesLast: until}, "prod", false},
		// Only creationTimestamp: it is the time.
		{"created only", &load.EventRow{Namespace: []byte("shop"), Created: since + 1}, "prod", true},
	} {
		if got := s.Row(tc.row, tc.cluster); got != tc.want {
			t.Errorf("%s: Row = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !(&load.Scope{Clusters: []string{"prod"}}).Row(at(0), "prod") {
		t.Error("no time range: a row without a time is out")
	}
}

// The cluster a path or flag names wins over the record's own; without
// either, the record's, else the default.
func TestRowCluster(t *testing.T) {
	named := &load.EventRow{Cluster: []byte("from-record")}
	for _, tc := range []struct {
		row         *load.EventRow
		input, want string
	}{
		{named, "", "from-record"},
		{named, "from-path", "from-path"},
		{&load.EventRow{}, "", load.DefaultCluster},
		{&load.EventRow{}, "from-path", "from-path"},
	} {
		if got := load.RowCluster(tc.row, tc.input); got != tc.want {
			t.Errorf("RowCluster(%q, %q) = %q, want %q", tc.row.Cluster, tc.input, got, tc.want)
		}
	}
}
