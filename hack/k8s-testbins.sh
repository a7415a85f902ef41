#!/usr/bin/env bash
# Build envtest/local-cluster binaries from the Go module proxy only. Prints the bin dir on stdout.
# Usage: hack/k8s-testbins.sh [targets...]  (default: kube-apiserver etcd kubectl); --print-dir
# Existing binaries are never rebuilt: cache $K8S_BIN_DIR (default ~/.cache/k8s-testbins/...).
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.2}"   # k8s.io/kubernetes module version (no leading v)
ETCD_VERSION="${ETCD_VERSION:-3.7.3}"  # go.etcd.io/etcd/server/v3 (k8s 1.37 pins 3.7.0)
KWOK_VERSION="${KWOK_VERSION:-0.8.0}"  # sigs.k8s.io/kwok version (not in the dir name: delete kwok* on bump)
OUT="${K8S_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/k8s-testbins/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}}"

if [[ "${1:-}" == "--print-dir" ]]; then echo "$OUT"; exit 0; fi
targets=("$@"); [[ ${#targets[@]} -gt 0 ]] || targets=(kube-apiserver etcd kubectl)

export CGO_ENABLED=0 GOFLAGS="-mod=mod -trimpath" GOWORK=off
mkdir -p "$OUT"

# Throwaway module that requires k8s.io/kubernetes and pins every staging module
# (which k8s.io/kubernetes' own go.mod replaces with ./staging/src/...) to v0.<minor>.<patch>.
k8s_mod() {
  local d="$OUT/.mod-k8s"
  if [[ ! -f "$d/go.mod" ]]; then
    mkdir -p "$d.tmp"
    local gomod
    gomod=$(cd "$d.tmp" && go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" \
      | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
    local sv="v0.${K8S_VERSION#*.}"
    local gov; gov=$(awk '$1=="go"{print $2; exit}' "$gomod")
    {
      echo "module local/k8s-testbins"
      echo "go ${gov}"
      echo "require k8s.io/kubernetes v${K8S_VERSION}"
      for m in $(awk '$2=="=>" && $3 ~ /^\.\/staging\// {print $1}' "$gomod"); do
        # only staging modules k8s.io/kubernetes actually requires (skips sample-*)
        awk -v m="$m" '$1==m && $2=="v0.0.0"{f=1} END{exit !f}' "$gomod" || continue
        echo "require $m $sv"
        echo "replace $m => $m $sv"
      done
    } > "$d.tmp/go.mod"
    mv "$d.tmp" "$d"
  fi
  echo "$d"
}

etcd_mod() {
  local d="$OUT/.mod-etcd"
  if [[ ! -f "$d/go.mod" ]]; then
    mkdir -p "$d.tmp"
    local gomod
    gomod=$(cd "$d.tmp" && go mod download -json "go.etcd.io/etcd/server/v3@v${ETCD_VERSION}" \
      | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
    local gov; gov=$(awk '$1=="go"{print $2; exit}' "$gomod")
    {
      echo "module local/etcd-testbins"
      echo "go ${gov}"
      echo "require go.etcd.io/etcd/server/v3 v${ETCD_VERSION}"
      for m in $(awk '$2=="=>" && $3 ~ /^\.\.\// {print $1}' "$gomod"); do
        echo "require $m v${ETCD_VERSION}"
        echo "replace $m => $m v${ETCD_VERSION}"
      done
    } > "$d.tmp/go.mod"
    mv "$d.tmp" "$d"
  fi
  echo "$d"
}

k8s_ldflags() {
  local minor="${K8S_VERSION#*.}"; minor="${minor%%.*}"
  local f="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f+=" -X $p.gitVersion=v${K8S_VERSION} -X $p.gitMajor=${K8S_VERSION%%.*} -X $p.gitMinor=${minor}"
    f+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$f"
}

for t in "${targets[@]}"; do
  if [[ -x "$OUT/$t" ]]; then echo "cached: $OUT/$t" >&2; continue; fi
  echo "building $t -> $OUT/$t" >&2
  case "$t" in
    kube-apiserver|kube-controller-manager|kube-scheduler|kubectl)
      (cd "$(k8s_mod)" && go build -ldflags "$(k8s_ldflags)" -o "$OUT/$t.tmp" "k8s.io/kubernetes/cmd/$t") ;;
    etcd)
      (cd "$(etcd_mod)" && go build -ldflags "-s -w" -o "$OUT/$t.tmp" go.etcd.io/etcd/server/v3) ;;
    kwok|kwokctl) # no replace directives: plain go install works
      GOBIN="$OUT/.gobin" go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/$t@v${KWOK_VERSION}"
      mv "$OUT/.gobin/$t" "$OUT/$t.tmp" ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
  mv "$OUT/$t.tmp" "$OUT/$t"
done
echo "$OUT"
