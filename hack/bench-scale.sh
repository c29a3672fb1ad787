#!/usr/bin/env bash
# Times `kubectl eksiam who-can` (with -scenario audit, the whole `audit` beside
# `who-can -A`; with -scenario harden, `sa harden` on many
# service accounts) end to end against a real kube-apiserver seeded with
# about 500 namespaces x (20 Roles + 20 RoleBindings) and 1,000 ClusterRoleBindings,
# beside the bare cost of the same four `kubectl get --raw` collections.
# Prints a Markdown report (see docs/benchmarks.md). Flags go to hack/bench-scale.
set -euo pipefail
cd "$(dirname "$0")/.."
KUBEBUILDER_ASSETS=$(./hack/test-deps.sh)
export KUBEBUILDER_ASSETS
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
./hack/build-plugin.sh "$bin"
go run ./hack/bench-scale -bin "$bin" "$@"
