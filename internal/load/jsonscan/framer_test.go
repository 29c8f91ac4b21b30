package jsonscan

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type framed struct {
	recs   []string // record text
	lines  []int64
	errs   []string // "line N: msg"
	layout Layout
}

func frameAll(t testing.TB, in string, blockSize int, oneByte bool) framed {
	return frameMax(t, in, blockSize, oneByte, 1<<20)
}

func frameMax(t testing.TB, in string, blockSize int, oneByte bool, maxRecord int) framed {
	var r io.Reader = strings.NewReader(in)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	f := NewFramer(r, Options{BlockSize: blockSize, MaxRecord: maxRecord})
	var out framed
	for b := f.Next(); b != nil; b = f.Next() {
		for _, e := range b.Errors {
			out.errs = append(out.errs, fmt.Sprintf("line %d: %v", e.Line, e.Err))
		}
		for _, r := range b.Records {
			if r.Start < 0 || r.End > len(b.Data) || r.Start >= r.End {
				t.Fatalf("record out of range: %+v in %d bytes", r, len(b.Data))
			}
			out.recs = append(out.recs, string(b.Data[r.Start:r.End]))
			out.lines = append(out.lines, r.Line)
			// The record's offset agrees with its bytes in the input.
			if off := b.Base + int64(r.Start); off+int64(r.End-r.Start) > int64(len(in)) || in[off:off+int64(r.End-r.Start)] != string(b.Data[r.Start:r.End]) {
				t.Fatalf("record at offset %d does not match the input", off)
			}
		}
	}
	out.layout = f.Layout()
	return out
}

func TestFramer(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		recs   []string
		lines  []int64
		errs   []string
		layout Layout
	}{
		{
			name: "json lines", in: "{\"a\":1}\n{\"b\":2}\r\n\n{\"c\":3}",
			recs: []string{`{"a":1}`, `{"b":2}`, `{"c":3}`}, lines: []int64{1, 2, 4}, layout: LayoutLines,
		},
		{
			name: "pretty stream", in: "{\n  \"a\": 1\n}\n{\n  \"b\": [\n    2\n  ]\n}\n",
			recs: []string{"{\n  \"a\": 1\n}", "{\n  \"b\": [\n    2\n  ]\n}"}, lines: []int64{1, 4}, layout: LayoutStream,
		},
		{
			name: "list", in: "{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n    {\"x\": 1},\n    {\"y\": \"]\"}\n  ],\n  \"kind\": \"List\",\n  \"metadata\": {\"resourceVersion\": \"\"}\n}\n",
			recs: []string{`{"x": 1}`, `{"y": "]"}`}, lines: []int64{4, 5}, layout: LayoutList,
		},
		{
			name: "empty list", in: `{"items":[],"kind":"List"}`, layout: LayoutList,
		},
		{
			name: "object without items is a record", in: `{"kind":"Event","items2":[1]}`,
			recs: []string{`{"kind":"Event","items2":[1]}`}, lines: []int64{1}, layout: LayoutLines,
		},
		{
			name: "array", in: "[\n {\"a\":1},\n {\"b\":2}\n]",
			recs: []string{`{"a":1}`, `{"b":2}`}, lines: []int64{2, 3}, layout: LayoutArray,
		},
		{
			name: "byte order mark", in: "\xef\xbb\xbf{\"a\":1}\n",
			recs: []string{`{"a":1}`}, lines: []int64{1}, layout: LayoutLines,
		},
		{
			name: "bad lines are reported and skipped", in: "{\"a\":1}\n{\"b\":\n not json\n{\"c\":3}\n{\"d\":4]\n{\"e\":5}",
			recs: []string{`{"a":1}`, `{"c":3}`, `{"e":5}`}, lines: []int64{1, 4, 6},
			errs:   []string{"line 2: record truncated at end of line", "line 3: unexpected 'n' at start of line (not JSON?)", "line 5: invalid JSON at byte 6: mismatched bracket"},
			layout: LayoutLines,
		},
		{
			name: "truncated pretty record", in: "{\n  \"a\": {\n    \"b\": 1\n{\n  \"c\": 2\n}\n",
			recs: []string{"{\n  \"c\": 2\n}"}, lines: []int64{4},
			errs:   []string{"line 1: record truncated: a new object starts in column 0 before it ends"},
			layout: LayoutStream,
		},
		{
			name: "truncated at end", in: "{\"a\":1}\n{\"b\":",
			recs: []string{`{"a":1}`}, lines: []int64{1},
			errs:   []string{"line 2: record truncated at end of line"},
			layout: LayoutLines,
		},
		{
			name: "truncated list", in: "{\"items\": [\n  {\"a\": 1},\n  {\"b\": ",
			recs: []string{`{"a": 1}`}, lines: []int64{2},
			errs:   []string{"line 3: unexpected end of input: record truncated"},
			layout: LayoutList,
		},
		{
			name: "bad list item resyncs at the next item", in: "{\"items\": [\n  {\"a\": 1},\n  {\"b\": 2]},\n  {\"c\": 3}\n]}",
			recs: []string{`{"a": 1}`, `{"c": 3}`}, lines: []int64{2, 4},
			errs:   []string{"line 3: invalid JSON at byte 7: mismatched bracket"},
			layout: LayoutList,
		},
		{
			name: "not json", in: "hello: world\nfoo: bar\n",
			errs:   []string{"line 1: unexpected 'h' at top level (not JSON?)"},
			layout: LayoutNone,
		},
		{
			// NUL bytes (a file padded with zeros after a crash) were
			// reported as "unexpected end of input".
			name: "NUL bytes in JSON lines", in: "{\"a\":1}\n\x00\x00\x00\n{\"b\":2}\n",
			recs: []string{`{"a":1}`, `{"b":2}`}, lines: []int64{1, 3},
			errs:   []string{"line 2: unexpected NUL byte at offset 8 at start of line (not JSON?)"},
			layout: LayoutLines,
		},
		{
			name: "NUL bytes after a pretty record", in: "{\n \"a\": 1\n}\n\x00\x00\x00\x00",
			recs: []string{"{\n \"a\": 1\n}"}, lines: []int64{1},
			errs:   []string{"line 4: unexpected NUL byte at offset 12 at top level (not JSON?)"},
			layout: LayoutStream,
		},
		{
			name: "garbage between pretty records", in: "{\n \"a\": 1\n}\nxx\n{\n \"b\": 2\n}\n",
			recs: []string{"{\n \"a\": 1\n}", "{\n \"b\": 2\n}"}, lines: []int64{1, 5},
			errs:   []string{"line 4: unexpected 'x' at top level (not JSON?)"},
			layout: LayoutStream,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Any block size and read size must frame the same way.
			for _, bs := range []int{1, 7, 64, 1 << 20} {
				for _, oneByte := range []bool{false, true} {
					got := frameAll(t, tt.in, bs, oneByte)
					if fmt.Sprint(got.recs) != fmt.Sprint(tt.recs) || fmt.Sprint(got.lines) != fmt.Sprint(tt.lines) ||
						fmt.Sprint(got.errs) != fmt.Sprint(tt.errs) || got.layout != tt.layout {
						t.Fatalf("block %d, one byte %v:\n got  %q %v %q %v\n want %q %v %q %v", bs, oneByte,
							got.recs, got.lines, got.errs, got.layout, tt.recs, tt.lines, tt.errs, tt.layout)
					}
				}
			}
		})
	}
}

func TestFramerLongLine(t *testing.T) {
	long := `{"a":"` + strings.Repeat("x", 3000) + `"}`
	in := "{\"a\":1}\n" + long + "\n{\"b\":2}\n"
	f := NewFramer(strings.NewReader(in), Options{BlockSize: 64, MaxRecord: 1000})
	var recs, errs []string
	for b := f.Next(); b != nil; b = f.Next() {
		for _, r := range b.Records {
			recs = append(recs, string(b.Data[r.Start:r.End]))
		}
		for _, e := range b.Errors {
			errs = append(errs, e.Error())
		}
	}
	if fmt.Sprint(recs) != `[{"a":1} {"b":2}]` || len(errs) != 1 || !strings.Contains(errs[0], "line 2: line longer than 1000 bytes") {
		t.Fatalf("records %q, errors %q", recs, errs)
	}
}

type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

func TestFramerReadError(t *testing.T) {
	in := "{\"a\":1}\n{\"b\":2}\n{\"c\""
	f := NewFramer(&errReader{strings.NewReader(in), io.ErrUnexpectedEOF}, Options{})
	n := 0
	for b := f.Next(); b != nil; b = f.Next() {
		n += len(b.Records)
	}
	if n != 2 || f.ReadErr() != io.ErrUnexpectedEOF {
		t.Fatalf("records %d, read error %v", n, f.ReadErr())
	}
}

// FuzzFramer: no panic, records lie inside their blocks, and the result
// depends neither on the block size nor on the read size, with the record
// limit out of reach and within it.
func FuzzFramer(f *testing.F) {
	for _, s := range []string{"{\"a\":1}\n{\"b\":2}", "{\"items\":[{\"a\":1},{\"b\":2}]}", "[{},{}]", "{\n \"a\": 1\n}\n{\n}\n", "x\n{}",
		"{\n  \"a\": \"0123456789abcdef\"\n}\n{\"b\":2}\n", "[123456789012345678901234567890, 1]", "{\"items\": [{\"a\": \"0123456789abcdef\"}, {}], \"x\": 1}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := string(b)
		big := frameAll(t, in, 1<<20, false)
		small := frameAll(t, in, 3, true)
		if fmt.Sprint(big) != fmt.Sprint(small) {
			t.Fatalf("block sizes disagree on %q:\n%+v\n%+v", in, big, small)
		}
		big = frameMax(t, in, 1<<20, false, 16)
		small = frameMax(t, in, 3, true, 16)
		if fmt.Sprint(big) != fmt.Sprint(small) {
			t.Fatalf("read sizes disagree on %q with a 16-byte record limit:\n%+v\n%+v", in, big, small)
		}
	})
}

// readers are the ways input arrives: a plain file (one read fills the
// buffer), a pipe or gzip (4 KiB reads) and the worst case, a byte a read.
var readers = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"4KiB", func(r io.Reader) io.Reader { return &chunkReader{r, 4 << 10} }},
	{"1B", iotest.OneByteReader},
}

// Framing is linear in the input for any read size: a record is scanned
// again only after the bytes pending have doubled (it was scanned again
// after every read, 40 s for a 32 MB object from a pipe).
func TestFramerLinear(t *testing.T) {
	in := prettyObject(2 << 20)
	lines := append(bytes.Repeat([]byte(`{"a":"0123456789"}`+"\n"), 1000), []byte(`{"long":"`+strings.Repeat("x", 1<<20)+`"}`+"\n")...)
	for _, input := range [][]byte{in, lines} {
		for _, rd := range readers {
			f := NewFramer(rd.wrap(bytes.NewReader(input)), Options{})
			n := 0
			for b := f.Next(); b != nil; b = f.Next() {
				n += len(b.Records) + len(b.Errors)
				b.Release()
			}
			if n == 0 || f.scanned > 4*int64(len(input)) {
				t.Errorf("%s: %d records, %d bytes scanned for %d bytes of input", rd.name, n, f.scanned, len(input))
			}
		}
	}
}

// The record limit is the same whatever the source: a record one byte
// longer than MaxRecord is rejected, and one of MaxRecord bytes accepted,
// read whole or in small reads (a 131 MB object was accepted from a plain
// file and rejected from its gzip).
func TestFramerRecordLimit(t *testing.T) {
	const max = 1000
	pretty := func(n int) string { // a pretty-printed object of n bytes
		s := "{\n  \"a\": \"\"\n}"
		return s[:10] + strings.Repeat("x", n-len(s)) + s[10:]
	}
	line := func(n int) string { return `{"a":"` + strings.Repeat("x", n-8) + `"}` }
	for _, tc := range []struct {
		name, in string
		recs     int
		errs     []string
	}{
		{"pretty at the limit", pretty(max) + "\n" + pretty(20) + "\n", 2, nil},
		{"pretty over the limit", pretty(max+1) + "\n" + pretty(20) + "\n", 1, []string{"line 1: record longer than 1000 bytes"}},
		{"pretty far over the limit", pretty(5*max) + "\n" + pretty(20) + "\n", 1, []string{"line 1: record longer than 1000 bytes"}},
		{"line at the limit", line(max) + "\n" + line(20) + "\n", 2, nil},
		{"line over the limit", line(20) + "\n" + line(max+1) + "\n" + line(20) + "\n", 2, []string{"line 2: line longer than 1000 bytes"}},
		{"last line over the limit", line(20) + "\n" + line(max+1), 1, []string{"line 2: line longer than 1000 bytes"}},
		{"list item over the limit", "{\"items\": [\n  " + line(max+1) + ",\n  " + line(20) + "\n]}\n", 1, []string{"line 2: record longer than 1000 bytes"}},
		{"array element over the limit", "[\n " + line(20) + ",\n " + line(max+1) + ",\n " + line(20) + "\n]\n", 2, []string{"line 3: record longer than 1000 bytes"}},
	} {
		for _, rd := range readers {
			f := NewFramer(rd.wrap(strings.NewReader(tc.in)), Options{BlockSize: 64, MaxRecord: max})
			recs := 0
			var errs []string
			for b := f.Next(); b != nil; b = f.Next() {
				recs += len(b.Records)
				for _, e := range b.Errors {
					errs = append(errs, e.Error())
				}
			}
			if recs != tc.recs || fmt.Sprint(errs) != fmt.Sprint(tc.errs) {
				t.Errorf("%s, %s reads: %d records, errors %q; want %d, %q", tc.name, rd.name, recs, errs, tc.recs, tc.errs)
			}
		}
	}
}
