package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testSrc      = "../../testdata/lab-basic"
	testClones   = 3
	testClusters = 2
	testStep     = 7 * time.Minute
)

var allFormats = func() []string {
	var names []string
	for _, f := range formatSpecs {
		names = append(names, f.name)
	}
	return names
}()

func generate(t *testing.T, out string, seed uint64, jobs int) *summary {
	t.Helper()
	cfg := &config{
		src: testSrc, out: out, clones: testClones, clusters: testClusters, seed: seed,
		formats: slices.Clone(allFormats), gzipLevel: 1, step: testStep, jobs: jobs,
		renumberRV: true, clean: true,
	}
	sum, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// The archive the checks below look at: generated once.
var (
	archiveOnce sync.Once
	archiveDir  string
	archiveSum  *summary
	archiveErr  error
)

func archive(t *testing.T) (string, *summary) {
	t.Helper()
	archiveOnce.Do(func() {
		archiveDir, archiveErr = os.MkdirTemp("", "evgen-test-")
		if archiveErr != nil {
			return
		}
		archiveSum, archiveErr = run(&config{
			src: testSrc, out: archiveDir, clones: testClones, clusters: testClusters, seed: 42,
			formats: slices.Clone(allFormats), gzipLevel: 1, step: testStep, jobs: 2,
			renumberRV: true, clean: true,
		})
	})
	if archiveErr != nil {
		t.Fatal(archiveErr)
	}
	return archiveDir, archiveSum
}

func TestMain(m *testing.M) {
	code := m.Run()
	if archiveDir != "" {
		os.RemoveAll(archiveDir)
	}
	os.Exit(code)
}

// clonesOf lists the global clone indexes of cluster c (0-based), in file order.
func clonesOf(c int) []int {
	var idx []int
	for g := c; g < testClones; g += testClusters {
		idx = append(idx, g)
	}
	return idx
}

func clusterDir(dir string, c int) string {
	return filepath.Join(dir, fmt.Sprintf("cluster=c%02d", c+1))
}

func readMaybeGzip(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return data
}

// Record splitting, done independently of the generator.

func splitLines(t *testing.T, data []byte) [][]byte {
	t.Helper()
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatal("JSON lines file does not end with a newline")
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		line := slices.Clone(sc.Bytes())
		if !json.Valid(line) {
			t.Fatalf("invalid JSON line: %.200s", line)
		}
		out = append(out, line)
	}
	return out
}

func splitValues(t *testing.T, data []byte) []json.RawMessage {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	var out []json.RawMessage
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
}

func listItems(t *testing.T, data []byte) []json.RawMessage {
	t.Helper()
	var l struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Items      []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	if l.Kind != "List" || l.APIVersion != "v1" {
		t.Fatalf("not a v1 List: kind %q apiVersion %q", l.Kind, l.APIVersion)
	}
	return l.Items
}

// sourceRecords returns the records of a format as found in the source directory,
// in the shape the generator must reproduce.
func sourceRecords(t *testing.T, format string) [][]byte {
	t.Helper()
	var recs [][]byte
	switch format {
	case "core-jsonl":
		for _, v := range splitValues(t, readMaybeGzip(t, filepath.Join(testSrc, "watch-core.json"))) {
			var b bytes.Buffer
			if err := json.Compact(&b, v); err != nil {
				t.Fatal(err)
			}
			recs = append(recs, b.Bytes())
		}
	case "watch-eventsv1-jsonl":
		recs = splitLines(t, readMaybeGzip(t, filepath.Join(testSrc, "watch-eventsv1.jsonl")))
	case "audit-jsonl-gz":
		recs = splitLines(t, readMaybeGzip(t, filepath.Join(testSrc, "audit.log.gz")))
	case "watch-core-json":
		for _, v := range splitValues(t, readMaybeGzip(t, filepath.Join(testSrc, "watch-core.json"))) {
			recs = append(recs, v)
		}
	case "core-list", "eventsv1-list":
		for _, v := range listItems(t, readMaybeGzip(t, filepath.Join(testSrc, lookupFormat(format).srcFile))) {
			recs = append(recs, v)
		}
	default:
		t.Fatalf("unknown format %s", format)
	}
	if len(recs) == 0 {
		t.Fatalf("%s: no source records", format)
	}
	return recs
}

// outputRecords reads the records of a format in one cluster, checking the file layout.
func outputRecords(t *testing.T, dir string, c int, format string) [][]byte {
	t.Helper()
	path := filepath.Join(clusterDir(dir, c), lookupFormat(format).file)
	data := readMaybeGzip(t, path)
	var recs [][]byte
	switch format {
	case "core-jsonl", "watch-eventsv1-jsonl", "audit-jsonl-gz":
		recs = splitLines(t, data)
		if format == "core-jsonl" {
			for _, r := range recs {
				var b bytes.Buffer
				json.Compact(&b, r)
				if !bytes.Equal(b.Bytes(), r) {
					t.Fatalf("%s: line is not compact: %.200s", path, r)
				}
			}
		}
	case "watch-core-json":
		for _, v := range splitValues(t, data) {
			recs = append(recs, v)
		}
	case "core-list", "eventsv1-list":
		if !json.Valid(data) {
			t.Fatalf("%s: not valid JSON", path)
		}
		// kubectl's layout: 4-space indentation, a final newline.
		var compact, pretty bytes.Buffer
		json.Compact(&compact, data)
		json.Indent(&pretty, compact.Bytes(), "", "    ")
		pretty.WriteByte('\n')
		if !bytes.Equal(pretty.Bytes(), data) {
			t.Fatalf("%s: not pretty-printed with a 4-space indent", path)
		}
		for _, v := range listItems(t, data) {
			recs = append(recs, v)
		}
	}
	return recs
}

func TestSourceIsKubectlPretty(t *testing.T) {
	// The pretty-print check of the lists above relies on the source being laid out so.
	for _, f := range []string{"events-list.json", "eventsv1-list.json"} {
		data := readMaybeGzip(t, filepath.Join(testSrc, f))
		var compact, pretty bytes.Buffer
		json.Compact(&compact, data)
		json.Indent(&pretty, compact.Bytes(), "", "    ")
		pretty.WriteByte('\n')
		if !bytes.Equal(pretty.Bytes(), data) {
			t.Fatalf("%s is not kubectl-pretty", f)
		}
	}
}

func TestCounts(t *testing.T) {
	dir, sum := archive(t)
	if sum.Clones != testClones || sum.Clusters != testClusters {
		t.Fatalf("clones %d clusters %d", sum.Clones, sum.Clusters)
	}
	var events, audit int64
	for _, f := range allFormats {
		n := len(sourceRecords(t, f))
		total := 0
		for c := 0; c < testClusters; c++ {
			got := len(outputRecords(t, dir, c, f))
			if want := n * len(clonesOf(c)); got != want {
				t.Errorf("%s cluster %d: %d records, want %d clones × %d", f, c, got, len(clonesOf(c)), n)
			}
			total += got
		}
		if total != testClones*n || sum.Records[f] != int64(total) {
			t.Errorf("%s: %d records in all, summary says %d, want %d", f, total, sum.Records[f], testClones*n)
		}
		if lookupFormat(f).event {
			events += int64(total)
		} else {
			audit += int64(total)
		}
	}
	if sum.Events != events || sum.AuditRecords != audit {
		t.Errorf("summary events %d audit %d, want %d %d", sum.Events, sum.AuditRecords, events, audit)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"cluster=c01", "cluster=c02"}; !slices.Equal(names, want) {
		t.Errorf("layout %v, want %v", names, want)
	}
}

// The independent check of a clone: the source record and the cloned record must be
// equal byte for byte once the variable tokens are masked, and each pair of tokens
// must be related as specified.
var (
	reToken = regexp.MustCompile(
		`(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})` +
			`|(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)` +
			`|\.(?P<hex>[0-9a-f]{16})\b` +
			`|resourceVersion\\?": ?\\?"(?P<rv>\d+)` +
			`|\b(?P<ns>(?:shop|payments)(?:-\d{4})?)\b`)
	reUUIDv4  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	groupKind = reToken.SubexpNames()
)

type token struct {
	kind, text string
}

func tokenize(b []byte) (skeleton string, toks []token) {
	var sk strings.Builder
	pos := 0
	for _, m := range reToken.FindAllSubmatchIndex(b, -1) {
		for g := 1; g < len(groupKind); g++ {
			if m[2*g] < 0 {
				continue
			}
			sk.Write(b[pos:m[2*g]])
			sk.WriteString("<" + groupKind[g] + ">")
			pos = m[2*g+1]
			toks = append(toks, token{groupKind[g], string(b[m[2*g]:m[2*g+1]])})
			break
		}
	}
	sk.Write(b[pos:])
	return sk.String(), toks
}

type cloneCheck struct {
	mu       sync.Mutex
	srcUUIDs map[string]bool
	uuidMap  map[int]map[string]string // clone → old → new, over all files
	rvDelta  int64
}

func (cc *cloneCheck) mapUUID(t *testing.T, g int, old, new string) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	m := cc.uuidMap[g]
	if m == nil {
		m = map[string]string{}
		cc.uuidMap[g] = m
	}
	if prev, ok := m[old]; ok && prev != new {
		t.Fatalf("clone %d: uuid %s mapped to %s and to %s", g, old, prev, new)
	}
	m[old] = new
}

func parseRFC3339(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type tokenized struct {
	skeleton string
	toks     []token
}

func (cc *cloneCheck) record(t *testing.T, where string, g, k int, src tokenized, out []byte) {
	t.Helper()
	sSk, sToks := src.skeleton, src.toks
	oSk, oToks := tokenize(out)
	if sSk != oSk || len(sToks) != len(oToks) {
		t.Fatalf("%s: clone %d differs from its source beyond the replaced tokens:\nsrc %.300s\nout %.300s", where, g, sSk, oSk)
	}
	offset := time.Duration(g) * testStep
	for i, s := range sToks {
		o := oToks[i]
		if s.kind != o.kind {
			t.Fatalf("%s: token %d: %s vs %s", where, i, s.kind, o.kind)
		}
		switch s.kind {
		case "uuid":
			if o.text == s.text || cc.srcUUIDs[o.text] {
				t.Fatalf("%s: clone %d keeps a source uuid %s", where, g, o.text)
			}
			if !reUUIDv4.MatchString(o.text) {
				t.Fatalf("%s: %s is not a v4 UUID", where, o.text)
			}
			cc.mapUUID(t, g, s.text, o.text)
		case "time":
			if len(o.text) != len(s.text) || o.text[19:] != s.text[19:] {
				t.Fatalf("%s: %s → %s changes the precision", where, s.text, o.text)
			}
			if d := parseRFC3339(t, o.text).Sub(parseRFC3339(t, s.text)); d != offset {
				t.Fatalf("%s: %s → %s shifted by %s, want %s", where, s.text, o.text, d, offset)
			}
		case "hex":
			sv, _ := strconv.ParseUint(s.text, 16, 64)
			ov, _ := strconv.ParseUint(o.text, 16, 64)
			if len(o.text) != 16 || int64(ov-sv) != int64(offset) {
				t.Fatalf("%s: event name nanos %s → %s, want a %s shift", where, s.text, o.text, offset)
			}
		case "rv":
			sv, _ := strconv.ParseInt(s.text, 10, 64)
			ov, _ := strconv.ParseInt(o.text, 10, 64)
			if sv > 0 && ov != sv+int64(k)*cc.rvDelta || sv == 0 && ov != 0 {
				t.Fatalf("%s: resourceVersion %s → %s, want + %d", where, s.text, o.text, int64(k)*cc.rvDelta)
			}
		case "ns":
			if want := fmt.Sprintf("%s-%04d", s.text, g); o.text != want {
				t.Fatalf("%s: namespace %s → %s, want %s", where, s.text, o.text, want)
			}
		}
	}
}

func TestCloneTransforms(t *testing.T) {
	if testing.Short() {
		t.Skip("long: make test-long (which CI runs) runs it")
	}
	dir, _ := archive(t)
	cc := &cloneCheck{srcUUIDs: map[string]bool{}, uuidMap: map[int]map[string]string{}, rvDelta: 1}
	maxRV := int64(0)
	srcs := map[string][]tokenized{}
	for _, f := range allFormats {
		for _, r := range sourceRecords(t, f) {
			sk, toks := tokenize(r)
			srcs[f] = append(srcs[f], tokenized{sk, toks})
			for _, tk := range toks {
				switch tk.kind {
				case "uuid":
					cc.srcUUIDs[tk.text] = true
				case "rv":
					v, _ := strconv.ParseInt(tk.text, 10, 64)
					maxRV = max(maxRV, v)
				case "ns":
					if strings.Contains(tk.text, "-") {
						t.Fatalf("source namespace %s already suffixed", tk.text)
					}
				}
			}
		}
	}
	for cc.rvDelta <= maxRV {
		cc.rvDelta *= 10
	}
	t.Run("formats", func(t *testing.T) {
		for _, f := range allFormats {
			t.Run(f, func(t *testing.T) {
				t.Parallel()
				src := srcs[f]
				for c := 0; c < testClusters; c++ {
					out := outputRecords(t, dir, c, f)
					for k, g := range clonesOf(c) {
						for i, s := range src {
							cc.record(t, fmt.Sprintf("%s c%d record %d", f, c, i), g, k, s, out[k*len(src)+i])
						}
					}
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	// Different clones never share a new UUID; every clone maps every source UUID.
	seen := map[string]int{}
	for g, m := range cc.uuidMap {
		if len(m) != len(cc.srcUUIDs) {
			t.Errorf("clone %d maps %d uuids, the source has %d", g, len(m), len(cc.srcUUIDs))
		}
		for _, n := range m {
			if prev, ok := seen[n]; ok {
				t.Fatalf("uuid %s used by clones %d and %d (or twice in one)", n, prev, g)
			}
			seen[n] = g
		}
	}
	if len(cc.uuidMap) != testClones {
		t.Errorf("%d clones seen, want %d", len(cc.uuidMap), testClones)
	}
}

type eventRef struct {
	Metadata struct {
		Name              string `json:"name"`
		Namespace         string `json:"namespace"`
		UID               string `json:"uid"`
		CreationTimestamp string `json:"creationTimestamp"`
	} `json:"metadata"`
	InvolvedObject struct {
		UID string `json:"uid"`
	} `json:"involvedObject"`
	Regarding struct {
		UID string `json:"uid"`
	} `json:"regarding"`
}

func TestCrossFileConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("long: make test-long (which CI runs) runs it")
	}
	dir, _ := archive(t)
	srcUUID := map[string]bool{}
	for _, r := range sourceRecords(t, "audit-jsonl-gz") {
		_, toks := tokenize(r)
		for _, tk := range toks {
			if tk.kind == "uuid" {
				srcUUID[tk.text] = true
			}
		}
	}
	for c := 0; c < testClusters; c++ {
		// core-jsonl: namespace/name → (event uid, involvedObject uid)
		core := map[string][2]string{}
		for _, r := range outputRecords(t, dir, c, "core-jsonl") {
			var e eventRef
			if err := json.Unmarshal(r, &e); err != nil {
				t.Fatal(err)
			}
			key := e.Metadata.Namespace + "/" + e.Metadata.Name
			core[key] = [2]string{e.Metadata.UID, e.InvolvedObject.UID}
			if srcUUID[e.Metadata.UID] || srcUUID[e.InvolvedObject.UID] {
				t.Fatalf("%s keeps a source uid", key)
			}
		}
		matched := 0
		for _, r := range outputRecords(t, dir, c, "watch-eventsv1-jsonl") {
			var w struct {
				Type   string   `json:"type"`
				Object eventRef `json:"object"`
			}
			if err := json.Unmarshal(r, &w); err != nil {
				t.Fatal(err)
			}
			key := w.Object.Metadata.Namespace + "/" + w.Object.Metadata.Name
			if got, ok := core[key]; ok {
				matched++
				if got != [2]string{w.Object.Metadata.UID, w.Object.Regarding.UID} {
					t.Errorf("%s: core-jsonl uids %v, watch-eventsv1 %s %s", key, got, w.Object.Metadata.UID, w.Object.Regarding.UID)
				}
			}
		}
		if matched < len(core)/2 {
			t.Errorf("cluster %d: only %d of %d events found in both core-jsonl and watch-eventsv1", c, matched, len(core))
		}
		// core-list: the event name's hex is the creation time in UnixNano (whole second).
		for _, r := range outputRecords(t, dir, c, "core-list") {
			var e eventRef
			if err := json.Unmarshal(r, &e); err != nil {
				t.Fatal(err)
			}
			if u, ok := core[e.Metadata.Namespace+"/"+e.Metadata.Name]; ok && u[1] != e.InvolvedObject.UID {
				t.Errorf("%s: involvedObject uid %s in core-list, %s in core-jsonl", e.Metadata.Name, e.InvolvedObject.UID, u[1])
			}
			dot := strings.LastIndexByte(e.Metadata.Name, '.')
			nanos, err := strconv.ParseUint(e.Metadata.Name[dot+1:], 16, 64)
			if dot < 0 || err != nil || len(e.Metadata.Name)-dot-1 != 16 {
				t.Fatalf("event name %q has no 16-hex suffix", e.Metadata.Name)
			}
			ct := parseRFC3339(t, e.Metadata.CreationTimestamp)
			if int64(nanos)/1e9 != ct.Unix() {
				t.Errorf("%s: name nanos %d not in creation second %s", e.Metadata.Name, nanos, e.Metadata.CreationTimestamp)
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, b, other := t.TempDir(), t.TempDir(), t.TempDir()
	generate(t, a, 7, 1)
	generate(t, b, 7, 2)
	generate(t, other, 8, 2)
	files := 0
	err := filepath.WalkDir(a, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, path)
		x, _ := os.ReadFile(path)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			return err
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", rel)
		}
		z, _ := os.ReadFile(filepath.Join(other, rel))
		if bytes.Equal(x, z) {
			t.Errorf("%s is the same with another seed", rel)
		}
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := testClusters * len(allFormats); files != want {
		t.Errorf("%d files, want %d", files, want)
	}
}

func TestEventsFlagAndGzip(t *testing.T) {
	out := t.TempDir()
	cfg, err := parseFlags([]string{"-src", testSrc, "-out", out, "-events", "300", "-clusters", "5",
		"-formats", "core-jsonl,watch-eventsv1-jsonl", "-gzip"})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// 140 + 140 events per clone: 300 needs 2 clones, so only 2 clusters.
	if sum.Clones != 2 || sum.Clusters != 2 || sum.Events != 560 || len(sum.Files) != 4 {
		t.Fatalf("clones %d clusters %d events %d files %d", sum.Clones, sum.Clusters, sum.Events, len(sum.Files))
	}
	for _, f := range sum.Files {
		if !strings.HasSuffix(f.Path, ".gz") {
			t.Errorf("%s not gzipped", f.Path)
		}
		if n := len(splitLines(t, readMaybeGzip(t, f.Path))); n != 140 {
			t.Errorf("%s: %d lines", f.Path, n)
		}
	}
	if _, err := parseFlags([]string{"-formats", "nope"}); err == nil {
		t.Error("unknown format accepted")
	}
}

// The byte scanners must find what the equivalent regular expressions find.
func TestScannersMatchRegexps(t *testing.T) {
	if testing.Short() {
		t.Skip("long: make test-long (which CI runs) runs it")
	}
	var (
		reUUID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
		reTime = regexp.MustCompile(`[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?Z`)
		reHex  = regexp.MustCompile(`[A-Za-z0-9]\.[0-9a-f]{16}`)
		reRV   = regexp.MustCompile(`(?:"resourceVersion": ?"|\\"resourceVersion\\": ?\\")([0-9]+)(?:"|\\")`)
		reNS   = regexp.MustCompile(`(?:"namespace": ?"|\\"namespace\\": ?\\"|/namespaces/)([a-z0-9-]+)`)
	)
	type span [2]int
	// Compact and pretty events, a watch stream, and the audit log.
	for _, f := range []string{"core-jsonl", "core-list", "watch-eventsv1-jsonl", "audit-jsonl-gz"} {
		data := bytes.Join(sourceRecords(t, f), []byte("\n"))
		data = append(data, ` x 2026-11-25T03:28:25.1234567891Z 12026-11-25T03:28:25Z a.18eb2c0ba77ab2bdX 0a0d283d-7572-4fa6-9aad-5b8ffe8ef8900 \"resourceVersion\": \"12\" end`...)
		var want, got []span
		for _, m := range reUUID.FindAllIndex(data, -1) {
			if !isAlnum(before(data, m[0])) && !isAlnum(after(data, m[1])) {
				want = append(want, span{m[0], m[1]})
			}
		}
		forEachUUID(data, func(s, e int) { got = append(got, span{s, e}) })
		if !slices.Equal(got, want) || len(got) == 0 {
			t.Errorf("%s: uuid scanner found %d, regexp %d", f, len(got), len(want))
		}
		want, got = nil, nil
		for _, m := range reTime.FindAllIndex(data, -1) {
			if !isDigit(before(data, m[0])) && !isAlnum(after(data, m[1])) {
				want = append(want, span{m[0], m[1]})
			}
		}
		forEachTime(data, func(s, e int, _ int64) { got = append(got, span{s, e}) })
		if !slices.Equal(got, want) || len(got) == 0 {
			t.Errorf("%s: time scanner found %d, regexp %d", f, len(got), len(want))
		}
		want, got = nil, nil
		for _, m := range reHex.FindAllIndex(data, -1) {
			if !isAlnum(after(data, m[1])) {
				want = append(want, span{m[0] + 2, m[1]})
			}
		}
		forEachNameHex(data, func(s, e int, _ int64) { got = append(got, span{s, e}) })
		if !slices.Equal(got, want) || len(got) == 0 {
			t.Errorf("%s: name hex scanner found %d, regexp %d", f, len(got), len(want))
		}
		want, got = nil, nil
		for _, m := range reRV.FindAllSubmatchIndex(data, -1) {
			want = append(want, span{m[2], m[3]})
		}
		forEachRV(data, func(s, e int, _ int64) { got = append(got, span{s, e}) })
		if !slices.Equal(got, want) || len(got) == 0 {
			t.Errorf("%s: resourceVersion scanner found %d, regexp %d", f, len(got), len(want))
		}
		var wantNS, gotNS []string
		for _, m := range reNS.FindAllSubmatch(data, -1) {
			wantNS = append(wantNS, string(m[1]))
		}
		forEachNamespaceValue(data, func(ns []byte) { gotNS = append(gotNS, string(ns)) })
		if !slices.Equal(gotNS, wantNS) || len(gotNS) == 0 {
			t.Errorf("%s: namespace scanner found %d, regexp %d", f, len(gotNS), len(wantNS))
		}
	}
}
