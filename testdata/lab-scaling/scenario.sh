#!/usr/bin/env bash
# The scenario recorded in this directory (testdata/record.sh
# testdata/lab-scaling; see README.md): scales during rollouts (kubectl scale
# and the HPA's service account writing deployments/scale), scales with no
# rollout, a rollback that reuses a ReplicaSet from 0 while a failed one still
# has pods, a surge held up only by pod anti-affinity, and a node drain after
# every rollout ended.
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
$K create namespace store; $K create namespace edge
sleep 3
# The HPA's own identity: the controller-manager runs with per-controller
# service accounts, so this is the user a real HPA writes the scale as.
HPA_TOKEN=$($K -n kube-system create token horizontal-pod-autoscaler --duration=1h)
KH="kubectl --kubeconfig $LAB/admin.kubeconfig --token=$HPA_TOKEN"
hpa_scale() { # ns name replicas: a PUT of deployments/scale, as the HPA does
  $KH -n "$1" get deploy "$2" --subresource=scale -o json | jq ".spec.replicas=$3" |
    $KH replace --raw "/apis/apps/v1/namespaces/$1/deployments/$2/scale" -f -
}
$K apply -f - <<D
apiVersion: apps/v1
kind: Deployment
metadata: {name: catalog, namespace: store, labels: {app: catalog}}
spec:
  replicas: 4
  selector: {matchLabels: {app: catalog}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata:
      labels: {app: catalog}
      annotations: {lab/pull-delay: 4s, lab/pull-jitter: 3s}
    spec:
      containers:
      - {name: catalog, image: "registry.example.com/catalog:1.0", resources: {requests: {cpu: 100m}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout, namespace: store, labels: {app: checkout}}
spec:
  replicas: 2
  progressDeadlineSeconds: 30
  selector: {matchLabels: {app: checkout}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: checkout}}
    spec:
      containers:
      - {name: checkout, image: "registry.example.com/checkout:5.0", resources: {requests: {cpu: 100m}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: gateway, namespace: edge, labels: {app: gateway}}
spec:
  replicas: 3
  selector: {matchLabels: {app: gateway}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}
  template:
    metadata: {labels: {app: gateway}}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - {labelSelector: {matchLabels: {app: gateway}}, topologyKey: kubernetes.io/hostname}
      containers:
      - {name: gateway, image: "registry.example.com/gateway:2.0", resources: {requests: {cpu: 100m}}}
D
sleep 30
# 1. bob rolls catalog 1.0 -> 1.1; alice scales it 4 -> 6 while it runs
$KB -n store set image deploy/catalog catalog=registry.example.com/catalog:1.1
sleep 9
$K -n store scale deploy/catalog --replicas=6
$K -n store rollout status deploy/catalog --timeout=120s
sleep 5
# 2. argocd rolls catalog 1.1 -> 1.2; the HPA scales it 6 -> 8 while it runs
$KCD -n store set image deploy/catalog catalog=registry.example.com/catalog:1.2
sleep 8
hpa_scale store catalog 8
$K -n store rollout status deploy/catalog --timeout=120s
sleep 5
# 3. scales with no rollout in flight: the HPA 8 -> 5, alice checkout 2 -> 3
hpa_scale store catalog 5
sleep 6
$K -n store scale deploy/checkout --replicas=3
sleep 8
# 4. checkout 5.0 -> 5.1 (bob, completes), then 5.1 -> 5.2-typo (argocd, image
# pull failure, progress deadline 30 s), then alice undoes to revision 1: the
# 5.0 ReplicaSet scales up from 0 while the 5.1 and the failed 5.2 ones still
# have pods
$KB -n store set image deploy/checkout checkout=registry.example.com/checkout:5.1
$K -n store rollout status deploy/checkout --timeout=120s
sleep 5
$KCD -n store patch deploy checkout --type=strategic -p '{"spec":{"template":{"metadata":{"labels":{"lab/fault":"imagepull"}},"spec":{"containers":[{"name":"checkout","image":"registry.example.com/checkout:5.2-typo"}]}}}}'
sleep 40
$K -n store rollout undo deploy/checkout --to-revision=1
$K -n store rollout status deploy/checkout --timeout=120s
sleep 5
# 5. gateway 2.0 -> 2.1 (alice): the surge pod cannot be placed until an old
# pod leaves (required anti-affinity, 3 replicas on 3 nodes): FailedScheduling
# that resolves by itself
$K -n edge set image deploy/gateway gateway=registry.example.com/gateway:2.1
$K -n edge rollout status deploy/gateway --timeout=120s
sleep 10
# 6. alice drains node-2 after every rollout ended: evictions and replacement
# pods, then uncordons it
$K drain node-2 --ignore-daemonsets --delete-emptydir-data --timeout=60s
sleep 15
$K uncordon node-2
sleep 5
