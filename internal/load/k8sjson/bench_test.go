package k8sjson

import (
	"bytes"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/benchutil"
	"github.com/evanalyze/evanalyze/internal/load/jsonscan"
)

// benchDecode frames and decodes input into Arrow batches on one goroutine:
// the per-core cost of the event loaders.
func benchDecode(b *testing.B, input []byte) {
	mem := memory.DefaultAllocator
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	events := 0
	var d Decoder
	var row load.EventRow
	prov := load.Provenance{Cluster: "bench", Format: "bench", File: "bench"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch := load.NewDecodeBatch(mem)
		f := jsonscan.NewFramer(bytes.NewReader(input), jsonscan.Options{})
		for blk := f.Next(); blk != nil; blk = f.Next() {
			for _, r := range blk.Records {
				res, err := d.Decode(blk.Data[r.Start:r.End], &row)
				if err != nil || res.Shape == ShapeSkip {
					b.Fatalf("decode: %v %v", err, res.Skip)
				}
				prov.Line, prov.Offset = r.Line, blk.Base+int64(r.Start)
				batch.Append(&row, &prov)
				events++
				if batch.Len() == 64<<10 {
					batch.NewRecord().Release()
				}
			}
			blk.Release()
		}
		batch.NewRecord().Release()
		batch.Release()
	}
	benchutil.ReportEvents(b, events)
}

func BenchmarkDecode(b *testing.B) {
	for _, tc := range []struct{ name, file string }{
		{"watch-eventsv1", "watch-eventsv1.jsonl"},
		{"kubectl-list", "events-list.json"},
		{"kubectl-watch", "watch-core.json"},
	} {
		input := benchutil.Repeat(b, "../../../testdata/lab-basic/"+tc.file, 32<<20)
		if tc.file == "events-list.json" {
			input = listOf(b, input)
		}
		b.Run(tc.name, func(b *testing.B) { benchDecode(b, input) })
	}
}

// listOf turns repeated List documents into one big List, as kubectl writes
// for a large cluster.
func listOf(b *testing.B, repeated []byte) []byte {
	var s jsonscan.Scanner
	var items [][]byte
	f := jsonscan.NewFramer(bytes.NewReader(repeated), jsonscan.Options{})
	for blk := f.Next(); blk != nil; blk = f.Next() {
		for _, r := range blk.Records {
			items = append(items, blk.Data[r.Start:r.End])
		}
	}
	_ = s
	out := []byte("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n        ")
	out = append(out, bytes.Join(items, []byte(",\n        "))...)
	out = append(out, "\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n"...)
	return out
}
