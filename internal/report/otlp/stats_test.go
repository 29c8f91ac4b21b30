package otlp

import (
	"reflect"
	"testing"
)

// Add sums every figure: a field added to the stats and left out of Add
// fails here.
func TestStatsAdd(t *testing.T) {
	for _, v := range []any{&SendStats{}, &FileStats{}} {
		x := reflect.ValueOf(v).Elem()
		for i := 0; i < x.NumField(); i++ {
			if f := x.Field(i); f.CanInt() {
				f.SetInt(int64(i + 1))
			}
		}
		switch s := v.(type) {
		case *SendStats:
			s.Messages = []string{"a", "b"}
			o := *s
			o.Messages = []string{"b", "c", "d"}
			s.Add(o)
			if !reflect.DeepEqual(s.Messages, []string{"a", "b", "c"}) {
				t.Errorf("messages %q, want the distinct first three", s.Messages)
			}
		case *FileStats:
			s.Add(*s)
		}
		for i := 0; i < x.NumField(); i++ {
			if f := x.Field(i); f.CanInt() && f.Int() != int64(2*(i+1)) {
				t.Errorf("%T.%s = %d after Add of itself, want %d", v, x.Type().Field(i).Name, f.Int(), 2*(i+1))
			}
		}
	}
}
