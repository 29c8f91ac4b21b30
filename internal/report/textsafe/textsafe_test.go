package textsafe

import "testing"

func TestSanitize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain text ×3", "plain text ×3"},
		{"a\nb", `a\x0ab`},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"del\x7f", `del\x7f`},
		{"c1\u0085", `c1\x85`},
		{"nbsp\u00a0", "nbsp\u00a0"},
		{"bad \xff utf-8", "bad \xff utf-8"}, // no control character: as it is
		{"bad \xff\n", "bad \ufffd\\x0a"},    // rewritten rune by rune
	} {
		if got := Sanitize(tc.in); got != tc.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDash(t *testing.T) {
	if Dash("") != "-" || Dash("x") != "x" {
		t.Error(Dash(""), Dash("x"))
	}
}
