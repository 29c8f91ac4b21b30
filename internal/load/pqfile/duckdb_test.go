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

const helper = "../../../e2e/duckdb"

// needDuckDB skips the test without DuckDB (the npm package
// @duckdb/node-api, installed by .ci/run into e2e/duckdb), unless
// EVANALYZE_REQUIRE_DUCKDB is set.
func needDuckDB(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(helper, "node_modules", "@duckdb", "node-api")); err != nil {
		if os.Getenv("EVANALYZE_REQUIRE_DUCKDB") != "" {
			t.Fatal("@duckdb/node-api not installed in e2e/duckdb (npm ci)")
		}
		t.Skip("DuckDB not installed: (cd e2e/duckdb && npm ci)")
	}
}

// DuckDB exports kubectl's JSON as the files in testdata/parquet-foreign,
// which read as the JSON does (TestForeignDuckDBExports): a newer DuckDB
// that writes them otherwise is read all the same.
func TestDuckDBExports(t *testing.T) {
	needDuckDB(t)
	for _, tc := range []struct{ json, fixture string }{
		{"events-list.json", "lab-basic-events-duckdb.parquet"},
		{"eventsv1-list.json", "lab-basic-eventsv1-duckdb.parquet"},
	} {
		out := filepath.Join(t.TempDir(), tc.fixture)
		in, _ := filepath.Abs("../../../testdata/lab-basic/" + tc.json)
		cmd := exec.Command("node", "export-events.mjs", in, out)
		cmd.Dir = helper
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("node export-events.mjs: %v: %s", err, msg)
		}
		got, want := load2(t, out), load2(t, "../../../testdata/parquet-foreign/"+tc.fixture)
		if g, w := content(got), content(want); g != w || got.Totals.Rejected != 0 {
			t.Errorf("%s: DuckDB's export reads otherwise than %s:\n%s", tc.json, tc.fixture, firstDiff(g, w))
		}
	}
}

// DuckDB reads the archive and counts what evanalyze counts.
func TestDuckDBReadsArchive(t *testing.T) {
	needDuckDB(t)
	lab := "../../../testdata/lab-basic/"
	a := load2(t, lab+"events-list.json", lab+"watch-core.json", lab+"audit.log.gz")
	dir := t.TempDir()
	if _, err := pqfile.WriteEvents(dir, a.Events()); err != nil {
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
			Cluster, Observations, Events, Objects string
			MinUID                                 string `json:"min_uid"`
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
	objects, minUID := map[string]bool{}, ""
	v := load.NewView(a.Events())
	for i := 0; i < v.Len(); i++ {
		if u := v.Str(load.ColObjectUID, i); u != "" {
			objects[u] = true
		}
		if u := v.Str(load.ColUID, i); u != "" && (minUID == "" || u < minUID) {
			minUID = u
		}
	}
	if len(got.Events) != 1 || got.Events[0].Objects != strconv.Itoa(len(objects)) || got.Events[0].MinUID != minUID {
		t.Errorf("DuckDB says %s; evanalyze: %d objects, least uid %s", out, len(objects), minUID)
	}
	if len(got.Events) != 1 || got.Events[0].Cluster != "default" ||
		got.Events[0].Observations != strconv.FormatInt(a.Totals.Observations, 10) || got.Events[0].Events != strconv.FormatInt(a.Totals.Events, 10) ||
		got.Changes[0].Changes != strconv.FormatInt(a.Changes.NumRows(), 10) || got.Changes[0].SpecChanges != strconv.Itoa(spec) {
		t.Errorf("DuckDB says %s; evanalyze: %d observations, %d events, %d changes, %d spec changes",
			out, a.Totals.Observations, a.Totals.Events, a.Changes.NumRows(), spec)
	}
}
