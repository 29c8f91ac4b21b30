package jsonscan

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestHashIgnoresLayout(t *testing.T) {
	base := `{"metadata":{"labels":{"app":"web","tier":"front"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27","args":["-g","daemon off;"]}],"n":1.5e3,"ok":true,"x":null}}`
	same := []string{
		"{\n  \"spec\": {\"x\": null, \"ok\": true, \"n\": 1.5e3,\n \"containers\": [{\"image\": \"nginx:1.27\", \"name\": \"web\", \"args\": [\"-g\", \"daemon off;\"]}]},\n  \"metadata\": {\"labels\": {\"tier\": \"front\", \"app\": \"web\"}}\n}",
		`{"metadata":{"labels":{"app":"w\u0065b","tier":"front"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27","args":["-g","daemon off;"]}],"n":1.5e3,"ok":true,"x":null}}`,
	}
	different := []string{
		`{"metadata":{"labels":{"app":"web","tier":"front"}},"spec":{"containers":[{"name":"web","image":"nginx:1.28","args":["-g","daemon off;"]}],"n":1.5e3,"ok":true,"x":null}}`,
		`{"metadata":{"labels":{"app":"web","tier":"front"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27","args":["daemon off;","-g"]}],"n":1.5e3,"ok":true,"x":null}}`,
		`{"metadata":{"labels":{"app":"web","tier":"front"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27","args":["-g","daemon off;"]}],"n":1.5e3,"ok":true}}`,
		`{"metadata":{"labels":{"app":"web","tier":"front"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27","args":["-gdaemon off;"]}],"n":1.5e3,"ok":true,"x":null}}`,
		`{"metadata":{"labels":{"app":"web","tier":"front"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27","args":["-g","daemon off;"]}],"n":"1.5e3","ok":true,"x":null}}`,
	}
	want, err := Hash([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range same {
		if got, err := Hash([]byte(s)); err != nil || got != want {
			t.Errorf("Hash(%s) = %x, %v; want %x", s, got, err, want)
		}
	}
	for _, s := range different {
		if got, err := Hash([]byte(s)); err != nil || got == want {
			t.Errorf("Hash(%s) = %x, %v: same as the base", s, got, err)
		}
	}
	for _, bad := range []string{`{"a":`, `{"a":1}x`, `["a",}`} {
		if _, err := Hash([]byte(bad)); err == nil {
			t.Errorf("Hash(%s): no error", bad)
		}
	}
}

func FuzzHash(f *testing.F) {
	f.Add([]byte(`{"b":[1,{"c":"d"}],"a":null}`))
	f.Add([]byte("{\n \"a\" : null, \"b\":[ 1 , {\"c\":\"\\u0064\"}]}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Hash(b)
		if err != nil || !json.Valid(b) || hasDuplicateKeys(b) {
			return
		}
		// encoding/json re-encodes with sorted keys and its own escapes.
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var v any
		if d.Decode(&v) != nil {
			return
		}
		c, err := json.Marshal(v)
		if err != nil {
			return
		}
		if h2, err := Hash(c); err != nil || h2 != h {
			t.Fatalf("Hash(%q) = %x, Hash(%q) = %x, %v", b, h, c, h2, err)
		}
	})
}

// hasDuplicateKeys reports whether some object in b repeats a key
// (encoding/json keeps only the last).
func hasDuplicateKeys(b []byte) bool {
	d := json.NewDecoder(bytes.NewReader(b))
	var stack []map[string]bool
	expectKey := []bool{}
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, map[string]bool{})
			expectKey = append(expectKey, true)
			continue
		case json.Delim('['):
			stack = append(stack, nil)
			expectKey = append(expectKey, false)
			continue
		case json.Delim('}'), json.Delim(']'):
			stack, expectKey = stack[:len(stack)-1], expectKey[:len(expectKey)-1]
		default:
			if n := len(stack); n > 0 && stack[n-1] != nil && expectKey[n-1] {
				k := tok.(string)
				if stack[n-1][k] {
					return true
				}
				stack[n-1][k] = true
				expectKey[n-1] = false
				continue
			}
		}
		if n := len(stack); n > 0 && stack[n-1] != nil {
			expectKey[n-1] = true
		}
	}
}
