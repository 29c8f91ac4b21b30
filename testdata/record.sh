#!/usr/bin/env bash
# Records one lab scenario into its testdata directory:
#   testdata/record.sh testdata/lab-scaling
# Starts a fresh control plane with ../shared/lab/up.sh, keeps both watch
# streams running while the directory's scenario.sh drives it, then saves the
# event lists and the audit log, and stops the lab. See each README for the
# truth the recording holds.
set -euo pipefail
DIR=$(cd "$1" && pwd)
LABDIR=${LABDIR:-$(cd "$(dirname "$0")/../../shared/lab" && pwd)}
export LAB=${LAB:-/tmp/lab}
"$LABDIR/down.sh" >/dev/null 2>&1 || true
rm -rf "$LAB"
"$LABDIR/up.sh"
K="kubectl --kubeconfig $LAB/admin.kubeconfig"
$K get events -A -w -o json > "$DIR/watch-core.json" 2>"$LAB/watch-core.err" &
W1=$!
$K get --raw '/apis/events.k8s.io/v1/events?watch=1' > "$DIR/watch-eventsv1.jsonl" 2>"$LAB/watch-v1.err" &
W2=$!
sleep 1
bash "$DIR/scenario.sh"
sleep 3
kill $W1 $W2 || true
$K get events -A -o json > "$DIR/events-list.json"
$K get events.v1.events.k8s.io -A -o json > "$DIR/eventsv1-list.json"
gzip -9 -c "$LAB/audit.log" > "$DIR/audit.log.gz"
"$LABDIR/down.sh"
