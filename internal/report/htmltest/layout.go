package htmltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/evanalyze/evanalyze/internal/report/csp"
)

// Box is where Chromium laid out one label (an SVG <text>) of a page, in
// CSS pixels of the page.
type Box struct {
	SVG        string  `json:"svg"` // the id of the chart it is in
	Text       string  `json:"text"`
	X, Y, W, H float64 `json:"-"`
	B          [4]float64
}

// Layout is what Measure found: the labels of every chart, each chart's
// box, and the viewport's width.
type Layout struct {
	Labels   []Box
	Shapes   []Box                 // the charts' rectangles (bars), which no label may run under
	Charts   map[string][4]float64 // id -> x, y, w, h
	IDs      map[string][4]float64 // every element with an id: x, y, w, h
	Viewport float64
	Scroll   float64 // the page's width: wider than Viewport, it scrolls sideways
	Page     Page
}

// measureScript runs after the page's own script (and before, which may
// click the page's controls, e.g. to expand every row) and writes the
// boxes of the charts and their labels into a <pre id="htmltest-layout">.
const measureScript = `
(function () {
  var out = {labels: [], shapes: [], charts: {}, ids: {}, viewport: document.documentElement.clientWidth, scrollWidth: document.documentElement.scrollWidth};
  var els = document.querySelectorAll("[id]");
  for (var k = 0; k < els.length; k++) {
    var e = els[k].getBoundingClientRect();
    out.ids[els[k].id] = [e.left + scrollX, e.top + scrollY, e.width, e.height];
  }
  var svgs = document.querySelectorAll("svg");
  for (var i = 0; i < svgs.length; i++) {
    var s = svgs[i], r = s.getBoundingClientRect(), id = s.id || ("svg" + i);
    out.charts[id] = [r.left + scrollX, r.top + scrollY, r.width, r.height];
    var rs = s.querySelectorAll("rect");
    for (var q = 0; q < rs.length; q++) {
      var c = rs[q].getBoundingClientRect();
      if (c.width === 0 || c.height === 0) continue;
      out.shapes.push({svg: id, text: "rect." + rs[q].getAttribute("class"), B: [c.left + scrollX, c.top + scrollY, c.width, c.height]});
    }
    var ts = s.querySelectorAll("text");
    for (var j = 0; j < ts.length; j++) {
      var b = ts[j].getBoundingClientRect();
      if (b.width === 0 || b.height === 0) continue;
      out.labels.push({svg: id, text: ts[j].textContent, B: [b.left + scrollX, b.top + scrollY, b.width, b.height]});
    }
  }
  var pre = document.createElement("pre");
  pre.id = "htmltest-layout";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
`

var layoutRe = regexp.MustCompile(`(?s)<pre id="htmltest-layout">(.*?)</pre>`)

// Measure renders page in Chromium with a window of width × height after
// running before (JavaScript; may be empty) and returns where its labels
// are. The measuring script is added to the page with its hash in the
// page's policy, as the page's own script is: nothing else is allowed.
func Measure(t testing.TB, page []byte, width, height int, before string) Layout {
	t.Helper()
	bin := Chromium(t)
	script := "\n(function () {" + before + "})();\n" + measureScript
	m := cspMeta.FindSubmatchIndex(page)
	if m == nil {
		t.Fatal("no Content-Security-Policy meta element")
	}
	policy := string(page[m[2]:m[3]])
	policy = strings.Replace(policy, "script-src ", "script-src "+csp.Hash(script)+" ", 1)
	var b bytes.Buffer
	b.Write(page[:m[2]])
	b.WriteString(policy)
	b.Write(page[m[3]:])
	withScript := bytes.Replace(b.Bytes(), []byte("</body>"), []byte("<script>"+script+"</script>\n</body>"), 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "page.html")
	if err := os.WriteFile(path, withScript, 0o644); err != nil {
		t.Fatal(err)
	}
	dom, logs := run(t, bin, fmt.Sprintf("--window-size=%d,%d", width, height), "--dump-dom", "file://"+path)
	var l Layout
	l.Page.DOM = dom
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") {
			l.Page.Console = append(l.Page.Console, line)
		}
	}
	j := layoutRe.FindStringSubmatch(dom)
	if j == nil {
		t.Fatalf("the measuring script did not run; console: %v", l.Page.Console)
	}
	var raw struct {
		Labels   []Box                 `json:"labels"`
		Shapes   []Box                 `json:"shapes"`
		Charts   map[string][4]float64 `json:"charts"`
		IDs      map[string][4]float64 `json:"ids"`
		Viewport float64               `json:"viewport"`
		Scroll   float64               `json:"scrollWidth"`
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(j[1])), &raw); err != nil {
		t.Fatal(err)
	}
	for _, bs := range [][]Box{raw.Labels, raw.Shapes} {
		for i := range bs {
			x := &bs[i]
			x.X, x.Y, x.W, x.H = x.B[0], x.B[1], x.B[2], x.B[3]
		}
	}
	l.Shapes = raw.Shapes
	l.Labels, l.Charts, l.IDs, l.Viewport, l.Scroll = raw.Labels, raw.Charts, raw.IDs, raw.Viewport, raw.Scroll
	return l
}

// Problems lists labels that overlap another label or a bar of their chart
// (by more than half a pixel each way), that stick out of their chart (cut at its
// edge), charts wider than the viewport and a page that scrolls sideways.
func (l Layout) Problems() []string {
	var out []string
	const eps = 0.5
	if l.Scroll > l.Viewport+eps {
		out = append(out, fmt.Sprintf("the page is %.0f wide, past the window's %.0f: it scrolls sideways", l.Scroll, l.Viewport))
	}
	for id, c := range l.Charts {
		if c[0]+c[2] > l.Viewport+eps {
			out = append(out, fmt.Sprintf("chart %s ends at x=%.0f, past the window's %.0f", id, c[0]+c[2], l.Viewport))
		}
	}
	byChart := map[string][]Box{}
	for _, b := range l.Labels {
		byChart[b.SVG] = append(byChart[b.SVG], b)
		c := l.Charts[b.SVG]
		if b.X < c[0]-eps || b.Y < c[1]-eps || b.X+b.W > c[0]+c[2]+eps || b.Y+b.H > c[1]+c[3]+eps {
			out = append(out, fmt.Sprintf("%s: label %q at %.0f,%.0f %.0f×%.0f is cut by the chart's edge (%.0f,%.0f %.0f×%.0f)",
				b.SVG, b.Text, b.X, b.Y, b.W, b.H, c[0], c[1], c[2], c[3]))
		}
	}
	shapes := map[string][]Box{}
	for _, b := range l.Shapes {
		shapes[b.SVG] = append(shapes[b.SVG], b)
	}
	overlap := func(a, b Box) bool {
		return min(a.X+a.W, b.X+b.W)-max(a.X, b.X) > eps && min(a.Y+a.H, b.Y+b.H)-max(a.Y, b.Y) > eps
	}
	for id, bs := range byChart {
		for _, a := range bs {
			for _, r := range shapes[id] {
				if overlap(a, r) {
					out = append(out, fmt.Sprintf("%s: label %q runs under a %s at %.0f,%.0f", id, a.Text, r.Text, r.X, r.Y))
					break
				}
			}
		}
		for i := range bs {
			for j := i + 1; j < len(bs); j++ {
				a, b := bs[i], bs[j]
				if overlap(a, b) {
					out = append(out, fmt.Sprintf("%s: labels %q and %q overlap", id, a.Text, b.Text))
				}
			}
		}
	}
	return out
}
