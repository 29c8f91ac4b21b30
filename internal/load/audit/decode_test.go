package audit

import (
	"bufio"
	"compress/gzip"
	"os"
	"strings"
	"testing"

	"github.com/evanalyze/evanalyze/internal/load"
)

// labRecords returns the audit records of lab-basic (recorded from a real
// kube-apiserver v1.32.4) whose line contains all of the given strings.
func labRecords(t testing.TB, contains ...string) [][]byte {
	f, err := os.Open("../../../testdata/lab-basic/audit.log.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 4<<20)
	var out [][]byte
next:
	for sc.Scan() {
		for _, c := range contains {
			if !strings.Contains(sc.Text(), c) {
				continue next
			}
		}
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	if len(out) == 0 {
		t.Fatalf("no record with %q", contains)
	}
	return out
}

func decode(t *testing.T, rec []byte) (load.ChangeRow, Result) {
	t.Helper()
	var d Decoder
	var row load.ChangeRow
	res, err := d.Decode(rec, &row)
	if err != nil {
		t.Fatal(err)
	}
	return row, res
}

func TestDeploymentPatch(t *testing.T) {
	// bob's `kubectl set image` on shop/web (RequestResponse level).
	row, res := decode(t, labRecords(t, `"verb":"patch"`, `"resource":"deployments"`, `bob@example.com`, `kubectl-set`)[0])
	if res.Kind != KindWrite || res.EventObject != nil {
		t.Fatalf("result %+v", res)
	}
	if row.User != "bob@example.com" || row.Verb != "patch" || row.Resource != "deployments" || row.APIGroup != "apps" ||
		row.Namespace != "shop" || row.Name != "web" || row.Code != 200 || row.Kind != "Deployment" || row.Level != "RequestResponse" ||
		!strings.HasPrefix(row.UserAgent, "kubectl/v1.32.4") || row.SourceIP != "127.0.0.1" || row.Stage != "ResponseComplete" {
		t.Errorf("row %+v", row)
	}
	if len(row.Containers) != 1 || row.Containers[0].Name != "web" || row.Containers[0].Image != "nginx:1.26" ||
		row.Containers[0].Resources != "requests cpu=100m memory=64Mi" {
		t.Errorf("containers %+v", row.Containers)
	}
	if row.TemplateHash == "" || row.Replicas == nil || *row.Replicas != 3 || row.Strategy != "RollingUpdate" || row.ObjectUID == "" || row.Generation == nil {
		t.Errorf("object fields: hash %q replicas %v strategy %q uid %q", row.TemplateHash, row.Replicas, row.Strategy, row.ObjectUID)
	}
	if row.RequestTime == 0 || row.CompleteTime < row.RequestTime || strings.Join(row.Groups, ",") != "system:masters,system:authenticated" {
		t.Errorf("times %d %d groups %v", row.RequestTime, row.CompleteTime, row.Groups)
	}
}

func TestReplicaSetAndPod(t *testing.T) {
	rs, _ := decode(t, labRecords(t, `"verb":"create"`, `"resource":"replicasets"`, `web-6ff6db9c5f`)[0])
	if rs.OwnerKind != "Deployment" || rs.OwnerName != "web" || rs.PodTemplateHash != "6ff6db9c5f" || rs.Revision != "2" {
		t.Errorf("replicaset owner %s/%s hash %q revision %q", rs.OwnerKind, rs.OwnerName, rs.PodTemplateHash, rs.Revision)
	}
	bind, _ := decode(t, labRecords(t, `"subresource":"binding"`)[0])
	if bind.Node == "" || !strings.HasPrefix(bind.Node, "node-") || bind.Subresource != "binding" {
		t.Errorf("binding node %q", bind.Node)
	}
	// A pod status patch by kwok: phase, conditions and container states.
	var ready *load.ChangeRow
	for _, rec := range labRecords(t, `"subresource":"status"`, `"resource":"pods"`, `"phase":"Running"`) {
		r, _ := decode(t, rec)
		for _, c := range r.Conditions {
			if c.Type == "Ready" && c.Status == "True" && c.LastTransition != 0 {
				ready = &r
			}
		}
		if ready != nil {
			break
		}
	}
	if ready == nil || ready.Phase != "Running" || len(ready.Containers) == 0 || ready.Containers[0].Ready == nil || !*ready.Containers[0].Ready {
		t.Fatalf("pod status %+v", ready)
	}
	// The crash-looping ledger pods report restarts and a waiting reason.
	var crash bool
	for _, rec := range labRecords(t, `"subresource":"status"`, `ledger-84cc7d7b98`) {
		r, _ := decode(t, rec)
		for _, c := range r.Containers {
			if c.WaitingReason == "CrashLoopBackOff" || c.Restarts != nil && *c.Restarts > 0 {
				crash = true
			}
		}
	}
	if !crash {
		t.Error("no crash-loop state found in the ledger 7.2 pod statuses")
	}
}

func TestEventWrites(t *testing.T) {
	_, res := decode(t, labRecords(t, `"verb":"create"`, `"resource":"events"`, `"apiGroup":"events.k8s.io"`)[0])
	if res.EventObject == nil || res.EventPatch || !strings.Contains(string(res.EventObject), `"regarding"`) {
		t.Errorf("events.k8s.io create: %+v", res)
	}
	row, res := decode(t, labRecords(t, `"verb":"patch"`, `"resource":"events"`)[0])
	if !res.EventPatch || !strings.Contains(string(res.EventObject), `"count":2`) || row.Name != "web.18eb2c3e7ea833d7" {
		t.Errorf("event patch: %+v %q", res, row.Name)
	}
}

func TestMetadataLevelAndReads(t *testing.T) {
	row, res := decode(t, labRecords(t, `"level":"Metadata"`, `"resource":"clusterroles"`, `"verb":"create"`)[0])
	if res.Kind != KindWrite || row.User == "" || row.Name == "" || row.Kind != "" || row.RequestTime == 0 {
		t.Errorf("metadata-level: %+v", row)
	}
	read := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","user":{"username":"u"},"objectRef":{"resource":"pods","namespace":"n","name":"p"},"responseStatus":{"code":200}}`)
	_, res = decode(t, read)
	if res.Kind != KindRead {
		t.Errorf("get: %+v", res)
	}
	// A denied deploy stays, with its code and reason (audit2rbac-style
	// impersonation).
	denied := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","level":"Metadata","auditID":"b","stage":"ResponseComplete","verb":"patch","user":{"username":"admin","groups":["system:masters"]},"impersonatedUser":{"username":"bob"},"objectRef":{"resource":"deployments","namespace":"shop","name":"web","apiGroup":"apps","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","reason":"Forbidden","code":403},"requestReceivedTimestamp":"2017-09-11T19:55:05.000000Z","stageTimestamp":"2017-09-11T19:55:05.002000Z"}`)
	row, _ = decode(t, denied)
	if row.Code != 403 || row.StatusReason != "Forbidden" || row.ImpersonatedUser != "bob" || row.User != "admin" {
		t.Errorf("denied: %+v", row)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, in := range []string{`[]`, `{"kind":"Event","apiVersion":"audit.k8s.io/v1"}`, `{"auditID":"x","verb":"create"`, `{"auditID":"x","verb":"get"} x`} {
		var d Decoder
		var row load.ChangeRow
		if _, err := d.Decode([]byte(in), &row); err == nil {
			t.Errorf("Decode(%s): no error", in)
		}
	}
}

// A time int64 nanoseconds cannot hold rejects the record, naming the
// field: it wrapped to another time.
func TestDecodeTimeOutOfRange(t *testing.T) {
	base := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"patch","objectRef":{"resource":"deployments","namespace":"shop","name":"web","apiGroup":"apps","apiVersion":"v1"},"responseStatus":{"code":200},`
	for _, tt := range []struct{ in, err string }{
		{base + `"requestReceivedTimestamp":"1600-01-01T00:00:00.000000Z","stageTimestamp":"2026-11-25T03:28:25.000000Z"}`, "requestReceivedTimestamp: time out of range"},
		{base + `"requestReceivedTimestamp":"2026-11-25T03:28:25.000000Z","stageTimestamp":"9999-01-01T00:00:00.000000Z"}`, "stageTimestamp: time out of range"},
		{`{"kind":"Event","apiVersion":"audit.k8s.io/v1alpha1","auditID":"a","verb":"get","timestamp":"2300-01-01T00:00:00Z"}`, "timestamp: time out of range"},
		{base[:len(base)-len(`"responseStatus":{"code":200},`)] + `"responseObject":{"kind":"Deployment","status":{"conditions":[{"type":"Available","lastTransitionTime":"1500-01-01T00:00:00Z"}]}},"requestReceivedTimestamp":"2026-11-25T03:28:25.000000Z"}`, "object: status.conditions.lastTransitionTime: time out of range"},
	} {
		var d Decoder
		var row load.ChangeRow
		_, err := d.Decode([]byte(tt.in), &row)
		if err == nil || err.Error() != tt.err {
			t.Errorf("Decode(%s) = %v, want %q", tt.in, err, tt.err)
		}
	}
}

// A number that is not a whole number in its field's range is a warning
// and the field is unset; the record is kept (1.5 rejected it, 2^40
// replicas wrapped to 0).
func TestDecodeBadNumbers(t *testing.T) {
	rec := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a","stage":"ResponseComplete","verb":"update","objectRef":{"resource":"deployments","namespace":"shop","name":"web","apiGroup":"apps","apiVersion":"v1"},"responseStatus":{"code":1.5},` +
		`"responseObject":{"kind":"Deployment","metadata":{"name":"web","generation":1e400},"spec":{"replicas":1099511627776},"status":{"replicas":2.5,"readyReplicas":3}},"requestReceivedTimestamp":"2026-11-25T03:28:25.000000Z"}`
	var d Decoder
	var row load.ChangeRow
	res, err := d.Decode([]byte(rec), &row)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range res.Warnings {
		got = append(got, w.Error())
	}
	want := []string{`responseStatus.code: not a whole number: "1.5"`, "object: metadata.generation: out of range: 1e400",
		"object: spec.replicas: out of range: 1099511627776", `object: status.replicas: not a whole number: "2.5"`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if row.Code != 0 || row.Generation != nil || row.Replicas != nil || row.StatusReplicas != nil || row.ReadyReplicas == nil || *row.ReadyReplicas != 3 {
		t.Errorf("row %+v", row)
	}
	// Warnings do not leak into the next record.
	if res, _ := d.Decode([]byte(`{"auditID":"b","verb":"get","stage":"ResponseComplete"}`), &row); len(res.Warnings) != 0 {
		t.Errorf("next record: %v", res.Warnings)
	}
}

func FuzzDecode(f *testing.F) {
	for _, rec := range labRecords(f, `"resource":"deployments"`)[:3] {
		f.Add(rec)
	}
	f.Add([]byte(`{"auditID":"x","verb":"patch","objectRef":{"resource":"pods"},"responseObject":{"status":{"containerStatuses":[{"name":"a","state":{"waiting":{"reason":"X"}}}]}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Decoder
		var row load.ChangeRow
		d.Decode(b, &row)
	})
}
