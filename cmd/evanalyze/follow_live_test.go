package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestFollowLiveE2E follows a live control plane into a real Jaeger:
// kubectl get events -A -w -o json from the lab's API server (make e2e
// starts it with ../shared/lab/up.sh, and Jaeger) into export - --follow
// --endpoint, while a scenario drives two rollouts of a Deployment; the
// traces are read back from Jaeger's query API while the follow still
// runs, and are the traces a backfill of the same watch stream gives (by
// ID). Ctrl-C then stops the follow with exit 0.
func TestFollowLiveE2E(t *testing.T) {
	lab, query, otlpHTTP := os.Getenv("EVANALYZE_LIVE_LAB"), os.Getenv("EVANALYZE_JAEGER_QUERY"), os.Getenv("EVANALYZE_JAEGER_OTLP_HTTP")
	if lab == "" || query == "" || otlpHTTP == "" {
		t.Skip("no lab and Jaeger: run make e2e (sets EVANALYZE_LIVE_LAB and EVANALYZE_JAEGER_*)")
	}
	kubectl := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("kubectl", append([]string{"--kubeconfig", filepath.Join(lab, "admin.kubeconfig")}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	apply := func(manifest string) {
		t.Helper()
		cmd := exec.Command("kubectl", "--kubeconfig", filepath.Join(lab, "admin.kubeconfig"), "apply", "-f", "-")
		cmd.Stdin = strings.NewReader(manifest)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kubectl apply: %v\n%s", err, out)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watch := exec.CommandContext(ctx, "kubectl", "--kubeconfig", filepath.Join(lab, "admin.kubeconfig"), "get", "events", "-A", "-w", "-o", "json")
	stdout, err := watch.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); watch.Wait() }()
	var captured syncBuffer // the stream, for the backfill to compare with
	var errb syncBuffer
	followCtx, stop := context.WithCancel(ctx)
	code := make(chan int, 1)
	go func() {
		code <- run(followCtx, []string{"export", "-", "--follow", "--follow-tick", "200ms", "--endpoint", otlpHTTP},
			streams{In: io.TeeReader(stdout, &captured), Out: io.Discard, Err: &errb})
	}()

	// The scenario: two nodes, a Deployment, an image update.
	for _, n := range []string{"live-node-1", "live-node-2"} {
		apply(fmt.Sprintf(`apiVersion: v1
kind: Node
metadata:
  name: %s
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {kubernetes.io/hostname: %s, type: kwok}
spec: {}
status:
  allocatable: {cpu: "4", memory: 16Gi, pods: "110"}
  capacity: {cpu: "4", memory: 16Gi, pods: "110"}
`, n, n))
	}
	kubectl("create", "namespace", "live")
	dep := func(image string) string {
		return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: live, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "` + image + `", resources: {requests: {cpu: 100m, memory: 64Mi}}}
`
	}
	apply(dep("nginx:1.25"))
	kubectl("-n", "live", "rollout", "status", "deploy/web", "--timeout=120s")
	apply(dep("nginx:1.26"))
	kubectl("-n", "live", "rollout", "status", "deploy/web", "--timeout=120s")

	// Both rollouts in Jaeger, complete, while the follow runs.
	var ids []string
	deadline := time.Now().Add(90 * time.Second)
	for {
		var err error
		ids, err = jaegerRollouts(query, "live/web", "complete")
		if err == nil && len(ids) == 2 {
			break
		}
		select {
		case c := <-code:
			t.Fatalf("the follow ended (exit %d) before its traces were in Jaeger: %s", c, errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("Jaeger has %d complete rollouts of live/web (%v), want 2; follow: %s", len(ids), err, errb.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	// Ctrl-C.
	stop()
	select {
	case c := <-code:
		if c != exitOK {
			t.Fatalf("Ctrl-C: exit %d: %s", c, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the follow did not stop on Ctrl-C")
	}
	cancel()
	// The same traces as a backfill of the stream: the IDs derive from
	// content.
	out, errOut, c := runCmd(t, captured.String(), "export", "-", "--otlp-file", "-", "-q", "--namespace", "live")
	if c != exitOK {
		t.Fatalf("backfill: exit %d: %s", c, errOut)
	}
	var backfill []string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var req struct {
			ResourceSpans []struct {
				ScopeSpans []struct {
					Spans []struct {
						TraceID      string `json:"traceId"`
						ParentSpanID string `json:"parentSpanId"`
					} `json:"spans"`
				} `json:"scopeSpans"`
			} `json:"resourceSpans"`
		}
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			t.Fatal(err)
		}
		for _, rs := range req.ResourceSpans {
			for _, s := range rs.ScopeSpans[0].Spans {
				if s.ParentSpanID == "" {
					backfill = append(backfill, s.TraceID)
				}
			}
		}
	}
	slices.Sort(ids)
	slices.Sort(backfill)
	if !slices.Equal(ids, backfill) {
		t.Errorf("Jaeger has traces %v, a backfill of the stream gives %v", ids, backfill)
	}
	t.Logf("follow: %s", strings.TrimSpace(errb.String()))
}

// jaegerRollouts lists the trace IDs of a service's rollouts with an
// outcome, from Jaeger's query API.
func jaegerRollouts(query, service, outcome string) ([]string, error) {
	resp, err := http.Get(query + "/api/traces?limit=50&service=" + url.QueryEscape(service))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(b))
	}
	var tr struct {
		Data []struct {
			TraceID string `json:"traceID"`
			Spans   []struct {
				OperationName string `json:"operationName"`
				Tags          []struct {
					Key   string `json:"key"`
					Value any    `json:"value"`
				} `json:"tags"`
			} `json:"spans"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		return nil, err
	}
	var ids []string
	for _, d := range tr.Data {
		for _, s := range d.Spans {
			if s.OperationName != "rollout" {
				continue
			}
			for _, tag := range s.Tags {
				if tag.Key == "evanalyze.rollout.outcome" && tag.Value == outcome && !slices.Contains(ids, d.TraceID) {
					ids = append(ids, d.TraceID)
				}
			}
		}
	}
	return ids, nil
}
