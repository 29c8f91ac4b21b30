// Package explain writes one rollout's critical path for people: a
// terminal waterfall of the waits its duration is made of, each with the
// record that shows it (file:line), and the seconds by phase
// (correlate.CriticalPath; docs/rollouts.md, "Critical path").
//
// Memory: the one rollout it is given.
package explain

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

// BarWidth is the width of the waterfall's bars, in characters.
const BarWidth = 40

// WriteText writes r's critical path: a heading (workload, rollout,
// outcome, what took the longest), the trigger, one line per wait (time
// from the start, phase, seconds, a bar placed on the rollout's
// duration, the pod, the milestone that ended it, its evidence and the
// warnings during it), and the seconds by phase, longest first. Untrusted
// text is sanitized for the terminal.
func WriteText(w io.Writer, r *correlate.Rollout) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s/%s rollout %d", textsafe.Sanitize(r.Namespace), strings.ToLower(r.Kind), textsafe.Sanitize(r.Name), r.Seq)
	if r.Revision != "" {
		fmt.Fprintf(&b, " (revision %s)", textsafe.Sanitize(r.Revision))
	}
	fmt.Fprintf(&b, " in cluster %s: %s", textsafe.Sanitize(r.Cluster), r.Outcome)
	if r.Rollback {
		b.WriteString(" (rollback)")
	}
	if r.DurationSeconds != nil {
		fmt.Fprintf(&b, " after %.1fs", *r.DurationSeconds)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "started %s", r.Start.Format(time.RFC3339Nano))
	if t := r.Trigger; t != nil {
		fmt.Fprintf(&b, " by %s", textsafe.Sanitize(t.User))
		if t.Source != "" {
			fmt.Fprintf(&b, " (%s)", textsafe.Sanitize(t.Source))
		}
	}
	b.WriteString("\n")
	if len(r.Changes) > 0 {
		fmt.Fprintf(&b, "change: %s\n", textsafe.Sanitize(strings.Join(r.Changes, "; ")))
	}
	if r.FailureReason != "" {
		fmt.Fprintf(&b, "failure: %s\n", textsafe.Sanitize(r.FailureReason))
	}
	if r.Partial {
		fmt.Fprintf(&b, "partial: %s\n", textsafe.Sanitize(r.PartialReason))
	}
	cp := r.CriticalPath
	if cp == nil {
		b.WriteString("\nNo critical path: the rollout has no end in the archive.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	if s := cp.Summary(); s != "" {
		fmt.Fprintf(&b, "longest: %s\n", s)
	}
	b.WriteString("\n")
	if len(cp.Steps) == 0 {
		b.WriteString("No waits: the rollout's start and end are one instant in the archive.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tPHASE\tSECONDS\tWATERFALL\tPOD\tUNTIL\tEVIDENCE\tWARNINGS")
	for i := range cp.Steps {
		s := &cp.Steps[i]
		// The pod has its column: the milestone is what it reached.
		until := s.Until
		if s.Pod != "" {
			until = strings.TrimPrefix(until, "pod "+s.Pod+" ")
		}
		fmt.Fprintf(tw, "+%.3fs\t%s\t%.3f\t|%s|\t%s\t%s\t%s\t%s\n", s.From.Sub(r.Start).Seconds(), correlate.PhaseWords(s.Phase), s.Seconds,
			bar(s.From.Sub(r.Start).Seconds(), s.Seconds, cp.Seconds), textsafe.Field(s.Pod), textsafe.Sanitize(until),
			textsafe.Field(s.Source), textsafe.Field(cut(s.Detail, 100)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return writePhases(w, cp)
}

// writePhases writes the seconds by phase, longest first, with their
// share of the duration.
func writePhases(w io.Writer, cp *correlate.CriticalPath) error {
	type phase struct {
		name string
		s    float64
	}
	var ps []phase
	for _, name := range correlate.PathPhaseNames() {
		if s := cp.Phases.Seconds(name); s > 0 {
			ps = append(ps, phase{name, s})
		}
	}
	slices.SortStableFunc(ps, func(a, b phase) int { return cmp.Compare(b.s, a.s) })
	parts := make([]string, len(ps))
	for i, p := range ps {
		share := 0.0
		if cp.Seconds > 0 {
			share = 100 * p.s / cp.Seconds
		}
		parts[i] = fmt.Sprintf("%s %.1fs (%.0f%%)", correlate.PhaseWords(p.name), p.s, share)
	}
	if len(parts) == 0 {
		parts = []string{"none (a rollout of no time)"}
	}
	_, err := fmt.Fprintf(w, "\nby phase: %s\n", strings.Join(parts, ", "))
	return err
}

// bar draws a wait that starts at offset seconds and lasts seconds of a
// total: BarWidth characters, '#' where the wait is, at least one.
func bar(offset, seconds, total float64) string {
	b := []byte(strings.Repeat(" ", BarWidth))
	if total <= 0 {
		b[0] = '#'
		return string(b)
	}
	from := int(offset / total * BarWidth)
	to := int((offset + seconds) / total * BarWidth)
	from = min(max(from, 0), BarWidth-1)
	to = min(max(to, from+1), BarWidth)
	for i := from; i < to; i++ {
		b[i] = '#'
	}
	return string(b)
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && s[i]&0xc0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}
