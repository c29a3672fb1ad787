#!/usr/bin/env bash
# Hygiene checks, as CI runs them: go mod tidy leaves no diff, gofmt, go vet,
# staticcheck (pinned, from the Go module proxy).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go mod tidy leaves no diff"
go mod tidy
git diff --exit-code -- go.mod go.sum

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted"; exit 1; fi

echo "== go vet"
go vet ./...

echo "== staticcheck (pinned)"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
