package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/changes"
)

type changesOptions struct {
	load      loadFlags
	output    string
	all       bool
	namespace string
}

func newChangesCmd(s streams) *cobra.Command {
	o := &changesOptions{}
	cmd := &cobra.Command{
		Use:   "changes PATH...",
		Short: "Who changed which workload, and what changed (from audit logs)",
		Long: `changes lists the writes to workloads (Deployments, StatefulSets, DaemonSets,
ReplicaSets, Jobs, CronJobs) found in audit logs: when, who (user, user agent,
impersonation), the verb, the result code and a summary of what changed
against the previous known spec of the same object (container images,
replicas, resources, env names, paused).

By default only successful writes that changed a workload (its template,
replicas, paused, strategy; creation and deletion) are listed, leaving out
objects a controller manages for their owner (the ReplicaSets of a
Deployment); --all lists every write request, including failed ones (a 403 on a
deploy is a clue), status updates and writes to other resources.`,
		Example: `  evanalyze changes testdata/lab-basic/audit.log.gz
  evanalyze changes --all -o json audit/ | jq '.[] | select(.code >= 400)'`,
		Args: needPaths,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.output {
			case "text", "json", "csv":
			default:
				return usagef("--output must be text, json or csv, not %q", o.output)
			}
			// Rollouts and changes are per namespace: those of other
			// namespaces need not be loaded.
			o.load.scope.Namespaces = namespaces(o.namespace)
			if o.all {
				o.load.changes = archive.AllChanges
			}
			a, err := o.load.load(cmd.Context(), args, s, false)
			if err != nil {
				return err
			}
			defer a.Release()
			rows := changes.Select(a.Changes, o.namespace, o.all)
			if o.load.cluster != "" {
				fa := facts{}
				fa.add(a, nil)
				if err := fa.checkCluster(o.load.cluster); err != nil {
					return err
				}
				kept := rows[:0]
				for _, r := range rows {
					if r.Cluster == o.load.cluster {
						kept = append(kept, r)
					}
				}
				rows = kept
			}
			if len(rows) == 0 {
				fmt.Fprintln(s.Err, "No changes found.")
			}
			switch o.output {
			case "json":
				return writeJSON(s.Out, rows)
			case "csv":
				return changes.WriteCSV(s.Out, rows)
			}
			return changes.WriteText(s.Out, rows)
		},
	}
	o.load.register(cmd.Flags())
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text, json or csv")
	cmd.Flags().BoolVar(&o.all, "all", false, "list every write request, not only successful spec changes of workloads")
	cmd.Flags().StringVarP(&o.namespace, "namespace", "n", "", "only this namespace")
	return cmd
}
