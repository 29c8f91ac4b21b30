package textsafe

import (
	"fmt"
	"strings"
)

// control reports whether r would act on a terminal instead of being
// shown: C0 controls (escape sequences, newlines), DEL and C1 controls.
func control(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// Sanitize makes untrusted text safe for a terminal: control characters
// are shown escaped as \xNN. Text without them is returned as it is.
func Sanitize(s string) string {
	if !strings.ContainsFunc(s, control) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if control(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
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
