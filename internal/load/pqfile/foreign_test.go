package pqfile_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/load/pqfile"
)

// content renders the event table less provenance (the rows of a foreign
// file come from the file itself) and duplicates.
func content(a *archive.Archive) string {
	v := load.NewView(a.Events())
	var b strings.Builder
	for i := 0; i < v.Len(); i++ {
		for col := 0; col < load.NumColumns; col++ {
			if col < load.ColSourceFormat || col == load.ColLatest {
				fmt.Fprintf(&b, "%v|", a.Events().Column(col).GetOneForMarshal(i))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func loadOpts(t testing.TB, opts archive.Options, paths ...string) *archive.Archive {
	t.Helper()
	a, err := archive.Load(t.Context(), paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Release)
	return a
}

// DuckDB's exports of kubectl's JSON (testdata/parquet-foreign: nested
// columns with the Kubernetes field names, core/v1 and events.k8s.io/v1)
// read into the table the JSON gives, but for provenance: line is the
// row number.
func TestForeignDuckDBExports(t *testing.T) {
	for _, tc := range []struct{ parquet, json string }{
		{"lab-basic-events-duckdb.parquet", "events-list.json"},
		{"lab-basic-eventsv1-duckdb.parquet", "eventsv1-list.json"},
	} {
		t.Run(tc.parquet, func(t *testing.T) {
			pq := filepath.Join("../../../testdata/parquet-foreign", tc.parquet)
			got := load2(t, pq)
			want := load2(t, "../../../testdata/lab-basic/"+tc.json)
			if f := got.Files[0]; f.Format != "parquet" || f.Rejected != 0 || f.Warnings != 0 || f.Events != 139 {
				t.Fatalf("%+v", f)
			}
			if g, w := content(got), content(want); g != w {
				t.Errorf("tables differ:\n%s", firstDiff(g, w))
			}
			v := load.NewView(got.Events())
			for i := 0; i < v.Len(); i++ {
				if v.Str(load.ColSourceFile, i) != pq || v.Str(load.ColSourceFormat, i) != "parquet" || v.Int64(load.ColSourceLine, i) != v.Int64(load.ColSourceOffset, i)+1 {
					t.Fatalf("row %d: provenance %s %s:%d", i, v.Str(load.ColSourceFormat, i), v.Str(load.ColSourceFile, i), v.Int64(load.ColSourceLine, i))
				}
			}
		})
	}
}

type ref struct {
	Kind       string `parquet:"kind,optional"`
	APIVersion string `parquet:"apiVersion,optional"`
	Namespace  string `parquet:"namespace,optional"`
	Name       string `parquet:"name,optional"`
	UID        string `parquet:"uid,optional"`
	FieldPath  string `parquet:"fieldPath,optional"`
}

type meta struct {
	Name              string `parquet:"name"`
	Namespace         string `parquet:"namespace,optional"`
	UID               string `parquet:"uid,optional"`
	ResourceVersion   string `parquet:"resourceVersion,optional"`
	CreationTimestamp string `parquet:"creationTimestamp,optional"` // RFC 3339 text
}

type series struct {
	Count            int32     `parquet:"count"`
	LastObservedTime time.Time `parquet:"lastObservedTime,timestamp(millisecond)"`
}

type source struct {
	Component string `parquet:"component,optional"`
	Host      string `parquet:"host,optional"`
}

// goEvent is a core/v1 Event as another pipeline may write it, with every
// kind of column: nested and optional groups, text, INT96 and
// TIMESTAMP times, a repeated group evanalyze does not read.
type goEvent struct {
	APIVersion         string            `parquet:"apiVersion,optional"`
	ClusterName        string            `parquet:"clusterName,optional"`
	Metadata           meta              `parquet:"metadata"`
	InvolvedObject     *ref              `parquet:"involvedObject,optional"`
	Related            *ref              `parquet:"related,optional"`
	Reason             string            `parquet:"reason,optional,dict"`
	Message            string            `parquet:"message,optional"`
	Type               string            `parquet:"type,optional,dict"`
	Action             string            `parquet:"action,optional"`
	Count              *int64            `parquet:"count,optional"`
	FirstTimestamp     string            `parquet:"firstTimestamp,optional"`
	LastTimestamp      *deprecated.Int96 `parquet:"lastTimestamp,optional"`
	EventTime          *time.Time        `parquet:"eventTime,optional,timestamp(microsecond)"`
	Series             *series           `parquet:"series,optional"`
	Source             source            `parquet:"source"`
	ReportingComponent string            `parquet:"reportingComponent,optional"`
	ReportingInstance  string            `parquet:"reportingInstance,optional"`
	ManagedFields      []ref             `parquet:"managedFields,list"`
}

func int96(t time.Time) *deprecated.Int96 {
	day := t.Unix()/86400 + 2440588
	nanos := uint64(t.UnixNano() - (t.Unix()/86400)*86400e9)
	return &deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(day)}
}

// A nested file with every kind of column reads as the same events in
// JSON lines do: refined first times, observation times, the reporting
// controller from source.component, the cluster from clusterName.
func TestForeignNested(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	ptr := func(v int64) *int64 { return &v }
	et := at("2026-11-25T03:29:10.123456Z")
	rows := []goEvent{
		{APIVersion: "v1", ClusterName: "prod",
			Metadata:       meta{Name: "web-7d4b9.18eb2c3e7ea833d7", Namespace: "shop", UID: "u1", ResourceVersion: "42", CreationTimestamp: "2026-11-25T03:29:00Z"},
			InvolvedObject: &ref{Kind: "Pod", APIVersion: "v1", Namespace: "shop", Name: "web-7d4b9", UID: "p1", FieldPath: "spec.containers{web}"},
			Reason:         "BackOff", Message: "Back-off restarting failed container", Type: "Warning", Count: ptr(7),
			FirstTimestamp: "2026-11-25T03:29:00Z", LastTimestamp: int96(at("2026-11-25T03:31:00Z")),
			Source: source{Component: "kubelet", Host: "node-1"}, ManagedFields: []ref{{Kind: "x"}}},
		{APIVersion: "events.k8s.io/v1",
			Metadata:       meta{Name: "web.18eb2c3e7ea833d8", Namespace: "shop"},
			InvolvedObject: &ref{Kind: "Deployment", Name: "web", Namespace: "shop"},
			Related:        &ref{Kind: "ReplicaSet", Namespace: "shop", Name: "web-7d4b9"},
			Reason:         "ScalingReplicaSet", Message: "Scaled up replica set web-7d4b9 to 3", Type: "Normal", Action: "Scaling",
			EventTime: &et, Series: &series{Count: 3, LastObservedTime: at("2026-11-25T03:29:30.5Z")},
			ReportingComponent: "deployment-controller", ReportingInstance: "cm-1"},
		{Metadata: meta{Name: "n1.1", Namespace: "default"}, InvolvedObject: &ref{Kind: "Node", Name: "n1"},
			Reason: "NodeNotReady", Count: ptr(-1), FirstTimestamp: "not a time", LastTimestamp: int96(at("2026-11-25T03:30:00Z"))},
	}
	jsonRows := []string{
		`{"apiVersion":"v1","kind":"Event","clusterName":"prod","metadata":{"name":"web-7d4b9.18eb2c3e7ea833d7","namespace":"shop","uid":"u1","resourceVersion":"42","creationTimestamp":"2026-11-25T03:29:00Z"},"involvedObject":{"kind":"Pod","apiVersion":"v1","namespace":"shop","name":"web-7d4b9","uid":"p1","fieldPath":"spec.containers{web}"},"reason":"BackOff","message":"Back-off restarting failed container","type":"Warning","count":7,"firstTimestamp":"2026-11-25T03:29:00Z","lastTimestamp":"2026-11-25T03:31:00Z","source":{"component":"kubelet","host":"node-1"}}`,
		`{"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"web.18eb2c3e7ea833d8","namespace":"shop"},"involvedObject":{"kind":"Deployment","name":"web","namespace":"shop"},"related":{"kind":"ReplicaSet","namespace":"shop","name":"web-7d4b9"},"reason":"ScalingReplicaSet","message":"Scaled up replica set web-7d4b9 to 3","type":"Normal","action":"Scaling","eventTime":"2026-11-25T03:29:10.123456Z","series":{"count":3,"lastObservedTime":"2026-11-25T03:29:30.500000Z"},"reportingComponent":"deployment-controller","reportingInstance":"cm-1"}`,
		`{"kind":"Event","metadata":{"name":"n1.1","namespace":"default"},"involvedObject":{"kind":"Node","name":"n1"},"reason":"NodeNotReady","count":-1,"firstTimestamp":"not a time","lastTimestamp":"2026-11-25T03:30:00Z"}`,
	}
	dir := t.TempDir()
	pq, js := filepath.Join(dir, "events.parquet"), filepath.Join(dir, "events.jsonl")
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[goEvent](&buf, parquet.MaxRowsPerRowGroup(2))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, pq, buf.Bytes())
	writeFile(t, js, []byte(strings.Join(jsonRows, "\n")+"\n"))
	got, want := load2(t, pq), load2(t, js)
	if g, w := content(got), content(want); g != w {
		t.Errorf("tables differ:\n%s\nwant\n%s", g, w)
	}
	// The JSON decoder warns about the count and the time; so does the
	// Parquet reader (as one warning per file, the first kept).
	if f := got.Files[0]; f.Warnings != 2 || len(f.WarningList) != 1 || !strings.Contains(f.WarningList[0].Error(), "events.parquet: column count: out of range: -1") {
		t.Errorf("warnings %d %v", f.Warnings, f.WarningList)
	}
	// A scope applies to foreign files too.
	shop := loadOpts(t, archive.Options{Scope: load.Scope{Namespaces: []string{"shop"}, Clusters: []string{"prod"}}}, pq)
	if shop.Events().NumRows() != 1 || shop.Totals.OutOfScope+shop.Totals.Unread != 2 || shop.Totals.RowGroupsSkipped != 1 {
		t.Errorf("scoped: %d rows, totals %+v", shop.Events().NumRows(), shop.Totals)
	}
	v := load.NewView(got.Events())
	for i := 0; i < v.Len(); i++ {
		if v.Str(load.ColName, i) == "web.18eb2c3e7ea833d8" && (v.Str(load.ColAPI, i) != load.APIEventsV1 || v.Str(load.ColCluster, i) != "default") {
			t.Errorf("row %d: api %s, cluster %s", i, v.Str(load.ColAPI, i), v.Str(load.ColCluster, i))
		}
	}
}

// flatEvent is an event table written by another tool with its own names.
type flatEvent struct {
	TS     time.Time `parquet:"ts,timestamp(millisecond)"`
	NS     string    `parquet:"ns"`
	Reason string    `parquet:"evt_reason"`
	Kind   string    `parquet:"kind"`
	Object string    `parquet:"obj"`
	Msg    string    `parquet:"msg,optional"`
	N      int32     `parquet:"n"`
}

// Flat columns read through a --columns mapping.
func TestForeignColumns(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flat.parquet")
	ts := time.Date(2026, 11, 25, 3, 30, 0, 0, time.UTC)
	rows := []flatEvent{{TS: ts, NS: "shop", Reason: "BackOff", Kind: "Pod", Object: "web-1", Msg: "Back-off", N: 2},
		{TS: ts.Add(time.Second), NS: "shop", Reason: "Pulled", Kind: "Pod", Object: "web-1"}}
	if err := parquet.WriteFile(path, rows, parquet.Compression(&parquet.Lz4Raw)); err != nil {
		t.Fatal(err)
	}
	cols := map[string]string{"time": "ts", "namespace": "ns", "reason": "evt_reason", "object_kind": "kind", "object_name": "obj", "message": "msg", "count": "n"}
	a := loadOpts(t, archive.Options{Columns: cols, Cluster: "lab"}, path)
	if a.Totals.Rejected != 0 || a.Events().NumRows() != 2 {
		t.Fatalf("%+v %v", a.Totals, a.Files[0].Errors)
	}
	v := load.NewView(a.Events())
	if v.Time(load.ColTime, 0) != ts.UnixNano() || v.Str(load.ColReason, 0) != "BackOff" || v.Str(load.ColCluster, 0) != "lab" ||
		v.Str(load.ColAPI, 0) != load.APICoreV1 || v.Str(load.ColMessage, 1) != "" || v.Int64(load.ColSourceLine, 1) != 2 {
		t.Errorf("%s", dump(a.Events()))
	}
	if c, ok := v.Int32(load.ColCount, 0); !ok || c != 2 {
		t.Errorf("count %d %v", c, ok)
	}
}

// Files that are not event tables, or not whole, are rejected with an
// error that names the file and the column.
func TestForeignBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, rows any) string {
		path := filepath.Join(dir, name)
		var err error
		switch r := rows.(type) {
		case []flatEvent:
			err = parquet.WriteFile(path, r)
		case []struct {
			Reason int64  `parquet:"reason"`
			Kind   string `parquet:"object_kind"`
			Name   string `parquet:"object_name"`
			Time   int64  `parquet:"time,timestamp(nanosecond)"`
		}:
			err = parquet.WriteFile(path, r)
		case []struct {
			Reasons []string `parquet:"reason,list"`
		}:
			err = parquet.WriteFile(path, r)
		}
		if err != nil {
			t.Fatal(err)
		}
		return path
	}
	flat := write("flat.parquet", []flatEvent{{TS: time.Unix(1764041400, 0), Reason: "X", Kind: "Pod", Object: "p"}})
	raw, err := os.ReadFile(flat)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.parquet")
	writeFile(t, truncated, raw[:len(raw)/2])
	bad := append([]byte{}, raw...)
	for i := 8; i < 40; i++ { // the first column chunk's page header
		bad[i] = 0xff
	}
	corrupt := filepath.Join(dir, "corrupt.parquet")
	writeFile(t, corrupt, bad)
	wrongType := write("wrongtype.parquet", []struct {
		Reason int64  `parquet:"reason"`
		Kind   string `parquet:"object_kind"`
		Name   string `parquet:"object_name"`
		Time   int64  `parquet:"time,timestamp(nanosecond)"`
	}{{Reason: 1, Kind: "Pod", Name: "p", Time: 1}})
	repeated := write("repeated.parquet", []struct {
		Reasons []string `parquet:"reason,list"`
	}{{Reasons: []string{"a"}}})
	mapping := map[string]string{"time": "ts", "reason": "evt_reason", "object_kind": "kind", "object_name": "obj"}
	for _, tc := range []struct {
		path    string
		columns map[string]string
		want    string
	}{
		{flat, nil, "flat.parquet: column reason missing: none of reason (map one with --columns reason=COLUMN)"},
		{flat, map[string]string{"reason": "evt_reason", "object_kind": "kind", "object_name": "obj"}, "flat.parquet: no time column"},
		{flat, map[string]string{"reason": "why", "object_kind": "kind", "object_name": "obj", "time": "ts"}, "flat.parquet: column why: missing (--columns reason=why)"},
		{flat, map[string]string{"reason": "ts", "object_kind": "kind", "object_name": "obj", "time": "ts"}, "flat.parquet: column ts: INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS), want a string (--columns reason=ts)"},
		{wrongType, nil, "wrongtype.parquet: column reason: INT64 INT(64,true), want a string (or map another column with --columns reason=COLUMN)"},
		{repeated, nil, "repeated.parquet: column reason: repeated, want one value per row"},
		{truncated, mapping, "truncated.parquet: open Parquet: "},
		{corrupt, mapping, "corrupt.parquet: column ts: "},
	} {
		t.Run(filepath.Base(tc.path)+fmt.Sprint(tc.columns), func(t *testing.T) {
			a := loadOpts(t, archive.Options{Columns: tc.columns}, tc.path)
			if a.Totals.Rejected != 1 || len(a.Files[0].Errors) != 1 || !strings.Contains(a.Files[0].Errors[0].Error(), tc.want) {
				t.Errorf("got %+v %v, want %q", a.Totals, a.Files[0].Errors, tc.want)
			}
		})
	}
	// The mapping itself.
	for _, tc := range []struct{ in, want string }{
		{"reason=evt_reason,time=ts", ""},
		{"reason", `"reason": want field=column`},
		{"why=x", `"why=x": no field why in the event table`},
		{"reason=a,reason=b", "reason mapped twice"},
		{"source_file=f", "no field source_file"},
	} {
		if _, err := parseColumns(tc.in); (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.in, err, tc.want)
		}
	}
}

var parseColumns = pqfile.ParseColumns

// A time int64 nanoseconds cannot hold (here milliseconds past 2262) is a
// counted warning and null, as bad text is, not a time wrapped to another.
func TestForeignTimeOutOfRange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "range.parquet")
	ts := time.Date(2026, 11, 25, 3, 30, 0, 0, time.UTC).UnixMilli()
	type row struct {
		TS     int64  `parquet:"ts,timestamp(millisecond)"`
		Reason string `parquet:"evt_reason"`
		Kind   string `parquet:"kind"`
		Object string `parquet:"obj"`
	}
	if err := parquet.WriteFile(path, []row{{ts, "BackOff", "Pod", "a"}, {math.MaxInt64 / 1000 * 2, "BackOff", "Pod", "b"}, {math.MinInt64 / 1000 * 2, "BackOff", "Pod", "c"}}); err != nil {
		t.Fatal(err)
	}
	a := loadOpts(t, archive.Options{Columns: map[string]string{"time": "ts", "reason": "evt_reason", "object_kind": "kind", "object_name": "obj"}}, path)
	f := a.Files[0]
	if f.Warnings != 2 || len(f.WarningList) != 1 || !strings.Contains(f.WarningList[0].Error(), "range.parquet: column ts: time out of range") {
		t.Errorf("warnings %d %v", f.Warnings, f.WarningList)
	}
	v := load.NewView(a.Events())
	for i := 0; i < v.Len(); i++ {
		if got, want := v.Time(load.ColTime, i), map[string]int64{"a": ts * 1e6}[v.Str(load.ColObjectName, i)]; got != want {
			t.Errorf("%s: time %d, want %d", v.Str(load.ColObjectName, i), got, want)
		}
	}
}
