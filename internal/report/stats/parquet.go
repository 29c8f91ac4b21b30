package stats

import (
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// pqGroup is a row of `stats -o parquet`: one per workload (or per group
// with --group-by), for DuckDB or a notebook.
type pqGroup struct {
	Cluster           string   `parquet:"cluster,dict"`
	Namespace         string   `parquet:"namespace,dict"`
	Kind              string   `parquet:"kind,dict"`
	Name              string   `parquet:"name"`
	Rollouts          int64    `parquet:"rollouts"`
	Complete          int64    `parquet:"complete"`
	Failed            int64    `parquet:"failed"`
	Superseded        int64    `parquet:"superseded"`
	InProgress        int64    `parquet:"in_progress"`
	Rollbacks         int64    `parquet:"rollbacks"`
	DurationP50       *float64 `parquet:"duration_p50_seconds,optional"`
	DurationP90       *float64 `parquet:"duration_p90_seconds,optional"`
	DurationP99       *float64 `parquet:"duration_p99_seconds,optional"`
	DurationMax       *float64 `parquet:"duration_max_seconds,optional"`
	SchedulingWaitP50 *float64 `parquet:"scheduling_wait_p50_seconds,optional"`
	ImagePullP50      *float64 `parquet:"image_pull_p50_seconds,optional"`
	ContainerStartP50 *float64 `parquet:"container_start_p50_seconds,optional"`
	ReadinessP50      *float64 `parquet:"readiness_p50_seconds,optional"`
	PodRestarts       int64    `parquet:"pod_restarts"`
	FailureReasons    string   `parquet:"failure_reasons"`
	FirstRollout      *int64   `parquet:"first_rollout,optional,timestamp(nanosecond)"`
	LastRollout       *int64   `parquet:"last_rollout,optional,timestamp(nanosecond)"`
	RolloutsPerDay    *float64 `parquet:"rollouts_per_day,optional"`
	ChangeFailureRate *float64 `parquet:"change_failure_rate,optional"`
	TimeToRestoreP50  *float64 `parquet:"time_to_restore_p50_seconds,optional"`
}

// WriteParquet writes the groups (the workloads, or the --group-by roll-up)
// as one Parquet file.
func WriteParquet(w io.Writer, groups []*Group) error {
	rows := make([]pqGroup, 0, len(groups))
	for _, g := range groups {
		var reasons []string
		for k, v := range g.FailureReasons {
			reasons = append(reasons, k+"="+itoa(v))
		}
		sortStrings(reasons)
		row := pqGroup{Cluster: g.Cluster, Namespace: g.Namespace, Kind: g.Kind, Name: g.Name,
			Rollouts: int64(g.Rollouts), Complete: int64(g.Complete), Failed: int64(g.Failed), Superseded: int64(g.Superseded),
			InProgress: int64(g.InProgress), Rollbacks: int64(g.Rollbacks), DurationP50: g.DurationP50, DurationP90: g.DurationP90,
			DurationP99: g.DurationP99, DurationMax: g.DurationMax, SchedulingWaitP50: g.SchedulingWaitP50, ImagePullP50: g.ImagePullP50,
			ContainerStartP50: g.ContainerStartP50, ReadinessP50: g.ReadinessP50, PodRestarts: int64(g.PodRestarts),
			FailureReasons: strings.Join(reasons, ","), RolloutsPerDay: g.RolloutsPerDay, ChangeFailureRate: g.ChangeFailureRate,
			TimeToRestoreP50: g.TimeToRestoreP50}
		if g.FirstRollout != nil {
			v := g.FirstRollout.UnixNano()
			row.FirstRollout = &v
		}
		if g.LastRollout != nil {
			v := g.LastRollout.UnixNano()
			row.LastRollout = &v
		}
		rows = append(rows, row)
	}
	pw := parquet.NewGenericWriter[pqGroup](w, parquet.Compression(&parquet.Zstd), parquet.CreatedBy("evanalyze", "1", ""))
	if _, err := pw.Write(rows); err != nil {
		return err
	}
	return pw.Close()
}

func itoa(n int) string { return strconv.Itoa(n) }

func sortStrings(s []string) { slices.Sort(s) }
