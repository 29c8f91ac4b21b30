package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/otlp"
)

type exportOptions struct {
	load     loadFlags
	file     string
	format   string
	service  string
	maxSpans int
	rollouts rolloutsOptions
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
the workload, its new ReplicaSet and its pods as span events. Trace and span
IDs derive from content: the same archive always gives the same bytes, and
a repeated import never duplicates. docs/traces.md is the trace model.

--otlp-file writes OTLP/JSON lines (one ExportTraceServiceRequest per line,
each under 1 MiB), the format of the OpenTelemetry Collector's file exporter
and otlpjsonfile receiver; --otlp-format proto (or a .pb/.binpb name) writes
protobuf messages each preceded by a 4-byte big-endian length.`,
		Example: `  evanalyze export testdata/lab-basic --otlp-file traces.jsonl
  evanalyze export --outcome failed --otlp-file - archive/ | head -c 300`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.file == "" {
				return usagef("--otlp-file is required")
			}
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
			o.rollouts.output = "text"
			filter, err := o.rollouts.filter()
			if err != nil {
				return err
			}
			a, err := archive.Load(cmd.Context(), args, o.load.options(s))
			if err != nil {
				return err
			}
			defer a.Release()
			if !o.load.quiet {
				reportProblems(s.Err, a, 5)
			}
			var rollouts []correlate.Rollout
			for _, r := range correlate.Correlate(a.Events, a.Changes).Rollouts {
				if filter(&r) {
					rollouts = append(rollouts, r)
				}
			}
			rs := otlp.Build(rollouts, a.Events, otlp.Options{ServiceName: o.service, Version: version})
			maxBytes := otlp.MaxLineBytes / 2 // JSON is larger than protobuf
			reqs := otlp.Batches(rs, o.maxSpans, maxBytes)
			w := s.Out
			if o.file != "-" {
				f, err := os.Create(o.file)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			if format == "proto" {
				err = otlp.WriteProto(w, reqs)
			} else {
				err = otlp.WriteJSONLines(w, reqs)
			}
			if err != nil {
				return fmt.Errorf("write %s: %w", o.file, err)
			}
			spans := 0
			for _, r := range rs {
				for _, ss := range r.ScopeSpans {
					spans += len(ss.Spans)
				}
			}
			if !o.load.quiet {
				fmt.Fprintf(s.Err, "exported %d traces, %d spans in %d requests\n", len(rs), spans, len(reqs))
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
	f.StringVarP(&o.rollouts.namespace, "namespace", "n", "", "only this namespace")
	f.StringVar(&o.rollouts.kind, "kind", "", "only this workload kind")
	f.StringVar(&o.rollouts.name, "name", "", "only workloads with this name")
	f.StringVar(&o.rollouts.outcome, "outcome", "", "only this outcome")
	f.StringVar(&o.rollouts.since, "since", "", "only rollouts starting at or after this time (RFC 3339)")
	f.StringVar(&o.rollouts.until, "until", "", "only rollouts starting before this time (RFC 3339)")
	return cmd
}
