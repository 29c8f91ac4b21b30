package otlp_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/proto"

	"github.com/evanalyze/evanalyze/internal/report/otlp"
)

// discardCodec is a gRPC server codec that reads requests without
// decoding them, as the HTTP receiver below does: the benchmark measures
// the sender, not a receiver's unmarshalling.
type discardCodec struct{ bytes *atomic.Int64 }

func (discardCodec) Name() string { return "proto" }

func (c discardCodec) Marshal(v any) ([]byte, error) { return proto.Marshal(v.(proto.Message)) }

func (c discardCodec) Unmarshal(data []byte, v any) error {
	c.bytes.Add(int64(len(data)))
	return nil
}

var _ encoding.Codec = discardCodec{}

type discardTraces struct {
	collectorpb.UnimplementedTraceServiceServer
}

func (discardTraces) Export(context.Context, *collectorpb.ExportTraceServiceRequest) (*collectorpb.ExportTraceServiceResponse, error) {
	return &collectorpb.ExportTraceServiceResponse{}, nil
}

// BenchmarkBackfill sends lab-basic's rollouts cloned 1,000 times (10,000
// traces, 107,000 spans, with span events) to receivers on loopback that
// read and discard what they get, over OTLP/HTTP and OTLP/gRPC with the
// default concurrency: what export --endpoint does after correlating
// (Requests, Send), in spans/s and bytes of protobuf sent per second.
// The receivers run in the same process, on the same cores.
func BenchmarkBackfill(b *testing.B) {
	rollouts, events, release := benchRollouts(b, true)
	defer release()

	var received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		received.Add(n)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer srv.Close()

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	gs := grpc.NewServer(grpc.ForceServerCodec(discardCodec{&received}))
	collectorpb.RegisterTraceServiceServer(gs, discardTraces{})
	go gs.Serve(lis)
	defer gs.Stop()

	for _, tc := range []struct {
		name string
		o    otlp.SendOptions
	}{
		{"protocol=http", otlp.SendOptions{Endpoint: srv.URL}},
		{"protocol=grpc", otlp.SendOptions{Endpoint: lis.Addr().String(), Protocol: "grpc", Insecure: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			spans := 0
			received.Store(0)
			for i := 0; i < b.N; i++ {
				reqs := otlp.Requests(rollouts, events, otlp.FileOptions{})
				st, err := otlp.Send(context.Background(), reqs, tc.o)
				if err != nil {
					b.Fatal(err)
				}
				spans = st.Spans
			}
			b.SetBytes(received.Load() / int64(b.N))
			reportSpans(b, spans)
		})
	}
}
