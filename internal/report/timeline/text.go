package timeline

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

// WriteText writes the timeline for a terminal: the window, the summary,
// then one line per entry marked ! (error) or ~ (warning). Untrusted text
// is sanitized for the terminal.
func WriteText(w io.Writer, tl *Timeline) error {
	fmt.Fprintf(w, "Timeline from %s\n", windowText(tl))
	multi := multiCluster(tl)
	for _, s := range tl.Summary {
		fmt.Fprintf(w, "  * %s\n", textsafe.Sanitize(oneLine(s)))
	}
	fmt.Fprintln(w)
	for _, e := range tl.Entries {
		mark := " "
		switch e.Severity {
		case SevError:
			mark = "!"
		case SevWarning:
			mark = "~"
		}
		actor := ""
		if e.Actor != "" {
			actor = " [" + textsafe.Sanitize(e.Actor) + "]"
		}
		where := ""
		if multi {
			where = textsafe.Sanitize(e.Cluster) + ": "
		}
		fmt.Fprintf(w, "%s %s %-8s %s%s/%s%s %s\n", e.Time.Format("2006-01-02T15:04:05.000Z"), mark, e.Kind,
			where, textsafe.Sanitize(e.Namespace), textsafe.Sanitize(e.Object), actor, textsafe.Sanitize(oneLine(e.Summary)))
	}
	return nil
}

// WriteMarkdown writes the timeline as a Markdown section for a review
// document: the summary as a list, the entries as a table. Untrusted text
// is made literal Markdown.
func WriteMarkdown(w io.Writer, tl *Timeline) error {
	fmt.Fprintf(w, "## Timeline: %s\n\n", windowText(tl))
	for _, s := range tl.Summary {
		fmt.Fprintf(w, "- %s\n", mdEscape(oneLine(s)))
	}
	multi := multiCluster(tl)
	if multi {
		fmt.Fprintln(w, "\n| time (UTC) | severity | kind | cluster | object | actor | what |")
		fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- |")
	} else {
		fmt.Fprintln(w, "\n| time (UTC) | severity | kind | object | actor | what |")
		fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- |")
	}
	for _, e := range tl.Entries {
		cluster := ""
		if multi {
			cluster = " " + mdEscape(e.Cluster) + " |"
		}
		fmt.Fprintf(w, "| %s | %s | %s |%s %s | %s | %s |\n", e.Time.Format("15:04:05.000"), e.Severity, e.Kind, cluster,
			mdEscape(e.Namespace+"/"+e.Object), mdEscape(e.Actor), mdEscape(oneLine(e.Summary)))
	}
	return nil
}

// oneLine shows the line breaks of a message (a probe's output) as ↵ on
// one line, instead of escaped as \x0a.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", "↵", "\n", "↵", "\r", "↵").Replace(s)
}

// multiCluster reports whether the entries come from more than one
// cluster: then each names its cluster, or rows of two clusters would look
// like repeats.
func multiCluster(tl *Timeline) bool {
	for _, e := range tl.Entries {
		if e.Cluster != tl.Entries[0].Cluster {
			return true
		}
	}
	return false
}

// windowText is the requested window (open ends as such), not the span of
// the entries.
func windowText(tl *Timeline) string {
	f := func(t time.Time, open string) string {
		if t.IsZero() {
			return open
		}
		return t.Format(time.RFC3339)
	}
	return f(tl.Since, "the beginning") + " to " + f(tl.Until, "the end")
}

// mdEscape makes untrusted text literal in Markdown: HTML is escaped and
// Markdown punctuation is backslash-escaped, so a message never becomes a
// link, markup or a script.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range textsafe.Sanitize(s) {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '#', '+', '!', '|', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
