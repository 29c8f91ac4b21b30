package correlate

import (
	"strconv"
	"strings"
)

// combinedPrefix is what client-go's event aggregator
// (tools/record/events_cache.go, EventAggregatorByReasonMessageFunc) puts in
// front of a message when it folds similar events into one.
const combinedPrefix = "(combined from similar events): "

// ScaleStep is one ReplicaSet scale step of a Deployment.
type ScaleStep struct {
	ReplicaSet string
	From       int // -1 when the message does not say
	To         int
	Up         bool
}

// ParseScaling parses a ScalingReplicaSet message of the deployment
// controller (pkg/controller/deployment/sync.go, scaleReplicaSet):
//
//	Scaled up replica set web-6ff6db9c5f from 0 to 1     (v1.29+)
//	Scaled down replica set web-7bdb597cf4 from 3 to 2
//	Scaled up replica set web-6ff6db9c5f to 3            (before v1.29)
//
// with or without the aggregator's "(combined from similar events): ".
func ParseScaling(msg string) (ScaleStep, bool) {
	msg = strings.TrimPrefix(msg, combinedPrefix)
	var s ScaleStep
	switch {
	case strings.HasPrefix(msg, "Scaled up replica set "):
		s.Up = true
		msg = msg[len("Scaled up replica set "):]
	case strings.HasPrefix(msg, "Scaled down replica set "):
		msg = msg[len("Scaled down replica set "):]
	default:
		return s, false
	}
	name, rest, ok := strings.Cut(msg, " ")
	if !ok || name == "" {
		return s, false
	}
	s.ReplicaSet, s.From = name, -1
	if from, ok := strings.CutPrefix(rest, "from "); ok {
		a, b, ok := strings.Cut(from, " to ")
		n, err1 := strconv.Atoi(a)
		m, err2 := strconv.Atoi(strings.TrimSpace(b))
		if !ok || err1 != nil || err2 != nil {
			return s, false
		}
		s.From, s.To = n, m
		return s, true
	}
	if to, ok := strings.CutPrefix(rest, "to "); ok {
		// Some versions append " from N" after "to M".
		to, from, hasFrom := strings.Cut(to, " from ")
		m, err := strconv.Atoi(strings.TrimSpace(to))
		if err != nil {
			return s, false
		}
		s.To = m
		if hasFrom {
			if n, err := strconv.Atoi(strings.TrimSpace(from)); err == nil {
				s.From = n
			}
		}
		return s, true
	}
	return s, false
}

// ParsePodRef parses the ReplicaSet and Job controllers' messages
// (pkg/controller/controller_utils.go, CreatePods / DeletePod):
// "Created pod: web-6ff6db9c5f-dzgm9", "Deleted pod: ...".
func ParsePodRef(msg string) (pod string, created, ok bool) {
	msg = strings.TrimPrefix(msg, combinedPrefix)
	if p, ok := strings.CutPrefix(msg, "Created pod: "); ok {
		return strings.TrimSpace(p), true, true
	}
	if p, ok := strings.CutPrefix(msg, "Deleted pod: "); ok {
		return strings.TrimSpace(p), false, true
	}
	return "", false, false
}

// ParseScheduled returns the node of the scheduler's Scheduled message
// (pkg/scheduler/schedule_one.go): "Successfully assigned ns/pod to node".
func ParseScheduled(msg string) (node string, ok bool) {
	i := strings.LastIndex(msg, " to ")
	if !strings.HasPrefix(msg, "Successfully assigned ") || i < 0 {
		return "", false
	}
	return strings.TrimSpace(msg[i+4:]), true
}

// FailureSignal classifies a pod or workload event as a failure signal and
// names it; ok is false for events that are not failures. It goes by the
// reason (and message), not the type: kwok's simulated kubelet, for one,
// reports BackOff as Normal.
func FailureSignal(reason, message string) (signal string, ok bool) {
	switch reason {
	case "BackOff":
		if strings.Contains(message, "pulling image") {
			return "ImagePullBackOff", true
		}
		return "CrashLoopBackOff", true
	case "Failed":
		switch {
		case strings.Contains(message, "pull"):
			return "ErrImagePull", true
		case strings.Contains(message, "Error: "):
			return "CreateContainerError", true
		}
		return "Failed", true
	case "FailedScheduling":
		return "Unschedulable", true
	case "FailedMount", "FailedAttachVolume":
		return "FailedMount", true
	case "FailedCreatePodSandBox", "FailedCreatePodContainer":
		return reason, true
	case "OOMKilling":
		return "OOMKilled", true
	case "Evicted", "Preempted":
		return reason, true
	case "Unhealthy":
		// Readiness or liveness probe failures: a pod that never becomes
		// ready stalls its rollout.
		return "Unhealthy", true
	case "InspectFailed", "ErrImageNeverPull":
		return "ErrImagePull", true
	case "FailedCreate":
		return "FailedCreate", true
	}
	return "", false
}

// replicaSetOf reports whether rs is named like a ReplicaSet of deployment
// dep: "<deployment>-<pod-template-hash>", the hash being a safe-encoded
// number (k8s.io/apimachinery/pkg/util/rand.SafeEncodeString: consonants and
// digits without vowels), so "api-gateway-5d4f8" is not api's.
func replicaSetOf(rs, dep string) bool {
	hash, ok := strings.CutPrefix(rs, dep+"-")
	return ok && isHash(hash)
}

func isHash(s string) bool {
	if len(s) < 1 || len(s) > 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}
