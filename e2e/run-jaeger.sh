#!/usr/bin/env bash
# End-to-end test of the OTLP backfill against a real Jaeger v2 on loopback.
# Builds Jaeger v1.76.0 (cmd/jaeger) from the Go module proxy once through the
# wrapper module in e2e/jaeger (about 5 minutes on 2 cores; cached in
# $EVANALYZE_CACHE), starts it with its default configuration (in-memory
# storage; OTLP on 127.0.0.1:4317/4318, query API on 127.0.0.1:16686), runs
# TestJaegerE2E, and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${EVANALYZE_CACHE:-$HOME/.cache/evanalyze}
BIN=$CACHE/jaeger-1.76.0/jaeger
if [ ! -x "$BIN" ]; then
  echo "building Jaeger v1.76.0 into $BIN"
  (cd e2e/jaeger && go build -o "$BIN" github.com/jaegertracing/jaeger/cmd/jaeger)
fi
LOG=$(mktemp)
"$BIN" >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for i in $(seq 1 120); do
  if up 16686 && up 4317 && up 4318; then break; fi
  if ! kill -0 $PID 2>/dev/null; then echo "Jaeger exited:"; cat "$LOG"; exit 1; fi
  sleep 0.5
done
if ! (up 16686 && up 4317 && up 4318); then echo "Jaeger did not listen:"; tail -50 "$LOG"; exit 1; fi
EVANALYZE_JAEGER_QUERY=http://127.0.0.1:16686 \
EVANALYZE_JAEGER_OTLP_HTTP=http://127.0.0.1:4318 \
EVANALYZE_JAEGER_OTLP_GRPC=127.0.0.1:4317 \
  go test -count=1 -run '^TestJaegerE2E$' -v ./internal/report/otlp/
