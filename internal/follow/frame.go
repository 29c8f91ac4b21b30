package follow

// framer finds where the complete records of a growing stream end, so
// that only whole records are correlated: JSON lines (watch streams,
// event-exporter lines, audit logs), concatenated JSON objects (kubectl get
// -w -o json prints one pretty-printed object after another) and a mix of
// both. A record ends where a top-level JSON value closes (outside
// strings) or, for what is not JSON, at a newline at the top level. Its
// state carries over from one chunk of the stream to the next.
type framer struct {
	depth    int  // of brackets and braces, outside strings
	inString bool // inside a JSON string
	escaped  bool // after a backslash in a string
	end      int64
	off      int64 // bytes scanned
}

// scan advances over the next chunk of the stream and returns the offset,
// from the stream's start, just past the last complete record seen so far
// (0 before the first).
func (f *framer) scan(b []byte) int64 {
	for i, c := range b {
		pos := f.off + int64(i)
		if f.inString {
			switch {
			case f.escaped:
				f.escaped = false
			case c == '\\':
				f.escaped = true
			case c == '"':
				f.inString = false
			case c == '\n' && f.depth == 0:
				// A newline inside a top-level string: not JSON; the
				// line ends the record.
				f.inString, f.end = false, pos+1
			}
			continue
		}
		switch c {
		case '"':
			f.inString = true
		case '{', '[':
			f.depth++
		case '}', ']':
			if f.depth > 0 {
				f.depth--
				if f.depth == 0 {
					f.end = pos + 1
				}
			}
		case '\n':
			if f.depth == 0 {
				// The end of a line at the top level: of a record that
				// is not JSON (the loader reports it), or the newline
				// after one.
				f.end = pos + 1
			}
		}
	}
	f.off += int64(len(b))
	return f.end
}
