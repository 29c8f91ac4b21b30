package stats

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/evanalyze/evanalyze/internal/report/textsafe"
	"github.com/evanalyze/evanalyze/internal/report/timefmt"
)

// WriteText writes the report for people: the findings with their
// evidence, one table row per workload, cluster and the fleet, the
// fleet's delivery measures, and the groups of --group-by. Untrusted text
// is sanitized for the terminal.
func WriteText(w io.Writer, rep *Report) error {
	if err := writeTables(w, rep); err != nil {
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
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", textsafe.Sanitize(strings.Join(parts, "/")), g.Rollouts, g.Complete,
				g.Failed, g.Superseded, g.Rollbacks, secs(g.DurationP50), secs(g.DurationP90), secs(g.DurationMax), num(g.ChangeFailureRate, "%.2f"),
				textsafe.Sanitize(reasons(g.FailureReasons)))
		}
		return tw.Flush()
	}
	return nil
}

func writeTables(w io.Writer, rep *Report) error {
	if len(rep.Findings) > 0 {
		fmt.Fprintln(w, "FINDINGS")
		for _, f := range rep.Findings {
			fmt.Fprintf(w, "  %-15s %s %s/%s: %s\n", f.Kind, textsafe.Sanitize(f.Cluster), textsafe.Sanitize(f.Namespace),
				textsafe.Sanitize(f.Workload), textsafe.Sanitize(f.Summary))
			for _, e := range f.Evidence {
				fmt.Fprintf(w, "  %-15s   - %s\n", "", textsafe.Sanitize(clip(e, 160)))
			}
		}
		fmt.Fprintln(w)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLUSTER\tNAMESPACE\tWORKLOAD\tROLLOUTS\tCOMPLETE\tFAILED\tSUPERSEDED\tROLLBACKS\tP50\tP90\tMAX\tRESTARTS\tFAILURES")
	row := func(g *Group, cluster, ns, workload string) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t%s\n", textsafe.Sanitize(cluster), textsafe.Sanitize(ns),
			textsafe.Sanitize(workload), g.Rollouts, g.Complete, g.Failed, g.Superseded, g.Rollbacks, secs(g.DurationP50), secs(g.DurationP90),
			secs(g.DurationMax), g.PodRestarts, textsafe.Sanitize(reasons(g.FailureReasons)))
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
	fmt.Fprintf(w, "\ndelivery: %s, change failure rate %s, time to restore p50 %s\n",
		pace(f), num(f.ChangeFailureRate, "%.2f"), secs(f.TimeToRestoreP50))
	return nil
}

// WriteCSV writes a header row and one row per workload. Cells are made
// safe for spreadsheets (textsafe.Cell).
func WriteCSV(w io.Writer, rep *Report) error {
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
		cw.Write(textsafe.Row([]string{g.Cluster, g.Namespace, g.Kind, g.Name, fmt.Sprint(g.Rollouts), fmt.Sprint(g.Complete), fmt.Sprint(g.Failed),
			fmt.Sprint(g.Superseded), fmt.Sprint(g.InProgress), fmt.Sprint(g.Rollbacks), opt(g.DurationP50), opt(g.DurationP90),
			opt(g.DurationP99), opt(g.DurationMax), opt(g.SchedulingWaitP50), opt(g.ImagePullP50), opt(g.ContainerStartP50),
			opt(g.ReadinessP50), fmt.Sprint(g.PodRestarts), reasons(g.FailureReasons), timefmt.Time(g.FirstRollout), timefmt.Time(g.LastRollout),
			opt(g.RolloutsPerDay), opt(g.ChangeFailureRate), opt(g.TimeToRestoreP50)}))
	}
	cw.Flush()
	return cw.Error()
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

// reasons are the failure reasons with their counts, the most frequent
// first (then by name), or "-".
func reasons(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), strings.Compare(a, b)) })
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s×%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// pace is the rollouts per day over a span of at least a day, else the
// rollouts and their span: 86 rollouts in 56 minutes are not 86 a day.
func pace(g *Group) string {
	if g.FirstRollout == nil || g.LastRollout == nil || g.Rollouts < 2 {
		return "- rollouts/day"
	}
	span := g.LastRollout.Sub(*g.FirstRollout)
	if span >= 24*time.Hour {
		return num(g.RolloutsPerDay, "%.1f") + " rollouts/day"
	}
	return fmt.Sprintf("%d rollouts in %s", g.Rollouts, span.Round(time.Second))
}
