package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/report/otlp/otlptest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// evanalyzeBinary builds the command once per test run, to run it as a
// process that can be interrupted and killed.
func evanalyzeBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "evanalyze-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "evanalyze")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// spanIDs lists the spans of OTLP/JSON lines as "traceID/spanID".
func spanIDs(t *testing.T, jsonl string) []string {
	t.Helper()
	var ids []string
	sc := bufio.NewScanner(strings.NewReader(jsonl))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var req struct {
			ResourceSpans []struct {
				ScopeSpans []struct {
					Spans []struct{ TraceID, SpanID string }
				}
			}
		}
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			t.Fatal(err)
		}
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					ids = append(ids, s.TraceID+"/"+s.SpanID)
				}
			}
		}
	}
	return ids
}

// A backfill interrupted by SIGINT or killed by SIGKILL while requests are
// in flight, then resumed with its checkpoint: nothing is lost, and the
// only spans received twice are those of the requests in flight (stored
// by the receiver, their answer never seen). SIGINT exits 1 after writing
// the checkpoint; the resume exits 0.
func TestBackfillInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := evanalyzeBinary(t)
	out, _, code := runCmd(t, "", "export", "-q", "--otlp-file", "-", "--max-spans", "5", lab)
	if code != exitOK {
		t.Fatal("export failed")
	}
	sent := spanIDs(t, out)
	for _, protocol := range []string{"http", "grpc"} {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
			t.Run(protocol+"/"+sig.String(), func(t *testing.T) {
				const concurrency, answered = 2, 3
				rc := &otlptest.Receiver{Hold: make(chan struct{}), HoldAfter: answered}
				args := []string{"export", lab, "--checkpoint", filepath.Join(t.TempDir(), "ckpt"),
					"--max-spans", "5", "--concurrency", fmt.Sprint(concurrency)}
				if protocol == "grpc" {
					args = append(args, "--endpoint", rc.StartGRPC(t), "--protocol", "grpc", "--insecure")
				} else {
					args = append(args, "--endpoint", rc.StartHTTP(t))
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, bin, args...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				// Interrupt when both requests in flight are held.
				if err := rc.WaitRequests(ctx, answered+concurrency); err != nil {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("%v: %s", err, stderr.String())
				}
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				err := cmd.Wait()
				inFlight := rc.Held()
				close(rc.Hold)
				var exit *exec.ExitError
				if !errors.As(err, &exit) {
					t.Fatalf("interrupted run: %v", err)
				}
				switch sig {
				case syscall.SIGINT:
					if exit.ExitCode() != exitFailure || !strings.Contains(stderr.String(), "context canceled") ||
						!strings.Contains(stderr.String(), fmt.Sprintf("delivered %d requests", answered)) {
						t.Fatalf("SIGINT: exit %d, %s", exit.ExitCode(), stderr.String())
					}
				case syscall.SIGKILL:
					if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
						t.Fatalf("SIGKILL: %v", err)
					}
				}
				if rc.HeldRequests() != concurrency || len(inFlight) == 0 {
					t.Fatalf("%d requests in flight, want %d", rc.HeldRequests(), concurrency)
				}

				stderr.Reset()
				resume := exec.CommandContext(ctx, bin, args...)
				resume.Stderr = &stderr
				if err := resume.Run(); err != nil {
					t.Fatalf("resume: %v: %s", err, stderr.String())
				}
				lost, dup := rc.Tally(sent)
				if len(lost) != 0 || !slices.Equal(dup, inFlight) {
					t.Errorf("%d spans lost, %d duplicated, %d in flight when interrupted:\n%v\n%v", len(lost), len(dup), len(inFlight), dup, inFlight)
				}
				t.Logf("| %s | %s mid-backfill, resume | %d | %d | %d | %d | %d, then 0 |", protocol, sig, len(sent), len(rc.Spans()), len(lost), len(dup), exit.ExitCode())
			})
		}
	}
}
