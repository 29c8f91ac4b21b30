package rollouts

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"

	"github.com/evanalyze/evanalyze/internal/correlate"
)

// A Writer writes rollouts as they come, a slice at a time, in a format
// that needs nothing of the rollouts after them: "json", "jsonl" or "csv".
// What it writes for all the rollouts given is what WriteJSON, WriteJSONL
// or WriteCSV writes for them in one slice, however they are split, so a
// command holds one cluster's rollouts, not the fleet's.
type Writer struct {
	format string
	bw     *bufio.Writer
	cw     *csv.Writer  // csv: encodes one row into row
	row    bytes.Buffer // csv: the row being encoded
	enc    Encoder
	buf    []byte
	n      int
}

// NewWriter returns a Writer of format to w. Close it to finish the output.
func NewWriter(w io.Writer, format string) (*Writer, error) {
	sw := &Writer{format: format, bw: bufio.NewWriterSize(w, bufSize)}
	switch format {
	case "json":
		sw.enc = Encoder{Prefix: "  ", Indent: "  "}
	case "jsonl":
	case "csv":
		sw.cw = csv.NewWriter(&sw.row)
		b, err := sw.csvRow(csvHeader)
		if err != nil {
			return nil, err
		}
		sw.bw.Write(b)
	default:
		return nil, fmt.Errorf("rollouts: no streaming writer for %q", format)
	}
	return sw, nil
}

// Write writes rs after the rollouts written before.
func (w *Writer) Write(rs []correlate.Rollout) error {
	for i := range rs {
		b, err := w.encode(&rs[i])
		if err != nil {
			return err
		}
		if err := w.writeEncoded(b); err != nil {
			return err
		}
	}
	return nil
}

// encode returns r as the writer writes it, without separators, in a
// buffer reused by the next call.
func (w *Writer) encode(r *correlate.Rollout) ([]byte, error) {
	if w.cw != nil {
		return w.csvRow(csvRow(r))
	}
	var err error
	w.buf, err = w.enc.AppendRollout(w.buf[:0], r)
	return w.buf, err
}

// csvRow encodes one CSV row into the reused row buffer.
func (w *Writer) csvRow(cells []string) ([]byte, error) {
	w.row.Reset()
	w.cw.Write(cells)
	w.cw.Flush()
	return w.row.Bytes(), w.cw.Error()
}

// writeEncoded writes one rollout encode gave, with its separators.
func (w *Writer) writeEncoded(b []byte) error {
	switch {
	case w.cw != nil:
	case w.format == "jsonl":
		defer w.bw.WriteByte('\n')
	case w.n == 0:
		w.bw.WriteString("[\n  ")
	default:
		w.bw.WriteString(",\n  ")
	}
	w.n++
	_, err := w.bw.Write(b)
	return err
}

// Close ends the output (a JSON array's closing bracket, "[]" when there
// were no rollouts) and flushes it.
func (w *Writer) Close() error {
	switch {
	case w.format == "json" && w.n == 0:
		w.bw.WriteString("[]\n")
	case w.format == "json":
		w.bw.WriteString("\n]\n")
	}
	return w.bw.Flush()
}

// Len is the number of rollouts written.
func (w *Writer) Len() int { return w.n }
