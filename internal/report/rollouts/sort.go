package rollouts

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/evanalyze/evanalyze/internal/correlate"
)

// A Sorter puts rollouts that come in several runs (the groups of
// namespaces of a cluster whose rows spilled) in the order of one run
// (correlate.SortRollouts) before a Writer writes them, without holding
// them: each is encoded as the Writer writes it into a temporary file, and
// only its order key (about a hundred bytes) stays in memory.
type Sorter struct {
	w    *Writer
	dir  string
	f    *os.File
	bw   *bufio.Writer
	off  int64
	keys []sortKey
}

type sortKey struct {
	cluster, namespace, kind, name string
	start                          int64
	seq                            int
	off                            int64
	n                              int
}

// NewSorter returns a Sorter writing to w, with its file under dir ("":
// os.TempDir). Close it to remove the file.
func NewSorter(w *Writer, dir string) *Sorter { return &Sorter{w: w, dir: dir} }

// Add keeps rs until Flush.
func (s *Sorter) Add(rs []correlate.Rollout) error {
	if s.f == nil {
		f, err := os.CreateTemp(s.dir, "evanalyze-rollouts-*")
		if err != nil {
			return fmt.Errorf("sort rollouts: %w", err)
		}
		s.f, s.bw = f, bufio.NewWriterSize(f, 1<<20)
	}
	for i := range rs {
		r := &rs[i]
		b, err := s.w.encode(r)
		if err != nil {
			return err
		}
		if _, err := s.bw.Write(b); err != nil {
			return fmt.Errorf("sort rollouts: %w", err)
		}
		s.keys = append(s.keys, sortKey{cluster: r.Cluster, namespace: r.Namespace, kind: r.Kind, name: r.Name,
			start: r.Start.UnixNano(), seq: r.Seq, off: s.off, n: len(b)})
		s.off += int64(len(b))
	}
	return nil
}

// Len is the number of rollouts kept.
func (s *Sorter) Len() int { return len(s.keys) }

// Flush writes the rollouts kept, in order, and forgets them.
func (s *Sorter) Flush() error {
	if len(s.keys) == 0 {
		return nil
	}
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("sort rollouts: %w", err)
	}
	// The order of correlate.SortRollouts; stable, as it is.
	slices.SortStableFunc(s.keys, func(a, b sortKey) int {
		return cmp.Or(strings.Compare(a.cluster, b.cluster), cmp.Compare(a.start, b.start), strings.Compare(a.namespace, b.namespace),
			strings.Compare(a.kind, b.kind), strings.Compare(a.name, b.name), cmp.Compare(a.seq, b.seq))
	})
	var buf []byte
	for _, k := range s.keys {
		buf = slices.Grow(buf[:0], k.n)[:k.n]
		if _, err := s.f.ReadAt(buf, k.off); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("sort rollouts: %w", err)
		}
		if err := s.w.writeEncoded(buf); err != nil {
			return err
		}
	}
	s.keys, s.off = s.keys[:0], 0
	if err := s.f.Truncate(0); err != nil {
		return fmt.Errorf("sort rollouts: %w", err)
	}
	_, err := s.f.Seek(0, io.SeekStart)
	s.bw.Reset(s.f)
	return err
}

// Close removes the file.
func (s *Sorter) Close() error {
	if s.f == nil {
		return nil
	}
	err := errors.Join(s.f.Close(), os.Remove(s.f.Name()))
	s.f = nil
	return err
}
