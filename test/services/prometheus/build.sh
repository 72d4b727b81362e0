#!/usr/bin/env bash
# Build prometheus and promtool from their Go module with `go install` (Go module proxy only).
#
#   bash test/services/prometheus/build.sh [--check] PREFIX [VERSION]
#
# Produces PREFIX/bin/{prometheus,promtool} and PREFIX/bin/.stamp; a PREFIX whose stamp matches
# is left alone. Without the `builtinassets` build tag the web UI's assets are not embedded;
# the HTTP API (/api/v1/query, /-/ready) does not need them.
set -euo pipefail

CHECK=0
[[ "${1:-}" == --check ]] && { CHECK=1; shift; } # exit 0 if built and current, else 1
PREFIX="${1:?usage: build.sh [--check] PREFIX [VERSION]}"
VERSION="${2:-v0.316.0}"
RECIPE=1 # bump when the recipe changes so cached binaries are rebuilt
STAMP="$VERSION recipe=$RECIPE"
MODULE=github.com/prometheus/prometheus

if [[ -x "$PREFIX/bin/prometheus" && -x "$PREFIX/bin/promtool" \
      && "$(cat "$PREFIX/bin/.stamp" 2>/dev/null)" == "$STAMP" ]]; then
  [[ $CHECK == 1 ]] || echo "prometheus $VERSION: cached ($PREFIX/bin)"
  exit 0
fi
[[ $CHECK == 1 ]] && exit 1

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
t0=$SECONDS
mkdir -p "$PREFIX"
rm -rf "$PREFIX/bin.tmp"
mkdir -p "$PREFIX/bin.tmp"
# Outside any module, so the repository's files cannot interfere.
for cmd in promtool prometheus; do
  printf '\n=== go install %s/cmd/%s@%s [%s]\n' "$MODULE" "$cmd" "$VERSION" "$(date +%T)"
  (cd "$PREFIX" && GOBIN="$PREFIX/bin.tmp" go install -ldflags "-s -w \
    -X github.com/prometheus/common/version.Version=${VERSION#v} \
    -X github.com/prometheus/common/version.Revision=go-install \
    -X github.com/prometheus/common/version.Branch=${VERSION}" "$MODULE/cmd/$cmd@$VERSION")
  echo "took $((SECONDS - t0))s so far"
done
"$PREFIX/bin.tmp/prometheus" --version
"$PREFIX/bin.tmp/promtool" --version
echo "$STAMP" >"$PREFIX/bin.tmp/.stamp"
rm -rf "$PREFIX/bin"
mv "$PREFIX/bin.tmp" "$PREFIX/bin"
echo "prometheus $VERSION: built in $((SECONDS - t0))s"
