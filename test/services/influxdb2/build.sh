#!/usr/bin/env bash
# Build influxd 2.7 from its Go module, without Docker and without GitHub:
#   Go modules from the Go module proxy, libflux's Rust crates from crates.io.
#
#   bash test/services/influxdb2/build.sh [--check] PREFIX [VERSION]
#
# Produces PREFIX/bin/influxd and PREFIX/bin/.stamp (the version and this recipe's revision);
# a PREFIX whose stamp matches is left alone (exit 0 at once). Build steps log to stdout/stderr.
#
# Why each knob (see /work/shared/services-notes.md, "InfluxDB 2.7 from source"):
# - `go install …@v2.7.12` is refused (influxdb's go.mod has a `replace`), so the module is
#   downloaded and copied somewhere writable, and built with `go build` inside it.
# - libflux (Rust) is compiled by influxdata's pkg-config wrapper, the version pinned in
#   influxdb's go.mod, first on PATH and as PKG_CONFIG.
# - flux pins Rust 1.72 in rust-toolchain.toml: RUSTUP_TOOLCHAIN=stable uses the installed one.
# - flux denies warnings and a current rustc emits new ones; RUSTFLAGS does not reach host
#   build-dependencies when a target is passed, so a RUSTC_WRAPPER appends --cap-lints warn.
# - GOTOOLCHAIN=local: never download another Go; GOFLAGS=-buildvcs=false: no git here.
set -euo pipefail

CHECK=0
[[ "${1:-}" == --check ]] && { CHECK=1; shift; } # exit 0 if built and current, else 1
PREFIX="${1:?usage: build.sh [--check] PREFIX [VERSION]}"
VERSION="${2:-v2.7.12}"
RECIPE=1 # bump when the recipe changes so cached binaries are rebuilt
STAMP="$VERSION recipe=$RECIPE tags=sqlite_foreign_keys,sqlite_json"
MODULE=github.com/influxdata/influxdb/v2

if [[ -x "$PREFIX/bin/influxd" && "$(cat "$PREFIX/bin/.stamp" 2>/dev/null)" == "$STAMP" ]]; then
  [[ $CHECK == 1 ]] || echo "influxd $VERSION: cached ($PREFIX/bin/influxd)"
  exit 0
fi
[[ $CHECK == 1 ]] && exit 1

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false RUSTUP_TOOLCHAIN=stable
step() { printf '\n=== %s [%s]\n' "$*" "$(date +%T)"; }
t0=$SECONDS

mkdir -p "$PREFIX"
SRC="$PREFIX/src" TOOLS="$PREFIX/tools"
rm -rf "$SRC" "$TOOLS" "$PREFIX/bin.tmp"
mkdir -p "$TOOLS" "$PREFIX/bin.tmp"

step "go mod download $MODULE@$VERSION"
json=$(cd "$PREFIX" && go mod download -json "$MODULE@$VERSION")
dir=$(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
[[ -n "$dir" && -f "$dir/go.mod" ]] || { echo "no module dir in: $json"; exit 1; }
cp -r "$dir" "$SRC"
chmod -R u+w "$SRC"

step "go mod download (influxdb's dependencies)"
(cd "$SRC" && go mod download)
echo "took $((SECONDS - t0))s so far"

step "build influxdata/pkg-config (version pinned in influxdb's go.mod)"
(cd "$SRC" && go build -o "$TOOLS/pkg-config" github.com/influxdata/pkg-config)
cat >"$TOOLS/rustc-wrapper" <<'EOF'
#!/bin/sh
# Cargo calls: rustc-wrapper RUSTC ARGS...; flux's #![deny(warnings)] must not fail the build
# on lints newer than its pinned Rust.
exec "$@" --cap-lints warn
EOF
chmod +x "$TOOLS/rustc-wrapper"
echo "took $((SECONDS - t0))s so far"

step "go build ./cmd/influxd (libflux via pkg-config wrapper + cargo)"
commit=$(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",*$/\1/p')
(cd "$SRC" && PATH="$TOOLS:$PATH" PKG_CONFIG="$TOOLS/pkg-config" RUSTC_WRAPPER="$TOOLS/rustc-wrapper" \
  go build -tags sqlite_foreign_keys,sqlite_json \
    -ldflags "-s -w -X main.version=${VERSION#v} -X main.commit=${commit:-none} -X main.date=1970-01-01T00:00:00Z" \
    -o "$PREFIX/bin.tmp/influxd" ./cmd/influxd)

"$PREFIX/bin.tmp/influxd" version
echo "$STAMP" >"$PREFIX/bin.tmp/.stamp"
rm -rf "$PREFIX/bin"
mv "$PREFIX/bin.tmp" "$PREFIX/bin"
# The copied source tree is not needed once the binary exists (Go's and cargo's caches keep
# what a rebuild needs).
rm -rf "$SRC"
echo "influxd $VERSION: built in $((SECONDS - t0))s"
