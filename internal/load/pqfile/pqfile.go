// Package pqfile writes the event table as Parquet with
// github.com/parquet-go/parquet-go and reads such files back into the
// event table, keeping each row's original provenance so that reports from
// the Parquet archive equal the reports from the original inputs. Reading
// is columnar: each column chunk's pages are decoded straight into the
// Arrow columns (read.go), several columns at once.
//
// Files: zstd-compressed, dictionary-encoded strings, the schema version in
// the key/value metadata ("evanalyze.events.version"), rows in the event
// table's order (cluster, namespace, time, object, name), row groups of at
// most RowGroupRows rows. Absent strings are empty; absent numbers and
// times are null.
package pqfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/parquet-go/parquet-go"

	"github.com/evanalyze/evanalyze/internal/load"
)

// RowGroupRows bounds row groups so readers can split a file.
const RowGroupRows = 128 << 10

// Event is a row of an events Parquet file. Column names are those of the
// Arrow event table (docs/schema.md).
type Event struct {
	Cluster             string `parquet:"cluster,dict,zstd"`
	Namespace           string `parquet:"namespace,dict,zstd"`
	Name                string `parquet:"name,zstd"`
	UID                 string `parquet:"uid,zstd"`
	ResourceVersion     string `parquet:"resource_version,zstd"`
	ObjectKind          string `parquet:"object_kind,dict,zstd"`
	ObjectAPIVersion    string `parquet:"object_api_version,dict,zstd"`
	ObjectNamespace     string `parquet:"object_namespace,dict,zstd"`
	ObjectName          string `parquet:"object_name,zstd"`
	ObjectUID           string `parquet:"object_uid,zstd"`
	ObjectFieldPath     string `parquet:"object_field_path,dict,zstd"`
	OwnerKind           string `parquet:"owner_kind,dict,zstd"`
	OwnerName           string `parquet:"owner_name,zstd"`
	OwnerUID            string `parquet:"owner_uid,zstd"`
	RelatedKind         string `parquet:"related_kind,dict,zstd"`
	RelatedNamespace    string `parquet:"related_namespace,dict,zstd"`
	RelatedName         string `parquet:"related_name,zstd"`
	RelatedUID          string `parquet:"related_uid,zstd"`
	Reason              string `parquet:"reason,dict,zstd"`
	Message             string `parquet:"message,zstd"`
	Type                string `parquet:"type,dict,zstd"`
	Action              string `parquet:"action,dict,zstd"`
	ReportingController string `parquet:"reporting_controller,dict,zstd"`
	ReportingInstance   string `parquet:"reporting_instance,dict,zstd"`
	Count               *int32 `parquet:"count,optional,zstd"`
	SeriesCount         *int32 `parquet:"series_count,optional,zstd"`
	FirstTime           *int64 `parquet:"first_time,optional,timestamp(nanosecond),zstd"`
	LastTime            *int64 `parquet:"last_time,optional,timestamp(nanosecond),zstd"`
	EventTime           *int64 `parquet:"event_time,optional,timestamp(nanosecond),zstd"`
	SeriesLastTime      *int64 `parquet:"series_last_time,optional,timestamp(nanosecond),zstd"`
	CreatedTime         *int64 `parquet:"created_time,optional,timestamp(nanosecond),zstd"`
	Time                *int64 `parquet:"time,optional,timestamp(nanosecond),zstd"`
	API                 string `parquet:"api,dict,zstd"`
	SourceFormat        string `parquet:"source_format,dict,zstd"`
	SourceFile          string `parquet:"source_file,dict,zstd"`
	SourceLine          int64  `parquet:"source_line,zstd"`
	SourceOffset        int64  `parquet:"source_offset,zstd"`
	Latest              bool   `parquet:"latest"`
	Duplicates          int32  `parquet:"duplicates,zstd"`
}

func opt32(v int32, ok bool) *int32 {
	if !ok {
		return nil
	}
	return &v
}

func optTime(ns int64) *int64 {
	if ns == 0 {
		return nil
	}
	return &ns
}

// eventOf converts row i of the event table.
func eventOf(v *load.View, i int) Event {
	c, okc := v.Int32(load.ColCount, i)
	sc, oks := v.Int32(load.ColSeriesCount, i)
	d, _ := v.Int32(load.ColDuplicates, i)
	return Event{
		Cluster: v.Str(load.ColCluster, i), Namespace: v.Str(load.ColNamespace, i), Name: v.Str(load.ColName, i),
		UID: v.Str(load.ColUID, i), ResourceVersion: v.Str(load.ColResourceVersion, i),
		ObjectKind: v.Str(load.ColObjectKind, i), ObjectAPIVersion: v.Str(load.ColObjectAPIVersion, i),
		ObjectNamespace: v.Str(load.ColObjectNamespace, i), ObjectName: v.Str(load.ColObjectName, i),
		ObjectUID: v.Str(load.ColObjectUID, i), ObjectFieldPath: v.Str(load.ColObjectFieldPath, i),
		OwnerKind: v.Str(load.ColOwnerKind, i), OwnerName: v.Str(load.ColOwnerName, i), OwnerUID: v.Str(load.ColOwnerUID, i),
		RelatedKind: v.Str(load.ColRelatedKind, i), RelatedNamespace: v.Str(load.ColRelatedNamespace, i),
		RelatedName: v.Str(load.ColRelatedName, i), RelatedUID: v.Str(load.ColRelatedUID, i),
		Reason: v.Str(load.ColReason, i), Message: v.Str(load.ColMessage, i), Type: v.Str(load.ColType, i),
		Action: v.Str(load.ColAction, i), ReportingController: v.Str(load.ColReportingController, i),
		ReportingInstance: v.Str(load.ColReportingInstance, i),
		Count:             opt32(c, okc), SeriesCount: opt32(sc, oks),
		FirstTime: optTime(v.Time(load.ColFirstTime, i)), LastTime: optTime(v.Time(load.ColLastTime, i)),
		EventTime: optTime(v.Time(load.ColEventTime, i)), SeriesLastTime: optTime(v.Time(load.ColSeriesLastTime, i)),
		CreatedTime: optTime(v.Time(load.ColCreatedTime, i)), Time: optTime(v.Time(load.ColTime, i)),
		API: v.Str(load.ColAPI, i), SourceFormat: v.Str(load.ColSourceFormat, i), SourceFile: v.Str(load.ColSourceFile, i),
		SourceLine: v.Int64(load.ColSourceLine, i), SourceOffset: v.Int64(load.ColSourceOffset, i),
		Latest: v.Bool(load.ColLatest, i), Duplicates: d,
	}
}

// WriteEvents writes the event table under dir as Hive-style partitions
// cluster=NAME/date=YYYY-MM-DD/events.parquet (date of the observation
// time, "unknown" without one). It returns the files written, in order.
func WriteEvents(dir string, events arrow.Record) ([]string, error) {
	v := load.NewView(events)
	return writePartitions(dir, "events.parquet", "evanalyze.events.version", load.SchemaVersion, v.Len(),
		func(i int) (string, int64) { return v.Str(load.ColCluster, i), v.Time(load.ColTime, i) },
		func(i int) Event { return eventOf(v, i) })
}

// writePartitions writes rows 0..n-1 into dir/cluster=NAME/date=DAY/name,
// partitioned by each row's cluster and the day of its time, partitions in
// lexical order and rows in their order, with the schema version in the
// file metadata.
func writePartitions[T any](dir, name, versionKey, version string, n int, part func(i int) (cluster string, ns int64), row func(i int) T) ([]string, error) {
	parts := map[string][]int{}
	for i := 0; i < n; i++ {
		cluster, ns := part(i)
		date := "unknown"
		if ns != 0 {
			date = time.Unix(0, ns).UTC().Format(time.DateOnly)
		}
		key := filepath.Join("cluster="+sanitize(cluster), "date="+date)
		parts[key] = append(parts[key], i)
	}
	keys := make([]string, 0, len(parts))
	for k := range parts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var files []string
	for _, k := range keys {
		path := filepath.Join(dir, k, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return files, err
		}
		rows := make([]T, 0, len(parts[k]))
		for _, i := range parts[k] {
			rows = append(rows, row(i))
		}
		if err := writeFile(path, rows, versionKey, version); err != nil {
			return files, fmt.Errorf("write %s: %w", path, err)
		}
		files = append(files, path)
	}
	return files, nil
}

func writeFile[T any](path string, rows []T, versionKey, version string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := parquet.NewGenericWriter[T](f,
		parquet.Compression(&parquet.Zstd),
		parquet.KeyValueMetadata(versionKey, version),
		parquet.MaxRowsPerRowGroup(RowGroupRows),
		parquet.CreatedBy("evanalyze", "1", ""),
	)
	if _, err := w.Write(rows); err != nil {
		f.Close()
		return err
	}
	return errors.Join(w.Close(), f.Close())
}

// sanitize keeps a cluster name usable as a path segment.
func sanitize(s string) string {
	out := []rune{}
	for _, r := range s {
		if r == '/' || r == '\\' || r == 0 {
			r = '_'
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return "_"
	}
	return string(out)
}

// IsParquet reports whether a stream starts with the Parquet magic.
func IsParquet(head []byte) bool { return len(head) >= 4 && string(head[:4]) == "PAR1" }
