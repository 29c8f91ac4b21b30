package pqfile_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/load/pqfile"
)

// rows renders every column but duplicates (a Parquet archive holds each
// observation once) of every row.
func rows(a *archive.Archive) string {
	v := load.NewView(a.Events())
	var b strings.Builder
	for i := 0; i < v.Len(); i++ {
		for col := 0; col < load.NumColumns; col++ {
			if col != load.ColDuplicates {
				fmt.Fprintf(&b, "%v|", v.Rec.Column(col).GetOneForMarshal(i))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func load2(t testing.TB, paths ...string) *archive.Archive {
	t.Helper()
	a, err := archive.Load(context.Background(), paths, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Release)
	return a
}

// writeFile writes data to path, making its directory.
func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The event table survives a round trip through Parquet row for row,
// provenance included, and converting again gives identical bytes.
func TestRoundTrip(t *testing.T) {
	lab := "../../../testdata/lab-basic/"
	orig := load2(t, lab+"events-list.json", lab+"watch-core.json", lab+"audit.log.gz")
	dir := t.TempDir()
	files, err := pqfile.WriteEvents(dir, orig.Events())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || !strings.HasSuffix(files[0], filepath.Join("cluster=default", "date=2026-11-25", "events.parquet")) {
		t.Fatalf("files %v", files)
	}
	back := load2(t, dir)
	if back.Files[0].Format != "parquet" || back.Totals.Events != 139 || back.Totals.Observations != 140 || back.Totals.Rejected != 0 {
		t.Fatalf("read back: %+v %+v", back.Files[0], back.Totals)
	}
	if got, want := rows(back), rows(orig); got != want {
		t.Fatal("the event table differs after the round trip")
	}
	// The same inputs in another order convert to the same bytes.
	again := t.TempDir()
	other := load2(t, lab+"audit.log.gz", lab+"watch-core.json", lab+"events-list.json")
	if _, err := pqfile.WriteEvents(again, other.Events()); err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(again, "cluster=default", "date=2026-11-25", "events.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("converting the same inputs twice gives different files")
	}
}

// A Parquet file that is not an event table, whole or cut short, is
// rejected with its name and the reason.
func TestForeignParquet(t *testing.T) {
	dir := t.TempDir()
	type metric struct {
		Host string  `parquet:"host"`
		CPU  float64 `parquet:"cpu"`
	}
	whole := filepath.Join(dir, "metrics.parquet")
	if err := parquet.WriteFile(whole, []metric{{"node-1", 0.5}, {"node-2", 0.25}}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	// The file is whole: parquet-go reads its two rows.
	if pf, err := parquet.OpenFile(bytes.NewReader(raw), int64(len(raw))); err != nil || pf.NumRows() != 2 {
		t.Fatalf("metrics.parquet is not a whole Parquet file: %v", err)
	}
	for _, tc := range []struct {
		name string
		data []byte // nil: the whole file
		want string
	}{
		{"metrics.parquet", nil, "metrics.parquet: column reason missing: none of reason (map one with --columns reason=COLUMN)"},
		{"magic-only.parquet", []byte("PAR1 truncated"), "magic-only.parquet: open Parquet: corrupted parquet page: footer of 1668183410 bytes in a file of 14 (truncated?)"},
		{"cut.parquet", raw[:len(raw)-8], "cut.parquet: open Parquet: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := whole
			if tc.data != nil {
				path = filepath.Join(dir, tc.name)
				writeFile(t, path, tc.data)
			}
			a := load2(t, path)
			if a.Totals.Rejected != 1 || len(a.Files[0].Errors) != 1 {
				t.Fatalf("%+v %v", a.Totals, a.Files[0].Errors)
			}
			err := a.Files[0].Errors[0]
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %q", err, tc.want)
			}
			if truncated := tc.data != nil; truncated != errors.Is(err, parquet.ErrCorrupted) {
				t.Errorf("errors.Is(%v, parquet.ErrCorrupted) = %v", err, !truncated)
			}
		})
	}
}

// WriteRows stores the uids as UUIDs when they all read back as the same
// text, else as text; either way the rows read back as written, by
// ReadRows and by ReadEvents.
func TestUIDLayouts(t *testing.T) {
	lab := "../../../testdata/lab-basic/"
	orig := load2(t, lab+"events-list.json", lab+"watch-core.json")
	dir := t.TempDir()
	files, err := pqfile.WriteEvents(dir, orig.Events())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	base, err := pqfile.ReadRows(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	uidType := func(data []byte) string {
		pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		c, _ := pf.Schema().Lookup("object_uid")
		return c.Node.Type().Kind().String()
	}
	if got := uidType(data); got != "FIXED_LEN_BYTE_ARRAY" {
		t.Fatalf("lab-basic's uids stored as %s, want UUIDs", got)
	}
	for _, tc := range []struct {
		name, uid, layout string
	}{
		{"canonical", "", "FIXED_LEN_BYTE_ARRAY"},
		{"not a UUID", "u1", "BYTE_ARRAY"},
		{"uppercase", "646DD286-620C-403C-8B7E-4AAD642246C1", "BYTE_ARRAY"},
		{"zero UUID", "00000000-0000-0000-0000-000000000000", "BYTE_ARRAY"},
	} {
		rows := append([]pqfile.Event(nil), base...)
		if tc.uid != "" {
			rows[len(rows)/2].RelatedUID = tc.uid
		}
		var buf bytes.Buffer
		if err := pqfile.WriteRows(&buf, rows, 16); err != nil {
			t.Fatal(err)
		}
		if got := uidType(buf.Bytes()); got != tc.layout {
			t.Errorf("%s: uids stored as %s, want %s", tc.name, got, tc.layout)
		}
		back, err := pqfile.ReadRows(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, rows) {
			t.Errorf("%s: rows differ after the round trip", tc.name)
		}
		rec, _, err := pqfile.ReadEvents(bytes.NewReader(buf.Bytes()), int64(buf.Len()), pqfile.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		v := load.NewView(rec)
		for i := range rows {
			e := &rows[i]
			if v.Str(load.ColUID, i) != e.UID || v.Str(load.ColObjectUID, i) != e.ObjectUID ||
				v.Str(load.ColOwnerUID, i) != e.OwnerUID || v.Str(load.ColRelatedUID, i) != e.RelatedUID {
				t.Errorf("%s: row %d: ReadEvents gives uids %q %q %q %q, want %q %q %q %q", tc.name, i,
					v.Str(load.ColUID, i), v.Str(load.ColObjectUID, i), v.Str(load.ColOwnerUID, i), v.Str(load.ColRelatedUID, i),
					e.UID, e.ObjectUID, e.OwnerUID, e.RelatedUID)
				break
			}
		}
		rec.Release()
	}
}

// One conversion gives files of one schema: a uid that is not a UUID in
// one partition makes the uids text in every partition.
func TestUIDLayoutPerConversion(t *testing.T) {
	in := t.TempDir()
	src, err := os.ReadFile("../../../testdata/lab-basic/watch-core.json")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(in, "cluster=a", "w.json"), src)
	i := bytes.Index(src, []byte(`"uid": "`))
	if i < 0 {
		t.Fatal("no uid in lab-basic")
	}
	odd := append(append(append([]byte{}, src[:i]...), `"uid": "u1", "x": "`...), src[i+len(`"uid": "`):]...)
	writeFile(t, filepath.Join(in, "cluster=b", "w.json"), odd)
	for _, tc := range []struct {
		path  string
		files int
		kind  string
	}{
		{filepath.Join(in, "cluster=a"), 1, "FIXED_LEN_BYTE_ARRAY"},
		{in, 2, "BYTE_ARRAY"},
	} {
		a := load2(t, tc.path)
		files, err := pqfile.WriteEvents(t.TempDir(), a.Events())
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != tc.files {
			t.Fatalf("%s: files %v", tc.path, files)
		}
		for _, f := range files {
			pf, err := parquet.OpenFile(bytes.NewReader(mustRead(t, f)), fileSize(t, f))
			if err != nil {
				t.Fatal(err)
			}
			c, _ := pf.Schema().Lookup("uid")
			if got := c.Node.Type().Kind().String(); got != tc.kind {
				t.Errorf("%s: %s stores uids as %s, want %s", tc.path, f, got, tc.kind)
			}
		}
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
