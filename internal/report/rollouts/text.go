package rollouts

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
	"github.com/evanalyze/evanalyze/internal/report/timefmt"
)

// WriteText writes one table row per rollout, for people: start,
// workload, revision, duration, what took the longest (the critical
// path's longest phase), outcome, trigger and change summary.
// Untrusted text is sanitized for the terminal.
func WriteText(w io.Writer, rs []correlate.Rollout) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tCLUSTER\tNAMESPACE\tWORKLOAD\tREV\tREPLICASET\tDURATION\tLONGEST\tOUTCOME\tTRIGGER\tCHANGE")
	for i := range rs {
		r := &rs[i]
		outcome := r.Outcome
		if r.Rollback {
			outcome += " (rollback)"
		}
		if r.FailureReason != "" {
			outcome += ": " + textsafe.Sanitize(firstLine(r.FailureReason, 60))
		}
		longest := r.CriticalPath.Summary()
		if longest == "" {
			longest = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s/%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Start.Format(time.RFC3339), textsafe.Sanitize(r.Cluster),
			textsafe.Sanitize(r.Namespace), textsafe.Sanitize(strings.ToLower(r.Kind)), textsafe.Sanitize(r.Name), textsafe.Field(r.Revision),
			textsafe.Sanitize(r.NewReplicaSet), durationText(r.DurationSeconds), longest, outcome, textsafe.Field(triggerUser(r)),
			textsafe.Sanitize(strings.Join(r.Changes, "; ")))
	}
	return tw.Flush()
}

// WriteCSV writes a header row and one row per rollout with its scalar
// fields, the trigger_* columns and the pod count (docs/output.md). Cells
// are made safe for spreadsheets (textsafe.Cell).
func WriteCSV(w io.Writer, rs []correlate.Rollout) error {
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	for i := range rs {
		cw.Write(csvRow(&rs[i]))
	}
	cw.Flush()
	return cw.Error()
}

var csvHeader = []string{"cluster", "namespace", "kind", "name", "uid", "revision", "seq", "new_replicaset", "old_replicasets", "rollback",
	"partial", "start", "end", "duration_seconds", "outcome", "failure_reason", "trigger_user", "trigger_user_agent", "trigger_at",
	"changes", "replicas", "pods", "scheduling_wait_seconds", "image_pull_seconds", "container_start_seconds", "readiness_seconds",
	"longest_phase", "longest_phase_seconds"}

// csvRow is the CSV row of r, its cells made safe for spreadsheets.
func csvRow(r *correlate.Rollout) []string {
	var tu, ta, tat string
	if r.Trigger != nil {
		tu, ta, tat = r.Trigger.User, r.Trigger.UserAgent, r.Trigger.At.Format(time.RFC3339Nano)
	}
	return textsafe.Row([]string{r.Cluster, r.Namespace, r.Kind, r.Name, r.UID, r.Revision, fmt.Sprint(r.Seq), r.NewReplicaSet,
		strings.Join(r.OldReplicaSets, " "), fmt.Sprint(r.Rollback), fmt.Sprint(r.Partial), r.Start.Format(time.RFC3339Nano),
		timefmt.Time(r.End), fmtSeconds(r.DurationSeconds), r.Outcome, r.FailureReason, tu, ta, tat, strings.Join(r.Changes, "; "),
		fmt.Sprint(r.Replicas), fmt.Sprint(len(r.Pods)), fmtSeconds(r.Phases.SchedulingWait), fmtSeconds(r.Phases.ImagePull),
		fmtSeconds(r.Phases.ContainerStart), fmtSeconds(r.Phases.Readiness), longestPhase(r), longestSeconds(r)})
}

// longestPhase is the critical path's longest phase; "" without one.
func longestPhase(r *correlate.Rollout) string {
	if r.CriticalPath == nil {
		return ""
	}
	return r.CriticalPath.Longest
}

func longestSeconds(r *correlate.Rollout) string {
	if r.CriticalPath == nil || r.CriticalPath.Longest == "" {
		return ""
	}
	s := r.CriticalPath.Phases.Seconds(r.CriticalPath.Longest)
	return fmtSeconds(&s)
}

func fmtSeconds(s *float64) string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("%.1f", *s)
}

func durationText(s *float64) string {
	if s == nil {
		return "-"
	}
	return fmtSeconds(s) + "s"
}

func triggerUser(r *correlate.Rollout) string {
	if r.Trigger == nil {
		return ""
	}
	return r.Trigger.User
}

// firstLine is the first line of s, cut to n bytes.
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
