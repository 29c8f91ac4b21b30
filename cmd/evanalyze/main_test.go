package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/evanalyze/evanalyze/internal/load/pqfile"
	"github.com/evanalyze/evanalyze/internal/report/otlp/otlptest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

// runCmd runs the CLI in-process with injected streams.
func runCmd(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, streams{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return out.String(), errb.String(), code
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/evanalyze -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (rerun with -update and review the diff):\n%s", path, got)
	}
}

const lab = "../../testdata/lab-basic"

func TestInspectGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"inspect-lab-basic.txt", []string{"inspect", lab}},
		{"inspect-lab-basic.json", []string{"inspect", "-o", "json", lab}},
		{"inspect-bad.txt", []string{"inspect", "../../testdata/bad"}},
		{"inspect-public-yaml.txt", []string{"inspect", "../../testdata/public"}},
		{"changes-lab-basic.txt", []string{"changes", lab + "/audit.log.gz"}},
		{"rollouts-lab-basic.txt", []string{"rollouts", lab}},
		{"rollouts-lab-jobs.txt", []string{"rollouts", "../../testdata/lab-jobs"}},
		{"export-lab-basic.jsonl", []string{"export", "--otlp-file", "-", "-q", lab}},
		{"timeline-cart-api.txt", []string{"timeline", lab, "--since", "2026-11-25T03:29:00Z", "--until", "2026-11-25T03:30:30Z", "--workload", "deployment/cart-api"}},
		{"timeline-cart-api.md", []string{"timeline", lab, "-o", "md", "--since", "2026-11-25T03:29:00Z", "--until", "2026-11-25T03:30:30Z", "--workload", "deployment/cart-api"}},
		{"timeline-web-unschedulable.json", []string{"timeline", lab, "-o", "json", "--around", "2026-11-25T03:31:35Z", "--window", "1m", "--namespace", "shop"}},
		{"timeline-cart-api.html", []string{"timeline", lab, "-o", "html", "--since", "2026-11-25T03:29:00Z", "--until", "2026-11-25T03:30:30Z", "--workload", "deployment/cart-api"}},
		{"stats-labs.txt", []string{"stats", lab, "../../testdata/lab-lifecycle", "../../testdata/lab-workloads", "../../testdata/lab-jobs"}},
		{"stats-labs.html", []string{"stats", "-o", "html", lab, "../../testdata/lab-lifecycle"}},
		{"stats-labs.json", []string{"stats", "-o", "json", lab, "../../testdata/lab-lifecycle"}},
		{"rollouts-lab-workloads.txt", []string{"rollouts", "../../testdata/lab-workloads"}},
		{"rollouts-lab-basic.json", []string{"rollouts", "-o", "json", lab + "/events-list.json", lab + "/audit.log.gz"}},
		{"rollouts-lab-basic-events.csv", []string{"rollouts", "-o", "csv", lab + "/watch-eventsv1.jsonl"}},
		{"rollouts-lab-lifecycle-superseded.jsonl", []string{"rollouts", "-o", "jsonl", "--outcome", "superseded", "../../testdata/lab-lifecycle"}},
		{"changes-lab-lifecycle.json", []string{"changes", "-o", "json", "../../testdata/lab-lifecycle/audit.log.gz"}},
		{"explain-web-2.txt", []string{"explain", lab, "--workload", "deploy/web", "--seq", "2"}},
		{"explain-web-2-watch.txt", []string{"explain", lab + "/watch-core.json", "--workload", "deploy/web", "--seq", "2"}},
		{"explain-web-unschedulable.txt", []string{"explain", lab, "--workload", "deploy/web", "--revision", "3"}},
		{"explain-worker-quota.txt", []string{"explain", "../../testdata/lab-failures", "-n", "shop", "--workload", "deployment/worker", "--seq", "2"}},
		{"explain-search-pull.txt", []string{"explain", "../../testdata/lab-lifecycle", "--workload", "deploy/search", "--seq", "1"}},
		{"explain-db-statefulset.txt", []string{"explain", "../../testdata/lab-workloads", "--workload", "sts/db", "--seq", "2"}},
		{"explain-report-job.json", []string{"explain", "../../testdata/lab-jobs", "--workload", "job/report-2024", "-o", "json"}},
		{"changes-lab-workloads.csv", []string{"changes", "-o", "csv", "../../testdata/lab-workloads/audit.log.gz"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCmd(t, "", tc.args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden(t, tc.name, out)
			if strings.HasSuffix(tc.name, "-bad.txt") {
				golden(t, strings.TrimSuffix(tc.name, ".txt")+".stderr", errOut)
				golden(t, strings.TrimSuffix(tc.name, ".txt")+".warnings", warningLines(t, tc.args))
			}
		})
	}
}

// warningLines lists the warnings (fields left unset, events kept) of
// inspect -o json on args, one "file:line: field: reason" a line, and the
// files not read with their reason.
func warningLines(t *testing.T, args []string) string {
	t.Helper()
	out, errOut, code := runCmd(t, "", append([]string{args[0], "-o", "json"}, args[1:]...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Files []struct {
			WarningList []string `json:"warning_list"`
		} `json:"files"`
		SkippedFiles []struct{ File, Reason string } `json:"skipped_files"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range got.Files {
		for _, w := range f.WarningList {
			fmt.Fprintf(&b, "warning: %s\n", w)
		}
	}
	for _, f := range got.SkippedFiles {
		fmt.Fprintf(&b, "not read: %s (%s)\n", f.File, f.Reason)
	}
	return b.String()
}

func TestInspectJSONContract(t *testing.T) {
	out, _, code := runCmd(t, "", "inspect", "-o", "json", lab+"/events-list.json", lab+"/watch-core.json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var got struct {
		Files []struct {
			File   string `json:"file"`
			Format string `json:"format"`
			Events int64  `json:"events"`
		} `json:"files"`
		Totals struct {
			Read, Events, Observations, Duplicates, Rejected int64
		} `json:"totals"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Totals.Read != 279 || got.Totals.Events != 139 || got.Totals.Observations != 140 || got.Totals.Duplicates != 139 || got.Totals.Rejected != 0 {
		t.Errorf("totals %+v", got.Totals)
	}
	if len(got.Files) != 2 || got.Files[0].Format != "k8s-list" || got.Files[1].Format != "json-stream" || got.Files[1].Events != 139 {
		t.Errorf("files %+v", got.Files)
	}
}

func TestStdinAndExitCodes(t *testing.T) {
	raw, err := os.ReadFile(lab + "/watch-eventsv1.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	out, _, code := runCmd(t, string(raw), "inspect", "-o", "json", "-")
	if code != exitOK || !strings.Contains(out, `"file": "<stdin>"`) || !strings.Contains(out, `"events": 139`) {
		t.Errorf("stdin: exit %d\n%s", code, out)
	}
	_, errOut, code := runCmd(t, "", "inspect", "--strict", "../../testdata/bad/malformed.jsonl")
	if code != exitFailure || !strings.Contains(errOut, "malformed.jsonl:2: record truncated at end of line") {
		t.Errorf("strict: exit %d, %q", code, errOut)
	}
	_, errOut, code = runCmd(t, "", "inspect", "-o", "yaml", lab)
	if code != exitUsage || !strings.HasPrefix(errOut, "Error: --output must be text or json") {
		t.Errorf("bad flag value: exit %d, %q", code, errOut)
	}
	_, _, code = runCmd(t, "", "inspect", "--no-such-flag", lab)
	if code != exitUsage {
		t.Errorf("unknown flag: exit %d", code)
	}
	_, errOut, code = runCmd(t, "", "inspect", "does-not-exist")
	if code != exitFailure || !strings.Contains(errOut, "does-not-exist") {
		t.Errorf("missing path: exit %d, %q", code, errOut)
	}
}

func TestExportBackfill(t *testing.T) {
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" || r.Header.Get("X-Team") != "platform" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		got.Add(1)
	}))
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20s3cret")
	ckpt := filepath.Join(t.TempDir(), "ckpt")
	_, errOut, code := runCmd(t, "", "export", lab, "--endpoint", srv.URL, "--header", "X-Team=platform", "--checkpoint", ckpt)
	if code != exitOK || got.Load() != 1 || !strings.Contains(errOut, "delivered 1 request (97 spans)") {
		t.Fatalf("exit %d, %d requests, %q", code, got.Load(), errOut)
	}
	_, errOut, code = runCmd(t, "", "export", lab, "--endpoint", srv.URL, "--header", "X-Team=platform", "--checkpoint", ckpt)
	if code != exitOK || got.Load() != 1 || !strings.Contains(errOut, "1 skipped (checkpoint: 97 spans delivered before)") {
		t.Fatalf("rerun: exit %d, %d requests, %q", code, got.Load(), errOut)
	}
	// --endpoint with --otlp-file does both.
	file := filepath.Join(t.TempDir(), "traces.jsonl")
	_, errOut, code = runCmd(t, "", "export", lab, "--endpoint", srv.URL, "--header", "X-Team=platform", "--otlp-file", file)
	if st, err := os.Stat(file); code != exitOK || got.Load() != 2 || err != nil || st.Size() == 0 || !strings.Contains(errOut, "exported 10 traces") {
		t.Fatalf("endpoint and file: exit %d, %d requests, file %v, %q", code, got.Load(), err, errOut)
	}
	_, errOut, code = runCmd(t, "", "export", lab, "--endpoint", srv.URL, "--max-attempts", "1")
	if code != exitFailure || !strings.Contains(errOut, "401 Unauthorized") || !strings.Contains(errOut, "1 failed") {
		t.Fatalf("unauthorized: exit %d, %q", code, errOut)
	}
	if _, _, code = runCmd(t, "", "export", lab); code != exitUsage {
		t.Errorf("no destination: exit %d", code)
	}
}

// The checkpoint is keyed on what the traces hold, not on how the input
// paths were spelled (they are in the span events' evanalyze.source): the
// same archive named another way resends nothing.
func TestExportCheckpointPaths(t *testing.T) {
	rc := &otlptest.Receiver{}
	url := rc.StartHTTP(t)
	abs, err := filepath.Abs(lab)
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "ckpt")
	for i, path := range []string{lab, abs, "./" + lab + "/", abs + "/../lab-basic"} {
		_, errOut, code := runCmd(t, "", "export", path, "--endpoint", url, "--checkpoint", ckpt, "--max-spans", "20")
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", path, code, errOut)
		}
		if i > 0 && !strings.Contains(errOut, "delivered 0 requests (0 spans)") {
			t.Errorf("%s resent: %s", path, errOut)
		}
	}
	spans := rc.Spans()
	if len(spans) != 97 {
		t.Errorf("%d spans received, want 97", len(spans))
	}
	for id, n := range spans {
		if n != 1 {
			t.Errorf("span %s received %d times", id, n)
		}
	}
}

// A receiver that rejects spans (partial success) fails the run with its
// message; the rerun sends the request again and succeeds.
func TestExportPartialSuccess(t *testing.T) {
	rc := &otlptest.Receiver{Mode: otlptest.Partial, N: 1}
	url := rc.StartHTTP(t)
	args := []string{"export", lab, "--endpoint", url, "--checkpoint", filepath.Join(t.TempDir(), "ckpt"), "--max-spans", "20", "--concurrency", "1"}
	_, errOut, code := runCmd(t, "", args...)
	if code != exitFailure || !strings.Contains(errOut, "1 accepted in part (") || !strings.Contains(errOut, "the receiver said: "+otlptest.PartialMessage) ||
		!strings.Contains(errOut, "Error: the receiver rejected") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, errOut, code = runCmd(t, "", args...)
	if code != exitOK || !strings.Contains(errOut, "delivered 1 request (") {
		t.Fatalf("rerun: exit %d: %s", code, errOut)
	}
}

// Untrusted text stays text in Markdown: a message with markup is escaped.
func TestTimelineEscapesMarkdown(t *testing.T) {
	out, _, code := runCmd(t, "", "timeline", "-o", "md", "-v", "../../testdata/bad/hostile.jsonl")
	if code != exitOK || strings.Contains(out, "<script>") || !strings.Contains(out, "&lt;script&gt;alert\\(1\\)&lt;/script&gt;") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// Every report from a Parquet archive equals the report from the original
// JSON and audit files.
func TestParquetRoundTripReports(t *testing.T) {
	dir := t.TempDir()
	if _, errOut, code := runCmd(t, "", "convert", "-q", lab, "--to", dir); code != exitOK {
		t.Fatalf("convert: exit %d %s", code, errOut)
	}
	for _, args := range [][]string{
		{"rollouts", "-o", "json"}, {"changes", "-o", "json", "--all"}, {"stats", "-o", "json"},
		{"timeline", "-o", "json"}, {"export", "--otlp-file", "-"},
	} {
		want, _, code1 := runCmd(t, "", append(append([]string{}, args...), "-q", lab)...)
		got, _, code2 := runCmd(t, "", append(append([]string{}, args...), "-q", dir)...)
		if code1 != exitOK || code2 != exitOK || got != want {
			t.Errorf("%v: exit %d/%d, output from Parquet differs (%d vs %d bytes)", args, code1, code2, len(got), len(want))
		}
	}
}

// stats over the four labs as four clusters (cluster=NAME directories).
func TestStatsFleetGolden(t *testing.T) {
	fleet := t.TempDir()
	for _, lab := range []string{"lab-basic", "lab-jobs", "lab-lifecycle", "lab-workloads"} {
		dst := filepath.Join(fleet, "cluster="+lab)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"watch-eventsv1.jsonl", "audit.log.gz"} {
			b, err := os.ReadFile(filepath.Join("../../testdata", lab, f))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dst, f), b, 0o644)
		}
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"stats-fleet.txt", []string{"stats", "-q", fleet, "--group-by", "cluster,kind"}},
		{"stats-fleet.json", []string{"stats", "-q", "-o", "json", fleet}},
	} {
		out, errOut, code := runCmd(t, "", tc.args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d %s", tc.name, code, errOut)
		}
		golden(t, tc.name, out)
	}
}

// fleetArchive converts the four labs, each as a cluster, into a Parquet
// archive whose events files have row groups of 8 rows, so that scopes
// skip some of them.
func fleetArchive(t *testing.T) (fleet, archive string) {
	t.Helper()
	fleet, archive = t.TempDir(), t.TempDir()
	for _, lab := range []string{"lab-basic", "lab-jobs", "lab-lifecycle", "lab-workloads"} {
		dst := filepath.Join(fleet, "cluster="+lab)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"watch-eventsv1.jsonl", "audit.log.gz"} {
			b, err := os.ReadFile(filepath.Join("../../testdata", lab, f))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dst, f), b, 0o644)
		}
	}
	if _, errOut, code := runCmd(t, "", "convert", "-q", fleet, "--to", archive); code != exitOK {
		t.Fatalf("convert: exit %d %s", code, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(archive, "*", "*", "events.parquet"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := pqfile.ReadRows(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := pqfile.WriteRows(&buf, rows, 8); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(f, buf.Bytes(), 0o644)
	}
	return fleet, archive
}

// Selections pushed down into loading (--namespace, and the timeline's
// --cluster) give the output of loading everything and filtering after,
// from the Parquet archive and from the original files alike.
func TestPushDownReports(t *testing.T) {
	if testing.Short() {
		t.Skip("long: make test-long (which CI runs) runs it")
	}
	fleet, archive := fleetArchive(t)
	for _, args := range [][]string{
		{"rollouts", "-o", "json", "--namespace", "shop"},
		{"stats", "-o", "json", "--namespace", "payments"},
		{"export", "--otlp-file", "-", "--namespace", "infra"},
		{"changes", "-o", "json", "--all", "--namespace", "shop"},
		{"timeline", "-o", "json", "--cluster", "lab-basic", "--namespace", "shop", "--since", "2026-11-25T03:29:00Z", "--until", "2026-11-25T03:31:00Z"},
		{"timeline", "-o", "json", "--cluster", "lab-workloads"},
		{"timeline", "-o", "json", "--namespace", "batch-jobs", "--since", "end-2m"},
	} {
		all, _, code := runCmd(t, "", append(append([]string{}, args...), "-q", "--no-pushdown", fleet)...)
		if code != exitOK || len(all) < 100 {
			t.Fatalf("%v: exit %d, %d bytes", args, code, len(all))
		}
		for _, in := range []string{fleet, archive} {
			got, _, code := runCmd(t, "", append(append([]string{}, args...), "-q", in)...)
			if code != exitOK || got != all {
				t.Errorf("%v %s: exit %d, output differs from loading everything (%d vs %d bytes)", args, in, code, len(got), len(all))
			}
		}
	}
	// Something was skipped, and it is counted.
	out, _, code := runCmd(t, "", "inspect", "-o", "json", "--namespace", "shop", archive)
	var got struct {
		Totals struct {
			OutOfScope        int64 `json:"out_of_scope"`
			RowGroups         int   `json:"row_groups"`
			RowGroupsSkipped  int   `json:"row_groups_skipped"`
			Unread            int64 `json:"unread"`
			PartitionsSkipped int   `json:"partitions_skipped"`
		} `json:"totals"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil {
		t.Fatalf("exit %d, %v", code, err)
	}
	if tot := got.Totals; tot.RowGroupsSkipped == 0 || tot.RowGroupsSkipped >= tot.RowGroups || tot.Unread == 0 || tot.OutOfScope == 0 {
		t.Errorf("inspect --namespace shop: %+v", tot)
	}
	out, _, _ = runCmd(t, "", "inspect", "--since", "2026-11-25T16:00:00Z", "--until", "2026-11-25T16:50:00Z", archive)
	if !strings.Contains(out, "scope:      ") {
		t.Errorf("inspect --since: no scope line:\n%s", out)
	}
}

// Parquet other pipelines wrote: nested Kubernetes field names read as
// they are, flat columns through --columns; a bad mapping is a usage
// error, a file without the columns a rejected file.
func TestForeignParquet(t *testing.T) {
	want, _, _ := runCmd(t, "", "rollouts", "-o", "csv", "-q", lab+"/events-list.json")
	got, _, code := runCmd(t, "", "rollouts", "-o", "csv", "-q", "../../testdata/parquet-foreign/lab-basic-events-duckdb.parquet")
	if code != exitOK || got != want {
		t.Errorf("DuckDB export: exit %d, rollouts differ from the JSON's:\n%s\nwant\n%s", code, got, want)
	}
	type flat struct {
		TS     time.Time `parquet:"ts,timestamp(millisecond)"`
		Reason string    `parquet:"evt_reason"`
		Kind   string    `parquet:"kind"`
		Object string    `parquet:"obj"`
	}
	path := filepath.Join(t.TempDir(), "flat.parquet")
	if err := parquet.WriteFile(path, []flat{{TS: time.Unix(1764041400, 0), Reason: "BackOff", Kind: "Pod", Object: "web-1"}}); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCmd(t, "", "inspect", "-o", "json", "--columns", "time=ts, reason=evt_reason,object_kind=kind,object_name=obj", path)
	if code != exitOK || !strings.Contains(out, `"observations": 1`) || !strings.Contains(out, `"name": "BackOff"`) {
		t.Errorf("--columns: exit %d %s\n%s", code, errOut, out)
	}
	_, errOut, code = runCmd(t, "", "inspect", path)
	if code != exitOK || !strings.Contains(errOut, "flat.parquet: column reason missing: none of reason (map one with --columns reason=COLUMN)") {
		t.Errorf("no mapping: exit %d, %q", code, errOut)
	}
	_, errOut, code = runCmd(t, "", "inspect", "--columns", "reasons=evt_reason", path)
	if code != exitUsage || !strings.Contains(errOut, `Error: --columns: "reasons=evt_reason": no field reasons in the event table`) {
		t.Errorf("bad mapping: exit %d, %q", code, errOut)
	}
}
