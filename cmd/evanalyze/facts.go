package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

// facts is what flags naming things in the data (--cluster, --node,
// --workload NAME) and relative times are checked against, collected over
// the archives LoadEach gives one after another.
type facts struct {
	span     bool   // collect first and last
	nodes    bool   // collect nodes
	workload string // collect the kinds of workloads with this name
	ns       string // ... in this namespace ("" any)

	first, last time.Time
	clusters    map[string]bool
	nodeSet     map[string]bool
	kinds       map[string]bool
	records     bool // anything read: events or audit requests
}

func (f *facts) add(a *archive.Archive, rollouts []correlate.Rollout) {
	if f.clusters == nil {
		f.clusters, f.nodeSet, f.kinds = map[string]bool{}, map[string]bool{}, map[string]bool{}
	}
	if a.Totals.Events > 0 || a.Totals.Audit.Records > 0 || a.Changes.NumRows() > 0 {
		f.records = true
	}
	for _, p := range a.Parts {
		if p.Events.NumRows() > 0 {
			f.clusters[strings.Clone(load.ClusterOrDefault(p.First.Cluster))] = true
		}
	}
	for i := 0; i < int(a.Changes.NumRows()); i++ {
		f.clusters[strings.Clone(load.ClusterOrDefault(load.ChangeString(a.Changes, load.CCluster, i)))] = true
	}
	if f.span {
		first, last := archiveSpan(a)
		if !first.IsZero() && (f.first.IsZero() || first.Before(f.first)) {
			f.first = first
		}
		if last.After(f.last) {
			f.last = last
		}
	}
	if !f.nodes && f.workload == "" {
		return
	}
	for _, p := range a.Parts {
		v := load.NewView(p.Events)
		for i := 0; i < v.Len(); i++ {
			kind := v.Str(load.ColObjectKind, i)
			if f.nodes {
				if kind == "Node" {
					f.nodeSet[strings.Clone(v.Str(load.ColObjectName, i))] = true
				}
				if n := v.Str(load.ColReportingInstance, i); n != "" && v.Str(load.ColReportingController, i) == "kubelet" {
					f.nodeSet[strings.Clone(n)] = true
				}
			}
			if f.workload != "" && v.Str(load.ColObjectName, i) == f.workload && (f.ns == "" || v.Str(load.ColObjectNamespace, i) == f.ns) {
				if _, ok := workloadKinds[strings.ToLower(kind)]; ok {
					f.kinds[strings.Clone(kind)] = true
				}
			}
		}
	}
	for i := 0; i < int(a.Changes.NumRows()); i++ {
		if f.workload != "" && load.ChangeString(a.Changes, load.CName, i) == f.workload &&
			(f.ns == "" || load.ChangeString(a.Changes, load.CNamespace, i) == f.ns) {
			if k := load.ChangeString(a.Changes, load.CKind, i); workloadKinds[strings.ToLower(k)] != "" {
				f.kinds[strings.Clone(k)] = true
			}
		}
	}
	for _, r := range rollouts {
		if f.workload != "" && r.Name == f.workload && (f.ns == "" || r.Namespace == f.ns) {
			f.kinds[r.Kind] = true
		}
		for _, p := range r.Pods {
			if f.nodes && p.Node != "" {
				f.nodeSet[p.Node] = true
			}
		}
	}
}

// sorted returns the keys in order.
func sorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, textsafe.Sanitize(k))
	}
	slices.Sort(out)
	return out
}

// checkCluster refuses a --cluster that names no cluster of the inputs.
func (f *facts) checkCluster(cluster string) error {
	if cluster == "" || f.clusters[cluster] || !f.records {
		return nil
	}
	return usagef("--cluster %q: no such cluster in the inputs (clusters: %s); to name the cluster of inputs without a cluster=NAME path segment, use --cluster-name",
		cluster, strings.Join(sorted(f.clusters), ", "))
}

// checkNode refuses a --node that no record names.
func (f *facts) checkNode(node string) error {
	if node == "" || f.nodeSet[node] || !f.records {
		return nil
	}
	known := sorted(f.nodeSet)
	list := strings.Join(known, ", ")
	if len(known) > 20 {
		list = strings.Join(known[:20], ", ") + fmt.Sprintf(", and %d more", len(known)-20)
	}
	if len(known) == 0 {
		list = "none"
	}
	return usagef("--node %q: no record names that node (nodes: %s)", node, list)
}
