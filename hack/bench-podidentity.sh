#!/usr/bin/env bash
# Times `kubectl eksiam pod-identity` end to end against a real kube-apiserver seeded
# with 2,000 service accounts and 10,000 pods, and local EKS, IAM and EC2 APIs.
# Prints a Markdown report (see docs/benchmarks.md). Flags go to hack/bench-podidentity.
set -euo pipefail
cd "$(dirname "$0")/.."
KUBEBUILDER_ASSETS=$(./hack/test-deps.sh)
export KUBEBUILDER_ASSETS
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
./hack/build-plugin.sh "$bin"
go run ./hack/bench-podidentity -bin "$bin" "$@"
