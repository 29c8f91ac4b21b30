package follow

import (
	"bytes"
	"io"
	"sync"
)

// stream holds what was read of the stream: pieces of bytes in stream
// order, each after the newlines that stand for records evicted before it
// (so that every record keeps its line number), the last piece growing as
// the reader appends.
type stream struct {
	mu      sync.Mutex
	pieces  []piece
	tailAt  int64 // offset in the stream of the last piece's first byte
	end     int64 // offset in the stream where its complete records end
	readErr error
}

type piece struct {
	pad  int64 // newlines before data
	data []byte
}

func newStream() *stream { return &stream{pieces: []piece{{}}} }

// append adds bytes read; end is where the complete records end now.
func (st *stream) append(b []byte, end int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	t := &st.pieces[len(st.pieces)-1]
	t.data = append(t.data, b...)
	st.end = end
}

// closeAt marks the stream's end: everything read is a record.
func (st *stream) close(err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.readErr = err
	st.end = st.tailAt + int64(len(st.pieces[len(st.pieces)-1].data))
}

// snapshot returns the complete records held, as pieces the caller does
// not change, and the stream offset they reach.
func (st *stream) snapshot() ([]piece, int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ps := make([]piece, len(st.pieces))
	copy(ps, st.pieces)
	n := st.end - st.tailAt
	t := &ps[len(ps)-1]
	t.data = t.data[:n:n]
	return ps, st.end
}

// held is the bytes held.
func (st *stream) held() int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	var n int64
	for _, p := range st.pieces {
		n += int64(len(p.data))
	}
	return n
}

// reader reads pieces as one input: each piece's newlines, then its bytes.
func reader(ps []piece) io.Reader {
	rs := make([]io.Reader, 0, 2*len(ps))
	for _, p := range ps {
		if p.pad > 0 {
			rs = append(rs, &newlines{p.pad})
		}
		rs = append(rs, bytes.NewReader(p.data))
	}
	return io.MultiReader(rs...)
}

// newlines reads as n newlines.
type newlines struct{ n int64 }

func (r *newlines) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), r.n))
	for i := range p[:k] {
		p[i] = '\n'
	}
	r.n -= int64(k)
	return k, nil
}

// span is a range [lo, hi) of the input reader(snapshot) gives.
type span struct{ lo, hi int64 }

// evict replaces the ranges (sorted, not overlapping, in the coordinates
// of the snapshot ps, which must be the latest) by the newlines they
// hold, and returns the bytes freed. The bytes the reader appended after
// the snapshot stay.
func (st *stream) evict(ps []piece, cut []span) int64 {
	if len(cut) == 0 {
		return 0
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []piece
	var pad int64 // newlines for the next piece
	var freed int64
	k := 0 // the next span
	var at int64
	for i, p := range ps {
		at += p.pad
		pad += p.pad
		data := p.data
		last := i == len(ps)-1
		if last {
			data = st.pieces[len(st.pieces)-1].data // with what came since
		}
		lo := int64(0) // of data, not evicted yet
		for k < len(cut) && cut[k].lo < at+int64(len(p.data)) {
			c := cut[k]
			from, to := max(c.lo-at, lo), min(c.hi-at, int64(len(p.data)))
			if from > lo {
				out = append(out, piece{pad: pad, data: data[lo:from:from]})
				pad = 0
			}
			if to > from {
				pad += int64(bytes.Count(data[from:to], []byte{'\n'}))
				freed += to - from
				lo = to
			}
			if c.hi-at > int64(len(p.data)) {
				break // the span goes on into the next piece
			}
			k++
		}
		if last {
			// The rest of the last piece is the new tail, a copy so that
			// the evicted bytes before it are freed.
			st.tailAt += lo
			out = append(out, piece{pad: pad, data: append([]byte(nil), data[lo:]...)})
			pad = 0
		} else if lo < int64(len(p.data)) {
			out = append(out, piece{pad: pad, data: data[lo:]})
			pad = 0
		}
		at += int64(len(p.data))
	}
	// Pieces cut from the same array keep it whole; copy those that are
	// small parts of it.
	for i := range out[:len(out)-1] {
		if cap(out[i].data) > 2*len(out[i].data)+4096 {
			out[i].data = append([]byte(nil), out[i].data...)
		}
	}
	st.pieces = out
	return freed
}
