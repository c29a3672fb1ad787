#!/usr/bin/env bash
# Release checks, offline, as CI runs them: installs the pinned goreleaser from the Go
# module proxy (cached under ~/.cache/kubectl-eksiam), runs `goreleaser check`, then
# `goreleaser release --snapshot --clean`, which builds every archive into dist/.
# Prints the dist directory on stdout; everything else goes to stderr.
# The first run on a machine takes about 10 minutes on 2 cores (goreleaser itself, then
# six cross-compiled binaries); later runs reuse the Go build cache.
set -euo pipefail
cd "$(dirname "$0")/.."

GORELEASER_VERSION=v2.15.1
bin=${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-eksiam/goreleaser-$GORELEASER_VERSION
if [ ! -x "$bin/goreleaser" ]; then
  echo "== installing goreleaser $GORELEASER_VERSION from the Go module proxy" >&2
  GOBIN=$bin GOFLAGS=-mod=mod go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION" >&2
fi
echo "== goreleaser check" >&2
"$bin/goreleaser" check >&2
echo "== goreleaser release --snapshot --clean" >&2
"$bin/goreleaser" release --snapshot --clean >&2
echo "$PWD/dist"
