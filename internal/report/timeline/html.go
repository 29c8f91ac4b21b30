package timeline

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/report/csp"
	"github.com/evanalyze/evanalyze/internal/report/svgtext"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

// Row is one rollout of the Gantt chart with its pods, which the page
// shows on a click (collapsed, a chart of hundreds of rollouts stays
// short).
type Row struct {
	Bar
	Y    float64 // collapsed layout; the page's script lays rows out again on a click
	Pods []Bar   // Y relative to the row
}

// Bar is one bar of the Gantt chart: a rollout or one of its pods.
type Bar struct {
	Label string // the whole label; the page shows it shortened to Short when it does not fit
	Short string
	Keep  int    // characters at the end of Label that shortening keeps
	Title string // tooltip
	Start float64
	Width float64
	Y     float64
	Class string // rollout outcome or pod state
}

type htmlData struct {
	Title   string
	Window  string
	Axis    string // the chart's span, when an open end of the window leaves it to the data
	Summary []string
	Entries []Entry
	Rows    []Row
	Ticks   []tick
	Width   float64
	Height  float64
	Room    float64 // pixels a rollout label has
	PodRoom float64
	End     float64 // x of the chart's right end
	Multi   bool    // entries or rollouts of more than one cluster: each names its cluster
}

type tick struct {
	X      float64
	Label  string
	Anchor string
}

const (
	chartWidth = 860.0
	labelWidth = 330.0
	rightPad   = 30.0
	rowHeight  = 18.0
	top        = 24.0
)

// WriteHTML writes the timeline as one self-contained page (no network):
// the requested window, the summary, a zoomable Gantt chart of the
// rollouts in the window with a legend of its colours (each rollout's pods
// shown on a click) above the list of entries. All text goes through
// html/template, so messages, names and users are escaped and never run.
func WriteHTML(w io.Writer, tl *Timeline, rollouts []correlate.Rollout) error {
	// The chart spans the window; an open end reaches the data's.
	from, to := tl.Since, tl.Until
	var dataFrom, dataTo time.Time
	see := func(a, b time.Time) {
		if dataFrom.IsZero() || a.Before(dataFrom) {
			dataFrom = a
		}
		if dataTo.IsZero() || b.After(dataTo) {
			dataTo = b
		}
	}
	for _, r := range rollouts {
		see(r.Interval())
	}
	for _, e := range tl.Entries {
		see(e.Time, e.Time)
	}
	open := from.IsZero() || to.IsZero()
	if from.IsZero() {
		from = dataFrom
	}
	if to.IsZero() {
		to = dataTo
	}
	if !to.After(from) {
		to = from.Add(time.Minute)
	}
	span := to.Sub(from).Seconds()
	x := func(t time.Time) float64 {
		v := t.Sub(from).Seconds() / span * chartWidth
		return max(0, min(chartWidth, v))
	}
	d := htmlData{Title: "evanalyze timeline", Window: windowText(tl), Summary: tl.Summary, Entries: tl.Entries,
		Width: labelWidth + chartWidth + rightPad, Room: labelWidth - 24, PodRoom: labelWidth - 36, End: labelWidth + chartWidth}
	d.Multi = multiCluster(tl)
	for _, r := range rollouts {
		d.Multi = d.Multi || r.Cluster != rollouts[0].Cluster
	}
	if open {
		d.Axis = fmt.Sprintf("the chart spans %s to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	y := top
	for _, r := range rollouts {
		start, end := r.Interval()
		if end.Before(from) || start.After(to) {
			continue
		}
		where := ""
		if d.Multi {
			where = r.Cluster + ": "
		}
		label := fmt.Sprintf("%s%s/%s/%s #%d", where, r.Namespace, strings.ToLower(r.Kind), r.Name, r.Seq)
		keep := utf8.RuneCountInString(label) - utf8.RuneCountInString(where+r.Namespace) // "/kind/name #seq"
		row := Row{Y: y, Bar: Bar{Label: label, Short: svgtext.FitKeep(label, keep, d.Room), Keep: keep,
			Title: fmt.Sprintf("%s %s rollout %d: %s (%s → %s)", r.Cluster, label, r.Seq, r.Outcome, r.Start.Format(time.RFC3339), end.Format(time.RFC3339)),
			Start: labelWidth + x(start), Width: max(2, x(end)-x(start)), Class: r.Outcome}}
		py := 0.0
		for _, p := range r.Pods {
			pstart, pend, ok := p.Interval(end)
			if !ok {
				continue
			}
			py += rowHeight
			class, title := "pod", fmt.Sprintf("pod %s on %s", p.Name, p.Node)
			if len(p.Warnings) > 0 {
				class = "pod-failing"
				title += ": warnings " + warningText(p.Warnings)
			}
			row.Pods = append(row.Pods, Bar{Label: p.Name, Short: svgtext.Fit(p.Name, d.PodRoom), Title: title,
				Start: labelWidth + x(pstart), Width: max(2, x(pend)-x(pstart)), Y: py, Class: class})
		}
		d.Rows = append(d.Rows, row)
		y += rowHeight
	}
	d.Height = y + 10
	for i := 0; i <= 10; i++ {
		t := from.Add(time.Duration(float64(to.Sub(from)) * float64(i) / 10))
		anchor := "middle" // the right-hand label has rightPad of room
		if i == 0 {
			anchor = "start"
		}
		d.Ticks = append(d.Ticks, tick{X: labelWidth + x(t), Label: t.Format("15:04:05"), Anchor: anchor})
	}
	// Markup is escaped by html/template; control characters and bidi
	// overrides in names and messages are shown escaped.
	hw := textsafe.NewHTMLWriter(w)
	return errors.Join(page.Execute(hw, d), hw.Flush())
}

// warningText is a pod's warning signals, most frequent first:
// "FailedScheduling ×3, Unhealthy".
func warningText(w map[string]int) string {
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(w[b], w[a]), strings.Compare(a, b)) })
	for i, k := range keys {
		if w[k] > 1 {
			keys[i] = fmt.Sprintf("%s ×%d", k, w[k])
		}
	}
	return strings.Join(keys, ", ")
}

var page = template.Must(template.New("timeline").Funcs(template.FuncMap{
	"ts":    func(t time.Time) string { return t.Format("15:04:05.000") },
	"joinS": func(s []string) string { return strings.Join(slices.Clip(s), ", ") },
	"plus":  func(a, b float64) float64 { return a + b },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="` + csp.Policy(timelineScript) + `">
<title>{{.Title}}</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; }
svg { border: 1px solid #ddd; background: #fff; display: block; }
text { font: 11px system-ui, sans-serif; }
#chart { max-height: 60vh; overflow-y: auto; overflow-x: hidden; display: inline-block; border-bottom: 1px solid #ddd; }
.complete { fill: #3a9d5d; background: #3a9d5d; } .failed { fill: #d0433b; background: #d0433b; } .superseded { fill: #c9a227; background: #c9a227; }
.in-progress { fill: #3c78d8; background: #3c78d8; } .pod { fill: #9cc3e6; background: #9cc3e6; } .pod-failing { fill: #f2a29c; background: #f2a29c; }
#legend span.sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin: 0 4px 0 12px; }
#legend span.sw:first-child { margin-left: 0; }
g.rollout:not(.open) g.pods { display: none; }
g.head { cursor: pointer; } text.toggle { fill: #666; }
line.tick { stroke: #eee; } text.tick { fill: #888; font-size: 10px; }
table { border-collapse: collapse; margin-top: 16px; width: 100%; }
td, th { border-bottom: 1px solid #eee; padding: 2px 6px; text-align: left; vertical-align: top; }
td.what { white-space: pre-line; overflow-wrap: anywhere; } td.obj { overflow-wrap: anywhere; min-width: 18em; }
td.actor { overflow-wrap: anywhere; min-width: 8em; max-width: 16em; } td.from { overflow-wrap: anywhere; min-width: 12em; max-width: 22em; color: #666; font-size: 11px; }
caption { text-align: left; color: #666; }
tr.error td { background: #fde8e6; } tr.warning td { background: #fff6db; } tr.signal td { font-weight: 600; }
.controls { margin: 8px 0; }
@media print { .controls { display: none; } #chart { max-height: none; overflow: visible; } svg { width: 100%; } }
</style>
</head>
<body>
<h1>Timeline: {{.Window}}</h1>
{{if .Axis}}<p class="axis">{{.Axis}} (an open end of the window reaches the data's).</p>{{end}}
<ul id="summary">{{range .Summary}}<li>{{.}}</li>{{end}}</ul>
<div class="controls">Zoom: <button id="zin" type="button">+</button> <button id="zout" type="button">−</button> <button id="zreset" type="button">reset</button> (or the mouse wheel over the chart; drag to pan) · Pods: <button id="expand" type="button">show all</button> <button id="collapse" type="button">hide all</button> (or click a rollout) · <a href="#entries">entries ↓</a></div>
<div id="legend">{{/* colours as in the style above */ -}}
<span class="sw complete"></span>rollout complete <span class="sw failed"></span>failed <span class="sw superseded"></span>superseded <span class="sw in-progress"></span>in progress
<span class="sw pod"></span>pod <span class="sw pod-failing"></span>pod with warning events (such as FailedScheduling or a failed probe while it started: its rollout may still have completed; hover for the reasons)</div>
<div id="chart"><svg id="gantt" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" xmlns="http://www.w3.org/2000/svg">
{{range .Ticks}}<line class="tick" x1="{{.X}}" y1="0" x2="{{.X}}" y2="{{$.Height}}"/><text class="tick" x="{{.X}}" y="12" text-anchor="{{.Anchor}}">{{.Label}}</text>{{end}}
{{range .Rows}}<g class="rollout" data-pods="{{len .Pods}}" transform="translate(0,{{.Y}})"><g class="head"><title>{{.Title}}</title>{{if .Pods}}<text class="toggle" x="4" y="0" dy="12">▸</text>{{end}}<text class="label" x="16" y="0" dy="12" data-room="{{$.Room}}" data-keep="{{.Keep}}" data-full="{{.Label}}">{{.Short}}</text><rect class="{{.Class}}" x="{{.Start}}" y="0" width="{{.Width}}" height="14" rx="2"/></g>
{{- if .Pods}}<g class="pods">{{range .Pods}}<g class="bar"><title>{{.Title}}</title><text class="label" x="28" y="{{.Y}}" dy="12" data-room="{{$.PodRoom}}" data-full="{{.Label}}">{{.Short}}</text><rect class="{{.Class}}" x="{{.Start}}" y="{{.Y}}" width="{{.Width}}" height="14" rx="2"/></g>{{end}}</g>{{end}}</g>
{{end}}</svg></div>
<table id="entries">
<caption>Entries in the window; in bold, failure signals on the pods of a rollout.</caption>
<thead><tr><th>time (UTC)</th><th>kind</th>{{if .Multi}}<th>cluster</th>{{end}}<th>object</th><th>actor</th><th>what</th><th>from</th></tr></thead>
<tbody>
{{range .Entries}}<tr class="{{.Severity}}{{if .RolloutSignal}} signal{{end}}"><td>{{ts .Time}}</td><td>{{.Kind}}</td>{{if $.Multi}}<td class="actor">{{.Cluster}}</td>{{end}}<td class="obj">{{.Namespace}}/{{.Object}}</td><td class="actor">{{.Actor}}</td><td class="what">{{.Summary}}</td><td class="from">{{joinS .Sources}}</td></tr>
{{end}}</tbody>
</table>
<script>` + timelineScript + `</script>
</body>
</html>
`))

// timelineScript is the page's one script (no JavaScript comments: html/template
// drops them, and the hash would not match), allowed by its hash (package csp): any
// other script in the page does not run.
const timelineScript = svgtext.FitScript + `
(function () {
  var svg = document.getElementById("gantt");
  var w = svg.viewBox.baseVal.width, h = svg.viewBox.baseVal.height;
  var vb = {x: 0, w: w};
  var rows = svg.querySelectorAll("g.rollout");
  function apply() { svg.setAttribute("viewBox", vb.x + " 0 " + vb.w + " " + h); svg.setAttribute("height", h); }
  function layout() {
    var y = 24;
    for (var i = 0; i < rows.length; i++) {
      rows[i].setAttribute("transform", "translate(0," + y + ")");
      y += 18 * (1 + (rows[i].classList.contains("open") ? Number(rows[i].getAttribute("data-pods")) : 0));
    }
    h = y + 10;
    var ls = svg.querySelectorAll("line.tick");
    for (var j = 0; j < ls.length; j++) ls[j].setAttribute("y2", h);
    apply();
  }
  function toggle(row, open) {
    if (Number(row.getAttribute("data-pods")) === 0) return;
    row.classList.toggle("open", open);
    var t = row.querySelector("text.toggle");
    if (t) t.textContent = open ? "\u25be" : "\u25b8";
    if (open) fitLabels(row);
  }
  for (var i = 0; i < rows.length; i++) {
    (function (row) {
      row.querySelector("g.head").addEventListener("click", function () { toggle(row, !row.classList.contains("open")); layout(); });
    })(rows[i]);
  }
  function all(open) { for (var i = 0; i < rows.length; i++) toggle(rows[i], open); layout(); }
  document.getElementById("expand").onclick = function () { all(true); };
  document.getElementById("collapse").onclick = function () { all(false); };
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
  fitLabels(svg);
  document.body.setAttribute("data-bars", String(svg.querySelectorAll("g.rollout rect").length));
})();
`
