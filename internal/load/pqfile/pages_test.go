package pqfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Pages decoded here give the table parquet-go's pages give, for
// evanalyze's files (both uid layouts, one and many row groups) and for
// other writers' (DuckDB's exports, nested and flat).
func TestPagesMatchParquetGo(t *testing.T) {
	// An event table from DuckDB's export of lab-basic, written as
	// evanalyze's own file.
	src := mustReadFile(t, "../../../testdata/parquet-foreign/lab-basic-events-duckdb.parquet")
	rec, _, err := ReadEvents(bytes.NewReader(src), int64(len(src)), ReadOptions{File: "events.parquet"})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	files, err := WriteEvents(t.TempDir(), rec)
	if err != nil {
		t.Fatal(err)
	}
	native := mustReadFile(t, files[0])
	rows, err := ReadRows(bytes.NewReader(native), int64(len(native)))
	if err != nil {
		t.Fatal(err)
	}
	rows[0].UID = "not-a-uuid"
	var text, small bytes.Buffer
	if err := WriteRows(&text, rows, RowGroupRows); err != nil {
		t.Fatal(err)
	}
	if err := WriteRows(&small, rows, 7); err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]byte{"native": native, "text uids": text.Bytes(), "row groups of 7": small.Bytes()}
	foreign, _ := filepath.Glob("../../../testdata/parquet-foreign/*.parquet")
	for _, f := range foreign {
		inputs[filepath.Base(f)] = mustReadFile(t, f)
	}
	for name, data := range inputs {
		decodePages = false
		want, _, err := ReadEvents(bytes.NewReader(data), int64(len(data)), ReadOptions{Workers: 1, File: name})
		decodePages = true
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, _, err := ReadEvents(bytes.NewReader(data), int64(len(data)), ReadOptions{Workers: 1, File: name})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !array.RecordEqual(got, want) {
			t.Errorf("%s: decoded pages give another table than parquet-go's", name)
		}
		got.Release()
		want.Release()
	}
	// evanalyze's own files never need parquet-go's pages.
	for _, name := range []string{"native", "text uids", "row groups of 7"} {
		if n, all := decodedChunks(t, inputs[name]); n != all {
			t.Errorf("%s: %d of %d chunks decoded here", name, n, all)
		}
	}
}

// decodedChunks reads a native file with one reader and counts the chunks
// readPages decoded, of all chunks read.
func decodedChunks(t *testing.T, data []byte) (decoded, all int) {
	r := bytes.NewReader(data)
	pf, err := openFile(r, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	binds, err := nativeBindings(pf.Schema(), false)
	if err != nil {
		t.Fatal(err)
	}
	tb := newTable(memory.DefaultAllocator, int(pf.NumRows()))
	defer tb.release()
	var cr chunkReader
	for i, rg := range pf.RowGroups() {
		g := &group{r: r, size: int64(len(data)), meta: &pf.Metadata().RowGroups[i], chunks: rg.ColumnChunks()}
		for _, b := range binds {
			if err := cr.read(tb, b.col, b.leaf, g); err != nil {
				t.Fatal(err)
			}
			all++
		}
	}
	return cr.decoded, all
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
