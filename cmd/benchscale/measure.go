package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// sample is one run of a command.
type sample struct {
	Wall time.Duration // from start to exit, as the parent saw it
	Time time.Duration // what the rates are computed from: Wall, or the command's own timing
	RSS  int64         // peak resident set size in bytes (getrusage ru_maxrss)
}

// run starts argv once and waits for it. Its stdout goes to /dev/null unless
// elapsed is set, which then reads the command's own timing from it; its
// stderr is kept in memory and shown only when it fails.
//
// Peak RSS comes from the rusage that wait4 returns for the child, the
// number GNU time prints as %M: no time package needed, on any Linux.
func run(argv []string, elapsed func(stdout []byte) (time.Duration, error)) (sample, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	if elapsed != nil {
		cmd.Stdout = &stdout
	} else {
		devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return sample{}, err
		}
		defer devnull.Close()
		cmd.Stdout = devnull
	}
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = "…" + msg[len(msg)-2000:]
		}
		return sample{}, fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, msg)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return sample{}, errors.New("no rusage from the child on this system")
	}
	// Linux reports ru_maxrss in KiB.
	s := sample{Wall: wall, RSS: int64(ru.Maxrss) * 1024, Time: wall}
	if elapsed != nil {
		if s.Time, err = elapsed(stdout.Bytes()); err != nil {
			return sample{}, fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
		}
	}
	return s, nil
}

// best runs argv n times and keeps the fastest run (least Time) and the
// highest peak RSS over all runs.
func best(label string, argv []string, n int, elapsed func([]byte) (time.Duration, error)) (sample, error) {
	var b sample
	for i := range n {
		s, err := run(argv, elapsed)
		if err != nil {
			return sample{}, err
		}
		logf("%s: run %d/%d %.2fs %.0f MB", label, i+1, n, s.Time.Seconds(), mb(s.RSS))
		rss := max(b.RSS, s.RSS)
		if i == 0 || s.Time < b.Time {
			b = s
		}
		b.RSS = rss
	}
	return b, nil
}
