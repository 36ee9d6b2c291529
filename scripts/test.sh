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
# The Go toolchain is go.mod's `toolchain` line (GOTOOLCHAIN=auto fetches it
# through the module proxy) unless the environment names one.
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

echo "== gofmt and go vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted"; exit 1; fi
go vet ./...

echo "== govulncheck (pinned local database; see scripts/vulncheck.sh)"
bash scripts/vulncheck.sh

echo "== go test (race detector)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
go test -race -count=1 -timeout 15m -v ./... >"$log" 2>&1 || status=$?
# Package lines and failures here; the verbose log only when something failed.
grep -E '^(ok|FAIL|panic:)|^\s*--- FAIL' "$log" || true
if [ "$status" -ne 0 ]; then
  echo "== failing output"
  grep -vE '^\s*(=== (RUN|PAUSE|CONT)|--- PASS|PASS$)' "$log" | tail -200
fi
passed=$(grep -cE '^\s*--- PASS' "$log" || true)
failed=$(grep -cE '^\s*--- FAIL' "$log" || true)
summary="tests: $passed passed, $failed failed"
if [ "$status" -ne 0 ]; then echo "$summary"; exit "$status"; fi

echo "== fuzz (short runs; corpus in testdata/fuzz)"
FUZZTIME="${FUZZTIME:-5s}" bash scripts/fuzz.sh

echo "$summary"
