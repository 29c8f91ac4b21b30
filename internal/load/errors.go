package load

import (
	"fmt"
	"strings"
)

// InputError is a problem with one input record, positioned like
// encoding/csv's ParseError: it prints as "events.json:1234: reason" or,
// without a line, "events.json: byte 5678: reason".
type InputError struct {
	File   string
	Line   int64 // 1-based; 0 when the input has no lines (e.g. Parquet)
	Offset int64 // byte offset in the decompressed stream; -1 when unknown
	Field  string
	Err    error
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	switch {
	case e.Line > 0:
		fmt.Fprintf(&b, ":%d", e.Line)
	case e.Offset >= 0:
		fmt.Fprintf(&b, ": byte %d", e.Offset)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *InputError) Unwrap() error { return e.Err }
