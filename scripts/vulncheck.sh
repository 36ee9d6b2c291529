#!/usr/bin/env bash
# govulncheck against a local, pinned copy of the Go vulnerability database.
#
# The public vulnerability server is not reachable from CI, but the database's
# source module, golang.org/x/vulndb, is served by the Go module proxy. This
# script downloads one pinned version of it, builds a v1 database from its OSV
# records (data/osv) with the module's own cmd/indexdb, and runs a pinned
# govulncheck with -db file://... over every package, tests included.
#
# Repeatable: both versions are pinned below; the tools and the database are
# cached under .cache/vulncheck (git-ignored; override with VULNCHECK_CACHE),
# keyed by version, so bumping a pin rebuilds and an unchanged pin reuses.
# Exits non-zero (govulncheck's exit status 3) when any vulnerability is
# reachable from Parley's code.
#
# The standard library is checked at the version of the Go toolchain the
# project builds with: go.mod's `toolchain` line, selected by GOTOOLCHAIN=auto
# (set here, in scripts/test.sh and in the Makefile unless GOTOOLCHAIN is
# already set in the environment). Standard-library findings are fixed by
# raising that line to a toolchain release that has the fix, never by
# filtering them out.
#
# Usage: scripts/vulncheck.sh [govulncheck flags and packages]
#        (default: -test ./... ; arguments replace the default entirely)
set -euo pipefail
cd "$(dirname "$0")/.."

export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
GO="${GO:-go}"
VULN_VERSION=v1.9.0                                  # golang.org/x/vuln (govulncheck)
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018    # golang.org/x/vulndb (database source)

CACHE="${VULNCHECK_CACHE:-$PWD/.cache/vulncheck}"
# govulncheck type-checks the standard library's source with the go/types it
# was built with, so it is built by (and cached per) the toolchain in use.
go_version=$("$GO" env GOVERSION)
VULN_BIN="$CACHE/bin/vuln@$VULN_VERSION-$go_version"
build_toolchain=local
if [[ "$go_version" =~ ^go[0-9]+(\.[0-9]+)*$ ]]; then build_toolchain="$go_version"; fi
DB="$CACHE/db/vulndb@$VULNDB_VERSION"

# The tools are built outside this module (pkg@version ignores go.mod), so they
# never touch go.mod or go.sum; -mod settings from the caller do not apply.
tool_env=(env -u GOFLAGS GOWORK=off)

if [ ! -x "$VULN_BIN/govulncheck" ]; then
  echo "vulncheck: building govulncheck $VULN_VERSION with $go_version"
  "${tool_env[@]}" GOTOOLCHAIN="$build_toolchain" GOBIN="$VULN_BIN" \
    "$GO" install "golang.org/x/vuln/cmd/govulncheck@$VULN_VERSION"
fi

if [ ! -f "$DB/index/db.json" ]; then
  echo "vulncheck: building the vulnerability database from golang.org/x/vulndb@$VULNDB_VERSION"
  mkdir -p "$CACHE/db"
  tmp=$(mktemp -d "$CACHE/db/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # indexdb is needed only to build the database: it is not kept.
  "${tool_env[@]}" GOBIN="$tmp/bin" "$GO" install "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION"
  # Downloaded from outside any module, so this module's go.sum is untouched.
  mkdir "$tmp/dl"
  src=$(cd "$tmp/dl" && "${tool_env[@]}" "$GO" mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  if [ -z "$src" ] || [ ! -d "$src/data/osv" ]; then
    echo "vulncheck: no data/osv in golang.org/x/vulndb@$VULNDB_VERSION" >&2
    exit 1
  fi
  "$tmp/bin/indexdb" -vulns "$src/data/osv" -out "$tmp/db"
  rm -rf "$DB"
  mv "$tmp/db" "$DB"   # complete databases only: an interrupted build is never reused
fi
# Databases and tools of earlier pins are of no further use.
find "$CACHE/db" -mindepth 1 -maxdepth 1 ! -name "vulndb@$VULNDB_VERSION" ! -name ".build.*" \
  -exec rm -rf {} + 2>/dev/null || true
find "$CACHE/bin" -mindepth 1 -maxdepth 1 ! -name "vuln@$VULN_VERSION-*" -exec rm -rf {} + 2>/dev/null || true

echo "vulncheck: govulncheck $VULN_VERSION, database golang.org/x/vulndb@$VULNDB_VERSION, $("$GO" version)"
if [ $# -eq 0 ]; then set -- -test ./...; fi
"$VULN_BIN/govulncheck" -db "file://$DB" "$@"
