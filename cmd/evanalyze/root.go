package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
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
	// With Args set, cobra leaves unknown commands to RunE: a usage error.
	root.Args = cobra.ArbitraryArgs
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if sugg := cmd.SuggestionsFor(args[0]); len(sugg) > 0 {
			msg += "; did you mean " + strings.Join(sugg, " or ") + "?"
		}
		return usagef("%s (see evanalyze --help)", msg)
	}
	root.AddCommand(newInspectCmd(s), newChangesCmd(s), newRolloutsCmd(s), newExportCmd(s), newStatsCmd(s), newTimelineCmd(s), newExplainCmd(s), newConvertCmd(s))
	return root
}

// needPaths is the Args of every command that reads archives: a missing
// PATH is a usage error.
func needPaths(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return usagef("%s: no PATH given (files, directories, or - for standard input; see %s --help)", cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

// loadFlags are the input flags every command that reads archives has.
type loadFlags struct {
	// cluster selects one cluster (every command); clusterName names the
	// cluster of inputs without a cluster=NAME path segment.
	cluster     string
	clusterName string
	format      string
	strict      bool
	workers     int
	quiet       bool
	columns     string

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
	whole   bool // the command needs the archive whole (each gives one)

	// What the inputs held, for checkEmpty.
	held, checked bool
	read, notRead []string
	// spillAfter, when set, replaces the spill threshold the budget gives
	// (tests force spilling with it).
	spillAfter string
}

func (f *loadFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.cluster, "cluster", "", "only this cluster (a cluster=NAME path segment, --cluster-name, the record's clusterName, else \"default\")")
	fs.StringVar(&f.clusterName, "cluster-name", "", "cluster of inputs without a cluster=NAME path segment (default: the record's clusterName, else \"default\")")
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
	o := archive.Options{Cluster: f.clusterName, Format: f.format, Strict: f.strict, Workers: f.workers, Stdin: s.In, Changes: f.changes,
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
// --quiet), and inputs that hold nothing (checkEmpty). The caller
// releases the archive.
func (f *loadFlags) load(ctx context.Context, args []string, s streams, summaries bool) (*archive.Archive, error) {
	opts, err := f.loadOptions(s, args, summaries)
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
	f.note(a)
	if err := f.checkEmpty(s, args); err != nil {
		a.Release()
		return nil, err
	}
	return a, nil
}

// each reads the inputs one cluster at a time (archive.LoadEach), reporting
// the rejected records of each on stderr (unless --quiet), and inputs that
// hold nothing (checkEmpty).
func (f *loadFlags) each(ctx context.Context, args []string, s streams, fn func(*archive.Archive) error) error {
	opts, err := f.loadOptions(s, args, false)
	if err != nil {
		return err
	}
	call := func(a *archive.Archive) error {
		if !f.quiet && a.Group == 0 {
			reportProblems(s.Err, a, 5)
		}
		f.note(a)
		return fn(a)
	}
	if f.whole {
		a, err := archive.Load(ctx, args, opts)
		if err != nil {
			return err
		}
		err = call(a)
		a.Release()
		if err != nil {
			return err
		}
		return f.checkEmpty(s, args)
	}
	err = archive.LoadEach(ctx, args, opts, call)
	if err != nil {
		return err
	}
	return f.checkEmpty(s, args)
}

// note records what an archive held, for checkEmpty.
func (f *loadFlags) note(a *archive.Archive) {
	if a.Totals.Events > 0 || a.Totals.Audit.Records > 0 || (a.Changes != nil && a.Changes.NumRows() > 0) {
		f.held = true
	}
	if a.Group == 0 {
		for _, fs := range a.Files {
			f.read = append(f.read, fmt.Sprintf("%s (%s read, %d rejected, %d skipped)", fs.File, plural(fs.Read, "record"), fs.Rejected, fs.Skipped))
		}
		for _, sk := range a.SkippedFiles {
			f.notRead = append(f.notRead, sk.Path+" ("+sk.Reason+")")
		}
	}
}

// checkEmpty says on stderr when the inputs held no event and no audit
// record, listing the files read and skipped, so that "nothing found"
// never hides a wrong path; under --strict it is an error (exit 1).
func (f *loadFlags) checkEmpty(s streams, args []string) error {
	if f.held || f.checked {
		return nil
	}
	f.checked = true
	if f.notRead == nil && f.read == nil {
		// LoadEach had no source to read: the skipped files are its
		// walk's.
		if _, skipped, err := load.Expand(args, f.clusterName); err == nil {
			for _, sk := range skipped {
				f.notRead = append(f.notRead, sk.Path+" ("+sk.Reason+")")
			}
		}
	}
	fmt.Fprintf(s.Err, "warning: no event or audit record in %s\n", textsafe.Sanitize(strings.Join(args, " ")))
	for _, r := range f.read {
		fmt.Fprintf(s.Err, "  read:     %s\n", textsafe.Sanitize(r))
	}
	for _, r := range f.notRead {
		fmt.Fprintf(s.Err, "  not read: %s\n", textsafe.Sanitize(r))
	}
	if f.strict {
		return errors.New("no event or audit record in the inputs (--strict)")
	}
	return nil
}

func (f *loadFlags) loadOptions(s streams, args []string, summaries bool) (archive.Options, error) {
	if f.workers < 0 {
		return archive.Options{}, usagef("--workers %d: want 0 (one per CPU) or more", f.workers)
	}
	if !slices.Contains(archive.Formats(), f.format) {
		return archive.Options{}, usagef("--input-format %q: want one of %s", f.format, strings.Join(archive.Formats(), ", "))
	}
	opts := f.options(s)
	opts.Summaries = summaries
	if slices.Contains(args, "-") && isTerminal(s.In) && !f.quiet {
		// Nothing is piped in: say what the command waits for.
		fmt.Fprintln(s.Err, "reading events from standard input (a terminal); end with Ctrl-D, or give PATHs instead of -")
	}
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
	rules                                        ruleFlags

	// compiled by compile
	cluster string
	k       string // the kind, as Kubernetes spells it
	times   timeRange
}

func (f *rolloutFilter) register(fs *pflag.FlagSet) {
	fs.StringVarP(&f.namespace, "namespace", "n", "", "only this namespace (Parquet archives are read without the row groups of others)")
	fs.StringVar(&f.kind, "kind", "", "only this workload kind: "+kindList+"; a CronJob's runs are Jobs")
	fs.StringVar(&f.name, "name", "", "only workloads with this name (with --kind cronjob, the CronJob's)")
	fs.StringVar(&f.outcome, "outcome", "", "only this outcome: complete, failed, superseded or in-progress")
	fs.StringVar(&f.since, "since", "", "only rollouts starting at or after this time: "+timeHelp)
	fs.StringVar(&f.until, "until", "", "only rollouts starting before this time (same forms as --since)")
	f.rules.register(fs)
}

// ruleFlags are the thresholds of the failure rule (docs/rollouts.md, "The
// failure rule").
type ruleFlags struct{ hardAfter, softAfter time.Duration }

func (r *ruleFlags) register(fs *pflag.FlagSet) {
	d := correlate.DefaultRules()
	fs.DurationVar(&r.hardAfter, "hard-after", d.HardAfter, "a hard failure signal (image pull, crash loop, FailedMount, no node fits) fails a rollout a newer template replaced only when it came this long before")
	fs.DurationVar(&r.softAfter, "soft-after", d.SoftAfter, "a soft failure signal (readiness probe, anti-affinity or host ports during a surge) fails a rollout only when it lasts this long, or a rollback gives the rollout up")
}

func (r ruleFlags) rules() (correlate.Rules, error) {
	if r.hardAfter < 0 || r.softAfter < 0 {
		return correlate.Rules{}, usagef("--hard-after and --soft-after must not be negative")
	}
	return correlate.Rules{HardAfter: r.hardAfter, SoftAfter: r.softAfter}, nil
}

// compile checks the flags (cluster is --cluster) and returns the
// selection of everything but the times, which select() applies once the
// archive's span is known.
func (f *rolloutFilter) compile(cluster string) (func(*correlate.Rollout) bool, error) {
	switch f.outcome {
	case "", correlate.OutcomeComplete, correlate.OutcomeFailed, correlate.OutcomeSuperseded, correlate.OutcomeInProgress:
	default:
		return nil, usagef("--outcome must be complete, failed, superseded or in-progress, not %q", f.outcome)
	}
	var err error
	if f.k, err = parseKind("kind", f.kind); err != nil {
		return nil, err
	}
	if f.times, err = parseTimeRange(f.since, f.until); err != nil {
		return nil, err
	}
	if _, err := f.rules.rules(); err != nil {
		return nil, err
	}
	f.cluster = cluster
	return func(r *correlate.Rollout) bool {
		if f.k == "CronJob" {
			if r.Kind != "Job" || r.Owner == "" || f.name != "" && r.Owner != f.name {
				return false
			}
		} else if f.k != "" && r.Kind != f.k || f.name != "" && r.Name != f.name {
			return false
		}
		return (f.cluster == "" || r.Cluster == f.cluster) && (f.namespace == "" || r.Namespace == f.namespace) &&
			(f.outcome == "" || r.Outcome == f.outcome)
	}, nil
}

// selectTimes keeps the rollouts starting in --since/--until, for an
// archive spanning first to last (what relative times refer to).
func (f *rolloutFilter) selectTimes(rs []correlate.Rollout, first, last time.Time) ([]correlate.Rollout, error) {
	since, until, err := f.times.at(first, last)
	if err != nil {
		return nil, err
	}
	if since.IsZero() && until.IsZero() {
		return rs, nil
	}
	out := rs[:0]
	for _, r := range rs {
		if (since.IsZero() || !r.Start.Before(since)) && (until.IsZero() || r.Start.Before(until)) {
			out = append(out, r)
		}
	}
	return out, nil
}

// rollouts correlates the archive and keeps the selected rollouts.
func (f *rolloutFilter) rollouts(a *archive.Archive, keep func(*correlate.Rollout) bool) ([]correlate.Rollout, error) {
	fa := facts{span: f.times.relative()}
	fa.add(a, nil)
	if err := fa.checkCluster(f.cluster); err != nil {
		return nil, err
	}
	return f.selectTimes(f.appendRollouts([]correlate.Rollout{}, a, keep), fa.first, fa.last)
}

func (f *rolloutFilter) appendRollouts(out []correlate.Rollout, a *archive.Archive, keep func(*correlate.Rollout) bool) []correlate.Rollout {
	rules, _ := f.rules.rules() // checked by compile
	for _, r := range correlate.CorrelatePartsWith(a.Parts, a.Workers, rules).Rollouts {
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
// Times relative to the archive's end are those of the whole fleet's
// archive, so the times select once every cluster is read. reduce, when
// not nil, is applied to each rollout kept (what the caller does not read
// need not be held).
func (f *rolloutFilter) loadRollouts(ctx context.Context, lf *loadFlags, args []string, s streams, keep func(*correlate.Rollout) bool, reduce func(*correlate.Rollout)) ([]correlate.Rollout, error) {
	out := []correlate.Rollout{}
	fa := facts{span: f.times.relative()}
	err := lf.each(ctx, args, s, func(a *archive.Archive) error {
		fa.add(a, nil)
		n := len(out)
		out = f.appendRollouts(out, a, keep)
		if reduce != nil {
			for i := n; i < len(out); i++ {
				reduce(&out[i])
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := fa.checkCluster(f.cluster); err != nil {
		return nil, err
	}
	// The archives of a cluster whose rows spilled hold groups of its
	// namespaces: their rollouts, in the order of the whole cluster.
	correlate.SortRollouts(out)
	return f.selectTimes(out, fa.first, fa.last)
}

// streamRollouts reads the inputs one cluster at a time and writes the
// selected rollouts of each in turn, in the order loadRollouts gives them
// all: decodes come in cluster order, and the rollouts of one decode are
// sorted together before they are written. When a decode gives several
// archives (the groups of a cluster whose rows spilled), its rollouts are
// sorted through a file under --temp-dir (rollouts.Sorter) rather than
// held. Times relative to the archive's end need the whole archive: give
// those to loadRollouts.
func (f *rolloutFilter) streamRollouts(ctx context.Context, lf *loadFlags, args []string, s streams, keep func(*correlate.Rollout) bool, w *rollouts.Writer) (err error) {
	var (
		pending []correlate.Rollout
		sorter  *rollouts.Sorter
		sorting bool // the decode's rollouts go through sorter
		fa      facts
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
		fa.add(a, nil)
		// Absolute times only (relative ones need the whole archive's
		// span: loadRollouts), which select without it.
		rs, err := f.selectTimes(f.appendRollouts(nil, a, keep), time.Time{}, time.Time{})
		if err != nil {
			return err
		}
		if !sorting {
			pending = append(pending, rs...)
			return nil
		}
		return sorter.Add(rs)
	})
	if err != nil {
		return err
	}
	if err := fa.checkCluster(f.cluster); err != nil {
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
