#!/usr/bin/env bash
# One service at a time, for fault tests (issue 16) and development:
#
#   bash test/services/ctl.sh stop   NAME   SIGTERM (postgres: pg_ctl stop -m fast); data kept
#   bash test/services/ctl.sh kill   NAME   SIGKILL, a crash; data kept
#   bash test/services/ctl.sh start  NAME   start again ON ITS EXISTING DATA DIRECTORY (Kafka is not
#                                           reformatted: same cluster id, topics, offsets; InfluxDB
#                                           keeps its token and points; PostgreSQL its tables and
#                                           password; Redis its password and port, not its keys,
#                                           since it runs without persistence). Without a recorded
#                                           data dir it starts fresh, as up.sh does.
#   bash test/services/ctl.sh restart NAME  stop + start
#   bash test/services/ctl.sh status [NAME] running / stopped, pid, data dir
#
# NAME: kafka, influxdb, influxdb2, postgres, redis. Builds must exist (run up.sh first).
# Same knobs as up.sh (DRIFTWATCH_SERVICES_DIR, ports, ...).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { echo "usage: ctl.sh stop|kill|start|restart|status NAME (kafka influxdb influxdb2 postgres redis)" >&2; exit 2; }
cmd="${1:-}" name="${2:-}"
[[ -n $cmd ]] || usage
pidname() { case "$1" in influxdb) echo influxd ;; influxdb2) echo influxd2 ;; *) echo "$1" ;; esac; }

do_stop() { # do_stop NAME KILL
  case "$1" in
    kafka) stop_service kafka 30 "$2" ;;
    influxdb) stop_service influxd 15 "$2" ;;
    influxdb2) stop_service influxd2 15 "$2" ;;
    postgres) stop_postgres "$2" ;;
    redis) stop_service redis 10 "$2" ;;
    *) usage ;;
  esac
}
do_start() {
  case "$1" in
    kafka) start_kafka 1 ;;
    influxdb) start_influxdb 1 ;;
    influxdb2) start_influxdb2 1 ;;
    postgres) start_postgres 1 ;;
    redis) start_redis 1 ;;
    *) usage ;;
  esac
}

case "$cmd" in
  stop) [[ -n $name ]] || usage; do_stop "$name" 0 ;;
  kill) [[ -n $name ]] || usage; do_stop "$name" 1 ;;
  start) [[ -n $name ]] || usage; do_start "$name" ;;
  restart) [[ -n $name ]] || usage; do_stop "$name" 0; do_start "$name" ;;
  status)
    for s in ${name:-kafka influxdb influxdb2 postgres redis}; do
      p=$(pidname "$s") d=$(datadir_of "$p" 2>/dev/null || echo -)
      if pid_alive "$p"; then echo "$s running pid=$(cat "$RUN/$p.pid") data=$d"; else echo "$s stopped data=$d"; fi
    done ;;
  *) usage ;;
esac
