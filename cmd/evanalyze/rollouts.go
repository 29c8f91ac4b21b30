package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/evanalyze/evanalyze/internal/follow"
	"github.com/evanalyze/evanalyze/internal/report/rollouts"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

type rolloutsOptions struct {
	load   loadFlags
	output string
	filter rolloutFilter
	follow followFlags
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
  failed       ProgressDeadlineExceeded, or hard failure signals on the new pods
               that persisted (image pull errors, crash loops, no node that
               could ever fit, failed mounts; --hard-after), or soft ones
               (readiness, anti-affinity during a surge) past --soft-after or
               until a rollback gave the rollout up
  superseded   replaced by the next rollout before it failed (its warnings listed)
  in-progress  still going at the end of the archive

docs/rollouts.md gives the exact rules. Scale-only changes are not rollouts.

--follow -o jsonl reads one live stream (- until it ends, or a FILE as
tail -F does) and prints a rollout's line once its outcome is decided (an
open one after --flush-after, and again when decided; docs/follow.md).`,
		Example: `  evanalyze rollouts testdata/lab-basic
  evanalyze rollouts --outcome failed -o json archive/ | jq '.[].failure_reason'
  evanalyze rollouts --namespace shop --since 2026-11-25T03:29:00Z -o csv testdata/lab-basic
  evanalyze rollouts --kind deploy --since 1d archive/    # Deployments, the archive's last day
  kubectl get events -A -w -o json | evanalyze rollouts - --follow -o jsonl | jq -c '[.name, .outcome]'`,
		Args: needPaths,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.output {
			case "text", "json", "jsonl", "csv":
			default:
				return usagef("--output must be text, json, jsonl or csv, not %q", o.output)
			}
			keep, err := o.filter.compile(o.load.cluster)
			if err != nil {
				return err
			}
			if err := o.follow.check(args, &o.filter); err != nil {
				return err
			}
			// Rollouts and changes are per namespace: those of other
			// namespaces need not be loaded.
			o.load.scope.Namespaces = namespaces(o.filter.namespace)
			if o.follow.on {
				if o.output != "jsonl" {
					return usagef("--follow writes one JSON line per rollout decided: give -o jsonl")
				}
				_, err := o.follow.run(cmd.Context(), &o.load, &o.filter, args, s, keep, &follow.RolloutSink{W: textsafe.NewJSONWriter(s.Out)})
				return err
			}
			if o.output == "text" || o.filter.times.relative() {
				// The table's columns fit all its rows, and times relative
				// to the archive's end select once it is all read: all the
				// rollouts are needed before the first is written.
				rs, err := o.filter.loadRollouts(cmd.Context(), &o.load, args, s, keep, nil)
				if err != nil {
					return err
				}
				if len(rs) == 0 {
					fmt.Fprintln(s.Err, "No rollouts found.")
				}
				switch o.output {
				case "json":
					return safeJSON(s.Out, func(w io.Writer) error { return rollouts.WriteJSON(w, rs) })
				case "jsonl":
					return safeJSON(s.Out, func(w io.Writer) error { return rollouts.WriteJSONL(w, rs) })
				case "csv":
					return rollouts.WriteCSV(s.Out, rs)
				}
				return rollouts.WriteText(s.Out, rs)
			}
			// The other formats are written a cluster at a time.
			out := s.Out
			var jw *textsafe.Writer
			if o.output != "csv" {
				jw = textsafe.NewJSONWriter(s.Out)
				out = jw
			}
			w, err := rollouts.NewWriter(out, o.output)
			if err != nil {
				return err
			}
			// On an error the output stops short, unclosed, so that no
			// reader takes it for the whole answer.
			if err := o.filter.streamRollouts(cmd.Context(), &o.load, args, s, keep, w); err != nil {
				return err
			}
			if w.Len() == 0 {
				fmt.Fprintln(s.Err, "No rollouts found.")
			}
			if err := w.Close(); err != nil || jw == nil {
				return err
			}
			return jw.Flush()
		},
	}
	o.load.register(cmd.Flags())
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "text", "output format: text, json, jsonl or csv")
	o.filter.register(f)
	o.follow.register(f)
	return cmd
}
