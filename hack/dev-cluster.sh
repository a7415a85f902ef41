#!/usr/bin/env bash
# A local Kubernetes control plane with simulated nodes (kwok), everything on
# 127.0.0.1, for trying the operator without a cluster.
#   hack/dev-cluster.sh up     # create the cluster, install the CRD and a sample, run the manager
#   hack/dev-cluster.sh down   # stop the manager and delete the cluster
# State lives in .kwok/ (gitignored). Pods are simulated by kwok: their IPs are
# in 127.0.0.0/8 (the fake node's podCIDR), so nothing outside loopback is used.
set -euo pipefail
cd "$(dirname "$0")/.."
W="$PWD/.kwok"
NAME=audionode-dev
export KWOK_WORKDIR="$W" KWOK_KUBE_VERSION=v1.37.2 KUBECACHEDIR="$W/kubecache"

up() {
  B=$(hack/k8s-testbins.sh kube-apiserver etcd kubectl kube-controller-manager kube-scheduler kwok kwokctl)
  mkdir -p "$W"
  export KWOK_KUBECTL_BINARY="$B/kubectl"
  cat > "$W/kwokctl.yaml" <<'YAML'
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  bindAddress: 127.0.0.1
YAML
  if ! "$B/kwokctl" get clusters 2>/dev/null | grep -qx "$NAME"; then
    "$B/kwokctl" -c "$W/kwokctl.yaml" create cluster --name "$NAME" --kubeconfig "$W/kubeconfig" --wait 2m \
      --kube-apiserver-binary "$B/kube-apiserver" --kube-controller-manager-binary "$B/kube-controller-manager" \
      --kube-scheduler-binary "$B/kube-scheduler" --kwok-controller-binary "$B/kwok" --etcd-binary "$B/etcd"
  fi
  export KUBECONFIG="$W/kubeconfig"
  "$B/kubectl" apply -f - <<'YAML'
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations:
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/hostname: kwok-node-0
    type: kwok
spec:
  podCIDR: 127.1.0.0/16
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "1000"}
  capacity: {cpu: "32", memory: 256Gi, pods: "1000"}
YAML
  if [[ -d config/crd/bases ]]; then
    "$B/kubectl" apply --server-side -f config/crd/bases
    "$B/kubectl" wait --for condition=established --timeout=60s crd --all
  fi
  if [[ -d config/samples ]] && ls config/samples/*.yaml >/dev/null 2>&1; then
    for f in config/samples/*.yaml; do
      [[ "$(basename "$f")" == kustomization.yaml ]] || "$B/kubectl" apply --server-side -f "$f"
    done
  fi
  go build -o "$W/manager" ./cmd/manager
  nohup "$W/manager" --metrics-bind-address=0 --health-probe-bind-address=127.0.0.1:18081 > "$W/manager.log" 2>&1 &
  echo $! > "$W/manager.pid"
  echo "cluster $NAME is up; manager pid $(cat "$W/manager.pid"), log $W/manager.log"
  echo "export KUBECONFIG=$W/kubeconfig; alias kubectl=$B/kubectl"
}

down() {
  if [[ -f "$W/manager.pid" ]]; then kill "$(cat "$W/manager.pid")" 2>/dev/null || true; rm -f "$W/manager.pid"; fi
  B=$(hack/k8s-testbins.sh --print-dir)
  if [[ -x "$B/kwokctl" ]]; then "$B/kwokctl" delete cluster --name "$NAME" --kubeconfig "$W/kubeconfig" || true; fi
  rm -rf "$W"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
