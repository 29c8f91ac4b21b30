package yamlrec

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestLooks(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"apiVersion: v1\nitems:\n", true},
		{"# comment\n---\nkind: Event\n", true},
		{"- a: 1\n", true},
		{"items:\n- x: 1", true},
		{`{"a":1}`, false},
		{"  [1,2]", false},
		{"2026-11-25 03:28:25 deploy started\n", false},
		{"hello world\n", false},
		{"# only a comment", false},
	} {
		if got := Looks([]byte(tt.in)); got != tt.want {
			t.Errorf("Looks(%q) = %v", tt.in, got)
		}
	}
}

func TestConvert(t *testing.T) {
	in := `# {"style":"event"}
apiVersion: v1
kind: Event
count: 2
eventTime: null
firstTimestamp: "2021-05-19T09:42:58Z"
lastTimestamp: 2021-05-19T09:43:00Z
message: 'Scaled up replica set px-5d567cc74c to 1'
---
apiVersion: v1
kind: List
items:
- kind: Event
  reason: A
- kind: Event
  reason: B
---
just text
---
- reason: C
`
	blk, err := Convert(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range blk.Records {
		var v map[string]any
		if err := json.Unmarshal(blk.Data[r.Start:r.End], &v); err != nil {
			t.Fatalf("record %q: %v", blk.Data[r.Start:r.End], err)
		}
		got = append(got, fmt.Sprintf("%d:%v/%v/%v/%v", r.Line, v["reason"], v["count"], v["lastTimestamp"], v["eventTime"]))
	}
	want := []string{
		"2:<nil>/2/2021-05-19T09:43:00Z/<nil>",
		"13:A/<nil>/<nil>/<nil>",
		"15:B/<nil>/<nil>/<nil>",
		"20:C/<nil>/<nil>/<nil>",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("records %v, want %v", got, want)
	}
	if len(blk.Errors) != 1 || blk.Errors[0].Line != 18 || !strings.Contains(blk.Errors[0].Err.Error(), "plain text") {
		t.Errorf("errors %v", blk.Errors)
	}
	bad, _ := Convert(strings.NewReader("a: 1\n---\nb: [1, 2\n"))
	if len(bad.Records) != 1 || len(bad.Errors) != 1 || !strings.Contains(bad.Errors[0].Err.Error(), "invalid YAML") {
		t.Errorf("invalid YAML: %d records, errors %v", len(bad.Records), bad.Errors)
	}
}

// Merge keys (<<) were rejected; their keys fill in what the mapping does
// not set, the first of a sequence of mappings winning.
func TestConvertMergeKeys(t *testing.T) {
	in := `base: &base
  kind: Event
  apiVersion: v1
  type: Normal
  reason: Base
obj: &obj
  involvedObject: {kind: Pod, name: web-1}
  reason: FromObj
---
<<: *base
reason: Pulled
---
<<: [*obj, *base]
message: m
---
metadata: {name: x}
<<: *obj
'<<': quoted key is a plain key
`
	blk, err := Convert(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range blk.Records {
		var v map[string]any
		if err := json.Unmarshal(blk.Data[r.Start:r.End], &v); err != nil {
			t.Fatalf("record %q: %v", blk.Data[r.Start:r.End], err)
		}
		delete(v, "base")
		delete(v, "obj")
		b, _ := json.Marshal(v)
		got = append(got, string(b))
	}
	want := []string{
		`{}`, // the anchors' document
		`{"apiVersion":"v1","kind":"Event","reason":"Pulled","type":"Normal"}`,
		`{"apiVersion":"v1","involvedObject":{"kind":"Pod","name":"web-1"},"kind":"Event","message":"m","reason":"FromObj","type":"Normal"}`,
		`{"\u003c\u003c":"quoted key is a plain key","involvedObject":{"kind":"Pod","name":"web-1"},"metadata":{"name":"x"},"reason":"FromObj"}`,
	}
	if len(blk.Errors) != 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors %v, records\n%s\nwant\n%s", blk.Errors, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	bad, _ := Convert(strings.NewReader("a: &a [1, 2]\n---\n<<: *a\nb: 1\n"))
	if len(bad.Errors) != 1 || !strings.Contains(bad.Errors[0].Err.Error(), "merge key (<<) value is not a mapping") {
		t.Errorf("merge of a sequence: %v", bad.Errors)
	}
}

func FuzzConvert(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nitems:\n- kind: Event\n  count: 1\n"))
	f.Add([]byte("---\n- a: &x 1\n  b: *x\n"))
	f.Add([]byte("a: &a {b: 1}\n---\n<<: [*a, {c: 2}]\nd: 3\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		blk, err := Convert(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		for _, r := range blk.Records {
			if !json.Valid(blk.Data[r.Start:r.End]) {
				t.Fatalf("invalid JSON record %q", blk.Data[r.Start:r.End])
			}
		}
	})
}
