package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/load/pqfile"
	"github.com/evanalyze/evanalyze/internal/report/rollouts"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

// streams are the command's standard streams, injected so tests compare
// exact output.
type streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// usageError marks errors in the command line (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

func newRootCmd(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "evanalyze",
		Short: "Analyze archived Kubernetes events and audit logs",
		Long: `evanalyze reads archives of Kubernetes Events (kubectl exports, watch streams,
event-exporter and eventrouter lines) and API-server audit logs, from many
clusters at once, and tells what happened.

Inputs are files, directories (read recursively) or - for standard input;
gzip and zstd are decompressed transparently. A path segment cluster=NAME
names the cluster of everything below it. Parquet inputs are evanalyze's
archives (convert) and event tables other pipelines wrote: nested with the
Kubernetes field names, or flat with --columns field=column,... naming
their columns (docs/schema.md).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newInspectCmd(s), newChangesCmd(s), newRolloutsCmd(s), newExportCmd(s), newStatsCmd(s), newTimelineCmd(s), newConvertCmd(s))
	return root
}

// loadFlags are the input flags every command that reads archives has.
type loadFlags struct {
	cluster string
	format  string
	strict  bool
	workers int
	quiet   bool
	columns string

	// scope is what the command's own flags select, when loading only
	// that gives the same output as loading everything (docs/schema.md,
	// "Scopes"); noPushDown loads everything anyway.
	scope      load.Scope
	noPushDown bool
	// changes is which write requests the command reads rows of.
	changes archive.ChangeSet
	memory  memoryFlag
	tempDir string
	noSpill bool // the command needs each cluster whole (export)
	// spillAfter, when set, replaces the spill threshold the budget gives
	// (tests force spilling with it).
	spillAfter string
}

func (f *loadFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.cluster, "cluster", "", "cluster name for inputs without a cluster=NAME path segment (default: the record's clusterName, else \"default\")")
	fs.StringVar(&f.format, "input-format", "auto", "input format: "+strings.Join(archive.Formats(), ", "))
	fs.BoolVar(&f.strict, "strict", false, "stop at the first rejected record (exit code 1)")
	fs.Var(&f.memory, "memory", "memory budget: the Go heap's soft limit, which the garbage collector keeps to while the data allows (e.g. 512MiB, 2GiB; default GOMEMLIMIT, else 1GiB)")
	fs.StringVar(&f.tempDir, "temp-dir", "", "directory for the rows that pass the memory budget, removed on exit (default $TMPDIR, else /tmp)")
	fs.StringVar(&f.spillAfter, "spill-after", "", "spill decoded rows past this size instead of a quarter of --memory (tests)")
	_ = fs.MarkHidden("spill-after")
	fs.IntVar(&f.workers, "workers", 0, "decode workers (default: number of CPUs)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "do not report rejected records on stderr")
	fs.StringVar(&f.columns, "columns", "", "Parquet written by other tools: the columns of these fields of the event table, as field=column,... "+
		"(e.g. reason=evt_reason,time=ts; nested columns as a.b; fields: docs/schema.md)")
	fs.BoolVar(&f.noPushDown, "no-pushdown", false, "load everything, also what the selection flags leave out (for checking that the output is the same)")
	_ = fs.MarkHidden("no-pushdown")
}

func (f *loadFlags) options(s streams) archive.Options {
	f.memory.apply()
	o := archive.Options{Cluster: f.cluster, Format: f.format, Strict: f.strict, Workers: f.workers, Stdin: s.In, Changes: f.changes,
		SpillBytes: f.memory.spillBytes(), TempDir: f.tempDir}

	if !f.noPushDown {
		o.Scope = f.scope
	}
	return o
}

// namespaces is the scope of a --namespace flag.
func namespaces(ns string) []string {
	if ns == "" {
		return nil
	}
	return []string{ns}
}

// load reads the inputs and reports rejected records on stderr (unless
// --quiet). The caller releases the archive.
func (f *loadFlags) load(ctx context.Context, args []string, s streams, summaries bool) (*archive.Archive, error) {
	opts, err := f.loadOptions(s, summaries)
	if err != nil {
		return nil, err
	}
	a, err := archive.Load(ctx, args, opts)
	if err != nil {
		return nil, err
	}
	if !f.quiet {
		reportProblems(s.Err, a, 5)
	}
	return a, nil
}

// each reads the inputs one cluster at a time (archive.LoadEach), reporting
// the rejected records of each on stderr (unless --quiet).
func (f *loadFlags) each(ctx context.Context, args []string, s streams, fn func(*archive.Archive) error) error {
	opts, err := f.loadOptions(s, false)
	if err != nil {
		return err
	}
	return archive.LoadEach(ctx, args, opts, func(a *archive.Archive) error {
		if !f.quiet && a.Group == 0 {
			reportProblems(s.Err, a, 5)
		}
		return fn(a)
	})
}

func (f *loadFlags) loadOptions(s streams, summaries bool) (archive.Options, error) {
	opts := f.options(s)
	opts.Summaries = summaries
	if f.spillAfter != "" {
		n, err := parseBytes(f.spillAfter)
		if err != nil || n == 0 {
			return opts, usagef("--spill-after: %q is not a size above 0", f.spillAfter)
		}
		opts.SpillBytes = n
	}
	if f.noSpill {
		opts.SpillBytes = 0
	}
	if f.columns != "" {
		cols, err := pqfile.ParseColumns(f.columns)
		if err != nil {
			return opts, usagef("--columns: %v", err)
		}
		opts.Columns = cols
	}
	return opts, nil
}

// rolloutFilter is the rollout selection flags of rollouts, export and
// stats.
type rolloutFilter struct {
	namespace, kind, name, outcome, since, until string
}

func (f *rolloutFilter) register(fs *pflag.FlagSet) {
	fs.StringVarP(&f.namespace, "namespace", "n", "", "only this namespace (Parquet archives are read without the row groups of others)")
	fs.StringVar(&f.kind, "kind", "", "only this workload kind (Deployment, StatefulSet, DaemonSet, Job)")
	fs.StringVar(&f.name, "name", "", "only workloads with this name")
	fs.StringVar(&f.outcome, "outcome", "", "only this outcome: complete, failed, superseded or in-progress")
	fs.StringVar(&f.since, "since", "", "only rollouts starting at or after this time (RFC 3339)")
	fs.StringVar(&f.until, "until", "", "only rollouts starting before this time (RFC 3339)")
}

// compile checks the flags and returns the selection.
func (f *rolloutFilter) compile() (func(*correlate.Rollout) bool, error) {
	switch f.outcome {
	case "", correlate.OutcomeComplete, correlate.OutcomeFailed, correlate.OutcomeSuperseded, correlate.OutcomeInProgress:
	default:
		return nil, usagef("--outcome must be complete, failed, superseded or in-progress, not %q", f.outcome)
	}
	var since, until time.Time
	var err error
	if f.since != "" {
		if since, err = time.Parse(time.RFC3339, f.since); err != nil {
			return nil, usagef("--since: %v", err)
		}
	}
	if f.until != "" {
		if until, err = time.Parse(time.RFC3339, f.until); err != nil {
			return nil, usagef("--until: %v", err)
		}
	}
	return func(r *correlate.Rollout) bool {
		return (f.namespace == "" || r.Namespace == f.namespace) && (f.kind == "" || strings.EqualFold(r.Kind, f.kind)) &&
			(f.name == "" || r.Name == f.name) && (f.outcome == "" || r.Outcome == f.outcome) &&
			(since.IsZero() || !r.Start.Before(since)) && (until.IsZero() || r.Start.Before(until))
	}, nil
}

// rollouts correlates the archive and keeps the selected rollouts.
func (f *rolloutFilter) rollouts(a *archive.Archive, keep func(*correlate.Rollout) bool) []correlate.Rollout {
	return f.appendRollouts([]correlate.Rollout{}, a, keep)
}

func (f *rolloutFilter) appendRollouts(out []correlate.Rollout, a *archive.Archive, keep func(*correlate.Rollout) bool) []correlate.Rollout {
	for _, r := range correlate.CorrelateParts(a.Parts, a.Workers).Rollouts {
		if keep(&r) {
			out = append(out, r)
		}
	}
	return out
}

// loadRollouts reads the inputs one cluster at a time and keeps the
// selected rollouts: memory holds the largest cluster's archive, not the
// fleet's. Rollouts are ordered by cluster first, and LoadEach gives the
// clusters in order, so the result is that of one archive of everything.
// reduce, when not nil, is applied to each rollout kept (what the caller
// does not read need not be held).
func (f *rolloutFilter) loadRollouts(ctx context.Context, lf *loadFlags, args []string, s streams, keep func(*correlate.Rollout) bool, reduce func(*correlate.Rollout)) ([]correlate.Rollout, error) {
	out := []correlate.Rollout{}
	err := lf.each(ctx, args, s, func(a *archive.Archive) error {
		n := len(out)
		out = f.appendRollouts(out, a, keep)
		if reduce != nil {
			for i := n; i < len(out); i++ {
				reduce(&out[i])
			}
		}
		return nil
	})
	// The archives of a cluster whose rows spilled hold groups of its
	// namespaces: their rollouts, in the order of the whole cluster.
	correlate.SortRollouts(out)
	return out, err
}

// streamRollouts reads the inputs one cluster at a time and writes the
// selected rollouts of each in turn, in the order loadRollouts gives them
// all: decodes come in cluster order, and the rollouts of one decode are
// sorted together before they are written. When a decode gives several
// archives (the groups of a cluster whose rows spilled), its rollouts are
// sorted through a file under --temp-dir (rollouts.Sorter) rather than
// held.
func (f *rolloutFilter) streamRollouts(ctx context.Context, lf *loadFlags, args []string, s streams, keep func(*correlate.Rollout) bool, w *rollouts.Writer) (err error) {
	var (
		pending []correlate.Rollout
		sorter  *rollouts.Sorter
		sorting bool // the decode's rollouts go through sorter
	)
	defer func() {
		if sorter != nil {
			err = errors.Join(err, sorter.Close())
		}
	}()
	flush := func() error {
		if sorting {
			sorting = false
			return sorter.Flush()
		}
		correlate.SortRollouts(pending)
		err := w.Write(pending)
		pending = pending[:0]
		return err
	}
	err = lf.each(ctx, args, s, func(a *archive.Archive) error {
		if a.Group == 0 && (len(pending) > 0 || sorting) {
			if err := flush(); err != nil {
				return err
			}
		}
		if a.Group == 1 {
			if sorter == nil {
				sorter = rollouts.NewSorter(w, lf.tempDir)
			}
			if err := sorter.Add(pending); err != nil {
				return err
			}
			pending, sorting = pending[:0], true
		}
		if !sorting {
			pending = f.appendRollouts(pending, a, keep)
			return nil
		}
		return sorter.Add(f.appendRollouts(nil, a, keep))
	})
	if err != nil {
		return err
	}
	return flush()
}

// reportProblems prints the inputs that could not be read and the rejected
// records on stderr: the first few records per file and how many more
// there were. File names and reasons are sanitized for the terminal.
func reportProblems(w io.Writer, a *archive.Archive, perFile int) {
	for _, s := range a.SkippedFiles {
		if s.Err != nil {
			fmt.Fprintf(w, "not read: %s: %s\n", textsafe.Sanitize(s.Path), textsafe.Sanitize(s.Reason))
		}
	}
	for _, f := range a.Files {
		for i, e := range f.Errors {
			if i == perFile {
				break
			}
			fmt.Fprintf(w, "rejected: %s\n", textsafe.Sanitize(e.Error()))
		}
		if n := f.Rejected - int64(min(perFile, len(f.Errors))); n > 0 {
			fmt.Fprintf(w, "rejected: %s: %d more\n", textsafe.Sanitize(f.File), n)
		}
	}
}

// writeJSON writes v as indented JSON. HTML characters are not escaped:
// the output is for jq and people, and untrusted text stays a JSON string;
// characters that would act on a terminal are \u escapes (safeJSON).
func writeJSON(w io.Writer, v any) error {
	return safeJSON(w, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	})
}

// safeJSON calls write with a writer that escapes, in the JSON it writes,
// DEL, C1 controls and bidi overrides as \u escapes, which encoding/json
// writes raw (textsafe.NewJSONWriter): the same JSON, safe to print.
func safeJSON(w io.Writer, write func(io.Writer) error) error {
	jw := textsafe.NewJSONWriter(w)
	return errors.Join(write(jw), jw.Flush())
}
