package jsonscan

import (
	"bytes"
	"hash"
	"hash/fnv"
	"slices"
)

// Hash returns a 64-bit FNV-1a hash of the JSON value raw that does not
// depend on its layout: white space, the order of object keys and string
// escapes do not change it. Numbers are hashed as written. It is meant for
// comparing objects that different writers serialised (a pod template in
// an API server's response and in an export), not for security.
func Hash(raw []byte) (uint64, error) {
	h := fnv.New64a()
	var s Scanner
	s.Reset(raw)
	hashValue(&s, h)
	if err := s.Err(); err != nil {
		return 0, err
	}
	if !s.AtEnd() {
		return 0, &SyntaxError{Offset: s.Pos(), Msg: "data after value"}
	}
	return h.Sum64(), nil
}

type member struct{ key, val []byte }

func hashValue(s *Scanner, h hash.Hash64) {
	switch s.Peek() {
	case '{':
		var ms []member
		s.Object()
		for first := true; ; first = false {
			k, ok := s.Key(first)
			if !ok {
				break
			}
			ms = append(ms, member{k, s.Raw()})
		}
		slices.SortFunc(ms, func(a, b member) int { return bytes.Compare(a.key, b.key) })
		h.Write([]byte{'{'})
		var sub Scanner
		for _, m := range ms {
			writeString(h, m.key)
			sub.Reset(m.val)
			hashValue(&sub, h)
			if sub.err != nil && s.err == nil {
				s.err = sub.err
			}
		}
		h.Write([]byte{'}'})
	case '[':
		h.Write([]byte{'['})
		s.Array()
		for first := true; s.Elem(first); first = false {
			hashValue(s, h)
		}
		h.Write([]byte{']'})
	case '"':
		v, _ := s.Str()
		writeString(h, v)
	default:
		h.Write([]byte{'#'})
		h.Write(s.Raw())
		h.Write([]byte{0})
	}
}

// writeString writes a length-prefixed string so that no two sequences of
// strings hash alike by concatenation.
func writeString(h hash.Hash64, v []byte) {
	n := len(v)
	h.Write([]byte{'"', byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	h.Write(v)
}
