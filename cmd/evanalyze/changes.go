package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
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
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.output {
			case "text", "json", "csv":
			default:
				return usagef("--output must be text, json or csv, not %q", o.output)
			}
			// Rollouts and changes are per namespace: those of other
			// namespaces need not be loaded.
			o.load.scope.Namespaces = namespaces(o.namespace)
			a, err := o.load.load(cmd.Context(), args, s, false)
			if err != nil {
				return err
			}
			defer a.Release()
			rows := selectChanges(a, o)
			if len(rows) == 0 {
				fmt.Fprintln(s.Err, "No changes found.")
			}
			switch o.output {
			case "json":
				return writeJSON(s.Out, rows)
			case "csv":
				return writeChangesCSV(s.Out, rows)
			}
			return writeChangesText(s.Out, rows)
		},
	}
	o.load.register(cmd.Flags())
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text, json or csv")
	cmd.Flags().BoolVar(&o.all, "all", false, "list every write request, not only successful spec changes of workloads")
	cmd.Flags().StringVarP(&o.namespace, "namespace", "n", "", "only this namespace")
	return cmd
}

// changeJSON is one row of `changes -o json` (docs/output.md).
type changeJSON struct {
	Time             string `json:"time"`
	Cluster          string `json:"cluster"`
	Namespace        string `json:"namespace,omitempty"`
	Resource         string `json:"resource"`
	Subresource      string `json:"subresource,omitempty"`
	Name             string `json:"name,omitempty"`
	UID              string `json:"uid,omitempty"`
	Verb             string `json:"verb"`
	Code             int32  `json:"code,omitempty"`
	User             string `json:"user,omitempty"`
	ImpersonatedUser string `json:"impersonated_user,omitempty"`
	UserAgent        string `json:"user_agent,omitempty"`
	SourceIP         string `json:"source_ip,omitempty"`
	SpecChanged      *bool  `json:"spec_changed,omitempty"`
	Change           string `json:"change,omitempty"`
	Revision         string `json:"revision,omitempty"`
	RevisionHistory  string `json:"revision_history,omitempty"`
	AuditID          string `json:"audit_id,omitempty"`
	Source           string `json:"source"`
}

func selectChanges(a *archive.Archive, o *changesOptions) []changeJSON {
	rec := a.Changes
	rows := []changeJSON{}
	str := func(col, i int) string { return load.ChangeString(rec, col, i) }
	for i := 0; i < int(rec.NumRows()); i++ {
		if o.namespace != "" && str(load.CNamespace, i) != o.namespace {
			continue
		}
		changed, hasChanged := load.ChangeBool(rec, load.CSpecChanged, i)
		code, _ := load.ChangeInt32(rec, load.CCode, i)
		if !o.all && (str(load.CChange, i) == "" || code >= 400 || str(load.COwnerKind, i) != "") {
			continue // nothing changed, the write failed, or a controller made it for the owner
		}
		c := changeJSON{
			Time: rfc3339(load.ChangeTime(rec, load.CRequestTime, i)), Cluster: str(load.CCluster, i), Namespace: str(load.CNamespace, i),
			Resource: str(load.CResource, i), Subresource: str(load.CSubresource, i), Name: str(load.CName, i), UID: str(load.CObjectUID, i),
			Verb: str(load.CVerb, i), Code: code, User: str(load.CUser, i), ImpersonatedUser: str(load.CImpersonatedUser, i),
			UserAgent: str(load.CUserAgent, i), SourceIP: str(load.CSourceIP, i), Change: str(load.CChange, i),
			Revision: str(load.CRevision, i), RevisionHistory: str(load.CRevisionHistory, i), AuditID: str(load.CAuditID, i),
			Source: fmt.Sprintf("%s:%d", str(load.CSourceFile, i), load.ChangeInt64(rec, load.CSourceLine, i)),
		}
		if hasChanged {
			c.SpecChanged = &changed
		}
		rows = append(rows, c)
	}
	return rows
}

func writeChangesText(w io.Writer, rows []changeJSON) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tCLUSTER\tNAMESPACE\tOBJECT\tVERB\tCODE\tUSER\tCHANGE")
	for _, r := range rows {
		obj := r.Resource
		if r.Subresource != "" {
			obj += "/" + r.Subresource
		}
		if r.Name != "" {
			obj += " " + r.Name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Time, r.Cluster, textsafe.Dash(r.Namespace), obj, r.Verb, r.Code, textsafe.Dash(r.User), textsafe.Sanitize(r.Change))
	}
	return tw.Flush()
}

func writeChangesCSV(w io.Writer, rows []changeJSON) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"time", "cluster", "namespace", "resource", "subresource", "name", "uid", "verb", "code", "user", "impersonated_user", "user_agent", "source_ip", "spec_changed", "change", "revision", "revision_history", "audit_id", "source"})
	for _, r := range rows {
		sc := ""
		if r.SpecChanged != nil {
			sc = fmt.Sprint(*r.SpecChanged)
		}
		cw.Write([]string{r.Time, r.Cluster, r.Namespace, r.Resource, r.Subresource, r.Name, r.UID, r.Verb, fmt.Sprint(r.Code), r.User,
			r.ImpersonatedUser, r.UserAgent, r.SourceIP, sc, r.Change, r.Revision, r.RevisionHistory, r.AuditID, r.Source})
	}
	cw.Flush()
	return cw.Error()
}
