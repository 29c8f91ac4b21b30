// Package timefmt writes the times of the reports one way: RFC 3339 in
// UTC with as many fractional digits as the time has, "" for an unknown
// time.
package timefmt

import "time"

// Time is t in RFC 3339 (nanoseconds when it has them), UTC; "" for nil.
func Time(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Nanos is Time of Unix nanoseconds; "" for 0, the tables' unknown time.
func Nanos(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}
