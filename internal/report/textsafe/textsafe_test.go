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

func TestCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"web", "web"},
		{"alice@example.com", "alice@example.com"},
		{`=HYPERLINK("http://evil.example","x")`, `'=HYPERLINK("http://evil.example","x")`},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1", `\x09=1`}, // escaped: no longer starts with a tab
		{"\r=1", `\x0d=1`},
		{"-payments", "'-payments"},
		{"=", "'="},
		{"-", "-"}, // the reports' "none"
		{"+", "'+"},
		{"-3", "-3"},
		{"-30.5", "-30.5"},
		{"+1.5", "+1.5"},
		{"-2.5e-07", "-2.5e-07"},
		{"-1e", "'-1e"},
		{"-.5", "-.5"},
		{"-Inf", "'-Inf"},
		{"-0x10", "'-0x10"},
		{"line one\nline two", "line one\nline two"},
		{"a\x1b[31m\nb\u202e", "a\\x1b[31m\nb\\u202e"},
		{"=a\x1b", `'=a\x1b`},
	} {
		if got := Cell(tc.in); got != tc.want {
			t.Errorf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	row := Row([]string{"=1+1", "2", "-4"})
	if row[0] != "'=1+1" || row[1] != "2" || row[2] != "-4" {
		t.Errorf("Row: %q", row)
	}
}
