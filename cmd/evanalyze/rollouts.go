package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

type rolloutsOptions struct {
	load   loadFlags
	output string
	filter rolloutFilter
}

func newRolloutsCmd(s streams) *cobra.Command {
	o := &rolloutsOptions{}
	cmd := &cobra.Command{
		Use:   "rollouts PATH...",
		Short: "Reconstruct every rollout: trigger, ReplicaSets, pods, phases, outcome",
		Long: `rollouts reconstructs each rollout of the Deployments, StatefulSets and
DaemonSets in the archive (a change of the pod template and what the cluster
did to carry it out), and each Job run (also those a CronJob started), from events
alone, from audit logs alone (also when the audit policy leaves events out),
or from both together: the new and old ReplicaSets,
the pods with their scheduling, image pull, start and readiness times, the
trigger (who changed what, from audit logs), rollbacks, and the outcome:

  complete     the new ReplicaSet reached its replicas, the old ones 0, its pods came up
  failed       ProgressDeadlineExceeded, or the new pods hit failure signals
               (image pull errors, crash loops, unschedulable, failed mounts,
               OOM, evictions) and the rollout never completed
  superseded   replaced by the next rollout while progressing without failures
  in-progress  still going at the end of the archive without failures

docs/rollouts.md gives the exact rules. Scale-only changes are not rollouts.`,
		Example: `  evanalyze rollouts testdata/lab-basic
  evanalyze rollouts --outcome failed -o json archive/ | jq '.[].failure_reason'
  evanalyze rollouts --namespace shop --since 2026-11-25T03:29:00Z -o csv testdata/lab-basic`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.output {
			case "text", "json", "jsonl", "csv":
			default:
				return usagef("--output must be text, json, jsonl or csv, not %q", o.output)
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
			if len(rollouts) == 0 {
				fmt.Fprintln(s.Err, "No rollouts found.")
			}
			switch o.output {
			case "json":
				return writeJSON(s.Out, rollouts)
			case "jsonl":
				enc := json.NewEncoder(s.Out)
				enc.SetEscapeHTML(false)
				for _, r := range rollouts {
					if err := enc.Encode(r); err != nil {
						return err
					}
				}
				return nil
			case "csv":
				return writeRolloutsCSV(s.Out, rollouts)
			}
			return writeRolloutsText(s.Out, rollouts)
		},
	}
	o.load.register(cmd.Flags())
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "text", "output format: text, json, jsonl or csv")
	o.filter.register(f)
	return cmd
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func fmtSeconds(s *float64) string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("%.1f", *s)
}

func triggerUser(r *correlate.Rollout) string {
	if r.Trigger == nil {
		return ""
	}
	return r.Trigger.User
}

func writeRolloutsText(w io.Writer, rs []correlate.Rollout) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tCLUSTER\tNAMESPACE\tWORKLOAD\tREV\tREPLICASET\tDURATION\tOUTCOME\tTRIGGER\tCHANGE")
	for _, r := range rs {
		outcome := r.Outcome
		if r.Rollback {
			outcome += " (rollback)"
		}
		if r.FailureReason != "" {
			outcome += ": " + textsafe.Sanitize(firstLine(r.FailureReason, 60))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s/%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Start.Format(time.RFC3339), r.Cluster, r.Namespace,
			strings.ToLower(r.Kind), r.Name, textsafe.Dash(r.Revision), r.NewReplicaSet, durationText(r.DurationSeconds), outcome,
			textsafe.Dash(triggerUser(&r)), textsafe.Sanitize(strings.Join(r.Changes, "; ")))
	}
	return tw.Flush()
}

func durationText(s *float64) string {
	if s == nil {
		return "-"
	}
	return fmtSeconds(s) + "s"
}

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

func writeRolloutsCSV(w io.Writer, rs []correlate.Rollout) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"cluster", "namespace", "kind", "name", "uid", "revision", "seq", "new_replicaset", "old_replicasets", "rollback",
		"partial", "start", "end", "duration_seconds", "outcome", "failure_reason", "trigger_user", "trigger_user_agent", "trigger_at",
		"changes", "replicas", "pods", "scheduling_wait_seconds", "image_pull_seconds", "container_start_seconds", "readiness_seconds"})
	for _, r := range rs {
		var tu, ta, tat string
		if r.Trigger != nil {
			tu, ta, tat = r.Trigger.User, r.Trigger.UserAgent, r.Trigger.At.Format(time.RFC3339Nano)
		}
		cw.Write([]string{r.Cluster, r.Namespace, r.Kind, r.Name, r.UID, r.Revision, fmt.Sprint(r.Seq), r.NewReplicaSet,
			strings.Join(r.OldReplicaSets, " "), fmt.Sprint(r.Rollback), fmt.Sprint(r.Partial), r.Start.Format(time.RFC3339Nano),
			fmtTime(r.End), fmtSeconds(r.DurationSeconds), r.Outcome, r.FailureReason, tu, ta, tat, strings.Join(r.Changes, "; "),
			fmt.Sprint(r.Replicas), fmt.Sprint(len(r.Pods)), fmtSeconds(r.Phases.SchedulingWait), fmtSeconds(r.Phases.ImagePull),
			fmtSeconds(r.Phases.ContainerStart), fmtSeconds(r.Phases.Readiness)})
	}
	cw.Flush()
	return cw.Error()
}
