package changes

import (
	"encoding/csv"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
	"github.com/evanalyze/evanalyze/internal/report/timefmt"
)

// Change is one row of `changes -o json` (docs/output.md).
type Change struct {
	Time             string `json:"time,omitempty"` // "" (left out) when the audit record has none
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

// Select returns the rows of the changes table rec (load.ChangeSchema) in
// namespace (all namespaces when ""), in table order, never nil. Unless
// all is set only successful writes with a change summary are kept, and
// not those a controller made for an owner (the ReplicaSets of a
// Deployment).
func Select(rec arrow.Record, namespace string, all bool) []Change {
	rows := []Change{}
	str := func(col, i int) string { return load.ChangeString(rec, col, i) }
	for i := 0; i < int(rec.NumRows()); i++ {
		if namespace != "" && str(load.CNamespace, i) != namespace {
			continue
		}
		changed, hasChanged := load.ChangeBool(rec, load.CSpecChanged, i)
		code, _ := load.ChangeInt32(rec, load.CCode, i)
		if !all && (str(load.CChange, i) == "" || code >= 400 || str(load.COwnerKind, i) != "") {
			continue // nothing changed, the write failed, or a controller made it for the owner
		}
		c := Change{
			Time: timefmt.Nanos(load.ChangeTime(rec, load.CRequestTime, i)), Cluster: str(load.CCluster, i), Namespace: str(load.CNamespace, i),
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

// WriteText writes one table row per change, for people. Untrusted text
// is sanitized for the terminal.
func WriteText(w io.Writer, rows []Change) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tCLUSTER\tNAMESPACE\tOBJECT\tVERB\tCODE\tUSER\tCHANGE")
	for _, r := range rows {
		obj := r.Resource
		if r.Subresource != "" {
			obj += "/" + r.Subresource
		}
		if r.Name != "" {
			obj += " " + r.Name
		} else {
			obj += " (name unknown)"
		}
		when := r.Time
		if when == "" {
			when = "unknown"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", when, textsafe.Sanitize(r.Cluster), textsafe.Field(r.Namespace),
			textsafe.Sanitize(obj), textsafe.Sanitize(r.Verb), r.Code, textsafe.Field(r.User), textsafe.Sanitize(r.Change))
	}
	return tw.Flush()
}

// WriteCSV writes a header row and one row per change, with the fields of
// the JSON as columns. Cells are made safe for spreadsheets
// (textsafe.Cell).
func WriteCSV(w io.Writer, rows []Change) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"time", "cluster", "namespace", "resource", "subresource", "name", "uid", "verb", "code", "user", "impersonated_user",
		"user_agent", "source_ip", "spec_changed", "change", "revision", "revision_history", "audit_id", "source"})
	for _, r := range rows {
		sc := ""
		if r.SpecChanged != nil {
			sc = fmt.Sprint(*r.SpecChanged)
		}
		cw.Write(textsafe.Row([]string{r.Time, r.Cluster, r.Namespace, r.Resource, r.Subresource, r.Name, r.UID, r.Verb, fmt.Sprint(r.Code), r.User,
			r.ImpersonatedUser, r.UserAgent, r.SourceIP, sc, r.Change, r.Revision, r.RevisionHistory, r.AuditID, r.Source}))
	}
	cw.Flush()
	return cw.Error()
}
