#!/usr/bin/env bash
# Release checks, offline: installs the pinned goreleaser from the Go module proxy
# (cached under ~/.cache/kubectl-eksiam), runs `goreleaser check`, then
# `goreleaser release --snapshot --clean`, which builds the archives into dist/.
# Prints the dist directory on stdout; everything else goes to stderr.
#
#   hack/release.sh          every target of .goreleaser.yml (six archives: linux,
#                            darwin, windows x amd64, arm64), as a release builds them
#   hack/release.sh --host   only this machine's GOOS/GOARCH (what the test suite
#                            needs for the krew manifest and install tests)
#
# The first full run on a machine takes about 10 minutes on 2 cores (goreleaser
# itself, then six cross-compiled binaries); later runs reuse the Go build cache.
set -euo pipefail
cd "$(dirname "$0")/.."

config=.goreleaser.yml
case "${1:-}" in
  --host)
    # The same configuration, restricted to the host's target.
    config=$(mktemp --suffix=.yml)
    trap 'rm -f "$config"' EXIT
    sed -e "s/^\(    goos:\).*/\1 [$(go env GOOS)]/" -e "s/^\(    goarch:\).*/\1 [$(go env GOARCH)]/" .goreleaser.yml > "$config"
    grep -q "goos: \[$(go env GOOS)\]" "$config" && grep -q "goarch: \[$(go env GOARCH)\]" "$config" ||
      { echo "hack/release.sh: could not restrict .goreleaser.yml to the host target" >&2; exit 1; }
    ;;
  "") ;;
  *) echo "usage: hack/release.sh [--host]" >&2; exit 2 ;;
esac

GORELEASER_VERSION=v2.15.1
bin=${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-eksiam/goreleaser-$GORELEASER_VERSION
if [ ! -x "$bin/goreleaser" ]; then
  echo "== installing goreleaser $GORELEASER_VERSION from the Go module proxy" >&2
  GOBIN=$bin GOFLAGS=-mod=mod go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION" >&2
fi
echo "== goreleaser check" >&2
"$bin/goreleaser" check -f "$config" >&2
echo "== goreleaser release --snapshot --clean ($config)" >&2
"$bin/goreleaser" release --snapshot --clean -f "$config" >&2
echo "$PWD/dist"
