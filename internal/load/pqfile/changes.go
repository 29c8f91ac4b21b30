package pqfile

import (
	"fmt"
	"io"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/parquet-go/parquet-go"

	"github.com/evanalyze/evanalyze/internal/load"
)

// Change is a row of a changes Parquet file: the changes table's columns
// (docs/schema.md), containers and conditions as repeated groups.
type Change struct {
	Cluster            string      `parquet:"cluster,dict,zstd"`
	RequestTime        *int64      `parquet:"request_time,optional,timestamp(nanosecond),zstd"`
	CompleteTime       *int64      `parquet:"complete_time,optional,timestamp(nanosecond),zstd"`
	AuditID            string      `parquet:"audit_id,zstd"`
	Level              string      `parquet:"level,dict,zstd"`
	Stage              string      `parquet:"stage,dict,zstd"`
	Verb               string      `parquet:"verb,dict,zstd"`
	Resource           string      `parquet:"resource,dict,zstd"`
	Subresource        string      `parquet:"subresource,dict,zstd"`
	APIGroup           string      `parquet:"api_group,dict,zstd"`
	APIVersion         string      `parquet:"api_version,dict,zstd"`
	Namespace          string      `parquet:"namespace,dict,zstd"`
	Name               string      `parquet:"name,zstd"`
	ObjectUID          string      `parquet:"object_uid,zstd"`
	User               string      `parquet:"user,dict,zstd"`
	Groups             []string    `parquet:"groups,list,zstd"`
	ImpersonatedUser   string      `parquet:"impersonated_user,dict,zstd"`
	UserAgent          string      `parquet:"user_agent,dict,zstd"`
	SourceIP           string      `parquet:"source_ip,dict,zstd"`
	Code               int32       `parquet:"code,zstd"`
	StatusReason       string      `parquet:"status_reason,dict,zstd"`
	StatusMessage      string      `parquet:"status_message,zstd"`
	Kind               string      `parquet:"kind,dict,zstd"`
	Generation         *int64      `parquet:"generation,optional,zstd"`
	ObservedGeneration *int64      `parquet:"observed_generation,optional,zstd"`
	Replicas           *int32      `parquet:"replicas,optional,zstd"`
	StatusReplicas     *int32      `parquet:"status_replicas,optional,zstd"`
	UpdatedReplicas    *int32      `parquet:"updated_replicas,optional,zstd"`
	ReadyReplicas      *int32      `parquet:"ready_replicas,optional,zstd"`
	AvailableReplicas  *int32      `parquet:"available_replicas,optional,zstd"`
	Revision           string      `parquet:"revision,zstd"`
	RevisionHistory    string      `parquet:"revision_history,zstd"`
	PodTemplateHash    string      `parquet:"pod_template_hash,zstd"`
	ControllerRevHash  string      `parquet:"controller_revision_hash,zstd"`
	OwnerKind          string      `parquet:"owner_kind,dict,zstd"`
	OwnerName          string      `parquet:"owner_name,zstd"`
	OwnerUID           string      `parquet:"owner_uid,zstd"`
	Paused             *bool       `parquet:"paused,optional"`
	Strategy           string      `parquet:"strategy,dict,zstd"`
	TemplateHash       string      `parquet:"template_hash,zstd"`
	TemplateParts      string      `parquet:"template_parts,zstd"`
	Partition          *int32      `parquet:"partition,optional,zstd"`
	HasContainers      bool        `parquet:"has_containers"`
	Containers         []Container `parquet:"containers,list"`
	HasConditions      bool        `parquet:"has_conditions"`
	Conditions         []Condition `parquet:"conditions,list"`
	Phase              string      `parquet:"phase,dict,zstd"`
	Node               string      `parquet:"node,dict,zstd"`
	SpecChanged        *bool       `parquet:"spec_changed,optional"`
	Change             string      `parquet:"change,zstd"`
	SourceFile         string      `parquet:"source_file,dict,zstd"`
	SourceLine         int64       `parquet:"source_line,zstd"`
	SourceOffset       int64       `parquet:"source_offset,zstd"`
}

// Container is a repeated group of Change.
type Container struct {
	Name           string `parquet:"name"`
	Image          string `parquet:"image"`
	Init           bool   `parquet:"init"`
	Env            string `parquet:"env"`
	Resources      string `parquet:"resources"`
	Ready          *bool  `parquet:"ready,optional"`
	Started        *bool  `parquet:"started,optional"`
	Restarts       *int32 `parquet:"restarts,optional"`
	WaitingReason  string `parquet:"waiting_reason"`
	TerminatedRsn  string `parquet:"terminated_reason"`
	ExitCode       *int32 `parquet:"exit_code,optional"`
	LastTerminated string `parquet:"last_terminated_reason"`
}

// Condition is a repeated group of Change.
type Condition struct {
	Type           string `parquet:"type"`
	Status         string `parquet:"status"`
	Reason         string `parquet:"reason"`
	Message        string `parquet:"message"`
	LastTransition *int64 `parquet:"last_transition_time,optional,timestamp(nanosecond)"`
}

// changeOf reads row i of the changes table.
func changeOf(rec arrow.Record, i int) Change {
	str := func(col int) string { return load.ChangeString(rec, col, i) }
	i32 := func(col int) *int32 {
		v, ok := load.ChangeInt32(rec, col, i)
		if !ok {
			return nil
		}
		return &v
	}
	i64 := func(col int) *int64 {
		a := rec.Column(col).(*array.Int64)
		if a.IsNull(i) {
			return nil
		}
		v := a.Value(i)
		return &v
	}
	bl := func(col int) *bool {
		v, ok := load.ChangeBool(rec, col, i)
		if !ok {
			return nil
		}
		return &v
	}
	code, _ := load.ChangeInt32(rec, load.CCode, i)
	c := Change{
		Cluster: str(load.CCluster), RequestTime: optTime(load.ChangeTime(rec, load.CRequestTime, i)),
		CompleteTime: optTime(load.ChangeTime(rec, load.CCompleteTime, i)), AuditID: str(load.CAuditID), Level: str(load.CLevel),
		Stage: str(load.CStage), Verb: str(load.CVerb), Resource: str(load.CResource), Subresource: str(load.CSubresource),
		APIGroup: str(load.CAPIGroup), APIVersion: str(load.CAPIVersion), Namespace: str(load.CNamespace), Name: str(load.CName),
		ObjectUID: str(load.CObjectUID), User: str(load.CUser), ImpersonatedUser: str(load.CImpersonatedUser),
		UserAgent: str(load.CUserAgent), SourceIP: str(load.CSourceIP), Code: code, StatusReason: str(load.CStatusReason),
		StatusMessage: str(load.CStatusMessage), Kind: str(load.CKind), Generation: i64(load.CGeneration),
		ObservedGeneration: i64(load.CObservedGeneration), Replicas: i32(load.CReplicas), StatusReplicas: i32(load.CStatusReplicas),
		UpdatedReplicas: i32(load.CUpdatedReplicas), ReadyReplicas: i32(load.CReadyReplicas), AvailableReplicas: i32(load.CAvailableReplicas),
		Revision: str(load.CRevision), RevisionHistory: str(load.CRevisionHistory), PodTemplateHash: str(load.CPodTemplateHash),
		ControllerRevHash: str(load.CControllerRevisionHash), OwnerKind: str(load.COwnerKind), OwnerName: str(load.COwnerName),
		OwnerUID: str(load.COwnerUID), Paused: bl(load.CPaused), Strategy: str(load.CStrategy), TemplateHash: str(load.CTemplateHash),
		TemplateParts: str(load.CTemplateParts), Partition: i32(load.CPartition),
		Phase: str(load.CPhase), Node: str(load.CNode), SpecChanged: bl(load.CSpecChanged), Change: str(load.CChange),
		SourceFile: str(load.CSourceFile), SourceLine: load.ChangeInt64(rec, load.CSourceLine, i), SourceOffset: load.ChangeInt64(rec, load.CSourceOffset, i),
	}
	if g := rec.Column(load.CGroups).(*array.List); !g.IsNull(i) {
		lo, hi := g.ValueOffsets(i)
		vals := g.ListValues().(*array.String)
		c.Groups = []string{}
		for j := lo; j < hi; j++ {
			c.Groups = append(c.Groups, vals.Value(int(j)))
		}
	}
	if l := rec.Column(load.CContainers).(*array.List); !l.IsNull(i) {
		c.HasContainers = true
		st := l.ListValues().(*array.Struct)
		lo, hi := l.ValueOffsets(i)
		for j := int(lo); j < int(hi); j++ {
			c.Containers = append(c.Containers, Container{
				Name: sv(st, load.KName, j), Image: sv(st, load.KImage, j), Init: st.Field(load.KInit).(*array.Boolean).Value(j), Env: sv(st, load.KEnv, j), Resources: sv(st, load.KResources, j),
				Ready: bv(st, load.KReady, j), Started: bv(st, load.KStarted, j), Restarts: iv(st, load.KRestarts, j), WaitingReason: sv(st, load.KWaitingReason, j), TerminatedRsn: sv(st, load.KTerminatedReason, j),
				ExitCode: iv(st, load.KExitCode, j), LastTerminated: sv(st, load.KLastTerminatedReason, j),
			})
		}
	}
	if l := rec.Column(load.CConditions).(*array.List); !l.IsNull(i) {
		c.HasConditions = true
		st := l.ListValues().(*array.Struct)
		lo, hi := l.ValueOffsets(i)
		for j := int(lo); j < int(hi); j++ {
			ts := st.Field(load.DLastTransition).(*array.Timestamp)
			var lt *int64
			if !ts.IsNull(j) {
				v := int64(ts.Value(j))
				lt = &v
			}
			c.Conditions = append(c.Conditions, Condition{Type: sv(st, load.DType, j), Status: sv(st, load.DStatus, j), Reason: sv(st, load.DReason, j), Message: sv(st, load.DMessage, j), LastTransition: lt})
		}
	}
	return c
}

func sv(st *array.Struct, f, j int) string {
	a := st.Field(f).(*array.String)
	if a.IsNull(j) {
		return ""
	}
	return a.Value(j)
}

func bv(st *array.Struct, f, j int) *bool {
	a := st.Field(f).(*array.Boolean)
	if a.IsNull(j) {
		return nil
	}
	v := a.Value(j)
	return &v
}

func iv(st *array.Struct, f, j int) *int32 {
	a := st.Field(f).(*array.Int32)
	if a.IsNull(j) {
		return nil
	}
	v := a.Value(j)
	return &v
}

// WriteChanges writes the changes table as cluster=NAME/date=.../changes.parquet.
func WriteChanges(dir string, changes arrow.Record) ([]string, error) {
	return writePartitions(dir, "changes.parquet", int(changes.NumRows()),
		func(i int) (string, int64) {
			return load.ChangeString(changes, load.CCluster, i), load.ChangeTime(changes, load.CRequestTime, i)
		},
		func(w io.Writer, idx []int) error {
			rows := make([]Change, len(idx))
			for k, i := range idx {
				rows[k] = changeOf(changes, i)
			}
			return writeRows(w, rows, "evanalyze.changes.version", load.ChangeSchemaVersion, RowGroupRows)
		})
}

// Kind says which table a Parquet file holds: "changes" for evanalyze's
// changes files, else "events" (evanalyze's events files, and files other
// pipelines wrote, whose columns ReadEvents looks for).
func Kind(r io.ReaderAt, size int64) (string, error) {
	pf, err := openFile(r, size)
	if err != nil {
		return "", err
	}
	if _, ok := pf.Lookup("evanalyze.events.version"); ok {
		return "events", nil
	}
	if v, ok := pf.Lookup("evanalyze.changes.version"); ok {
		if v != load.ChangeSchemaVersion {
			return "", fmt.Errorf("changes schema version %s, this evanalyze reads %s", v, load.ChangeSchemaVersion)
		}
		return "changes", nil
	}
	return "events", nil // written by another pipeline: ReadEvents finds its columns
}

// ReadChanges reads a changes Parquet file into change rows, keeping their
// stored provenance; cluster, when not empty, overrides the stored one.
func ReadChanges(r io.ReaderAt, cluster string) ([]load.ChangeRow, error) {
	rd := parquet.NewGenericReader[Change](r)
	defer rd.Close()
	buf := make([]Change, 256)
	var out []load.ChangeRow
	for {
		k, err := rd.Read(buf)
		for i := 0; i < k; i++ {
			out = append(out, rowOf(&buf[i], cluster))
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("read Parquet rows: %w", err)
		}
	}
}

func rowOf(c *Change, cluster string) load.ChangeRow {
	get := func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	}
	r := load.ChangeRow{
		Cluster: c.Cluster, RequestTime: get(c.RequestTime), CompleteTime: get(c.CompleteTime), AuditID: c.AuditID, Level: c.Level,
		Stage: c.Stage, Verb: c.Verb, Resource: c.Resource, Subresource: c.Subresource, APIGroup: c.APIGroup, APIVersion: c.APIVersion,
		Namespace: c.Namespace, Name: c.Name, ObjectUID: c.ObjectUID, User: c.User, Groups: c.Groups, ImpersonatedUser: c.ImpersonatedUser,
		UserAgent: c.UserAgent, SourceIP: c.SourceIP, Code: c.Code, StatusReason: c.StatusReason, StatusMessage: c.StatusMessage,
		Kind: c.Kind, Generation: c.Generation, ObservedGeneration: c.ObservedGeneration, Replicas: c.Replicas, StatusReplicas: c.StatusReplicas,
		UpdatedReplicas: c.UpdatedReplicas, ReadyReplicas: c.ReadyReplicas, AvailableReplicas: c.AvailableReplicas,
		Revision: c.Revision, RevisionHistory: c.RevisionHistory, PodTemplateHash: c.PodTemplateHash, ControllerRevHash: c.ControllerRevHash,
		OwnerKind: c.OwnerKind, OwnerName: c.OwnerName, OwnerUID: c.OwnerUID, Paused: c.Paused, Strategy: c.Strategy,
		TemplateHash: c.TemplateHash, TemplateParts: c.TemplateParts, Partition: c.Partition, HasContainers: c.HasContainers, Phase: c.Phase, Node: c.Node,
		SourceFile: c.SourceFile, SourceLine: c.SourceLine, SourceOffset: c.SourceOffset,
	}
	if cluster != "" {
		r.Cluster = cluster
	}
	for _, ct := range c.Containers {
		r.Containers = append(r.Containers, load.Container{Name: ct.Name, Image: ct.Image, Init: ct.Init, Env: ct.Env, Resources: ct.Resources,
			Ready: ct.Ready, Started: ct.Started, Restarts: ct.Restarts, WaitingReason: ct.WaitingReason, TerminatedRsn: ct.TerminatedRsn,
			ExitCode: ct.ExitCode, LastTerminated: ct.LastTerminated})
	}
	if c.HasConditions {
		r.Conditions = []load.Condition{}
		for _, cd := range c.Conditions {
			r.Conditions = append(r.Conditions, load.Condition{Type: cd.Type, Status: cd.Status, Reason: cd.Reason, Message: cd.Message, LastTransition: get(cd.LastTransition)})
		}
	}
	return r
}
