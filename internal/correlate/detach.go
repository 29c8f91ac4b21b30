package correlate

import "strings"

// The strings correlation reads alias the Arrow buffers of the event and
// changes tables (load.View.Str). Rollouts outlive those tables
// (archive.LoadEach releases each archive after its rollouts are taken;
// the timeline's Builder keeps them), and with Go's allocator a string
// keeps its whole buffer alive: the rollouts of a large archive would hold
// its tables. detach gives each string of a result memory of its own, each
// distinct value once per partition.
func detach(res *partResult) {
	in := interner{}
	for i := range res.rollouts {
		in.rollout(&res.rollouts[i])
	}
	for k := range res.scaling {
		for i := range res.scaling[k] {
			s := &res.scaling[k][i]
			s.Cluster, s.Namespace, s.Kind, s.Name = in.s(s.Cluster), in.s(s.Namespace), in.s(s.Kind), in.s(s.Name)
			s.User, s.Source = in.s(s.User), in.s(s.Source)
		}
	}
}

type interner map[string]string

func (in interner) s(v string) string {
	if v == "" {
		return ""
	}
	if x, ok := in[v]; ok {
		return x
	}
	x := strings.Clone(v)
	in[x] = x
	return x
}

// list copies vs: its backing array may be shared with other rollouts.
func (in interner) list(vs []string) []string {
	if vs == nil {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = in.s(v)
	}
	return out
}

func (in interner) counts(m map[string]int) map[string]int {
	if m == nil {
		return nil
	}
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[in.s(k)] = v
	}
	return out
}

func (in interner) rollout(r *Rollout) {
	r.Cluster, r.Namespace, r.Kind, r.Name = in.s(r.Cluster), in.s(r.Namespace), in.s(r.Kind), in.s(r.Name)
	r.UID, r.Owner, r.Revision, r.NewReplicaSet = in.s(r.UID), in.s(r.Owner), in.s(r.Revision), in.s(r.NewReplicaSet)
	r.OldReplicaSets = in.list(r.OldReplicaSets)
	r.Outcome, r.FailureReason, r.PartialReason = in.s(r.Outcome), in.s(r.FailureReason), in.s(r.PartialReason)
	if t := r.Trigger; t != nil {
		c := *t
		c.User, c.UserAgent, c.AuditID, c.Source = in.s(c.User), in.s(c.UserAgent), in.s(c.AuditID), in.s(c.Source)
		r.Trigger = &c
	}
	r.Changes = in.list(r.Changes)
	r.Warnings = in.counts(r.Warnings)
	if r.Pods != nil {
		pods := make([]Pod, len(r.Pods))
		for i, p := range r.Pods {
			p.Name, p.UID, p.ReplicaSet, p.Node = in.s(p.Name), in.s(p.UID), in.s(p.ReplicaSet), in.s(p.Node)
			p.Warnings = in.counts(p.Warnings)
			pods[i] = p
		}
		r.Pods = pods
	}
	if r.Steps != nil {
		steps := make([]Step, len(r.Steps))
		for i, s := range r.Steps {
			s.ReplicaSet, s.Source = in.s(s.ReplicaSet), in.s(s.Source)
			steps[i] = s
		}
		r.Steps = steps
	}
	if c := r.CriticalPath; c != nil {
		// Its own (criticalPath builds each): only the pod names alias
		// the tables; the other strings were built for it.
		for i := range c.Steps {
			c.Steps[i].Pod = in.s(c.Steps[i].Pod)
		}
	}
	r.Sources = in.list(r.Sources)
	if r.Evidence != nil {
		ev := make([]Evidence, len(r.Evidence))
		for i, e := range r.Evidence {
			e.ReplicaSet = in.s(e.ReplicaSet)
			ev[i] = e
		}
		r.Evidence = ev
	}
}
