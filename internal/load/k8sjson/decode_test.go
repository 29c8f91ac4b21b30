package k8sjson

import (
	"bufio"
	"errors"
	"github.com/evanalyze/evanalyze/internal/load/jsonscan"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/load"
)

func ts(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UnixNano()
}

// firstLine returns the first line of a testdata file.
func firstLine(t *testing.T, path string) string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	sc.Scan()
	return sc.Text()
}

type want struct {
	shape                             Shape
	api, ns, name, uid, kind, objName string
	objUID, reason, msg, typ          string
	controller, instance, component   string
	cluster, ownerKind, ownerName     string
	count, seriesCount                int32
	hasCount                          bool
	first, last, eventTime, created   int64
	skip                              string
}

func check(t *testing.T, rec string, w want) {
	t.Helper()
	var d Decoder
	var row load.EventRow
	res, err := d.Decode([]byte(rec), &row)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if res.Shape != w.shape || res.Skip != w.skip {
		t.Fatalf("shape %v (%q), want %v (%q)", res.Shape, res.Skip, w.shape, w.skip)
	}
	if w.shape == ShapeSkip || w.shape == ShapeAudit {
		return
	}
	got := want{
		shape: res.Shape, api: row.API, ns: string(row.Namespace), name: string(row.Name), uid: string(row.UID),
		kind: string(row.Object.Kind), objName: string(row.Object.Name), objUID: string(row.Object.UID),
		reason: string(row.Reason), msg: string(row.Message), typ: string(row.Type),
		controller: string(row.ReportingController), instance: string(row.ReportingInstance), component: string(row.SourceComponent),
		cluster: string(row.Cluster), ownerKind: string(row.Owner.Kind), ownerName: string(row.Owner.Name),
		count: row.Count, seriesCount: row.SeriesCount, hasCount: row.HasCount,
		first: row.First, last: row.Last, eventTime: row.EventTime, created: row.Created, skip: res.Skip,
	}
	if got != w {
		t.Errorf("decoded\n got  %+v\n want %+v", got, w)
	}
}

func TestDecodeCoreV1FromWatch(t *testing.T) {
	// kubectl get events -w -o json prints pretty objects; the framer hands
	// each one over whole. Here: a compact core/v1 event from the lab.
	rec := `{"apiVersion":"v1","count":1,"eventTime":null,"firstTimestamp":"2026-11-25T03:28:25Z","involvedObject":{"apiVersion":"v1","kind":"Node","name":"node-1","uid":"1c30cadd-7523-4020-a958-8e9bc1a5f62b"},"kind":"Event","lastTimestamp":"2026-11-25T03:28:25Z","message":"Node node-1 event: Registered Node node-1 in Controller","metadata":{"creationTimestamp":"2026-11-25T03:28:25Z","name":"node-1.18eb2c0ba77ab2bd","namespace":"default","resourceVersion":"244","uid":"42d30ecc-dd28-4fd1-bd45-9f5561b9c9d3"},"reason":"RegisteredNode","reportingComponent":"node-controller","reportingInstance":"","source":{"component":"node-controller"},"type":"Normal"}`
	check(t, rec, want{
		shape: ShapeEvent, api: load.APICoreV1, ns: "default", name: "node-1.18eb2c0ba77ab2bd", uid: "42d30ecc-dd28-4fd1-bd45-9f5561b9c9d3",
		kind: "Node", objName: "node-1", objUID: "1c30cadd-7523-4020-a958-8e9bc1a5f62b", reason: "RegisteredNode",
		msg: "Node node-1 event: Registered Node node-1 in Controller", typ: "Normal", controller: "node-controller",
		component: "node-controller", count: 1, hasCount: true,
		first: ts("2026-11-25T03:28:25Z"), last: ts("2026-11-25T03:28:25Z"), created: ts("2026-11-25T03:28:25Z"),
	})
}

func TestDecodeWatchEventsV1(t *testing.T) {
	check(t, firstLine(t, "../../../testdata/lab-basic/watch-eventsv1.jsonl"), want{
		shape: ShapeWatch, api: load.APIEventsV1, ns: "default", name: "node-2.18eb2c0ba771740d", uid: "27ef9723-990b-431c-a2b0-fe91f1c78a9e",
		kind: "Node", objName: "node-2", objUID: "0a0d283d-7572-4fa6-9aad-5b8ffe8ef890", reason: "RegisteredNode",
		msg: "Node node-2 event: Registered Node node-2 in Controller", typ: "Normal", controller: "node-controller",
		component: "node-controller", count: 1, hasCount: true,
		first: ts("2026-11-25T03:28:25Z"), last: ts("2026-11-25T03:28:25Z"), created: ts("2026-11-25T03:28:25Z"),
	})
}

func TestDecodeSchedulerEvent(t *testing.T) {
	// The scheduler writes through events.k8s.io: core/v1 shows null
	// first/last timestamps, an empty source and eventTime in microseconds.
	rec := `{"action":"Binding","apiVersion":"v1","eventTime":"2026-11-25T03:31:01.358259Z","firstTimestamp":null,"involvedObject":{"apiVersion":"v1","kind":"Pod","name":"ledger-6689df8dd4-bcxhq","namespace":"payments","resourceVersion":"613","uid":"3daaa577-4702-4d5d-9de4-7aabe347804f"},"kind":"Event","lastTimestamp":null,"message":"Successfully assigned payments/ledger-6689df8dd4-bcxhq to node-3","metadata":{"creationTimestamp":"2026-11-25T03:31:01Z","name":"ledger-6689df8dd4-bcxhq.18eb2c300ef51141","namespace":"payments","resourceVersion":"617","uid":"7f382ee7-ce13-4876-9597-6c70cb91cc29"},"reason":"Scheduled","reportingComponent":"default-scheduler","reportingInstance":"default-scheduler-vm","source":{},"type":"Normal"}`
	check(t, rec, want{
		shape: ShapeEvent, api: load.APICoreV1, ns: "payments", name: "ledger-6689df8dd4-bcxhq.18eb2c300ef51141", uid: "7f382ee7-ce13-4876-9597-6c70cb91cc29",
		kind: "Pod", objName: "ledger-6689df8dd4-bcxhq", objUID: "3daaa577-4702-4d5d-9de4-7aabe347804f", reason: "Scheduled",
		msg: "Successfully assigned payments/ledger-6689df8dd4-bcxhq to node-3", typ: "Normal",
		controller: "default-scheduler", instance: "default-scheduler-vm",
		eventTime: ts("2026-11-25T03:31:01.358259Z"), created: ts("2026-11-25T03:31:01Z"),
	})
}

func TestDecodeExporterAndRouter(t *testing.T) {
	// kubernetes-event-exporter (resmoio): clusterName and an involvedObject
	// with labels and ownerReferences looked up at export time.
	exporter := `{"metadata":{"name":"web-6ff6db9c5f-x7k2p.18eb2c3e7ea833d7","namespace":"shop","uid":"u1","creationTimestamp":"2026-11-25T03:29:00Z"},"reason":"Pulling","message":"Pulling image \"nginx:1.26\"","source":{"component":"kubelet","host":"node-1"},"firstTimestamp":"2026-11-25T03:29:00Z","lastTimestamp":"2026-11-25T03:29:00Z","count":1,"type":"Normal","eventTime":null,"reportingComponent":"kubelet","reportingInstance":"node-1","clusterName":"prod-eu","involvedObject":{"kind":"Pod","namespace":"shop","name":"web-6ff6db9c5f-x7k2p","uid":"p1","apiVersion":"v1","fieldPath":"spec.containers{web}","labels":{"app":"web"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-6ff6db9c5f","uid":"rs1","controller":true,"blockOwnerDeletion":true}],"deleted":false}}`
	check(t, exporter, want{
		shape: ShapeExporter, api: load.APICoreV1, ns: "shop", name: "web-6ff6db9c5f-x7k2p.18eb2c3e7ea833d7", uid: "u1",
		kind: "Pod", objName: "web-6ff6db9c5f-x7k2p", objUID: "p1", reason: "Pulling", msg: `Pulling image "nginx:1.26"`, typ: "Normal",
		controller: "kubelet", instance: "node-1", component: "kubelet", cluster: "prod-eu", ownerKind: "ReplicaSet", ownerName: "web-6ff6db9c5f",
		count: 1, hasCount: true,
		first: ts("2026-11-25T03:29:00Z"), last: ts("2026-11-25T03:29:00Z"), created: ts("2026-11-25T03:29:00Z"),
	})
	// heptio eventrouter: the event under "event", the previous version
	// under "old_event" (skipped).
	router := `{"verb":"UPDATED","event":{"metadata":{"name":"api.1","namespace":"ns"},"involvedObject":{"kind":"Deployment","name":"api"},"reason":"ScalingReplicaSet","message":"Scaled up replica set api-1 to 2","count":2,"type":"Normal"},"old_event":{"metadata":{"name":"api.1"},"count":1}}`
	check(t, router, want{shape: ShapeEventRouter, api: load.APICoreV1, ns: "ns", name: "api.1", kind: "Deployment", objName: "api",
		reason: "ScalingReplicaSet", msg: "Scaled up replica set api-1 to 2", typ: "Normal", count: 2, hasCount: true})
}

func TestDecodeSkipsAndAudit(t *testing.T) {
	check(t, `{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"px"}}`, want{shape: ShapeSkip, skip: "not an event: kind Deployment"})
	check(t, `{"type":"BOOKMARK","object":{"kind":"Event","metadata":{"resourceVersion":"12"}}}`, want{shape: ShapeSkip, skip: "watch BOOKMARK"})
	check(t, `{"type":"ERROR","object":{"kind":"Status","message":"too old resource version"}}`, want{shape: ShapeSkip, skip: "watch ERROR status"})
	check(t, `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"x","stage":"ResponseComplete"}`, want{shape: ShapeAudit})
	check(t, `{"level":"Metadata","auditID":"x"}`, want{shape: ShapeAudit})
}

func TestDecodeTimestampsAndWarnings(t *testing.T) {
	// Support bundles write the string "null"; events.k8s.io series.
	rec := `{"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"x.1","namespace":"n"},"regarding":{"kind":"Pod","name":"p"},"eventTime":"null","deprecatedFirstTimestamp":"null","deprecatedLastTimestamp":"not a time","series":{"count":5,"lastObservedTime":"2026-01-02T03:04:05.123456Z"},"note":"n","reason":"BackOff","type":"Warning","reportingController":"kubelet","deprecatedCount":"7"}`
	var d Decoder
	var row load.EventRow
	res, err := d.Decode([]byte(rec), &row)
	if err != nil {
		t.Fatal(err)
	}
	if row.First != 0 || row.Last != 0 || row.EventTime != 0 || row.SeriesLast != ts("2026-01-02T03:04:05.123456Z") ||
		row.SeriesCount != 5 || !row.HasSeriesCount || row.Count != 7 || row.API != load.APIEventsV1 {
		t.Errorf("row %+v", row)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Error(), `deprecatedLastTimestamp: invalid timestamp "not a time"`) {
		t.Errorf("warnings %v", res.Warnings)
	}
}

// A time int64 nanoseconds cannot hold rejects the record (it wrapped to
// another time); the zero time and times before 1970 are unset.
func TestDecodeTimeOutOfRange(t *testing.T) {
	for _, tt := range []struct{ in, err string }{
		{`{"involvedObject":{"kind":"Pod"},"firstTimestamp":"1600-01-01T00:00:00Z"}`, "firstTimestamp: time out of range"},
		{`{"involvedObject":{"kind":"Pod"},"lastTimestamp":"9999-12-31T23:59:59Z"}`, "lastTimestamp: time out of range"},
		{`{"type":"ADDED","object":{"regarding":{"kind":"Pod"},"eventTime":"2262-04-12T00:00:00.000000Z"}}`, "eventTime: time out of range"},
		{`{"regarding":{"kind":"Pod"},"series":{"count":2,"lastObservedTime":"1000-01-01T00:00:00Z"}}`, "series.lastObservedTime: time out of range"},
		{`{"involvedObject":{"kind":"Pod"},"metadata":{"creationTimestamp":"3000-01-01T00:00:00Z"}}`, "metadata.creationTimestamp: time out of range"},
		{`{"involvedObject":{"kind":"Pod"},"firstTimestamp":"0001-01-01T00:00:00Z","lastTimestamp":"1969-12-31T23:59:59Z"}`, ""},
	} {
		var d Decoder
		var row load.EventRow
		_, err := d.Decode([]byte(tt.in), &row)
		if tt.err == "" {
			if err != nil || row.First != 0 || row.Last != 0 {
				t.Errorf("Decode(%s) = %v, first %d, last %d; want unset times", tt.in, err, row.First, row.Last)
			}
			continue
		}
		if err == nil || err.Error() != tt.err || !errors.Is(err, jsonscan.ErrTimeRange) {
			t.Errorf("Decode(%s) = %v, want %q", tt.in, err, tt.err)
		}
	}
}

// A count that is not a whole number in 0..2^31-1 is a warning and the
// field is unset; the event is kept (1.5, 2^63 and 1e308 rejected it, -1
// warned).
func TestDecodeBadCounts(t *testing.T) {
	for _, tt := range []struct{ count, warn string }{
		{`9223372036854775807`, "count: out of range: 9223372036854775807"},
		{`9223372036854775808`, "count: out of range: 9223372036854775808"},
		{`1.5`, `count: not a whole number: "1.5"`},
		{`1e308`, "count: out of range: 1e308"},
		{`-1`, "count: out of range: -1"},
		{`2147483648`, "count: out of range: 2147483648"},
		{`"many"`, `count: not a number: "many"`},
		{`true`, "count: not a number"},
		{`[1]`, "count: not a number"},
		{`"3"`, ""},
		{`3.0`, ""},
	} {
		for _, field := range []string{"count", "series"} {
			rec := `{"involvedObject":{"kind":"Pod","name":"p"},"reason":"R","count":` + tt.count + `}`
			warn := tt.warn
			if field == "series" {
				rec = `{"regarding":{"kind":"Pod","name":"p"},"reason":"R","series":{"count":` + tt.count + `,"lastObservedTime":"2026-01-02T03:04:05.123456Z"}}`
				warn = strings.Replace(warn, "count:", "series.count:", 1)
			}
			var d Decoder
			var row load.EventRow
			res, err := d.Decode([]byte(rec), &row)
			if err != nil || string(row.Reason) != "R" {
				t.Errorf("%s: event rejected: %v", rec, err)
				continue
			}
			has, n := row.HasCount, row.Count
			if field == "series" {
				has, n = row.HasSeriesCount, row.SeriesCount
			}
			if warn == "" {
				if len(res.Warnings) != 0 || !has || n != 3 {
					t.Errorf("%s: %v, count %d %v", rec, res.Warnings, n, has)
				}
				continue
			}
			if len(res.Warnings) != 1 || res.Warnings[0].Error() != warn || has {
				t.Errorf("%s: warnings %v, count set %v; want %q", rec, res.Warnings, has, warn)
			}
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tt := range []struct{ in, err string }{
		{`[1,2]`, "record is not a JSON object"},
		{`{"metadata":{"name":"x"}}`, "not a Kubernetes event"},
		{`{"involvedObject":{"kind":"Pod"},"message":"a" "b"}`, "invalid JSON"},
		{`{"involvedObject":{}} {"x":1}`, "unexpected data after record"},
		{`{"type":"ADDED","object":[1]}`, "object: not an object"},
	} {
		var d Decoder
		var row load.EventRow
		_, err := d.Decode([]byte(tt.in), &row)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Decode(%s) = %v, want %q", tt.in, err, tt.err)
		}
	}
}

// FuzzDecode: never panics; a decoder reused after any input decodes a good
// record the same as a fresh one (no state leaks between records).
func FuzzDecode(f *testing.F) {
	good := `{"apiVersion":"v1","kind":"Event","metadata":{"name":"a.1","namespace":"n"},"involvedObject":{"kind":"Pod","name":"p"},"reason":"R","message":"m","count":2,"firstTimestamp":"2026-11-25T03:28:25Z"}`
	f.Add([]byte(good))
	f.Add([]byte(`{"type":"ADDED","object":{"kind":"Event","regarding":{"kind":"Pod"},"note":"x","series":{"count":3}}}`))
	f.Add([]byte(`{"verb":"ADDED","event":{"involvedObject":{"ownerReferences":[{"kind":"ReplicaSet","controller":true}]}}}`))
	var fresh Decoder
	var want load.EventRow
	if _, err := fresh.Decode([]byte(good), &want); err != nil {
		f.Fatal(err)
	}
	wantMsg := string(want.Message)
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Decoder
		var row load.EventRow
		d.Decode(b, &row)
		if _, err := d.Decode([]byte(good), &row); err != nil || string(row.Message) != wantMsg || row.Count != 2 || row.Owner.Kind != nil {
			t.Fatalf("reused decoder: %v %+v", err, row)
		}
	})
}

func TestUnwrap(t *testing.T) {
	for _, tt := range []struct {
		in, env, skip string
		n             int
	}{
		{`{"category":"kube-audit","operationName":"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read","properties":{"log":"{\"auditID\":\"d\"}"}}`, "azure-diagnostics", "", 1},
		{`{"category":"Administrative","operationName":"Microsoft.Compute/virtualMachines/write"}`, "azure-diagnostics",
			"Azure Monitor record without properties.log (category Administrative, operation Microsoft.Compute/virtualMachines/write): not a Kubernetes record", 0},
		{`{"records":[{"category":"kube-audit","properties":{"log":"{\"kind\":\"Event\",\"auditID\":\"a\"}"}},{"properties":{"log":"{\"auditID\":\"b\"}"}}]}`, "azure-diagnostics", "", 2},
		{`{"expected_result":true,"log":{"apiVersion":"audit.k8s.io/v1","verb":"get"},"rule_id":"x"}`, "log-wrapper", "", 1},
		{`{"@timestamp":"2024-01-01","@message":"{\"auditID\":\"c\"}"}`, "log-wrapper", "", 1},
		{`{"message":"plain text log line"}`, "", "", 0},
		{`{"metadata":{}}`, "", "", 0},
	} {
		var d Decoder
		inner, env, skip := d.Unwrap([]byte(tt.in))
		if env != tt.env || len(inner) != tt.n || skip != tt.skip {
			t.Errorf("Unwrap(%s) = %d records, %q, skip %q", tt.in, len(inner), env, skip)
		}
		for _, r := range inner {
			if r[0] != '{' {
				t.Errorf("inner record %q", r)
			}
		}
	}
}
