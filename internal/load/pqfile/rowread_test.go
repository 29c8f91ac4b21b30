package pqfile_test

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/pqfile"
)

// readRows is the row reader evanalyze had before the columnar one: each
// row through parquet-go's GenericReader into a load.EventRow and
// Batch.Append. The columnar reader must give the same table.
func readRows(r io.ReaderAt, size int64, cluster string, batch *load.Batch) (int, error) {
	pf, err := parquet.OpenFile(r, size)
	if err != nil {
		return 0, fmt.Errorf("open Parquet: %w", err)
	}
	if _, ok := pf.Lookup("evanalyze.events.version"); !ok {
		return 0, errors.New("not an evanalyze events file")
	}
	rd := parquet.NewGenericReader[pqfile.Event](r)
	defer rd.Close()
	buf := make([]pqfile.Event, 1024)
	var row load.EventRow
	n := 0
	for {
		k, err := rd.Read(buf)
		for i := 0; i < k; i++ {
			e := &buf[i]
			fill(&row, e)
			p := load.Provenance{Cluster: cluster, Format: e.SourceFormat, File: e.SourceFile, Line: e.SourceLine, Offset: e.SourceOffset}
			if p.Cluster == "" {
				p.Cluster = e.Cluster
			}
			batch.Append(&row, &p)
		}
		n += k
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("read Parquet rows: %w", err)
		}
	}
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
	get := func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	}
	r.First, r.Last, r.EventTime, r.SeriesLast, r.Created = get(e.FirstTime), get(e.LastTime), get(e.EventTime), get(e.SeriesLastTime), get(e.CreatedTime)
}
