#!/usr/bin/env bash
# The scenario recorded in this directory (run with ../../../shared/lab/up.sh
# up; see README.md): a quota that blocks a Deployment's surge pod and a
# Job, a RollingUpdate with maxSurge 0, and a DaemonSet with maxSurge 1.
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
$K create namespace shop; $K create namespace infra; $K create namespace batch
$K -n shop create quota pods --hard=pods=3
$K -n batch create quota pods --hard=pods=0
sleep 3
# shop/worker: 3 replicas, maxSurge 1: under a quota of 3 pods its surge pod is forbidden.
# shop/api: 2 replicas, maxSurge 0, maxUnavailable 1 (old pods go first).
$K apply -f - <<D
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: shop}
spec:
  replicas: 3
  progressDeadlineSeconds: 600
  selector: {matchLabels: {app: worker}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers: [{name: worker, image: "registry.example.com/worker:1.0", resources: {requests: {cpu: 100m, memory: 64Mi}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: infra}
spec:
  replicas: 2
  progressDeadlineSeconds: 600
  selector: {matchLabels: {app: api}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "registry.example.com/api:3.0", resources: {requests: {cpu: 100m, memory: 64Mi}}}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: infra}
spec:
  selector: {matchLabels: {app: agent}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: "registry.example.com/agent:1.0", resources: {requests: {cpu: 50m, memory: 32Mi}}}]
D
sleep 25
# 1. bob rolls shop/worker: the surge pod exceeds the quota (FailedCreate) until alice raises it.
$KB -n shop set image deploy/worker worker=registry.example.com/worker:1.1
sleep 20
$K -n shop patch quota pods --type=merge -p '{"spec":{"hard":{"pods":"4"}}}'
sleep 25
# 2. the CD system rolls infra/api (maxSurge 0: an old pod goes before a new one comes).
$KCD -n infra set image deploy/api api=registry.example.com/api:3.1
sleep 25
# 3. the CD system rolls the DaemonSet with maxSurge 1 (new pod on a node, then the old one goes).
$KCD -n infra set image ds/agent agent=registry.example.com/agent:1.1
sleep 30
# 4. a Job in batch, whose quota allows no pod: it never starts.
$K -n batch create job report --image=registry.example.com/report:1.0
sleep 25
