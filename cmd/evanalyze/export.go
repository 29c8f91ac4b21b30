package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/evanalyze/evanalyze/internal/report/otlp"
)

type exportOptions struct {
	load     loadFlags
	send     otlp.SendOptions
	headers  []string
	file     string
	format   string
	service  string
	maxSpans int
	filter   rolloutFilter
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

--otlp-file writes OTLP/JSON lines (one ExportTraceServiceRequest per line,
each under 1 MiB), the format of the OpenTelemetry Collector's file exporter
and otlpjsonfile receiver; --otlp-format proto (or a .pb/.binpb name) writes
protobuf messages each preceded by a 4-byte big-endian length.

--endpoint backfills into an OTLP receiver (Jaeger, Tempo, a Collector) over
OTLP/HTTP protobuf (http(s)://host:4318) or gRPC (--protocol grpc,
host:4317): --concurrency requests in flight, retries with exponential
backoff on 429/502/503/504 (honouring Retry-After) and gRPC UNAVAILABLE,
RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED, --header k=v (also from
OTEL_EXPORTER_OTLP_HEADERS, for secrets), a summary at the end and exit code
1 if anything was not delivered; with --otlp-file too, the file is written
after the backfill. --checkpoint FILE records what was
delivered, so an interrupted backfill resumes without resending (the IDs
are derived from content, so a resend would not duplicate either).`,
		Example: `  evanalyze export testdata/lab-basic --otlp-file traces.jsonl
  evanalyze export --outcome failed --otlp-file - archive/ | head -c 300
  evanalyze export archive/ --endpoint http://localhost:4318 --checkpoint backfill.ckpt
  evanalyze export archive/ --endpoint localhost:4317 --protocol grpc --insecure`,
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
			// Rollouts and changes are per namespace: those of other
			// namespaces need not be loaded.
			o.load.scope.Namespaces = namespaces(o.filter.namespace)
			a, err := o.load.load(cmd.Context(), args, s, false)
			if err != nil {
				return err
			}
			defer a.Release()
			rollouts, err := o.filter.rollouts(a, keep)
			if err != nil {
				return err
			}
			// Requests of at most half a JSON line's bytes in protobuf: JSON is larger.
			fo := otlp.FileOptions{Options: otlp.Options{ServiceName: o.service, Version: version}, MaxSpans: o.maxSpans, MaxBytes: otlp.MaxLineBytes / 2}
			if o.send.Endpoint != "" {
				reqs := otlp.Requests(rollouts, a.Events(), fo)
				traces, spans := 0, 0
				for _, r := range reqs {
					traces += r.Traces
					spans += r.Spans
				}
				if isTerminal(s.Err) && !o.load.quiet {
					o.send.Progress = func(done, total int) { fmt.Fprintf(s.Err, "\rsent %d/%d requests", done, total) }
				}
				st, err := otlp.Send(cmd.Context(), reqs, o.send)
				if o.send.Progress != nil {
					fmt.Fprintln(s.Err)
				}
				fmt.Fprintf(s.Err, "backfill: %s, %s in %s; delivered %s (%s), %d skipped (checkpoint), %s (%d throttled), %d failed\n",
					plural(int64(traces), "trace"), plural(int64(spans), "span"), plural(int64(len(reqs)), "request"), plural(int64(st.Requests), "request"),
					plural(int64(st.Spans), "span"), st.Skipped, plural(int64(st.Retries), "retry"), st.Throttled, st.Failed)
				if err != nil {
					return err
				}
				if o.file == "" {
					return nil
				}
			}
			write := otlp.WriteJSONLines
			if format == "proto" {
				write = otlp.WriteProto
			}
			var st otlp.FileStats
			err = writeOutput(o.file, s.Out, func(w io.Writer) (err error) {
				st, err = write(w, rollouts, a.Events(), fo)
				return err
			})
			if err != nil {
				return err
			}
			if !o.load.quiet {
				fmt.Fprintf(s.Err, "exported %s, %s in %s\n", plural(int64(st.Traces), "trace"), plural(int64(st.Spans), "span"), plural(int64(st.Requests), "request"))
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
	f.StringVar(&o.send.Checkpoint, "checkpoint", "", "file recording delivered requests, so a rerun resumes")
	o.filter.register(f)
	return cmd
}

// validate refuses flag values that cannot be meant. --otlp-file and
// --endpoint together do both: backfill, then write the file.
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
