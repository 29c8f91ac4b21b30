// Package svgtext keeps the labels of the HTML reports' SVG charts inside
// the room they have: a label longer than its room is shortened in the
// middle ("openshift-monitoring/deploy…/kube-state-metrics #1"), so that
// both the namespace and the name stay readable, and the page shows the
// whole label on hover (its <title>). Fit shortens by an estimate of the
// width when the page is written, so that a printed page or one without
// scripts is readable; FitScript, part of each page's one script, shortens
// by the width the browser measures, since fonts differ.
package svgtext

import "unicode/utf8"

// CharWidth is a generous estimate of the average width of a character of
// the reports' 11px sans-serif labels, in pixels.
const CharWidth = 6.4

// Fit returns s, or s shortened in the middle with "…" to at most the
// characters that room pixels hold at CharWidth.
func Fit(s string, room float64) string {
	n := int(room / CharWidth)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 2 {
		return "…"
	}
	r := []rune(s)
	head := (n - 1) / 2
	tail := n - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// FitKeep is Fit keeping the last keep characters of s whole (a
// workload's kind/name after its namespace) when they fit with at least
// a character before them, shortening what comes before; otherwise Fit.
func FitKeep(s string, keep int, room float64) string {
	n := int(room / CharWidth)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if keep <= 0 || keep > len(r) || n-1-keep < 1 {
		return Fit(s, room)
	}
	return string(r[:n-1-keep]) + "…" + string(r[len(r)-keep:])
}

// FitScript defines fitLabels(root): every <text> under root with a
// data-room attribute (pixels) and a data-full attribute (its whole label)
// is shortened until the browser's measure of it fits: before its last
// data-keep characters when it has that attribute and they fit (FitKeep),
// otherwise in the middle (Fit). A
// page calls it from its one script (the CSP hash covers it).
const FitScript = `
function fitLabels(root) {
  var ts = root.querySelectorAll("text[data-room]");
  for (var i = 0; i < ts.length; i++) {
    var t = ts[i], room = Number(t.getAttribute("data-room")), full = t.getAttribute("data-full") || t.textContent;
    if (t.getComputedTextLength() <= room) continue;
    var keep = Number(t.getAttribute("data-keep") || 0), lo = 1, hi = full.length, best = "\u2026";
    if (keep > 0 && keep < full.length) {
      var tail = "\u2026" + full.slice(full.length - keep);
      t.textContent = full.slice(0, 1) + tail;
      if (t.getComputedTextLength() <= room) {
        lo = 1; hi = full.length - keep; best = full.slice(0, 1) + tail;
        while (lo <= hi) {
          var m = (lo + hi) >> 1;
          t.textContent = full.slice(0, m) + tail;
          if (t.getComputedTextLength() <= room) { best = t.textContent; lo = m + 1; } else { hi = m - 1; }
        }
        t.textContent = best;
        continue;
      }
    }
    while (lo <= hi) {
      var n = (lo + hi) >> 1, h = (n - 1) >> 1, s = full.slice(0, h) + "\u2026" + full.slice(full.length - (n - 1 - h));
      t.textContent = s;
      if (t.getComputedTextLength() <= room) { best = s; lo = n + 1; } else { hi = n - 1; }
    }
    t.textContent = best;
  }
}
`
