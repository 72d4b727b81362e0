#!/usr/bin/env bash
# A throwaway Prometheus scraping given targets every second (built by up.sh into the cache):
#
#   bash test/services/prometheus.sh start HOST:PORT [HOST:PORT ...]   prints PROMETHEUS_URL=...
#   bash test/services/prometheus.sh stop                              stops it, removes its data
#
# Listens on 127.0.0.1:$DRIFTWATCH_PROMETHEUS_PORT (default 9090); metrics path /metrics, job
# `driftwatch`. A second `start` replaces the running instance (new targets, fresh TSDB).
# Tests can use test/services/prometheus.ts instead, which ties the process to the test.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROM_URL="http://$HOST:$PROMETHEUS_PORT"
cmd="${1:-}"; shift || true
case "$cmd" in
  start)
    (($#)) || { echo "usage: prometheus.sh start HOST:PORT [HOST:PORT ...]" >&2; exit 2; }
    [[ -x "$PROMETHEUS_BIN" ]] || fail "prometheus: start" "" "no $PROMETHEUS_BIN: run DRIFTWATCH_SERVICES=prometheus bash test/services/up.sh"
    stop_service prometheus 10 2>/dev/null; remove_datadir prometheus
    port_open "$HOST" "$PROMETHEUS_PORT" && fail "prometheus: start" "" "port $HOST:$PROMETHEUS_PORT is taken (DRIFTWATCH_PROMETHEUS_PORT)"
    t=$(date +%s.%N)
    datadir=$(mktemp -d "$DATA/prometheus.XXXXXX"); echo "$datadir" >"$RUN/prometheus.datadir"
    targets=$(printf "'%s', " "$@"); targets="[${targets%, }]"
    cat >"$datadir/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: driftwatch
    metrics_path: /metrics
    static_configs:
      - targets: $targets
YAML
    "$PROMTOOL_BIN" check config "$datadir/prometheus.yml" >"$LOGS/prometheus.log" 2>&1 \
      || fail "prometheus: promtool check config" "$LOGS/prometheus.log"
    setsid nohup "$PROMETHEUS_BIN" --config.file="$datadir/prometheus.yml" --storage.tsdb.path="$datadir/tsdb" \
      --web.listen-address="$HOST:$PROMETHEUS_PORT" --log.level=warn >>"$LOGS/prometheus.log" 2>&1 </dev/null &
    echo $! >"$RUN/prometheus.pid"
    deadline=$((SECONDS + READY_TIMEOUT))
    until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$PROM_URL/-/ready")" == 200 ]]; do
      pid_alive prometheus || fail "prometheus: wait for /-/ready" "$LOGS/prometheus.log" "prometheus exited"
      ((SECONDS < deadline)) || fail "prometheus: wait for /-/ready" "$LOGS/prometheus.log" "not ready after ${READY_TIMEOUT}s"
      sleep 0.2
    done
    log "prometheus: ready on $PROM_URL scraping $* every 1s (pid $(cat "$RUN/prometheus.pid")) in $(elapsed "$t")"
    echo "PROMETHEUS_URL=$PROM_URL"
    ;;
  stop) stop_service prometheus 10; remove_datadir prometheus ;;
  *) echo "usage: prometheus.sh start HOST:PORT [HOST:PORT ...] | stop" >&2; exit 2 ;;
esac
