package jsonscan

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Layout says how the records of a stream were laid out.
type Layout uint8

const (
	LayoutNone   Layout = iota // nothing framed yet
	LayoutLines                // one JSON value per line (JSON lines)
	LayoutStream               // concatenated values spanning lines (kubectl get -w -o json)
	LayoutArray                // a top-level array
	LayoutList                 // an object with an "items" array: a Kubernetes List
)

func (l Layout) String() string {
	switch l {
	case LayoutLines:
		return "lines"
	case LayoutStream:
		return "stream"
	case LayoutArray:
		return "array"
	case LayoutList:
		return "list"
	}
	return "none"
}

// Record locates one framed value inside Block.Data.
type Record struct {
	Start, End int   // Data[Start:End] is the value
	Line       int64 // 1-based line of its first byte
}

// FrameError is a span of input that could not be framed into a record.
type FrameError struct {
	Line   int64 // 1-based line where the span starts
	Offset int64 // byte offset in the (decompressed) stream
	Err    error
}

func (e *FrameError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *FrameError) Unwrap() error { return e.Err }

// Block is a batch of records framed from a stream. Blocks are independent:
// they can be decoded concurrently and in any order.
type Block struct {
	Data    []byte
	Base    int64 // stream offset of Data[0]
	Records []Record
	Errors  []FrameError // in stream order
	Seq     int          // 0, 1, 2, ... in stream order
	Layout  Layout       // the stream's layout as known when the block was cut
}

// Release returns the block's buffer for reuse by later framers. The block
// and the slices of its records must not be used afterwards.
func (b *Block) Release() {
	if b.Data != nil {
		putBuf(b.Data[:cap(b.Data)])
		b.Data = nil
	}
}

var bufPool sync.Pool // of *[]byte

// getBuf returns a buffer of at least n bytes; its contents are undefined.
func getBuf(n int) []byte {
	if p, ok := bufPool.Get().(*[]byte); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]byte, n)
}

func putBuf(b []byte) {
	if cap(b) > 0 {
		bufPool.Put(&b)
	}
}

// Options tune a Framer. Zero values pick defaults.
type Options struct {
	BlockSize int // target bytes per block (default 1 MiB)
	MaxRecord int // longest record accepted (default 64 MiB)
}

// Framer cuts a stream of JSON into records. Records are top-level values,
// the elements of a top-level array, or the items of a top-level object that
// has an "items" array (a Kubernetes List; its other keys are skipped).
// Malformed spans become FrameErrors and framing resumes at the next line
// (JSON lines) or the next value starting in column 0 (pretty-printed
// streams and lists), so one bad record never hides the rest.
type Framer struct {
	r    io.Reader
	opts Options

	buf    []byte // buf[:n] holds stream bytes from offset base
	n      int
	base   int64
	eof    bool
	rerr   error
	pos    int   // next unframed byte
	line   int64 // line number at pos
	lastNL int64 // stream offset of the last newline before pos, -1 if none
	layout Layout
	seq    int

	inArray    bool // framing elements of an array (top-level or List items)
	listItems  bool // ...which are the items of a List wrapper
	listRest   bool // after the items array: skipping the wrapper's other keys
	arrayFirst bool // no element framed yet in the current array
	itemCol    int  // column of the first item, for resynchronising
	skip       skipMode
	skipResume bool // skipping resumes at the start of a line

	blk  *Block
	scan Scanner

	scanned int64 // bytes handed to the scanner, for the test that framing is linear
}

// NewFramer frames r.
func NewFramer(r io.Reader, opts Options) *Framer {
	if opts.BlockSize <= 0 {
		opts.BlockSize = 1 << 20
	}
	if opts.MaxRecord <= 0 {
		opts.MaxRecord = 64 << 20
	}
	f := &Framer{r: bufio.NewReader(r), opts: opts, line: 1, lastNL: -1, arrayFirst: true}
	if bom, _ := f.r.(*bufio.Reader).Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		f.r.(*bufio.Reader).Discard(3) // UTF-8 byte order mark
		f.base = 3
	}
	return f
}

// Layout reports the layout seen so far.
func (f *Framer) Layout() Layout { return f.layout }

// ReadErr is the error that ended reading (other than io.EOF), for example a
// truncated gzip member. Records framed before it are still delivered.
func (f *Framer) ReadErr() error { return f.rerr }

// Offset is the number of stream bytes consumed so far.
func (f *Framer) Offset() int64 { return f.base + int64(f.pos) }

var errNeedMore = errors.New("need more input")

// skipMode is how the framer is skipping a malformed span.
type skipMode uint8

const (
	skipNone   skipMode = iota
	skipToTop           // to the next line starting with '{' or '[' in column 0
	skipToItem          // to the next line starting an array element in its column
	skipToLine          // past the end of the line (JSON lines)
)

// Next returns the next block, or nil when the stream is exhausted.
func (f *Framer) Next() *Block {
	if f.blk == nil {
		f.blk = &Block{Seq: f.seq}
	}
	for {
		if err := f.step(); err == nil {
			if f.blockBytes() >= f.opts.BlockSize {
				return f.emit()
			}
			continue
		}
		// step needs more input than the buffer holds.
		if f.eof {
			f.finish()
			if len(f.blk.Records) > 0 || len(f.blk.Errors) > 0 {
				return f.emit()
			}
			return nil
		}
		if len(f.blk.Records) > 0 || len(f.blk.Errors) > 0 {
			// Read on into the same buffer while it has room, so that
			// small reads (pipes, gzip) still make blocks of BlockSize.
			if f.blockBytes() >= f.opts.BlockSize || f.want() > len(f.buf) {
				return f.emit()
			}
		}
		f.fill()
	}
}

func (f *Framer) blockBytes() int {
	if len(f.blk.Records) == 0 {
		return 0
	}
	return f.blk.Records[len(f.blk.Records)-1].End - f.blk.Records[0].Start
}

// emit hands out the current block. The block keeps the buffer; framing
// continues in a new buffer holding the unframed tail.
func (f *Framer) emit() *Block {
	b := f.blk
	b.Data = f.buf[:f.n]
	b.Base = f.base
	b.Layout = f.layout
	f.seq++
	f.blk = &Block{Seq: f.seq}
	size := 2 * f.opts.BlockSize
	if rest := f.n - f.pos; rest*2 > size {
		size = rest * 2
	}
	nb := getBuf(size)
	copy(nb, f.buf[f.pos:f.n])
	f.base += int64(f.pos)
	f.n -= f.pos
	f.pos = 0
	f.buf = nb
	return b
}

// want is how far fill reads the buffer: until the bytes pending from
// f.pos (the record being framed) have doubled, or are one more than the
// longest record. A record is scanned again from its start after each
// fill, so doubling keeps the scans of one record within twice its length
// whatever the size of the reads: framing costs O(input).
func (f *Framer) want() int {
	pending := f.n - f.pos
	return f.pos + min(max(2*pending, pending+1), f.opts.MaxRecord+1)
}

// fill reads more input, compacting or growing the buffer when the block
// in hand holds nothing.
func (f *Framer) fill() {
	if f.buf == nil {
		f.buf = getBuf(2 * f.opts.BlockSize)
	}
	empty := len(f.blk.Records) == 0 && len(f.blk.Errors) == 0
	if empty && f.pos > 0 {
		// Nothing references the framed prefix: compact.
		copy(f.buf, f.buf[f.pos:f.n])
		f.base += int64(f.pos)
		f.n -= f.pos
		f.pos = 0
	}
	want := f.want()
	if want > len(f.buf) {
		nb := getBuf(max(2*len(f.buf), want))
		copy(nb, f.buf[:f.n])
		putBuf(f.buf)
		f.buf = nb
	}
	for zero := 0; f.n < want; {
		m, err := f.r.Read(f.buf[f.n:])
		f.n += m
		if err != nil {
			f.eof = true
			if err != io.EOF {
				f.rerr = err
			}
			return
		}
		if m > 0 {
			zero = 0
		} else if zero++; zero >= 100 {
			f.eof, f.rerr = true, io.ErrNoProgress
			return
		}
	}
}

// window is the part of the buffer a record starting at start is scanned
// in: at most one byte more than the longest record, so that a record is
// accepted or found too long from the same bytes whatever was read so far.
func (f *Framer) window(start int) []byte {
	return f.buf[start:min(f.n, start+f.opts.MaxRecord+1)]
}

// tooLong reports a record longer than MaxRecord.
func (f *Framer) tooLong() error {
	return fmt.Errorf("record longer than %d bytes", f.opts.MaxRecord)
}

// finish handles input left at the end of the stream.
func (f *Framer) finish() {
	rest := f.buf[f.pos:f.n]
	if len(bytes.TrimSpace(rest)) > 0 {
		f.fail(f.pos, errors.New("unexpected end of input: record truncated"))
		f.pos = f.n
	} else if f.inArray || f.listRest {
		f.fail(f.pos, errors.New("unexpected end of input: unterminated list or array"))
	}
	f.inArray, f.listRest = false, false
}

func (f *Framer) fail(at int, err error) {
	f.blk.Errors = append(f.blk.Errors, FrameError{Line: f.lineAt(at), Offset: f.base + int64(at), Err: err})
}

// lineAt returns the line number of buffer offset at >= f.pos.
func (f *Framer) lineAt(at int) int64 {
	return f.line + int64(bytes.Count(f.buf[f.pos:at], []byte{'\n'}))
}

func (f *Framer) advance(to int) {
	span := f.buf[f.pos:to]
	if n := bytes.Count(span, []byte{'\n'}); n > 0 {
		f.line += int64(n)
		f.lastNL = f.base + int64(f.pos+bytes.LastIndexByte(span, '\n'))
	}
	f.pos = to
}

func (f *Framer) skipWS() int {
	i := f.pos
	for i < f.n {
		switch f.buf[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// step frames one record or structural token at f.pos.
func (f *Framer) step() error {
	if f.skip != skipNone {
		return f.skipSpan()
	}
	i := f.skipWS()
	if i >= f.n {
		f.advance(i)
		return errNeedMore
	}
	f.advance(i)
	switch {
	case f.listRest:
		return f.stepListRest()
	case f.inArray:
		return f.stepArray()
	}
	c := f.buf[i]
	if f.layout == LayoutLines {
		return f.stepLine()
	}
	switch c {
	case '[':
		if f.layout == LayoutNone {
			f.layout = LayoutArray
		}
		f.inArray, f.listItems, f.arrayFirst = true, false, true
		f.advance(i + 1)
		return nil
	case '{':
		return f.stepObject()
	}
	f.fail(i, fmt.Errorf("unexpected %s at top level (not JSON?)", f.describe(c, i)))
	return f.resync(i)
}

// stepObject frames a top-level object: a List wrapper or a record.
func (f *Framer) stepObject() error {
	start := f.pos
	s := &f.scan
	win := f.window(start)
	s.Reset(win)
	if f.layout == LayoutStream {
		if done, err := f.stepStreamObject(start, win); done {
			return err
		}
		s.Reset(win) // it may be a List: walk its keys
	}
	s.Object()
	for first := true; ; first = false {
		key, ok := s.Key(first)
		if !ok {
			break
		}
		if string(key) == "items" && s.Peek() == '[' {
			// A List: frame its items; skip the rest of the wrapper later.
			if f.layout == LayoutNone {
				f.layout = LayoutList
			}
			f.advance(start + s.Pos() + 1)
			f.inArray, f.listItems, f.arrayFirst = true, true, true
			return nil
		}
		s.Skip()
	}
	end := start + s.Pos()
	f.scanned += int64(s.Pos())
	if err := s.Err(); err != nil {
		if se, ok := err.(*SyntaxError); ok && (f.layout == LayoutNone || f.layout == LayoutStream) {
			// A new object in column 0 before the point of failure means
			// this record was cut short there.
			limit := start + len(win)
			if !se.EOF {
				limit = min(limit, start+se.Offset+1)
			}
			if cut := truncatedAt(f.buf[start:limit]); cut > 0 {
				f.layout = LayoutStream
				f.fail(start, errors.New("record truncated: a new object starts in column 0 before it ends"))
				f.advance(start + cut)
				return nil
			}
		}
		rep := f.incomplete(err, start)
		if rep == errNeedMore {
			return rep
		}
		if f.layout == LayoutNone {
			f.layout = LayoutStream
		}
		if rep == err {
			f.fail(start+errOffset(err), err)
		} else {
			f.fail(start, rep)
		}
		return f.resync(start)
	}
	if end-start > f.opts.MaxRecord {
		if f.layout == LayoutNone {
			f.layout = LayoutStream
		}
		f.fail(start, f.tooLong())
		return f.resync(start)
	}
	if f.layout == LayoutNone || f.layout == LayoutStream {
		if cut := truncatedAt(f.buf[start:end]); cut > 0 {
			f.fail(start, errors.New("record truncated: a new object starts in column 0 before it ends"))
			f.advance(start + cut)
			return nil
		}
	}
	if f.layout == LayoutNone {
		single := bytes.IndexByte(f.buf[start:end], '\n') < 0
		ends, known := f.lineEnds(end)
		if single && !known {
			return errNeedMore // decide once the rest of the line is read
		}
		f.layout = LayoutStream
		if single && ends {
			f.layout = LayoutLines
		}
	}
	f.record(start, end)
	return nil
}

// stepStreamObject frames an object of a pretty-printed stream. Most
// streams are all records: the object is skipped whole, checking only its
// brackets and strings, and its keys are walked (done=false) only if it
// may be a List after all. Every decision is taken from the bytes scanned,
// never from where the input read so far ends: an object cut by the end
// of the buffer waits for more input, and one with a line starting with
// '{' or '[' in column 0 inside was truncated there.
func (f *Framer) stepStreamObject(start int, win []byte) (done bool, err error) {
	s := &f.scan
	s.Skip()
	f.scanned += int64(s.Pos())
	serr := s.Err()
	scanned := win[:s.Pos()]
	se, _ := serr.(*SyntaxError)
	if se != nil && !se.EOF {
		scanned = win[:min(len(win), se.Offset+1)]
	}
	if cut := truncatedAt(scanned); cut > 0 {
		f.fail(start, errors.New("record truncated: a new object starts in column 0 before it ends"))
		f.advance(start + cut)
		return true, nil
	}
	if serr != nil {
		rep := f.incomplete(serr, start)
		if rep == errNeedMore {
			return true, rep
		}
		if rep == serr {
			f.fail(start+errOffset(serr), serr)
		} else {
			f.fail(start, rep)
		}
		return true, f.resync(start)
	}
	end := start + s.Pos()
	if end-start > f.opts.MaxRecord {
		f.fail(start, f.tooLong())
		return true, f.resync(start)
	}
	if bytes.Contains(f.buf[start:end], []byte(`"items"`)) {
		return false, nil
	}
	f.record(start, end)
	return true, nil
}

// lineEnds reports whether only blanks follow end on its line, and whether
// that is known from the input read so far.
func (f *Framer) lineEnds(end int) (ends, known bool) {
	for i := end; i < f.n; i++ {
		switch f.buf[i] {
		case ' ', '\t', '\r':
		case '\n':
			return true, true
		default:
			return false, true
		}
	}
	return f.eof, f.eof
}

// stepLine frames one value of a JSON-lines stream; a value must end on the
// line it starts.
func (f *Framer) stepLine() error {
	start := f.pos
	win := f.window(start)
	eol := bytes.IndexByte(win, '\n')
	if eol < 0 {
		f.scanned += int64(len(win))
		if len(win) > f.opts.MaxRecord {
			f.fail(start, fmt.Errorf("line longer than %d bytes", f.opts.MaxRecord))
			f.skip = skipToLine
			return f.skipSpan()
		}
		if !f.eof {
			return errNeedMore
		}
		eol = len(win)
	}
	lineEnd := start + eol
	f.scanned += int64(eol)
	s := &f.scan
	s.Reset(f.buf[start:lineEnd])
	if c := s.Peek(); c != '{' && c != '[' {
		f.fail(start, fmt.Errorf("unexpected %s at start of line (not JSON?)", f.describe(f.buf[start], start)))
		f.advance(lineEnd)
		return nil
	}
	s.Skip()
	if err := s.Err(); err != nil {
		if se, ok := err.(*SyntaxError); ok && se.EOF {
			err = errors.New("record truncated at end of line")
		}
		f.fail(start, err)
		f.advance(lineEnd)
		return nil
	}
	f.record(start, start+s.Pos())
	return nil
}

// stepArray frames one element of an array or List items.
func (f *Framer) stepArray() error {
	i := f.pos
	switch f.buf[i] {
	case ']':
		f.advance(i + 1)
		f.inArray = false
		if f.listItems {
			f.listRest = true
		}
		return nil
	case ',':
		if f.arrayFirst {
			f.fail(i, errors.New("unexpected ',' in array"))
		}
		f.advance(i + 1)
		return nil
	}
	start := i
	s := &f.scan
	win := f.window(start)
	s.Reset(win)
	s.Skip()
	f.scanned += int64(s.Pos())
	if f.arrayFirst {
		f.itemCol = f.column(start) // to resynchronise at the next item even when this one is bad
	}
	if err := s.Err(); err != nil {
		rep := f.incomplete(err, start)
		if rep == errNeedMore {
			return rep
		}
		if rep == err {
			f.fail(start+errOffset(err), err)
		} else {
			f.fail(start, rep)
		}
		return f.resyncItem(start)
	}
	if s.Pos() == len(win) && f.buf[start] != '{' && f.buf[start] != '[' && f.buf[start] != '"' {
		// A number may go on after the window.
		if len(win) <= f.opts.MaxRecord && !f.eof {
			return errNeedMore
		}
	}
	if s.Pos() > f.opts.MaxRecord {
		f.fail(start, f.tooLong())
		return f.resyncItem(start)
	}
	f.arrayFirst = false
	f.record(start, start+s.Pos())
	return nil
}

// stepListRest skips the List wrapper's keys after "items" up to its '}'.
func (f *Framer) stepListRest() error {
	start := f.pos
	s := &f.scan
	s.Reset(f.window(start))
	for {
		switch s.Peek() {
		case '}':
			f.advance(start + s.Pos() + 1)
			f.listRest = false
			return nil
		case ',':
			s.pos++
			if _, ok := s.Key(true); ok {
				s.Skip()
			}
		default:
			s.syntax("expected ',' or '}' in list")
		}
		if err := s.Err(); err != nil {
			rep := f.incomplete(err, start)
			if rep == errNeedMore {
				return rep
			}
			f.fail(start, rep)
			f.listRest = false
			return f.resync(start)
		}
	}
}

// incomplete decides what a scan error at start means: more input may
// complete the value (errNeedMore), or it is to be reported as returned.
func (f *Framer) incomplete(err error, start int) error {
	se, ok := err.(*SyntaxError)
	if !ok || !se.EOF {
		return err
	}
	if f.n-start > f.opts.MaxRecord {
		return f.tooLong()
	}
	if !f.eof {
		return errNeedMore
	}
	return errTruncated
}

var errTruncated = errors.New("unexpected end of input: record truncated")

func (f *Framer) record(start, end int) {
	f.blk.Records = append(f.blk.Records, Record{Start: start, End: end, Line: f.lineAt(start)})
	f.advance(end)
}

// resync starts skipping a malformed top-level span.
func (f *Framer) resync(from int) error {
	f.advance(from)
	f.skip, f.skipResume = skipToTop, false
	f.inArray, f.listRest = false, false
	return f.skipSpan()
}

// resyncItem starts skipping a malformed array element.
func (f *Framer) resyncItem(from int) error {
	f.advance(from)
	f.skip, f.skipResume = skipToItem, false
	return f.skipSpan()
}

// skipSpan advances past the malformed span at f.pos: to the next line that
// starts with '{' or '[' in column 0, or, inside an array, to the next line
// where an element starts in the first element's column (or the array
// ends).
func (f *Framer) skipSpan() error {
	i := f.pos
	atLine := f.skipResume // i is at the start of a line not yet looked at
	f.skipResume = false
	for {
		if atLine && f.skip == skipToLine {
			return f.endSkip(i)
		}
		if atLine {
			j := i
			for j < f.n && f.buf[j] == ' ' {
				j++
			}
			if j >= f.n {
				if f.eof {
					return f.endSkip(f.n)
				}
				f.advance(i)
				f.skipResume = true
				return errNeedMore
			}
			c := f.buf[j]
			switch f.skip {
			case skipToTop:
				if j == i && (c == '{' || c == '[') {
					return f.endSkip(j)
				}
			case skipToItem:
				if j-i == f.itemCol && c == '{' {
					return f.endSkip(j)
				}
				if j-i < f.itemCol && (c == ']' || c == '}') {
					return f.endSkip(j) // the array ends here
				}
			}
		}
		k := bytes.IndexByte(f.buf[i:f.n], '\n')
		if k < 0 {
			if f.eof {
				f.inArray, f.listRest = false, false
				return f.endSkip(f.n)
			}
			f.advance(f.n) // the rest of this line is skipped
			return errNeedMore
		}
		i += k + 1
		atLine = true
	}
}

func (f *Framer) endSkip(at int) error {
	f.advance(at)
	f.skip = skipNone
	return nil
}

// column returns the column of buffer offset at >= f.pos.
func (f *Framer) column(at int) int {
	if k := bytes.LastIndexByte(f.buf[f.pos:at], '\n'); k >= 0 {
		return at - (f.pos + k) - 1
	}
	return int(f.base + int64(at) - f.lastNL - 1)
}

// truncatedAt returns the offset of "\n{" or "\n[" inside a pretty-printed
// record, where a truncated record ran into the next one, or 0.
func truncatedAt(rec []byte) int {
	for off := 0; ; {
		k := bytes.IndexByte(rec[off:], '\n')
		if k < 0 || off+k+1 >= len(rec)-1 {
			return 0
		}
		off += k + 1
		if c := rec[off]; c == '{' || c == '[' {
			return off
		}
	}
}

func errOffset(err error) int {
	if se, ok := err.(*SyntaxError); ok {
		return se.Offset
	}
	return 0
}

// describe names the byte c at buffer offset at for an error message. A
// NUL byte (files padded with zeros, as a crash can leave them) says where
// it is: the message is about a line of what may be no text at all.
func (f *Framer) describe(c byte, at int) string {
	if c == 0 {
		return fmt.Sprintf("NUL byte at offset %d", f.base+int64(at))
	}
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}
