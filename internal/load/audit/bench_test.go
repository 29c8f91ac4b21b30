package audit

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"testing"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/jsonscan"
)

// BenchmarkDecode frames and decodes lab-basic's audit log (decompressed,
// repeated to 32 MiB) into change rows on one goroutine.
func BenchmarkDecode(b *testing.B) {
	f, err := os.Open("../../../testdata/lab-basic/audit.log.gz")
	if err != nil {
		b.Fatal(err)
	}
	zr, _ := gzip.NewReader(f)
	raw, err := io.ReadAll(zr)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	input := make([]byte, 0, 33<<20)
	for len(input) < 32<<20 {
		input = append(input, raw...)
	}
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	var d Decoder
	var row load.ChangeRow
	records := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fr := jsonscan.NewFramer(bytes.NewReader(input), jsonscan.Options{})
		for blk := fr.Next(); blk != nil; blk = fr.Next() {
			for _, r := range blk.Records {
				if _, err := d.Decode(blk.Data[r.Start:r.End], &row); err != nil {
					b.Fatal(err)
				}
				records++
			}
			blk.Release()
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
