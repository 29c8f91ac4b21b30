package textsafe

import "testing"

func TestSanitize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain text ×3", "plain text ×3"},
		{"a\nb", `a\x0ab`},
		{"a\tb", `a\x09b`},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"\x1b]8;;http://x\x07link\x1b]8;;\x07", `\x1b]8;;http://x\x07link\x1b]8;;\x07`},
		{"del\x7f", `del\x7f`},
		{"c1\u0085", `c1\x85`},
		{"nbsp\u00a0", "nbsp\u00a0"},
		{"bad \xff utf-8", `bad \xff utf-8`},
		{"csi \x9b2J", `csi \x9b2J`}, // a raw C1 byte, invalid UTF-8
		{"bad \xff\n", `bad \xff\x0a`},
		{"evil\u202egnp.exe", `evil\u202egnp.exe`},
		{"\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069", `\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069`},
		{"lrm\u200e zwj\u200d", "lrm\u200e zwj\u200d"}, // marks, not overrides: as they are
		{"\ufffd", "\ufffd"}, // a real replacement character is text
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
	if Field("") != "-" || Field("a\x1b") != `a\x1b` {
		t.Error(Field(""), Field("a\x1b"))
	}
}
