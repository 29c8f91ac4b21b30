package archive

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/evanalyze/evanalyze/internal/load"
)

// labAuditRecords returns lab-basic's audit records decoded as maps.
func labAuditRecords(t *testing.T) []map[string]any {
	t.Helper()
	f, err := os.Open(labPaths("audit.log.gz")[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 8<<20)
	var out []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// toV1alpha1 rewrites a v1 audit event the way audit.k8s.io/v1alpha1 wrote
// it (k8s.io/apiserver/pkg/apis/audit/v1alpha1): the request time in
// "timestamp", no stage timestamps, and objectRef.apiVersion as
// GROUP/VERSION with no apiGroup.
func toV1alpha1(m map[string]any) map[string]any {
	m["apiVersion"] = "audit.k8s.io/v1alpha1"
	m["timestamp"] = m["requestReceivedTimestamp"]
	delete(m, "requestReceivedTimestamp")
	delete(m, "stageTimestamp")
	if ref, ok := m["objectRef"].(map[string]any); ok {
		if g, ok := ref["apiGroup"].(string); ok {
			if g != "" {
				ref["apiVersion"] = g + "/" + ref["apiVersion"].(string)
			}
			delete(ref, "apiGroup")
		}
	}
	return m
}

func writeJSON(t *testing.T, path string, recs []map[string]any, indent bool) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if indent {
		enc.SetIndent("", "  ")
	}
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sameColumns fails unless a and b hold equal values in every column of
// the schema but those named in skip.
func sameColumns(t *testing.T, what string, a, b arrow.Record, skip ...string) {
	t.Helper()
	if a.NumRows() != b.NumRows() {
		t.Fatalf("%s: %d rows, want %d", what, b.NumRows(), a.NumRows())
	}
	skipped := map[string]bool{}
	for _, s := range skip {
		skipped[s] = true
	}
	for i, f := range a.Schema().Fields() {
		if skipped[f.Name] {
			continue
		}
		if got, want := b.Column(i).String(), a.Column(i).String(); got != want {
			t.Errorf("%s: column %s differs", what, f.Name)
		}
	}
}

// The same requests written as audit.k8s.io/v1alpha1, as v1beta1 with its
// deprecated timestamp, as pretty-printed concatenated JSON and as an
// EventList (items without kind, as the webhook backend sends them) give
// the changes and events that the v1 log gives.
func TestOldAuditFormats(t *testing.T) {
	if testing.Short() {
		t.Skip("long: make test-long (which CI runs) runs it")
	}
	want := loadT(t, labPaths("audit.log.gz"), Options{})
	dir := t.TempDir()

	alpha := labAuditRecords(t)
	for _, m := range alpha {
		toV1alpha1(m)
	}
	writeJSON(t, filepath.Join(dir, "v1alpha1.log"), alpha, false)

	beta := labAuditRecords(t)
	for _, m := range beta {
		m["apiVersion"] = "audit.k8s.io/v1beta1"
		m["timestamp"] = m["requestReceivedTimestamp"]
	}
	writeJSON(t, filepath.Join(dir, "v1beta1-pretty.json"), beta, true)

	items := labAuditRecords(t)
	for _, m := range items {
		delete(m, "kind")
		delete(m, "apiVersion")
	}
	list := map[string]any{"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": map[string]any{}, "items": items}
	writeJSON(t, filepath.Join(dir, "eventlist.json"), []map[string]any{list}, true)

	provenance := []string{"source_format", "source_file", "source_line", "source_offset"}
	for _, c := range []struct {
		file string
		skip []string // v1alpha1 has no stage time
	}{
		{"v1alpha1.log", []string{"complete_time"}},
		{"v1beta1-pretty.json", nil},
		{"eventlist.json", nil},
	} {
		got := loadT(t, []string{filepath.Join(dir, c.file)}, Options{})
		if got.Totals.Rejected != 0 || got.Totals.Read != want.Totals.Read || got.Totals.Audit.Records != want.Totals.Audit.Records {
			t.Errorf("%s: totals %+v, want %+v", c.file, got.Totals, want.Totals)
		}
		sameColumns(t, c.file+" changes", want.Changes, got.Changes, append(c.skip, provenance...)...)
		sameColumns(t, c.file+" events", want.Events(), got.Events(), provenance...)
	}
	// In the v1alpha1 log the request time stands for the stage time.
	got := loadT(t, []string{filepath.Join(dir, "v1alpha1.log")}, Options{})
	for i := 0; i < int(got.Changes.NumRows()); i++ {
		if rt, ct := load.ChangeTime(got.Changes, load.CRequestTime, i), load.ChangeTime(got.Changes, load.CCompleteTime, i); rt == 0 || ct != rt {
			t.Fatalf("v1alpha1 row %d: request %d, complete %d", i, rt, ct)
		}
	}
}

// A fixture wrapper around one Azure diagnostic record around an audit
// event opens both envelopes; an Azure record with no Kubernetes record in
// it is skipped with the reason, not rejected.
func TestNestedEnvelopes(t *testing.T) {
	rec := labAuditRecords(t)[0]
	inner, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	azure := map[string]any{"category": "kube-audit", "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read",
		"properties": map[string]any{"log": string(inner)}}
	lines := []map[string]any{
		{"test_name": "wrapped", "log": azure},
		azure,
		{"test_name": "activity", "log": map[string]any{"category": "Administrative", "operationName": "Microsoft.Compute/virtualMachines/write"}},
	}
	path := filepath.Join(t.TempDir(), "fixtures.jsonl")
	writeJSON(t, path, lines, false)
	a := loadT(t, []string{path}, Options{})
	f := a.Files[0]
	if f.Read != 3 || f.Audit.Records != 2 || f.Skipped != 1 || f.Rejected != 0 || f.Envelopes["azure-diagnostics"] != 3 || f.Envelopes["log-wrapper"] != 2 {
		t.Fatalf("read %d, audit %d, skipped %d %v, rejected %d %v, envelopes %v", f.Read, f.Audit.Records, f.Skipped, f.SkipReasons, f.Rejected, f.Errors, f.Envelopes)
	}
}
