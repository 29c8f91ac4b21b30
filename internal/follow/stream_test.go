package follow

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestStreamEvict evicts random runs of whole lines, in several rounds,
// while the stream grows, and checks that what is held reads as the
// stream with each evicted line an empty line (every record keeps its
// line number) and that the evicted bytes are freed.
func TestStreamEvict(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		st := newStream()
		var want []string // the lines as they should read
		var all int64
		add := func(n int) {
			var b strings.Builder
			for i := 0; i < n; i++ {
				line := strings.Repeat(string(rune('a'+rng.IntN(26))), 1+rng.IntN(30)) + "\n"
				b.WriteString(line)
				want = append(want, line)
			}
			all += int64(b.Len())
			st.append([]byte(b.String()), all)
		}
		add(1 + rng.IntN(40))
		for ev := 0; ev < 4; ev++ {
			ps, _ := st.snapshot()
			data, _ := io.ReadAll(reader(ps))
			if string(data) != strings.Join(want, "") {
				t.Fatalf("round %d: held reads\n%q\nwant\n%q", round, data, strings.Join(want, ""))
			}
			// Lines to evict: random runs, in the coordinates read.
			var cut []span
			var at int64
			for i, l := range want {
				if l != "\n" && rng.IntN(3) == 0 {
					if n := len(cut); n > 0 && cut[n-1].hi == at {
						cut[n-1].hi += int64(len(l))
					} else {
						cut = append(cut, span{at, at + int64(len(l))})
					}
					want[i] = "\n"
				}
				at += int64(len(l))
			}
			// The reader appends after the snapshot, before the eviction.
			add(rng.IntN(5))
			before := st.held()
			got := st.evict(ps, cut)
			var wantFreed int64
			for _, c := range cut {
				wantFreed += c.hi - c.lo
			}
			if got != wantFreed || st.held() != before-wantFreed {
				t.Fatalf("round %d: freed %d (held %d → %d), want %d", round, got, before, st.held(), wantFreed)
			}
		}
		ps, _ := st.snapshot()
		data, _ := io.ReadAll(reader(ps))
		if !bytes.Equal(data, []byte(strings.Join(want, ""))) {
			t.Fatalf("round %d: at the end held reads\n%q\nwant\n%q", round, data, strings.Join(want, ""))
		}
	}
}
