package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/klauspost/compress/zstd"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/pqfile"
)

const labBasic = "../../../testdata/lab-basic"

var exports = []string{"events-list.json", "eventsv1-list.json", "watch-core.json", "watch-eventsv1.jsonl"}

func loadT(t *testing.T, paths []string, opts Options) *Archive {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	opts.Mem = mem
	a, err := Load(context.Background(), paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a.Release()
		mem.AssertSize(t, 0)
	})
	return a
}

func labPaths(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, filepath.Join(labBasic, n))
	}
	return out
}

// Every export of lab-basic holds the same 139 events; together they are
// still 139 events, and 140 observations: the watch streams also saw the
// deployment controller's combined event at count 1.
func TestLabBasicExports(t *testing.T) {
	for _, name := range exports {
		t.Run(name, func(t *testing.T) {
			a := loadT(t, labPaths(name), Options{})
			f := a.Files[0]
			if f.Events != 139 || a.Totals.Events != 139 || f.Rejected != 0 || f.Skipped != 0 {
				t.Errorf("events %d (total %d), rejected %d, skipped %d; want 139, 0, 0", f.Events, a.Totals.Events, f.Rejected, f.Skipped)
			}
		})
	}
	a := loadT(t, labPaths(exports...), Options{})
	tot := a.Totals
	if tot.Events != 139 || tot.Observations != 140 || tot.Read != 139+139+140+140 {
		t.Errorf("totals %+v; want 139 events, 140 observations, 558 read", tot)
	}
	if tot.Read != tot.Observations+tot.Duplicates+tot.Skipped+tot.Rejected {
		t.Errorf("counts do not add up: %+v", tot)
	}
	formats := map[string]string{}
	for _, f := range a.Files {
		formats[filepath.Base(f.File)] = f.Format
	}
	want := map[string]string{"events-list.json": "k8s-list", "eventsv1-list.json": "k8s-list", "watch-core.json": "json-stream", "watch-eventsv1.jsonl": "watch"}
	if fmt.Sprint(formats) != fmt.Sprint(want) {
		t.Errorf("formats %v, want %v", formats, want)
	}
}

// The combined event: one uid, two observations with different messages
// (the scale to 5 and back to 3 share one event); the snapshot export has
// only the second. The later one is marked latest.
func TestCombinedEventObservations(t *testing.T) {
	a := loadT(t, labPaths("watch-core.json", "events-list.json"), Options{})
	v := load.NewView(a.Events())
	var got []string
	for i := 0; i < v.Len(); i++ {
		if v.Str(load.ColName, i) == "web.18eb2c3e7ea833d7" {
			c, _ := v.Int32(load.ColCount, i)
			got = append(got, fmt.Sprintf("%d %v %q", c, v.Bool(load.ColLatest, i), v.Str(load.ColMessage, i)))
		}
	}
	want := []string{
		`1 false "(combined from similar events): Scaled up replica set web-6ff6db9c5f from 3 to 5"`,
		`2 true "(combined from similar events): Scaled down replica set web-6ff6db9c5f from 5 to 3"`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("observations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// digest renders every cell of the table, in order.
func digest(a *Archive) string {
	v := load.NewView(a.Events())
	var b strings.Builder
	for i := 0; i < v.Len(); i++ {
		for col := 0; col < load.NumColumns; col++ {
			fmt.Fprintf(&b, "%v|", v.Rec.Column(col).GetOneForMarshal(i))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%+v", a.Totals)
	for _, f := range a.Files {
		fmt.Fprintf(&b, "\n%s %d %d %d %d", f.File, f.Events, f.Observations, f.Duplicates, f.Rejected)
	}
	return b.String()
}

// The same inputs give the same table whatever the order of the paths, the
// number of workers and the block size.
func TestDeterministic(t *testing.T) {
	paths := labPaths(exports...)
	want := digest(loadT(t, paths, Options{Workers: 1}))
	rev := []string{paths[3], paths[1], paths[2], paths[0]}
	for _, opts := range []Options{{Workers: 4}, {Workers: 3, BlockSize: 4096, BatchRows: 7}, {Workers: 2, BlockSize: 1},
		{Workers: 8, PartRows: 1}, {Workers: 2, PartRows: 50, BatchRows: 13}} {
		a := loadT(t, rev, opts)
		if opts.PartRows == 1 && len(a.Parts) < 3 {
			t.Errorf("%d parts with PartRows 1", len(a.Parts))
		}
		checkParts(t, a)
		got := digest(a)
		// File order in the per-file lines differs with the path order.
		if g, w := got[:strings.Index(got, "{Files")], want[:strings.Index(want, "{Files")]; g != w {
			t.Fatalf("table differs with %+v", opts)
		}
	}
}

// checkParts checks that the parts hold whole partitions in order, and
// each of them the changes of its namespaces.
func checkParts(t *testing.T, a *Archive) {
	t.Helper()
	var last load.PartitionKey
	changes := 0
	for pi, p := range a.Parts {
		changes += len(p.ChangeRows)
		v := load.NewView(p.Events)
		for i := 0; i < v.Len(); i++ {
			k := load.EventPartition(v, i)
			if c := k.Compare(last); c < 0 || c == 0 && i == 0 && pi > 0 {
				t.Fatalf("part %d row %d: partition %v after %v", pi, i, k, last)
			}
			if i == 0 && k != p.First {
				t.Fatalf("part %d starts with %v, First is %v", pi, k, p.First)
			}
			last = k
		}
		for _, r := range p.ChangeRows {
			k := load.PartitionKey{Cluster: load.ChangeString(p.Changes, load.CCluster, int(r)), Namespace: load.ChangeString(p.Changes, load.CNamespace, int(r))}
			if pi > 0 && k.Compare(p.First) < 0 || pi+1 < len(a.Parts) && k.Compare(a.Parts[pi+1].First) >= 0 {
				t.Fatalf("part %d (from %v) holds the change of %v", pi, p.First, k)
			}
		}
	}
	if n := int(a.Changes.NumRows()); changes != n {
		t.Errorf("parts hold %d changes of %d", changes, n)
	}
}

// Load, the parts, the joined event table and Release leave no Arrow
// memory behind.
func TestNoArrowLeaks(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	a, err := Load(context.Background(), []string{"../../../testdata/lab-basic", "../../../testdata/lab-workloads"}, Options{Mem: mem, PartRows: 10, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Parts) < 2 || a.Changes.NumRows() == 0 {
		t.Fatalf("%d parts, %d changes: want several parts and changes", len(a.Parts), a.Changes.NumRows())
	}
	checkParts(t, a)
	if got, want := a.Events().NumRows(), a.Totals.Observations; got != want {
		t.Errorf("joined table: %d rows, want %d", got, want)
	}
	checkParts(t, a)
	a.Release()
}

func TestBadInput(t *testing.T) {
	a := loadT(t, []string{"../../../testdata/bad"}, Options{})
	byName := map[string]*FileStats{}
	for _, f := range a.Files {
		byName[filepath.Base(f.File)] = f
	}
	m := byName["malformed.jsonl"]
	var errs []string
	for _, e := range m.Errors {
		errs = append(errs, e.Error())
	}
	wantErrs := []string{
		"../../../testdata/bad/malformed.jsonl:2: record truncated at end of line",
		"../../../testdata/bad/malformed.jsonl:3: unexpected 't' at start of line (not JSON?)",
		"../../../testdata/bad/malformed.jsonl:6: invalid JSON at byte 565: mismatched bracket",
	}
	if strings.Join(errs, "\n") != strings.Join(wantErrs, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(wantErrs, "\n"))
	}
	if m.Read != 7 || m.Observations != 3 || m.Skipped != 1 || m.Rejected != 3 || m.SkipReasons["not an event: kind Deployment"] != 1 {
		t.Errorf("malformed.jsonl: %+v", m)
	}
	tr := byName["truncated.jsonl.gz"]
	if tr.Compression != "gzip" || tr.Rejected != 2 || tr.Records < 60 {
		t.Errorf("truncated gzip: %+v", tr)
	}
	if last := tr.Errors[len(tr.Errors)-1].Error(); !strings.Contains(last, "read: unexpected EOF") {
		t.Errorf("truncated gzip: last error %q", last)
	}
	if n := byName["notes.log"]; n.Rejected != 1 || n.Format != "unknown" {
		t.Errorf("notes.log: %+v", n)
	}
	tot := a.Totals
	// read = audit records + event records outside audit logs + skipped +
	// rejected (README, inspect), and records = observations + duplicates.
	if tot.Read != tot.Audit.Records+tot.Records-tot.Audit.Events+tot.Skipped+tot.Rejected || tot.Records != tot.Observations+tot.Duplicates {
		t.Errorf("counts do not add up: %+v", tot)
	}
	if len(a.SkippedFiles) != 1 || filepath.Base(a.SkippedFiles[0].Path) != "README.md" {
		t.Errorf("skipped files %+v", a.SkippedFiles)
	}
}

func TestStrict(t *testing.T) {
	_, err := Load(context.Background(), []string{"../../../testdata/bad/malformed.jsonl"}, Options{Strict: true})
	if !errors.Is(err, ErrStrict) || !strings.Contains(err.Error(), "malformed.jsonl:2:") {
		t.Fatalf("strict: %v", err)
	}
	// The rejected record stays reachable under ErrStrict.
	var ie *load.InputError
	if !errors.As(err, &ie) || filepath.Base(ie.File) != "malformed.jsonl" || ie.Line != 2 {
		t.Errorf("strict: errors.As finds %+v in %v, want the InputError of malformed.jsonl:2", ie, err)
	}
	if _, err := Load(context.Background(), labPaths("events-list.json"), Options{Strict: true}); err != nil {
		t.Fatalf("strict on good input: %v", err)
	}
}

// cluster=NAME directories name clusters; the same events in two clusters
// are different events. zstd and gzip are read by content.
func TestClustersAndCompression(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(labBasic, "watch-eventsv1.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := zstd.NewWriter(nil)
	for _, c := range []string{"prod", "staging"} {
		os.MkdirAll(filepath.Join(dir, "cluster="+c, "date=2026-11-25"), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "cluster=prod", "date=2026-11-25", "events.jsonl.zst"), enc.EncodeAll(raw, nil), 0o644)
	os.WriteFile(filepath.Join(dir, "cluster=staging", "date=2026-11-25", "events.jsonl"), raw, 0o644)
	a := loadT(t, []string{dir}, Options{Cluster: "ignored", Summaries: true})
	if a.Totals.Events != 278 || len(a.Summary.Clusters) != 2 || a.Summary.Clusters["prod"] != 140 || a.Summary.Clusters["staging"] != 140 {
		t.Errorf("totals %+v clusters %v", a.Totals, a.Summary.Clusters)
	}
	if a.Files[0].Compression != "zstd" || a.Files[0].Cluster != "prod" {
		t.Errorf("file %+v", a.Files[0])
	}
	// --cluster names inputs without a cluster= segment.
	b := loadT(t, labPaths("events-list.json"), Options{Cluster: "lab", Summaries: true})
	if b.Summary.Clusters["lab"] != 139 {
		t.Errorf("clusters %v", b.Summary.Clusters)
	}
}

func TestStdin(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(labBasic, "events-list.json"))
	if err != nil {
		t.Fatal(err)
	}
	a := loadT(t, []string{"-"}, Options{Stdin: bytes.NewReader(raw)})
	if a.Totals.Events != 139 || a.Files[0].File != "<stdin>" {
		t.Errorf("stdin: %+v %s", a.Totals, a.Files[0].File)
	}
}

func TestForcedFormat(t *testing.T) {
	a := loadT(t, labPaths("watch-eventsv1.jsonl"), Options{Format: "eventrouter"})
	f := a.Files[0]
	if f.Rejected != 140 || !strings.Contains(f.Errors[0].Error(), "not a eventrouter record (looks like watch)") {
		t.Errorf("forced format: rejected %d, %v", f.Rejected, f.Errors[0])
	}
	if _, err := Load(context.Background(), nil, Options{Format: "xml"}); err == nil {
		t.Error("unknown format accepted")
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// YAML archives from real support bundles and kspan's recorded stream.
func TestYAML(t *testing.T) {
	a := loadT(t, []string{"../../../testdata/public"}, Options{})
	byName := map[string]*FileStats{}
	for _, f := range a.Files {
		byName[filepath.Base(f.File)] = f
	}
	k := byName["deployment-2-pods.yaml"]
	if k.Format != "yaml" || k.Events != 19 || k.Skipped != 7 || k.Rejected != 0 || k.SkipReasons["not an event: kind Pod"] != 4 {
		t.Errorf("kspan: %+v", k)
	}
	c, e := byName["core-v1.events.yaml"], byName["events.k8s.io-v1.events.yaml"]
	if c.Format != "yaml-list" || c.Events != 8 || e.Events != 8 || e.Duplicates != 8 || a.Totals.Rejected != 0 {
		t.Errorf("rancher: core %+v, v1 %+v", c, e)
	}
	// The line of each record is its YAML line.
	v := load.NewView(a.Events())
	for i := 0; i < v.Len(); i++ {
		if v.Int64(load.ColSourceLine, i) < 2 {
			t.Fatalf("row %d: line %d", i, v.Int64(load.ColSourceLine, i))
		}
	}
}

// Rows read from a Parquet archive count for the archive file they were
// read from, not the file their provenance names.
func TestParquetCountsPerFile(t *testing.T) {
	dir := t.TempDir()
	a := loadT(t, []string{labBasic}, Options{})
	if _, err := pqfile.WriteEvents(dir, a.Events()); err != nil {
		t.Fatal(err)
	}
	if _, err := pqfile.WriteChanges(dir, a.Changes); err != nil {
		t.Fatal(err)
	}
	back := loadT(t, []string{dir}, Options{})
	for _, f := range back.Files {
		want := int64(0)
		if filepath.Base(f.File) == "events.parquet" {
			want = a.Totals.Observations
		}
		if f.Observations != want || f.Events > f.Observations {
			t.Errorf("%s: %d observations, %d events; want %d observations", f.File, f.Observations, f.Events, want)
		}
	}
}

// Every format listed is accepted, an unlisted one is not, and a caller
// changing the list changes no one else's.
func TestFormats(t *testing.T) {
	fs := Formats()
	for _, f := range fs {
		if _, err := allowedShapes(f); err != nil {
			t.Errorf("listed format %q: %v", f, err)
		}
	}
	if _, err := allowedShapes("csv"); err == nil || !strings.Contains(err.Error(), "unknown input format \"csv\"") {
		t.Errorf("csv: %v", err)
	}
	fs[0] = "changed"
	if Formats()[0] != "auto" {
		t.Error("Formats returns a shared slice")
	}
}
