package otlp_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/otlp"
)

// jaegerTrace is the part of Jaeger's query API answer the test reads.
type jaegerTrace struct {
	Data []struct {
		TraceID string `json:"traceID"`
		Spans   []struct {
			SpanID        string `json:"spanID"`
			OperationName string `json:"operationName"`
			References    []struct {
				RefType string `json:"refType"`
				SpanID  string `json:"spanID"`
			} `json:"references"`
			Tags []struct {
				Key   string `json:"key"`
				Value any    `json:"value"`
			} `json:"tags"`
			Logs []struct {
				Fields []struct {
					Key   string `json:"key"`
					Value any    `json:"value"`
				} `json:"fields"`
			} `json:"logs"`
			ProcessID string `json:"processID"`
		} `json:"spans"`
		Processes map[string]struct {
			ServiceName string `json:"serviceName"`
		} `json:"processes"`
	} `json:"data"`
}

func getTrace(query, id string) (*jaegerTrace, error) {
	resp, err := http.Get(query + "/api/traces/" + id)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET trace %s: %s", id, resp.Status)
	}
	var tr jaegerTrace
	return &tr, json.NewDecoder(resp.Body).Decode(&tr)
}

// TestJaegerE2E backfills lab-basic into a real Jaeger v2 on loopback (make
// e2e starts it) over OTLP/HTTP and OTLP/gRPC and reads the traces back
// through Jaeger's query API.
func TestJaegerE2E(t *testing.T) {
	query, httpURL, grpcAddr := os.Getenv("EVANALYZE_JAEGER_QUERY"), os.Getenv("EVANALYZE_JAEGER_OTLP_HTTP"), os.Getenv("EVANALYZE_JAEGER_OTLP_GRPC")
	if query == "" || httpURL == "" || grpcAddr == "" {
		t.Skip("no Jaeger: run make e2e (sets EVANALYZE_JAEGER_QUERY, EVANALYZE_JAEGER_OTLP_HTTP, EVANALYZE_JAEGER_OTLP_GRPC)")
	}
	a, err := archive.Load(context.Background(), lab("events-list.json", "audit.log.gz"), archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	rollouts := correlate.Correlate(a.Events(), a.Changes).Rollouts
	rs := otlp.Build(rollouts, a.Events(), otlp.Options{}) // what Jaeger should have
	reqs := otlp.Requests(rollouts, a.Events(), otlp.FileOptions{MaxSpans: 30, MaxBytes: otlp.MaxLineBytes})
	ctx := context.Background()
	if _, err := otlp.Send(ctx, reqs, otlp.SendOptions{Endpoint: httpURL}); err != nil {
		t.Fatalf("backfill over HTTP: %v", err)
	}
	check := func(when string, repeated bool) {
		for i, r := range rs {
			spans := r.ScopeSpans[0].Spans
			id := hex.EncodeToString(spans[0].TraceId)
			var tr *jaegerTrace
			deadline := time.Now().Add(30 * time.Second)
			for {
				tr, err = getTrace(query, id)
				if err == nil && len(tr.Data) == 1 && len(tr.Data[0].Spans) >= len(spans) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: trace %s of %s/%s not in Jaeger: %v", when, id, rollouts[i].Namespace, rollouts[i].Name, err)
				}
				time.Sleep(200 * time.Millisecond)
			}
			got := tr.Data[0]
			ids := map[string]bool{}
			for _, s := range got.Spans {
				ids[s.SpanID] = true
			}
			sent := map[string]bool{}
			for _, s := range spans {
				sent[hex.EncodeToString(s.SpanId)] = true
			}
			// The same span IDs, none new: a store keyed by IDs holds each
			// span once. (Jaeger's in-memory store appends what it is sent
			// and shows an identical copy of a span twice.)
			if fmt.Sprint(ids) != fmt.Sprint(sent) {
				t.Errorf("%s: trace %s has span IDs %v, sent %v", when, id, ids, sent)
			}
			if !repeated && len(got.Spans) != len(spans) {
				t.Errorf("%s: trace %s has %d spans, sent %d", when, id, len(got.Spans), len(spans))
			}
			roots := map[string]bool{}
			for _, s := range got.Spans {
				if len(s.References) == 0 {
					roots[s.SpanID] = true
					if s.OperationName != "rollout" {
						t.Errorf("%s: root span %q", when, s.OperationName)
					}
					tags := map[string]any{}
					for _, tg := range s.Tags {
						tags[tg.Key] = tg.Value
					}
					if tags["evanalyze.rollout.outcome"] != rollouts[i].Outcome || tags["k8s.audit.id"] == nil {
						t.Errorf("%s: root tags %v", when, tags)
					}
					if svc := got.Processes[s.ProcessID].ServiceName; svc != rollouts[i].Namespace+"/"+rollouts[i].Name {
						t.Errorf("%s: service %q", when, svc)
					}
					continue
				}
				if ref := s.References[0]; ref.RefType != "CHILD_OF" || !ids[ref.SpanID] {
					t.Errorf("%s: span %s has parent %+v outside the trace", when, s.OperationName, ref)
				}
			}
			if len(roots) != 1 {
				t.Errorf("%s: %d roots in %s", when, len(roots), id)
			}
		}
	}
	check("after the HTTP backfill", false)
	// The same traces again over gRPC: the IDs come from content, so no
	// trace or span ID is new.
	if _, err := otlp.Send(ctx, reqs, otlp.SendOptions{Endpoint: strings.TrimPrefix(grpcAddr, "grpc://"), Protocol: "grpc", Insecure: true}); err != nil {
		t.Fatalf("backfill over gRPC: %v", err)
	}
	time.Sleep(time.Second)
	check("after the repeated gRPC backfill", true)
	// No trace beyond the ten: the service of each workload lists only
	// the trace IDs sent.
	resp, err := http.Get(query + "/api/traces?service=" + url.QueryEscape("shop/web") + "&limit=100&lookback=custom&start=0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var web jaegerTrace
	if err := json.NewDecoder(resp.Body).Decode(&web); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rollouts {
		if r.Namespace == "shop" && r.Name == "web" {
			n++
		}
	}
	if len(web.Data) != n {
		t.Errorf("service shop/web has %d traces, want %d", len(web.Data), n)
	}
}
