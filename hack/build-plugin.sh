#!/usr/bin/env bash
# Builds kubectl-eksiam into the directory $1 as users get it: unpacked from an
# archive (as krew installs it), not as the Go linker leaves it. On this kind of
# kernel (ext4 with large folios), the file the linker has just written sits in the
# page cache in large folios that an executable mapping maps 2 MiB at a time, which
# adds about 35 MiB of file-backed pages to the peak RSS of every run; the same bytes
# written by tar do not (docs/benchmarks.md, "Peak RSS and how the binary was
# written"). Used by the benchmark scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=$1
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
go build -o "$stage/kubectl-eksiam" ./cmd/kubectl-eksiam
tar -cf - -C "$stage" kubectl-eksiam | tar -xf - -C "$dest"
