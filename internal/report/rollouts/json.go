package rollouts

import (
	"bufio"
	"io"

	"github.com/evanalyze/evanalyze/internal/correlate"
)

// bufSize is the write buffer of the JSON writers: a few rollouts.
const bufSize = 64 << 10

// WriteJSON writes the rollouts as one indented JSON array, the bytes
// json.Encoder writes for the slice with SetIndent("", "  ") and
// SetEscapeHTML(false); none (nil or empty) is "[]". Each rollout is
// encoded on its own, so memory does not grow with the output. On an
// error the output may stop short; nothing is written for a rollout that
// cannot be encoded.
func WriteJSON(w io.Writer, rs []correlate.Rollout) error {
	if len(rs) == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	bw := bufio.NewWriterSize(w, bufSize)
	enc := Encoder{Prefix: "  ", Indent: "  "}
	var buf []byte
	bw.WriteString("[\n  ")
	for i := range rs {
		if i > 0 {
			bw.WriteString(",\n  ")
		}
		var err error
		if buf, err = enc.AppendRollout(buf[:0], &rs[i]); err != nil {
			return err
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	bw.WriteString("\n]\n")
	return bw.Flush()
}

// WriteJSONL writes one rollout per line, compact: the bytes
// json.Encoder.Encode writes for each with SetEscapeHTML(false).
func WriteJSONL(w io.Writer, rs []correlate.Rollout) error {
	bw := bufio.NewWriterSize(w, bufSize)
	var enc Encoder
	var buf []byte
	for i := range rs {
		var err error
		if buf, err = enc.AppendRollout(buf[:0], &rs[i]); err != nil {
			return err
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}
