package otlp

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
)

// appendStringSlow is the byte-at-a-time escaper appendString replaced.
func appendStringSlow(b []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, `\u202`...)
			b = append(b, hexd[r&0xf])
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

// FuzzAppendString: the escaper writes what the byte-at-a-time one wrote,
// valid JSON that decodes to s with each invalid byte replaced, and no raw
// <, >, &, control characters or line separators.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain ascii text", `quote " back \ slash`, "<script>&amp;</script>", "tab\tnew\nline\r\x00\x1f\x7f",
		"héllo wörld — ✓", "\u2028\u2029", "bad \xff\xfe utf8 \xed\xa0\x80", "0123456789abcdef<", "abcdefg\x80", "12345678\"12345678"} {
		f.Add(s)
	}
	if raw, err := os.ReadFile("../../../testdata/bad/hostile.jsonl"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		if want := appendStringSlow(nil, s); string(got) != string(want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("appendString(%q) = %s: %v", s, got, err)
		}
		if want := string([]rune(s)); back != want {
			t.Fatalf("appendString(%q) decodes to %q", s, back)
		}
		if strings.ContainsAny(string(got), "<>&\u2028\u2029") || strings.IndexFunc(string(got), func(r rune) bool { return r < 0x20 }) >= 0 {
			t.Fatalf("appendString(%q) = %s: unescaped", s, got)
		}
	})
}

func TestWireHelpers(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 16383, 16384, 1<<21 - 1, 1 << 21, math.MaxUint32, math.MaxUint64} {
		if got, want := appendVarint(nil, v), protowire.AppendVarint(nil, v); string(got) != string(want) {
			t.Errorf("appendVarint(%d) = %x, want %x", v, got, want)
		}
	}
	for _, i := range []int64{0, 9, 10, -1, -9, -10, 99, 100, math.MaxInt64, math.MinInt64} {
		if got, want := intLen(i), len(strconv.FormatInt(i, 10)); got != want {
			t.Errorf("intLen(%d) = %d, want %d", i, got, want)
		}
	}
	s := strings.Repeat("x", 200)
	if got, want := appendBytesField(nil, 5, s), protowire.AppendString(protowire.AppendTag(nil, 5, protowire.BytesType), s); string(got) != string(want) {
		t.Errorf("appendBytesField = %x, want %x", got, want)
	}
}

// reset leaves no string of the last rollout in the reused slices.
func TestTraceResetClears(t *testing.T) {
	a, err := archive.Load(context.Background(), []string{"../../../testdata/lab-basic"}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	rollouts := correlate.Correlate(a.Events(), a.Changes).Rollouts
	b := newBuilder(rollouts, a.Events(), Options{})
	for i := range rollouts {
		b.build(i)
	}
	tr := &b.t
	if len(tr.attrs) == 0 || len(tr.events) == 0 || len(tr.spans) == 0 {
		t.Fatal("the last trace is empty")
	}
	tr.reset()
	for _, x := range tr.attrs[:cap(tr.attrs)] {
		if x != (attr{}) {
			t.Fatalf("stale attribute %+v", x)
		}
	}
	for _, x := range tr.events[:cap(tr.events)] {
		if x != (event{}) {
			t.Fatalf("stale event %+v", x)
		}
	}
	for _, x := range tr.spans[:cap(tr.spans)] {
		if x != (span{}) {
			t.Fatalf("stale span %+v", x)
		}
	}
	for _, x := range tr.lists[:cap(tr.lists)] {
		if x != nil {
			t.Fatalf("stale list %q", x)
		}
	}
	for _, x := range tr.more[:cap(tr.more)] {
		if x != "" {
			t.Fatalf("stale string %q", x)
		}
	}
}

// cut keeps values within MaxValueBytes, at a UTF-8 boundary, with the
// marker; strs cuts an array by its size; both record the original length.
func TestCutValues(t *testing.T) {
	long := strings.Repeat("é", MaxValueBytes) // 2 bytes a rune
	for _, s := range []string{"", "short", strings.Repeat("x", MaxValueBytes), strings.Repeat("x", MaxValueBytes+1), long, "x" + long} {
		got := cut(s)
		if len(s) <= MaxValueBytes {
			if got != s {
				t.Errorf("cut(%d bytes) changed it", len(s))
			}
			continue
		}
		if len(got) > MaxValueBytes || !utf8.ValidString(got) || !strings.HasSuffix(got, TruncatedMarker) || !strings.HasPrefix(s, strings.TrimSuffix(got, TruncatedMarker)) {
			t.Errorf("cut(%d bytes) = %d bytes, valid %t, …%q", len(s), len(got), utf8.ValidString(got), got[max(0, len(got)-20):])
		}
	}
	var tr trace
	k := newKey("k")
	list := []string{strings.Repeat("a", 3000), strings.Repeat("b", 3000), "c"}
	tr.strs(k, list)
	if len(tr.attrs) != 2 || tr.attrs[1].key != k.truncated || tr.attrs[1].i != 6001 || tr.truncated != 1 {
		t.Fatalf("attrs %+v", tr.attrs)
	}
	if got := tr.lists[0]; listSize(got) > MaxValueBytes || len(got) != 2 || got[1] != TruncatedMarker {
		t.Errorf("list cut to %d strings, %d bytes", len(got), listSize(got))
	}
	tr.reset()
	tr.join(k, strings.Repeat("n", MaxValueBytes), "name")
	tr.source(k, strings.Repeat("/d", MaxValueBytes), 12)
	if len(tr.attrs) != 4 || tr.attrs[0].kind != valString || len(tr.attrs[0].s) > MaxValueBytes || tr.attrs[1].i != MaxValueBytes+5 ||
		tr.attrs[2].kind != valString || tr.attrs[3].i != 2*MaxValueBytes+3 {
		t.Errorf("join and source: %+v", tr.attrs)
	}
}
