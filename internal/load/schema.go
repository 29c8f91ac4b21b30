package load

import (
	"github.com/apache/arrow/go/v15/arrow"
)

// SchemaVersion is the version of the event table schema. It is stored in
// the schema metadata under "evanalyze.events.version". Bump it on any change
// of column names, types or meaning, and record the change in docs/schema.md.
const SchemaVersion = "1"

// Column indexes of the event table. The order is part of the schema.
const (
	ColCluster = iota
	ColNamespace
	ColName
	ColUID
	ColResourceVersion
	ColObjectKind
	ColObjectAPIVersion
	ColObjectNamespace
	ColObjectName
	ColObjectUID
	ColObjectFieldPath
	ColOwnerKind
	ColOwnerName
	ColOwnerUID
	ColRelatedKind
	ColRelatedNamespace
	ColRelatedName
	ColRelatedUID
	ColReason
	ColMessage
	ColType
	ColAction
	ColReportingController
	ColReportingInstance
	ColCount
	ColSeriesCount
	ColFirstTime
	ColLastTime
	ColEventTime
	ColSeriesLastTime
	ColCreatedTime
	ColTime
	ColAPI
	ColSourceFormat
	ColSourceFile
	ColSourceLine
	ColSourceOffset
	ColLatest
	ColDuplicates
	NumColumns
)

var (
	dictString = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	timestamp  = &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}
)

// EventSchema is the Arrow schema of the event table: one row per distinct
// observation of a Kubernetes event. docs/schema.md documents every column.
var EventSchema = arrow.NewSchema([]arrow.Field{
	ColCluster:             {Name: "cluster", Type: dictString},
	ColNamespace:           {Name: "namespace", Type: dictString, Nullable: true},
	ColName:                {Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	ColUID:                 {Name: "uid", Type: arrow.BinaryTypes.String, Nullable: true},
	ColResourceVersion:     {Name: "resource_version", Type: arrow.BinaryTypes.String, Nullable: true},
	ColObjectKind:          {Name: "object_kind", Type: dictString, Nullable: true},
	ColObjectAPIVersion:    {Name: "object_api_version", Type: dictString, Nullable: true},
	ColObjectNamespace:     {Name: "object_namespace", Type: dictString, Nullable: true},
	ColObjectName:          {Name: "object_name", Type: arrow.BinaryTypes.String, Nullable: true},
	ColObjectUID:           {Name: "object_uid", Type: arrow.BinaryTypes.String, Nullable: true},
	ColObjectFieldPath:     {Name: "object_field_path", Type: arrow.BinaryTypes.String, Nullable: true},
	ColOwnerKind:           {Name: "owner_kind", Type: dictString, Nullable: true},
	ColOwnerName:           {Name: "owner_name", Type: arrow.BinaryTypes.String, Nullable: true},
	ColOwnerUID:            {Name: "owner_uid", Type: arrow.BinaryTypes.String, Nullable: true},
	ColRelatedKind:         {Name: "related_kind", Type: dictString, Nullable: true},
	ColRelatedNamespace:    {Name: "related_namespace", Type: dictString, Nullable: true},
	ColRelatedName:         {Name: "related_name", Type: arrow.BinaryTypes.String, Nullable: true},
	ColRelatedUID:          {Name: "related_uid", Type: arrow.BinaryTypes.String, Nullable: true},
	ColReason:              {Name: "reason", Type: dictString, Nullable: true},
	ColMessage:             {Name: "message", Type: arrow.BinaryTypes.String, Nullable: true},
	ColType:                {Name: "type", Type: dictString, Nullable: true},
	ColAction:              {Name: "action", Type: dictString, Nullable: true},
	ColReportingController: {Name: "reporting_controller", Type: dictString, Nullable: true},
	ColReportingInstance:   {Name: "reporting_instance", Type: dictString, Nullable: true},
	ColCount:               {Name: "count", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	ColSeriesCount:         {Name: "series_count", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	ColFirstTime:           {Name: "first_time", Type: timestamp, Nullable: true},
	ColLastTime:            {Name: "last_time", Type: timestamp, Nullable: true},
	ColEventTime:           {Name: "event_time", Type: timestamp, Nullable: true},
	ColSeriesLastTime:      {Name: "series_last_time", Type: timestamp, Nullable: true},
	ColCreatedTime:         {Name: "created_time", Type: timestamp, Nullable: true},
	ColTime:                {Name: "time", Type: timestamp, Nullable: true},
	ColAPI:                 {Name: "api", Type: dictString},
	ColSourceFormat:        {Name: "source_format", Type: dictString},
	ColSourceFile:          {Name: "source_file", Type: dictString},
	ColSourceLine:          {Name: "source_line", Type: arrow.PrimitiveTypes.Int64},
	ColSourceOffset:        {Name: "source_offset", Type: arrow.PrimitiveTypes.Int64},
	ColLatest:              {Name: "latest", Type: arrow.FixedWidthTypes.Boolean},
	ColDuplicates:          {Name: "duplicates", Type: arrow.PrimitiveTypes.Int32},
}, schemaMetadata())

func schemaMetadata() *arrow.Metadata {
	md := arrow.NewMetadata([]string{"evanalyze.events.version"}, []string{SchemaVersion})
	return &md
}

// API values of the api column: which API the observation came through.
const (
	APICoreV1   = "v1"               // core/v1 Event
	APIEventsV1 = "events.k8s.io/v1" // events.k8s.io/v1 (or v1beta1) Event
	APIAudit    = "audit"            // an event write found in an audit log
)

// DecodeSchema is EventSchema with plain strings in place of dictionaries:
// the schema of spilled rows and of event patches applied (a few rows
// each). The decode workers' batches have EventSchema: a Batch's
// dictionaries cost little to append to, and merge then maps each
// batch's dictionary indices instead of looking every string up (Take).
var DecodeSchema = func() *arrow.Schema {
	fields := EventSchema.Fields()
	for i := range fields {
		if _, ok := fields[i].Type.(*arrow.DictionaryType); ok {
			fields[i].Type = arrow.BinaryTypes.String
		}
	}
	md := EventSchema.Metadata()
	return arrow.NewSchema(fields, &md)
}()
