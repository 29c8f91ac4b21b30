#!/usr/bin/env bash
# The scenario recorded in this directory (testdata/record.sh
# testdata/lab-history; see README.md): five rollouts of one Deployment in a
# few minutes, the last two a rollback and a rollback of the rollback (its
# ScalingReplicaSet events combine), a rollout superseded while in flight,
# and a StatefulSet update rolled back.
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
$K create namespace history
sleep 3
$K apply -f - <<D
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: history, labels: {app: api}}
spec:
  replicas: 4
  selector: {matchLabels: {app: api}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata:
      labels: {app: api}
      annotations: {lab/pull-delay: 2s, lab/pull-jitter: 2s}
    spec:
      containers:
      - {name: api, image: "registry.example.com/api:1", resources: {requests: {cpu: 100m}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: history, labels: {app: worker}}
spec:
  replicas: 3
  selector: {matchLabels: {app: worker}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata:
      labels: {app: worker}
      annotations: {lab/pull-delay: 4s, lab/pull-jitter: 3s}
    spec:
      containers:
      - {name: worker, image: "registry.example.com/worker:1", resources: {requests: {cpu: 100m}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: history}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - {name: postgres, image: "postgres:16.4", resources: {requests: {cpu: 100m}}}
D
sleep 30
# 1-3. api 1 -> 2 (bob), 2 -> 3 (alice), 3 -> 4 (argocd), each to the end
$KB -n history set image deploy/api api=registry.example.com/api:2
$K -n history rollout status deploy/api --timeout=120s; sleep 3
$K -n history set image deploy/api api=registry.example.com/api:3
$K -n history rollout status deploy/api --timeout=120s; sleep 3
$KCD -n history set image deploy/api api=registry.example.com/api:4
$K -n history rollout status deploy/api --timeout=120s; sleep 3
# 4. alice undoes it (back to api:3, its ReplicaSet scaled up from 0 again)
$K -n history rollout undo deploy/api
$K -n history rollout status deploy/api --timeout=120s; sleep 3
# 5. bob undoes the undo (back to api:4)
$KB -n history rollout undo deploy/api
$K -n history rollout status deploy/api --timeout=120s; sleep 3
# 6. worker 1 -> 2 (bob), superseded 6 s later by 3 (argocd), which completes
$KB -n history set image deploy/worker worker=registry.example.com/worker:2
sleep 6
$KCD -n history set image deploy/worker worker=registry.example.com/worker:3
$K -n history rollout status deploy/worker --timeout=120s; sleep 3
# 7. db postgres 16.4 -> 16.6 (alice), then rolled back (bob)
$K -n history set image sts/db postgres=postgres:16.6
$K -n history rollout status sts/db --timeout=120s; sleep 3
$KB -n history rollout undo sts/db
$K -n history rollout status sts/db --timeout=120s
sleep 5
