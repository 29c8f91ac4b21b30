package pqfile_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/parquet-go/parquet-go"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/pqfile"
)

// dump renders every value of every row of an event table record, of
// either schema (dictionaries or plain strings).
func dump(rec arrow.Record) string {
	v := load.NewView(rec)
	var b strings.Builder
	for i := 0; i < v.Len(); i++ {
		for col := 0; col < load.NumColumns; col++ {
			fmt.Fprintf(&b, "%v|", rec.Column(col).GetOneForMarshal(i))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// rewrite copies an events file with row groups of at most rows rows.
func rewrite(t testing.TB, src, dst string, rows int) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	all, err := pqfile.ReadRows(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if err := pqfile.WriteRows(out, all, int64(rows)); err != nil {
		t.Fatal(err)
	}
	out.Close()
}

func fileSize(t testing.TB, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// The columnar reader gives the table the row reader gave, value for
// value: with one or many row groups, with and without a cluster override.
func TestReadEventsMatchesRowReader(t *testing.T) {
	var files []string
	for _, lab := range []string{"lab-basic", "lab-jobs", "lab-lifecycle", "lab-workloads"} {
		dir := filepath.Join(t.TempDir(), "cluster="+lab)
		a := load2(t, "../../../testdata/"+lab)
		written, err := pqfile.WriteEvents(dir, a.Events())
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, written...)
	}
	small := filepath.Join(t.TempDir(), "small.parquet")
	rewrite(t, files[0], small, 7)
	files = append(files, small)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, cluster := range []string{"", "override"} {
			t.Run(filepath.Base(filepath.Dir(filepath.Dir(file)))+"/"+filepath.Base(filepath.Dir(file))+"/"+cluster, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
				defer mem.AssertSize(t, 0)
				batch := load.NewDecodeBatch(mem)
				defer batch.Release()
				if _, err := readRows(bytes.NewReader(data), int64(len(data)), cluster, batch); err != nil {
					t.Fatal(err)
				}
				want := batch.NewRecord()
				defer want.Release()
				got, _, err := pqfile.ReadEvents(bytes.NewReader(data), int64(len(data)), pqfile.ReadOptions{Cluster: cluster, Mem: mem})
				if err != nil {
					t.Fatal(err)
				}
				defer got.Release()
				if !got.Schema().Equal(load.EventSchema) {
					t.Errorf("schema %v", got.Schema())
				}
				if g, w := dump(got), dump(want); g != w || got.NumRows() == 0 {
					t.Errorf("tables differ (%d and %d rows):\n%s", got.NumRows(), want.NumRows(), firstDiff(g, w))
				}
			})
		}
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("row %d:\n got  %s\n want %s", i, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d rows, want %d", len(al), len(bl))
}

// A stored empty cluster reads as "default", as Batch.Append does.
func TestReadEventsEmptyCluster(t *testing.T) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[pqfile.Event](&buf, parquet.KeyValueMetadata("evanalyze.events.version", load.SchemaVersion))
	tm := int64(1764041340e9)
	if _, err := w.Write([]pqfile.Event{{Name: "a", Reason: "X", Time: tm, SourceFile: "f"}, {Cluster: "c", Name: "b", Time: tm}}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	rec, _, err := pqfile.ReadEvents(bytes.NewReader(buf.Bytes()), int64(buf.Len()), pqfile.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	v := load.NewView(rec)
	if v.Str(load.ColCluster, 0) != "default" || v.Str(load.ColCluster, 1) != "c" || v.Str(load.ColReason, 1) != "" || !rec.Column(load.ColReason).IsNull(1) {
		t.Errorf("got %s", dump(rec))
	}
}

// Whatever the bytes, ReadEvents returns a table or an error: no panic,
// and a table it returns is well formed.
func FuzzReadEvents(f *testing.F) {
	a := load2(f, "../../../testdata/lab-basic/watch-eventsv1.jsonl")
	files, err := pqfile.WriteEvents(f.TempDir(), a.Events())
	if err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	if foreign, err := os.ReadFile("../../../testdata/parquet-foreign/lab-basic-eventsv1-duckdb.parquet"); err == nil {
		f.Add(foreign)
	}
	f.Add(append(append([]byte{}, data[:4]...), data[len(data)-200:]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer mem.AssertSize(t, 0)
		rec, _, err := pqfile.ReadEvents(bytes.NewReader(data), int64(len(data)), pqfile.ReadOptions{Mem: mem, Workers: 1})
		if err != nil {
			return
		}
		defer rec.Release()
		for _, col := range rec.Columns() {
			if col.Len() != int(rec.NumRows()) {
				t.Fatalf("column of %d rows in a table of %d", col.Len(), rec.NumRows())
			}
		}
		load.NewView(rec)
		dump(rec)
	})
}
