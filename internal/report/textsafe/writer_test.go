package textsafe

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestJSONWriter(t *testing.T) {
	in := map[string]string{"s": "a\x1b[31m\u202eb\u0085c\x7fd ×\u2066é<x>"}
	raw, _ := json.Marshal(in)
	// Write one byte at a time: sequences split across writes.
	var buf bytes.Buffer
	w := NewJSONWriter(&buf)
	for i := range raw {
		if _, err := w.Write(raw[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `{"s":"a\u001b[31m\u202eb\u0085c\u007fd ×\u2066é\u003cx\u003e"}`
	if buf.String() != want {
		t.Errorf("got  %s\nwant %s", buf.String(), want)
	}
	var back map[string]string
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back["s"] != in["s"] {
		t.Errorf("does not read back: %v %q", err, back["s"])
	}
}

func TestHTMLWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewHTMLWriter(&buf)
	w.Write([]byte("<p>a\x1b]0;t\x07\tb\n\u202ec\u0085 \xff ×\xe2"))
	w.Write([]byte("\x80"))
	w.Write([]byte("\xae</p>\xe2\x80"))
	w.Flush()
	if want := "<p>a\\x1b]0;t\\x07\tb\n\\u202ec\\x85 \\xff ×\\u202e</p>\\xe2\\x80"; buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
}
