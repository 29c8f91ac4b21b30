package timefmt

import (
	"testing"
	"time"
)

func TestTime(t *testing.T) {
	loc := time.FixedZone("x", 3600)
	at := time.Date(2026, 11, 25, 4, 28, 25, 2767373, loc)
	whole := time.Date(2026, 11, 25, 3, 28, 25, 0, time.UTC)
	for _, c := range []struct {
		got, want string
	}{
		{Time(nil), ""},
		{Time(&at), "2026-11-25T03:28:25.002767373Z"},
		{Time(&whole), "2026-11-25T03:28:25Z"},
		{Nanos(0), ""},
		{Nanos(at.UnixNano()), "2026-11-25T03:28:25.002767373Z"},
		{Nanos(-1), "1969-12-31T23:59:59.999999999Z"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
