package correlate

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// The Deployment machine: scale steps into rollouts.

// deployment reconstructs the rollouts of one Deployment from its scale
// steps, refined by the audit log.
func (ix *index) deployment(d *depInfo) ([]Rollout, []Scaling) {
	slices.SortStableFunc(d.steps, func(a, b step) int {
		return cmp.Or(cmp.Compare(a.at, b.at), strings.Compare(a.ReplicaSet, b.ReplicaSet))
	})
	var (
		rollouts []*Rollout
		scaling  []Scaling
		cur      *Rollout
		curDone  int64 // when cur's scale steps completed; 0 while not
		replicas = map[string]int{}
		zeroAt   = map[string]int64{} // when a ReplicaSet was last scaled to 0
		hadPods  = map[string]bool{}  // ReplicaSets scaled above 0 before
		seen     = map[string]bool{}  // ReplicaSets that were a rollout's new one
		desired  = -1
		usedW    = 0 // writes consumed as triggers
	)
	objUID := ""
	start := func(rs string, at int64) {
		uid := objUID
		if uid == "" {
			uid = d.uid
		}
		r := &Rollout{
			Cluster: d.key.cluster, Namespace: d.key.namespace, Kind: "Deployment", Name: d.key.name, UID: uid,
			Seq: len(rollouts) + 1, NewReplicaSet: rs, Rollback: seen[rs], Start: time.Unix(0, at).UTC(),
			Warnings: map[string]int{}, OldReplicaSets: []string{}, Changes: []string{}, Pods: []Pod{}, Steps: []Step{},
		}
		for name, n := range replicas {
			// Those with pods, and those the same sync scaled away
			// (seconds only: their order within it is not known).
			if name != rs && (n > 0 || zeroAt[name] >= at-int64(time.Second)) {
				r.OldReplicaSets = append(r.OldReplicaSets, name)
			}
		}
		slices.Sort(r.OldReplicaSets)
		seen[rs] = true
		rollouts = append(rollouts, r)
		cur, curDone = r, 0
		// The trigger: the last spec change (or resume) before the
		// controller acted, and every spec change since the previous one.
		ws := ix.writes[d.key]
		for usedW < len(ws) && ws[usedW].at <= at+int64(2*time.Second) {
			w := ws[usedW]
			usedW++
			if w.specChanged && w.change != "" {
				r.Changes = append(r.Changes, w.change)
			}
			if w.trigger {
				r.Trigger = &Trigger{User: w.user, UserAgent: w.agent, At: time.Unix(0, w.at).UTC(), AuditID: w.auditID, Source: w.source}
			}
			if strings.Contains(w.change, "rollback to the template") {
				r.Rollback = true
			}
		}
	}
	// scaled records step s (from: its count before) as a scale-only change.
	scaled := func(s step, from int) {
		scaling = append(scaling, Scaling{Cluster: d.key.cluster, Namespace: d.key.namespace, Kind: "Deployment", Name: d.key.name,
			At: time.Unix(0, s.at).UTC(), From: from, To: s.To, User: ix.scaleUser(d.key, s.at), Source: s.source})
	}
	scaledAfter := map[*Rollout]int64{} // the first scale-only step after a rollout's steps completed
	// lead is a scale-down of the complete ReplicaSet that comes before
	// the next rollout's first scale-up: strategy Recreate (down to 0,
	// then up) or RollingUpdate with maxSurge 0 (down by maxUnavailable,
	// then up). That rollout starts with it.
	var lead *step
	leadFrom := 0
	established := "" // the ReplicaSet scaled before any rollout (the archive started after its own)
	for i, s := range d.steps {
		if s.uid != "" {
			if objUID != "" && s.uid != objUID {
				// The Deployment was deleted and created again with this
				// name: a new object, with its own ReplicaSets.
				cur, curDone, desired, established = nil, 0, -1, ""
				clear(replicas)
				clear(seen)
				clear(hadPods)
			}
			objUID = s.uid
		}
		if s.delta != 0 {
			// Inferred from pod creates or deletes (gapSteps).
			s.From, s.To = replicas[s.ReplicaSet], max(0, replicas[s.ReplicaSet]+s.delta)
			d.steps[i] = s
		}
		from := s.From
		if from < 0 {
			from = replicas[s.ReplicaSet]
		}
		reused := from == 0 && hadPods[s.ReplicaSet] // scaled up from 0 a second time
		replicas[s.ReplicaSet] = s.To
		if s.To > 0 {
			hadPods[s.ReplicaSet] = true
		}
		if s.To == 0 && from > 0 {
			zeroAt[s.ReplicaSet] = s.at
		}
		switch {
		case cur == nil && s.ReplicaSet == established:
			scaled(s, from)
			continue
		case s.Up && cur != nil && curDone == 0 && s.ReplicaSet != cur.NewReplicaSet && from > 0 && ix.proportional(d, i, s):
			// A scale (kubectl scale, an HPA) while a rollout is in
			// flight: the controller scales every ReplicaSet with pods
			// proportionally, old ones up too. The rollout goes on.
			scaled(s, from)
		case s.Up && (cur == nil || s.ReplicaSet != cur.NewReplicaSet):
			if desired < 0 || cur == nil {
				desired = -1
			}
			if cur == nil && len(rollouts) == 0 && from > 0 && !d.otherScaledDownAfter(i, s) {
				// The archive starts after this ReplicaSet's rollout and
				// nothing replaces another one: a scale-only change of the
				// established ReplicaSet.
				established = s.ReplicaSet
				scaled(s, from)
				continue
			}
			at := s.at
			if lead != nil {
				at = lead.at
			}
			start(s.ReplicaSet, at)
			// A ReplicaSet that had pods before, scaled up from 0 again:
			// the template went back to its revision.
			cur.Rollback = cur.Rollback || reused && s.Up
			if len(rollouts) == 1 && (from > 0 || s.From < 0 && len(cur.OldReplicaSets) > 0) {
				// The archive starts within this rollout: the new
				// ReplicaSet already had pods (or, where messages give no
				// "from", older ReplicaSets were being scaled down).
				cur.Partial, cur.PartialReason = true, "began before the archive: its new ReplicaSet already had pods"
			}
			if lead != nil {
				if !slices.Contains(cur.OldReplicaSets, lead.ReplicaSet) {
					cur.OldReplicaSets = append(cur.OldReplicaSets, lead.ReplicaSet)
					slices.Sort(cur.OldReplicaSets)
				}
				cur.Steps = append(cur.Steps, Step{At: time.Unix(0, lead.at).UTC(), ReplicaSet: lead.ReplicaSet, From: leadFrom, To: lead.To, Source: lead.source})
				lead = nil
			}
		case !s.Up && cur != nil && s.ReplicaSet == cur.NewReplicaSet && curDone != 0 && d.nextIsOtherUp(i, s) &&
			(s.To == 0 || d.steps[i+1].at-s.at <= int64(10*time.Second)):
			// Recreate (the complete ReplicaSet goes to 0 first, however
			// long its pods take to stop) or maxSurge 0 (it gives up
			// maxUnavailable pods, and the new one is scaled up at once).
			lead, leadFrom = &d.steps[i], from
			continue
		case cur != nil && s.ReplicaSet == cur.NewReplicaSet && curDone != 0:
			// The new ReplicaSet scaled after the rollout completed: a
			// scale-only change. Pods it creates are not the rollout's.
			if _, ok := scaledAfter[cur]; !ok {
				scaledAfter[cur] = s.at
			}
			scaled(s, from)
			desired = s.To
			continue
		case !s.Up && cur != nil && s.ReplicaSet == cur.NewReplicaSet && s.To == 0 && !d.scaleUpFollows(i, s):
			// The new ReplicaSet is dropped before completing, and no
			// other one is scaled up: the template went back to one an
			// existing ReplicaSet has (a rollback to a ReplicaSet that is
			// still at full scale).
			other, n := "", 0
			for name, c := range replicas {
				if name != s.ReplicaSet && (c > n || c == n && c > 0 && name < other) {
					other, n = name, c
				}
			}
			cur.Steps = append(cur.Steps, Step{At: time.Unix(0, s.at).UTC(), ReplicaSet: s.ReplicaSet, From: from, To: s.To, Source: s.source})
			if other != "" {
				start(other, s.at)
				cur.Rollback = cur.Rollback || seen[other]
				cur.Steps = append(cur.Steps, Step{At: time.Unix(0, s.at).UTC(), ReplicaSet: s.ReplicaSet, From: from, To: s.To, Source: s.source})
			}
		}
		if cur == nil {
			continue
		}
		if s.inferred && !cur.Partial {
			cur.Partial, cur.PartialReason = true, "scale steps inferred from its ReplicaSets' pod creates and deletes: the Deployment's own events were combined or dropped (a snapshot, the recorder's spam filter)"
		}
		if last := len(cur.Steps) - 1; last < 0 || cur.Steps[last].At.UnixNano() != s.at || cur.Steps[last].ReplicaSet != s.ReplicaSet {
			cur.Steps = append(cur.Steps, Step{At: time.Unix(0, s.at).UTC(), ReplicaSet: s.ReplicaSet, From: from, To: s.To, Source: s.source})
		}
		if desired < 0 && len(cur.OldReplicaSets) == 0 && s.Up {
			desired = s.To
		}
		othersZero := true
		for name, c := range replicas {
			if name != cur.NewReplicaSet && c > 0 {
				othersZero = false
			}
		}
		target := desired
		if target < 0 {
			target = 1
		}
		if curDone == 0 && othersZero && replicas[cur.NewReplicaSet] >= target {
			curDone = s.at
			cur.Replicas = replicas[cur.NewReplicaSet]
			desired = cur.Replicas
			cur.End = ix.tp(curDone) // complete once its pods are up too (see finish)
		}
	}
	out := make([]Rollout, 0, len(rollouts))
	for i, r := range rollouts {
		var next *Rollout
		if i+1 < len(rollouts) {
			next = rollouts[i+1]
		}
		ix.finish(d, r, next, scaledAfter[r])
		out = append(out, *r)
	}
	return out, scaling
}

// proportional reports whether scale-up i of a ReplicaSet that already
// has pods, during a rollout, is the deployment controller's proportional
// scaling after a replicas change (kubectl scale, an HPA writing the scale
// subresource) rather than a return to that ReplicaSet's template: the
// audit log has a replicas-only write just before it, or another
// ReplicaSet that has pods is scaled up in the same sync (a rollback
// scales the other ones down).
func (ix *index) proportional(d *depInfo, i int, s step) bool {
	for _, w := range ix.writes[d.key] {
		if w.at <= s.at+int64(time.Second) && w.at >= s.at-int64(5*time.Second) && !w.specChanged && strings.HasPrefix(w.change, "replicas ") {
			return true
		}
	}
	other := func(n step) bool { return n.Up && n.ReplicaSet != s.ReplicaSet && n.From != 0 }
	for j := i - 1; j >= 0 && d.steps[j].at >= s.at-int64(time.Second); j-- {
		if other(d.steps[j]) {
			return true
		}
	}
	for j := i + 1; j < len(d.steps) && d.steps[j].at <= s.at+int64(time.Second); j++ {
		if other(d.steps[j]) {
			return true
		}
	}
	return false
}

// otherScaledDownAfter reports whether another ReplicaSet is scaled down
// after step i (scale-up s) before a third one is scaled up: s is then part
// of a rollout, not a scale-only change.
func (d *depInfo) otherScaledDownAfter(i int, s step) bool {
	for _, n := range d.steps[i+1:] {
		if n.ReplicaSet == s.ReplicaSet {
			continue
		}
		return !n.Up
	}
	return false
}

// nextIsOtherUp reports whether the step after i scales up another
// ReplicaSet of the same Deployment object.
func (d *depInfo) nextIsOtherUp(i int, s step) bool {
	return i+1 < len(d.steps) && d.steps[i+1].Up && d.steps[i+1].ReplicaSet != s.ReplicaSet && (s.uid == "" || d.steps[i+1].uid == "" || d.steps[i+1].uid == s.uid)
}

// scaleUpFollows reports whether another ReplicaSet is scaled up right
// after step i (the controller drops a superseded new ReplicaSet and scales
// up the next one in the same sync).
func (d *depInfo) scaleUpFollows(i int, s step) bool {
	for _, n := range d.steps[i+1:] {
		if n.at > s.at+int64(2*time.Second) {
			return false
		}
		if n.Up && n.ReplicaSet != s.ReplicaSet {
			return true
		}
	}
	return false
}

// scaleUser finds who scaled a Deployment (a scale-only spec write) just
// before at.
func (ix *index) scaleUser(k objKey, at int64) string {
	user := ""
	for _, w := range ix.writes[k] {
		if w.at <= at+int64(2*time.Second) && strings.HasPrefix(w.change, "replicas ") {
			user = w.user
		}
	}
	return user
}
