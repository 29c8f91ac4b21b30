package pqfile_test

import (
	"io"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/pqfile"
)

// readRows is the row reader evanalyze had before the columnar one: each
// row through parquet-go's generic reader (pqfile.ReadRows) into a load.EventRow and
// Batch.Append. The columnar reader must give the same table.
func readRows(r io.ReaderAt, size int64, cluster string, batch *load.Batch) (int, error) {
	rows, err := pqfile.ReadRows(r, size)
	if err != nil {
		return 0, err
	}
	var row load.EventRow
	for i := range rows {
		e := &rows[i]
		fill(&row, e)
		p := load.Provenance{Cluster: cluster, Format: e.SourceFormat, File: e.SourceFile, Line: e.SourceLine, Offset: e.SourceOffset}
		if p.Cluster == "" {
			p.Cluster = e.Cluster
		}
		batch.Append(&row, &p)
	}
	return len(rows), nil
}

func b(s string) []byte { return []byte(s) }

func fill(r *load.EventRow, e *pqfile.Event) {
	r.Reset()
	r.API = e.API
	r.Namespace, r.Name, r.UID, r.ResourceVersion = b(e.Namespace), b(e.Name), b(e.UID), b(e.ResourceVersion)
	r.Object = load.ObjectRef{Kind: b(e.ObjectKind), APIVersion: b(e.ObjectAPIVersion), Namespace: b(e.ObjectNamespace),
		Name: b(e.ObjectName), UID: b(e.ObjectUID), FieldPath: b(e.ObjectFieldPath)}
	r.Owner = load.ObjectRef{Kind: b(e.OwnerKind), Name: b(e.OwnerName), UID: b(e.OwnerUID)}
	r.Related = load.ObjectRef{Kind: b(e.RelatedKind), Namespace: b(e.RelatedNamespace), Name: b(e.RelatedName), UID: b(e.RelatedUID)}
	r.Reason, r.Message, r.Type, r.Action = b(e.Reason), b(e.Message), b(e.Type), b(e.Action)
	r.ReportingController, r.ReportingInstance = b(e.ReportingController), b(e.ReportingInstance)
	if e.Count != nil {
		r.Count, r.HasCount = *e.Count, true
	}
	if e.SeriesCount != nil {
		r.SeriesCount, r.HasSeriesCount = *e.SeriesCount, true
	}
	r.First, r.Last, r.EventTime, r.SeriesLast, r.Created = e.FirstTime, e.LastTime, e.EventTime, e.SeriesLastTime, e.CreatedTime
}
