package k8sjson

// BenchmarkCompare measures the project's decoder (jsonscan framing and
// scanning) against general-purpose JSON libraries unmarshalling into a
// minimal Go struct, all ending in the same Arrow batch (load.NewDecodeBatch,
// as the decode workers use) through load.Batch.Append, so that the figures
// compare the whole per-core path.
// TestCompareDecodersAgree checks that every approach produces the same
// rows, so that the comparison is fair.
//
// The struct approaches are given their best case: one struct reused across
// records, only the fields the event table needs, strings handed to the
// batch without an extra copy, times parsed with jsonscan.ParseTime.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/bytedance/sonic"
	gojson "github.com/goccy/go-json"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/benchutil"
	"github.com/evanalyze/evanalyze/internal/load/jsonscan"
)

// refJSON is an involvedObject, regarding or related reference.
type refJSON struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	UID        string `json:"uid"`
	FieldPath  string `json:"fieldPath"`
}

type sourceJSON struct {
	Component string `json:"component"`
	Host      string `json:"host"`
}

type seriesJSON struct {
	Count            int32  `json:"count"`
	LastObservedTime string `json:"lastObservedTime"`
}

// eventJSON holds the fields of the event table of both event APIs (core/v1
// and events.k8s.io/v1), the way k8s.io/api declares them: references and
// counts by value, related and series by pointer, times as strings.
type eventJSON struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name              string `json:"name"`
		Namespace         string `json:"namespace"`
		UID               string `json:"uid"`
		ResourceVersion   string `json:"resourceVersion"`
		CreationTimestamp string `json:"creationTimestamp"`
	} `json:"metadata"`
	InvolvedObject refJSON  `json:"involvedObject"` // core/v1
	Regarding      refJSON  `json:"regarding"`      // events.k8s.io/v1
	Related        *refJSON `json:"related"`

	Reason  string `json:"reason"`
	Message string `json:"message"` // core/v1
	Note    string `json:"note"`    // events.k8s.io/v1
	Type    string `json:"type"`
	Action  string `json:"action"`

	ReportingController string     `json:"reportingController"` // events.k8s.io/v1
	ReportingComponent  string     `json:"reportingComponent"`  // core/v1
	ReportingInstance   string     `json:"reportingInstance"`
	Source              sourceJSON `json:"source"`           // core/v1
	DeprecatedSource    sourceJSON `json:"deprecatedSource"` // events.k8s.io/v1

	Count           int32       `json:"count"`           // core/v1
	DeprecatedCount int32       `json:"deprecatedCount"` // events.k8s.io/v1
	Series          *seriesJSON `json:"series"`

	FirstTimestamp           string `json:"firstTimestamp"`
	DeprecatedFirstTimestamp string `json:"deprecatedFirstTimestamp"`
	LastTimestamp            string `json:"lastTimestamp"`
	DeprecatedLastTimestamp  string `json:"deprecatedLastTimestamp"`
	EventTime                string `json:"eventTime"`
}

// watchJSON is a watch event line: {"type":"ADDED","object":{...}}.
type watchJSON struct {
	Type   string     `json:"type"`
	Object *eventJSON `json:"object"`
}

// listJSON is a List document: {"items":[...]}.
type listJSON struct {
	Items []eventJSON `json:"items"`
}

// bs aliases s as a byte slice: Batch.Append copies it.
func bs(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// tsOf parses a time as Decoder does: unset, unparsable and pre-1970 times
// are 0.
func tsOf(s string) int64 {
	ns, ok, err := jsonscan.ParseTime(bs(s))
	if err != nil || !ok || ns <= 0 {
		return 0
	}
	return ns
}

// fill turns a decoded struct into a row. Counts are omitempty in both APIs,
// so a zero count is an absent one.
func (e *eventJSON) fill(row *load.EventRow) {
	row.Reset()
	ref := &e.InvolvedObject
	row.API = load.APICoreV1
	if e.APIVersion == "events.k8s.io/v1" || e.APIVersion == "events.k8s.io/v1beta1" {
		ref = &e.Regarding
		row.API = load.APIEventsV1
	}
	row.Namespace = bs(e.Metadata.Namespace)
	row.Name = bs(e.Metadata.Name)
	row.UID = bs(e.Metadata.UID)
	row.ResourceVersion = bs(e.Metadata.ResourceVersion)
	row.Created = tsOf(e.Metadata.CreationTimestamp)
	row.Object = load.ObjectRef{Kind: bs(ref.Kind), APIVersion: bs(ref.APIVersion), Namespace: bs(ref.Namespace), Name: bs(ref.Name), UID: bs(ref.UID), FieldPath: bs(ref.FieldPath)}
	if r := e.Related; r != nil {
		row.Related = load.ObjectRef{Kind: bs(r.Kind), APIVersion: bs(r.APIVersion), Namespace: bs(r.Namespace), Name: bs(r.Name), UID: bs(r.UID), FieldPath: bs(r.FieldPath)}
	}
	row.Reason = bs(e.Reason)
	row.Message = bs(or(e.Message, e.Note))
	row.Type = bs(e.Type)
	row.Action = bs(e.Action)
	row.ReportingController = bs(or(e.ReportingController, e.ReportingComponent))
	row.ReportingInstance = bs(e.ReportingInstance)
	row.SourceComponent = bs(or(e.Source.Component, e.DeprecatedSource.Component))
	row.SourceHost = bs(or(e.Source.Host, e.DeprecatedSource.Host))
	if c := max(e.Count, e.DeprecatedCount); c != 0 {
		row.Count, row.HasCount = c, true
	}
	if s := e.Series; s != nil {
		row.SeriesCount, row.HasSeriesCount = s.Count, true
		row.SeriesLast = tsOf(s.LastObservedTime)
	}
	row.First = tsOf(or(e.FirstTimestamp, e.DeprecatedFirstTimestamp))
	row.Last = tsOf(or(e.LastTimestamp, e.DeprecatedLastTimestamp))
	row.EventTime = tsOf(e.EventTime)
}

// unmarshalFunc is json.Unmarshal or a drop-in replacement.
type unmarshalFunc func(data []byte, v any) error

var unmarshalers = []struct {
	name string
	fn   unmarshalFunc
}{
	{"encoding-json", json.Unmarshal},
	{"goccy-go-json", gojson.Unmarshal},
	{"sonic", sonic.Unmarshal},
}

// emitFunc receives each decoded row.
type emitFunc func(*load.EventRow, *load.Provenance)

var compareProv = load.Provenance{Cluster: "bench", Format: "bench", File: "bench"}

// unmarshalLines splits input into lines with bytes.IndexByte and
// unmarshals each watch event into one reused struct.
func unmarshalLines(tb testing.TB, unmarshal unmarshalFunc, input []byte, emit emitFunc) {
	var (
		w    watchJSON
		ev   eventJSON
		row  load.EventRow
		prov = compareProv
	)
	line := int64(0)
	for off := 0; off < len(input); {
		end := bytes.IndexByte(input[off:], '\n')
		if end < 0 {
			end = len(input)
		} else {
			end += off
		}
		line++
		rec := input[off:end]
		start := off
		off = end + 1
		if len(bytes.TrimSpace(rec)) == 0 {
			continue
		}
		ev = eventJSON{}
		w = watchJSON{Object: &ev}
		if err := unmarshal(rec, &w); err != nil {
			tb.Fatalf("line %d: %v", line, err)
		}
		if w.Object == nil || w.Object.Kind != "Event" {
			tb.Fatalf("line %d: not an event", line)
		}
		w.Object.fill(&row)
		prov.Line, prov.Offset = line, int64(start)
		emit(&row, &prov)
	}
}

// unmarshalList unmarshals a whole List document.
func unmarshalList(tb testing.TB, unmarshal unmarshalFunc, input []byte, emit emitFunc) {
	var (
		l    listJSON
		row  load.EventRow
		prov = compareProv
	)
	if err := unmarshal(input, &l); err != nil {
		tb.Fatal(err)
	}
	for i := range l.Items {
		l.Items[i].fill(&row)
		emit(&row, &prov)
	}
}

// decodeScan is the project's path (as benchDecode runs it), for the
// agreement test.
func decodeScan(tb testing.TB, input []byte, emit emitFunc) {
	var (
		d    Decoder
		row  load.EventRow
		prov = compareProv
	)
	f := jsonscan.NewFramer(bytes.NewReader(input), jsonscan.Options{})
	for blk := f.Next(); blk != nil; blk = f.Next() {
		for _, r := range blk.Records {
			res, err := d.Decode(blk.Data[r.Start:r.End], &row)
			if err != nil || res.Shape == ShapeSkip {
				tb.Fatalf("decode: %v %v", err, res.Skip)
			}
			prov.Line, prov.Offset = r.Line, blk.Base+int64(r.Start)
			emit(&row, &prov)
		}
		blk.Release()
	}
}

// benchRows runs decode over input into Arrow batches the way benchDecode
// does (a batch per pass, a record every 64Ki rows).
func benchRows(b *testing.B, input []byte, decode func(testing.TB, []byte, emitFunc)) {
	mem := memory.DefaultAllocator
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	events := 0
	var batch *load.Batch
	emit := func(row *load.EventRow, prov *load.Provenance) {
		batch.Append(row, prov)
		events++
		if batch.Len() == 64<<10 {
			batch.NewRecord().Release()
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch = load.NewDecodeBatch(mem)
		decode(b, input, emit)
		batch.NewRecord().Release()
		batch.Release()
	}
	benchutil.ReportEvents(b, events)
}

func BenchmarkCompare(b *testing.B) {
	watch := benchutil.Repeat(b, "../../../testdata/lab-basic/watch-eventsv1.jsonl", 32<<20)
	list := listOf(b, benchutil.Repeat(b, "../../../testdata/lab-basic/events-list.json", 32<<20))
	b.Run("watch-eventsv1", func(b *testing.B) {
		for _, u := range unmarshalers {
			b.Run(u.name, func(b *testing.B) {
				benchRows(b, watch, func(tb testing.TB, in []byte, emit emitFunc) { unmarshalLines(tb, u.fn, in, emit) })
			})
		}
		b.Run("jsonscan", func(b *testing.B) { benchDecode(b, watch) })
	})
	b.Run("kubectl-list", func(b *testing.B) {
		for _, u := range unmarshalers {
			b.Run(u.name, func(b *testing.B) {
				benchRows(b, list, func(tb testing.TB, in []byte, emit emitFunc) { unmarshalList(tb, u.fn, in, emit) })
			})
		}
		b.Run("jsonscan", func(b *testing.B) { benchDecode(b, list) })
	})
}

// collect runs decode over input and returns each row's content columns
// (all but the provenance columns) as text.
func collect(tb testing.TB, input []byte, decode func(testing.TB, []byte, emitFunc)) []string {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(tb, 0)
	batch := load.NewDecodeBatch(mem)
	defer batch.Release()
	decode(tb, input, func(row *load.EventRow, prov *load.Provenance) { batch.Append(row, prov) })
	rec := batch.NewRecord()
	defer rec.Release()
	return rowStrings(rec)
}

func rowStrings(rec arrow.Record) []string {
	skip := map[int]bool{load.ColSourceFormat: true, load.ColSourceFile: true, load.ColSourceLine: true, load.ColSourceOffset: true}
	out := make([]string, rec.NumRows())
	var sb strings.Builder
	for i := range out {
		sb.Reset()
		for c := 0; c < int(rec.NumCols()); c++ {
			if !skip[c] {
				fmt.Fprintf(&sb, "%s=%s ", rec.ColumnName(c), rec.Column(c).ValueStr(i))
			}
		}
		out[i] = sb.String()
	}
	return out
}

func TestCompareDecodersAgree(t *testing.T) {
	for _, tc := range []struct {
		file   string
		decode func(testing.TB, unmarshalFunc, []byte, emitFunc)
	}{
		{"watch-eventsv1.jsonl", unmarshalLines},
		{"events-list.json", unmarshalList},
		{"eventsv1-list.json", unmarshalList},
	} {
		input := benchutil.Repeat(t, "../../../testdata/lab-basic/"+tc.file, 1)
		want := collect(t, input, decodeScan)
		if len(want) < 100 {
			t.Fatalf("%s: only %d rows from the project's decoder", tc.file, len(want))
		}
		for _, u := range unmarshalers {
			t.Run(tc.file+"/"+u.name, func(t *testing.T) {
				got := collect(t, input, func(tb testing.TB, in []byte, emit emitFunc) { tc.decode(tb, u.fn, in, emit) })
				if len(got) != len(want) {
					t.Fatalf("%d rows, want %d", len(got), len(want))
				}
				bad := 0
				for i := range want {
					if got[i] != want[i] && bad < 3 {
						t.Errorf("row %d:\n got %s\nwant %s", i, got[i], want[i])
						bad++
					}
				}
			})
		}
	}
}
