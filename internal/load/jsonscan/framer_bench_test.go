package jsonscan

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// prettyObject returns one pretty-printed JSON object of about size bytes,
// as `kubectl get -o json` writes a large object: one key per line.
func prettyObject(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 128)
	b.WriteString("{\n")
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "  \"k%07d\": {\n    \"v\": \"%s\"\n  }", i, "0123456789abcdefghijklmnopqrstuvwxyz")
	}
	b.WriteString("\n}\n")
	return b.Bytes()
}

// chunkReader returns at most n bytes a Read, as a pipe or a gzip reader
// does.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// BenchmarkFramerPretty frames one pretty-printed object read whole, in 4
// KiB reads and one byte at a time: the cost is linear in the input
// whatever the read size (MB/s about the same for 8 and 32 MB).
func BenchmarkFramerPretty(b *testing.B) {
	for _, size := range []int{8 << 20, 32 << 20} {
		in := prettyObject(size)
		for _, rd := range readers {
			b.Run(fmt.Sprintf("%dMB/%s", size>>20, rd.name), func(b *testing.B) {
				b.SetBytes(int64(len(in)))
				b.ReportAllocs()
				for b.Loop() {
					f := NewFramer(rd.wrap(bytes.NewReader(in)), Options{})
					n := 0
					for blk := f.Next(); blk != nil; blk = f.Next() {
						n += len(blk.Records)
						if len(blk.Errors) > 0 {
							b.Fatal(blk.Errors[0].Err)
						}
						blk.Release()
					}
					if n != 1 {
						b.Fatalf("%d records", n)
					}
				}
			})
		}
	}
}
