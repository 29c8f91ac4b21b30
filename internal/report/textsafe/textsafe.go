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

// Cell makes an untrusted CSV cell safe for a spreadsheet, as OWASP's CSV
// injection guidance recommends: a cell that starts with =, +, -, @, tab or
// carriage return would be run as a formula (=HYPERLINK(...), +cmd|...),
// so unless it is a plain decimal number it gets a leading apostrophe,
// which spreadsheets take as "text". Numbers stay as they are, so a
// negative number in a numeric column is still a number, and so does a
// lone "-". Control
// characters other than newline (which a CSV writer quotes), invalid bytes
// and bidi overrides are shown escaped as Sanitize shows them.
func Cell(s string) string {
	if s == "" {
		return s
	}
	if strings.ContainsFunc(s, unsafe) {
		parts := strings.Split(s, "\n")
		for i, p := range parts {
			parts[i] = Sanitize(p)
		}
		s = strings.Join(parts, "\n")
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if !isNumber(s) && s != "-" { // a lone dash is the reports' "none", and computes nothing
			return "'" + s
		}
	}
	return s
}

// Row applies Cell to every cell of a CSV row, in place, and returns it.
func Row(cells []string) []string {
	for i, c := range cells {
		cells[i] = Cell(c)
	}
	return cells
}

// isNumber reports whether s is a decimal number as the report writers
// format them: an optional sign, digits with an optional fraction, and an
// optional exponent (-3, +1.5, -2.5e-07).
func isNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}
