package htmltest

import (
	"strings"
	"testing"
)

// Problems finds overlapping labels, a label under a bar, a label cut by
// its chart's edge and a chart wider than the window; labels that touch
// are fine.
func TestProblems(t *testing.T) {
	box := func(svg, text string, x, y, w, h float64) Box {
		return Box{SVG: svg, Text: text, X: x, Y: y, W: w, H: h}
	}
	l := Layout{
		Charts:   map[string][4]float64{"a": {0, 0, 100, 100}, "b": {0, 200, 1400, 50}},
		Viewport: 1300,
		Labels: []Box{
			box("a", "one", 0, 0, 50, 10), box("a", "two", 40, 5, 30, 10), // overlap
			box("a", "three", 0, 10, 30, 10), // touches one: fine
			box("a", "four", 80, 50, 30, 10), // cut at x=100
			box("a", "five", 0, 70, 40, 10),  // under a bar
			box("b", "six", 45, 200, 10, 10), // another chart: does not overlap one
		},
		Shapes: []Box{box("a", "rect.bar", 30, 72, 50, 6)},
	}
	got := strings.Join(l.Problems(), "\n")
	for _, want := range []string{`"one" and "two" overlap`, `"four" at 80,50 30×10 is cut`, `"five" runs under a rect.bar`, "chart b ends at x=1400"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "three") || strings.Contains(got, "six") {
		t.Errorf("false positive in\n%s", got)
	}
}
