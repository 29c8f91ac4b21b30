package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/timeline"
)

type timelineOptions struct {
	load                       loadFlags
	output                     string
	since, until, around       string
	sinceTS, untilTS, aroundTS timeSpec
	windowLen                  time.Duration
	o                          timeline.Options
}

func newTimelineCmd(s streams) *cobra.Command {
	o := &timelineOptions{}
	cmd := &cobra.Command{
		Use:   "timeline PATH... [--since T --until T | --around T --window D]",
		Short: "One chronological story of a time window, for post-incident reviews",
		Long: `timeline merges what happened in a window into one chronological story:
workload changes with their actor and change summary (audit logs), rollout
starts and ends with their outcome, scaling actions, warnings and failure
events with repeats collapsed ("BackOff ×37 over 6m0s"), and node events; at
the top a summary of what changed, what failed first, what recovered and
what was still broken at the end of the window. Normal events (Pulled,
Created, Started, ...) fold into the rollout lines unless --verbose. Every
entry names the records it came from (file:line).

Times are RFC 3339, or relative to the archive's first and last records:
start, end, start+5m, end-10m. --around T --window 30m selects T-15m to
T+15m.
--cluster limits the timeline to one cluster (and names inputs without a
cluster=NAME segment, as for every command). With absolute times, the
inputs are read one cluster at a time (spilling past the memory budget, as
rollouts does), and Parquet archives without the partitions and row groups
of other clusters and namespaces; with start/end times the whole archive is
read at once.`,
		Example: `  evanalyze timeline testdata/lab-basic --since 2026-11-25T03:29:00Z --until 2026-11-25T03:31:00Z
  evanalyze timeline archive/ --around 2026-11-25T14:16:00Z --window 30m --namespace shop -o md`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.resolve(); err != nil {
				return err
			}
			// --cluster names inputs without a cluster= segment and
			// limits the timeline to that cluster.
			o.o.Cluster = o.load.cluster
			if !o.relative() {
				// Only the archive's first and last times (start, end)
				// depend on what is outside the cluster and namespace.
				o.load.scope = load.Scope{Namespaces: namespaces(o.o.Namespace)}
				if o.o.Cluster != "" {
					o.load.scope.Clusters = []string{o.o.Cluster}
				}
			}
			var b *timeline.Builder
			add := func(a *archive.Archive) {
				res := correlate.CorrelateParts(a.Parts, a.Workers)
				b.Add(a.Events(), a.Changes, res)
			}
			if o.relative() {
				// start and end are the whole archive's: read it at once.
				a, err := o.load.load(cmd.Context(), args, s, false)
				if err != nil {
					return err
				}
				defer a.Release()
				first, last := archiveSpan(a)
				if err := o.window(first, last); err != nil {
					return err
				}
				b = timeline.NewBuilder(o.o)
				add(a)
			} else {
				// One cluster at a time (or one group of its namespaces,
				// when its rows spill).
				if err := o.window(time.Time{}, time.Time{}); err != nil {
					return err
				}
				b = timeline.NewBuilder(o.o)
				err := o.load.each(cmd.Context(), args, s, func(a *archive.Archive) error {
					add(a)
					return nil
				})
				if err != nil {
					return err
				}
			}
			tl := b.Timeline()
			if len(tl.Entries) == 0 {
				fmt.Fprintln(s.Err, "Nothing happened in the window.")
			}
			switch o.output {
			case "html":
				return timeline.WriteHTML(s.Out, tl, b.Rollouts())
			case "json":
				return writeJSON(s.Out, tl)
			case "md":
				return timeline.WriteMarkdown(s.Out, tl)
			}
			return timeline.WriteText(s.Out, tl)
		},
	}
	o.load.register(cmd.Flags())
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "text", "output format: text, md, json or html (one self-contained page with a zoomable Gantt chart)")
	f.StringVar(&o.since, "since", "", "window start (RFC 3339, or start|end[±duration])")
	f.StringVar(&o.until, "until", "", "window end (RFC 3339, or start|end[±duration])")
	f.StringVar(&o.around, "around", "", "window centre (RFC 3339, or start|end[±duration]), with --window")
	f.DurationVar(&o.windowLen, "window", 30*time.Minute, "window length around --around")
	f.StringVarP(&o.o.Namespace, "namespace", "n", "", "only this namespace (Parquet archives are read without the row groups of others, unless times are relative)")
	f.StringVar(&o.o.Workload, "workload", "", "only this workload (kind/name, e.g. deployment/web) and its pods")
	f.StringVar(&o.o.Node, "node", "", "only what concerns this node")
	f.BoolVarP(&o.o.Verbose, "verbose", "v", false, "list every event instead of folding Normal ones into rollouts")
	return cmd
}

// timeSpec is an absolute time or one relative to the archive: "start",
// "end", "start+5m", "end-10m".
type timeSpec struct {
	abs    time.Time
	anchor string
	off    time.Duration
}

func parseTimeSpec(flag, v string) (timeSpec, error) {
	if v == "" {
		return timeSpec{}, nil
	}
	for _, anchor := range []string{"start", "end"} {
		rest, ok := strings.CutPrefix(v, anchor)
		if !ok {
			continue
		}
		ts := timeSpec{anchor: anchor}
		if rest != "" {
			d, err := time.ParseDuration(rest)
			if err != nil || (rest[0] != '+' && rest[0] != '-') {
				return ts, usagef("--%s: %q: want RFC 3339, or start/end with an offset such as start+5m or end-10m", flag, v)
			}
			ts.off = d
		}
		return ts, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return timeSpec{}, usagef("--%s: %q: want RFC 3339, or start/end with an offset such as start+5m or end-10m", flag, v)
	}
	return timeSpec{abs: t.UTC()}, nil
}

func (ts timeSpec) at(first, last time.Time) time.Time {
	switch ts.anchor {
	case "start":
		return first.Add(ts.off)
	case "end":
		return last.Add(ts.off)
	}
	return ts.abs
}

// resolve checks the flags; the window itself is fixed by window(), once
// the archive's time span is known.
func (o *timelineOptions) resolve() error {
	switch o.output {
	case "text", "md", "json", "html":
	default:
		return usagef("--output must be text, md, json or html, not %q", o.output)
	}
	var err error
	if o.sinceTS, err = parseTimeSpec("since", o.since); err != nil {
		return err
	}
	if o.untilTS, err = parseTimeSpec("until", o.until); err != nil {
		return err
	}
	if o.aroundTS, err = parseTimeSpec("around", o.around); err != nil {
		return err
	}
	if o.around != "" && (o.since != "" || o.until != "") {
		return usagef("--around goes without --since and --until")
	}
	return nil
}

// relative reports whether a time flag is relative to the archive's first
// or last time.
func (o *timelineOptions) relative() bool {
	return o.sinceTS.anchor != "" || o.untilTS.anchor != "" || o.aroundTS.anchor != ""
}

// window sets the window from the flags and the archive's first and last
// times.
func (o *timelineOptions) window(first, last time.Time) error {
	if o.since != "" {
		o.o.Since = o.sinceTS.at(first, last)
	}
	if o.until != "" {
		o.o.Until = o.untilTS.at(first, last)
	}
	if o.around != "" {
		c := o.aroundTS.at(first, last)
		o.o.Since, o.o.Until = c.Add(-o.windowLen/2), c.Add(o.windowLen/2)
	}
	if !o.o.Since.IsZero() && !o.o.Until.IsZero() && o.o.Until.Before(o.o.Since) {
		return usagef("--until is before --since")
	}
	return nil
}

// archiveSpan is the time of the first and last event observation or audit
// request in the archive.
func archiveSpan(a *archive.Archive) (first, last time.Time) {
	upd := func(ns int64) {
		if ns == 0 {
			return
		}
		t := time.Unix(0, ns).UTC()
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	v := load.NewView(a.Events())
	for i := 0; i < v.Len(); i++ {
		upd(v.Time(load.ColTime, i))
	}
	for i := 0; i < int(a.Changes.NumRows()); i++ {
		upd(load.ChangeTime(a.Changes, load.CRequestTime, i))
	}
	return first, last
}
