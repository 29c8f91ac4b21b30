package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
	"github.com/evanalyze/evanalyze/internal/report/timefmt"
)

type inspectOptions struct {
	load                    loadFlags
	output                  string
	top                     int
	namespace, since, until string
}

func newInspectCmd(s streams) *cobra.Command {
	o := &inspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect PATH...",
		Short: "Show what is in an archive: formats, counts, time span, rejected records",
		Long: `inspect reads the inputs and reports, per file, the detected format, the
records read, the events and distinct observations kept, the repeats merged,
the records skipped (valid but not events) and rejected (with file:line and
the reason), the time span, clusters, namespaces, top reasons and involved
kinds.

Counts add up: read = audit records + event records outside audit logs +
skipped + rejected, and records = observations + duplicates (+ out of
scope).

--namespace, --since and --until inspect only the event observations of a
namespace and of a time range (by observation time, the latest observation
of an event being the latest in the range): Parquet archives are read
without the partitions and row groups that hold none of them, and the
counts say how many were left out.`,
		Example: `  evanalyze inspect testdata/lab-basic
  evanalyze inspect -o json 'archive/cluster=prod/' | jq .totals
  kubectl get events -A -o json | evanalyze inspect -
  evanalyze inspect archive/ --namespace shop --since 2026-11-25T00:00:00Z --until 2026-11-26T00:00:00Z`,
		Args: needPaths,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			times, err := parseTimeRange(o.since, o.until)
			if err != nil {
				return err
			}
			o.load.changes = archive.NoChanges // counted only
			var first, last time.Time
			if times.relative() {
				// Times relative to the archive's span: a first pass
				// finds it (reading everything once more).
				span := o.load
				span.quiet = true
				a, err := span.load(cmd.Context(), args, s, false)
				if err != nil {
					return err
				}
				first, last = archiveSpan(a)
				a.Release()
			}
			since, until, err := times.at(first, last)
			if err != nil {
				return err
			}
			o.load.scope = load.Scope{Namespaces: namespaces(o.namespace)}
			if o.load.cluster != "" {
				o.load.scope.Clusters = []string{o.load.cluster}
			}
			if !since.IsZero() {
				o.load.scope.Since = since.UnixNano()
			}
			if !until.IsZero() {
				o.load.scope.Until = until.UnixNano()
			}
			a, err := o.load.load(cmd.Context(), args, s, true)
			if err != nil {
				return err
			}
			defer a.Release()
			switch o.output {
			case "json":
				return writeInspectJSON(s.Out, a, o.top)
			default:
				return writeInspectText(s.Out, a, o.top)
			}
		},
	}
	o.load.register(cmd.Flags())
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	cmd.Flags().IntVar(&o.top, "top", 5, "how many reasons, namespaces and kinds to list")
	cmd.Flags().StringVarP(&o.namespace, "namespace", "n", "", "only event observations in this namespace (the involved object's)")
	cmd.Flags().StringVar(&o.since, "since", "", "only event observations at or after this time: "+timeHelp+" (relative times read the inputs twice)")
	cmd.Flags().StringVar(&o.until, "until", "", "only event observations before this time (same forms as --since)")
	return cmd
}

func (o *inspectOptions) validate() error {
	if o.output != "text" && o.output != "json" {
		return usagef("--output must be text or json, not %q", o.output)
	}
	if o.top < 0 {
		return usagef("--top must not be negative")
	}
	return nil
}

// The JSON output contract is documented in docs/output.md.
type inspectJSON struct {
	Files        []fileJSON    `json:"files"`
	SkippedFiles []skippedJSON `json:"skipped_files"`
	Totals       totalsJSON    `json:"totals"`
}

type totalsJSON struct {
	Files        int   `json:"files"`
	Read         int64 `json:"read"`
	Events       int64 `json:"events"`
	Observations int64 `json:"observations"`
	Duplicates   int64 `json:"duplicates"`
	Rejected     int64 `json:"rejected"`
	Skipped      int64 `json:"skipped"`
	Warnings     int64 `json:"warnings"`
	Conflicts    int64 `json:"conflicts,omitempty"`
	Records      int64 `json:"records"`
	scopeJSON
	PartitionsSkipped int         `json:"partitions_skipped,omitempty"`
	Unreadable        int         `json:"unreadable,omitempty"`
	Audit             *auditJSON  `json:"audit,omitempty"`
	Summary           summaryJSON `json:"summary"`
}

type auditJSON struct {
	Records    int64       `json:"records"`
	Requests   int64       `json:"requests"`
	Duplicates int64       `json:"duplicates"`
	Writes     int64       `json:"writes"`
	Events     int64       `json:"events"`
	Levels     []countJSON `json:"levels"`
	Stages     []countJSON `json:"stages"`
	Verbs      []countJSON `json:"verbs"`
	Resources  []countJSON `json:"resources"`
	Users      []countJSON `json:"users"`
}

func auditOf(a archive.AuditStats, top int) *auditJSON {
	if a.Records == 0 {
		return nil
	}
	return &auditJSON{Records: a.Records, Requests: a.Requests, Duplicates: a.Duplicates, Writes: a.Writes, Events: a.Events,
		Levels: topCounts(a.ByLevel, 0), Stages: topCounts(a.ByStage, 0), Verbs: topCounts(a.ByVerb, 0),
		Resources: topCounts(a.ByResource, top), Users: topCounts(a.ByUser, top)}
}

// scopeJSON says what a scope left out and what Parquet files held.
type scopeJSON struct {
	OutOfScope       int64 `json:"out_of_scope,omitempty"`
	RowGroups        int   `json:"row_groups,omitempty"`
	RowGroupsSkipped int   `json:"row_groups_skipped,omitempty"`
	Unread           int64 `json:"unread,omitempty"`
}

type fileJSON struct {
	File         string           `json:"file"`
	Cluster      string           `json:"cluster,omitempty"`
	Format       string           `json:"format"`
	Layout       string           `json:"layout"`
	Compression  string           `json:"compression,omitempty"`
	Bytes        int64            `json:"bytes"`
	Read         int64            `json:"read"`
	Records      int64            `json:"records"`
	Events       int64            `json:"events"`
	Observations int64            `json:"observations"`
	Duplicates   int64            `json:"duplicates"`
	Rejected     int64            `json:"rejected"`
	Skipped      int64            `json:"skipped"`
	Warnings     int64            `json:"warnings"`
	Conflicts    int64            `json:"conflicts,omitempty"`
	SkipReasons  map[string]int64 `json:"skip_reasons,omitempty"`
	Envelopes    map[string]int64 `json:"envelopes,omitempty"`
	Audit        *auditJSON       `json:"audit,omitempty"`
	Errors       []string         `json:"errors,omitempty"`
	WarningList  []string         `json:"warning_list,omitempty"`
	Summary      summaryJSON      `json:"summary"`
	scopeJSON
}

type summaryJSON struct {
	First      string      `json:"first,omitempty"`
	Last       string      `json:"last,omitempty"`
	Clusters   []countJSON `json:"clusters"`
	Namespaces []countJSON `json:"namespaces"`
	Reasons    []countJSON `json:"reasons"`
	Kinds      []countJSON `json:"kinds"`
}

type countJSON struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

type skippedJSON struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// topCounts sorts by count (descending), then name; n <= 0 keeps all.
func topCounts(m map[string]int64, n int) []countJSON {
	out := make([]countJSON, 0, len(m))
	for k, v := range m {
		out = append(out, countJSON{Name: k, Count: v})
	}
	slices.SortFunc(out, func(a, b countJSON) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

func summaryOf(s archive.Summary, top int) summaryJSON {
	return summaryJSON{
		First: timefmt.Nanos(s.First), Last: timefmt.Nanos(s.Last),
		Clusters:   topCounts(s.Clusters, 0),
		Namespaces: topCounts(s.Namespaces, top),
		Reasons:    topCounts(s.Reasons, top),
		Kinds:      topCounts(s.Kinds, top),
	}
}

func writeInspectJSON(w io.Writer, a *archive.Archive, top int) error {
	out := inspectJSON{Files: []fileJSON{}, SkippedFiles: []skippedJSON{}}
	for _, f := range a.Files {
		fj := fileJSON{
			File: f.File, Cluster: f.Cluster, Format: f.Format, Layout: f.Layout, Compression: f.Compression,
			Bytes: f.Bytes, Read: f.Read, Records: f.Records, Events: f.Events, Observations: f.Observations,
			Duplicates: f.Duplicates, Rejected: f.Rejected, Skipped: f.Skipped, Warnings: f.Warnings, Conflicts: f.Conflicts,
			SkipReasons: f.SkipReasons, Envelopes: f.Envelopes, Audit: auditOf(f.Audit, top), Summary: summaryOf(f.Summary, top),
			scopeJSON: scopeJSON{OutOfScope: f.OutOfScope, RowGroups: f.RowGroups, RowGroupsSkipped: f.RowGroupsSkipped, Unread: f.Unread},
		}
		for _, e := range f.Errors {
			fj.Errors = append(fj.Errors, e.Error())
		}
		for _, e := range f.WarningList {
			fj.WarningList = append(fj.WarningList, e.Error())
		}
		out.Files = append(out.Files, fj)
	}
	for _, s := range a.SkippedFiles {
		out.SkippedFiles = append(out.SkippedFiles, skippedJSON{File: s.Path, Reason: s.Reason})
	}
	t := a.Totals
	out.Totals = totalsJSON{Files: t.Files, Read: t.Read, Records: t.Records, Audit: auditOf(t.Audit, top), Events: t.Events, Observations: t.Observations,
		Duplicates: t.Duplicates, Rejected: t.Rejected, Skipped: t.Skipped, Warnings: t.Warnings, Conflicts: t.Conflicts,
		Summary:           summaryOf(a.Summary, top),
		scopeJSON:         scopeJSON{OutOfScope: t.OutOfScope, RowGroups: t.RowGroups, RowGroupsSkipped: t.RowGroupsSkipped, Unread: t.Unread},
		PartitionsSkipped: t.PartitionsSkipped, Unreadable: t.Unreadable}
	return writeJSON(w, out)
}

// envelopeNames say what each envelope kind is.
var envelopeNames = map[string]string{
	"azure-diagnostics":    "AKS diagnostic logs",
	"log-wrapper":          "log shipper or fixture wrapper",
	"gcp-cloud-audit-logs": "GKE Cloud Audit Logs entries",
}

func writeInspectText(w io.Writer, a *archive.Archive, top int) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tCLUSTER\tFORMAT\tREAD\tEVENTS\tOBSERVATIONS\tDUPLICATES\tSKIPPED\tREJECTED\tFIRST\tLAST")
	for _, f := range a.Files {
		cluster := f.Cluster
		if cluster == "" {
			cluster = strings.Join(keys(f.Summary.Clusters), ",")
		}
		format := f.Format
		if f.Compression != "" {
			format += "+" + f.Compression
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", textsafe.Sanitize(f.File), textsafe.Sanitize(cluster), format, f.Read, f.Events,
			f.Observations, f.Duplicates, f.Skipped, f.Rejected, timefmt.Nanos(f.Summary.First), timefmt.Nanos(f.Summary.Last))
	}
	t := a.Totals
	fmt.Fprintf(tw, "TOTAL (%s)\t\t\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", plural(int64(t.Files), "file"), t.Read, t.Events, t.Observations,
		t.Duplicates, t.Skipped, t.Rejected, timefmt.Nanos(a.Summary.First), timefmt.Nanos(a.Summary.Last))
	if err := tw.Flush(); err != nil {
		return err
	}
	s := summaryOf(a.Summary, top)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "clusters:   %s\n", joinCounts(s.Clusters))
	fmt.Fprintf(w, "namespaces: %s\n", joinCounts(s.Namespaces))
	fmt.Fprintf(w, "reasons:    %s\n", joinCounts(s.Reasons))
	fmt.Fprintf(w, "kinds:      %s\n", joinCounts(s.Kinds))
	if au := auditOf(t.Audit, top); au != nil {
		fmt.Fprintf(w, "audit:      %s, %s (%d stage repeats merged), %s, %s\n", plural(au.Records, "record"), plural(au.Requests, "request"), au.Duplicates,
			plural(au.Writes, "write"), plural(au.Events, "event write"))
		fmt.Fprintf(w, "  levels:   %s\n", joinCounts(au.Levels))
		fmt.Fprintf(w, "  stages:   %s\n", joinCounts(au.Stages))
		fmt.Fprintf(w, "  verbs:    %s\n", joinCounts(au.Verbs))
		fmt.Fprintf(w, "  resources: %s\n", joinCounts(au.Resources))
		fmt.Fprintf(w, "  users:    %s\n", joinCounts(au.Users))
	}
	if t.Warnings > 0 {
		fmt.Fprintf(w, "warnings:   %d fields unreadable (events kept without them; see -o json)\n", t.Warnings)
	}
	if t.Conflicts > 0 {
		fmt.Fprintf(w, "conflicts:  %d observations disagree with an earlier one of their event on its uid, object, reason, type or resourceVersion (kept; see -o json)\n", t.Conflicts)
	}
	if t.OutOfScope > 0 || t.RowGroupsSkipped > 0 || t.PartitionsSkipped > 0 {
		fmt.Fprintf(w, "scope:      %d records read and left out; not read: %d of %d Parquet row groups (%d rows), %d partitions\n",
			t.OutOfScope, t.RowGroupsSkipped, t.RowGroups, t.Unread, t.PartitionsSkipped)
	}
	envs := map[string]int64{}
	for _, f := range a.Files {
		for k, v := range f.Envelopes {
			envs[k] += v
		}
	}
	if len(envs) > 0 {
		var parts []string
		for _, c := range topCounts(envs, 0) {
			parts = append(parts, fmt.Sprintf("%s %d (%s)", c.Name, c.Count, envelopeNames[c.Name]))
		}
		fmt.Fprintf(w, "envelopes:  %s\n", strings.Join(parts, ", "))
	}
	skips := map[string]int64{}
	for _, f := range a.Files {
		for k, v := range f.SkipReasons {
			skips[k] += v
		}
	}
	for _, c := range topCounts(skips, 0) {
		fmt.Fprintf(w, "skipped:    %d × %s\n", c.Count, textsafe.Sanitize(c.Name))
	}
	for _, sf := range a.SkippedFiles {
		fmt.Fprintf(w, "not read:   %s (%s)\n", textsafe.Sanitize(sf.Path), textsafe.Sanitize(sf.Reason))
	}
	return nil
}

func joinCounts(cs []countJSON) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		name := c.Name
		if name == "" {
			name = "(none)"
		}
		parts[i] = fmt.Sprintf("%s %d", textsafe.Sanitize(name), c.Count)
	}
	return strings.Join(parts, ", ")
}

func keys(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
