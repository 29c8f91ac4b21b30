package correlate

import "testing"

func TestParseScaling(t *testing.T) {
	tests := []struct {
		msg  string
		want ScaleStep
		ok   bool
	}{
		{"Scaled up replica set web-6ff6db9c5f from 0 to 1", ScaleStep{"web-6ff6db9c5f", 0, 1, true}, true},
		{"Scaled down replica set web-7bdb597cf4 from 3 to 2", ScaleStep{"web-7bdb597cf4", 3, 2, false}, true},
		{"(combined from similar events): Scaled down replica set web-6ff6db9c5f from 5 to 3", ScaleStep{"web-6ff6db9c5f", 5, 3, false}, true},
		// Kubernetes before 1.29 (the OpenShift must-gathers): no "from".
		{"Scaled up replica set console-7d9b8 to 3", ScaleStep{"console-7d9b8", -1, 3, true}, true},
		{"Scaled down replica set console-7d9b8 to 0 from 1", ScaleStep{"console-7d9b8", 1, 0, false}, true},
		{"Scaled up replica set", ScaleStep{}, false},
		{"Scaled up replica set x from a to b", ScaleStep{}, false},
		{"Created pod: x", ScaleStep{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseScaling(tt.msg)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("ParseScaling(%q) = %+v, %v; want %+v, %v", tt.msg, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseMessages(t *testing.T) {
	if p, created, ok := ParsePodRef("Created pod: web-6ff6db9c5f-dzgm9"); !ok || !created || p != "web-6ff6db9c5f-dzgm9" {
		t.Errorf("created: %q %v %v", p, created, ok)
	}
	if p, created, ok := ParsePodRef("Deleted pod: web-6ff6db9c5f-dzgm9"); !ok || created || p != "web-6ff6db9c5f-dzgm9" {
		t.Errorf("deleted: %q %v %v", p, created, ok)
	}
	if n, ok := ParseScheduled("Successfully assigned payments/ledger-6689df8dd4-bcxhq to node-3"); !ok || n != "node-3" {
		t.Errorf("scheduled: %q %v", n, ok)
	}
	for _, tt := range []struct{ reason, msg, want string }{
		{"BackOff", `Back-off pulling image "x"`, "ImagePullBackOff"},
		{"BackOff", "Back-off restarting failed container web in pod p_ns(uid)", "CrashLoopBackOff"},
		{"Failed", `Failed to pull image "x": not found`, "ErrImagePull"},
		{"FailedScheduling", "0/3 nodes are available", "Unschedulable"},
		{"OOMKilling", "Memory cgroup out of memory", "OOMKilled"},
		{"Unhealthy", `Readiness probe failed: Get "https://10.130.0.22:8443/health": dial tcp 10.130.0.22:8443: connect: connection refused`, "Unhealthy"},
		{"Pulled", "Successfully pulled image", ""},
	} {
		got, _ := FailureSignal(tt.reason, tt.msg)
		if got != tt.want {
			t.Errorf("FailureSignal(%s, %q) = %q, want %q", tt.reason, tt.msg, got, tt.want)
		}
	}
}

func TestNameRules(t *testing.T) {
	for _, tt := range []struct {
		rs, dep string
		want    bool
	}{
		{"api-5d4f8b9c7", "api", true},
		{"api-gateway-5d4f8b9c7", "api", false},
		{"api-gateway-5d4f8b9c7", "api-gateway", true},
		{"api", "api", false},
	} {
		if got := replicaSetOf(tt.rs, tt.dep); got != tt.want {
			t.Errorf("replicaSetOf(%q, %q) = %v", tt.rs, tt.dep, got)
		}
	}
}
