package load

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// ChangeSchemaVersion versions the changes table (metadata key
// "evanalyze.changes.version"); see docs/schema.md.
const ChangeSchemaVersion = "1"

// Column indexes of the changes table: one row per write request found in
// an audit log (create, update, patch, delete, deletecollection), failed
// ones included.
const (
	CCluster = iota
	CRequestTime
	CCompleteTime
	CAuditID
	CLevel
	CStage
	CVerb
	CResource
	CSubresource
	CAPIGroup
	CAPIVersion
	CNamespace
	CName
	CObjectUID
	CUser
	CGroups
	CImpersonatedUser
	CUserAgent
	CSourceIP
	CCode
	CStatusReason
	CStatusMessage
	CKind
	CGeneration
	CObservedGeneration
	CReplicas
	CStatusReplicas
	CUpdatedReplicas
	CReadyReplicas
	CAvailableReplicas
	CRevision
	CRevisionHistory
	CPodTemplateHash
	CControllerRevisionHash
	COwnerKind
	COwnerName
	COwnerUID
	CPaused
	CStrategy
	CTemplateHash
	CTemplateParts
	CPartition
	CContainers
	CConditions
	CPhase
	CNode
	CSpecChanged
	CChange
	CSourceFile
	CSourceLine
	CSourceOffset
	NumChangeColumns
)

// The fields of a container (the struct of the containers column), in
// order.
const (
	KName = iota
	KImage
	KInit
	KEnv
	KResources
	KReady
	KStarted
	KRestarts
	KWaitingReason
	KTerminatedReason
	KExitCode
	KLastTerminatedReason
	numContainerFields
)

// The fields of a condition (the struct of the conditions column), in
// order.
const (
	DType = iota
	DStatus
	DReason
	DMessage
	DLastTransition
	numConditionFields
)

var (
	containerFields = [numContainerFields]arrow.Field{
		KName:                 {Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		KImage:                {Name: "image", Type: arrow.BinaryTypes.String, Nullable: true},
		KInit:                 {Name: "init", Type: arrow.FixedWidthTypes.Boolean},
		KEnv:                  {Name: "env", Type: arrow.BinaryTypes.String, Nullable: true},       // env var names, comma-separated, sorted
		KResources:            {Name: "resources", Type: arrow.BinaryTypes.String, Nullable: true}, // "requests cpu=100m memory=64Mi; limits ..."
		KReady:                {Name: "ready", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		KStarted:              {Name: "started", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		KRestarts:             {Name: "restarts", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		KWaitingReason:        {Name: "waiting_reason", Type: arrow.BinaryTypes.String, Nullable: true},
		KTerminatedReason:     {Name: "terminated_reason", Type: arrow.BinaryTypes.String, Nullable: true},
		KExitCode:             {Name: "exit_code", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		KLastTerminatedReason: {Name: "last_terminated_reason", Type: arrow.BinaryTypes.String, Nullable: true},
	}
	conditionFields = [numConditionFields]arrow.Field{
		DType:           {Name: "type", Type: arrow.BinaryTypes.String, Nullable: true},
		DStatus:         {Name: "status", Type: arrow.BinaryTypes.String, Nullable: true},
		DReason:         {Name: "reason", Type: arrow.BinaryTypes.String, Nullable: true},
		DMessage:        {Name: "message", Type: arrow.BinaryTypes.String, Nullable: true},
		DLastTransition: {Name: "last_transition_time", Type: timestamp, Nullable: true},
	}
	containerType = arrow.StructOf(containerFields[:]...)
	conditionType = arrow.StructOf(conditionFields[:]...)
)

// ChangeSchema is the Arrow schema of the changes table. Object columns
// (kind onwards) are filled when the audit level carries the object: from
// the response object, else the request object (a patch body is not an
// object: only its own fields are known).
var ChangeSchema = arrow.NewSchema([]arrow.Field{
	CCluster:                {Name: "cluster", Type: dictString},
	CRequestTime:            {Name: "request_time", Type: timestamp, Nullable: true},
	CCompleteTime:           {Name: "complete_time", Type: timestamp, Nullable: true},
	CAuditID:                {Name: "audit_id", Type: arrow.BinaryTypes.String, Nullable: true},
	CLevel:                  {Name: "level", Type: dictString, Nullable: true},
	CStage:                  {Name: "stage", Type: dictString, Nullable: true},
	CVerb:                   {Name: "verb", Type: dictString, Nullable: true},
	CResource:               {Name: "resource", Type: dictString, Nullable: true},
	CSubresource:            {Name: "subresource", Type: dictString, Nullable: true},
	CAPIGroup:               {Name: "api_group", Type: dictString, Nullable: true},
	CAPIVersion:             {Name: "api_version", Type: dictString, Nullable: true},
	CNamespace:              {Name: "namespace", Type: dictString, Nullable: true},
	CName:                   {Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	CObjectUID:              {Name: "object_uid", Type: arrow.BinaryTypes.String, Nullable: true},
	CUser:                   {Name: "user", Type: dictString, Nullable: true},
	CGroups:                 {Name: "groups", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	CImpersonatedUser:       {Name: "impersonated_user", Type: dictString, Nullable: true},
	CUserAgent:              {Name: "user_agent", Type: dictString, Nullable: true},
	CSourceIP:               {Name: "source_ip", Type: dictString, Nullable: true},
	CCode:                   {Name: "code", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	CStatusReason:           {Name: "status_reason", Type: dictString, Nullable: true},
	CStatusMessage:          {Name: "status_message", Type: arrow.BinaryTypes.String, Nullable: true},
	CKind:                   {Name: "kind", Type: dictString, Nullable: true},
	CGeneration:             {Name: "generation", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	CObservedGeneration:     {Name: "observed_generation", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	CReplicas:               {Name: "replicas", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	CStatusReplicas:         {Name: "status_replicas", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	CUpdatedReplicas:        {Name: "updated_replicas", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	CReadyReplicas:          {Name: "ready_replicas", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	CAvailableReplicas:      {Name: "available_replicas", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	CRevision:               {Name: "revision", Type: arrow.BinaryTypes.String, Nullable: true},
	CRevisionHistory:        {Name: "revision_history", Type: arrow.BinaryTypes.String, Nullable: true},
	CPodTemplateHash:        {Name: "pod_template_hash", Type: arrow.BinaryTypes.String, Nullable: true},
	CControllerRevisionHash: {Name: "controller_revision_hash", Type: arrow.BinaryTypes.String, Nullable: true},
	COwnerKind:              {Name: "owner_kind", Type: dictString, Nullable: true},
	COwnerName:              {Name: "owner_name", Type: arrow.BinaryTypes.String, Nullable: true},
	COwnerUID:               {Name: "owner_uid", Type: arrow.BinaryTypes.String, Nullable: true},
	CPaused:                 {Name: "paused", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	CStrategy:               {Name: "strategy", Type: dictString, Nullable: true},
	CTemplateHash:           {Name: "template_hash", Type: arrow.BinaryTypes.String, Nullable: true},
	CTemplateParts:          {Name: "template_parts", Type: arrow.BinaryTypes.String, Nullable: true},
	CPartition:              {Name: "partition", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	CContainers:             {Name: "containers", Type: arrow.ListOf(containerType), Nullable: true},
	CConditions:             {Name: "conditions", Type: arrow.ListOf(conditionType), Nullable: true},
	CPhase:                  {Name: "phase", Type: dictString, Nullable: true},
	CNode:                   {Name: "node", Type: dictString, Nullable: true},
	CSpecChanged:            {Name: "spec_changed", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	CChange:                 {Name: "change", Type: arrow.BinaryTypes.String, Nullable: true},
	CSourceFile:             {Name: "source_file", Type: dictString},
	CSourceLine:             {Name: "source_line", Type: arrow.PrimitiveTypes.Int64},
	CSourceOffset:           {Name: "source_offset", Type: arrow.PrimitiveTypes.Int64},
}, changeMetadata())

func changeMetadata() *arrow.Metadata {
	md := arrow.NewMetadata([]string{"evanalyze.changes.version"}, []string{ChangeSchemaVersion})
	return &md
}

// Container is one container of a pod template or pod.
type Container struct {
	Name, Image    string
	Init           bool
	Env            string // sorted env var names, comma-separated
	Resources      string // "requests cpu=100m memory=64Mi; limits cpu=1"
	Ready, Started *bool
	Restarts       *int32
	WaitingReason  string
	TerminatedRsn  string
	ExitCode       *int32
	LastTerminated string // lastState.terminated.reason (OOMKilled, Error)
}

// Condition is one status condition.
type Condition struct {
	Type, Status, Reason, Message string
	LastTransition                int64
}

// ChangeRow is one write request. Strings are owned (copied) by the row:
// change rows are few next to events and are processed after decoding.
type ChangeRow struct {
	Cluster                     string
	RequestTime, CompleteTime   int64
	AuditID, Level, Stage       string
	Verb, Resource, Subresource string
	APIGroup, APIVersion        string
	Namespace, Name, ObjectUID  string
	User                        string
	Groups                      []string
	ImpersonatedUser            string
	UserAgent, SourceIP         string
	Code                        int32
	StatusReason                string
	StatusMessage               string

	Kind                               string
	Generation, ObservedGeneration     *int64
	Replicas, StatusReplicas           *int32
	UpdatedReplicas, ReadyReplicas     *int32
	AvailableReplicas                  *int32
	Revision, RevisionHistory          string
	PodTemplateHash, ControllerRevHash string
	OwnerKind, OwnerName, OwnerUID     string
	Paused                             *bool
	Strategy                           string
	TemplateHash                       string
	// TemplateParts names the parts of a complete pod template, one
	// "path=value" per line, sorted: each label and annotation with its
	// value (metadata.annotations.KEY=VALUE, cut at 64 bytes) and each
	// other spec field (each container by name) with a hash of it.
	TemplateParts string
	Partition     *int32 // a StatefulSet's spec.updateStrategy.rollingUpdate.partition
	Containers    []Container
	HasContainers bool // the template or pod spec was seen
	Conditions    []Condition
	Phase, Node   string
	SpecChanged   *bool
	Change        string

	SourceFile   string
	SourceLine   int64
	SourceOffset int64
}

// ChangeBatch accumulates change rows into Arrow columns.
type ChangeBatch struct {
	b *array.RecordBuilder
}

// NewChangeBatch returns an empty batch. Release it when done.
func NewChangeBatch(mem memory.Allocator) *ChangeBatch {
	return &ChangeBatch{b: array.NewRecordBuilder(mem, ChangeSchema)}
}

// Release frees the builders.
func (c *ChangeBatch) Release() { c.b.Release() }

// NewRecord returns the rows so far and resets the batch.
func (c *ChangeBatch) NewRecord() arrow.Record { return c.b.NewRecord() }

// Len is the number of rows appended.
func (c *ChangeBatch) Len() int { return c.b.Field(0).Len() }

func dictStr(b array.Builder, s string) {
	db := b.(*array.BinaryDictionaryBuilder)
	if s == "" {
		db.AppendNull()
		return
	}
	_ = db.AppendString(s)
}

func str(b array.Builder, s string) {
	sb := b.(*array.StringBuilder)
	if s == "" {
		sb.AppendNull()
		return
	}
	sb.Append(s)
}

func tsv(b array.Builder, ns int64) {
	tb := b.(*array.TimestampBuilder)
	if ns == 0 {
		tb.AppendNull()
		return
	}
	tb.Append(arrow.Timestamp(ns))
}

func i32p(b array.Builder, v *int32) {
	ib := b.(*array.Int32Builder)
	if v == nil {
		ib.AppendNull()
		return
	}
	ib.Append(*v)
}

func i64p(b array.Builder, v *int64) {
	ib := b.(*array.Int64Builder)
	if v == nil {
		ib.AppendNull()
		return
	}
	ib.Append(*v)
}

func boolp(b array.Builder, v *bool) {
	bb := b.(*array.BooleanBuilder)
	if v == nil {
		bb.AppendNull()
		return
	}
	bb.Append(*v)
}

// Append adds a row.
func (c *ChangeBatch) Append(r *ChangeRow) {
	f := c.b.Field
	dictStr(f(CCluster), ClusterOrDefault(r.Cluster))
	tsv(f(CRequestTime), r.RequestTime)
	tsv(f(CCompleteTime), r.CompleteTime)
	str(f(CAuditID), r.AuditID)
	dictStr(f(CLevel), r.Level)
	dictStr(f(CStage), r.Stage)
	dictStr(f(CVerb), r.Verb)
	dictStr(f(CResource), r.Resource)
	dictStr(f(CSubresource), r.Subresource)
	dictStr(f(CAPIGroup), r.APIGroup)
	dictStr(f(CAPIVersion), r.APIVersion)
	dictStr(f(CNamespace), r.Namespace)
	str(f(CName), r.Name)
	str(f(CObjectUID), r.ObjectUID)
	dictStr(f(CUser), r.User)
	lb := f(CGroups).(*array.ListBuilder)
	if r.Groups == nil {
		lb.AppendNull()
	} else {
		lb.Append(true)
		vb := lb.ValueBuilder().(*array.StringBuilder)
		for _, g := range r.Groups {
			vb.Append(g)
		}
	}
	dictStr(f(CImpersonatedUser), r.ImpersonatedUser)
	dictStr(f(CUserAgent), r.UserAgent)
	dictStr(f(CSourceIP), r.SourceIP)
	cb := f(CCode).(*array.Int32Builder)
	if r.Code == 0 {
		cb.AppendNull()
	} else {
		cb.Append(r.Code)
	}
	dictStr(f(CStatusReason), r.StatusReason)
	str(f(CStatusMessage), r.StatusMessage)
	dictStr(f(CKind), r.Kind)
	i64p(f(CGeneration), r.Generation)
	i64p(f(CObservedGeneration), r.ObservedGeneration)
	i32p(f(CReplicas), r.Replicas)
	i32p(f(CStatusReplicas), r.StatusReplicas)
	i32p(f(CUpdatedReplicas), r.UpdatedReplicas)
	i32p(f(CReadyReplicas), r.ReadyReplicas)
	i32p(f(CAvailableReplicas), r.AvailableReplicas)
	str(f(CRevision), r.Revision)
	str(f(CRevisionHistory), r.RevisionHistory)
	str(f(CPodTemplateHash), r.PodTemplateHash)
	str(f(CControllerRevisionHash), r.ControllerRevHash)
	dictStr(f(COwnerKind), r.OwnerKind)
	str(f(COwnerName), r.OwnerName)
	str(f(COwnerUID), r.OwnerUID)
	boolp(f(CPaused), r.Paused)
	dictStr(f(CStrategy), r.Strategy)
	str(f(CTemplateHash), r.TemplateHash)
	str(f(CTemplateParts), r.TemplateParts)
	i32p(f(CPartition), r.Partition)
	lb = f(CContainers).(*array.ListBuilder)
	if !r.HasContainers {
		lb.AppendNull()
	} else {
		lb.Append(true)
		sb := lb.ValueBuilder().(*array.StructBuilder)
		for i := range r.Containers {
			ct := &r.Containers[i]
			sb.Append(true)
			str(sb.FieldBuilder(KName), ct.Name)
			str(sb.FieldBuilder(KImage), ct.Image)
			sb.FieldBuilder(KInit).(*array.BooleanBuilder).Append(ct.Init)
			str(sb.FieldBuilder(KEnv), ct.Env)
			str(sb.FieldBuilder(KResources), ct.Resources)
			boolp(sb.FieldBuilder(KReady), ct.Ready)
			boolp(sb.FieldBuilder(KStarted), ct.Started)
			i32p(sb.FieldBuilder(KRestarts), ct.Restarts)
			str(sb.FieldBuilder(KWaitingReason), ct.WaitingReason)
			str(sb.FieldBuilder(KTerminatedReason), ct.TerminatedRsn)
			i32p(sb.FieldBuilder(KExitCode), ct.ExitCode)
			str(sb.FieldBuilder(KLastTerminatedReason), ct.LastTerminated)
		}
	}
	lb = f(CConditions).(*array.ListBuilder)
	if r.Conditions == nil {
		lb.AppendNull()
	} else {
		lb.Append(true)
		sb := lb.ValueBuilder().(*array.StructBuilder)
		for _, cd := range r.Conditions {
			sb.Append(true)
			str(sb.FieldBuilder(DType), cd.Type)
			str(sb.FieldBuilder(DStatus), cd.Status)
			str(sb.FieldBuilder(DReason), cd.Reason)
			str(sb.FieldBuilder(DMessage), cd.Message)
			tsv(sb.FieldBuilder(DLastTransition), cd.LastTransition)
		}
	}
	dictStr(f(CPhase), r.Phase)
	dictStr(f(CNode), r.Node)
	boolp(f(CSpecChanged), r.SpecChanged)
	str(f(CChange), r.Change)
	dictStr(f(CSourceFile), r.SourceFile)
	f(CSourceLine).(*array.Int64Builder).Append(r.SourceLine)
	f(CSourceOffset).(*array.Int64Builder).Append(r.SourceOffset)
}

// ClusterOrDefault names the cluster of records that name none.
func ClusterOrDefault(cluster string) string {
	if cluster == "" {
		return DefaultCluster
	}
	return cluster
}

// ChangeString reads a string (or dictionary) column of a changes record;
// "" for null.
func ChangeString(rec arrow.Record, col, i int) string {
	switch a := rec.Column(col).(type) {
	case *array.Dictionary:
		if a.IsNull(i) {
			return ""
		}
		return a.Dictionary().(*array.String).Value(a.GetValueIndex(i))
	case *array.String:
		if a.IsNull(i) {
			return ""
		}
		return a.Value(i)
	}
	return ""
}

// ChangeTime reads a timestamp column (Unix ns, 0 for null).
func ChangeTime(rec arrow.Record, col, i int) int64 {
	a := rec.Column(col).(*array.Timestamp)
	if a.IsNull(i) {
		return 0
	}
	return int64(a.Value(i))
}

// ChangeInt32 reads an int32 column and whether it is set.
func ChangeInt32(rec arrow.Record, col, i int) (int32, bool) {
	a := rec.Column(col).(*array.Int32)
	if a.IsNull(i) {
		return 0, false
	}
	return a.Value(i), true
}

// ChangeInt64 reads an int64 column (0 for null).
func ChangeInt64(rec arrow.Record, col, i int) int64 {
	a := rec.Column(col).(*array.Int64)
	if a.IsNull(i) {
		return 0
	}
	return a.Value(i)
}

// ChangeBool reads a boolean column and whether it is set.
func ChangeBool(rec arrow.Record, col, i int) (bool, bool) {
	a := rec.Column(col).(*array.Boolean)
	if a.IsNull(i) {
		return false, false
	}
	return a.Value(i), true
}
