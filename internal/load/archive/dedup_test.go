package archive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/klauspost/compress/gzip"

	"github.com/evanalyze/evanalyze/internal/load"
)

// recordings are the directories of recorded inputs under testdata.
func recordings(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob("../../../testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() && filepath.Base(d) != "golden" {
			out = append(out, d)
		}
	}
	if len(out) < 5 {
		t.Fatalf("recordings: %v", out)
	}
	return out
}

// hashesOf returns the hash input and the four hashes of h.
func hashesOf(in *hashInput) [4]uint64 {
	var h, h2 maphash.Hash
	h.SetSeed(seed)
	h2.SetSeed(seed2)
	return [4]uint64{identityHash(&h, in), identityHash(&h2, in), observationHash(&h, in), observationHash(&h2, in)}
}

// checkRowHashes appends each row to a batch and checks that fromRow
// gives, field by field, what fromView reads back from the batch.
type rowHashCheck struct {
	mu    sync.Mutex
	batch *load.Batch
	want  []hashInput // by fromRow, in append order
}

func (c *rowHashCheck) add(r *load.EventRow, p *load.Provenance) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var in hashInput
	in.fromRow(r, p.Cluster)
	for _, s := range []*string{&in.cluster, &in.namespace, &in.name, &in.uid, &in.objectUID, &in.objectName, &in.reason, &in.typ, &in.message} {
		*s = strings.Clone(*s) // r's bytes are reused by the decoder
	}
	c.want = append(c.want, in)
	c.batch.Append(r, p)
}

func (c *rowHashCheck) check(t *testing.T, what string) int {
	t.Helper()
	rec := c.batch.NewRecord()
	defer rec.Release()
	v := load.NewView(rec)
	if v.Len() != len(c.want) {
		t.Fatalf("%s: %d rows, %d hash inputs", what, v.Len(), len(c.want))
	}
	bad := 0
	for i := range c.want {
		var got hashInput
		got.fromView(v, i)
		if got != c.want[i] || hashesOf(&got) != hashesOf(&c.want[i]) {
			if bad++; bad <= 5 {
				t.Errorf("%s: row %d: from the view %+v\nfrom the row %+v", what, i, got, c.want[i])
			}
		}
	}
	c.want = c.want[:0]
	return v.Len()
}

// The hashes the decode workers compute from a decoded row are those merge
// computes from the row appended and read back, for every event record of
// every recording (exports, watch streams, audit event writes, envelopes,
// YAML, bad input).
func TestRowHashesMatchTable(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	c := &rowHashCheck{batch: load.NewDecodeBatch(mem)}
	defer c.batch.Release()
	total := 0
	for _, dir := range recordings(t) {
		loadT(t, []string{dir}, Options{Workers: 2, onAppend: c.add})
		total += c.check(t, dir)
	}
	if total < 3000 {
		t.Errorf("%d rows checked", total)
	}
	t.Logf("%d rows checked", total)
}

// The same over random rows built from the values where Append transforms
// what it stores: empty and nil bytes, unset counts with a value, whole
// seconds refined from the name, a cluster in the record or the input.
func TestRowHashesMatchTableRandom(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	c := &rowHashCheck{batch: load.NewDecodeBatch(mem)}
	defer c.batch.Release()
	rng := rand.New(rand.NewPCG(1, 2))
	strs := [][]byte{nil, {}, []byte("a"), []byte("default"), []byte("web.18eb2c3e7ea833d7"), []byte("x.18eb2c3e7ea833d7")}
	times := []int64{0, 1, 1764041305e9, 1764041305e9 + 1, 0x18eb2c3e7ea833d7, 0x18eb2c3e7ea833d7 / 1e9 * 1e9, -1e9}
	pick := func() []byte { return strs[rng.IntN(len(strs))] }
	when := func() int64 { return times[rng.IntN(len(times))] }
	clusters := []string{"", "c1", "default"}
	for i := 0; i < 20000; i++ {
		r := load.EventRow{
			API: []string{load.APICoreV1, load.APIEventsV1, load.APIAudit}[rng.IntN(3)], Cluster: pick(),
			Namespace: pick(), Name: pick(), UID: pick(), Reason: pick(), Message: pick(), Type: pick(),
			Object: load.ObjectRef{Name: pick(), UID: pick(), Namespace: pick()},
			Count:  rng.Int32N(3) - 1, SeriesCount: rng.Int32N(3) - 1,
			HasCount: rng.IntN(2) == 0, HasSeriesCount: rng.IntN(2) == 0,
			First: when(), Last: when(), EventTime: when(), SeriesLast: when(), Created: when(),
		}
		c.add(&r, &load.Provenance{Cluster: clusters[rng.IntN(len(clusters))], File: "f", Offset: int64(i)})
	}
	c.check(t, "random")
}

// digestAll is digest with every per-file count.
func digestAll(a *Archive) string {
	var b strings.Builder
	b.WriteString(digest(a))
	for _, f := range a.Files {
		fmt.Fprintf(&b, "\n%s read %d records %d skipped %d warnings %d out %d audit %+v summary %v %v %v %v %v %v",
			f.File, f.Read, f.Records, f.Skipped, f.Warnings, f.OutOfScope, f.Audit,
			f.Summary.First, f.Summary.Last, f.Summary.Clusters, f.Summary.Namespaces, f.Summary.Reasons, f.Summary.Kinds)
	}
	fmt.Fprintf(&b, "\nsummary %+v", a.Summary)
	return b.String()
}

// Deduplicating at decode time changes nothing in the event table or the
// counts, for every recording, with one or several workers and blocks
// small enough that repeats fall to different workers.
func TestDecodeDedupSameTable(t *testing.T) {
	if testing.Short() {
		t.Skip("long: make test-long (which CI runs) runs it")
	}
	for _, dir := range recordings(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			for _, o := range []Options{{Workers: 1}, {Workers: 3, BlockSize: 4096, BatchRows: 7}} {
				o.Summaries = true
				off := o
				off.noDecodeDedup = true
				want := digestAll(loadT(t, []string{dir}, off))
				a := loadT(t, []string{dir}, o)
				if got := digestAll(a); got != want {
					t.Errorf("workers %d: table or counts differ with decode-time dedup:\n%s", o.Workers, firstDiff(got, want))
				}
			}
		})
	}
	// Two overlapping exports and the watch streams, read in the reverse
	// of name order, several times over.
	paths := labPaths(exports...)
	paths = append(paths, labPaths("audit.log.gz")...)
	rev := []string{paths[4], paths[3], paths[1], paths[2], paths[0]}
	for _, o := range []Options{{Workers: 1}, {Workers: 2, BlockSize: 1}, {Workers: 4, BlockSize: 4096}} {
		off := o
		off.noDecodeDedup = true
		want := digestAll(loadT(t, rev, off))
		a := loadT(t, rev, o)
		if got := digestAll(a); got != want {
			t.Errorf("%+v: differs:\n%s", o, firstDiff(got, want))
		}
		if kept(a) >= a.Totals.Observations+a.Totals.Duplicates {
			t.Errorf("%+v: decode kept %d rows of %d", o, kept(a), a.Totals.Observations+a.Totals.Duplicates)
		}
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(g), len(w))
}

// kept is how many rows the decode workers appended.
func kept(a *Archive) int64 {
	var n int64
	for _, f := range a.Files {
		n += f.appended
	}
	return n
}

// A file of many identical lines is one observation and N-1 duplicates,
// and the decode keeps about one row per worker, not N.
func TestIdenticalLines(t *testing.T) {
	if testing.Short() {
		t.Skip("long: make test-long (which CI runs) runs it")
	}
	const n = 200_000
	list, err := os.ReadFile(filepath.Join(labBasic, "events-list.json"))
	if err != nil {
		t.Fatal(err)
	}
	var l struct{ Items []json.RawMessage }
	if err := json.Unmarshal(list, &l); err != nil {
		t.Fatal(err)
	}
	var line bytes.Buffer
	if err := json.Compact(&line, l.Items[0]); err != nil {
		t.Fatal(err)
	}
	line.WriteByte('\n')
	dir := t.TempDir()
	write := func(name string, n int) string {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		for range n {
			zw.Write(line.Bytes())
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := write("same.jsonl.gz", n)
	for _, workers := range []int{1, 2, 4} {
		a := loadT(t, []string{big}, Options{Workers: workers, BlockSize: 256 << 10})
		f := a.Files[0]
		if f.Events != 1 || f.Observations != 1 || f.Duplicates != n-1 || a.Totals.Observations != 1 || a.Totals.Duplicates != n-1 {
			t.Errorf("workers %d: events %d, observations %d, duplicates %d; want 1, 1, %d", workers, f.Events, f.Observations, f.Duplicates, n-1)
		}
		if k := kept(a); k < 1 || k > int64(workers) {
			t.Errorf("workers %d: decode kept %d rows, want 1 to %d", workers, k, workers)
		}
		v := load.NewView(a.Events())
		if d, _ := v.Int32(load.ColDuplicates, 0); d != n-1 {
			t.Errorf("workers %d: duplicates column %d, want %d", workers, d, n-1)
		}
	}

	// The same lines in two more files: b is read before a, so the row of a
	// comes second; the counts go to the file each record came from.
	small := []string{write("b.jsonl.gz", 1000), write("a.jsonl.gz", 10)}
	for _, workers := range []int{1, 3} {
		a := loadT(t, append(small, big), Options{Workers: workers, BlockSize: 4096})
		got := map[string]string{}
		for _, f := range a.Files {
			got[filepath.Base(f.File)] = fmt.Sprintf("%d %d %d", f.Events, f.Observations, f.Duplicates)
		}
		want := map[string]string{"a.jsonl.gz": "1 1 9", "b.jsonl.gz": "1 1 1000", "same.jsonl.gz": fmt.Sprintf("1 1 %d", n)}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("workers %d: per file %v, want %v", workers, got, want)
		}
		v := load.NewView(a.Events())
		if v.Len() != 1 || !strings.HasSuffix(v.Str(load.ColSourceFile, 0), "a.jsonl.gz") || v.Int64(load.ColSourceOffset, 0) != 0 {
			t.Errorf("workers %d: kept %d rows, the first from %s at %d; want the first line of a.jsonl.gz", workers, v.Len(), v.Str(load.ColSourceFile, 0), v.Int64(load.ColSourceOffset, 0))
		}
		if k := kept(a); k > int64(3*workers) {
			t.Errorf("workers %d: decode kept %d rows", workers, k)
		}
	}
}
