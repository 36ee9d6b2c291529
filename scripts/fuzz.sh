#!/usr/bin/env bash
# Runs each fuzz target for FUZZTIME (default 5s). go test -fuzz takes one
# target in one package at a time, so they are listed here.
set -euo pipefail
cd "$(dirname "$0")/.."
t="${FUZZTIME:-5s}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "fuzz $pkg $target ($t)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" "$pkg" >"$log" 2>&1 || { cat "$log"; exit 1; }
  done
done
