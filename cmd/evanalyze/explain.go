package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/report/explain"
	"github.com/evanalyze/evanalyze/internal/report/rollouts"
)

type explainOptions struct {
	load     loadFlags
	output   string
	workload string
	seq      int
	revision string
	filter   rolloutFilter
}

func newExplainCmd(s streams) *cobra.Command {
	o := &explainOptions{}
	cmd := &cobra.Command{
		Use:   "explain PATH... --workload KIND/NAME [--seq N | --revision R]",
		Short: "What took the longest: one rollout's critical path, as a waterfall",
		Long: `explain prints the critical path of one rollout: the chain of waits its
duration is made of (a scale step, the pod it asked for being created,
scheduled, its image pulled, started and ready, the next step), each with
its phase, its seconds, a bar on the rollout's duration, the warnings seen
during it and the record that shows it (file:line), then the seconds by
phase. docs/rollouts.md ("Critical path") gives the rule.

--workload takes kind/name (deploy/web, statefulset/db: kubectl's
spellings); with --namespace when the name is in several namespaces. The
rollout is the workload's last unless --seq (its sequence number, as
rollouts shows it) or --revision names another. -o json prints the
rollout as rollouts -o json does, critical_path included.`,
		Example: `  evanalyze explain testdata/lab-basic --workload deploy/web --seq 2
  evanalyze explain testdata/lab-failures -n shop --workload deployment/worker --revision 2
  evanalyze explain archive/ --workload sts/db -o json | jq .critical_path.phases`,
		Args: needPaths,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.output {
			case "text", "json":
			default:
				return usagef("--output must be text or json, not %q", o.output)
			}
			kind, name, ok := strings.Cut(o.workload, "/")
			if o.workload == "" || !ok || name == "" {
				return usagef("--workload KIND/NAME is required (deploy/web, statefulset/db), not %q", o.workload)
			}
			if o.seq != 0 && o.revision != "" {
				return usagef("--seq and --revision name a rollout each: give one")
			}
			o.filter.kind, o.filter.name = kind, name
			keep, err := o.filter.compile(o.load.cluster)
			if err != nil {
				return err
			}
			o.load.scope.Namespaces = namespaces(o.filter.namespace)
			rs, err := o.filter.loadRollouts(cmd.Context(), &o.load, args, s, keep, nil)
			if err != nil {
				return err
			}
			r, err := o.pick(rs)
			if err != nil {
				return err
			}
			if o.output == "json" {
				return safeJSON(s.Out, func(w io.Writer) error {
					var enc rollouts.Encoder
					enc.Indent = "  "
					b, err := enc.AppendRollout(nil, r)
					if err != nil {
						return err
					}
					_, err = w.Write(append(b, '\n'))
					return err
				})
			}
			return explain.WriteText(s.Out, r)
		},
	}
	o.load.register(cmd.Flags())
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.StringVar(&o.workload, "workload", "", "the workload: kind/name (deploy/web, sts/db, ds/agent, job/report)")
	f.StringVarP(&o.filter.namespace, "namespace", "n", "", "the workload's namespace (needed when its name is in several)")
	f.IntVar(&o.seq, "seq", 0, "the rollout's sequence number (rollouts -o json: seq); default the last")
	f.StringVar(&o.revision, "revision", "", "the rollout's revision (the REV column of rollouts)")
	o.filter.rules.register(f)
	return cmd
}

// pick is the rollout --seq or --revision names, else the workload's
// last; an error names what there is when it is not one.
func (o *explainOptions) pick(rs []correlate.Rollout) (*correlate.Rollout, error) {
	if len(rs) == 0 {
		return nil, fmt.Errorf("no rollout of %s in the archive", o.workload)
	}
	workloads := map[string]bool{}
	for i := range rs {
		workloads[rs[i].Cluster+"/"+rs[i].Namespace] = true
	}
	if len(workloads) > 1 {
		where := make([]string, 0, len(workloads))
		for w := range workloads {
			where = append(where, w)
		}
		slices.Sort(where)
		return nil, usagef("%s is in several clusters or namespaces (%s): give --namespace or --cluster", o.workload, strings.Join(where, ", "))
	}
	var have []string
	for i := range rs {
		r := &rs[i]
		have = append(have, fmt.Sprintf("%d (revision %s)", r.Seq, r.Revision))
		switch {
		case o.seq != 0 && r.Seq == o.seq, o.revision != "" && r.Revision == o.revision:
			return r, nil
		}
	}
	if o.seq == 0 && o.revision == "" {
		last := &rs[0]
		for i := range rs {
			if rs[i].Seq > last.Seq {
				last = &rs[i]
			}
		}
		return last, nil
	}
	want := "--seq " + strconv.Itoa(o.seq)
	if o.revision != "" {
		want = "--revision " + o.revision
	}
	return nil, fmt.Errorf("%s: no rollout with %s; its rollouts: %s", o.workload, want, strings.Join(have, ", "))
}
