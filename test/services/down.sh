#!/usr/bin/env bash
# Stop every service started by test/services/up.sh (and a prometheus started by
# test/services/prometheus.sh) and remove their data and generated secrets.
# Logs ($DRIFTWATCH_SERVICES_DIR/logs) and the build cache (DRIFTWATCH_SERVICES_CACHE) are kept.
# Only processes whose pid up.sh recorded are stopped.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stop_service kafka 30 &
stop_service influxd 15 &
stop_service influxd2 15 &
stop_postgres &
stop_service redis 10 &
stop_service prometheus 10 &
wait
for name in kafka influxd influxd2 postgres redis prometheus; do remove_datadir "$name"; done
rm -f "$RUN/influxdb2.token" "$RUN/influxdb2.password" "$RUN/postgres.password" "$RUN/redis.password"
rm -f "$LOGS/postgres.log" # a symlink into the removed data dir
rmdir "$DATA" 2>/dev/null || true
log "stopped; logs kept in $LOGS"
