package textsafe

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// Writer passes a report's bytes through to another writer, escaping the
// characters that would act on a terminal or a browser instead of being
// shown, for outputs whose writers cannot sanitize each field: JSON
// (NewJSONWriter) and HTML pages (NewHTMLWriter). Call Flush at the end.
type Writer struct {
	w       io.Writer
	html    bool
	pending []byte // the start of a UTF-8 sequence that the next Write ends
	out     []byte
}

// NewJSONWriter escapes, in JSON written through it, the characters that
// encoding/json writes raw although they act on a terminal: DEL, C1
// controls and the bidi overrides and isolates, as \u007f, \u0085,
// \u202e. These bytes only occur inside JSON strings, where the escape is
// the same string, so the JSON means what it meant (encoding/json already
// escapes the other controls).
func NewJSONWriter(w io.Writer) *Writer { return &Writer{w: w} }

// NewHTMLWriter shows, in an HTML page written through it, control
// characters other than newline, tab and carriage return, C1 controls,
// bidi overrides and isolates and invalid UTF-8 bytes the way Sanitize
// shows them (\x1b, \u202e): html/template escapes markup, not these, and
// a page's own markup holds none of them.
func NewHTMLWriter(w io.Writer) *Writer { return &Writer{w: w, html: true} }

// needs reports whether byte c may start something to escape.
func (x *Writer) needs(c byte) bool {
	if c >= 0x80 || c == 0x7f {
		return true
	}
	return x.html && c < 0x20 && c != '\n' && c != '\t' && c != '\r'
}

func (x *Writer) Write(p []byte) (int, error) {
	n := len(p)
	if len(x.pending) > 0 {
		p = append(x.pending, p...)
		x.pending = x.pending[:0:0]
	}
	out := x.out[:0]
	for i := 0; i < len(p); {
		c := p[i]
		if !x.needs(c) {
			j := i + 1
			for j < len(p) && !x.needs(p[j]) {
				j++
			}
			out = append(out, p[i:j]...)
			i = j
			continue
		}
		if c < 0x80 {
			out = fmt.Appendf(out, `\%s%02x`, x.prefix(), c)
			i++
			continue
		}
		if !utf8.FullRune(p[i:]) {
			x.pending = append(x.pending, p[i:]...)
			break
		}
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			if x.html {
				out = fmt.Appendf(out, `\x%02x`, c)
			} else {
				out = append(out, c) // not written by a JSON encoder; left as it is
			}
		case control(r):
			out = fmt.Appendf(out, `\%s%02x`, x.prefix(), r)
		case Bidi(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, p[i:i+size]...)
		}
		i += size
	}
	x.out = out
	if _, err := x.w.Write(out); err != nil {
		return 0, err
	}
	return n, nil
}

// prefix is what follows the backslash of an escaped control character.
func (x *Writer) prefix() string {
	if x.html {
		return "x"
	}
	return "u00"
}

// Flush writes out a sequence that the stream ended in the middle of (as
// the invalid bytes it is).
func (x *Writer) Flush() error {
	if len(x.pending) == 0 {
		return nil
	}
	p := x.pending
	x.pending = nil
	if !x.html {
		_, err := x.w.Write(p)
		return err
	}
	var out []byte
	for _, c := range p {
		out = fmt.Appendf(out, `\x%02x`, c)
	}
	_, err := x.w.Write(out)
	return err
}
