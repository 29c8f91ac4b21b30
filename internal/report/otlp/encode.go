package otlp

import (
	"encoding/hex"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// The encoders of the trace model. The protobuf encoding is what
// proto.Marshal with Deterministic writes for the same tracepb messages:
// fields in field-number order, proto3 defaults left out, oneof values and
// set message fields written even when empty (TestProtoMatchesMarshal).
// The JSON is the OTLP JSON encoding (see WriteJSONLines).

// sizeField is the size of a length-delimited field with a one-byte tag
// (every field number here is below 16).
func sizeField(n int) int { return 1 + protowire.SizeBytes(n) }

// appendBytesField appends a string field with a one-byte tag.
func appendBytesField(b []byte, num protowire.Number, s string) []byte {
	b = append(b, byte(num)<<3|byte(protowire.BytesType))
	return append(appendVarint(b, uint64(len(s))), s...)
}

// appendVarint is protowire.AppendVarint with the one- and two-byte cases,
// nearly all of them here, inlined.
func appendVarint(b []byte, v uint64) []byte {
	switch {
	case v < 1<<7:
		return append(b, byte(v))
	case v < 1<<14:
		return append(b, byte(v)|0x80, byte(v>>7))
	}
	return protowire.AppendVarint(b, v)
}

// intLen is the length of strconv.FormatInt(i, 10).
func intLen(i int64) int {
	n := 1
	u := uint64(i)
	if i < 0 {
		n++
		u = -u
	}
	for u >= 10 {
		u /= 10
		n++
	}
	return n
}

// valueSize is the size of an attribute's AnyValue message.
func (t *trace) valueSize(a *attr) int {
	switch a.kind {
	case valInt:
		return 1 + protowire.SizeVarint(uint64(a.i))
	case valBool:
		return 2
	case valStrings:
		return sizeField(listSize(t.lists[a.i]))
	case valJoin:
		return sizeField(len(a.s) + 1 + len(t.more[a.i]))
	case valSource:
		return sizeField(len(a.s) + 1 + intLen(a.i))
	}
	return sizeField(len(a.s)) // valString
}

// sizes sets the protobuf size of every message in t and returns the size
// of the ResourceSpans message.
func (t *trace) sizes() int {
	for i := range t.attrs {
		a := &t.attrs[i]
		a.vsize = int32(t.valueSize(a))
		a.size = int32(len(a.key.proto) + sizeField(int(a.vsize)))
	}
	for i := range t.events {
		e := &t.events[i]
		n := 0
		if e.time != 0 {
			n += 1 + 8
		}
		if e.name != "" {
			n += sizeField(len(e.name))
		}
		for _, a := range t.attrs[e.attrLo:e.attrHi] {
			n += sizeField(int(a.size))
		}
		e.size = n
	}
	t.sSize = 0
	for i := range t.spans {
		s := &t.spans[i]
		n := sizeField(16) + sizeField(8)
		if s.hasParent {
			n += sizeField(8)
		}
		if s.name != "" {
			n += sizeField(len(s.name))
		}
		n += 2 // kind
		if s.start != 0 {
			n += 1 + 8
		}
		if s.end != 0 {
			n += 1 + 8
		}
		for _, a := range t.attrs[s.attrLo:s.attrHi] {
			n += sizeField(int(a.size))
		}
		for _, e := range t.events[s.evLo:s.evHi] {
			n += sizeField(e.size)
		}
		if s.dropped != 0 {
			n += 1 + protowire.SizeVarint(uint64(s.dropped))
		}
		if s.hasStatus {
			n += sizeField(s.statusSize())
		}
		s.size = n
		t.sSize += sizeField(n)
	}
	t.nSize = 0
	for _, a := range t.attrs[t.resLo:t.resHi] {
		t.nSize += sizeField(int(a.size))
	}
	t.scSize = sizeField(len(ScopeName))
	if t.version != "" {
		t.scSize += sizeField(len(t.version))
	}
	t.sSize += sizeField(t.scSize)
	t.size = sizeField(t.nSize) + sizeField(t.sSize)
	return t.size
}

func (s *span) statusSize() int {
	n := 0
	if s.msg != "" {
		n += sizeField(len(s.msg))
	}
	if s.code != 0 {
		n += 1 + protowire.SizeVarint(uint64(s.code))
	}
	return n
}

// partSize is the protobuf size of the ResourceSpans message holding
// spans [lo, hi) of t (a part of a trace too large for one request) and of
// its ScopeSpans; t.sizes must have been called.
func (t *trace) partSize(lo, hi int) (rs, ss int) {
	ss = sizeField(t.scSize)
	for i := lo; i < hi; i++ {
		ss += sizeField(t.spans[i].size)
	}
	return sizeField(t.nSize) + sizeField(ss), ss
}

// appendProto appends the ResourceSpans message holding spans [lo, hi)
// (without its tag and length); ss is its ScopeSpans' size (partSize).
func (t *trace) appendProto(b []byte, lo, hi, ss int) []byte {
	b = append(b, 0x0a) // resource
	b = appendVarint(b, uint64(t.nSize))
	for i := t.resLo; i < t.resHi; i++ {
		b = t.appendKeyValue(b, 0x0a, &t.attrs[i])
	}
	b = append(b, 0x12) // scope_spans
	b = appendVarint(b, uint64(ss))
	b = append(b, 0x0a) // scope
	b = appendVarint(b, uint64(t.scSize))
	b = appendBytesField(b, 1, ScopeName)
	if t.version != "" {
		b = appendBytesField(b, 2, t.version)
	}
	for i := lo; i < hi; i++ {
		s := &t.spans[i]
		b = append(b, 0x12) // spans
		b = appendVarint(b, uint64(s.size))
		b = append(b, 0x0a, 16)
		b = append(b, t.id[:]...)
		b = append(b, 0x12, 8)
		b = append(b, s.id[:]...)
		if s.hasParent {
			b = append(b, 0x22, 8)
			b = append(b, s.parent[:]...)
		}
		if s.name != "" {
			b = appendBytesField(b, 5, s.name)
		}
		b = append(b, 0x30, spanKindInternal)
		if s.start != 0 {
			b = protowire.AppendFixed64(append(b, 0x39), s.start)
		}
		if s.end != 0 {
			b = protowire.AppendFixed64(append(b, 0x41), s.end)
		}
		for j := s.attrLo; j < s.attrHi; j++ {
			b = t.appendKeyValue(b, 0x4a, &t.attrs[j])
		}
		for j := s.evLo; j < s.evHi; j++ {
			e := &t.events[j]
			b = append(b, 0x5a)
			b = appendVarint(b, uint64(e.size))
			if e.time != 0 {
				b = protowire.AppendFixed64(append(b, 0x09), e.time)
			}
			if e.name != "" {
				b = appendBytesField(b, 2, e.name)
			}
			for k := e.attrLo; k < e.attrHi; k++ {
				b = t.appendKeyValue(b, 0x1a, &t.attrs[k])
			}
		}
		if s.dropped != 0 {
			b = appendVarint(append(b, 0x60), uint64(s.dropped)) // dropped_events_count
		}
		if s.hasStatus {
			b = append(b, 0x7a)
			b = appendVarint(b, uint64(s.statusSize()))
			if s.msg != "" {
				b = appendBytesField(b, 2, s.msg)
			}
			if s.code != 0 {
				b = appendVarint(append(b, 0x18), uint64(s.code))
			}
		}
	}
	return b
}

// listSize is the size of an ArrayValue of strings.
func listSize(ss []string) int {
	n := 0
	for _, s := range ss {
		n += sizeField(sizeField(len(s)))
	}
	return n
}

// appendKeyValue appends a KeyValue field with the one-byte tag.
func (t *trace) appendKeyValue(b []byte, tag byte, a *attr) []byte {
	b = append(b, tag)
	b = appendVarint(b, uint64(a.size))
	b = append(b, a.key.proto...)
	b = append(b, 0x12) // value
	b = appendVarint(b, uint64(a.vsize))
	switch a.kind {
	case valString:
		b = appendBytesField(b, 1, a.s)
	case valInt:
		b = appendVarint(append(b, 0x18), uint64(a.i))
	case valBool:
		b = append(b, 0x10, byte(a.i))
	case valStrings:
		ss := t.lists[a.i]
		b = append(b, 0x2a)
		b = appendVarint(b, uint64(listSize(ss)))
		for _, s := range ss {
			b = append(b, 0x0a)
			b = appendVarint(b, uint64(sizeField(len(s))))
			b = appendBytesField(b, 1, s)
		}
	case valJoin:
		b = append(b, 0x0a)
		s2 := t.more[a.i]
		b = appendVarint(b, uint64(len(a.s)+1+len(s2)))
		b = append(append(append(b, a.s...), '/'), s2...)
	case valSource:
		b = append(b, 0x0a)
		b = appendVarint(b, uint64(len(a.s)+1+intLen(a.i)))
		b = strconv.AppendInt(append(append(b, a.s...), ':'), a.i, 10)
	}
	return b
}

// appendJSON appends the ResourceSpans object in the OTLP JSON encoding.
func (t *trace) appendJSON(b []byte) []byte {
	b = t.appendJSONHead(b)
	for i := range t.spans {
		if i > 0 {
			b = append(b, ',')
		}
		b = t.appendJSONSpan(b, i)
	}
	return append(b, jsonTraceEnd...)
}

// jsonTraceEnd closes what appendJSONHead opens.
const jsonTraceEnd = "]}]}"

// appendJSONHead appends a ResourceSpans object up to its spans: its
// resource and scope. The spans (appendJSONSpan, comma-separated) and
// jsonTraceEnd follow.
func (t *trace) appendJSONHead(b []byte) []byte {
	hex.Encode(t.hex[:], t.id[:])
	b = append(b, `{"resource":{"attributes":`...)
	b = t.appendJSONAttrs(b, t.resLo, t.resHi)
	b = append(b, `},"scopeSpans":[{"scope":{"name":`...)
	b = appendString(b, ScopeName)
	if t.version != "" {
		b = append(b, `,"version":`...)
		b = appendString(b, t.version)
	}
	return append(b, `},"spans":[`...)
}

// appendJSONSpan appends span i; appendJSONHead must have been called.
func (t *trace) appendJSONSpan(b []byte, i int) []byte {
	s := &t.spans[i]
	b = append(b, `{"traceId":"`...)
	b = append(b, t.hex[:]...)
	b = append(b, `","spanId":"`...)
	b = hex.AppendEncode(b, s.id[:])
	b = append(b, '"')
	if s.hasParent {
		b = append(b, `,"parentSpanId":"`...)
		b = hex.AppendEncode(b, s.parent[:])
		b = append(b, '"')
	}
	b = append(b, `,"name":`...)
	b = appendString(b, s.name)
	b = append(b, `,"kind":1,"startTimeUnixNano":"`...)
	b = strconv.AppendUint(b, s.start, 10)
	b = append(b, `","endTimeUnixNano":"`...)
	b = strconv.AppendUint(b, s.end, 10)
	b = append(b, `","attributes":`...)
	b = t.appendJSONAttrs(b, s.attrLo, s.attrHi)
	if s.evHi > s.evLo {
		b = append(b, `,"events":[`...)
		for j := s.evLo; j < s.evHi; j++ {
			if j > s.evLo {
				b = append(b, ',')
			}
			b = t.appendJSONEvent(b, j)
		}
		b = append(b, ']')
	}
	if s.dropped != 0 {
		b = append(b, `,"droppedEventsCount":`...)
		b = strconv.AppendUint(b, uint64(s.dropped), 10)
	}
	if s.hasStatus {
		b = append(b, `,"status":{`...)
		if s.msg != "" {
			b = append(b, `"message":`...)
			b = appendString(b, s.msg)
			if s.code != 0 {
				b = append(b, ',')
			}
		}
		if s.code != 0 {
			b = append(b, `"code":`...)
			b = strconv.AppendInt(b, int64(s.code), 10)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendJSONEvent appends span event j.
func (t *trace) appendJSONEvent(b []byte, j int) []byte {
	e := &t.events[j]
	b = append(b, `{"timeUnixNano":"`...)
	b = strconv.AppendUint(b, e.time, 10)
	b = append(b, `","name":`...)
	b = appendString(b, e.name)
	b = append(b, `,"attributes":`...)
	b = t.appendJSONAttrs(b, e.attrLo, e.attrHi)
	return append(b, '}')
}

func (t *trace) appendJSONAttrs(b []byte, lo, hi int) []byte {
	b = append(b, '[')
	for i := lo; i < hi; i++ {
		a := &t.attrs[i]
		if i > lo {
			b = append(b, ',')
		}
		b = append(b, a.key.json...)
		switch a.kind {
		case valString:
			b = append(b, `{"stringValue":`...)
			b = appendString(b, a.s)
		case valInt:
			b = append(b, `{"intValue":"`...)
			b = strconv.AppendInt(b, a.i, 10)
			b = append(b, '"')
		case valBool:
			b = append(b, `{"boolValue":`...)
			b = strconv.AppendBool(b, a.i != 0)
		case valStrings:
			b = append(b, `{"arrayValue":{"values":[`...)
			for j, s := range t.lists[a.i] {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"stringValue":`...)
				b = appendString(b, s)
				b = append(b, '}')
			}
			b = append(b, "]}"...)
		case valJoin:
			b = append(b, `{"stringValue":"`...)
			b = appendStringBody(b, a.s)
			b = append(b, '/')
			b = appendStringBody(b, t.more[a.i])
			b = append(b, '"')
		case valSource:
			b = append(b, `{"stringValue":"`...)
			b = appendStringBody(b, a.s)
			b = append(b, ':')
			b = strconv.AppendInt(b, a.i, 10)
			b = append(b, '"')
		}
		b = append(b, "}}"...)
	}
	return append(b, ']')
}

// jsonSafe marks the ASCII bytes a JSON string holds as they are.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString writes a JSON string; untrusted event text is escaped so it
// stays text in any viewer (<, >, & as \u escapes; invalid UTF-8 replaced).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendStringBody(b, s)
	return append(b, '"')
}

// appendStringBody writes s escaped, without the quotes. The bytes that
// need no escaping (almost all) are found eight at a time and copied in
// runs.
func appendStringBody(b []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes that need no escape: no control character, '"',
		// '\\', '<', '>', '&' or byte of a multibyte UTF-8 sequence.
		// (x - 0x01…01*n) & ^x & 0x80…80 is non-zero exactly when a byte
		// of x is below n (n <= 0x80); a byte equal to c is a zero byte of
		// x ^ c*0x01…01. Written out: a function would not be inlined.
		if i+8 <= len(s) {
			const ones, high = 0x0101010101010101, 0x8080808080808080
			x := load64(s, i)
			q, bs, lt, gt, amp := x^(ones*'"'), x^(ones*'\\'), x^(ones*'<'), x^(ones*'>'), x^(ones*'&')
			below := (x - ones*0x20) &^ x
			equal := (q-ones)&^q | (bs-ones)&^bs | (lt-ones)&^lt | (gt-ones)&^gt | (amp-ones)&^amp
			if (x|below|equal)&high == 0 {
				i += 8
				continue
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexd[r&0xf])
		default:
			i += n
			continue
		}
		i += n
		start = i
	}
	return append(b, s[start:]...)
}

// load64 reads 8 bytes of s at i, little-endian (one load on amd64 and
// arm64).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
