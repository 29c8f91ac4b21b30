package load_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/evanalyze/evanalyze/internal/load"
)

// randomRows appends n rows with empty strings, unset counts and times
// mixed in, from small vocabularies so that dictionary values repeat.
func randomRows(b *load.Batch, rng *rand.Rand, n int) {
	pick := func(vs ...string) []byte {
		if s := vs[rng.IntN(len(vs))]; s != "" {
			return []byte(s)
		}
		return nil
	}
	for i := 0; i < n; i++ {
		r := load.EventRow{
			API:       []string{load.APICoreV1, load.APIEventsV1, load.APIAudit}[rng.IntN(3)],
			Namespace: pick("", "shop", "kube-system", "web"),
			Name:      []byte(fmt.Sprintf("web-%d.%x", rng.IntN(50), rng.Int64N(1<<60))),
			UID:       pick("", "u1", "u2", "u3"),
			Object:    load.ObjectRef{Kind: pick("", "Pod", "ReplicaSet"), Namespace: pick("", "shop"), Name: pick("", "web-1", "web-2"), UID: pick("", "o1")},
			Reason:    pick("", "Scheduled", "Pulled", "Created", "Started"),
			Message:   pick("", "a message", "another, longer message with more bytes in it"),
			Type:      pick("", "Normal", "Warning"),
			Count:     int32(rng.IntN(5)), HasCount: rng.IntN(2) == 0,
			First:      int64(rng.IntN(3)) * 1e9,
			Last:       int64(rng.IntN(3)) * 1e9,
			SeriesLast: int64(rng.IntN(2)) * 7e9,
		}
		p := load.Provenance{Cluster: string(pick("", "c1", "c2")), Format: "watch", File: string(pick("a.json", "b.json")), Line: int64(i), Offset: int64(100 * i)}
		b.Append(&r, &p)
	}
}

// Take gives the record AppendFrom gives row by row, from plain and
// dictionary-encoded sources, in either schema, dictionaries included.
func TestTake(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(1, 2))

	// Sources: two decode batches and one dictionary-encoded batch.
	var recs []arrow.Record
	for i := 0; i < 2; i++ {
		b := load.NewDecodeBatch(mem)
		randomRows(b, rng, 300)
		recs = append(recs, b.NewRecord())
		b.Release()
	}
	{
		b := load.NewBatch(mem)
		randomRows(b, rng, 200)
		recs = append(recs, b.NewRecord())
		b.Release()
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	views := make([]*load.View, len(recs))
	for i, r := range recs {
		views[i] = load.NewView(r)
	}
	var at []load.RowAt
	var latest []bool
	var dups []int32
	for i := 0; i < 500; i++ {
		b := rng.IntN(len(views))
		at = append(at, load.RowAt{Batch: int32(b), Row: int32(rng.IntN(views[b].Len()))})
		latest = append(latest, rng.IntN(2) == 0)
		dups = append(dups, int32(rng.IntN(10)))
	}
	for _, tc := range []struct {
		name   string
		schema *arrow.Schema
		batch  func(memory.Allocator) *load.Batch
		given  bool
	}{
		{"event schema", load.EventSchema, load.NewBatch, true},
		{"decode schema", load.DecodeSchema, load.NewDecodeBatch, true},
		{"event schema, source latest and duplicates", load.EventSchema, load.NewBatch, false},
		{"empty", load.EventSchema, load.NewBatch, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := at
			if tc.name == "empty" {
				rows = nil
			}
			b := tc.batch(mem)
			defer b.Release()
			for i, r := range rows {
				l, d := latest[i], dups[i]
				if !tc.given {
					l = views[r.Batch].Bool(load.ColLatest, int(r.Row))
					d, _ = views[r.Batch].Int32(load.ColDuplicates, int(r.Row))
				}
				b.AppendFrom(views[r.Batch], int(r.Row), l, d)
			}
			want := b.NewRecord()
			defer want.Release()
			var l []bool
			var d []int32
			if tc.given {
				l, d = latest, dups
			}
			got := load.Take(mem, tc.schema, views, rows, l, d)
			defer got.Release()
			if !got.Schema().Equal(want.Schema()) {
				t.Fatalf("schema %v, want %v", got.Schema(), want.Schema())
			}
			if got.NumRows() != want.NumRows() {
				t.Fatalf("%d rows, want %d", got.NumRows(), want.NumRows())
			}
			for c := 0; c < load.NumColumns; c++ {
				g, w := got.Column(c), want.Column(c)
				name := got.Schema().Field(c).Name
				if !array.Equal(g, w) {
					t.Errorf("column %s: got %v, want %v", name, g, w)
				}
				if g.NullN() != w.NullN() {
					t.Errorf("column %s: %d nulls, want %d", name, g.NullN(), w.NullN())
				}
				if gd, ok := g.(*array.Dictionary); ok {
					// The same dictionary, in the same order.
					wd := w.(*array.Dictionary)
					if !array.Equal(gd.Dictionary(), wd.Dictionary()) || !array.Equal(gd.Indices(), wd.Indices()) {
						t.Errorf("column %s: dictionary %v indices %v, want %v %v", name, gd.Dictionary(), gd.Indices(), wd.Dictionary(), wd.Indices())
					}
				}
			}
		})
	}
}
