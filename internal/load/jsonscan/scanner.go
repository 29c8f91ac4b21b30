// Package jsonscan is a small, allocation-free JSON reader for the loaders.
//
// It owns two things: Scanner, a pull parser over one complete record held in
// memory (decoders walk the keys they need and skip the rest without decoding
// it), and Framer, which cuts a byte stream into records (JSON lines,
// concatenated pretty-printed objects, a top-level array, or the items of a
// Kubernetes List) with the line and byte offset where each starts.
//
// encoding/json decodes a kubectl event export at about 52 MB/s into
// k8s.io/api structs; the loaders need a handful of fields per event and skip
// managedFields and most of metadata, which is where the time goes. See the
// benchmarks in internal/load/k8sjson for the comparison.
package jsonscan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// SyntaxError is a malformed-JSON error at a byte offset within a record.
type SyntaxError struct {
	Offset int // byte offset within the record
	Msg    string
	// EOF is set when the input ended inside a value: more data may
	// complete it (the Framer reads on), or the record was truncated.
	EOF bool
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// Scanner reads one JSON value held in memory. Errors are sticky: after the
// first error every method returns a zero value, and Err reports it. Byte
// slices returned by Key, Str and Raw alias the input or an internal arena
// and stay valid until the next Reset; copy what must outlive it.
type Scanner struct {
	buf   []byte
	pos   int
	err   error
	arena []byte // decoded strings of the current input
	stack []byte // closing brackets expected by Skip, reused
}

// Reset starts reading b.
func (s *Scanner) Reset(b []byte) {
	s.buf = b
	s.pos = 0
	s.err = nil
	s.arena = s.arena[:0]
}

// alloc returns an empty slice with room for n bytes that later allocations
// will not overwrite before the next Reset.
func (s *Scanner) alloc(n int) []byte {
	if cap(s.arena)-len(s.arena) < n {
		// Start a new chunk; slices into the old one stay valid.
		s.arena = make([]byte, 0, max(4096, 2*n))
	}
	return s.arena[len(s.arena):len(s.arena)]
}

func (s *Scanner) commit(out []byte) []byte {
	s.arena = s.arena[:len(s.arena)+len(out)]
	return out
}

// Err returns the first error, if any.
func (s *Scanner) Err() error { return s.err }

// Pos is the current byte offset.
func (s *Scanner) Pos() int { return s.pos }

// Fail records err (if none is recorded yet) so decoders can report
// semantic errors through the same sticky path.
func (s *Scanner) Fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

func (s *Scanner) syntax(msg string) {
	if s.err == nil {
		s.err = &SyntaxError{Offset: s.pos, Msg: msg, EOF: s.pos >= len(s.buf)}
	}
}

func (s *Scanner) ws() {
	// Compact JSON has no white space between tokens: one compare.
	if s.pos < len(s.buf) && s.buf[s.pos] > ' ' {
		return
	}
	s.wsSlow()
}

func (s *Scanner) wsSlow() {
	for s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// Peek returns the first byte of the next value ('{', '[', '"', 'n', digit,
// ...) without consuming it, or 0 at the end of input or after an error.
func (s *Scanner) Peek() byte {
	if s.err != nil {
		return 0
	}
	s.ws()
	if s.pos >= len(s.buf) {
		return 0
	}
	return s.buf[s.pos]
}

// AtEnd reports whether only white space is left.
func (s *Scanner) AtEnd() bool {
	s.ws()
	return s.pos >= len(s.buf)
}

// Object starts reading an object. It returns false (and records an error)
// when the next value is not an object; use Peek first to accept null.
func (s *Scanner) Object() bool {
	if s.Peek() != '{' {
		s.syntax("expected object")
		return false
	}
	s.pos++
	return true
}

// Key returns the next key of the current object and consumes the colon, or
// ok=false at the closing brace. The key is raw (escapes not decoded; keys of
// interest have none).
func (s *Scanner) Key(first bool) (key []byte, ok bool) {
	if s.err != nil {
		return nil, false
	}
	s.ws()
	if s.pos >= len(s.buf) {
		s.syntax("unexpected end of input in object")
		return nil, false
	}
	c := s.buf[s.pos]
	if c == '}' {
		s.pos++
		return nil, false
	}
	if !first {
		if c != ',' {
			s.syntax("expected ',' or '}' in object")
			return nil, false
		}
		s.pos++
		s.ws()
	}
	if s.pos >= len(s.buf) || s.buf[s.pos] != '"' {
		s.syntax("expected string key")
		return nil, false
	}
	start := s.pos + 1
	end, _, _ := s.scanString()
	if s.err != nil {
		return nil, false
	}
	key = s.buf[start:end]
	s.ws()
	if s.pos >= len(s.buf) || s.buf[s.pos] != ':' {
		s.syntax("expected ':' after key")
		return nil, false
	}
	s.pos++
	return key, true
}

// Array starts reading an array.
func (s *Scanner) Array() bool {
	if s.Peek() != '[' {
		s.syntax("expected array")
		return false
	}
	s.pos++
	return true
}

// Elem advances to the next array element; false at the closing bracket.
func (s *Scanner) Elem(first bool) bool {
	if s.err != nil {
		return false
	}
	s.ws()
	if s.pos >= len(s.buf) {
		s.syntax("unexpected end of input in array")
		return false
	}
	c := s.buf[s.pos]
	if c == ']' {
		s.pos++
		return false
	}
	if !first {
		if c != ',' {
			s.syntax("expected ',' or ']' in array")
			return false
		}
		s.pos++
	}
	return true
}

// scanString consumes a string starting at the opening quote. It returns the
// offset of the closing quote and whether the content has escapes or
// non-ASCII bytes.
func (s *Scanner) scanString() (end int, escaped, nonASCII bool) {
	b := s.buf
	start := s.pos + 1
	// Most strings are short keys and names: a plain loop beats the call
	// overhead of IndexByte for the first bytes.
	for i := start; i < len(b) && i < start+24; i++ {
		c := b[i]
		if c == '"' {
			s.pos = i + 1
			return i, false, nonASCII
		}
		if c == '\\' || c < 0x20 {
			goto slow
		}
		if c >= 0x80 {
			nonASCII = true
		}
	}
	// Long strings: find the closing quote with IndexByte; a span with no
	// backslash needs only a check for control and non-ASCII bytes.
	if k := bytes.IndexByte(b[start:], '"'); k >= 0 {
		span := b[start : start+k]
		if bytes.IndexByte(span, '\\') < 0 {
			ctl, high := classify(span)
			if !ctl {
				s.pos = start + k + 1
				return start + k, false, high
			}
		}
	}
slow:
	nonASCII = false
	i := start
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return i, escaped, nonASCII
		case c == '\\':
			escaped = true
			i += 2
		case c >= 0x80:
			nonASCII = true
			i++
		case c < 0x20:
			s.pos = i
			s.syntax("control character in string")
			return i, escaped, nonASCII
		default:
			i++
		}
	}
	s.pos = len(b)
	s.syntax("unterminated string")
	return len(b), escaped, nonASCII
}

// classify reports whether b has control characters (< 0x20) or bytes
// >= 0x80, eight bytes at a time.
func classify(b []byte) (ctl, high bool) {
	const lo = 0x0101010101010101
	const hi = 0x8080808080808080
	var acc, ctlAcc uint64
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		acc |= x
		ctlAcc |= (x - lo*0x20) &^ x // high bit set where a byte < 0x20 (or >= 0x80, masked below)
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 {
			return true, true
		}
		if c >= 0x80 {
			high = true
		}
	}
	if acc&hi != 0 {
		high = true
	}
	if ctlAcc&hi != 0 {
		if high {
			return true, true // the word test is not exact with high bytes: take the slow path
		}
		ctl = true
	}
	return ctl, high
}

// Str reads a string value and returns its decoded bytes. null gives
// (nil, false). Any other value is an error.
func (s *Scanner) Str() (v []byte, ok bool) {
	switch s.Peek() {
	case '"':
	case 'n':
		s.Null()
		return nil, false
	default:
		if s.err == nil {
			s.syntax("expected string")
		}
		return nil, false
	}
	start := s.pos + 1
	end, escaped, nonASCII := s.scanString()
	if s.err != nil {
		return nil, false
	}
	raw := s.buf[start:end]
	if escaped {
		return s.unescape(raw, start), true
	}
	if nonASCII && !utf8.Valid(raw) {
		return s.fixUTF8(raw), true
	}
	return raw, true
}

// Fields calls fn for each key of the object at the current position; fn
// must read or skip the key's value. A value that is not an object is
// skipped. It stops at the first error.
func (s *Scanner) Fields(fn func(key []byte)) {
	if s.Peek() != '{' {
		s.Skip()
		return
	}
	s.Object()
	for first := true; ; first = false {
		key, ok := s.Key(first)
		if !ok || s.err != nil {
			return
		}
		fn(key)
	}
}

// Elems calls fn for each element of the array at the current position;
// fn must read or skip the element. A value that is not an array is
// skipped.
func (s *Scanner) Elems(fn func()) {
	if s.Peek() != '[' {
		s.Skip()
		return
	}
	s.Array()
	for first := true; s.Elem(first); first = false {
		fn()
	}
}

// Null consumes a literal null.
func (s *Scanner) Null() {
	s.literal("null")
}

func (s *Scanner) literal(lit string) {
	if len(s.buf)-s.pos < len(lit) {
		if string(s.buf[s.pos:]) == lit[:len(s.buf)-s.pos] {
			s.pos = len(s.buf)
		}
		s.syntax("invalid literal")
		return
	}
	if string(s.buf[s.pos:s.pos+len(lit)]) != lit {
		s.syntax("invalid literal")
		return
	}
	s.pos += len(lit)
}

// Int reads an integer value; null gives ok=false. Numbers with a fraction
// or exponent are accepted when they hold a whole number (1.0, 1e3).
func (s *Scanner) Int() (v int64, ok bool) {
	c := s.Peek()
	if c == 'n' {
		s.Null()
		return 0, false
	}
	if c == '"' { // some exporters quote numbers
		str, _ := s.Str()
		n, err := strconv.ParseInt(string(str), 10, 64)
		if err != nil {
			s.Fail(errors.New("expected integer"))
			return 0, false
		}
		return n, true
	}
	start := s.pos
	i := s.pos
	if i < len(s.buf) && s.buf[i] == '-' {
		i++
	}
	digits := i
	var n int64
	for i < len(s.buf) && s.buf[i] >= '0' && s.buf[i] <= '9' {
		n = n*10 + int64(s.buf[i]-'0')
		i++
	}
	if i == digits || i-digits > 18 {
		s.pos = start
		return s.bigNumber()
	}
	if i < len(s.buf) && (s.buf[i] == '.' || s.buf[i] == 'e' || s.buf[i] == 'E') {
		s.pos = start
		return s.bigNumber()
	}
	s.pos = i
	if s.buf[start] == '-' {
		n = -n
	}
	return n, true
}

func (s *Scanner) bigNumber() (int64, bool) {
	start := s.pos
	s.skipNumber()
	if s.err != nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(s.buf[start:s.pos]), 64)
	if err != nil || f != float64(int64(f)) {
		s.pos = start
		s.syntax("expected integer")
		return 0, false
	}
	return int64(f), true
}

// IntIn reads a whole number field that must lie in lo..hi: a count, a
// number of replicas, a status code. null gives ok=false; a number in
// quotes, as some exporters write them ("7"), is read. A value that is not a whole
// number in range (1.5, 2^63, 1e308, -1 for a count, "many", true, an
// object) is consumed and returned as err, a problem with the field only:
// the scanner's own error (see Err) stays for malformed JSON. Whole
// numbers written with a fraction or exponent (1.0, 1e3) are accepted.
func (s *Scanner) IntIn(lo, hi int64) (v int64, ok bool, err error) {
	var text []byte
	switch c := s.Peek(); {
	case c == 'n':
		s.Null()
		return 0, false, nil
	case c == '"':
		text, _ = s.Str()
	case c == '-' || c >= '0' && c <= '9':
		start := s.pos
		s.skipNumber()
		text = s.buf[start:s.pos]
	default:
		s.Skip()
		if s.err != nil {
			return 0, false, nil
		}
		return 0, false, errNotNumber
	}
	if s.err != nil {
		return 0, false, nil
	}
	if n, ok := smallInt(text); ok {
		if n < lo || n > hi {
			return 0, false, fmt.Errorf("out of range: %s", text)
		}
		return n, true, nil
	}
	f, perr := strconv.ParseFloat(string(text), 64)
	switch {
	case perr != nil && !errors.Is(perr, strconv.ErrRange):
		return 0, false, fmt.Errorf("not a number: %s", quoteShort(string(text)))
	case f != math.Trunc(f):
		return 0, false, fmt.Errorf("not a whole number: %s", quoteShort(string(text)))
	case f < float64(lo) || f > float64(hi) || f >= 1<<63:
		return 0, false, fmt.Errorf("out of range: %s", cut(text))
	}
	if n := int64(f); n >= lo && n <= hi {
		return n, true, nil
	}
	return 0, false, fmt.Errorf("out of range: %s", cut(text))
}

func cut(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

var errNotNumber = errors.New("not a number")

// smallInt parses an optionally negative integer of at most 18 digits.
func smallInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// Bool reads true or false; null gives ok=false.
func (s *Scanner) Bool() (v, ok bool) {
	switch s.Peek() {
	case 't':
		s.literal("true")
		return true, s.err == nil
	case 'f':
		s.literal("false")
		return false, s.err == nil
	case 'n':
		s.Null()
		return false, false
	}
	s.syntax("expected boolean")
	return false, false
}

// Raw returns the bytes of the next value, unparsed but checked for balance.
func (s *Scanner) Raw() []byte {
	s.ws()
	start := s.pos
	s.Skip()
	if s.err != nil {
		return nil
	}
	return s.buf[start:s.pos]
}

// Skip consumes the next value without decoding it. Objects and arrays are
// checked for balanced brackets and well-formed strings, scalars for their
// syntax; the contents of skipped containers are not validated further.
func (s *Scanner) Skip() {
	switch c := s.Peek(); c {
	case 0:
		if s.err == nil && s.pos < len(s.buf) {
			s.syntax("unexpected NUL byte") // Peek gives 0 for it too
		} else if s.err == nil {
			s.syntax("unexpected end of input")
		}
	case '"':
		s.scanString()
	case '{', '[':
		s.skipContainer()
	case 't':
		s.literal("true")
	case 'f':
		s.literal("false")
	case 'n':
		s.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			s.skipNumber()
			return
		}
		s.syntax("unexpected character")
	}
}

func (s *Scanner) skipNumber() {
	i := s.pos
	b := s.buf
	if i < len(b) && b[i] == '-' {
		i++
	}
	d := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == d {
		s.badNumber(i)
		return
	}
	if i < len(b) && b[i] == '.' {
		i++
		d = i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			s.badNumber(i)
			return
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d = i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			s.badNumber(i)
			return
		}
	}
	s.pos = i
}

func (s *Scanner) badNumber(i int) {
	if i >= len(s.buf) {
		s.pos = i // the input ended inside the number
	}
	s.syntax("invalid number")
}

// skipContainer skips a balanced object or array. It uses IndexByte-driven
// string skipping because managedFields and audit payloads are mostly
// strings.
func (s *Scanner) skipContainer() {
	b := s.buf
	i := s.pos
	stack := s.stack[:0]
	for i < len(b) {
		c := b[i]
		switch c {
		case '"':
			j := i + 1
			for {
				k := bytes.IndexByte(b[j:], '"')
				span := b[j:]
				if k >= 0 {
					span = b[j : j+k]
				}
				if nl := bytes.IndexByte(span, '\n'); nl >= 0 {
					// A raw newline cannot be in a string: say so here
					// rather than read on to a quote on a later line.
					s.pos = j + nl
					s.syntax("newline in string")
					return
				}
				if k < 0 {
					s.pos = len(b)
					s.syntax("unterminated string")
					return
				}
				j += k
				n := 0 // preceding backslashes: an odd count escapes the quote
				for m := j - 1; m > i && b[m] == '\\'; m-- {
					n++
				}
				if n%2 == 0 {
					break
				}
				j++
			}
			i = j + 1
			continue
		case '{':
			stack = append(stack, '}')
		case '[':
			stack = append(stack, ']')
		case '}', ']':
			if len(stack) == 0 || stack[len(stack)-1] != c {
				s.stack = stack
				s.pos = i
				s.syntax("mismatched bracket")
				return
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				s.stack = stack
				s.pos = i + 1
				return
			}
		}
		i++
	}
	s.stack = stack
	s.pos = len(b)
	s.syntax("unexpected end of input in value")
}

// unescape decodes a string with escapes into the scratch buffer. start is
// the offset of raw in s.buf, for error positions.
func (s *Scanner) unescape(raw []byte, start int) []byte {
	out := s.alloc(len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			j := bytes.IndexByte(raw[i:], '\\')
			if j < 0 {
				j = len(raw) - i
			}
			out = append(out, raw[i:i+j]...)
			i += j
			continue
		}
		if i+1 >= len(raw) {
			s.pos = start + i
			s.syntax("invalid escape")
			return nil
		}
		switch raw[i+1] {
		case '"', '\\', '/':
			out = append(out, raw[i+1])
			i += 2
		case 'b':
			out = append(out, '\b')
			i += 2
		case 'f':
			out = append(out, '\f')
			i += 2
		case 'n':
			out = append(out, '\n')
			i += 2
		case 'r':
			out = append(out, '\r')
			i += 2
		case 't':
			out = append(out, '\t')
			i += 2
		case 'u':
			r, ok := hex4(raw[i+2:])
			if !ok {
				s.pos = start + i
				s.syntax("invalid \\u escape")
				return nil
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if v, ok := hex4(raw[i+2:]); ok {
						r2 = v
					}
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			s.pos = start + i
			s.syntax("invalid escape")
			return nil
		}
	}
	out = s.commit(out)
	if !utf8.Valid(out) {
		return s.fixUTF8(out)
	}
	return out
}

// fixUTF8 replaces invalid UTF-8 with U+FFFD, as encoding/json does.
func (s *Scanner) fixUTF8(raw []byte) []byte {
	out := s.alloc(len(raw) * 3)
	for len(raw) > 0 {
		r, n := utf8.DecodeRune(raw)
		out = utf8.AppendRune(out, r)
		raw = raw[n:]
	}
	return s.commit(out)
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
