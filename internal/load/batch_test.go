package load_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/load"
)

// eventName names an event as client-go's recorders do.
func eventName(object string, t time.Time) string {
	return fmt.Sprintf("%v.%x", object, t.UnixNano())
}

var created = time.Date(2026, 11, 25, 3, 30, 0, 123456789, time.UTC)

func TestNameTime(t *testing.T) {
	for _, tc := range []struct {
		name string
		want int64
		ok   bool
	}{
		{eventName("web-7d4b9c-x2x9z", created), created.UnixNano(), true},
		{"node-2.18eb2c0ba771740d", 0x18eb2c0ba771740d, true},
		{"web.18eb2c0ba77174", 0, false}, // 14 digits
		{"web.18eb2c0ba771740", 0x18eb2c0ba771740, true},
		{"web.018eb2c0ba771740d", 0, false}, // 17 digits
		{"web.18EB2C0BA771740D", 0, false},  // %x writes lowercase
		{"web.18eb2c0ba77174zz", 0, false},
		{"18eb2c0ba771740d", 0, false}, // no dot
		{"a.b.18eb2c0ba771740d", 0x18eb2c0ba771740d, true},
		{"web.18eb2c0ba771740d.x", 0, false}, // the last dot counts
		{"web.4000000000000000", 1 << 62, true},
		{"web.4000000000000001", 0, false}, // past 2116
		{"web.ffffffffffffffff", 0, false},
		{"", 0, false},
	} {
		got, ok := load.NameTime([]byte(tc.name))
		if got != tc.want || ok != tc.ok {
			t.Errorf("NameTime(%q) = %d, %v; want %d, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// firstTimestamp has whole seconds; the name's nanoseconds refine it when
// they fall within [first-1s, first+2s).
func TestRefineFirst(t *testing.T) {
	sec := created.Truncate(time.Second)
	name := []byte(eventName("web", created))
	for _, tc := range []struct {
		desc  string
		name  []byte
		first int64
		want  int64
	}{
		{"same second", name, sec.UnixNano(), created.UnixNano()},
		{"unset", name, 0, 0},
		{"already sub-second", name, sec.UnixNano() + 5, sec.UnixNano() + 5},
		{"no time in the name", []byte("web-config"), sec.UnixNano(), sec.UnixNano()},
		{"name a second early", name, sec.Add(time.Second).UnixNano(), created.UnixNano()},
		{"name at first-1s", []byte(eventName("web", sec.Add(-time.Second))), sec.UnixNano(), sec.Add(-time.Second).UnixNano()},
		{"name before first-1s", []byte(eventName("web", sec.Add(-time.Second-1))), sec.UnixNano(), sec.UnixNano()},
		{"name just before first+2s", []byte(eventName("web", sec.Add(2*time.Second-1))), sec.UnixNano(), sec.Add(2*time.Second - 1).UnixNano()},
		{"name at first+2s", []byte(eventName("web", sec.Add(2*time.Second))), sec.UnixNano(), sec.UnixNano()},
		{"another hour", name, sec.Add(time.Hour).UnixNano(), sec.Add(time.Hour).UnixNano()},
	} {
		if got := load.RefineFirst(tc.name, tc.first); got != tc.want {
			t.Errorf("%s: RefineFirst(%q, %d) = %d, want %d", tc.desc, tc.name, tc.first, got, tc.want)
		}
	}
}

// series.lastObservedTime, then lastTimestamp, eventTime, first_time and
// creationTimestamp; a lastTimestamp that is the whole second of a refined
// first_time gives way to it.
func TestObservedTime(t *testing.T) {
	const s = int64(time.Second)
	first := 100*s + 123 // refined from the name
	for _, tc := range []struct {
		desc                                  string
		first, last, event, seriesLast, creat int64
		want                                  int64
	}{
		{"series wins", first, 200 * s, 300 * s, 400 * s, 500 * s, 400 * s},
		{"last", first, 200 * s, 300 * s, 0, 500 * s, 200 * s},
		{"last is first's second", first, 100 * s, 300 * s, 0, 0, first},
		{"last is a second later", first, 101 * s, 0, 0, 0, 101 * s},
		{"last, whole first", 100 * s, 100 * s, 0, 0, 0, 100 * s},
		{"last, no first", 0, 100 * s, 0, 0, 0, 100 * s},
		{"event time", first, 0, 300 * s, 0, 500 * s, 300 * s},
		{"first", first, 0, 0, 0, 500 * s, first},
		{"created", 0, 0, 0, 0, 500 * s, 500 * s},
		{"nothing", 0, 0, 0, 0, 0, 0},
	} {
		if got := load.ObservedTime(tc.first, tc.last, tc.event, tc.seriesLast, tc.creat); got != tc.want {
			t.Errorf("%s: ObservedTime = %d, want %d", tc.desc, got, tc.want)
		}
	}
}
