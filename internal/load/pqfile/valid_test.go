package pqfile

import (
	"math/rand/v2"
	"testing"
)

// setValid sets the bits a bit-by-bit loop sets, at every alignment, for
// every pattern of eight levels.
func TestSetValid(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for pattern := 0; pattern < 256; pattern++ {
		for _, maxDef := range []byte{1, 2} {
			for first := 0; first < 17; first++ {
				n := 8 + rng.IntN(40)
				levels := make([]byte, n)
				for i := range levels {
					switch {
					case i < 8 && pattern&(1<<i) != 0, i >= 8 && rng.IntN(2) == 0:
						levels[i] = maxDef
					default:
						levels[i] = byte(rng.IntN(int(maxDef))) // a null at some level
					}
				}
				got := make([]byte, (first+n+7)/8+1)
				want := make([]byte, len(got))
				wantSet := 0
				for i, lv := range levels {
					if lv == maxDef {
						want[(first+i)>>3] |= 1 << ((first + i) & 7)
						wantSet++
					}
				}
				if set := setValid(got, first, levels, maxDef); set != wantSet || string(got) != string(want) {
					t.Fatalf("pattern %08b first %d maxDef %d: %08b (%d set), want %08b (%d)", pattern, first, maxDef, got, set, want, wantSet)
				}
			}
		}
	}
}
