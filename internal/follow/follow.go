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
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"slices"
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
	DefaultIdleAfter  = time.Hour
)

// recheckOpen is how often a stream with an open rollout and no new
// records is correlated again (its stream time runs on: FlushAfter and the
// failure rule's thresholds can pass).
const recheckOpen = 10 * time.Second

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
	// IdleAfter, when above 0, bounds what is held: the records of a
	// namespace whose last record and last rollout's end are IdleAfter
	// behind the stream's time are dropped (docs/follow.md, "Memory").
	IdleAfter time.Duration
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
	// Evicted counts the rollouts whose records were dropped (IdleAfter),
	// EvictedBytes the bytes; Held is what was held at the end.
	Evicted            int
	EvictedBytes, Held int64
	// EvictedNamespaces are the namespaces ("cluster/namespace") whose
	// records were dropped at least once, sorted.
	EvictedNamespaces []string
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
	st := newStream()
	f := &follower{o: o, sink: sink, st: st, sent: map[[16]byte]*sent{}, seqs: map[string]int{}}
	done := make(chan struct{})
	wake := make(chan struct{}, 1)
	go func() {
		defer close(done)
		var fr framer
		chunk := make([]byte, 256<<10)
		for {
			n, err := in.Read(chunk)
			if n > 0 {
				st.append(chunk[:n], fr.scan(chunk[:n]))
				select {
				case wake <- struct{}{}:
				default:
				}
			}
			if err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) {
					err = nil
				}
				// At the end the last record need not end with a
				// newline or a brace the framer saw close.
				st.close(err)
				return
			}
		}
	}()
	ticker := time.NewTicker(o.Tick)
	defer ticker.Stop()
	var loaded int64 // of the stream correlated last
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
		ps, upTo := st.snapshot()
		// Correlate again when records came, and also without: when a
		// decision waits to settle (at the next tick), and while a
		// rollout is open (every recheckOpen), since the stream's time
		// runs on with the clock.
		again := f.settling || f.open && time.Since(f.lastTick) >= recheckOpen
		if upTo > loaded || final || stopped || again {
			loaded = upTo
			// A stop (Ctrl-C) hands on what is decided only; the end of
			// the stream everything, as an archive of it would give.
			lctx := ctx
			if stopped {
				lctx = context.WithoutCancel(ctx)
			}
			if err := f.tick(lctx, ps, final); err != nil {
				return f.stats(upTo), err
			}
		}
		if final || stopped {
			st.mu.Lock()
			err := st.readErr
			st.mu.Unlock()
			return f.stats(upTo), err
		}
	}
}

type follower struct {
	o     Options
	sink  Sink
	st    *stream
	sent  map[[16]byte]*sent
	ticks int
	sum   Stats
	// seqs are the rollouts evicted, by workload (seqKey): the sequence
	// numbers of its rollouts correlated after them are counted on.
	seqs map[string]int
	// reported is the last line (of the stream) whose rejection was
	// passed to OnError.
	reported int64
	enc      []byte
	// last is the latest event time seen, lastWall when it was first seen.
	last, lastWall time.Time
	// settling: a decided rollout waits to settle; open: a rollout is
	// open; lastTick: when the last correlation ran.
	settling, open bool
	lastTick       time.Time
}

func (f *follower) stats(bytes int64) Stats {
	st := f.sum
	st.Bytes, st.Ticks, st.Held = bytes, f.ticks, f.st.held()
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
func (f *follower) tick(ctx context.Context, ps []piece, final bool) error {
	f.ticks++
	f.lastTick, f.settling, f.open = time.Now(), false, false
	lo := f.o.Load
	lo.Stdin, lo.StdinName = reader(ps), f.o.Name
	a, err := archive.Load(ctx, []string{"-"}, lo)
	if err != nil {
		return err
	}
	defer a.Release()
	f.sum.Files = a.Files
	f.reportErrors(a.Files)
	res := correlate.CorrelatePartsWith(a.Parts, a.Workers, f.o.Rules)
	for i := range res.Rollouts {
		res.Rollouts[i].Seq += f.seqs[seqKey(&res.Rollouts[i])]
	}
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
			f.settling = true
			continue
		}
		if !decided {
			f.open = true
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
			f.sum.InProgress++
		}
		out = append(out, *r)
	}
	if len(out) > 0 {
		f.sum.Emitted += len(out)
		if f.o.OnEmit != nil {
			for i := range out {
				f.o.OnEmit(&out[i], now)
			}
		}
		if err := f.sink.Write(out, events); err != nil {
			return err
		}
	}
	// A stream with audit records is not thinned: its rollouts rest on
	// records (the changes table) their evidence does not list.
	if f.o.IdleAfter > 0 && !final && (a.Changes == nil || a.Changes.NumRows() == 0) {
		f.evict(ps, res.Rollouts, events, now)
	}
	return nil
}

// seqKey names the workload whose rollouts a sequence number counts.
func seqKey(r *correlate.Rollout) string {
	name := r.Name
	if r.Kind == "Job" && r.Owner != "" {
		name = "cronjob/" + r.Owner
	}
	return r.Cluster + "\x00" + r.Namespace + "\x00" + r.Kind + "\x00" + name
}

// evict drops the records of the namespaces gone idle: whose last record
// is IdleAfter behind the stream's time, and whose rollouts all ended
// before that and were handed on as they are now (docs/follow.md,
// "Memory"). A rollout never crosses a namespace, so the rollouts of the
// others are correlated as before. The evicted rollouts are counted on
// their workload's sequence numbers, so that a rollout of the namespace
// that comes later keeps the number (and trace ID) the whole stream
// gives it.
func (f *follower) evict(ps []piece, rs []correlate.Rollout, events arrow.Record, now time.Time) {
	horizon := now.Add(-f.o.IdleAfter).UnixNano()
	type nsState struct {
		last int64
		busy bool
	}
	byNS := map[load.PartitionKey]*nsState{}
	v := load.NewView(events)
	type rec struct {
		off int64
		ns  load.PartitionKey
	}
	recs := make([]rec, v.Len())
	for i := range recs {
		k := load.EventPartition(v, i)
		s := byNS[k]
		if s == nil {
			s = &nsState{}
			byNS[k] = s
		}
		s.last = max(s.last, v.Time(load.ColTime, i))
		recs[i] = rec{v.Int64(load.ColSourceOffset, i), k}
	}
	for _, s := range byNS {
		s.busy = s.last >= horizon
	}
	for i := range rs {
		r := &rs[i]
		s := byNS[load.PartitionKey{Cluster: r.Cluster, Namespace: r.Namespace}]
		if s == nil || s.busy {
			continue
		}
		handed := f.sent[[16]byte(otlp.TraceID(r))]
		current := f.o.Keep != nil && !f.o.Keep(r) || handed != nil && handed.seen == f.ticks
		if r.End == nil || r.End.UnixNano() >= horizon || r.Outcome == correlate.OutcomeInProgress || !current {
			s.busy = true
		}
	}
	// The records (a record runs to the next one's start), evicted when
	// every row read from it is of an idle namespace.
	slices.SortStableFunc(recs, func(a, b rec) int { return cmp.Compare(a.off, b.off) })
	var total int64
	for _, p := range ps {
		total += p.pad + int64(len(p.data))
	}
	var cut []span
	for i := 0; i < len(recs); {
		j, idle := i, true
		for ; j < len(recs) && recs[j].off == recs[i].off; j++ {
			idle = idle && !byNS[recs[j].ns].busy
		}
		hi := total
		if j < len(recs) {
			hi = recs[j].off
		}
		if idle {
			if n := len(cut); n > 0 && cut[n-1].hi == recs[i].off {
				cut[n-1].hi = hi
			} else {
				cut = append(cut, span{recs[i].off, hi})
			}
		}
		i = j
	}
	var size int64
	for _, c := range cut {
		size += c.hi - c.lo
	}
	// Worth the copy: at least a sixteenth of what is held, 64 KiB.
	if size < max(total/16, 64<<10) {
		return
	}
	for i := range rs {
		r := &rs[i]
		if s := byNS[load.PartitionKey{Cluster: r.Cluster, Namespace: r.Namespace}]; s != nil && !s.busy {
			f.seqs[seqKey(r)]++
			delete(f.sent, [16]byte(otlp.TraceID(r)))
			f.sum.Evicted++
		}
	}
	for k, s := range byNS {
		if name := k.Cluster + "/" + k.Namespace; !s.busy && !slices.Contains(f.sum.EvictedNamespaces, name) {
			f.sum.EvictedNamespaces = append(f.sum.EvictedNamespaces, name)
		}
	}
	slices.Sort(f.sum.EvictedNamespaces)
	f.sum.EvictedBytes += f.st.evict(ps, cut)
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
