package pqfile_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/pqfile"
)

// A scope gives the rows that reading everything and filtering after
// gives, skipping the row groups whose statistics show none in it.
func TestReadEventsScope(t *testing.T) {
	dir := t.TempDir()
	var written []string
	for _, lab := range []string{"lab-basic", "lab-workloads"} {
		a := load2(t, "../../../testdata/"+lab)
		files, err := pqfile.WriteEvents(filepath.Join(dir, "cluster="+lab), a.Events())
		if err != nil {
			t.Fatal(err)
		}
		written = append(written, files...)
	}
	// Both labs in one file of small row groups (sorted by cluster, then
	// namespace, as WriteEvents sorts them).
	both := load2(t, written...)
	one := filepath.Join(dir, "both")
	files, err := pqfile.WriteEvents(one, both.Events())
	if err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "small.parquet")
	rewrite(t, files[0], small, 16)
	data, err := os.ReadFile(small)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixNano()
	}
	for _, tc := range []struct {
		name     string
		cluster  string
		scope    load.Scope
		skipSome bool // some row groups are skipped
	}{
		{"namespace", "", load.Scope{Namespaces: []string{"payments"}}, true},
		{"namespaces", "", load.Scope{Namespaces: []string{"infra", "shop"}}, true},
		{"no such namespace", "", load.Scope{Namespaces: []string{"nope"}}, true},
		{"cluster", "", load.Scope{Clusters: []string{"lab-workloads"}}, true},
		{"override in", "lab-basic", load.Scope{Clusters: []string{"lab-basic"}}, false},
		{"override out", "elsewhere", load.Scope{Clusters: []string{"lab-basic"}}, true},
		{"since", "", load.Scope{Since: at("2026-11-25T16:45:00Z")}, true},
		{"until", "", load.Scope{Until: at("2026-11-25T03:30:00Z")}, true},
		{"window and namespace", "", load.Scope{Since: at("2026-11-25T03:29:00Z"), Until: at("2026-11-25T03:31:00Z"), Namespaces: []string{"shop"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			all, _, err := pqfile.ReadEvents(bytes.NewReader(data), int64(len(data)), pqfile.ReadOptions{Cluster: tc.cluster, Mem: mem})
			if err != nil {
				t.Fatal(err)
			}
			defer all.Release()
			got, st, err := pqfile.ReadEvents(bytes.NewReader(data), int64(len(data)), pqfile.ReadOptions{Cluster: tc.cluster, Mem: mem, Scope: tc.scope})
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			// Filter after reading everything.
			v := load.NewView(all)
			batch := load.NewDecodeBatch(mem)
			defer batch.Release()
			var row load.EventRow
			for i := 0; i < v.Len(); i++ {
				if !tc.scope.Cluster(v.Str(load.ColCluster, i)) || !tc.scope.Namespace(v.Str(load.ColNamespace, i), v.Str(load.ColObjectNamespace, i)) ||
					!tc.scope.Time(v.Time(load.ColTime, i)) {
					continue
				}
				v.Row(i, &row)
				batch.Append(&row, &load.Provenance{Cluster: v.Str(load.ColCluster, i), Format: v.Str(load.ColSourceFormat, i),
					File: v.Str(load.ColSourceFile, i), Line: v.Int64(load.ColSourceLine, i), Offset: v.Int64(load.ColSourceOffset, i)})
			}
			want := batch.NewRecord()
			defer want.Release()
			if g, w := dump(got), dump(want); g != w {
				t.Errorf("%d rows, want %d:\n%s", got.NumRows(), want.NumRows(), firstDiff(g, w))
			}
			if st.RowGroups != (v.Len()+15)/16 || int64(v.Len()) != st.Unread+st.Filtered+got.NumRows() {
				t.Errorf("stats %+v for %d rows, %d kept", st, v.Len(), got.NumRows())
			}
			if tc.skipSome != (st.RowGroupsSkipped > 0) {
				t.Errorf("%d of %d row groups skipped", st.RowGroupsSkipped, st.RowGroups)
			}
		})
	}
}
