package stats

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/report/csp"
	"github.com/evanalyze/evanalyze/internal/report/svgtext"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

// WriteHTML writes the report as one self-contained page (no network) with
// charts: rollout durations per cluster (every complete rollout a dot, the
// median a line), the slowest workloads (p90), the flakiest workloads
// (failure rate), and failure reasons per day.
func WriteHTML(w io.Writer, rep *Report, rollouts []correlate.Rollout) error {
	d := htmlData{Report: rep, BarRoom: barRoom}
	d.Dots, d.Medians, d.ClusterAxis, d.DurAxis = durationChart(rep, rollouts)
	d.Slowest = barChart(rep.Workloads, func(g *Group) (float64, bool) {
		if g.DurationP90 == nil {
			return 0, false
		}
		return *g.DurationP90, true
	}, func(v float64) string { return fmt.Sprintf("%.1fs", v) })
	d.Flakiest = barChart(rep.Workloads, func(g *Group) (float64, bool) {
		if g.ChangeFailureRate == nil || g.Failed == 0 {
			return 0, false
		}
		return *g.ChangeFailureRate * 100, true
	}, func(v float64) string { return fmt.Sprintf("%.0f%%", v) })
	d.Reasons = reasonsOverTime(rollouts)
	// Markup is escaped by html/template; control characters and bidi
	// overrides in names and messages are shown escaped.
	hw := textsafe.NewHTMLWriter(w)
	return errors.Join(statsPage.Execute(hw, d), hw.Flush())
}

type htmlData struct {
	Report               *Report
	Dots                 []dot
	Medians              []line
	ClusterAxis, DurAxis []axisLabel
	Slowest, Flakiest    []bar
	Reasons              reasonsChart
	BarRoom              float64
}

type dot struct {
	X, Y  float64
	Title string
	Class string
}

type line struct{ X1, X2, Y float64 }

type axisLabel struct {
	X, Y  float64
	Label string // shortened to fit Room (when not 0); Full is the whole label
	Full  string
	Room  float64
}

type bar struct {
	Y, W  float64
	Label string // shortened to fit; Full is the whole label
	Full  string
	Keep  int // characters at the end of Label that shortening keeps: /kind/name
	Value string
}

type stack struct {
	X, Y, W, H float64
	Color      string
	Title      string
}

type legend struct {
	Color, Label, Full string
	Y                  float64
}

const plotW, plotH = 700.0, 260.0

// spelled is how the tool spells a workload: namespace/kind/name in
// kubectl's lower case (shop/deployment/web).
func spelled(ns, kind, name string) string { return ns + "/" + strings.ToLower(kind) + "/" + name }

func durationChart(rep *Report, rollouts []correlate.Rollout) ([]dot, []line, []axisLabel, []axisLabel) {
	var clusters []string
	maxD := 1.0
	for _, r := range rollouts {
		if !slices.Contains(clusters, r.Cluster) {
			clusters = append(clusters, r.Cluster)
		}
		if r.DurationSeconds != nil && r.Outcome == correlate.OutcomeComplete {
			maxD = math.Max(maxD, *r.DurationSeconds)
		}
	}
	slices.Sort(clusters)
	col := plotW / float64(max(1, len(clusters)))
	y := func(v float64) float64 { return 20 + plotH - v/maxD*plotH }
	var dots []dot
	var meds []line
	var xs []axisLabel
	for i, c := range clusters {
		x0 := 60 + float64(i)*col
		n := 0
		for _, r := range rollouts {
			if r.Cluster != c || r.DurationSeconds == nil || r.Outcome != correlate.OutcomeComplete {
				continue
			}
			jitter := float64((n*37)%100) / 100 * col * 0.6
			dots = append(dots, dot{X: x0 + col*0.2 + jitter, Y: y(*r.DurationSeconds), Class: "ok",
				Title: fmt.Sprintf("%s %s #%d: %.1fs", c, spelled(r.Namespace, r.Kind, r.Name), r.Seq, *r.DurationSeconds)})
			n++
		}
		label := fmt.Sprintf("%s (%d complete)", c, n)
		xs = append(xs, axisLabel{X: x0 + col/2, Y: plotH + 40, Label: svgtext.Fit(label, col-8), Full: label, Room: col - 8})
		for _, g := range rep.Clusters {
			if g.Cluster == c && g.DurationP50 != nil {
				meds = append(meds, line{X1: x0 + col*0.1, X2: x0 + col*0.9, Y: y(*g.DurationP50)})
			}
		}
	}
	var ys []axisLabel
	for i := 0; i <= 4; i++ {
		v := maxD * float64(i) / 4
		ys = append(ys, axisLabel{X: 54, Y: y(v) + 4, Label: fmt.Sprintf("%.0fs", v)})
	}
	return dots, meds, xs, ys
}

// barRoom is the room of a bar chart's labels, left of its bars.
const barRoom = 318.0

func barChart(groups []*Group, value func(*Group) (float64, bool), format func(float64) string) []bar {
	multi := false
	for _, g := range groups {
		multi = multi || g.Cluster != groups[0].Cluster
	}
	type gv struct {
		g *Group
		v float64
	}
	var vs []gv
	for _, g := range groups {
		if v, ok := value(g); ok {
			vs = append(vs, gv{g, v})
		}
	}
	slices.SortStableFunc(vs, func(a, b gv) int {
		return cmp.Or(cmp.Compare(b.v, a.v), strings.Compare(a.g.Cluster+a.g.Namespace+a.g.Name, b.g.Cluster+b.g.Namespace+b.g.Name))
	})
	if len(vs) > 10 {
		vs = vs[:10]
	}
	maxV := 1.0
	for _, x := range vs {
		maxV = math.Max(maxV, x.v)
	}
	var out []bar
	for i, x := range vs {
		label := spelled(x.g.Namespace, x.g.Kind, x.g.Name)
		if multi {
			label = x.g.Cluster + ": " + label
		}
		keep := utf8.RuneCountInString(label) - utf8.RuneCountInString(label[:strings.LastIndex(label, x.g.Namespace+"/")+len(x.g.Namespace)])
		out = append(out, bar{Y: float64(i) * 22, W: math.Max(2, x.v/maxV*380),
			Label: svgtext.FitKeep(label, keep, barRoom), Full: label, Keep: keep, Value: format(x.v)})
	}
	return out
}

var palette = []string{"#d0433b", "#e08a1e", "#c9a227", "#7b4bb7", "#3c78d8", "#2a9d8f", "#8d6e63", "#607d8b"}

// reasonsChart is the stacked bars of failed rollouts per day by reason,
// with a count above each day, an axis of counts, and a legend right of
// the bars; as wide as its days need.
type reasonsChart struct {
	Stacks       []stack
	Days, Counts []axisLabel // labels under and over each day's bar
	Axis         []axisLabel // counts on the left
	Grid         []line
	Keys         []legend
	Width        float64
	LegendX      float64
}

const legendRoom = 220.0

func reasonsOverTime(rollouts []correlate.Rollout) reasonsChart {
	counts := map[string]map[string]int{} // day -> reason -> n
	var days, reasons []string
	for _, r := range rollouts {
		if r.Outcome != correlate.OutcomeFailed {
			continue
		}
		day := r.Start.UTC().Format(time.DateOnly)
		reason, _, _ := strings.Cut(r.FailureReason, ":")
		if counts[day] == nil {
			counts[day] = map[string]int{}
			days = append(days, day)
		}
		counts[day][reason]++
		if !slices.Contains(reasons, reason) {
			reasons = append(reasons, reason)
		}
	}
	slices.Sort(days)
	slices.Sort(reasons)
	maxN := 1
	for _, m := range counts {
		n := 0
		for _, c := range m {
			n += c
		}
		maxN = max(maxN, n)
	}
	step := max(1, int(math.Ceil(float64(maxN)/5)))
	top := int(math.Ceil(float64(maxN)/float64(step))) * step
	const colW = 90.0
	var c reasonsChart
	c.LegendX = 60 + colW*float64(max(2, len(days))) + 20
	c.Width = c.LegendX + legendRoom + 20
	y := func(n int) float64 { return 20 + plotH - float64(n)/float64(top)*plotH }
	for n := 0; n <= top; n += step {
		c.Axis = append(c.Axis, axisLabel{X: 54, Y: y(n) + 4, Label: fmt.Sprint(n)})
		c.Grid = append(c.Grid, line{X1: 58, X2: c.LegendX - 10, Y: y(n)})
	}
	for i, day := range days {
		x := 60 + float64(i)*colW + colW*0.2
		total := 0
		for j, reason := range reasons {
			n := counts[day][reason]
			if n == 0 {
				continue
			}
			c.Stacks = append(c.Stacks, stack{X: x, Y: y(total + n), W: colW * 0.6, H: y(total) - y(total+n), Color: palette[j%len(palette)],
				Title: fmt.Sprintf("%s: %d × %s", day, n, reason)})
			total += n
		}
		c.Counts = append(c.Counts, axisLabel{X: x + colW*0.3, Y: y(total) - 4, Label: fmt.Sprint(total)})
		c.Days = append(c.Days, axisLabel{X: x + colW*0.3, Y: plotH + 40, Label: day})
	}
	for j, reason := range reasons {
		c.Keys = append(c.Keys, legend{Color: palette[j%len(palette)], Label: svgtext.Fit(reason, legendRoom-18), Full: reason, Y: 30 + float64(j)*18})
	}
	return c
}

var statsPage = template.Must(template.New("stats").Funcs(template.FuncMap{
	"secs": func(v *float64) string {
		if v == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f", *v)
	},
	"mul":  func(a float64, n int) float64 { return a * float64(n) },
	"plus": func(a, b float64) float64 { return a + b },
	"wl":   spelled,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="` + csp.Policy(statsScript) + `">
<title>evanalyze rollout statistics</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; } h2 { font-size: 15px; margin-top: 24px; }
svg { border: 1px solid #ddd; background: #fff; }
circle.ok { fill: #3c78d8; fill-opacity: .6; } line.median { stroke: #d0433b; stroke-width: 2; }
text { font: 11px system-ui, sans-serif; } line.grid { stroke: #eee; } p.note { color: #666; margin: 4px 0; }
.pair { display: flex; flex-wrap: wrap; gap: 0 24px; } rect.slow { fill: #e08a1e; } rect.flaky { fill: #d0433b; }
table { border-collapse: collapse; } td, th { border-bottom: 1px solid #eee; padding: 2px 6px; text-align: right; }
td:first-child, th:first-child, td.l, th.l { text-align: left; }
li.finding { margin: 4px 0; }
.kind { font-weight: 600; }
</style>
</head>
<body>
<h1>Rollout statistics</h1>
<p>{{.Report.Fleet.Rollouts}} rollouts: {{.Report.Fleet.Complete}} complete, {{.Report.Fleet.Failed}} failed,
{{.Report.Fleet.Superseded}} superseded, {{.Report.Fleet.Rollbacks}} rollbacks; duration p50 {{secs .Report.Fleet.DurationP50}}s,
p90 {{secs .Report.Fleet.DurationP90}}s.</p>
<h2>Findings</h2>
<ul id="findings">{{range .Report.Findings}}<li class="finding"><span class="kind">{{.Kind}}</span> {{.Cluster}} {{.Namespace}}/{{.Workload}}: {{.Summary}}<ul>{{range .Evidence}}<li>{{.}}</li>{{end}}</ul></li>{{else}}<li>none</li>{{end}}</ul>
<h2>Rollout durations per cluster</h2>
<p class="note">Each dot is a complete rollout (hover for its workload), the red line the cluster's median.</p>
<svg id="durations" width="800" height="320" viewBox="0 0 800 320" xmlns="http://www.w3.org/2000/svg">
{{range .DurAxis}}<text x="{{.X}}" y="{{.Y}}" text-anchor="end">{{.Label}}</text>{{end}}
{{range .ClusterAxis}}<text x="{{.X}}" y="{{.Y}}" text-anchor="middle" data-room="{{.Room}}" data-full="{{.Full}}"><title>{{.Full}}</title>{{.Label}}</text>{{end}}
{{range .Dots}}<circle class="{{.Class}}" cx="{{.X}}" cy="{{.Y}}" r="3.5"><title>{{.Title}}</title></circle>{{end}}
{{range .Medians}}<line class="median" x1="{{.X1}}" x2="{{.X2}}" y1="{{.Y}}" y2="{{.Y}}"><title>median</title></line>{{end}}
</svg>
<div class="pair">
<div><h2>Slowest workloads (p90 duration)</h2>
<svg id="slowest" width="800" height="{{plus (mul 22 (len .Slowest)) 10}}" xmlns="http://www.w3.org/2000/svg">
{{range .Slowest}}<g><title>{{.Full}}: {{.Value}}</title><text x="4" y="{{plus .Y 14}}" data-room="{{$.BarRoom}}" data-keep="{{.Keep}}" data-full="{{.Full}}">{{.Label}}</text><rect class="slow" x="330" y="{{plus .Y 3}}" width="{{.W}}" height="15"/><text x="{{plus 336 .W}}" y="{{plus .Y 14}}">{{.Value}}</text></g>{{else}}<text x="4" y="14">no complete rollouts</text>{{end}}
</svg></div>
<div><h2>Highest failure rates (failed / decided rollouts)</h2>
<svg id="flakiest" width="800" height="{{plus (mul 22 (len .Flakiest)) 10}}" xmlns="http://www.w3.org/2000/svg">
{{range .Flakiest}}<g><title>{{.Full}}: {{.Value}}</title><text x="4" y="{{plus .Y 14}}" data-room="{{$.BarRoom}}" data-keep="{{.Keep}}" data-full="{{.Full}}">{{.Label}}</text><rect class="flaky" x="330" y="{{plus .Y 3}}" width="{{.W}}" height="15"/><text x="{{plus 336 .W}}" y="{{plus .Y 14}}">{{.Value}}</text></g>{{else}}<text x="4" y="14">no failed rollouts</text>{{end}}
</svg></div>
</div>
<h2>Failure reasons per day</h2>
{{with .Reasons}}{{if .Stacks}}<svg id="reasons" width="{{.Width}}" height="320" viewBox="0 0 {{.Width}} 320" xmlns="http://www.w3.org/2000/svg">
{{range .Grid}}<line class="grid" x1="{{.X1}}" x2="{{.X2}}" y1="{{.Y}}" y2="{{.Y}}"/>{{end}}
{{range .Axis}}<text x="{{.X}}" y="{{.Y}}" text-anchor="end">{{.Label}}</text>{{end}}
<text x="14" y="150" transform="rotate(-90 14 150)" text-anchor="middle">failed rollouts</text>
{{range .Stacks}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Color}}"><title>{{.Title}}</title></rect>{{end}}
{{range .Counts}}<text x="{{.X}}" y="{{.Y}}" text-anchor="middle">{{.Label}}</text>{{end}}
{{range .Days}}<text x="{{.X}}" y="{{.Y}}" text-anchor="middle">{{.Label}}</text>{{end}}
{{range .Keys}}<g><title>{{.Full}}</title><rect x="{{$.Reasons.LegendX}}" y="{{plus .Y -10}}" width="12" height="12" fill="{{.Color}}"/><text x="{{plus $.Reasons.LegendX 18}}" y="{{.Y}}" data-room="{{plus 0 202}}" data-full="{{.Full}}">{{.Label}}</text></g>{{end}}
</svg>{{else}}<p>No failed rollouts.</p>{{end}}{{end}}
<h2>Workloads</h2>
<table id="workloads"><thead><tr><th class="l">cluster</th><th class="l">workload</th><th>rollouts</th><th>complete</th><th>failed</th><th>superseded</th><th>rollbacks</th><th>p50 s</th><th>p90 s</th><th>max s</th><th>restarts</th></tr></thead><tbody>
{{range .Report.Workloads}}<tr><td>{{.Cluster}}</td><td class="l">{{wl .Namespace .Kind .Name}}</td><td>{{.Rollouts}}</td><td>{{.Complete}}</td><td>{{.Failed}}</td><td>{{.Superseded}}</td><td>{{.Rollbacks}}</td><td>{{secs .DurationP50}}</td><td>{{secs .DurationP90}}</td><td>{{secs .DurationMax}}</td><td>{{.PodRestarts}}</td></tr>
{{end}}</tbody></table>
<script>` + statsScript + `</script>
</body>
</html>
`))

// statsScript is the page's one script (no JavaScript comments: html/template
// drops them, and the hash would not match), allowed by its hash (package csp): any
// other script in the page does not run.
const statsScript = svgtext.FitScript + `
fitLabels(document);
document.body.setAttribute("data-charts", String(document.querySelectorAll("svg circle, svg rect").length));
`
