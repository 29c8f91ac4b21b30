package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeSpec is a time given on the command line (--since, --until,
// --around): absolute, or relative to the archive's first or last record.
// Relative times never use the wall clock: an archive is read long after
// it was written.
type timeSpec struct {
	abs    time.Time
	anchor string // "start" or "end" for relative times
	off    time.Duration
	set    bool
}

// timeHelp is what every time flag takes, for --help and error messages.
const timeHelp = "RFC 3339 (2026-11-25T03:29:00Z), a date (2026-11-25, midnight UTC), start or end of the archive with an offset (start+5m, end-10m), or a duration before the end of the archive (2h, 1d)"

// parseTimeSpec parses the value of the time flag --flag:
//
//	2026-11-25T03:29:00Z, 2026-11-25T05:29:00+02:00   RFC 3339
//	2026-11-25                                        midnight UTC of that day
//	start, end, start+5m, end-10m                     the archive's first or last record, plus or minus
//	2h, 90m, 1d                                       that long before the archive's last record
func parseTimeSpec(flag, v string) (timeSpec, error) {
	if v == "" {
		return timeSpec{}, nil
	}
	bad := func(why string) error {
		return usagef("--%s %q: %s; want %s", flag, v, why, timeHelp)
	}
	for _, anchor := range []string{"start", "end"} {
		rest, ok := strings.CutPrefix(v, anchor)
		if !ok {
			continue
		}
		ts := timeSpec{anchor: anchor, set: true}
		if rest != "" {
			if rest[0] != '+' && rest[0] != '-' {
				return ts, bad("not a time")
			}
			d, err := parseDays(rest[1:])
			if err != nil {
				return ts, bad("the offset is not a duration")
			}
			if rest[0] == '-' {
				d = -d
			}
			ts.off = d
		}
		return ts, nil
	}
	if c := v[0]; c >= '0' && c <= '9' && !strings.Contains(v, "-") {
		d, err := parseDays(v)
		if err != nil {
			return timeSpec{}, bad("not a duration")
		}
		return timeSpec{anchor: "end", off: -d, set: true}, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return timeSpec{abs: t.UTC(), set: true}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		if _, err := time.Parse("2006-01-02T15:04:05", v); err == nil {
			return timeSpec{}, bad("no time zone (add Z for UTC, or an offset such as +02:00)")
		}
		return timeSpec{}, bad("not a time")
	}
	return timeSpec{abs: t.UTC(), set: true}, nil
}

// parseDays is time.ParseDuration that also takes whole days first
// ("1d", "2d12h"), and no sign.
func parseDays(s string) (time.Duration, error) {
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("not a duration")
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 100000 {
			return 0, fmt.Errorf("not a duration")
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("not a duration")
	}
	return days + d, nil
}

// relative reports whether the time depends on the archive's span.
func (ts timeSpec) relative() bool { return ts.anchor != "" }

// at is the time, given the archive's first and last record.
func (ts timeSpec) at(first, last time.Time) time.Time {
	switch ts.anchor {
	case "start":
		return first.Add(ts.off)
	case "end":
		return last.Add(ts.off)
	}
	return ts.abs
}

// timeRange is a --since/--until pair.
type timeRange struct {
	since, until timeSpec
}

// parseTimeRange parses --since and --until; when both are absolute,
// --since must be before --until.
func parseTimeRange(since, until string) (timeRange, error) {
	var r timeRange
	var err error
	if r.since, err = parseTimeSpec("since", since); err != nil {
		return r, err
	}
	if r.until, err = parseTimeSpec("until", until); err != nil {
		return r, err
	}
	if !r.relative() {
		_, _, err = r.at(time.Time{}, time.Time{})
	}
	return r, err
}

func (r timeRange) relative() bool { return r.since.relative() || r.until.relative() }

// at resolves the range for an archive spanning first to last: zero
// times are unset. --until not after --since is a usage error.
func (r timeRange) at(first, last time.Time) (since, until time.Time, err error) {
	if r.since.set {
		since = r.since.at(first, last)
	}
	if r.until.set {
		until = r.until.at(first, last)
	}
	return since, until, checkOrder(since, until)
}

// checkOrder refuses a window that holds nothing.
func checkOrder(since, until time.Time) error {
	if !since.IsZero() && !until.IsZero() && !until.After(since) {
		return usagef("--since %s is not before --until %s", since.Format(time.RFC3339Nano), until.Format(time.RFC3339Nano))
	}
	return nil
}
