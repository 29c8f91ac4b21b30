package otlp_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/archive"
)

// spanEvent is where a Kubernetes event went: trace (service and rollout
// sequence number) and span.
type spanEvent struct {
	trace, span, reason, message string
}

// placements maps each event's source (file:line) to where it went.
func placements(td ptrace.Traces) map[string][]spanEvent {
	out := map[string][]spanEvent{}
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		svc, _ := rs.Resource().Attributes().Get("service.name")
		spans := rs.ScopeSpans().At(0).Spans()
		seq := ""
		for j := 0; j < spans.Len(); j++ {
			if v, ok := spans.At(j).Attributes().Get("evanalyze.rollout.seq"); ok {
				seq = v.AsString()
			}
		}
		for j := 0; j < spans.Len(); j++ {
			s := spans.At(j)
			name := s.Name()
			if v, ok := s.Attributes().Get("k8s.pod.name"); ok && name == "pod" {
				name += " " + v.Str()
			} else if v, ok := s.Attributes().Get("k8s.replicaset.name"); ok && name == "scale replicaset" {
				from, _ := s.Attributes().Get("evanalyze.replicas.from")
				to, _ := s.Attributes().Get("evanalyze.replicas.to")
				name += fmt.Sprintf(" %s %d→%d", v.Str(), from.Int(), to.Int())
			}
			for k := 0; k < s.Events().Len(); k++ {
				e := s.Events().At(k)
				src, _ := e.Attributes().Get("evanalyze.source")
				msg, _ := e.Attributes().Get("k8s.event.message")
				out[src.Str()] = append(out[src.Str()], spanEvent{svc.Str() + "#" + seq, name, e.Name(), msg.Str()})
			}
		}
	}
	return out
}

// The events of a rollout's old ReplicaSets and of their pods are in the
// traces (testdata/lab-basic/README.md has what happened): a ReplicaSet's
// SuccessfulDelete on the scale step that caused it, the deleted pod's
// Killing on that pod's span (in the trace of the rollout that created
// it). Every event of the archive is on a span except the nodes' and
// those of the scaling at 03:32:03 and 03:32:13 (not a rollout); an
// event is on two spans only when it ends one rollout and starts the next.
func TestOldReplicaSetEvents(t *testing.T) {
	jsonl, _, _ := export(t, lab("events-list.json", "audit.log.gz"))
	placed := placements(readJSON(t, jsonl))
	find := func(reason, message string) []spanEvent {
		var out []spanEvent
		for _, evs := range placed {
			for _, e := range evs {
				if e.reason == reason && e.message == message {
					out = append(out, e)
				}
			}
		}
		return out
	}
	for _, tc := range []struct{ reason, message, trace, span string }{
		// #4: shop/web nginx 1.25 -> 1.26 replaces web-7bdb597cf4's pods one by one.
		{"SuccessfulDelete", "Deleted pod: web-7bdb597cf4-zbc6s", "shop/web#2", "scale replicaset web-7bdb597cf4 3→2"},
		{"SuccessfulDelete", "Deleted pod: web-7bdb597cf4-qcl56", "shop/web#2", "scale replicaset web-7bdb597cf4 2→1"},
		{"SuccessfulDelete", "Deleted pod: web-7bdb597cf4-qnbwl", "shop/web#2", "scale replicaset web-7bdb597cf4 1→0"},
		// #6: the rollback of shop/cart-api removes the failed rollout's pod.
		{"SuccessfulDelete", "Deleted pod: cart-api-dc664479c-kvl2n", "shop/cart-api#3", "scale replicaset cart-api-dc664479c 1→0"},
		// #8: payments/ledger 7.2.1 replaces revision 1's pods.
		{"SuccessfulDelete", "Deleted pod: ledger-684774546d-fp7xz", "payments/ledger#3", "scale replicaset ledger-684774546d 2→1"},
		{"SuccessfulDelete", "Deleted pod: ledger-684774546d-fgwvs", "payments/ledger#3", "scale replicaset ledger-684774546d 1→0"},
		// #10: the rollback of shop/web removes the unschedulable pod.
		{"SuccessfulDelete", "Deleted pod: web-84c5755dcd-thmft", "shop/web#4", "scale replicaset web-84c5755dcd 1→0"},
	} {
		got := find(tc.reason, tc.message)
		if want := []spanEvent{{tc.trace, tc.span, tc.reason, tc.message}}; !slices.Equal(got, want) {
			t.Errorf("%s %q: on %v, want %v", tc.reason, tc.message, got, want)
		}
	}
	for _, tc := range []struct{ pod, trace string }{
		{"web-7bdb597cf4-zbc6s", "shop/web#1"}, {"web-7bdb597cf4-qcl56", "shop/web#1"}, {"web-7bdb597cf4-qnbwl", "shop/web#1"},
		{"cart-api-dc664479c-kvl2n", "shop/cart-api#2"},
		{"ledger-84cc7d7b98-pp864", "payments/ledger#2"},
		{"ledger-684774546d-fp7xz", "payments/ledger#1"}, {"ledger-684774546d-fgwvs", "payments/ledger#1"},
	} {
		var got []spanEvent
		for _, evs := range placed {
			for _, e := range evs {
				if e.reason == "Killing" && strings.HasSuffix(e.span, " "+tc.pod) {
					got = append(got, e)
				}
			}
		}
		if len(got) != 1 || got[0].trace != tc.trace || got[0].span != "pod "+tc.pod {
			t.Errorf("Killing of %s: on %v, want its pod span in %s", tc.pod, got, tc.trace)
		}
	}

	// Every event is somewhere, once.
	a, err := archive.Load(context.Background(), lab("events-list.json", "audit.log.gz"), archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	v := load.NewView(a.Events())
	for i := 0; i < v.Len(); i++ {
		src := fmt.Sprintf("%s:%d", v.Str(load.ColSourceFile, i), v.Int64(load.ColSourceLine, i))
		kind, reason, msg := v.Str(load.ColObjectKind, i), v.Str(load.ColReason, i), v.Str(load.ColMessage, i)
		at := v.Time(load.ColTime, i)
		// The scale to 5 at 03:32:03 and back to 3 at 03:32:13 is not a
		// rollout: its events are on no span, or (within the 30 s after
		// rollout 4 ended) on that rollout's trace.
		scaling := at >= mustTime(t, "2026-11-25T03:32:03Z")
		switch got := placed[src]; {
		case kind == "Node":
			if len(got) != 0 {
				t.Errorf("%s %s %q: on %v, want nowhere", kind, reason, msg, got)
			}
		case scaling:
			if len(got) > 1 || len(got) == 1 && got[0].trace != "shop/web#4" {
				t.Errorf("%s %s %q: on %v, want nowhere or shop/web#4", kind, reason, msg, got)
			}
		case len(got) == 0:
			t.Errorf("%s %s %q (%s): on no span", kind, reason, msg, src)
		case len(got) == 2 && reason == "ScalingReplicaSet" && got[0].span == "rollout" && got[1].span == "rollout":
			// The step that ends one rollout and starts the next.
		case len(got) > 1:
			t.Errorf("%s %s %q: on %d spans: %v", kind, reason, msg, len(got), got)
		}
	}
}

func mustTime(t *testing.T, s string) int64 {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at.UnixNano()
}
