package correlate

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// listOfStructs maps the structs in row i of a list<struct> column through
// fn. get returns a field as a string (string fields) or an integer
// (integer and timestamp fields; 0 for null).
func listOfStructs[T any](rec arrow.Record, col, i int, fn func(get func(field int) (string, int64)) T) []T {
	l := rec.Column(col).(*array.List)
	if l.IsNull(i) {
		return nil
	}
	st := l.ListValues().(*array.Struct)
	lo, hi := l.ValueOffsets(i)
	out := make([]T, 0, hi-lo)
	for j := int(lo); j < int(hi); j++ {
		out = append(out, fn(func(field int) (string, int64) {
			switch a := st.Field(field).(type) {
			case *array.String:
				if a.IsNull(j) {
					return "", 0
				}
				return a.Value(j), 0
			case *array.Int32:
				if a.IsNull(j) {
					return "", 0
				}
				return "", int64(a.Value(j))
			case *array.Timestamp:
				if a.IsNull(j) {
					return "", 0
				}
				return "", int64(a.Value(j))
			}
			return "", 0
		}))
	}
	return out
}
