#!/usr/bin/env bash
# The scenario recorded in this directory (testdata/record.sh
# testdata/lab-readiness; see README.md): readiness probes that fail while
# new pods start (kwok-stages.yaml here: pods labelled lab/probe=failing
# report Unhealthy until their lab/unready-for annotation has passed, or
# forever without it): a rollout that completes despite them, one replaced
# by a newer template while they last, one past its progress deadline then
# fixed, and one given up by kubectl rollout undo.
set -uo pipefail
LAB=${LAB:-/tmp/lab}
K="kubectl --kubeconfig $LAB/admin.kubeconfig"
KB="kubectl --kubeconfig $LAB/bob.kubeconfig"
KCD="kubectl --kubeconfig $LAB/cd.kubeconfig"
for n in 1 2 3; do
$K apply -f - <<N
apiVersion: v1
kind: Node
metadata:
  name: node-$n
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {kubernetes.io/hostname: node-$n, type: kwok}
spec: {}
status:
  allocatable: {cpu: "4", memory: 16Gi, pods: "110"}
  capacity: {cpu: "4", memory: 16Gi, pods: "110"}
N
done
$K create namespace probes
sleep 3
dep() { # name replicas image extra-spec
$K apply -f - <<D
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1, namespace: probes, labels: {app: $1}}
spec:
  replicas: $2
  selector: {matchLabels: {app: $1}}
$4
  template:
    metadata: {labels: {app: $1}}
    spec:
      containers:
      - {name: $1, image: "registry.example.com/$1:$3", resources: {requests: {cpu: 100m}}}
D
}
dep storefront 3 2.0 '  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 3, maxUnavailable: 0}}'
dep indexer 2 1.0 '  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}'
dep invoices 2 4.0 '  progressDeadlineSeconds: 30
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}'
dep notifier 4 3.0 '  strategy: {type: RollingUpdate}'
sleep 25
tmpl() { # container image labels annotations: a strategic merge patch of the template
  printf '{"spec":{"template":{"metadata":{"labels":%s,"annotations":%s},"spec":{"containers":[{"name":"%s","image":"registry.example.com/%s"}]}}}}' "$3" "$4" "$1" "$2"
}
# 1. bob: storefront 2.0 -> 2.1, whose pods fail readiness for ~20 s after
# they start, then pass (completes, with the warnings)
$KB -n probes patch deploy storefront --type=strategic -p "$(tmpl storefront storefront:2.1 '{"lab/probe":"failing"}' '{"lab/unready-for":"20s"}')"
# 2. argocd: indexer 1.0 -> 1.1, pods unready for 60 s; 20 s later 1.1 ->
# 1.2, pods unready for 15 s (the first superseded, the second complete)
$KCD -n probes patch deploy indexer --type=strategic -p "$(tmpl indexer indexer:1.1 '{"lab/probe":"failing"}' '{"lab/unready-for":"60s"}')"
# 3. alice: invoices 4.0 -> 4.1, pods never ready: ProgressDeadlineExceeded
# after 30 s (status write, audit log only); bob fixes it ~60 s later
$K -n probes patch deploy invoices --type=strategic -p "$(tmpl invoices invoices:4.1 '{"lab/probe":"failing"}' '{}')"
sleep 20
$KCD -n probes patch deploy indexer --type=strategic -p "$(tmpl indexer indexer:1.2 '{"lab/probe":"failing"}' '{"lab/unready-for":"15s"}')"
sleep 40
$KB -n probes patch deploy invoices --type=strategic -p "$(tmpl invoices invoices:4.2 '{"lab/probe":null}' '{}')"
$K -n probes rollout status deploy/storefront --timeout=60s
$K -n probes rollout status deploy/indexer --timeout=90s
$K -n probes rollout status deploy/invoices --timeout=60s
sleep 3
# 4. bob: notifier 3.0 -> 3.1, pods never ready; alice undoes it 25 s later
# while they fail (the 3.0 ReplicaSet scaled back up from 3 to 4)
$KB -n probes patch deploy notifier --type=strategic -p "$(tmpl notifier notifier:3.1 '{"lab/probe":"failing"}' '{}')"
sleep 25
$K -n probes rollout undo deploy/notifier
$K -n probes rollout status deploy/notifier --timeout=60s
sleep 5
