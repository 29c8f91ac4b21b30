package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
	"github.com/evanalyze/evanalyze/internal/report/timeline"
)

type timelineOptions struct {
	load                       loadFlags
	output                     string
	since, until, around       string
	sinceTS, untilTS, aroundTS timeSpec
	workload                   string
	workloadName               string // --workload without a kind, resolved from the archive
	windowLen                  time.Duration
	rules                      ruleFlags
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
what was still broken at the end of the window; the first failure is a
failed rollout or a failure signal on a rollout's pods before any other
warning. Normal events (Pulled, Created, Started, ...) fold into the rollout
lines unless --verbose, and warnings of known-benign reasons (OpenShift's
FastControllerResync) into one count unless --show-benign. Every entry names
the records it came from (file:line); line breaks in messages show as ↵.

Times are RFC 3339 (2026-11-25T03:29:00Z), dates (2026-11-25: midnight
UTC), or relative to the archive's first and last records: start, end,
start+5m, end-10m, and a duration alone (2h, 1d) that long before the end
of the archive; never the wall clock. --around T --window 30m selects T-15m
to T+15m.

--workload takes kind/name (deploy/web, statefulset/db: kubectl's
spellings) or a name alone when one workload kind has that name.
--cluster limits the timeline to one cluster, --node to what concerns one
node; naming a cluster or node the inputs do not hold is an error (a node
is checked when there is no --namespace). The inputs are read one cluster
at a time (spilling past the memory budget, as rollouts does); with
absolute times Parquet archives are read without the partitions and row
groups of other clusters and namespaces. Relative times (and --workload
NAME without a kind) need the whole archive's span (or workloads): the
inputs are then read twice, the first time for those only.`,
		Example: `  evanalyze timeline testdata/lab-basic --since 2026-11-25T03:29:00Z --until 2026-11-25T03:31:00Z
  evanalyze timeline archive/ --around 2026-11-25T14:16:00Z --window 30m --namespace shop -o md
  evanalyze timeline archive/ --since 2h --workload web   # the archive's last two hours`,
		Args: needPaths,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.resolve(cmd.Flags().Changed("window")); err != nil {
				return err
			}
			rules, err := o.rules.rules()
			if err != nil {
				return err
			}
			o.o.Cluster = o.load.cluster
			if !o.wholeArchive() {
				// Only the archive's first and last times (start, end)
				// depend on what is outside the cluster and namespace.
				o.load.scope = load.Scope{Namespaces: namespaces(o.o.Namespace)}
				if o.o.Cluster != "" {
					o.load.scope.Clusters = []string{o.o.Cluster}
				}
			}
			// Nodes are checked against the whole cluster's records: a
			// --namespace scope leaves out the node events.
			fa := facts{nodes: o.o.Node != "" && o.o.Namespace == "", workload: o.workloadName, ns: o.o.Namespace}
			var b *timeline.Builder
			add := func(a *archive.Archive) {
				res := correlate.CorrelatePartsWith(a.Parts, a.Workers, rules)
				fa.add(a, res.Rollouts)
				b.Add(a.Events(), a.Changes, res)
			}
			if o.wholeArchive() {
				// start and end are the whole archive's, and a workload
				// given by name alone is looked up in it: a first pass
				// over the inputs, one cluster at a time, finds them.
				first := facts{span: o.relative(), workload: o.workloadName, ns: o.o.Namespace}
				err := o.load.each(cmd.Context(), args, s, func(a *archive.Archive) error {
					var rs []correlate.Rollout
					if o.workloadName != "" {
						rs = correlate.CorrelatePartsWith(a.Parts, a.Workers, rules).Rollouts
					}
					first.add(a, rs)
					return nil
				})
				if err != nil {
					return err
				}
				if err := o.window(first.first, first.last); err != nil {
					return err
				}
				if o.workloadName != "" {
					if err := o.resolveWorkload(&first); err != nil {
						return err
					}
				}
				// The second pass does not report the inputs' problems again.
				quiet := o.load.quiet
				o.load.quiet = true
				defer func() { o.load.quiet = quiet }()
			} else if err := o.window(time.Time{}, time.Time{}); err != nil {
				return err
			}
			// One cluster at a time (or one group of its namespaces, when
			// its rows spill).
			b = timeline.NewBuilder(o.o)
			err = o.load.each(cmd.Context(), args, s, func(a *archive.Archive) error {
				add(a)
				return nil
			})
			if err != nil {
				return err
			}
			node := o.o.Node
			if !fa.nodes {
				node = ""
			}
			if err := errors.Join(fa.checkCluster(o.o.Cluster), fa.checkNode(node)); err != nil {
				return err
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
	f.StringVar(&o.since, "since", "", "window start: "+timeHelp)
	f.StringVar(&o.until, "until", "", "window end (same forms as --since)")
	f.StringVar(&o.around, "around", "", "window centre (same forms as --since), with --window")
	f.DurationVar(&o.windowLen, "window", 30*time.Minute, "window length around --around")
	f.StringVarP(&o.o.Namespace, "namespace", "n", "", "only this namespace (Parquet archives are read without the row groups of others, unless times are relative)")
	f.StringVar(&o.workload, "workload", "", "only this workload and its pods: kind/name (deploy/web, sts/db, ...) or a name that one kind has")
	f.StringVar(&o.o.Node, "node", "", "only what concerns this node")
	o.rules.register(f)
	f.BoolVarP(&o.o.Verbose, "verbose", "v", false, "list every event instead of folding Normal ones into rollouts")
	f.BoolVar(&o.o.ShowBenign, "show-benign", false, "list events of known-benign reasons (OpenShift's FastControllerResync, ...; docs/timeline.md) instead of counting them in the summary")
	return cmd
}

// resolve checks the flags; the window itself is fixed by window(), once
// the archive's time span is known.
func (o *timelineOptions) resolve(windowSet bool) error {
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
	if windowSet && o.around == "" {
		return usagef("--window goes with --around (or give --since and --until)")
	}
	if windowSet && o.windowLen <= 0 {
		return usagef("--window %s: want a duration above 0", o.windowLen)
	}
	if err := o.parseWorkload(); err != nil {
		return err
	}
	if !o.relative() {
		return o.window(time.Time{}, time.Time{})
	}
	return nil
}

// parseWorkload reads --workload: kind/name with kubectl's spellings of
// the kind, or a name alone (resolved from the archive).
func (o *timelineOptions) parseWorkload() error {
	if o.workload == "" {
		return nil
	}
	kind, name, ok := strings.Cut(o.workload, "/")
	if !ok {
		o.workloadName = o.workload
		return nil
	}
	k, err := parseKind("workload", kind)
	if err != nil {
		return usagef("--workload %q: %q is not a workload kind; want %s", o.workload, kind, kindList)
	}
	if name == "" {
		return usagef("--workload %q: no name after the kind", o.workload)
	}
	o.o.Workload = strings.ToLower(k) + "/" + name
	return nil
}

// resolveWorkload finds the kind of the workload named alone by
// --workload: unique, or a usage error saying which kinds have the name.
func (o *timelineOptions) resolveWorkload(fa *facts) error {
	kinds := sorted(fa.kinds)
	name := o.workloadName
	switch len(kinds) {
	case 0:
		return usagef("--workload %q: no Deployment, StatefulSet, DaemonSet, Job or CronJob of that name in the inputs", name)
	case 1:
		o.o.Workload = strings.ToLower(kinds[0]) + "/" + o.workloadName
		return nil
	}
	var alts []string
	for _, k := range kinds {
		alts = append(alts, strings.ToLower(k)+"/"+textsafe.Sanitize(name))
	}
	return usagef("--workload %q: %d kinds have that name; give one of %s", name, len(kinds), strings.Join(alts, ", "))
}

// relative reports whether a time flag is relative to the archive's first
// or last time.
func (o *timelineOptions) relative() bool {
	return o.sinceTS.relative() || o.untilTS.relative() || o.aroundTS.relative()
}

// wholeArchive reports whether the timeline needs something of the whole
// archive before its first cluster: relative times its span, a workload
// given by name alone its workloads. A first pass finds them.
func (o *timelineOptions) wholeArchive() bool { return o.relative() || o.workloadName != "" }

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
	return checkOrder(o.o.Since, o.o.Until)
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
