#!/usr/bin/env bash
# Installs what the integration tests need on a fresh machine and prints the
# folder to use as KUBEBUILDER_ASSETS (etcd + kube-apiserver [+ kube-controller-manager]).
#
#   etcd            Debian's etcd-server package (apt-get), symlinked into the assets folder
#   kube-apiserver  built from the k8s.io/kubernetes Go module (no release downloads here)
#
# Binaries are cached in ${EKSIAM_TEST_ASSETS:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-eksiam/k8s-$K8S_VERSION};
# a second run finds them and returns at once. Progress goes to stderr, the folder to stdout.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.37.2}
STAGING_VERSION=v0${K8S_VERSION#v1}   # staging modules are published as v0.<minor>.<patch>
ASSETS=${EKSIAM_TEST_ASSETS:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-eksiam/k8s-$K8S_VERSION}
WANT=${EKSIAM_TEST_BINARIES:-kube-apiserver}

log() { printf 'test-deps: %s\n' "$*" >&2; }

mkdir -p "$ASSETS"

# --- etcd ------------------------------------------------------------------
if ! command -v etcd >/dev/null 2>&1; then
  log "installing etcd-server from Debian"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq etcd-server >&2
fi
ln -sf "$(command -v etcd)" "$ASSETS/etcd"

# --- kube-apiserver (and optionally kube-controller-manager) ---------------
need=()
for b in $WANT; do [ -x "$ASSETS/$b" ] || need+=("$b"); done
if [ ${#need[@]} -gt 0 ]; then
  log "building ${need[*]} $K8S_VERSION from the Go module proxy (first time only, a few minutes on 2 cores)"
  dir=$(cd "$ASSETS" && GOWORK=off GOFLAGS= go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { log "could not download k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
  src="$ASSETS/src"
  rm -rf "$src"; cp -r "$dir" "$src"; chmod -R u+w "$src"
  rm -f "$src/go.work" "$src/go.work.sum"
  (
    cd "$src"
    # The module points its staging modules at ./staging with replace directives; those folders
    # are not in the module zip, so require the published versions instead.
    edits=()
    for m in $(sed -n 's/^[[:space:]]*\([^[:space:]]*\) => \.\/staging\/.*$/\1/p' go.mod); do
      edits+=("-dropreplace=$m" "-require=$m@$STAGING_VERSION")
    done
    [ ${#edits[@]} -gt 0 ] && go mod edit "${edits[@]}"
    for b in "${need[@]}"; do
      log "go build ./cmd/$b"
      GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
        -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION" \
        -o "$ASSETS/$b.tmp" "./cmd/$b"
      mv "$ASSETS/$b.tmp" "$ASSETS/$b"
    done
  )
  rm -rf "$src"
fi
echo "$ASSETS"
