package main

import (
	"cmp"
	"io"

	"github.com/spf13/cobra"

	"github.com/evanalyze/evanalyze/internal/report/stats"
)

type statsOptions struct {
	load    loadFlags
	output  string
	th      stats.Thresholds
	groupBy []string
	filter  rolloutFilter

	outputFile string
}

// validate refuses thresholds that cannot be meant.
func (o *statsOptions) validate(s streams) error {
	th := o.th
	switch {
	case !(th.FleetQuantile > 0 && th.FleetQuantile < 1):
		return usagef("--fleet-quantile %g: want a quantile between 0 and 1 (0.95 is the p95)", th.FleetQuantile)
	case !(th.SlowFactor > 0):
		return usagef("--slow-factor %g: want a factor above 0", th.SlowFactor)
	case !(th.RegressFactor > 0):
		return usagef("--regress-factor %g: want a factor above 0", th.RegressFactor)
	case !(th.OutlierFactor > 0):
		return usagef("--outlier-factor %g: want a factor above 0", th.OutlierFactor)
	case !(th.SlowMinSeconds >= 0):
		return usagef("--slow-min-seconds %g: want 0 or more", th.SlowMinSeconds)
	case th.FlakyMin < 1:
		return usagef("--flaky-min %d: want 1 or more", th.FlakyMin)
	case th.RegressMinRuns < 2:
		return usagef("--regress-min-runs %d: want 2 or more (an earlier and a recent half)", th.RegressMinRuns)
	}
	if o.outputFile != "" && o.output != "parquet" {
		return usagef("--output-file goes with -o parquet (redirect the other formats)")
	}
	if o.output == "parquet" && (o.outputFile == "" || o.outputFile == "-") && isTerminal(s.Out) {
		return usagef("-o parquet writes binary data: redirect standard output (> stats.parquet) or give --output-file FILE")
	}
	return nil
}

func newStatsCmd(s streams) *cobra.Command {
	def := stats.DefaultThresholds()
	o := &statsOptions{th: def}
	cmd := &cobra.Command{
		Use:   "stats PATH...",
		Short: "Rollout statistics per workload, namespace, cluster and fleet, with findings",
		Long: `stats reconstructs the rollouts and aggregates them per workload (cluster,
namespace, kind, name; a CronJob's runs under the CronJob), per namespace,
per cluster and for the whole fleet: rollouts, complete, failed, superseded,
rollbacks, duration percentiles (complete rollouts), phase percentiles, pod
restarts, failure reasons, first and last rollout, and delivery measures
(rollouts per day, change failure rate = failed / (failed + complete), time
to restore = a failed rollout's start to the next complete rollout's end).

Findings, strongest first, each with its evidence:
  slow             a complete rollout at least --slow-factor times its workload's
                   median (with 3+ complete rollouts) or above the fleet's
                   --fleet-quantile (with 20+), and at least --slow-min-seconds
  flaky            a workload with --flaky-min+ rollouts, some failed, some complete;
                   or failure signals in some complete rollouts and not others
  regression       with --regress-min-runs+ rollouts: the recent half's median
                   duration --regress-factor times the earlier half's, or its
                   failure rate up to 50% or more
  cluster-outlier  the same namespace/kind/name with a median duration
                   --outlier-factor times the other clusters' median

docs/stats.md gives the exact rules.`,
		Example: `  evanalyze stats 'archive/cluster=prod' 'archive/cluster=staging'
  evanalyze stats -o json archive/ | jq '.findings[] | select(.kind == "flaky")'`,
		Args: needPaths,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.output {
			case "text", "json", "csv", "html", "parquet":
			default:
				return usagef("--output must be text, json, csv, html or parquet, not %q", o.output)
			}
			if err := o.validate(s); err != nil {
				return err
			}
			keep, err := o.filter.compile(o.load.cluster)
			if err != nil {
				return err
			}
			// Rollouts and changes are per namespace: those of other
			// namespaces need not be loaded.
			o.load.scope.Namespaces = namespaces(o.filter.namespace)
			// A fleet's rollouts are held for the fleet's figures: only
			// what stats reads of them (stats.Slim).
			rollouts, err := o.filter.loadRollouts(cmd.Context(), &o.load, args, s, keep, stats.Slim)
			if err != nil {
				return err
			}
			rep := stats.Compute(rollouts, o.th)
			if len(o.groupBy) > 0 {
				if rep.Groups, err = stats.GroupBy(rollouts, o.groupBy); err != nil {
					return &usageError{err}
				}
				rep.GroupBy = o.groupBy
			}
			switch o.output {
			case "parquet":
				groups := rep.Workloads
				if rep.Groups != nil {
					groups = rep.Groups
				}
				return writeOutput(cmp.Or(o.outputFile, "-"), s.Out, func(w io.Writer) error { return stats.WriteParquet(w, groups) })
			case "html":
				return stats.WriteHTML(s.Out, rep, rollouts)
			case "json":
				return writeJSON(s.Out, rep)
			case "csv":
				return stats.WriteCSV(s.Out, rep)
			}
			return stats.WriteText(s.Out, rep)
		},
	}
	o.load.register(cmd.Flags())
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "text", "output format: text, json, csv (per workload), parquet (per workload or group) or html (one self-contained page with charts)")
	f.StringVar(&o.outputFile, "output-file", "", "write -o parquet to this file (binary output is not written to a terminal)")
	f.StringSliceVar(&o.groupBy, "group-by", nil, "also roll up by these fields (comma-separated: cluster, namespace, kind, name), e.g. --group-by kind or --group-by cluster,kind")
	f.Float64Var(&o.th.SlowFactor, "slow-factor", def.SlowFactor, "slow: times the workload's median duration")
	f.Float64Var(&o.th.SlowMinSeconds, "slow-min-seconds", def.SlowMinSeconds, "slow, regression, outlier: ignore durations below this")
	f.Float64Var(&o.th.FleetQuantile, "fleet-quantile", def.FleetQuantile, "slow: above this quantile of the fleet's durations")
	f.IntVar(&o.th.FlakyMin, "flaky-min", def.FlakyMin, "flaky: rollouts a workload needs")
	f.Float64Var(&o.th.RegressFactor, "regress-factor", def.RegressFactor, "regression: recent median over earlier median")
	f.IntVar(&o.th.RegressMinRuns, "regress-min-runs", def.RegressMinRuns, "regression: rollouts a workload needs")
	f.Float64Var(&o.th.OutlierFactor, "outlier-factor", def.OutlierFactor, "cluster outlier: median over the other clusters' median")
	o.filter.register(f)
	return cmd
}
