package correlate_test

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
)

// No string of a result points into the tables it was read from: results
// outlive their archive (archive.LoadEach), and a string aliasing an Arrow
// buffer would keep the whole buffer alive. Every string field is walked
// by reflection, so a field added later is checked too.
func TestResultOwnsItsStrings(t *testing.T) {
	for _, rec := range []string{"lab-basic", "lab-workloads", "lab-jobs", "lab-failures"} {
		a := loadArchive(t, "../../testdata/"+rec)
		var spans [][2]uintptr
		var add func(d arrow.ArrayData)
		add = func(d arrow.ArrayData) {
			for _, b := range d.Buffers() {
				if b != nil && b.Len() > 0 {
					p := uintptr(unsafe.Pointer(&b.Bytes()[0]))
					spans = append(spans, [2]uintptr{p, p + uintptr(b.Len())})
				}
			}
			for _, c := range d.Children() {
				add(c)
			}
			if dict, ok := d.Dictionary().(*array.Data); ok && dict != nil {
				add(dict)
			}
		}
		for _, p := range a.Parts {
			for _, c := range p.Events.Columns() {
				add(c.Data())
			}
		}
		for _, c := range a.Changes.Columns() {
			add(c.Data())
		}
		res := correlate.CorrelateParts(a.Parts, 2)
		strs, aliased := 0, 0
		var walk func(v reflect.Value, path string)
		walk = func(v reflect.Value, path string) {
			switch v.Kind() {
			case reflect.String:
				s := v.String()
				if s == "" {
					return
				}
				strs++
				p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
				for _, sp := range spans {
					if p >= sp[0] && p < sp[1] {
						if aliased++; aliased <= 5 {
							t.Errorf("%s: %s = %q points into the archive's tables", rec, path, s)
						}
						return
					}
				}
			case reflect.Pointer:
				if !v.IsNil() {
					walk(v.Elem(), path)
				}
			case reflect.Struct:
				for i := 0; i < v.NumField(); i++ {
					walk(v.Field(i), path+"."+v.Type().Field(i).Name)
				}
			case reflect.Slice:
				for i := 0; i < v.Len(); i++ {
					walk(v.Index(i), path+"[]")
				}
			case reflect.Map:
				for _, k := range v.MapKeys() {
					walk(k, path+"{key}")
					walk(v.MapIndex(k), path+"{}")
				}
			}
		}
		walk(reflect.ValueOf(res), "Result")
		if strs < 50 {
			t.Errorf("%s: only %d strings in the result", rec, strs)
		}
		a.Release()
	}
}

func loadArchive(t *testing.T, path string) *archive.Archive {
	t.Helper()
	a, err := archive.Load(t.Context(), []string{path}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
