#!/usr/bin/env bash
# End-to-end test of the OTLP backfill against a real Jaeger v2 on loopback.
# Builds Jaeger v1.76.0 (cmd/jaeger) from the Go module proxy once through the
# wrapper module in e2e/jaeger (about 5 minutes on 2 cores; cached in
# $EVANALYZE_CACHE), starts it with e2e/jaeger/config-e2e.yaml (in-memory
# storage; OTLP gRPC and HTTP and the query API on free loopback ports that
# e2e/freeport picks, so the test never talks to another process that
# listens on Jaeger's usual ports), runs TestJaegerE2E, then the live follow
# test (TestFollowLiveE2E: the lab's control plane into export --follow into
# this Jaeger; below), and stops it. The log is shown when Jaeger fails and
# removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${EVANALYZE_CACHE:-$HOME/.cache/evanalyze}
BIN=$CACHE/jaeger-1.76.0/jaeger
if [ ! -x "$BIN" ]; then
  echo "building Jaeger v1.76.0 into $BIN"
  (cd e2e/jaeger && go build -o "$BIN" github.com/jaegertracing/jaeger/cmd/jaeger)
fi
mapfile -t PORTS < <(go run ./e2e/freeport 4)
export E2E_OTLP_GRPC_PORT=${PORTS[0]} E2E_OTLP_HTTP_PORT=${PORTS[1]} \
  E2E_QUERY_HTTP_PORT=${PORTS[2]} E2E_QUERY_GRPC_PORT=${PORTS[3]}
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "${PORTS[@]}"; do
  if up "$p"; then echo "port $p is taken by another process; rerun" >&2; exit 1; fi
done
LOG=$(mktemp)
"$BIN" --config "$PWD/e2e/jaeger/config-e2e.yaml" >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -f "$LOG"' EXIT
ready=
for i in $(seq 1 120); do
  if up "$E2E_QUERY_HTTP_PORT" && up "$E2E_OTLP_GRPC_PORT" && up "$E2E_OTLP_HTTP_PORT"; then ready=1; break; fi
  if ! kill -0 $PID 2>/dev/null; then echo "Jaeger exited:"; cat "$LOG"; exit 1; fi
  sleep 0.5
done
if [ -z "$ready" ]; then echo "Jaeger did not listen:"; tail -50 "$LOG"; exit 1; fi
# Jaeger, not another process that took a port meanwhile, must hold them.
if ! kill -0 $PID 2>/dev/null; then echo "Jaeger exited:"; cat "$LOG"; exit 1; fi
status=0
export EVANALYZE_JAEGER_QUERY=http://127.0.0.1:$E2E_QUERY_HTTP_PORT \
  EVANALYZE_JAEGER_OTLP_HTTP=http://127.0.0.1:$E2E_OTLP_HTTP_PORT \
  EVANALYZE_JAEGER_OTLP_GRPC=127.0.0.1:$E2E_OTLP_GRPC_PORT
go test -count=1 -run '^TestJaegerE2E$' -v ./internal/report/otlp/ || status=$?
# The live follow: the lab's control plane (../shared/lab, binaries from
# its build.sh in $EVANALYZE_LAB_BIN) into export --follow into this
# Jaeger. With EVANALYZE_REQUIRE_LAB=1 (CI) the binaries are built when
# missing (5 to 8 minutes) and a missing lab fails; otherwise it is
# skipped without them.
LABDIR=${EVANALYZE_LAB_DIR:-../shared/lab}
LABBIN=${EVANALYZE_LAB_BIN:-/tmp/labbin}
if [ $status -eq 0 ]; then
  if [ ! -x "$LABBIN/kube-apiserver" ] && [ "${EVANALYZE_REQUIRE_LAB:-}" = 1 ]; then
    [ -f "$LABDIR/build.sh" ] || { echo "no lab at $LABDIR" >&2; exit 1; }
    echo "building the lab into $LABBIN"
    BIN=$LABBIN bash "$LABDIR/build.sh"
  fi
  if [ -x "$LABBIN/kube-apiserver" ] && [ -f "$LABDIR/up.sh" ] && command -v kubectl >/dev/null; then
    LIVE=$(mktemp -d)
    BIN=$LABBIN LAB=$LIVE bash "$LABDIR/down.sh" >/dev/null 2>&1 || true
    trap 'LAB=$LIVE bash "$LABDIR/down.sh" >/dev/null 2>&1 || true; rm -rf "$LIVE"; kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -f "$LOG"' EXIT
    BIN=$LABBIN LAB=$LIVE bash "$LABDIR/up.sh" >/dev/null
    for i in $(seq 1 60); do kubectl --kubeconfig "$LIVE/admin.kubeconfig" get --raw /readyz >/dev/null 2>&1 && break; sleep 1; done
    EVANALYZE_LIVE_LAB=$LIVE go test -count=1 -timeout 5m -run '^TestFollowLiveE2E$' -v ./cmd/evanalyze/ || status=$?
  elif [ "${EVANALYZE_REQUIRE_LAB:-}" = 1 ]; then
    echo "the live follow test needs the lab ($LABDIR, $LABBIN) and kubectl" >&2; status=1
  else
    echo "skipping the live follow test: no lab binaries in $LABBIN (see ../shared/lab/build.sh)"
  fi
fi
if [ $status -ne 0 ]; then echo "Jaeger log (last 50 lines):"; tail -50 "$LOG"; fi
exit $status
