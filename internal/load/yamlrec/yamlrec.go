// Package yamlrec turns YAML event archives (kubectl get events -o yaml,
// must-gather trees, support bundles, multi-document streams such as
// kspan's recordings) into JSON records that the JSON decoders read, keeping
// the YAML line of each record.
//
// A document that is a List (a mapping with an items sequence) gives one
// record per item; a sequence gives one per element; any other document is
// one record. YAML is parsed with go.yaml.in/yaml/v3, the YAML
// organisation's maintained continuation of gopkg.in/yaml.v3: its Node API
// gives the line of every item, which a YAML-to-JSON converter would lose.
package yamlrec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/evanalyze/evanalyze/internal/load/jsonscan"
)

// Looks reports whether the start of a stream looks like YAML rather than
// JSON or text: after blank and comment lines it starts a document ("---"),
// a sequence ("- ") or a mapping ("key: ", "key:" at the end of the line).
func Looks(head []byte) bool {
	for len(head) > 0 {
		head = bytes.TrimLeft(head, " \t\r\n")
		if len(head) == 0 {
			return false
		}
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line = head[:i]
		}
		line = bytes.TrimRight(line, " \t\r")
		switch {
		case line[0] == '#':
			if len(line) == len(head) {
				return false
			}
			head = head[len(line)+1:]
			continue
		case bytes.HasPrefix(line, []byte("---")), bytes.HasPrefix(line, []byte("- ")):
			return true
		}
		return isKeyLine(line)
	}
	return false
}

// isKeyLine reports whether line is "key:" or "key: value" with a plain key.
func isKeyLine(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 || (i+1 < len(line) && line[i+1] != ' ') {
		return false
	}
	for _, c := range line[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/') {
			return false
		}
	}
	c := line[0]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// Convert reads a YAML stream and returns its records as one block of JSON
// lines. Documents that are not valid YAML become FrameErrors (with their
// line) and conversion goes on with the next document where the parser can.
// Record offsets are offsets in the converted JSON, as YAML nodes carry no
// byte offsets; lines are the YAML lines.
func Convert(r io.Reader) (*jsonscan.Block, error) {
	dec := yaml.NewDecoder(r)
	blk := &jsonscan.Block{Layout: jsonscan.LayoutStream}
	var buf bytes.Buffer
	add := func(n *yaml.Node) {
		budget := maxNodes
		v, err := value(n, 0, &budget)
		if err == nil {
			var b []byte
			if b, err = json.Marshal(v); err == nil {
				start := buf.Len()
				buf.Write(b)
				blk.Records = append(blk.Records, jsonscan.Record{Start: start, End: buf.Len(), Line: int64(n.Line)})
				buf.WriteByte('\n')
				return
			}
		}
		blk.Errors = append(blk.Errors, jsonscan.FrameError{Line: int64(n.Line), Offset: -1, Err: err})
	}
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			break
		}
		if err != nil {
			// The parser cannot resynchronise inside a stream: report the
			// rest as one bad span.
			blk.Errors = append(blk.Errors, jsonscan.FrameError{Line: errLine(err), Offset: -1, Err: fmt.Errorf("invalid YAML: %w", err)})
			break
		}
		if len(doc.Content) == 0 {
			continue // an empty document (a comment, or "---" alone)
		}
		n := doc.Content[0]
		switch {
		case n.Kind == yaml.ScalarNode:
			blk.Errors = append(blk.Errors, jsonscan.FrameError{Line: int64(n.Line), Offset: -1,
				Err: errors.New("YAML document is plain text, not a mapping")})
		case n.Kind == yaml.SequenceNode:
			blk.Layout = jsonscan.LayoutArray
			for _, item := range n.Content {
				add(item)
			}
		case n.Kind == yaml.MappingNode && items(n) != nil:
			blk.Layout = jsonscan.LayoutList
			for _, item := range items(n).Content {
				add(item)
			}
		default:
			add(n)
		}
	}
	blk.Data = buf.Bytes()
	return blk, nil
}

// items returns the items sequence of a List mapping.
func items(m *yaml.Node) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "items" && m.Content[i+1].Kind == yaml.SequenceNode {
			return m.Content[i+1]
		}
	}
	return nil
}

// Limits against hostile YAML: nesting depth, and nodes produced per record
// (aliases can expand exponentially, "billion laughs", or refer to
// themselves).
const (
	maxDepth = 200
	maxNodes = 1 << 20
)

// value converts a node to a JSON-marshalable value. Timestamps stay
// strings as written; numbers and booleans keep their YAML types.
func value(n *yaml.Node, depth int, budget *int) (any, error) {
	*budget--
	if depth > maxDepth {
		return nil, fmt.Errorf("line %d: nested deeper than %d", n.Line, maxDepth)
	}
	if *budget < 0 {
		return nil, fmt.Errorf("line %d: more than %d nodes (alias expansion?)", n.Line, maxNodes)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return value(n.Content[0], depth+1, budget)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, fmt.Errorf("line %d: unknown alias", n.Line)
		}
		return value(n.Alias, depth+1, budget)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
			}
			if k.ShortTag() == "!!merge" {
				merges = append(merges, n.Content[i+1])
				continue
			}
			v, err := value(n.Content[i+1], depth+1, budget)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		for _, mn := range merges {
			if err := merge(m, mn, depth+1, budget); err != nil {
				return nil, err
			}
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := value(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		return scalar(n), nil
	}
	return nil, errors.New("unknown YAML node")
}

// merge applies a merge key (<<: *base, or <<: [*a, *b]; YAML 1.1's
// merge type, which Helm charts and hand-written fixtures use): the keys
// of the merged mappings that m does not have itself, the first mapping of
// a sequence winning over the later ones.
func merge(m map[string]any, n *yaml.Node, depth int, budget *int) error {
	if n.Kind == yaml.SequenceNode {
		for _, c := range n.Content {
			if err := merge(m, c, depth+1, budget); err != nil {
				return err
			}
		}
		return nil
	}
	v, err := value(n, depth, budget)
	if err != nil {
		return err
	}
	src, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("line %d: merge key (<<) value is not a mapping", n.Line)
	}
	for k, x := range src {
		if _, set := m[k]; !set {
			m[k] = x
		}
	}
	return nil
}

func scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		b, err := strconv.ParseBool(n.Value)
		if err == nil {
			return b
		}
	case "!!int":
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			return i
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	case "!!timestamp":
		// Keep the text: unquoted timestamps are RFC 3339 already, and the
		// event decoder parses them.
		if _, err := time.Parse(time.RFC3339Nano, n.Value); err == nil {
			return n.Value
		}
	}
	return n.Value
}

// errLine digs the line out of a yaml error ("yaml: line 12: ...").
func errLine(err error) int64 {
	var line int64
	if _, e := fmt.Sscanf(err.Error(), "yaml: line %d:", &line); e == nil {
		return line
	}
	return 0
}
