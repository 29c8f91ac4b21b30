package pqfile_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/pqfile"
)

// DuckDB (the npm package @duckdb/node-api, installed by .ci/run into
// e2e/duckdb) reads the archive and counts what evanalyze counts.
func TestDuckDBReadsArchive(t *testing.T) {
	helper := "../../../e2e/duckdb"
	if _, err := os.Stat(filepath.Join(helper, "node_modules", "@duckdb", "node-api")); err != nil {
		if os.Getenv("EVANALYZE_REQUIRE_DUCKDB") != "" {
			t.Fatal("@duckdb/node-api not installed in e2e/duckdb (npm ci)")
		}
		t.Skip("DuckDB not installed: (cd e2e/duckdb && npm ci)")
	}
	lab := "../../../testdata/lab-basic/"
	a := load2(t, lab+"events-list.json", lab+"watch-core.json", lab+"audit.log.gz")
	dir := t.TempDir()
	if _, err := pqfile.WriteEvents(dir, a.Events); err != nil {
		t.Fatal(err)
	}
	if _, err := pqfile.WriteChanges(dir, a.Changes); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("node", filepath.Join(helper, "query.mjs"), dir).Output()
	if err != nil {
		t.Fatalf("node query.mjs: %v", err)
	}
	var got struct {
		Events []struct {
			Cluster, Observations, Events string
		}
		Changes []struct {
			Changes     string
			SpecChanges string `json:"spec_changes"`
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	spec := 0
	for i := 0; i < int(a.Changes.NumRows()); i++ {
		if v, ok := load.ChangeBool(a.Changes, load.CSpecChanged, i); ok && v {
			spec++
		}
	}
	if len(got.Events) != 1 || got.Events[0].Cluster != "default" ||
		got.Events[0].Observations != strconv.FormatInt(a.Totals.Observations, 10) || got.Events[0].Events != strconv.FormatInt(a.Totals.Events, 10) ||
		got.Changes[0].Changes != strconv.FormatInt(a.Changes.NumRows(), 10) || got.Changes[0].SpecChanges != strconv.Itoa(spec) {
		t.Errorf("DuckDB says %s; evanalyze: %d observations, %d events, %d changes, %d spec changes",
			out, a.Totals.Observations, a.Totals.Events, a.Changes.NumRows(), spec)
	}
}
