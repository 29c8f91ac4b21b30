package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/follow"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/otlp"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

type exportOptions struct {
	load     loadFlags
	send     otlp.SendOptions
	headers  []string
	file     string
	format   string
	service  string
	maxSpans int
	queue    int
	filter   rolloutFilter
	follow   followFlags
}

func newExportCmd(s streams) *cobra.Command {
	o := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export PATH... --otlp-file FILE",
		Short: "Write every rollout as an OpenTelemetry trace (OTLP JSON lines or protobuf)",
		Long: `export reconstructs the rollouts (as the rollouts command does) and writes
each as one trace: a root span "rollout", "scale replicaset" spans for the
scale steps, a "pod" span per pod with "schedule", "pull image", "start
container" and "readiness" spans inside, and every Kubernetes event about
the workload, its ReplicaSets and its pods as span events. Trace and span
IDs derive from content: the same archive always gives the same bytes, and
a repeated import never duplicates. docs/traces.md is the trace model.
The inputs are read one cluster at a time, and a request holds the traces
of one cluster.

--otlp-file writes OTLP/JSON lines (one ExportTraceServiceRequest per line,
each at most 1 MiB; values longer than 4 KiB are cut, docs/traces.md
"Limits"), the format of the OpenTelemetry Collector's file exporter
and otlpjsonfile receiver; --otlp-format proto (or a .pb/.binpb name) writes
protobuf messages each preceded by a 4-byte big-endian length.

--endpoint backfills into an OTLP receiver (Jaeger, Tempo, a Collector) over
OTLP/HTTP protobuf (http(s)://host:4318) or gRPC (--protocol grpc,
host:4317): --concurrency requests in flight, retries with exponential
backoff on 429/502/503/504 (honouring Retry-After) and gRPC UNAVAILABLE,
RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED, --header k=v (also from
OTEL_EXPORTER_OTLP_HEADERS, for secrets), a summary at the end and exit code
1 if anything was not delivered or the receiver rejected spans (a partial
success, which is not retried); with --otlp-file too, it does both, a
cluster at a time. --checkpoint FILE records what the receiver
accepted, by content (not by input path: the same archive named another
way resends nothing), so an interrupted backfill resumes sending only what
is missing and the requests that were in flight (docs/traces.md,
"Checkpoint"; the IDs derive from content, so a resend brings no new IDs).

--follow reads one live stream (- until it ends, or a FILE as tail -F
does) and sends each rollout's trace once its outcome is decided, an open
one after --flush-after as in-progress and again when decided, with the
IDs a later backfill gives (docs/follow.md).`,
		Example: `  evanalyze export testdata/lab-basic --otlp-file traces.jsonl
  evanalyze export --outcome failed --otlp-file - archive/ | head -c 300
  evanalyze export archive/ --endpoint http://localhost:4318 --checkpoint backfill.ckpt
  evanalyze export archive/ --endpoint localhost:4317 --protocol grpc --insecure
  kubectl get events -A -w -o json | evanalyze export - --follow --endpoint http://localhost:4318`,
		Args: needPaths,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			headers, err := parseHeaders(o.headers, os.Getenv("OTEL_EXPORTER_OTLP_HEADERS"))
			if err != nil {
				return err
			}
			o.send.Headers = headers
			format := o.format
			if format == "" {
				format = "json"
				if strings.HasSuffix(o.file, ".pb") || strings.HasSuffix(o.file, ".binpb") {
					format = "proto"
				}
			}
			if format != "json" && format != "proto" {
				return usagef("--otlp-format must be json or proto, not %q", format)
			}
			keep, err := o.filter.compile(o.load.cluster)
			if err != nil {
				return err
			}
			if err := o.follow.check(args, &o.filter); err != nil {
				return err
			}
			// Rollouts and changes are per namespace: those of other
			// namespaces need not be loaded.
			o.load.scope.Namespaces = namespaces(o.filter.namespace)
			if o.follow.on {
				return o.runFollow(cmd.Context(), s, args, keep, format)
			}
			// One cluster at a time; a request never holds two clusters'
			// traces. The rows do not spill: the groups of a spilled
			// cluster would give its traces in another order.
			o.load.noSpill = true
			// Times relative to the archive's end select over the whole
			// archive: read it at once.
			o.load.whole = o.filter.times.relative()
			var fa facts
			// Requests of at most half a JSON line's bytes in protobuf: JSON is larger.
			fo := otlp.FileOptions{Options: otlp.Options{ServiceName: o.service, Version: version}, MaxSpans: o.maxSpans, MaxBytes: otlp.MaxLineBytes / 2}
			write := otlp.WriteJSONLines
			if format == "proto" {
				write = otlp.WriteProto
			}
			if o.send.Endpoint != "" && isTerminal(s.Err) && !o.load.quiet {
				o.send.Progress = func(done, total int) { fmt.Fprintf(s.Err, "\rsent %d/%d requests", done, total) }
			}
			var (
				fst                    otlp.FileStats
				sst                    otlp.SendStats
				traces, spans, sendReq int
				truncated, dropped     int // of the backfill's requests
			)
			run := func(w io.Writer) error {
				return o.load.each(cmd.Context(), args, s, func(a *archive.Archive) error {
					fa.add(a, nil)
					rollouts := o.filter.appendRollouts(nil, a, keep)
					first, last := time.Time{}, time.Time{}
					if o.load.whole {
						first, last = archiveSpan(a)
					}
					rollouts, err := o.filter.selectTimes(rollouts, first, last)
					if err != nil {
						return err
					}
					if o.send.Endpoint != "" {
						bo := fo
						bo.Checkpoint = o.send.Checkpoint != ""
						reqs := otlp.Requests(rollouts, a.Events(), bo)
						for _, r := range reqs {
							traces += r.Traces
							spans += r.Spans
							truncated += r.Truncated
							dropped += r.DroppedEvents
						}
						sendReq += len(reqs)
						st, err := otlp.Send(cmd.Context(), reqs, o.send)
						if o.send.Progress != nil && len(reqs) > 0 {
							fmt.Fprintln(s.Err)
						}
						sst.Add(st)
						if err != nil {
							return err
						}
					}
					if w == nil {
						return nil
					}
					st, err := write(w, rollouts, a.Events(), fo)
					fst.Add(st)
					return err
				})
			}
			if o.file != "" {
				err = writeOutput(o.file, s.Out, run)
			} else {
				err = run(nil)
			}
			if err == nil {
				err = fa.checkCluster(o.filter.cluster)
			}
			if o.send.Endpoint != "" {
				limited(s, truncated, dropped)
				fmt.Fprintf(s.Err, "backfill: %s, %s in %s; delivered %s (%s), %d skipped (checkpoint: %s delivered before), %s (%d throttled), %d failed, %d accepted in part (%s rejected)\n",
					plural(int64(traces), "trace"), plural(int64(spans), "span"), plural(int64(sendReq), "request"), plural(int64(sst.Requests), "request"),
					plural(int64(sst.Spans), "span"), sst.Skipped, plural(int64(sst.SkippedSpans), "span"), plural(int64(sst.Retries), "retry"),
					sst.Throttled, sst.Failed, sst.Partial, plural(sst.Rejected, "span"))
				for _, m := range sst.Messages {
					fmt.Fprintf(s.Err, "backfill: the receiver said: %s\n", textsafe.Sanitize(m))
				}
			}
			if err != nil {
				return err
			}
			if o.file != "" {
				if !o.load.quiet {
					fmt.Fprintf(s.Err, "exported %s, %s in %s\n", plural(int64(fst.Traces), "trace"), plural(int64(fst.Spans), "span"), plural(int64(fst.Requests), "request"))
				}
				limited(s, fst.Truncated, fst.DroppedEvents)
			}
			return nil
		},
	}
	o.load.register(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&o.file, "otlp-file", "", "write OTLP to this file (- for standard output)")
	f.StringVar(&o.format, "otlp-format", "", "json (OTLP/JSON lines) or proto (length-prefixed protobuf); default from the file name, else json")
	f.StringVar(&o.service, "service-name", "", "service.name of every trace (default: namespace/name of the workload)")
	f.IntVar(&o.maxSpans, "max-spans", 2000, "spans per request (one line of the file)")
	f.StringVar(&o.send.Endpoint, "endpoint", "", "backfill into this OTLP receiver: http(s)://host:port[/v1/traces], or host:port with --protocol grpc")
	f.StringVar(&o.send.Protocol, "protocol", "http/protobuf", "OTLP protocol for --endpoint: http/protobuf or grpc")
	f.StringArrayVar(&o.headers, "header", nil, "header k=v sent with every request (repeatable; also OTEL_EXPORTER_OTLP_HEADERS)")
	f.BoolVar(&o.send.Insecure, "insecure", false, "gRPC without TLS; for https, skip certificate verification")
	f.DurationVar(&o.send.Timeout, "timeout", 10*time.Second, "timeout of one attempt")
	f.IntVar(&o.send.Concurrency, "concurrency", 4, "requests in flight")
	f.IntVar(&o.send.MaxAttempts, "max-attempts", 8, "attempts per request before giving up")
	f.StringVar(&o.send.Checkpoint, "checkpoint", "", "file recording what the receiver accepted (by content, not by path), so a rerun resumes")
	f.IntVar(&o.queue, "queue", 256, "with --follow --endpoint: requests waiting for the receiver at most; past it the oldest is dropped, counted")
	o.filter.register(f)
	o.follow.register(f)
	return cmd
}

// limited warns of values cut and span events left out to keep requests
// within their size (docs/traces.md, "Limits").
func limited(s streams, truncated, dropped int) {
	if truncated > 0 || dropped > 0 {
		fmt.Fprintf(s.Err, "export: %d values cut at %d bytes, %d span events dropped from spans too large for a request\n",
			truncated, otlp.MaxValueBytes, dropped)
	}
}

// validate refuses flag values that cannot be meant. --otlp-file and
// --endpoint together do both, a cluster at a time.
func (o *exportOptions) validate() error {
	if o.file == "" && o.send.Endpoint == "" {
		return usagef("give --otlp-file or --endpoint")
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"max-spans", o.maxSpans}, {"concurrency", o.send.Concurrency}, {"max-attempts", o.send.MaxAttempts}} {
		if f.v <= 0 {
			return usagef("--%s %d: want 1 or more", f.name, f.v)
		}
	}
	if o.send.Timeout <= 0 {
		return usagef("--timeout %s: want a duration above 0", o.send.Timeout)
	}
	if p := o.send.Protocol; p != "http/protobuf" && p != "http" && p != "grpc" {
		return usagef("--protocol must be http/protobuf or grpc, not %q", o.send.Protocol)
	}
	return nil
}

// writeOutput calls write with out when path is "-", else with the file
// at path, created anew. A file that does not close (its last bytes not
// written) is an error too.
func writeOutput(path string, out io.Writer, write func(io.Writer) error) error {
	if path == "-" {
		if err := write(out); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := errors.Join(write(f), f.Close()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// parseHeaders merges --header k=v flags over OTEL_EXPORTER_OTLP_HEADERS
// (k1=v1,k2=v2 with URL-encoded values, as the OpenTelemetry SDKs read it).
func parseHeaders(flags []string, env string) (map[string]string, error) {
	h := map[string]string{}
	if env != "" {
		for _, kv := range strings.Split(env, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok || k == "" {
				return nil, usagef("OTEL_EXPORTER_OTLP_HEADERS: %q is not key=value", kv)
			}
			if dv, err := url.QueryUnescape(v); err == nil {
				v = dv
			}
			h[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	for _, kv := range flags {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("--header %q is not key=value", kv)
		}
		h[k] = v
	}
	return h, nil
}

// isTerminal reports whether w is a terminal (for the progress line, and
// binary output refused on one). /dev/null is a character device, not a
// terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && terminal(f.Fd())
}

// terminal is term.IsTerminal; tests replace it.
var terminal = func(fd uintptr) bool { return term.IsTerminal(int(fd)) }

// runFollow is export --follow: each rollout's trace once its outcome is
// decided (docs/follow.md), into the file and the receiver.
func (o *exportOptions) runFollow(ctx context.Context, s streams, args []string, keep func(*correlate.Rollout) bool, format string) error {
	if o.send.Checkpoint != "" {
		return usagef("--checkpoint resumes a backfill; a follow sends each trace as it is decided")
	}
	if o.queue <= 0 {
		return usagef("--queue %d: want 1 or more", o.queue)
	}
	fo := otlp.FileOptions{Options: otlp.Options{ServiceName: o.service, Version: version}, MaxSpans: o.maxSpans, MaxBytes: otlp.MaxLineBytes / 2}
	var out sinks
	var file *follow.TraceSink
	var closeFile func() error
	if o.file != "" {
		w, c := io.Writer(s.Out), func() error { return nil }
		if o.file != "-" {
			f, err := os.Create(o.file)
			if err != nil {
				return err
			}
			w, c = f, f.Close
		}
		file, closeFile = &follow.TraceSink{W: w, Proto: format == "proto", Options: fo}, c
		out = append(out, file)
	}
	var send *follow.SendSink
	if o.send.Endpoint != "" {
		sctx, cancel := afterInterrupt(ctx, 10*time.Second)
		defer cancel()
		send = follow.NewSendSink(sctx, fo, o.send, o.queue)
		out = append(out, send)
	}
	_, err := o.follow.run(ctx, &o.load, &o.filter, args, s, keep, out)
	if closeFile != nil {
		if cerr := closeFile(); cerr != nil && err == nil {
			err = fmt.Errorf("write %s: %w", o.file, cerr)
		}
	}
	if send != nil {
		serr := send.Close()
		st := send.Stats
		fmt.Fprintf(s.Err, "follow: sent %s (%s) to %s, %s, %d failed; %d dropped from a full queue (%s)\n",
			plural(int64(st.Requests), "request"), plural(int64(st.Spans), "span"), textsafe.Sanitize(o.send.Endpoint),
			plural(int64(st.Retries), "retry"), st.Failed, send.Lost, plural(int64(send.LostSpans), "span"))
		if err == nil && serr != nil {
			err = serr
		}
		if err == nil && send.Lost > 0 {
			err = fmt.Errorf("%d requests (%s) dropped: the receiver did not keep up", send.Lost, plural(int64(send.LostSpans), "span"))
		}
	}
	if file != nil && !o.load.quiet && o.file != "-" {
		fmt.Fprintf(s.Err, "follow: wrote %s, %s in %s\n", plural(int64(file.Stats.Traces), "trace"), plural(int64(file.Stats.Spans), "span"), plural(int64(file.Stats.Requests), "request"))
	}
	return err
}
