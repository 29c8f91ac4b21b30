#!/usr/bin/env bash
# The scenario recorded in this directory (testdata/record.sh
# testdata/lab-strategies; see README.md): kubectl rollout restart, a
# Helm-style checksum annotation change, an env change, an OnDelete
# StatefulSet and DaemonSet updated by deleting pods, a partitioned
# StatefulSet update continued by lowering the partition, and a DaemonSet
# rolled four times so that its events aggregate.
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
$K create namespace web; $K create namespace data; $K create namespace ops
sleep 3
sum() { printf %s "$1" | sha256sum | cut -c1-64; }
$KCD apply -f - <<D
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: web, labels: {app: frontend}}
spec:
  replicas: 3
  selector: {matchLabels: {app: frontend}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata:
      labels: {app: frontend}
      annotations: {checksum/config: "$(sum config-v1)"}
    spec:
      containers:
      - {name: frontend, image: "registry.example.com/frontend:3.0", resources: {requests: {cpu: 100m}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache, namespace: data}
spec:
  replicas: 3
  serviceName: cache
  selector: {matchLabels: {app: cache}}
  updateStrategy: {type: OnDelete}
  template:
    metadata: {labels: {app: cache}}
    spec:
      containers:
      - {name: redis, image: "redis:7.2", resources: {requests: {cpu: 100m}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: queue, namespace: data}
spec:
  replicas: 3
  serviceName: queue
  selector: {matchLabels: {app: queue}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}
  template:
    metadata: {labels: {app: queue}}
    spec:
      containers:
      - {name: rabbitmq, image: "rabbitmq:3.12", resources: {requests: {cpu: 100m}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: logger, namespace: ops}
spec:
  selector: {matchLabels: {app: logger}}
  updateStrategy: {type: OnDelete}
  template:
    metadata: {labels: {app: logger}}
    spec:
      containers:
      - {name: vector, image: "timberio/vector:0.38.0", resources: {requests: {cpu: 50m}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: shipper, namespace: ops}
spec:
  selector: {matchLabels: {app: shipper}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}
  template:
    metadata: {labels: {app: shipper}}
    spec:
      containers:
      - {name: shipper, image: "registry.example.com/shipper:1.0", resources: {requests: {cpu: 50m}}}
D
sleep 30
# 1. bob: kubectl rollout restart (only the restartedAt template annotation)
$KB -n web rollout restart deploy/frontend
$K -n web rollout status deploy/frontend --timeout=120s
sleep 5
# 2. argocd: a Helm-style config checksum change (template annotation only)
$KCD -n web patch deploy frontend --type=merge -p "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"checksum/config\":\"$(sum config-v2)\"}}}}}"
$K -n web rollout status deploy/frontend --timeout=120s
sleep 5
# 3. alice: an env change
$K -n web set env deploy/frontend LOG_LEVEL=debug
$K -n web rollout status deploy/frontend --timeout=120s
sleep 5
# 4. alice: cache (OnDelete) redis 7.2 -> 7.4; nothing moves until she deletes
# the pods, one every 12 s
$K -n data set image sts/cache redis=redis:7.4
sleep 10
for p in cache-2 cache-1 cache-0; do $K -n data delete pod $p --wait=false; sleep 12; done
sleep 3
# 5. bob: queue (partition 2) rabbitmq 3.12 -> 3.13: queue-2 is updated; he
# lowers the partition to 1, then to 0, and the rest follow
$KB -n data set image sts/queue rabbitmq=rabbitmq:3.13
sleep 15
$KB -n data patch sts queue --type=merge -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":1}}}}'
sleep 15
$KB -n data patch sts queue --type=merge -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}'
sleep 15
# 6. argocd: logger (OnDelete DaemonSet) vector 0.38.0 -> 0.39.0; alice
# deletes the pods node by node
$KCD -n ops set image ds/logger vector=timberio/vector:0.39.0
sleep 8
for p in $($K -n ops get pods -l app=logger -o jsonpath='{.items[*].metadata.name}'); do $K -n ops delete pod "$p" --wait=false; sleep 8; done
sleep 5
# 7. argocd: shipper (RollingUpdate DaemonSet) four versions in a row, so that
# the controller's SuccessfulCreate/SuccessfulDelete events aggregate
for v in 1.1 1.2 1.3 1.4; do
  $KCD -n ops set image ds/shipper shipper=registry.example.com/shipper:$v
  $K -n ops rollout status ds/shipper --timeout=120s
  sleep 4
done
sleep 5
