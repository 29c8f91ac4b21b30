package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/report/otlp/otlptest"
)

// syncBuffer is a bytes.Buffer safe for a command writing and a test
// reading at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lastByRollout keeps the last line of each rollout (cluster, namespace,
// kind, name, seq) of rollouts -o jsonl output, in the order of first
// appearance, as identity → line.
func lastByRollout(t *testing.T, jsonl string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		if line == "" {
			continue
		}
		var r struct {
			Cluster, Namespace, Kind, Name string
			Seq                            int
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		out[strings.Join([]string{r.Cluster, r.Namespace, r.Kind, r.Name, strconv.Itoa(r.Seq)}, "/")] = line
	}
	return out
}

// TestFollowFile follows a file that grows and is rotated while the
// command runs, as an event-exporter file sink is, and stops it with
// Ctrl-C (the context): it exits 0, and the last line of each rollout is
// what rollouts -o jsonl gives for the whole stream read as one file.
func TestFollowFile(t *testing.T) {
	data, err := os.ReadFile(lab + "/watch-eventsv1.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	half := len(lines) / 2
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines[:half], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"rollouts", "--follow", "-o", "jsonl", "--follow-tick", "20ms", path}, streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	}()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if ok() {
				return
			}
		}
		t.Fatalf("waited for %s; out:\n%s\nerr:\n%s", what, out.String(), errb.String())
	}
	waitFor("the first rollouts", func() bool { return strings.Count(out.String(), "\n") >= 3 })
	// Rotation: the rest goes to a new file of the same name.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines[half:], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	want, errOut, c := runCmd(t, "", "rollouts", "-o", "jsonl", lab+"/watch-eventsv1.jsonl")
	if c != exitOK {
		t.Fatalf("exit %d: %s", c, errOut)
	}
	wantBy := lastByRollout(t, want)
	waitFor("every rollout", func() bool { return len(lastByRollout(t, out.String())) == len(wantBy) })
	time.Sleep(100 * time.Millisecond) // later versions of the last rollouts
	cancel()
	select {
	case c := <-code:
		if c != exitOK {
			t.Fatalf("Ctrl-C: exit %d: %s", c, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the follow did not stop on Ctrl-C")
	}
	got := lastByRollout(t, out.String())
	for k, w := range wantBy {
		// The followed file is another name: the sources differ by it.
		w = strings.ReplaceAll(w, lab+"/watch-eventsv1.jsonl", path)
		if got[k] != w {
			t.Errorf("%s:\nfollowed %s\nwant     %s", k, got[k], w)
		}
	}
	if !strings.Contains(errb.String(), "follow: ") {
		t.Errorf("no summary: %s", errb.String())
	}
}

// TestFollowEndpoint pipes a watch stream into export - --follow
// --endpoint, into a receiver that fails its first requests: every span
// of the batch export arrives, none is lost.
func TestFollowEndpoint(t *testing.T) {
	data, err := os.ReadFile(lab + "/watch-core.json")
	if err != nil {
		t.Fatal(err)
	}
	batch := &otlptest.Receiver{}
	if _, errOut, code := runCmd(t, string(data), "export", "-", "--endpoint", batch.StartHTTP(t)); code != exitOK {
		t.Fatalf("batch: exit %d: %s", code, errOut)
	}
	rc := &otlptest.Receiver{Mode: otlptest.Fail, N: 2}
	url := rc.StartHTTP(t)
	pr, pw := io.Pipe()
	go func() {
		// Two halves with a pause: two decisions at least.
		lines := strings.SplitAfter(string(data), "\n")
		io.WriteString(pw, strings.Join(lines[:len(lines)/2], ""))
		time.Sleep(200 * time.Millisecond)
		io.WriteString(pw, strings.Join(lines[len(lines)/2:], ""))
		pw.Close()
	}()
	var out, errb syncBuffer
	c := run(context.Background(), []string{"export", "-", "--follow", "--follow-tick", "20ms", "--endpoint", url}, streams{In: pr, Out: &out, Err: &errb})
	if c != exitOK {
		t.Fatalf("exit %d: %s", c, errb.String())
	}
	want := batch.Spans()
	got := rc.Spans()
	var missing []string
	for id := range want {
		if got[id] == 0 {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	if len(want) == 0 || len(missing) > 0 {
		t.Errorf("%d of %d spans of the batch export not received: %v\n%s", len(missing), len(want), missing, errb.String())
	}
	for id := range got {
		if want[id] == 0 {
			t.Errorf("span %s received, not in the batch export", id)
		}
	}
	if !strings.Contains(errb.String(), "0 dropped from a full queue") {
		t.Errorf("summary: %s", errb.String())
	}
}

// TestFollowQueueFull: a receiver that holds the first request while the
// follow hands on more than the queue takes drops the oldest waiting
// requests, counted in the summary and failing the run, never silently;
// what was not dropped arrives.
func TestFollowQueueFull(t *testing.T) {
	data, err := os.ReadFile(lab + "/watch-core.json")
	if err != nil {
		t.Fatal(err)
	}
	rc := &otlptest.Receiver{Hold: make(chan struct{}), HoldAfter: 0}
	url := rc.StartHTTP(t)
	go func() {
		// Let the first request be held until the follow queued the rest.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for rc.HeldRequests() == 0 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		close(rc.Hold)
	}()
	_, errOut, code := runCmd(t, string(data), "export", "-", "--follow", "--follow-tick", "20ms", "--endpoint", url,
		"--queue", "1", "--max-spans", "10")
	if code != exitFailure {
		t.Fatalf("exit %d, want 1 (requests dropped): %s", code, errOut)
	}
	var dropped int
	if _, err := fmt.Sscanf(errOut[strings.Index(errOut, "failed; ")+len("failed; "):], "%d dropped", &dropped); err != nil || dropped == 0 {
		t.Fatalf("no drops counted: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "dropped: the receiver did not keep up") {
		t.Errorf("no error for the drops: %s", errOut)
	}
	if rc.Requests() == 0 {
		t.Errorf("nothing arrived")
	}
}
