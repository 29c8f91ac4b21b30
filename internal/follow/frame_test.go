package follow

import (
	"bytes"
	"testing"
)

func TestFramer(t *testing.T) {
	for _, c := range []struct {
		name   string
		chunks []string
		want   []int64 // after each chunk
	}{
		{"lines", []string{`{"a":1}` + "\n" + `{"b":`, `2}` + "\n"}, []int64{8, 16}},
		{"pretty objects", []string{"{\n    \"a\": {\n        \"b\": \"}\"\n", "    }\n}\n{\n", "  \"c\": 1\n}"}, []int64{0, 38, 50}},
		{"escaped quote", []string{`{"m":"a\"}b"`, `}`}, []int64{0, 13}},
		{"brace in string across chunks", []string{`{"m":"{{`, `"}`, "\n"}, []int64{0, 10, 11}},
		{"not JSON", []string{"garbage line\n{\"a\"", ":1}"}, []int64{13, 20}},
		{"watch event", []string{`{"type":"ADDED","object":{"kind":"Event","message":"x"}}`}, []int64{56}},
	} {
		var f framer
		for i, ch := range c.chunks {
			if got := f.scan([]byte(ch)); got != c.want[i] {
				t.Errorf("%s: after chunk %d: end %d, want %d", c.name, i, got, c.want[i])
			}
		}
	}
}

// FuzzFramer checks that the framer, fed a stream in any chunks, ends
// records at the same places as fed it whole, never past what it was given
// and never going back.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("{\"a\":\"}\"}\n{\"b\":[1,2]}\n"), uint8(3))
	f.Add([]byte("{\n  \"x\": \"\\\"\"\n}\n"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		var whole framer
		want := whole.scan(data)
		var parts framer
		n := int(step%16) + 1
		var got, last int64
		for i := 0; i < len(data); i += n {
			j := min(i+n, len(data))
			got = parts.scan(data[i:j])
			if got < last || got > int64(j) {
				t.Fatalf("end %d after %d bytes (was %d)", got, j, last)
			}
			last = got
		}
		if len(data) > 0 && got != want {
			t.Fatalf("in chunks of %d: end %d, whole: %d", n, got, want)
		}
		if want > 0 && !bytes.ContainsAny(data[want-1:want], "}]\n") {
			t.Fatalf("a record ends after %q", data[want-1])
		}
	})
}
