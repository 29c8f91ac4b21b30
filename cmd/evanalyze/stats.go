package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/evanalyze/evanalyze/internal/report/stats"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

type statsOptions struct {
	load    loadFlags
	output  string
	th      stats.Thresholds
	groupBy []string
	filter  rolloutFilter
}

func newStatsCmd(s streams) *cobra.Command {
	o := &statsOptions{th: stats.Defaults}
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
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.output {
			case "text", "json", "csv", "html", "parquet":
			default:
				return usagef("--output must be text, json, csv, html or parquet, not %q", o.output)
			}
			keep, err := o.filter.compile()
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
			rollouts := o.filter.rollouts(a, keep)
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
				return stats.WriteParquet(s.Out, groups)
			case "html":
				return stats.WriteHTML(s.Out, rep, rollouts)
			case "json":
				return writeJSON(s.Out, rep)
			case "csv":
				return writeStatsCSV(s.Out, rep)
			}
			return writeStatsText(s.Out, rep)
		},
	}
	o.load.register(cmd.Flags())
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "text", "output format: text, json, csv (per workload), parquet (per workload or group) or html (one self-contained page with charts)")
	f.StringSliceVar(&o.groupBy, "group-by", nil, "also roll up by these fields (comma-separated: cluster, namespace, kind, name), e.g. --group-by kind or --group-by cluster,kind")
	f.Float64Var(&o.th.SlowFactor, "slow-factor", stats.Defaults.SlowFactor, "slow: times the workload's median duration")
	f.Float64Var(&o.th.SlowMinSeconds, "slow-min-seconds", stats.Defaults.SlowMinSeconds, "slow, regression, outlier: ignore durations below this")
	f.Float64Var(&o.th.FleetQuantile, "fleet-quantile", stats.Defaults.FleetQuantile, "slow: above this quantile of the fleet's durations")
	f.IntVar(&o.th.FlakyMin, "flaky-min", stats.Defaults.FlakyMin, "flaky: rollouts a workload needs")
	f.Float64Var(&o.th.RegressFactor, "regress-factor", stats.Defaults.RegressFactor, "regression: recent median over earlier median")
	f.IntVar(&o.th.RegressMinRuns, "regress-min-runs", stats.Defaults.RegressMinRuns, "regression: rollouts a workload needs")
	f.Float64Var(&o.th.OutlierFactor, "outlier-factor", stats.Defaults.OutlierFactor, "cluster outlier: median over the other clusters' median")
	o.filter.register(f)
	return cmd
}

func writeStatsText(w io.Writer, rep *stats.Report) error {
	if err := writeStatsTables(w, rep); err != nil {
		return err
	}
	if len(rep.Groups) > 0 {
		fmt.Fprintf(w, "\nBY %s\n", strings.ToUpper(strings.Join(rep.GroupBy, ", ")))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "GROUP\tROLLOUTS\tCOMPLETE\tFAILED\tSUPERSEDED\tROLLBACKS\tP50\tP90\tMAX\tCHANGE FAILURE RATE\tFAILURES")
		for _, g := range rep.Groups {
			var parts []string
			for _, p := range []string{g.Cluster, g.Namespace, g.Kind, g.Name} {
				if p != "" {
					parts = append(parts, p)
				}
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", strings.Join(parts, "/"), g.Rollouts, g.Complete, g.Failed,
				g.Superseded, g.Rollbacks, secs(g.DurationP50), secs(g.DurationP90), secs(g.DurationMax), num(g.ChangeFailureRate, "%.2f"), reasons(g.FailureReasons))
		}
		return tw.Flush()
	}
	return nil
}

func writeStatsTables(w io.Writer, rep *stats.Report) error {
	if len(rep.Findings) > 0 {
		fmt.Fprintln(w, "FINDINGS")
		for _, f := range rep.Findings {
			fmt.Fprintf(w, "  %-15s %s %s/%s: %s\n", f.Kind, f.Cluster, f.Namespace, f.Workload, textsafe.Sanitize(f.Summary))
			for _, e := range f.Evidence {
				fmt.Fprintf(w, "  %-15s   - %s\n", "", textsafe.Sanitize(e))
			}
		}
		fmt.Fprintln(w)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLUSTER\tNAMESPACE\tWORKLOAD\tROLLOUTS\tCOMPLETE\tFAILED\tSUPERSEDED\tROLLBACKS\tP50\tP90\tMAX\tRESTARTS\tFAILURES")
	row := func(g *stats.Group, cluster, ns, workload string) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t%s\n", cluster, ns, workload, g.Rollouts, g.Complete, g.Failed,
			g.Superseded, g.Rollbacks, secs(g.DurationP50), secs(g.DurationP90), secs(g.DurationMax), g.PodRestarts, reasons(g.FailureReasons))
	}
	for _, g := range rep.Workloads {
		row(g, g.Cluster, g.Namespace, strings.ToLower(g.Kind)+"/"+g.Name)
	}
	for _, g := range rep.Clusters {
		row(g, g.Cluster, "*", "*")
	}
	row(rep.Fleet, "*", "*", "*")
	if err := tw.Flush(); err != nil {
		return err
	}
	f := rep.Fleet
	fmt.Fprintf(w, "\ndelivery: %s rollouts/day, change failure rate %s, time to restore p50 %s\n",
		num(f.RolloutsPerDay, "%.1f"), num(f.ChangeFailureRate, "%.2f"), secs(f.TimeToRestoreP50))
	return nil
}

func secs(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.1fs", *v)
}

func num(v *float64, format string) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf(format, *v)
}

func reasons(m map[string]int) string {
	cs := make(map[string]int64, len(m))
	for k, v := range m {
		cs[k] = int64(v)
	}
	var parts []string
	for _, c := range topCounts(cs, 0) {
		parts = append(parts, fmt.Sprintf("%s×%d", c.Name, c.Count))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

func writeStatsCSV(w io.Writer, rep *stats.Report) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"cluster", "namespace", "kind", "name", "rollouts", "complete", "failed", "superseded", "in_progress", "rollbacks",
		"duration_p50_seconds", "duration_p90_seconds", "duration_p99_seconds", "duration_max_seconds",
		"scheduling_wait_p50_seconds", "image_pull_p50_seconds", "container_start_p50_seconds", "readiness_p50_seconds",
		"pod_restarts", "failure_reasons", "first_rollout", "last_rollout", "rollouts_per_day", "change_failure_rate", "time_to_restore_p50_seconds"})
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return fmt.Sprint(*v)
	}
	for _, g := range rep.Workloads {
		cw.Write([]string{g.Cluster, g.Namespace, g.Kind, g.Name, fmt.Sprint(g.Rollouts), fmt.Sprint(g.Complete), fmt.Sprint(g.Failed),
			fmt.Sprint(g.Superseded), fmt.Sprint(g.InProgress), fmt.Sprint(g.Rollbacks), opt(g.DurationP50), opt(g.DurationP90),
			opt(g.DurationP99), opt(g.DurationMax), opt(g.SchedulingWaitP50), opt(g.ImagePullP50), opt(g.ContainerStartP50),
			opt(g.ReadinessP50), fmt.Sprint(g.PodRestarts), reasons(g.FailureReasons), fmtTime(g.FirstRollout), fmtTime(g.LastRollout),
			opt(g.RolloutsPerDay), opt(g.ChangeFailureRate), opt(g.TimeToRestoreP50)})
	}
	cw.Flush()
	return cw.Error()
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
