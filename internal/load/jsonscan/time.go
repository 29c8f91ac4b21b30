package jsonscan

import (
	"errors"
	"math"
	"time"
)

// ErrTimeRange is returned for a timestamp that Unix nanoseconds in an
// int64 cannot hold: before 1677-09-21T00:12:43.145224192Z or after
// 2262-04-11T23:47:16.854775807Z. Such a time would wrap to another one
// (1600-01-01 to 2184-07-20); the decoders reject the record.
var ErrTimeRange = errors.New("time out of range")

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// ParseTime parses a Kubernetes timestamp (metav1.Time and metav1.MicroTime
// marshal as RFC 3339 with 0 or 6 fractional digits, always UTC "Z") into
// Unix nanoseconds. It also accepts any fraction length, numeric offsets, a
// space instead of 'T' (seen in exported audit fixtures), and returns
// ok=false for an empty string or the string "null" (support bundles write
// it for unset times). A time outside the range of int64 nanoseconds is
// ErrTimeRange. Other text is an error.
func ParseTime(b []byte) (ns int64, ok bool, err error) {
	if len(b) == 0 || string(b) == "null" {
		return 0, false, nil
	}
	if ns, ok, inRange := fastRFC3339(b); ok {
		if !inRange {
			return 0, false, ErrTimeRange
		}
		return ns, true, nil
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, string(b)); err == nil {
			if t.Before(minTime) || t.After(maxTime) {
				return 0, false, ErrTimeRange
			}
			return t.UnixNano(), true, nil
		}
	}
	return 0, false, &timeError{string(b)}
}

type timeError struct{ s string }

func (e *timeError) Error() string { return "invalid timestamp " + quoteShort(e.s) }

var layouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700 MST",
}

// fastRFC3339 handles YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM) without
// allocating. inRange is false for a valid time that int64 nanoseconds
// cannot hold.
func fastRFC3339(b []byte) (ns int64, ok, inRange bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return 0, false, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	min, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || min > 59 || sec > 59 {
		return 0, false, false
	}
	i := 19
	var frac int64
	if b[i] == '.' {
		i++
		scale := int64(100000000)
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if scale > 0 {
				frac += int64(b[i]-'0') * scale
				scale /= 10
			}
			i++
		}
		if i == start {
			return 0, false, false
		}
	}
	if i >= len(b) {
		return 0, false, false
	}
	var offset int
	switch b[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		if len(b)-i != 6 || b[i+3] != ':' {
			return 0, false, false
		}
		oh, okh := digits(b[i+1 : i+3])
		om, okm := digits(b[i+4 : i+6])
		if !okh || !okm || oh > 23 || om > 59 {
			return 0, false, false
		}
		offset = (oh*60 + om) * 60
		if b[i] == '-' {
			offset = -offset
		}
		i += 6
	default:
		return 0, false, false
	}
	if i != len(b) {
		return 0, false, false
	}
	days := daysSinceEpoch(year, month, day)
	secs := int64(days)*86400 + int64(hour*3600+min*60+sec) - int64(offset)
	// secs*1e9 + frac must fit: compare in seconds, then the fraction at
	// the two boundary seconds.
	const (
		second = int64(time.Second)
		minSec = math.MinInt64/second - 1 // -9223372037
		maxSec = math.MaxInt64 / second   // 9223372036
	)
	switch {
	case secs < minSec || secs > maxSec:
		return 0, true, false
	case secs == minSec && frac < second+math.MinInt64%second: // 145224192
		return 0, true, false
	case secs == maxSec && frac > math.MaxInt64%second: // 854775807
		return 0, true, false
	}
	return secs*1e9 + frac, true, true
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(m, y int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysSinceEpoch is Howard Hinnant's days_from_civil.
func daysSinceEpoch(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return `"` + s + `"`
}
