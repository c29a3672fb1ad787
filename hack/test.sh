#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs and caches the control plane binaries
# (etcd from Debian, kube-apiserver built from the Go module proxy), then runs every
# test with the race detector. Extra arguments go to `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBEBUILDER_ASSETS=$(./hack/test-deps.sh)
export KUBEBUILDER_ASSETS

echo "== go test (KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS)"
go test -race -count=1 "$@" ./...
