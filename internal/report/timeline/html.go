package timeline

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/report/csp"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

// Bar is one row of the Gantt chart: a rollout or one of its pods.
type Bar struct {
	Label    string
	Title    string // tooltip
	Start    float64
	Width    float64
	Y        float64
	Class    string // rollout outcome or pod state
	Indented bool
}

type htmlData struct {
	Title   string
	Window  string
	Summary []string
	Entries []Entry
	Bars    []Bar
	Ticks   []tick
	Width   float64
	Height  float64
}

type tick struct {
	X     float64
	Label string
}

const (
	chartWidth = 1000.0
	labelWidth = 260.0
	rowHeight  = 18.0
)

// WriteHTML writes the timeline as one self-contained HTML page (no
// network): a zoomable Gantt chart of the rollouts and their pods in the
// window above the list of entries. All text goes through html/template,
// so messages, names and users are escaped and never run.
func WriteHTML(w io.Writer, tl *Timeline, rollouts []correlate.Rollout) error {
	from, to := tl.Since, tl.Until
	for _, r := range rollouts {
		start, end := r.Interval()
		if from.IsZero() || start.Before(from) {
			from = start
		}
		if to.IsZero() || end.After(to) {
			to = end
		}
	}
	for _, e := range tl.Entries {
		if from.IsZero() || e.Time.Before(from) {
			from = e.Time
		}
		if to.IsZero() || e.Time.After(to) {
			to = e.Time
		}
	}
	if !to.After(from) {
		to = from.Add(time.Minute)
	}
	span := to.Sub(from).Seconds()
	x := func(t time.Time) float64 {
		v := t.Sub(from).Seconds() / span * chartWidth
		return max(0, min(chartWidth, v))
	}
	d := htmlData{Title: "evanalyze timeline", Window: fmt.Sprintf("%s to %s", from.Format(time.RFC3339), to.Format(time.RFC3339)),
		Summary: tl.Summary, Entries: tl.Entries, Width: labelWidth + chartWidth + 20}
	y := 24.0
	for _, r := range rollouts {
		start, end := r.Interval()
		if end.Before(from) || start.After(to) {
			continue
		}
		d.Bars = append(d.Bars, Bar{Label: fmt.Sprintf("%s/%s/%s #%d", r.Namespace, strings.ToLower(r.Kind), r.Name, r.Seq),
			Title: fmt.Sprintf("%s %s/%s rollout %d: %s (%s → %s)", r.Cluster, r.Namespace, r.Name, r.Seq, r.Outcome, r.Start.Format(time.RFC3339), end.Format(time.RFC3339)),
			Start: labelWidth + x(start), Width: max(2, x(end)-x(start)), Y: y, Class: r.Outcome})
		y += rowHeight
		for _, p := range r.Pods {
			pstart, pend, ok := p.Interval(end)
			if !ok {
				continue
			}
			class := "pod"
			if len(p.Warnings) > 0 {
				class = "pod-failing"
			}
			d.Bars = append(d.Bars, Bar{Label: p.Name, Title: fmt.Sprintf("pod %s on %s", p.Name, p.Node),
				Start: labelWidth + x(pstart), Width: max(2, x(pend)-x(pstart)), Y: y, Class: class, Indented: true})
			y += rowHeight
		}
	}
	d.Height = y + 10
	for i := 0; i <= 10; i++ {
		t := from.Add(time.Duration(float64(to.Sub(from)) * float64(i) / 10))
		d.Ticks = append(d.Ticks, tick{X: labelWidth + x(t), Label: t.Format("15:04:05")})
	}
	// Markup is escaped by html/template; control characters and bidi
	// overrides in names and messages are shown escaped.
	hw := textsafe.NewHTMLWriter(w)
	return errors.Join(page.Execute(hw, d), hw.Flush())
}

var page = template.Must(template.New("timeline").Funcs(template.FuncMap{
	"ts":    func(t time.Time) string { return t.Format("15:04:05.000") },
	"joinS": func(s []string) string { return strings.Join(slices.Clip(s), ", ") },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="` + csp.Policy(timelineScript) + `">
<title>{{.Title}}</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; }
svg { border: 1px solid #ddd; background: #fff; }
.rollout text, .label { font-size: 11px; }
rect.complete { fill: #3a9d5d; } rect.failed { fill: #d0433b; } rect.superseded { fill: #c9a227; }
rect.in-progress { fill: #3c78d8; } rect.pod { fill: #9cc3e6; } rect.pod-failing { fill: #f2a29c; }
line.tick { stroke: #eee; } text.tick { fill: #888; font-size: 10px; }
table { border-collapse: collapse; margin-top: 16px; width: 100%; }
td, th { border-bottom: 1px solid #eee; padding: 2px 6px; text-align: left; vertical-align: top; }
tr.error td { background: #fde8e6; } tr.warning td { background: #fff6db; }
.controls { margin: 8px 0; }
@media print { .controls { display: none; } svg { width: 100%; } }
</style>
</head>
<body>
<h1>Timeline: {{.Window}}</h1>
<ul id="summary">{{range .Summary}}<li>{{.}}</li>{{end}}</ul>
<div class="controls">Zoom: <button id="zin" type="button">+</button> <button id="zout" type="button">−</button> <button id="zreset" type="button">reset</button> (or the mouse wheel over the chart; drag to pan)</div>
<svg id="gantt" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" xmlns="http://www.w3.org/2000/svg">
{{range .Ticks}}<line class="tick" x1="{{.X}}" y1="0" x2="{{.X}}" y2="{{$.Height}}"/><text class="tick" x="{{.X}}" y="12">{{.Label}}</text>{{end}}
{{range .Bars}}<g class="bar"><title>{{.Title}}</title><text class="label" x="{{if .Indented}}16{{else}}4{{end}}" y="{{.Y}}" dy="12">{{.Label}}</text><rect class="{{.Class}}" x="{{.Start}}" y="{{.Y}}" width="{{.Width}}" height="14" rx="2"/></g>
{{end}}</svg>
<table id="entries">
<thead><tr><th>time (UTC)</th><th>kind</th><th>object</th><th>actor</th><th>what</th><th>from</th></tr></thead>
<tbody>
{{range .Entries}}<tr class="{{.Severity}}"><td>{{ts .Time}}</td><td>{{.Kind}}</td><td>{{.Namespace}}/{{.Object}}</td><td>{{.Actor}}</td><td>{{.Summary}}</td><td>{{joinS .Sources}}</td></tr>
{{end}}</tbody>
</table>
<script>` + timelineScript + `</script>
</body>
</html>
`))

// timelineScript is the page's one script, allowed by its hash (package csp): any
// other script in the page does not run.
const timelineScript = `
(function () {
  var svg = document.getElementById("gantt");
  var w = svg.viewBox.baseVal.width, h = svg.viewBox.baseVal.height;
  var vb = {x: 0, w: w};
  function apply() { svg.setAttribute("viewBox", vb.x + " 0 " + vb.w + " " + h); }
  function zoom(f, cx) {
    var nw = Math.max(w / 50, Math.min(w, vb.w * f));
    vb.x = Math.max(0, Math.min(w - nw, cx - (cx - vb.x) * nw / vb.w));
    vb.w = nw; apply();
  }
  document.getElementById("zin").onclick = function () { zoom(0.5, vb.x + vb.w / 2); };
  document.getElementById("zout").onclick = function () { zoom(2, vb.x + vb.w / 2); };
  document.getElementById("zreset").onclick = function () { vb = {x: 0, w: w}; apply(); };
  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    var r = svg.getBoundingClientRect();
    zoom(e.deltaY < 0 ? 0.8 : 1.25, vb.x + (e.clientX - r.left) / r.width * vb.w);
  }, {passive: false});
  var drag = null;
  svg.addEventListener("mousedown", function (e) { drag = {x: e.clientX, vx: vb.x}; });
  window.addEventListener("mouseup", function () { drag = null; });
  window.addEventListener("mousemove", function (e) {
    if (!drag) return;
    var r = svg.getBoundingClientRect();
    vb.x = Math.max(0, Math.min(w - vb.w, drag.vx - (e.clientX - drag.x) / r.width * vb.w)); apply();
  });
  document.body.setAttribute("data-bars", String(svg.querySelectorAll("g.bar rect").length));
})();
`
