package archive

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/pqfile"
)

// table renders the event table, less duplicates (a Parquet archive holds
// each observation once).
func table(a *Archive) string {
	v := load.NewView(a.Events())
	var b strings.Builder
	for i := 0; i < v.Len(); i++ {
		for col := 0; col < load.NumColumns; col++ {
			if col != load.ColDuplicates {
				fmt.Fprintf(&b, "%v|", a.Events().Column(col).GetOneForMarshal(i))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// filtered renders the rows of a's table in the scope.
func filtered(a *Archive, s *load.Scope) string {
	v := load.NewView(a.Events())
	var b strings.Builder
	for i := 0; i < v.Len(); i++ {
		if !s.Cluster(v.Str(load.ColCluster, i)) || !s.Namespace(v.Str(load.ColNamespace, i), v.Str(load.ColObjectNamespace, i)) {
			continue
		}
		for col := 0; col < load.NumColumns; col++ {
			if col != load.ColDuplicates {
				fmt.Fprintf(&b, "%v|", a.Events().Column(col).GetOneForMarshal(i))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// A cluster or namespace scope gives the table that loading everything
// and filtering after gives, from the original inputs and from their
// Parquet archive alike; the partitions of other clusters are not opened
// and what the scope left out is counted.
func TestScope(t *testing.T) {
	if testing.Short() {
		t.Skip("long: make test-long (which CI runs) runs it")
	}
	labs := []string{"lab-basic", "lab-workloads"}
	var inputs []string
	archive := t.TempDir()
	for _, lab := range labs {
		in := filepath.Join("../../../testdata", lab)
		inputs = append(inputs, in)
		a := loadT(t, []string{in}, Options{Cluster: lab})
		if _, err := pqfile.WriteEvents(filepath.Join(archive, "cluster="+lab), a.Events()); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []load.Scope{
		{Namespaces: []string{"payments"}},
		{Namespaces: []string{"shop", "infra"}},
		{Clusters: []string{"lab-workloads"}},
		{Clusters: []string{"lab-basic"}, Namespaces: []string{"default"}},
	} {
		t.Run(fmt.Sprintf("%v/%v", s.Clusters, s.Namespaces), func(t *testing.T) {
			all := loadT(t, []string{archive}, Options{})
			for _, f := range all.Files {
				if f.Observations != f.Records || f.Observations == 0 {
					t.Errorf("%s: %d records, %d observations", f.File, f.Records, f.Observations)
				}
			}
			want := filtered(all, &s)
			got := loadT(t, []string{archive}, Options{Scope: s})
			if table(got) != want || want == "" {
				t.Errorf("Parquet: %d rows in the scope, want %d", got.Events().NumRows(), strings.Count(want, "\n"))
			}
			tot := got.Totals
			if tot.Records != tot.Observations+tot.Duplicates+tot.OutOfScope || tot.PartitionsSkipped == 0 && tot.Records+tot.Unread != all.Totals.Records {
				t.Errorf("Parquet totals %+v, unscoped %+v", tot, all.Totals)
			}
			if len(s.Clusters) > 0 && (tot.PartitionsSkipped != 1 || len(got.SkippedFiles) != 1) {
				t.Errorf("%d partitions skipped: %v", tot.PartitionsSkipped, got.SkippedFiles)
			}
			// The original inputs, each lab named as its cluster.
			var jsonAll, jsonGot strings.Builder
			for i, in := range inputs {
				opts := Options{Cluster: labs[i]}
				jsonAll.WriteString(filtered(loadT(t, []string{in}, opts), &s))
				opts.Scope = s
				a := loadT(t, []string{in}, opts)
				jsonGot.WriteString(table(a))
				if tot := a.Totals; tot.Records != tot.Observations+tot.Duplicates+tot.OutOfScope {
					t.Errorf("%s totals %+v", in, tot)
				}
			}
			if jsonGot.String() != jsonAll.String() {
				t.Error("JSON inputs: the scoped table differs from the filtered one")
			}
		})
	}
}

// A time scope keeps the observations in [since, until); the partitions
// of other days are not opened.
func TestScopeTime(t *testing.T) {
	archive := t.TempDir()
	a := loadT(t, []string{labBasic}, Options{})
	if _, err := pqfile.WriteEvents(archive, a.Events()); err != nil {
		t.Fatal(err)
	}
	since, _ := time.Parse(time.RFC3339, "2026-11-25T03:29:00Z")
	until, _ := time.Parse(time.RFC3339, "2026-11-25T03:30:00Z")
	s := load.Scope{Since: since.UnixNano(), Until: until.UnixNano()}
	for _, in := range []string{labBasic, archive} {
		got := loadT(t, []string{in}, Options{Scope: s})
		v := load.NewView(got.Events())
		if v.Len() == 0 || v.Len() == int(a.Events().NumRows()) {
			t.Errorf("%s: %d of %d rows", in, v.Len(), a.Events().NumRows())
		}
		for i := 0; i < v.Len(); i++ {
			if !s.Time(v.Time(load.ColTime, i)) {
				t.Errorf("%s: row %d at %v", in, i, time.Unix(0, v.Time(load.ColTime, i)).UTC())
			}
		}
	}
	s = load.Scope{Since: since.Add(24 * time.Hour).UnixNano()}
	got := loadT(t, []string{archive}, Options{Scope: s})
	if got.Events().NumRows() != 0 || got.Totals.PartitionsSkipped != 1 || got.Totals.Files != 0 {
		t.Errorf("a day later: %d rows, totals %+v, not read %v", got.Events().NumRows(), got.Totals, got.SkippedFiles)
	}
}
