package svgtext

import "testing"

func TestFit(t *testing.T) {
	for _, c := range []struct {
		in   string
		room float64
		want string
	}{
		{"deployment/web", 200, "deployment/web"},
		{"openshift-monitoring/deployment/kube-state-metrics #1", 20 * CharWidth, "openshift…metrics #1"},
		{"abc", 1, "…"},
		{"ünïcödé-ünïcödé", 5 * CharWidth, "ün…dé"},
	} {
		if got := Fit(c.in, c.room); got != c.want {
			t.Errorf("Fit(%q, %v) = %q, want %q", c.in, c.room, got, c.want)
		}
	}
}

func TestFitKeep(t *testing.T) {
	s := "openshift-monitoring/deployment/openshift-state-metrics #1"
	if got, want := FitKeep(s, len("/deployment/openshift-state-metrics #1"), 46.5*CharWidth), "openshi"+"…"+"/deployment/openshift-state-metrics #1"; got != want {
		t.Errorf("FitKeep = %q, want %q", got, want)
	}
	if got := FitKeep(s, len(s)-1, 20*CharWidth); got != Fit(s, 20*CharWidth) {
		t.Errorf("FitKeep with a tail too long = %q, want Fit's", got)
	}
}
