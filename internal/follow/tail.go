package follow

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// tail reads a growing file the way tail -F does: to its end, then what is
// appended to it; when the path is renamed away or removed and a new file
// takes its name (log rotation: an event-exporter file sink, an API
// server's --audit-log-path), it reads the old file to its end, then the
// new one from its start; when the file is truncated in place
// (copytruncate), it reads it again from its start. The bytes of every
// file it read are one stream. Read blocks until there is data, the
// context ends (its error), or a read fails.
type tail struct {
	ctx  context.Context
	path string
	poll time.Duration
	f    *os.File
	off  int64 // read in f
	// Rotations counts the files after the first; Truncations the times
	// the file was read again from its start.
	Rotations, Truncations int
}

// OpenFile follows the file at path as tail -F does (see tail), from its
// start; reads end when ctx does, with its error.
func OpenFile(ctx context.Context, path string) (io.ReadCloser, error) {
	return openTail(ctx, path, 0)
}

func openTail(ctx context.Context, path string, poll time.Duration) (*tail, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	return &tail{ctx: ctx, path: path, poll: poll, f: f}, nil
}

func (t *tail) Read(p []byte) (int, error) {
	for {
		n, err := t.f.Read(p)
		t.off += int64(n)
		if n > 0 {
			return n, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		// At the end of what is there: rotated, truncated, or to wait.
		if rotated, err := t.reopen(); err != nil {
			return 0, err
		} else if rotated {
			continue
		}
		select {
		case <-t.ctx.Done():
			return 0, t.ctx.Err()
		case <-time.After(t.poll):
		}
	}
}

// reopen switches to the file now at the path when it is another one (the
// old one read to its end), or starts again when the file is shorter than
// what was read of it. It reports whether there may be more to read.
func (t *tail) reopen() (bool, error) {
	cur, err := t.f.Stat()
	if err != nil {
		return false, err
	}
	now, err := os.Stat(t.path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil // removed, not replaced yet: wait for it
		}
		return false, err
	}
	if !os.SameFile(cur, now) {
		f, err := os.Open(t.path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return false, nil
			}
			return false, err
		}
		// The old file was read to its end (Read saw EOF just now).
		t.f.Close()
		t.f, t.off = f, 0
		t.Rotations++
		return true, nil
	}
	if cur.Size() < t.off {
		if _, err := t.f.Seek(0, io.SeekStart); err != nil {
			return false, err
		}
		t.off = 0
		t.Truncations++
		return true, nil
	}
	return false, nil
}

func (t *tail) Close() error { return t.f.Close() }
