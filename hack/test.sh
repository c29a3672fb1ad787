#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs and caches the control plane binaries
# (etcd from Debian, kube-apiserver built from the Go module proxy) and goreleaser,
# builds the host's snapshot release archive (hack/release.sh --host; the six-target
# snapshot is hack/release.sh without arguments), then runs every
# test with the race detector, verbosely (the tests log their counts), and ends with a
# count of passed and failed tests. Extra arguments go to `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBEBUILDER_ASSETS=$(./hack/test-deps.sh)
export KUBEBUILDER_ASSETS
# The host's release archive, for the krew manifest and install tests (test/release).
# A dist/ built beforehand (CI builds all six targets) is used as it is.
EKSIAM_DIST=${EKSIAM_DIST:-$(./hack/release.sh --host)}
export EKSIAM_DIST
# The suite stops every control plane it starts; should a test binary be killed
# (timeout, ^C), stop what it left behind too.
trap 'pkill -f "^$KUBEBUILDER_ASSETS/(etcd|kube-apiserver|kube-controller-manager) " 2>/dev/null || true' EXIT

echo "== go test -race (KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS)"
log=$(mktemp)
status=0
go test -race -count=1 -v "$@" ./... 2>&1 | tee "$log" | grep -Ev '^=== (RUN|PAUSE|CONT|NAME)' || status=$?
passed=$(grep -cE '^\s*--- PASS' "$log" || true)
failed=$(grep -cE '^\s*--- FAIL' "$log" || true)
skipped=$(grep -cE '^\s*--- SKIP' "$log" || true)
rm -f "$log"
echo "== tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  echo "== FAIL"
  exit 1
fi
echo "== PASS"
