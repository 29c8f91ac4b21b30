// Package correlate reconstructs rollouts from the event table and, when
// audit logs were loaded, the changes table: which template change started
// each rollout, who made it, which ReplicaSet and pods carried it out, how
// long each phase took and how it ended. docs/rollouts.md states the rules.
//
// One partition (a namespace of a cluster; load.Partition) is correlated at
// a time, each on its own worker, and the results are joined in one order
// (correlate.go). The stages, a file each: the index of what is known about
// workloads, ReplicaSets and pods (index.go); reading the event table
// (events.go) and the changes table (changes.go); the Deployment machine
// (deployment.go); StatefulSets and DaemonSets, whose pods are replaced in
// place (inplace.go); Job runs (jobs.go); outcome, end and phases
// (outcome.go); the rows each rollout rests on (evidence.go) and its
// interval (interval.go); the controllers' messages (messages.go).
//
// Memory: the index of one partition and its rollouts; the event and
// changes tables are read in place, never copied.
package correlate

import "time"

// Outcomes of a rollout.
const (
	OutcomeComplete   = "complete"
	OutcomeFailed     = "failed"
	OutcomeSuperseded = "superseded"
	OutcomeInProgress = "in-progress"
)

// Rollout is one change of a workload's pod template and what the cluster
// did to carry it out. Times are UTC; nil when unknown.
type Rollout struct {
	Cluster        string   `json:"cluster"`
	Namespace      string   `json:"namespace"`
	Kind           string   `json:"kind"`
	Name           string   `json:"name"`
	UID            string   `json:"uid,omitempty"`
	Owner          string   `json:"owner,omitempty"` // the CronJob of a Job run
	Revision       string   `json:"revision,omitempty"`
	Seq            int      `json:"seq"`
	NewReplicaSet  string   `json:"new_replicaset,omitempty"`
	OldReplicaSets []string `json:"old_replicasets"`
	Rollback       bool     `json:"rollback"`
	Partial        bool     `json:"partial"`
	// PartialReason says what the archive does not show of a partial
	// rollout (its start before the archive, scale steps or pods the
	// events do not name).
	PartialReason   string     `json:"partial_reason,omitempty"`
	Start           time.Time  `json:"start"`
	End             *time.Time `json:"end"`
	DurationSeconds *float64   `json:"duration_seconds"`
	Outcome         string     `json:"outcome"`
	FailureReason   string     `json:"failure_reason,omitempty"`
	Trigger         *Trigger   `json:"trigger"`
	Changes         []string   `json:"changes"`
	Replicas        int        `json:"replicas"`
	Pods            []Pod      `json:"pods"`
	Phases          Phases     `json:"phases"`
	// CriticalPath is the chain of waits the rollout's duration is made
	// of (critical.go); nil for a rollout without an end.
	CriticalPath *CriticalPath  `json:"critical_path"`
	Warnings     map[string]int `json:"warnings"`
	Steps        []Step         `json:"steps"`
	// Sources are file:line of the records a rollout without scale steps
	// (StatefulSets, DaemonSets, Jobs) was found from.
	Sources []string `json:"sources,omitempty"`
	// Evidence are the rows of the event table that tell of the rollout,
	// sorted by time, then row; not written in its JSON.
	Evidence []Evidence `json:"-"`
}

// Trigger is the write that started a rollout, from audit logs.
type Trigger struct {
	User      string    `json:"user"`
	UserAgent string    `json:"user_agent,omitempty"`
	At        time.Time `json:"at"`
	AuditID   string    `json:"audit_id,omitempty"`
	Source    string    `json:"source,omitempty"` // file:line of the audit record
}

// Pod is a pod created for a rollout.
type Pod struct {
	Name       string         `json:"name"`
	UID        string         `json:"uid,omitempty"`
	ReplicaSet string         `json:"replicaset,omitempty"`
	Node       string         `json:"node,omitempty"`
	Created    *time.Time     `json:"created"`
	Scheduled  *time.Time     `json:"scheduled"`
	Pulling    *time.Time     `json:"pulling"`
	Pulled     *time.Time     `json:"pulled"`
	Started    *time.Time     `json:"started"`
	Ready      *time.Time     `json:"ready"`
	Deleted    *time.Time     `json:"deleted"`
	Restarts   int            `json:"restarts"`
	Warnings   map[string]int `json:"warnings"`
}

// Phases are the slowest pod's phase durations in seconds (nil when no pod
// shows the phase): scheduling wait (created → scheduled), image pull
// (pulling → pulled), container start (pulled → started) and readiness
// (started → ready).
type Phases struct {
	SchedulingWait *float64 `json:"scheduling_wait_seconds"`
	ImagePull      *float64 `json:"image_pull_seconds"`
	ContainerStart *float64 `json:"container_start_seconds"`
	Readiness      *float64 `json:"readiness_seconds"`
}

// Step is a ReplicaSet scale step within a rollout.
type Step struct {
	At         time.Time `json:"at"`
	ReplicaSet string    `json:"replicaset"`
	From       int       `json:"from"`
	To         int       `json:"to"`
	Source     string    `json:"source,omitempty"` // file:line of the event
}

// Scaling is a scale-only change of a workload: not a rollout.
type Scaling struct {
	Cluster   string    `json:"cluster"`
	Namespace string    `json:"namespace"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	At        time.Time `json:"at"`
	From      int       `json:"from"`
	To        int       `json:"to"`
	User      string    `json:"user,omitempty"`
	Source    string    `json:"source,omitempty"` // file:line of the event
}

// Result is what Correlate found.
type Result struct {
	Rollouts []Rollout
	Scaling  []Scaling
}
