package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/spf13/pflag"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/follow"
	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

// followFlags are the flags of export --follow and rollouts --follow.
type followFlags struct {
	on         bool
	flushAfter time.Duration
	idleAfter  time.Duration
	tick       time.Duration
}

func (f *followFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.on, "follow", false, "follow a live stream: standard input (-) until it ends, or one FILE as tail -F does (docs/follow.md)")
	fs.DurationVar(&f.flushAfter, "flush-after", follow.DefaultFlushAfter, "with --follow: hand on a rollout still open after this long (stream time) as in-progress")
	fs.DurationVar(&f.idleAfter, "idle-after", follow.DefaultIdleAfter, "with --follow: drop the records of a namespace quiet this long (stream time), its rollouts handed on; 0 keeps everything")
	fs.DurationVar(&f.tick, "follow-tick", follow.DefaultTick, "with --follow: how often what came is correlated again")
	fs.MarkHidden("follow-tick")
}

// check refuses what --follow cannot do: one PATH, no times relative to
// an end the stream does not have.
func (f *followFlags) check(args []string, filter *rolloutFilter) error {
	if !f.on {
		return nil
	}
	if len(args) != 1 {
		return usagef("--follow reads one stream: - (standard input) or one FILE, not %d paths", len(args))
	}
	if args[0] != "-" {
		st, err := os.Stat(args[0])
		if err != nil {
			return err
		}
		if st.IsDir() {
			return usagef("--follow %s: a directory; follow one file (or -)", args[0])
		}
	}
	if filter.since != "" || filter.until != "" {
		return usagef("--since and --until select from an archive; with --follow every rollout of the stream is handed on")
	}
	if f.idleAfter < 0 {
		return usagef("--idle-after %s: want 0 (keep everything) or more", f.idleAfter)
	}
	if f.flushAfter <= 0 || f.tick <= 0 {
		return usagef("--flush-after %s: want a duration above 0", f.flushAfter)
	}
	return nil
}

// run follows args[0] into sink until it ends or ctx does (Ctrl-C: what
// is decided is handed on, and it is no error), reporting rejected
// records once each and a summary on stderr.
func (f *followFlags) run(ctx context.Context, lf *loadFlags, filter *rolloutFilter, args []string, s streams, keep func(*correlate.Rollout) bool, sink follow.Sink) (follow.Stats, error) {
	opts, err := lf.loadOptions(s, args, false)
	if err != nil {
		return follow.Stats{}, err
	}
	rules, err := filter.rules.rules()
	if err != nil {
		return follow.Stats{}, err
	}
	in, name := io.Reader(s.In), ""
	if args[0] != "-" {
		t, err := follow.OpenFile(ctx, args[0])
		if err != nil {
			return follow.Stats{}, err
		}
		defer t.Close()
		in, name = t, args[0]
	}
	fo := follow.Options{Load: opts, Name: name, Rules: rules, Keep: keep, Tick: f.tick, FlushAfter: f.flushAfter, IdleAfter: f.idleAfter}
	if !lf.quiet {
		fo.OnError = func(e *load.InputError) { fmt.Fprintf(s.Err, "rejected: %s\n", textsafe.Sanitize(e.Error())) }
	}
	st, err := follow.Run(ctx, in, fo, sink)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	if !lf.quiet {
		var read, rejected, dups int64
		for _, fs := range st.Files {
			read, rejected, dups = read+fs.Read, rejected+fs.Rejected, dups+fs.Duplicates
		}
		fmt.Fprintf(s.Err, "follow: %s read (%s, %d duplicated, %d rejected), %d correlations; handed on %s (%d decided, %d times in progress); %s held, %s of idle namespaces dropped (%s)",
			plural(st.Bytes, "byte"), plural(read, "record"), dups, rejected, st.Ticks, plural(int64(st.Emitted), "time"), st.Decided, st.InProgress,
			plural(st.Held, "byte"), plural(st.EvictedBytes, "byte"), plural(int64(st.Evicted), "rollout"))
		if st.Orphaned > 0 {
			fmt.Fprintf(s.Err, ", %d no longer found (a late record changed their identity)", st.Orphaned)
		}
		fmt.Fprintln(s.Err)
	}
	return st, err
}

// sinks hands on to each of several sinks; the first encodes.
type sinks []follow.Sink

func (m sinks) Encode(buf []byte, r *correlate.Rollout, events arrow.Record) ([]byte, error) {
	return m[0].Encode(buf, r, events)
}

func (m sinks) Write(rs []correlate.Rollout, events arrow.Record) error {
	var errs []error
	for _, s := range m {
		errs = append(errs, s.Write(rs, events))
	}
	return errors.Join(errs...)
}

// afterInterrupt is a context that ends grace after ctx does: a sender
// gets that long to deliver what is queued once Ctrl-C was pressed.
func afterInterrupt(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		select {
		case <-ctx.Done():
			select {
			case <-time.After(grace):
				cancel()
			case <-c.Done():
			}
		case <-c.Done():
		}
	}()
	return c, cancel
}
