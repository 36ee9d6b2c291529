#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need
# (redis-server from Debian's packages), then vets and tests everything, with
# the race detector on the packages that hold concurrency, and a short run of
# every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  echo "installing redis-server (Debian package) for the shared-state tests"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q redis-server >/dev/null
fi
export CI="${CI:-}"

echo "== gofmt and go vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted"; exit 1; fi
go vet ./...

echo "== go test (race detector)"
go test -race -count=1 -timeout 15m ./...

echo "== fuzz (short runs; corpus in testdata/fuzz)"
FUZZTIME="${FUZZTIME:-5s}" bash scripts/fuzz.sh
