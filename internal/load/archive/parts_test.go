package archive

import (
	"strings"
	"testing"
)

func TestPartChanges(t *testing.T) {
	base := strings.Join([]string{
		"metadata.annotations.checksum/config=0b1e7c0d2f7a4e51c8d49a1a6e0f3b2c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",
		"metadata.labels.app=web",
		"spec.containers.web=1f2e",
		"spec.dnsPolicy=aa01",
	}, "\n")
	for _, tc := range []struct {
		name  string
		b     string
		named map[string]bool
		want  string
	}{
		{"restart", base + "\nmetadata.annotations.kubectl.kubernetes.io/restartedAt=2026-12-03T14:00:00Z", nil,
			"restart (kubectl rollout restart)"},
		{"checksum", strings.Replace(base, "0b1e7c0d2f7a", "99887766554433", 1), nil,
			"annotation checksum/config: 0b1e7c0d2f7a… → 998877665544…"},
		{"label and path", strings.NewReplacer("app=web", "app=web2", "dnsPolicy=aa01", "dnsPolicy=bb02").Replace(base) + "\nspec.affinity=77", nil,
			"label app: web → web2; pod template changed: spec.affinity, spec.dnsPolicy"},
		{"named container", strings.Replace(base, "web=1f2e", "web=3a4b", 1), map[string]bool{"spec.containers.web": true}, ""},
		{"unnamed container", strings.Replace(base, "web=1f2e", "web=3a4b", 1), nil, "pod template changed: spec.containers.web"},
		{"removed", strings.Replace(base, "metadata.labels.app=web\n", "", 1), nil, "label app removed (web)"},
		{"unknown side", "", nil, ""},
	} {
		if got := strings.Join(partChanges(base, tc.b, tc.named), "; "); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
