package textsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// control reports whether r would act on a terminal instead of being
// shown: C0 controls (escape sequences, newlines, tabs), DEL and C1
// controls.
func control(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// Bidi reports whether r is a bidirectional embedding, override or isolate
// (U+202A–U+202E, U+2066–U+2069): shown raw, it reorders the text around
// it, so that what a terminal shows is not what the record says (the
// "Trojan Source" characters, CVE-2021-42574).
func Bidi(r rune) bool { return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) }

// unsafe reports whether a rune of s needs escaping; utf8.RuneError stands
// for an invalid byte (a raw 0x9b is CSI on a terminal in 8-bit mode).
func unsafe(r rune) bool { return control(r) || Bidi(r) || r == utf8.RuneError }

// Sanitize makes untrusted text safe for a terminal, the way kubectl
// escapes event text: control characters and invalid UTF-8 bytes are shown
// escaped as \xNN, bidi overrides and isolates as \uNNNN. Text without them
// is returned as it is.
func Sanitize(s string) string {
	if !strings.ContainsFunc(s, unsafe) {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, "\\x%02x", s[0])
		case control(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		case Bidi(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// Dash is s, or "-" for an empty table cell.
func Dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Field is an untrusted table cell for a terminal: sanitized, or "-" when
// empty.
func Field(s string) string { return Dash(Sanitize(s)) }
