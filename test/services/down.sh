#!/usr/bin/env bash
# Stop the Kafka broker and influxd started by test/services/up.sh and remove their data.
# Logs (.services/logs) and the jar/binary cache (.services/cache) are kept.
# Only processes whose pid this script's up.sh recorded are stopped.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${DRIFTWATCH_SERVICES_DIR:-$ROOT/.services}"
RUN="$STATE/run"

log() { printf '[services] %s\n' "$*" >&2; }

stop() { # stop NAME GRACE_SECONDS
  local name="$1" grace="$2" pidf="$RUN/$1.pid"
  if [[ -f "$pidf" ]]; then
    local pid; pid=$(cat "$pidf")
    local marker; case "$name" in kafka) marker=kafka.Kafka ;; *) marker=influxd ;; esac
    if kill -0 "$pid" 2>/dev/null && ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$marker"; then
      log "$name: pid $pid now belongs to another program; not touching it"
    elif kill -0 "$pid" 2>/dev/null; then
      log "$name: stopping pid $pid"
      kill -TERM "$pid" 2>/dev/null || true
      local deadline=$((SECONDS + grace))
      while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
      local marker; case "$name" in kafka) marker=kafka.Kafka ;; *) marker=influxd ;; esac
    if kill -0 "$pid" 2>/dev/null && ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$marker"; then
      log "$name: pid $pid now belongs to another program; not touching it"
    elif kill -0 "$pid" 2>/dev/null; then
        log "$name: still running after ${grace}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
      fi
    else
      log "$name: pid $pid is not running"
    fi
    rm -f "$pidf"
  else
    log "$name: not started by up.sh (no $pidf)"
  fi
  if [[ -f "$RUN/$name.datadir" ]]; then
    rm -rf "$(cat "$RUN/$name.datadir")"
    rm -f "$RUN/$name.datadir"
  fi
}

stop kafka 30
stop influxd 15
rmdir "$STATE/data" 2>/dev/null || true
log "stopped; logs kept in $STATE/logs"
