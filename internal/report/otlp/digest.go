package otlp

import (
	"crypto/sha256"
	"encoding/binary"
)

// Digest identifies what a part of a trace holds, for the backfill
// checkpoint: SHA-256 over the trace ID and the resource attributes and
// spans of the part (IDs, names, times, attributes, span events, status),
// leaving out where the data was read from (evanalyze.source, file:line)
// and who wrote it (the scope version). The same archive gives the same
// digests however its paths are spelled, in whatever order; a trace that
// changed (a larger archive, another --service-name) gets a new one.
type Digest [sha256.Size]byte

// digestDomain is hashed first: a change to what a digest covers changes
// it, so that old checkpoints match nothing rather than the wrong data.
const digestDomain = "evanalyze/checkpoint/v1\x00"

// digest returns the Digest of spans [lo, hi) of t; buf is scratch and is
// returned for reuse.
func (t *trace) digest(buf []byte, lo, hi int) (Digest, []byte) {
	b := append(buf[:0], digestDomain...)
	b = append(b, t.id[:]...)
	b = t.digestAttrs(b, t.resLo, t.resHi)
	for i := lo; i < hi; i++ {
		s := &t.spans[i]
		b = append(b, 's')
		b = append(b, s.id[:]...)
		if s.hasParent {
			b = append(b, s.parent[:]...)
		}
		b = digestString(b, s.name)
		b = binary.LittleEndian.AppendUint64(b, s.start)
		b = binary.LittleEndian.AppendUint64(b, s.end)
		b = t.digestAttrs(b, s.attrLo, s.attrHi)
		for j := s.evLo; j < s.evHi; j++ {
			e := &t.events[j]
			b = append(b, 'e')
			b = binary.LittleEndian.AppendUint64(b, e.time)
			b = digestString(b, e.name)
			b = t.digestAttrs(b, e.attrLo, e.attrHi)
		}
		b = binary.LittleEndian.AppendUint32(b, s.dropped)
		if s.hasStatus {
			b = append(b, 'S', byte(s.code))
			b = digestString(b, s.msg)
		}
	}
	return sha256.Sum256(b), b
}

func digestString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// digestAttrs appends attributes [lo, hi) but the provenance ones.
func (t *trace) digestAttrs(b []byte, lo, hi int) []byte {
	b = append(b, 'a')
	for i := lo; i < hi; i++ {
		a := &t.attrs[i]
		if a.key == keySource || a.key == keySource.truncated {
			continue
		}
		b = digestString(b, a.key.name)
		kind := a.kind
		if kind == valJoin || kind == valSource {
			kind = valString // the same string, however it is kept
		}
		b = append(b, byte(kind))
		switch a.kind {
		case valInt, valBool:
			b = binary.LittleEndian.AppendUint64(b, uint64(a.i))
		case valStrings:
			l := t.lists[a.i]
			b = binary.AppendUvarint(b, uint64(len(l)))
			for _, s := range l {
				b = digestString(b, s)
			}
		case valJoin:
			b = binary.AppendUvarint(b, uint64(len(a.s)+1+len(t.more[a.i])))
			b = append(append(append(b, a.s...), '/'), t.more[a.i]...)
		default:
			b = digestString(b, a.s)
		}
	}
	return append(b, 'z')
}
