package rollouts

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/report/reporttest"
)

// fuzzRollout builds a rollout from fuzzed values: s0..s3 fill the
// strings (and map keys), ns and zone the times, f0 and f1 the numbers,
// mask which pointers, slices and maps are nil, empty or set.
func fuzzRollout(s0, s1, s2, s3 string, ns int64, zone int32, f0, f1 float64, n int64, mask uint32) correlate.Rollout {
	bit := func(i int) bool { return mask&(1<<i) != 0 }
	t := time.Unix(0, ns).In(time.FixedZone(s3, int(zone%(30*3600))))
	t2 := t.Add(time.Duration(f0 * float64(time.Second)))
	strs := func(i int) []string {
		switch {
		case bit(i):
			return nil
		case bit(i + 1):
			return []string{}
		}
		return []string{s0, s1, s2}
	}
	counts := func(i int) map[string]int {
		switch {
		case bit(i):
			return nil
		case bit(i + 1):
			return map[string]int{}
		}
		return map[string]int{s0: int(n), s1: 1, s2: -int(n), s3 + "x": 0}
	}
	opt := func(i int, s string) string {
		if bit(i) {
			return ""
		}
		return s
	}
	r := correlate.Rollout{
		Cluster: s0, Namespace: s1, Kind: s2, Name: s3, UID: opt(0, s1), Owner: opt(1, s2), Revision: opt(2, s0), Seq: int(n),
		NewReplicaSet: opt(3, s3), OldReplicaSets: strs(4), Rollback: bit(6), Partial: bit(7), Start: t,
		Outcome: s2, FailureReason: opt(8, s0+"\n"+s1), Changes: strs(9), Replicas: int(n >> 3), Warnings: counts(11),
		Sources: strs(13),
	}
	if bit(15) {
		r.End, r.DurationSeconds = &t2, &f0
	}
	if bit(16) {
		r.Trigger = &correlate.Trigger{User: s3, UserAgent: opt(17, s2), At: t2, AuditID: opt(18, s1), Source: opt(19, s0)}
	}
	if bit(20) {
		r.Phases = correlate.Phases{SchedulingWait: &f0, ImagePull: &f1, Readiness: &f1}
	}
	switch {
	case bit(21):
		r.Pods = []correlate.Pod{}
	case bit(22):
		r.Pods = []correlate.Pod{{Name: s0, UID: opt(23, s1), ReplicaSet: opt(24, s2), Node: opt(25, s3), Created: &t, Ready: &t2,
			Restarts: int(n), Warnings: counts(26)}, {}}
	}
	switch {
	case bit(28):
		r.Steps = []correlate.Step{}
	case bit(29):
		r.Steps = []correlate.Step{{At: t2, ReplicaSet: s1, From: int(n), To: int(-n), Source: opt(30, s2)}, {}}
	}
	return r
}

func FuzzRolloutJSON(f *testing.F) {
	// Seeds: text of the recorded rollouts, and the forms that need care.
	for _, r := range reporttest.Correlate(f, "lab-failures") {
		var d float64
		if r.DurationSeconds != nil {
			d = *r.DurationSeconds
		}
		f.Add(r.Namespace, r.Name, r.FailureReason, r.NewReplicaSet, r.Start.UnixNano(), int32(0), d, 0.5, int64(r.Seq), uint32(r.Seq)*0x9e3779b9)
	}
	f.Add("<&>\u2028\u2029", "\x00\x1f\"\\", "\xff\xfe", "é", int64(-1), int32(-3600), 1e21, 1e-7, int64(-1)<<40, uint32(0xffffffff))
	f.Add("", "", "", "", int64(0), int32(5*3600+1), -0.0, 123456789.125, int64(0), uint32(0))
	f.Fuzz(func(t *testing.T, s0, s1, s2, s3 string, ns int64, zone int32, f0, f1 float64, n int64, mask uint32) {
		r := fuzzRollout(s0, s1, s2, s3, ns, zone, f0, f1, n, mask)
		for _, indent := range []string{"", "  "} {
			var want bytes.Buffer
			std := json.NewEncoder(&want)
			std.SetEscapeHTML(false)
			std.SetIndent(indent, indent)
			stdErr := std.Encode(&r)
			enc := Encoder{Prefix: indent, Indent: indent}
			got, err := enc.AppendRollout(nil, &r)
			if (err != nil) != (stdErr != nil) {
				t.Fatalf("indent %q: error %v, encoding/json %v", indent, err, stdErr)
			}
			if err != nil {
				continue
			}
			if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got, w) {
				t.Fatalf("indent %q:\n got %s\nwant %s", indent, got, w)
			}
		}
	})
}
