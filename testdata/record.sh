#!/usr/bin/env bash
# Records one lab scenario into its testdata directory:
#   testdata/record.sh testdata/lab-scaling
# Starts a fresh control plane with ../shared/lab/up.sh, keeps both watch
# streams running while the directory's scenario.sh drives it, then saves the
# event lists and the audit log, and stops the lab. See each README for the
# truth the recording holds.
#
# LABDIR is the lab (default ../shared/lab), LAB its runtime directory
# (default /tmp/lab). A scenario directory with its own kwok-stages.yaml
# (lab-readiness: readiness probes that fail) runs on a copy of LABDIR, made
# in a temporary directory (mktemp, so TMPDIR) and removed at the end, whose
# kwok-stages.yaml is the lab's with that file appended; a stage of the same
# name there replaces the lab's. LABDIR itself is never changed, and
# directories without the file run on it as they are.
set -euo pipefail
DIR=$(cd "$1" && pwd)
LABDIR=${LABDIR:-$(cd "$(dirname "$0")/../../shared/lab" && pwd)}
export LAB=${LAB:-/tmp/lab}
if [ -f "$DIR/kwok-stages.yaml" ]; then
	COPY=$(mktemp -d "${TMPDIR:-/tmp}/lab-stages.XXXXXX")
	trap 'rm -rf "$COPY"' EXIT
	cp -R "$LABDIR"/. "$COPY"
	# The names of the stages the scenario defines, then the lab's
	# documents (split on ---) that do not define one of them.
	awk -v names="$(awk '/^kind: Stage/{s=1} s && /^  name: /{print $2; s=0}' "$DIR/kwok-stages.yaml" | tr '\n' ' ')" '
		BEGIN { n = split(names, a, " "); for (i = 1; i <= n; i++) drop[a[i]] = 1 }
		function flush() { if (doc != "" && !(name in drop)) { printf "%s%s", sep, doc; sep = "---\n" } doc = ""; name = "" }
		/^---$/ { flush(); next }
		/^  name: / && name == "" { name = $2 }
		{ doc = doc $0 "\n" }
		END { flush() }' "$LABDIR/kwok-stages.yaml" > "$COPY/kwok-stages.yaml"
	{ echo ---; cat "$DIR/kwok-stages.yaml"; } >> "$COPY/kwok-stages.yaml"
	LABDIR=$COPY
fi
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
