package main

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"
)

// A template is a byte string from a recorded source with "holes": the spans that
// change from clone to clone (UUIDs, timestamps, event-name nanos, namespace names,
// resourceVersions). Everything else is copied byte for byte, so the output keeps the
// exact shape of the real files (field order, escaping, indentation).
//
// The sources are scanned once (scan.go); rendering a clone is a sequence of appends
// and never looks at the JSON again.

type holeKind uint8

const (
	holeUUID    holeKind = iota // ref: index into dict.uuids
	holeTime                    // ref: index into dict.secs; the hole is the 19-byte "2006-01-02T15:04:05"
	holeNameHex                 // ref: the UnixNano written as 16 lowercase hex digits after "<name>."
	holeNS                      // ref: index into dict.ns
	holeRV                      // ref: the resourceVersion number
)

type hole struct {
	start, end int32
	kind       holeKind
	ref        int64
}

type template struct {
	data  []byte
	holes []hole
}

// dict holds what every template refers to: the distinct old UUIDs, the distinct
// whole-second timestamps, and the namespaces that get a per-clone suffix.
type dict struct {
	uuids    []string
	uuidHash []uint64
	uuidIdx  map[string]int
	secs     []int64
	secIdx   map[int64]int
	ns       []string
	nsIdx    map[string]int
	minNanos int64 // time range of all the source timestamps
	maxNanos int64
	maxRV    int64
}

const timeLayout = "2006-01-02T15:04:05"

// systemNamespaces keep their names in every clone.
var systemNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isNameByte: bytes that continue a Kubernetes name token (a namespace token must not
// touch one of these on either side).
func isNameByte(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }

func before(b []byte, i int) byte {
	if i <= 0 {
		return ' '
	}
	return b[i-1]
}

func after(b []byte, i int) byte {
	if i >= len(b) {
		return ' '
	}
	return b[i]
}

func parseSec(b []byte) (int64, bool) {
	t, err := time.Parse(timeLayout, string(b[:19]))
	if err != nil {
		return 0, false
	}
	return t.Unix(), true
}

// newDict scans all source bytes for the time range and the namespaces. keep lists
// extra namespaces that must not be suffixed.
func newDict(sources [][]byte, keep []string) (*dict, error) {
	d := &dict{
		uuidIdx:  map[string]int{},
		secIdx:   map[int64]int{},
		nsIdx:    map[string]int{},
		minNanos: 1<<63 - 1,
		maxNanos: -1 << 63,
	}
	nsSet := map[string]bool{}
	for _, src := range sources {
		forEachTime(src, func(start, _ int, sec int64) {
			d.minNanos = min(d.minNanos, sec*1e9)
			d.maxNanos = max(d.maxNanos, sec*1e9+1e9-1)
		})
		forEachNamespaceValue(src, func(ns []byte) { nsSet[string(ns)] = true })
	}
	if d.minNanos > d.maxNanos {
		return nil, fmt.Errorf("no RFC 3339 timestamps found in the sources")
	}
	for _, k := range append(slices.Clone(systemNamespaces), keep...) {
		delete(nsSet, k)
	}
	for ns := range nsSet {
		d.ns = append(d.ns, ns)
	}
	sort.Strings(d.ns)
	for i, ns := range d.ns {
		d.nsIdx[ns] = i
	}
	return d, nil
}

func (d *dict) uuid(s string) int64 {
	if i, ok := d.uuidIdx[s]; ok {
		return int64(i)
	}
	i := len(d.uuids)
	d.uuids = append(d.uuids, s)
	d.uuidHash = append(d.uuidHash, fnv64(s))
	d.uuidIdx[s] = i
	return int64(i)
}

func (d *dict) sec(s int64) int64 {
	if i, ok := d.secIdx[s]; ok {
		return int64(i)
	}
	i := len(d.secs)
	d.secs = append(d.secs, s)
	d.secIdx[s] = i
	return int64(i)
}

// compile finds the holes of one source byte string.
func (d *dict) compile(data []byte) *template {
	t := &template{data: data}
	add := func(start, end int, k holeKind, ref int64) {
		t.holes = append(t.holes, hole{start: int32(start), end: int32(end), kind: k, ref: ref})
	}
	forEachUUID(data, func(start, end int) {
		add(start, end, holeUUID, d.uuid(string(data[start:end])))
	})
	forEachTime(data, func(start, _ int, sec int64) {
		add(start, start+19, holeTime, d.sec(sec))
	})
	// Event names "<object>.<16 hex digits of UnixNano>": only values inside the
	// recorded time range (±1 day) count, so that other hex strings stay untouched.
	forEachNameHex(data, func(start, end int, v int64) {
		if v >= d.minNanos-86400e9 && v <= d.maxNanos+86400e9 {
			add(start, end, holeNameHex, v)
		}
	})
	forEachRV(data, func(start, end int, v int64) {
		if v > 0 {
			d.maxRV = max(d.maxRV, v)
			add(start, end, holeRV, v)
		}
	})
	// Namespace names as whole name tokens: `"namespace":"shop"`, `/namespaces/shop/`,
	// `assigned shop/web-...`, `system:serviceaccount:shop:...`, `shop.<hex>`. As a
	// path segment ("/x/shop") only right after "/namespaces/", so that URL parts
	// such as /apis/apps/ never change even if a namespace has such a name.
	if len(d.ns) > 0 {
		forEachNameToken(data, func(start, end int) {
			i, ok := d.nsIdx[string(data[start:end])]
			if !ok {
				return
			}
			if before(data, start) == '/' && !bytes.HasSuffix(data[:start], []byte("/namespaces/")) {
				return
			}
			add(start, end, holeNS, int64(i))
		})
	}
	sort.Slice(t.holes, func(i, j int) bool { return t.holes[i].start < t.holes[j].start })
	kept := t.holes[:0]
	end := int32(0)
	for _, h := range t.holes {
		if h.start < end {
			continue // overlaps the previous hole: the first one wins
		}
		kept = append(kept, h)
		end = h.end
	}
	t.holes = kept
	return t
}

// fnv64 is FNV-1a.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// mix64 is the splitmix64 finalizer.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// clone is the per-clone state: the rendered replacement of every dictionary entry.
type clone struct {
	index     int   // global clone index
	offsetSec int64 // time shift
	rvAdd     int64
	uuids     []byte // 36 bytes per dict.uuids entry
	times     []byte // 19 bytes per dict.secs entry
	ns        [][]byte
}

const hexDigits = "0123456789abcdef"

func newClone(d *dict, seed uint64, index int, offsetSec, rvAdd int64, nsWidth int) *clone {
	c := &clone{index: index, offsetSec: offsetSec, rvAdd: rvAdd}
	c.uuids = make([]byte, 0, 36*len(d.uuids))
	k := mix64(seed ^ mix64(uint64(index)+0x51ed270b7a3c8a2f))
	for _, h := range d.uuidHash {
		a := mix64(k ^ h)
		b := mix64(a ^ 0x2545f4914f6cdd1d)
		var u [16]byte
		for i := 0; i < 8; i++ {
			u[i] = byte(a >> (56 - 8*i))
			u[8+i] = byte(b >> (56 - 8*i))
		}
		u[6] = u[6]&0x0f | 0x40 // version 4
		u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
		c.uuids = appendUUID(c.uuids, u)
	}
	c.times = make([]byte, 0, 19*len(d.secs))
	for _, s := range d.secs {
		c.times = time.Unix(s+offsetSec, 0).UTC().AppendFormat(c.times, timeLayout)
	}
	for _, ns := range d.ns {
		c.ns = append(c.ns, []byte(nsName(ns, index, nsWidth)))
	}
	return c
}

// nsName is the name of namespace ns in clone index: shop → shop-0007.
func nsName(ns string, index, width int) string { return fmt.Sprintf("%s-%0*d", ns, width, index) }

func appendUUID(dst []byte, u [16]byte) []byte {
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[x>>4], hexDigits[x&15])
	}
	return dst
}

// render appends the clone's copy of t to dst.
func (c *clone) render(dst []byte, t *template) []byte {
	pos := int32(0)
	offNanos := c.offsetSec * 1e9
	for _, h := range t.holes {
		dst = append(dst, t.data[pos:h.start]...)
		switch h.kind {
		case holeUUID:
			dst = append(dst, c.uuids[h.ref*36:h.ref*36+36]...)
		case holeTime:
			dst = append(dst, c.times[h.ref*19:h.ref*19+19]...)
		case holeNameHex:
			v := uint64(h.ref + offNanos)
			for i := 60; i >= 0; i -= 4 {
				dst = append(dst, hexDigits[(v>>uint(i))&15])
			}
		case holeNS:
			dst = append(dst, c.ns[h.ref]...)
		case holeRV:
			dst = strconv.AppendInt(dst, h.ref+c.rvAdd, 10)
		}
		pos = h.end
	}
	return append(dst, t.data[pos:]...)
}
