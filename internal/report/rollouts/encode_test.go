package rollouts

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/report/reporttest"
)

// stdJSON is what `rollouts -o json` wrote before the streaming writer:
// one json.Encoder over the slice.
func stdJSON(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// stdJSONL is what `rollouts -o jsonl` wrote: Encode per rollout.
func stdJSONL(t testing.TB, rs []correlate.Rollout) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, r := range rs {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// checkSame compares the writers with encoding/json on rs.
func checkSame(t *testing.T, rs []correlate.Rollout) {
	t.Helper()
	var got bytes.Buffer
	if err := WriteJSON(&got, rs); err != nil {
		t.Fatal(err)
	}
	if want := stdJSON(t, rs); !bytes.Equal(got.Bytes(), want) {
		t.Errorf("WriteJSON differs from encoding/json:\n got %q\nwant %q", got.Bytes(), want)
	}
	got.Reset()
	if err := WriteJSONL(&got, rs); err != nil {
		t.Fatal(err)
	}
	if want := stdJSONL(t, rs); !bytes.Equal(got.Bytes(), want) {
		t.Errorf("WriteJSONL differs from encoding/json:\n got %q\nwant %q", got.Bytes(), want)
	}
}

// TestEncoderRecordings encodes every rollout of every recording in
// testdata/, alone and all together, and compares with encoding/json.
func TestEncoderRecordings(t *testing.T) {
	total := 0
	for _, rec := range reporttest.Recordings(t) {
		t.Run(rec, func(t *testing.T) {
			rs := reporttest.Correlate(t, rec)
			total += len(rs)
			checkSame(t, rs)
			var enc Encoder
			var buf []byte
			for i := range rs {
				var err error
				if buf, err = enc.AppendRollout(buf[:0], &rs[i]); err != nil {
					t.Fatal(err)
				}
				want, _ := json.Marshal(&rs[i]) // escapes HTML: compare only where it cannot matter
				if !bytes.ContainsAny(buf, "<>&") && !bytes.Equal(buf, want) {
					t.Errorf("%s/%s #%d:\n got %s\nwant %s", rs[i].Namespace, rs[i].Name, rs[i].Seq, buf, want)
				}
			}
		})
	}
	if total == 0 {
		t.Fatal("no rollouts in testdata/")
	}
	t.Logf("%d rollouts", total)
}

// TestEncoderEdges covers what the recordings may not: none, one, nil
// and empty slices and maps, every omitempty field, escapes, number and
// time forms.
func TestEncoderEdges(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 3, 29, 0, 123456789, time.UTC)
	f := func(v float64) *float64 { return &v }
	full := correlate.Rollout{
		Cluster: "c<&>", Namespace: "ns\"\\", Kind: "Deployment", Name: "a\u2028b\u2029c\x00\x1f\x7f\b\f\n\r\t", UID: "u",
		Owner: "cj", Revision: "3", Seq: -2, NewReplicaSet: "rs\xff\xfe", OldReplicaSets: []string{}, Rollback: true, Partial: true,
		Start: t0, End: &t0, DurationSeconds: f(1e21), Outcome: "failed", FailureReason: "x",
		Trigger: &correlate.Trigger{User: "u", UserAgent: "ua", At: t0.In(time.FixedZone("", -5*3600)), AuditID: "id", Source: "f:1"},
		Changes: []string{"a", ""}, Replicas: 3,
		Pods: []correlate.Pod{{Name: "p", UID: "u", ReplicaSet: "rs", Node: "n", Created: &t0, Restarts: 2, Warnings: map[string]int{}},
			{Name: "q", Warnings: map[string]int{"b": 1, "a": 2, "é": 3, "\xff": 4}}},
		Phases:   correlate.Phases{SchedulingWait: f(1e-7), ImagePull: f(0.000001), ContainerStart: f(math.Copysign(0, -1)), Readiness: f(123456789.125)},
		Warnings: map[string]int{"BackOff": 37}, Steps: []correlate.Step{{At: t0, ReplicaSet: "rs", From: 0, To: 1, Source: "f:2"}, {At: t0}},
		Sources: []string{"f:3"},
	}
	for name, rs := range map[string][]correlate.Rollout{
		"nil":   nil,
		"empty": {},
		"zero":  {{}},
		"one":   {full},
		"two": {full, {Pods: []correlate.Pod{}, Steps: []correlate.Step{}, Sources: []string{}, Start: t0.In(time.FixedZone("", 5*3600+1800))},
			{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600+1))}}, // RFC 3339 drops the offset's seconds
	} {
		t.Run(name, func(t *testing.T) {
			if rs == nil {
				// The writer promises an array; encoding/json writes null.
				var got bytes.Buffer
				if err := WriteJSON(&got, rs); err != nil || got.String() != "[]\n" {
					t.Errorf("nil: %q %v", got.String(), err)
				}
				return
			}
			checkSame(t, rs)
		})
	}
}

// TestEncoderRefuses checks that what encoding/json refuses is an error,
// with nothing appended.
func TestEncoderRefuses(t *testing.T) {
	nan := math.NaN()
	inf := math.Inf(-1)
	for name, r := range map[string]correlate.Rollout{
		"nan":  {DurationSeconds: &nan},
		"inf":  {Phases: correlate.Phases{Readiness: &inf}},
		"year": {Start: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"neg":  {Start: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		"zone": {Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600))},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := json.Marshal(r); err == nil {
				t.Fatal("encoding/json accepts it")
			}
			var enc Encoder
			buf, err := enc.AppendRollout([]byte("x"), &r)
			if err == nil || string(buf) != "x" {
				t.Errorf("got %q, %v", buf, err)
			}
		})
	}
}
