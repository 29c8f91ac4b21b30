// Package follow tells the story of a live stream: it reads events (and
// audit records) as they arrive, from standard input or a growing file,
// correlates them by the same rules as an archive, and hands each rollout
// to a sink once its outcome is decided (complete, failed, superseded), or
// once it has been open for longer than FlushAfter (in progress, sent again
// when decided). IDs derive from content, so what a follow sends is what a
// later backfill of the same stream sends (docs/follow.md).
//
// How: the complete records read so far are kept, and every Tick in which
// new ones came they are loaded and correlated again as one archive
// (archive.Load, correlate.CorrelatePartsWith), so every rule of the
// archive reader and the correlator applies unchanged; a rollout is handed
// on when what the sink would write of it differs from what it was last
// given. Memory: the records read, and one archive of them while a tick
// correlates (docs/follow.md, "Memory").
package follow

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/otlp"
)

// Defaults.
const (
	DefaultTick       = time.Second
	DefaultFlushAfter = 15 * time.Minute
	DefaultSettle     = 2 * time.Second
)

// Options configure a follow.
type Options struct {
	// Load are the loader's options; Stdin and StdinName are set by Run.
	Load archive.Options
	// Name is the file name records are shown with (file:line):
	// the followed file, "" for <stdin>.
	Name  string
	Rules correlate.Rules
	// Keep selects the rollouts handed on (nil: all).
	Keep func(*correlate.Rollout) bool
	// Tick is how often the stream is correlated again when records came
	// (wall time); default DefaultTick.
	Tick time.Duration
	// FlushAfter is how long (stream time: the latest event's time) a
	// rollout may stay open before it is handed on in progress; default
	// DefaultFlushAfter.
	FlushAfter time.Duration
	// Settle is how long (stream time) after a rollout's end its
	// decision waits for the rest of the records of the moment; default
	// DefaultSettle.
	Settle time.Duration
	// OnError sees each rejected record once (Options.Load.MaxErrors of
	// them at most); nil ignores them.
	OnError func(*load.InputError)
	// OnEmit sees each rollout handed on, with the stream time then
	// (tests); OnTick each correlation's stream time, before its
	// rollouts are handed on.
	OnEmit func(r *correlate.Rollout, stream time.Time)
	OnTick func(stream time.Time)
}

// A Sink receives rollouts.
type Sink interface {
	// Encode appends what the sink writes of r to buf (the digest of it
	// decides whether r changed since it was handed on); events is the
	// table r.Evidence points into.
	Encode(buf []byte, r *correlate.Rollout, events arrow.Record) ([]byte, error)
	// Write hands on rollouts decided or flushed since the last call, in
	// the order of an archive's result; events is valid during the call
	// only.
	Write(rs []correlate.Rollout, events arrow.Record) error
}

// Stats say what a follow did.
type Stats struct {
	Bytes      int64 // of the stream read
	Ticks      int   // correlations
	Emitted    int   // rollouts handed on, counting each time
	Decided    int   // distinct rollouts handed on decided
	InProgress int   // times a rollout was handed on in progress
	// Orphaned counts rollouts handed on whose identity (and so trace
	// ID) a later correlation no longer gives: a late record moved their
	// start or renumbered them (docs/follow.md).
	Orphaned int
	Files    []*archive.FileStats // of the last correlation
}

// sent is what a sink was last given of a rollout.
type sent struct {
	digest  [sha256.Size]byte
	decided bool
	seen    int // the tick that last found the rollout
}

// Run follows in until it ends (io.EOF: everything read is correlated and
// handed on, open rollouts in progress too) or ctx is done (what is
// decided is handed on; Run returns nil then). A read error ends it too,
// after the same final hand-on, and is returned.
func Run(ctx context.Context, in io.Reader, o Options, sink Sink) (Stats, error) {
	if o.Tick <= 0 {
		o.Tick = DefaultTick
	}
	if o.FlushAfter <= 0 {
		o.FlushAfter = DefaultFlushAfter
	}
	if o.Settle <= 0 {
		o.Settle = DefaultSettle
	}
	f := &follower{o: o, sink: sink, sent: map[[16]byte]*sent{}}
	var (
		mu      sync.Mutex
		buf     []byte // the stream read
		end     int64  // of its complete records
		readErr error
		done    = make(chan struct{})
		wake    = make(chan struct{}, 1)
	)
	go func() {
		defer close(done)
		var fr framer
		chunk := make([]byte, 256<<10)
		for {
			n, err := in.Read(chunk)
			if n > 0 {
				mu.Lock()
				buf = append(buf, chunk[:n]...)
				end = fr.scan(chunk[:n])
				mu.Unlock()
				select {
				case wake <- struct{}{}:
				default:
				}
			}
			if err != nil {
				mu.Lock()
				if !errors.Is(err, io.EOF) && !errors.Is(err, context.Canceled) {
					readErr = err
				}
				// At the end the last record need not end with a
				// newline or a brace the framer saw close.
				end = int64(len(buf))
				mu.Unlock()
				return
			}
		}
	}()
	ticker := time.NewTicker(o.Tick)
	defer ticker.Stop()
	var loaded int64 // bytes correlated last
	snapshot := func() []byte {
		mu.Lock()
		defer mu.Unlock()
		return buf[:end:end]
	}
	for {
		final, stopped := false, false
		select {
		case <-ctx.Done():
			stopped = true
		case <-done:
			final = true
		case <-ticker.C:
		case <-wake:
			// New bytes: correlate at the next tick, not at once, so
			// that a burst is correlated once.
			continue
		}
		data := snapshot()
		if int64(len(data)) > loaded || final || stopped {
			loaded = int64(len(data))
			// A stop (Ctrl-C) hands on what is decided only; the end of
			// the stream everything, as an archive of it would give.
			lctx := ctx
			if stopped {
				lctx = context.WithoutCancel(ctx)
			}
			if err := f.tick(lctx, data, final); err != nil {
				return f.stats(int64(len(data))), err
			}
		}
		if final || stopped {
			mu.Lock()
			err := readErr
			mu.Unlock()
			return f.stats(int64(len(data))), err
		}
	}
}

type follower struct {
	o     Options
	sink  Sink
	sent  map[[16]byte]*sent
	ticks int
	st    Stats
	// reported is the last line (of the stream) whose rejection was
	// passed to OnError.
	reported int64
	enc      []byte
	// last is the latest event time seen, lastWall when it was first seen.
	last, lastWall time.Time
}

func (f *follower) stats(bytes int64) Stats {
	st := f.st
	st.Bytes, st.Ticks = bytes, f.ticks
	for _, s := range f.sent {
		if s.decided {
			st.Decided++
		}
		if s.seen != f.ticks {
			st.Orphaned++
		}
	}
	return st
}

// tick correlates the stream read so far and hands on what changed: the
// decided rollouts, those open longer than FlushAfter not handed on yet,
// and at the end (final) every rollout.
func (f *follower) tick(ctx context.Context, data []byte, final bool) error {
	f.ticks++
	lo := f.o.Load
	lo.Stdin, lo.StdinName = bytes.NewReader(data), f.o.Name
	a, err := archive.Load(ctx, []string{"-"}, lo)
	if err != nil {
		return err
	}
	defer a.Release()
	f.st.Files = a.Files
	f.reportErrors(a.Files)
	res := correlate.CorrelatePartsWith(a.Parts, a.Workers, f.o.Rules)
	events := a.Events()
	// The stream's time: its latest event's, running on with the wall
	// clock while no later event comes (a quiet cluster still decides).
	if t := latest(events); t.After(f.last) {
		f.last, f.lastWall = t, time.Now()
	}
	now := f.last
	if !f.lastWall.IsZero() {
		now = now.Add(time.Since(f.lastWall))
	}
	if f.o.OnTick != nil {
		f.o.OnTick(now)
	}
	var out []correlate.Rollout
	for i := range res.Rollouts {
		r := &res.Rollouts[i]
		if f.o.Keep != nil && !f.o.Keep(r) {
			continue
		}
		id := [16]byte(otlp.TraceID(r))
		s := f.sent[id]
		if s != nil {
			s.seen = f.ticks
		}
		decided := r.Outcome != correlate.OutcomeInProgress
		if decided && !final && now.Before(settled(r).Add(f.o.Settle)) {
			// The records of one controller's sync come within
			// milliseconds but not at once: a decision on half of them
			// (a rollout complete after 0 s, a ReplicaSet not seen yet)
			// waits for the rest.
			continue
		}
		open := !decided && now.Sub(r.Start) >= f.o.FlushAfter
		if !final && !decided && (!open || s != nil) {
			continue // open: handed on once past FlushAfter, then when decided
		}
		f.enc, err = f.sink.Encode(f.enc[:0], r, events)
		if err != nil {
			return err
		}
		d := sha256.Sum256(f.enc)
		if s != nil && s.digest == d {
			continue
		}
		if s == nil {
			s = &sent{seen: f.ticks}
			f.sent[id] = s
		}
		s.digest, s.decided = d, decided
		if !decided {
			f.st.InProgress++
		}
		out = append(out, *r)
	}
	if len(out) == 0 {
		return nil
	}
	f.st.Emitted += len(out)
	if f.o.OnEmit != nil {
		for i := range out {
			f.o.OnEmit(&out[i], now)
		}
	}
	return f.sink.Write(out, events)
}

// settled is when a decided rollout's outcome was reached: its end, else
// its start.
func settled(r *correlate.Rollout) time.Time {
	if r.End != nil {
		return *r.End
	}
	return r.Start
}

// reportErrors passes the rejected records not reported before to
// OnError: each tick reads the stream from its start again.
func (f *follower) reportErrors(files []*archive.FileStats) {
	if f.o.OnError == nil {
		return
	}
	last := f.reported
	for _, fs := range files {
		for _, e := range fs.Errors {
			if e.Line > f.reported {
				f.o.OnError(e)
				last = max(last, e.Line)
			}
		}
	}
	f.reported = last
}

// latest is the time of the latest event of the table: the stream's time.
func latest(events arrow.Record) time.Time {
	if events == nil || events.NumRows() == 0 {
		return time.Time{}
	}
	col, ok := events.Column(load.ColTime).(*array.Timestamp)
	if !ok {
		return time.Time{}
	}
	var max int64
	for i, v := range col.TimestampValues() {
		if col.IsValid(i) && int64(v) > max {
			max = int64(v)
		}
	}
	return time.Unix(0, max).UTC()
}
