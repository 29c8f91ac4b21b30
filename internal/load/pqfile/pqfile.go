// Package pqfile writes the event table as Parquet with
// github.com/parquet-go/parquet-go and reads such files back into the
// event table, keeping each row's original provenance so that reports from
// the Parquet archive equal the reports from the original inputs. Reading
// is columnar: each column chunk's pages are decoded straight into the
// Arrow columns (read.go, leaf.go, pages.go), several columns at once.
//
// Files: zstd-compressed, dictionary-encoded strings, the schema version in
// the key/value metadata ("evanalyze.events.version"), rows in the event
// table's order (cluster, namespace, time, object, name), row groups of at
// most RowGroupRows rows. Absent strings are empty; absent numbers and
// times are null.
package pqfile

import (
	"errors"
	"io"
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
// Arrow event table (docs/schema.md). A time of 0 is stored as null.
//
// Event holds the uids as text, as a file stores them when one of its
// uids is not a UUID in canonical form; WriteRows stores them as UUIDs
// (eventU) otherwise.
type Event struct {
	Cluster             string `parquet:"cluster,dict,zstd"`
	Namespace           string `parquet:"namespace,dict,zstd"`
	Name                string `parquet:"name,zstd"`
	UID                 string `parquet:"uid,zstd"`
	ResourceVersion     string `parquet:"resource_version,delta,zstd"`
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
	FirstTime           int64  `parquet:"first_time,optional,delta,timestamp(nanosecond),zstd"`
	LastTime            int64  `parquet:"last_time,optional,delta,timestamp(nanosecond),zstd"`
	EventTime           int64  `parquet:"event_time,optional,delta,timestamp(nanosecond),zstd"`
	SeriesLastTime      int64  `parquet:"series_last_time,optional,delta,timestamp(nanosecond),zstd"`
	CreatedTime         int64  `parquet:"created_time,optional,delta,timestamp(nanosecond),zstd"`
	Time                int64  `parquet:"time,optional,delta,timestamp(nanosecond),zstd"`
	API                 string `parquet:"api,dict,zstd"`
	SourceFormat        string `parquet:"source_format,dict,zstd"`
	SourceFile          string `parquet:"source_file,dict,zstd"`
	SourceLine          int64  `parquet:"source_line,delta,zstd"`
	SourceOffset        int64  `parquet:"source_offset,delta,zstd"`
	Latest              bool   `parquet:"latest"`
	Duplicates          int32  `parquet:"duplicates,zstd"`
}

// eventU is Event with the uids as UUIDs (FIXED_LEN_BYTE_ARRAY(16), null
// when empty): 16 bytes instead of 36 characters, which zstd cannot
// shrink to 16 as they are random. It is the same in every other column.
type eventU struct {
	Cluster             string   `parquet:"cluster,dict,zstd"`
	Namespace           string   `parquet:"namespace,dict,zstd"`
	Name                string   `parquet:"name,zstd"`
	UID                 [16]byte `parquet:"uid,optional,uuid,zstd"`
	ResourceVersion     string   `parquet:"resource_version,delta,zstd"`
	ObjectKind          string   `parquet:"object_kind,dict,zstd"`
	ObjectAPIVersion    string   `parquet:"object_api_version,dict,zstd"`
	ObjectNamespace     string   `parquet:"object_namespace,dict,zstd"`
	ObjectName          string   `parquet:"object_name,zstd"`
	ObjectUID           [16]byte `parquet:"object_uid,optional,uuid,zstd"`
	ObjectFieldPath     string   `parquet:"object_field_path,dict,zstd"`
	OwnerKind           string   `parquet:"owner_kind,dict,zstd"`
	OwnerName           string   `parquet:"owner_name,zstd"`
	OwnerUID            [16]byte `parquet:"owner_uid,optional,uuid,zstd"`
	RelatedKind         string   `parquet:"related_kind,dict,zstd"`
	RelatedNamespace    string   `parquet:"related_namespace,dict,zstd"`
	RelatedName         string   `parquet:"related_name,zstd"`
	RelatedUID          [16]byte `parquet:"related_uid,optional,uuid,zstd"`
	Reason              string   `parquet:"reason,dict,zstd"`
	Message             string   `parquet:"message,zstd"`
	Type                string   `parquet:"type,dict,zstd"`
	Action              string   `parquet:"action,dict,zstd"`
	ReportingController string   `parquet:"reporting_controller,dict,zstd"`
	ReportingInstance   string   `parquet:"reporting_instance,dict,zstd"`
	Count               *int32   `parquet:"count,optional,zstd"`
	SeriesCount         *int32   `parquet:"series_count,optional,zstd"`
	FirstTime           int64    `parquet:"first_time,optional,delta,timestamp(nanosecond),zstd"`
	LastTime            int64    `parquet:"last_time,optional,delta,timestamp(nanosecond),zstd"`
	EventTime           int64    `parquet:"event_time,optional,delta,timestamp(nanosecond),zstd"`
	SeriesLastTime      int64    `parquet:"series_last_time,optional,delta,timestamp(nanosecond),zstd"`
	CreatedTime         int64    `parquet:"created_time,optional,delta,timestamp(nanosecond),zstd"`
	Time                int64    `parquet:"time,optional,delta,timestamp(nanosecond),zstd"`
	API                 string   `parquet:"api,dict,zstd"`
	SourceFormat        string   `parquet:"source_format,dict,zstd"`
	SourceFile          string   `parquet:"source_file,dict,zstd"`
	SourceLine          int64    `parquet:"source_line,delta,zstd"`
	SourceOffset        int64    `parquet:"source_offset,delta,zstd"`
	Latest              bool     `parquet:"latest"`
	Duplicates          int32    `parquet:"duplicates,zstd"`
}

func optTime(ns int64) *int64 {
	if ns == 0 {
		return nil
	}
	return &ns
}

func opt32(v int32, ok bool) *int32 {
	if !ok {
		return nil
	}
	return &v
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
		FirstTime: v.Time(load.ColFirstTime, i), LastTime: v.Time(load.ColLastTime, i),
		EventTime: v.Time(load.ColEventTime, i), SeriesLastTime: v.Time(load.ColSeriesLastTime, i),
		CreatedTime: v.Time(load.ColCreatedTime, i), Time: v.Time(load.ColTime, i),
		API: v.Str(load.ColAPI, i), SourceFormat: v.Str(load.ColSourceFormat, i), SourceFile: v.Str(load.ColSourceFile, i),
		SourceLine: v.Int64(load.ColSourceLine, i), SourceOffset: v.Int64(load.ColSourceOffset, i),
		Latest: v.Bool(load.ColLatest, i), Duplicates: d,
	}
}

// WriteEvents writes the event table under dir as Hive-style partitions
// cluster=NAME/date=YYYY-MM-DD/events.parquet (date of the observation
// time, "unknown" without one). It returns the files written, in order.
// The uid columns of every file are UUIDs when every uid of the table is
// empty or a UUID in canonical form, else text (see WriteRows): one
// conversion gives files of one schema, which DuckDB and others need to
// read them as one table.
func WriteEvents(dir string, events arrow.Record) ([]string, error) {
	v := load.NewView(events)
	uuids := true
	var u [16]byte
	for i := 0; i < v.Len() && uuids; i++ {
		uuids = parseUUID(&u, v.Str(load.ColUID, i)) && parseUUID(&u, v.Str(load.ColObjectUID, i)) &&
			parseUUID(&u, v.Str(load.ColOwnerUID, i)) && parseUUID(&u, v.Str(load.ColRelatedUID, i))
	}
	return writePartitions(dir, "events.parquet", v.Len(),
		func(i int) (string, int64) { return v.Str(load.ColCluster, i), v.Time(load.ColTime, i) },
		func(w io.Writer, idx []int) error {
			rows := make([]Event, len(idx))
			for k, i := range idx {
				rows[k] = eventOf(v, i)
			}
			if !uuids {
				return writeRows(w, rows, "evanalyze.events.version", load.SchemaVersion, RowGroupRows)
			}
			return WriteRows(w, rows, RowGroupRows)
		})
}

// WriteRows writes rows as an events file with row groups of at most
// groupRows rows. The uid columns are UUIDs when every uid of the rows is
// empty or a UUID in canonical form (lowercase, as the API server writes
// them), so that they read back as the same text; else they are text.
func WriteRows(w io.Writer, rows []Event, groupRows int64) error {
	if u, ok := uuidRows(rows); ok {
		return writeRows(w, u, "evanalyze.events.version", load.SchemaVersion, groupRows)
	}
	return writeRows(w, rows, "evanalyze.events.version", load.SchemaVersion, groupRows)
}

// ReadRows reads every row of an evanalyze events file, whichever way it
// stores the uids (for tests and tools; ReadEvents reads the columns).
func ReadRows(r io.ReaderAt, size int64) ([]Event, error) {
	pf, err := openFile(r, size)
	if err != nil {
		return nil, err
	}
	if _, ok := pf.Lookup("evanalyze.events.version"); !ok {
		return nil, errors.New("not an evanalyze events file")
	}
	if l, err := bindLeaf(pf.Schema(), "uid", tStr); err != nil || !l.uuid {
		return parquet.Read[Event](r, size)
	}
	u, err := parquet.Read[eventU](r, size)
	if err != nil {
		return nil, err
	}
	rows := make([]Event, len(u))
	for i := range u {
		rows[i] = textRow(&u[i])
	}
	return rows, nil
}

// uuidRows converts rows to eventU, or reports that a uid is not a UUID
// in canonical form.
func uuidRows(rows []Event) ([]eventU, bool) {
	out := make([]eventU, len(rows))
	for i := range rows {
		e, u := &rows[i], &out[i]
		if !parseUUID(&u.UID, e.UID) || !parseUUID(&u.ObjectUID, e.ObjectUID) ||
			!parseUUID(&u.OwnerUID, e.OwnerUID) || !parseUUID(&u.RelatedUID, e.RelatedUID) {
			return nil, false
		}
		u.Cluster, u.Namespace, u.Name, u.ResourceVersion = e.Cluster, e.Namespace, e.Name, e.ResourceVersion
		u.ObjectKind, u.ObjectAPIVersion, u.ObjectNamespace, u.ObjectName = e.ObjectKind, e.ObjectAPIVersion, e.ObjectNamespace, e.ObjectName
		u.ObjectFieldPath, u.OwnerKind, u.OwnerName = e.ObjectFieldPath, e.OwnerKind, e.OwnerName
		u.RelatedKind, u.RelatedNamespace, u.RelatedName = e.RelatedKind, e.RelatedNamespace, e.RelatedName
		u.Reason, u.Message, u.Type, u.Action = e.Reason, e.Message, e.Type, e.Action
		u.ReportingController, u.ReportingInstance, u.Count, u.SeriesCount = e.ReportingController, e.ReportingInstance, e.Count, e.SeriesCount
		u.FirstTime, u.LastTime, u.EventTime, u.SeriesLastTime, u.CreatedTime, u.Time = e.FirstTime, e.LastTime, e.EventTime, e.SeriesLastTime, e.CreatedTime, e.Time
		u.API, u.SourceFormat, u.SourceFile, u.SourceLine, u.SourceOffset = e.API, e.SourceFormat, e.SourceFile, e.SourceLine, e.SourceOffset
		u.Latest, u.Duplicates = e.Latest, e.Duplicates
	}
	return out, true
}

// textRow converts an eventU back to an Event.
func textRow(u *eventU) Event {
	e := Event{
		Cluster: u.Cluster, Namespace: u.Namespace, Name: u.Name, ResourceVersion: u.ResourceVersion,
		ObjectKind: u.ObjectKind, ObjectAPIVersion: u.ObjectAPIVersion, ObjectNamespace: u.ObjectNamespace, ObjectName: u.ObjectName,
		ObjectFieldPath: u.ObjectFieldPath, OwnerKind: u.OwnerKind, OwnerName: u.OwnerName,
		RelatedKind: u.RelatedKind, RelatedNamespace: u.RelatedNamespace, RelatedName: u.RelatedName,
		Reason: u.Reason, Message: u.Message, Type: u.Type, Action: u.Action,
		ReportingController: u.ReportingController, ReportingInstance: u.ReportingInstance, Count: u.Count, SeriesCount: u.SeriesCount,
		FirstTime: u.FirstTime, LastTime: u.LastTime, EventTime: u.EventTime, SeriesLastTime: u.SeriesLastTime, CreatedTime: u.CreatedTime, Time: u.Time,
		API: u.API, SourceFormat: u.SourceFormat, SourceFile: u.SourceFile, SourceLine: u.SourceLine, SourceOffset: u.SourceOffset,
		Latest: u.Latest, Duplicates: u.Duplicates,
	}
	e.UID, e.ObjectUID, e.OwnerUID, e.RelatedUID = uuidText(&u.UID), uuidText(&u.ObjectUID), uuidText(&u.OwnerUID), uuidText(&u.RelatedUID)
	return e
}

// parseUUID parses a UUID in canonical form (8-4-4-4-12 lowercase hex
// digits) into u; "" is the zero UUID, which a column stores as null. It
// reports false for any other text, the zero UUID's included, as those
// would not read back as the same text.
func parseUUID(u *[16]byte, s string) bool {
	*u = [16]byte{}
	if s == "" {
		return true
	}
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	var zero byte
	for i, p := range uuidPos {
		hi, lo := unhex[s[p]], unhex[s[p+1]]
		if hi > 15 || lo > 15 {
			return false
		}
		u[i] = hi<<4 | lo
		zero |= u[i]
	}
	return zero != 0
}

func uuidText(u *[16]byte) string {
	if *u == ([16]byte{}) {
		return ""
	}
	var b [36]byte
	formatUUID(&b, u)
	return string(b[:])
}

// uuidPos is where the hex digits of each byte of a UUID are in its text.
var uuidPos = [16]uint8{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// unhex maps lowercase hex digits to their values, anything else to 255.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 255
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	return t
}()

// writePartitions writes rows 0..n-1 into dir/cluster=NAME/date=DAY/name,
// partitioned by each row's cluster (NAME is load.EncodeCluster's) and the
// day of its time, partitions in lexical order and rows in their order;
// write writes the rows of one partition (their indexes) into its file.
// Files are written as archiveWriter writes them; on an error the files
// and directories this call made are removed.
func writePartitions(dir, name string, n int, part func(i int) (cluster string, ns int64), write func(w io.Writer, rows []int) error) (files []string, err error) {
	parts := map[string][]int{}
	for i := 0; i < n; i++ {
		cluster, ns := part(i)
		date := "unknown"
		if ns != 0 {
			date = time.Unix(0, ns).UTC().Format(time.DateOnly)
		}
		key := filepath.Join("cluster="+load.EncodeCluster(cluster), "date="+date)
		parts[key] = append(parts[key], i)
	}
	keys := make([]string, 0, len(parts))
	for k := range parts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	aw, err := openArchive(dir)
	if err != nil {
		return nil, err
	}
	defer func() { err = aw.finish(err) }()
	return aw.writeParts(keys, name, func(w io.Writer, k string) error { return write(w, parts[k]) })
}

func writeRows[T any](w io.Writer, rows []T, versionKey, version string, groupRows int64) error {
	pw := parquet.NewGenericWriter[T](w,
		parquet.Compression(&parquet.Zstd),
		parquet.KeyValueMetadata(versionKey, version),
		parquet.MaxRowsPerRowGroup(groupRows),
		parquet.CreatedBy("evanalyze", "1", ""),
	)
	if _, err := pw.Write(rows); err != nil {
		return err
	}
	return pw.Close()
}

// IsParquet reports whether a stream starts with the Parquet magic.
func IsParquet(head []byte) bool { return len(head) >= 4 && string(head[:4]) == "PAR1" }
