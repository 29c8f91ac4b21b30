package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// formatSpec describes one output format: where its recorded source is, and how it
// is laid out.
type formatSpec struct {
	name    string
	file    string // file name inside a cluster directory (".gz" added with -gzip)
	srcFile string // file name inside the -src directory
	layout  layout
	event   bool // its records are events (counted for -events)
	gzipped bool // always gzip-compressed (the audit log)
	deflt   bool // part of the default set
	desc    string
}

type layout uint8

const (
	layoutLines   layout = iota // one JSON value per line
	layoutCompact               // concatenated (pretty) values compacted to one per line
	layoutStream                // concatenated pretty-printed values, kept as they are
	layoutList                  // a Kubernetes List: header, items, footer
)

var formatSpecs = []formatSpec{
	{name: "core-jsonl", file: "events.jsonl", srcFile: "watch-core.json", layout: layoutCompact, event: true, deflt: true,
		desc: "core/v1 Event objects, one compact object per line (kubernetes-event-exporter style, no clusterName)"},
	{name: "watch-eventsv1-jsonl", file: "watch-eventsv1.jsonl", srcFile: "watch-eventsv1.jsonl", layout: layoutLines, event: true, deflt: true,
		desc: `events.k8s.io/v1 watch stream, one {"type":"ADDED","object":{...}} per line`},
	{name: "core-list", file: "events-list.json", srcFile: "events-list.json", layout: layoutList, event: true, deflt: true,
		desc: "one kubectl-style core/v1 List, pretty-printed with 4-space indent"},
	{name: "audit-jsonl-gz", file: "audit.log.gz", srcFile: "audit.log.gz", layout: layoutLines, gzipped: true, deflt: true,
		desc: "audit.k8s.io/v1 JSON lines, gzip-compressed"},
	{name: "watch-core-json", file: "watch-core.json", srcFile: "watch-core.json", layout: layoutStream, event: true,
		desc: "kubectl get events -w -o json: concatenated pretty-printed core/v1 Events (not in the default set)"},
	{name: "eventsv1-list", file: "eventsv1-list.json", srcFile: "eventsv1-list.json", layout: layoutList, event: true, deflt: true,
		desc: "one kubectl-style events.k8s.io/v1 List"},
}

func lookupFormat(name string) *formatSpec {
	for i := range formatSpecs {
		if formatSpecs[i].name == name {
			return &formatSpecs[i]
		}
	}
	return nil
}

// source is one format's recorded data, ready to be cloned.
type source struct {
	spec    *formatSpec
	raw     []byte // the bytes that are cloned once per clone
	header  []byte // layoutList: everything before the first item
	sep     []byte // layoutList: what separates two items
	footer  []byte // layoutList: everything after the last item
	records int    // records per clone
	body    *template
}

func readSource(dir string, spec *formatSpec) (*source, error) {
	path := filepath.Join(dir, spec.srcFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		data, err = io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	s := &source{spec: spec}
	switch spec.layout {
	case layoutLines:
		err = s.loadLines(data)
	case layoutCompact:
		err = s.loadValues(data, true)
	case layoutStream:
		err = s.loadValues(data, false)
	case layoutList:
		err = s.loadList(data)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.records == 0 {
		return nil, fmt.Errorf("%s: no records", path)
	}
	return s, nil
}

// loadLines keeps every non-empty line as it is.
func (s *source) loadLines(data []byte) error {
	var out bytes.Buffer
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if !json.Valid(line) {
			return fmt.Errorf("line %d is not a JSON value", n+1)
		}
		out.Write(line)
		out.WriteByte('\n')
		s.records++
	}
	s.raw = out.Bytes()
	return nil
}

// loadValues reads concatenated JSON values; compact puts each on one line, otherwise
// the values keep their bytes and are separated by one newline.
func (s *source) loadValues(data []byte, compact bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var out bytes.Buffer
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		if compact {
			if err := json.Compact(&out, v); err != nil {
				return err
			}
		} else {
			out.Write(v)
		}
		out.WriteByte('\n')
		s.records++
	}
	s.raw = out.Bytes()
	return nil
}

// loadList splits a List into header, items and footer without re-encoding anything.
func (s *source) loadList(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	var spans [][2]int
	found := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if key, _ := t.(string); key != "items" || found {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		found = true
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return errors.New(`"items" is not an array`)
		}
		for dec.More() {
			off := int(dec.InputOffset())
			var item json.RawMessage
			if err := dec.Decode(&item); err != nil {
				return err
			}
			for off < len(data) && bytes.IndexByte([]byte(" \t\r\n,"), data[off]) >= 0 {
				off++
			}
			end := off + len(item)
			if end > len(data) || !bytes.Equal(data[off:end], item) {
				return errors.New("cannot locate the list items")
			}
			spans = append(spans, [2]int{off, end})
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
	}
	if len(spans) == 0 {
		return errors.New(`no "items" in the List`)
	}
	first, last := spans[0][0], spans[len(spans)-1][1]
	s.header = data[:first]
	s.footer = data[last:]
	s.raw = data[first:last]
	if len(spans) > 1 {
		s.sep = data[spans[0][1]:spans[1][0]]
	} else {
		// ",\n" plus the indentation of the first item.
		indent := first - (bytes.LastIndexByte(data[:first], '\n') + 1)
		s.sep = append([]byte(",\n"), bytes.Repeat([]byte(" "), indent)...)
	}
	s.records = len(spans)
	return nil
}
