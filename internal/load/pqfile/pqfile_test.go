package pqfile_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/load/pqfile"
)

// rows renders every column but duplicates (a Parquet archive holds each
// observation once) of every row.
func rows(a *archive.Archive) string {
	v := load.NewView(a.Events)
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

// The event table survives a round trip through Parquet row for row,
// provenance included, and converting again gives identical bytes.
func TestRoundTrip(t *testing.T) {
	lab := "../../../testdata/lab-basic/"
	orig := load2(t, lab+"events-list.json", lab+"watch-core.json", lab+"audit.log.gz")
	dir := t.TempDir()
	files, err := pqfile.WriteEvents(dir, orig.Events)
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
	if _, err := pqfile.WriteEvents(again, other.Events); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(files[0])
	b, _ := os.ReadFile(filepath.Join(again, "cluster=default", "date=2026-11-25", "events.parquet"))
	if !bytes.Equal(a, b) {
		t.Error("converting the same inputs twice gives different files")
	}
}

// A file that is not an evanalyze events file is rejected with its name.
func TestForeignParquet(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "x.parquet")
	os.WriteFile(bad, []byte("PAR1 truncated"), 0o644)
	a := load2(t, bad)
	if a.Totals.Rejected != 1 || !strings.Contains(a.Files[0].Errors[0].Error(), "x.parquet") {
		t.Errorf("%+v %v", a.Totals, a.Files[0].Errors)
	}
}
