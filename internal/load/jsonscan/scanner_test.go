package jsonscan

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"
)

func TestStr(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`"plain"`, "plain", true},
		{`null`, "", false},
		{`"a\"b\\c\/d\n\t"`, "a\"b\\c/d\n\t", true},
		{`"\u003cscript\u003e"`, "<script>", true},
		{`"\ud83d\ude00 smile"`, "😀 smile", true},
		{`"lone \ud800 surrogate"`, "lone \ufffd surrogate", true},
		{"\"bad \xff byte\"", "bad \ufffd byte", true},
		{`"héllo"`, "héllo", true},
	}
	for _, tt := range tests {
		var s Scanner
		s.Reset([]byte(tt.in))
		got, ok := s.Str()
		if err := s.Err(); err != nil {
			t.Errorf("Str(%s): %v", tt.in, err)
			continue
		}
		if string(got) != tt.want || ok != tt.ok {
			t.Errorf("Str(%s) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// Strings decoded earlier in a record stay intact while later ones are
// decoded (decoders keep slices of several fields of one record).
func TestStrStableWithinRecord(t *testing.T) {
	var s Scanner
	s.Reset([]byte(`["a\nb", "c\td", "` + string(make([]byte, 0)) + `e\u0041"]`))
	s.Array()
	var got [][]byte
	for first := true; s.Elem(first); first = false {
		v, _ := s.Str()
		got = append(got, v)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"a\nb", "c\td", "eA"}
	for i, w := range want {
		if string(got[i]) != w {
			t.Errorf("value %d = %q, want %q", i, got[i], w)
		}
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
		err  bool
	}{
		{"0", 0, true, false},
		{"-17", -17, true, false},
		{"42", 42, true, false},
		{"1.0", 1, true, false},
		{"1e3", 1000, true, false},
		{`"7"`, 7, true, false},
		{"null", 0, false, false},
		{"1.5", 0, false, true},
		{"-", 0, false, true},
		{"99999999999999999999", 0, false, true},
	}
	for _, tt := range tests {
		var s Scanner
		s.Reset([]byte(tt.in))
		got, ok := s.Int()
		if (s.Err() != nil) != tt.err {
			t.Errorf("Int(%s) error = %v, want error %v", tt.in, s.Err(), tt.err)
			continue
		}
		if !tt.err && (got != tt.want || ok != tt.ok) {
			t.Errorf("Int(%s) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSkip(t *testing.T) {
	valid := []string{
		`{}`, `[]`, `{"a":[1,2,{"b":"c\"}"}],"d":null}`, `"x\\"`, `-1.5e+10`, `true`, `false`, `null`,
		`{"s":"]}"}`, `[[[[[[[[[[]]]]]]]]]]`,
	}
	for _, in := range valid {
		var s Scanner
		s.Reset([]byte(in + " tail"))
		s.Skip()
		if s.Err() != nil || string(s.buf[s.Pos():]) != " tail" {
			t.Errorf("Skip(%s): err %v, stopped at %d", in, s.Err(), s.Pos())
		}
	}
	invalid := []string{`{"a":1]`, `[1,2`, `"abc`, `tru`, `-`, `1.`, `1e`, `}`, `@`}
	for _, in := range invalid {
		var s Scanner
		s.Reset([]byte(in))
		s.Skip()
		if s.Err() == nil {
			t.Errorf("Skip(%s): no error", in)
		}
	}
}

// An error caused by the end of input says so: the framer reads on.
func TestSyntaxErrorEOF(t *testing.T) {
	for _, in := range []string{`{"a":`, `{"a":"b`, `[1,`, `{"a":nu`, `{"a":{"b":[1`} {
		var s Scanner
		s.Reset([]byte(in))
		s.Skip()
		var se *SyntaxError
		if !errors.As(s.Err(), &se) || !se.EOF {
			t.Errorf("Skip(%s) = %v, want an EOF syntax error", in, s.Err())
		}
	}
	var s Scanner
	s.Reset([]byte(`{"a":1]`))
	s.Skip()
	var se *SyntaxError
	if !errors.As(s.Err(), &se) || se.EOF {
		t.Errorf("mismatched bracket: %v, want a non-EOF syntax error", s.Err())
	}
}

// IntIn reads a whole number in range, and anything else is a problem with
// the field, never a syntax error that rejects the record.
func TestIntIn(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
		err  string
	}{
		{`7`, 7, true, ""},
		{`"7"`, 7, true, ""},
		{`1e3`, 1000, true, ""},
		{`2.0`, 2, true, ""},
		{`-0`, 0, true, ""},
		{`2147483647`, 2147483647, true, ""},
		{`null`, 0, false, ""},
		{`2147483648`, 0, false, "out of range: 2147483648"},
		{`-1`, 0, false, "out of range: -1"},
		{`9223372036854775807`, 0, false, "out of range: 9223372036854775807"},
		{`9223372036854775808`, 0, false, "out of range: 9223372036854775808"},
		{`1e308`, 0, false, "out of range: 1e308"},
		{`1e999`, 0, false, "out of range: 1e999"},
		{`1.5`, 0, false, "not a whole number: \"1.5\""},
		{`"many"`, 0, false, "not a number: \"many\""},
		{`true`, 0, false, "not a number"},
		{`{"a":1}`, 0, false, "not a number"},
	} {
		var s Scanner
		s.Reset([]byte(`[` + tt.in + `,5]`))
		s.Array()
		s.Elem(true)
		v, ok, err := s.IntIn(0, 1<<31-1)
		if got := fmt.Sprint(err); v != tt.want || ok != tt.ok || err != nil && got != tt.err || err == nil && tt.err != "" {
			t.Errorf("IntIn(%s) = %d, %v, %v; want %d, %v, %q", tt.in, v, ok, err, tt.want, tt.ok, tt.err)
		}
		// The value was consumed whole: the next element reads.
		if !s.Elem(false) || s.Peek() != '5' || s.Err() != nil {
			t.Errorf("IntIn(%s): next element not found, scanner error %v", tt.in, s.Err())
		}
	}
	var s Scanner
	s.Reset([]byte(`1.e5`))
	if _, _, err := s.IntIn(0, 10); err != nil || s.Err() == nil {
		t.Errorf("malformed number: field error %v, scanner error %v; want a syntax error", err, s.Err())
	}
}

// A NUL byte where a value should start is named, with its offset (it was
// "unexpected end of input").
func TestSkipNUL(t *testing.T) {
	var s Scanner
	s.Reset([]byte("[1, \x00]"))
	s.Array()
	s.Elem(true)
	s.Skip()
	s.Elem(false)
	s.Skip()
	if err := s.Err(); err == nil || err.Error() != "invalid JSON at byte 4: unexpected NUL byte" {
		t.Errorf("got %v", err)
	}
}

func TestParseTime(t *testing.T) {
	ref := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixNano()
	}
	tests := []struct {
		in   string
		want int64
		ok   bool
		err  bool
	}{
		{"2026-11-25T03:28:25Z", ref("2026-11-25T03:28:25Z"), true, false},
		{"2026-11-25T03:31:01.358259Z", ref("2026-11-25T03:31:01.358259Z"), true, false},
		{"2026-11-25T03:31:01.123456789Z", ref("2026-11-25T03:31:01.123456789Z"), true, false},
		{"2024-02-29T23:59:59+02:00", ref("2024-02-29T23:59:59+02:00"), true, false},
		{"1999-12-31T23:59:59-05:30", ref("1999-12-31T23:59:59-05:30"), true, false},
		{"2022-11-03 10:00:00.5Z", ref("2022-11-03T10:00:00.5Z"), true, false},
		{"null", 0, false, false},
		{"", 0, false, false},
		{"2023-02-29T00:00:00Z", 0, false, true},
		{"yesterday", 0, false, true},
		// The ends of int64 nanoseconds, and beyond them (they wrapped:
		// 1600-01-01 was read as 2184-07-20).
		{"1677-09-21T00:12:43.145224192Z", math.MinInt64, true, false},
		{"2262-04-11T23:47:16.854775807Z", math.MaxInt64, true, false},
		{"1677-09-21T00:12:43.145224191Z", 0, false, true},
		{"2262-04-11T23:47:16.854775808Z", 0, false, true},
		{"1600-01-01T00:00:00Z", 0, false, true},
		{"9999-12-31T23:59:59Z", 0, false, true},
		{"0001-01-01T00:00:00Z", 0, false, true},
		{"9999-12-31 23:59:59", 0, false, true},
		{"2262-04-12T01:00:00+02:00", ref("2262-04-11T23:00:00Z"), true, false},
	}
	for _, tt := range tests {
		got, ok, err := ParseTime([]byte(tt.in))
		if (err != nil) != tt.err || ok != tt.ok || got != tt.want {
			t.Errorf("ParseTime(%q) = %d, %v, %v; want %d, %v, error %v", tt.in, got, ok, err, tt.want, tt.ok, tt.err)
		}
		if yr := (tt.in + "    ")[:4]; err != nil && yr[0] <= '9' && (yr < "1678" || yr > "2262") && !errors.Is(err, ErrTimeRange) {
			t.Errorf("ParseTime(%q): %v, want ErrTimeRange", tt.in, err)
		}
	}
}

// FuzzScanner checks Skip and Str against encoding/json: a document
// encoding/json accepts is skipped whole, and its strings decode the same.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `["\u00e9", 1, null]`, `"\ud83d\ude00"`, `{"a":[{"b":-1.5e3}]}`, `"a\\\"b"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Scanner
		s.Reset(b)
		s.Skip()
		if !json.Valid(b) {
			return
		}
		if s.Err() != nil || !s.AtEnd() {
			t.Fatalf("valid JSON %q: Skip err %v at %d", b, s.Err(), s.Pos())
		}
		var want string
		if json.Unmarshal(b, &want) == nil {
			s.Reset(b)
			got, _ := s.Str()
			if s.Err() != nil || string(got) != want {
				t.Fatalf("Str(%q) = %q, %v; encoding/json gives %q", b, got, s.Err(), want)
			}
		}
	})
}
