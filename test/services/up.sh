#!/usr/bin/env bash
# Start real services on the loopback interface, without Docker, for driftwatch's integration
# tests and local development:
#
#   bash test/services/up.sh          (or: npm run services:up)
#   bash test/services/ctl.sh stop|start|kill|status NAME   one service, keeping its data
#   bash test/services/down.sh        stops all and removes their data
#
# Kafka       Apache Kafka broker jars from Maven Central (test/services/kafka/pom.xml), run with
#             the machine's Java 17+ on 127.0.0.1:9092 (controller 9093), heap 512 MiB.
# influxdb    InfluxDB 1.8, influxd built with `go install`, on 127.0.0.1:8086, auth disabled,
#             database `driftwatch`.
# influxdb2   InfluxDB 2.7, built from its Go module + libflux from crates.io
#             (test/services/influxdb2/build.sh), on 127.0.0.1:8087, onboarded with org and
#             bucket `driftwatch` and a generated operator token.
# prometheus  prometheus + promtool built with `go install` (test/services/prometheus/build.sh).
#             Only built here: test/services/prometheus.sh (or prometheus.ts) starts an instance
#             scraping a given target, on 127.0.0.1:9090 by default.
# postgres    PostgreSQL 15 (Debian package, installed when missing) on 127.0.0.1:5432, database
#             `driftwatch` owned by user `driftwatch` with a generated password.
# redis       Redis 7 (Debian package, installed when missing) on 127.0.0.1:6379, no
#             persistence, a generated `requirepass` password.
# mlflow      an MLflow tracking server (pip, test/services/mlflow/requirements.txt) in its own
#             virtual environment in the cache. Only installed here: test/services/mlflow.ts starts
#             a throwaway server (SQLite store) on 127.0.0.1:5055 by default.
#
# Generated secrets live in $DRIFTWATCH_SERVICES_DIR/run (mode 600) and are never printed:
# influxdb2.token, postgres.password, redis.password. stdout gets KEY=VALUE lines naming them.
#
# Idempotent: services this script started and that still answer are reused. Jars and binaries
# are cached outside the repository (DRIFTWATCH_SERVICES_CACHE) and survive down.sh and fresh
# clones; a cached build is checked by presence and version stamp and never redone.
#
# Environment knobs (all optional):
#   DRIFTWATCH_SERVICES_DIR     state dir (logs, run, data)   default <repo>/.services
#   DRIFTWATCH_SERVICES_CACHE   jar/binary cache              default ${XDG_CACHE_HOME:-~/.cache}/driftwatch/services
#   DRIFTWATCH_SERVICES         which to start                default "kafka influxdb influxdb2 prometheus postgres redis"
#   DRIFTWATCH_READY_TIMEOUT    seconds to wait for each one  default 120
#   DRIFTWATCH_KAFKA_VERSION    org.apache.kafka:kafka_2.13   default 4.4.0
#   DRIFTWATCH_INFLUXDB_VERSION / DRIFTWATCH_INFLUXDB2_VERSION / DRIFTWATCH_PROMETHEUS_VERSION
#                               default v1.8.10 / v2.7.12 / v0.316.0
#   Ports: DRIFTWATCH_KAFKA_PORT (9092), DRIFTWATCH_KAFKA_CONTROLLER_PORT (9093),
#          DRIFTWATCH_INFLUX_PORT (8086), DRIFTWATCH_INFLUX_RPC_PORT (8088),
#          DRIFTWATCH_INFLUX2_PORT (8087), DRIFTWATCH_POSTGRES_PORT (5432),
#          DRIFTWATCH_REDIS_PORT (6379), DRIFTWATCH_PROMETHEUS_PORT (9090)
#   DRIFTWATCH_NO_APT=1         never apt-get install
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$(date +%s.%N)
TIMINGS="$RUN/timings.$$"
: >"$TIMINGS"
trap 'rm -f "$TIMINGS"' EXIT
# timed LABEL CMD...: run CMD, record how long it took (shown in the summary at the end).
timed() {
  local label="$1" t; shift; t=$(date +%s.%N)
  "$@"
  printf '%-24s %s\n' "$label" "$(elapsed "$t")" >>"$TIMINGS"
}
for s in $SERVICES; do
  [[ " $ALL_SERVICES " == *" $s "* ]] || fail "arguments" "" "unknown service '$s' in DRIFTWATCH_SERVICES (known: $ALL_SERVICES)"
done

# Missing tools: on a Debian machine where we are root, install them from apt (the project's
# machines ship them; this covers a fresh machine of another kind). DRIFTWATCH_NO_APT=1 skips.
apt_install_missing() {
  local pkgs=() cmd pkg
  for pair in "curl:curl" "java:openjdk-17-jre-headless" "mvn:maven" "go:golang-go"; do
    cmd=${pair%%:*} pkg=${pair#*:}
    case "$cmd" in
      java | mvn) want kafka || continue ;;
      go) want influxdb || want influxdb2 || want prometheus || continue ;;
    esac
    command -v "$cmd" >/dev/null 2>&1 || pkgs+=("$pkg")
  done
  ((${#pkgs[@]})) || return 0
  if [[ $(id -u) -eq 0 && -z "${DRIFTWATCH_NO_APT:-}" ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing missing tools with apt-get: ${pkgs[*]} (log: $LOGS/apt.log)"
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}"; } \
      >"$LOGS/apt.log" 2>&1 || fail "prerequisites: apt-get install ${pkgs[*]}" "$LOGS/apt.log"
  fi
}
apt_install_missing

need curl "used to probe InfluxDB"
if want kafka; then
  need java "Kafka needs Java 17+"
  need mvn "Maven fetches the Kafka jars"
  java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ { print $2 }')
  [[ "${java_major%%.*}" -ge 17 ]] 2>/dev/null || fail "prerequisites" "" "Kafka needs Java 17+, found '${java_major:-?}'"
fi
{ want influxdb || want prometheus; } && need go "influxd and prometheus are built with go install"
if want influxdb2; then
  need go "influxd 2.7 is built with go build"
  need cargo "libflux (InfluxDB 2.7's Flux engine) is built with cargo"
fi
want mlflow && need python3 "the MLflow tracking server runs on Python 3.10+"

# ---------------------------------------------------------------------------------------------
# Step 1: fetch and build, in parallel; all cached. The Debian packages install meanwhile.
# ---------------------------------------------------------------------------------------------
pids=()
{ want postgres || want redis; } && { timed 'apt (postgres, redis)' apt_install_servers & pids+=($!); }
want kafka && { timed 'kafka: jars' fetch_kafka & pids+=($!); }
want influxdb && { timed 'influxdb: build' build_influxd & pids+=($!); }
want influxdb2 && { timed 'influxdb2: build' build_influxd2 & pids+=($!); }
want prometheus && { timed 'prometheus: build' build_prometheus & pids+=($!); }
want mlflow && { timed 'mlflow: pip install' install_mlflow & pids+=($!); }
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
[[ $rc -eq 0 ]] || exit 1
want postgres && [[ ! -x "$PG_BIN/initdb" ]] && fail "prerequisites" "" "no $PG_BIN/initdb (DRIFTWATCH_PG_BIN)"
want redis && need redis-server "Debian package redis-server"
want redis && need redis-cli "Debian package redis-tools"
want postgres && need runuser "util-linux; PostgreSQL runs as a non-root user"

# ---------------------------------------------------------------------------------------------
# Step 2: start them, in parallel (fresh data unless this script's instance is still running).
# ---------------------------------------------------------------------------------------------
pids=()
want kafka && { timed 'kafka: start' start_kafka 0 & pids+=($!); }
want influxdb && { timed 'influxdb: start' start_influxdb 0 & pids+=($!); }
want influxdb2 && { timed 'influxdb2: start' start_influxdb2 0 & pids+=($!); }
want postgres && { timed 'postgres: start' start_postgres 0 & pids+=($!); }
want redis && { timed 'redis: start' start_redis 0 & pids+=($!); }
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
[[ $rc -eq 0 ]] || exit 1

log "all up in $(elapsed "$T0") ($SERVICES); time per step (builds and starts ran in parallel):"
sed 's/^/[services]   /' "$TIMINGS" >&2
# Coordinates for test/setup/global-setup.ts and humans. Secrets are named by file only.
if want kafka; then
  echo "KAFKA_BROKERS=$KAFKA_HOST:$KAFKA_PORT"
fi
if want influxdb; then
  cat <<EOF
INFLUX_URL=$INFLUX_URL
INFLUX_TOKEN=driftwatch:driftwatch
INFLUX_ORG=driftwatch
INFLUX_BUCKET=$INFLUX_DB/autogen
EOF
fi
if want influxdb2; then
  cat <<EOF
INFLUX2_URL=$INFLUX2_URL
INFLUX2_TOKEN_FILE=$RUN/influxdb2.token
INFLUX2_ORG=$INFLUX2_ORG
INFLUX2_BUCKET=$INFLUX2_BUCKET
EOF
fi
if want postgres; then
  cat <<EOF
PG_HOST=$HOST
PG_PORT=$POSTGRES_PORT
PG_DATABASE=$POSTGRES_DB
PG_USER=$POSTGRES_USER
PG_PASSWORD_FILE=$RUN/postgres.password
EOF
fi
if want redis; then
  cat <<EOF
REDIS_HOST=$HOST
REDIS_PORT=$REDIS_PORT
REDIS_PASSWORD_FILE=$RUN/redis.password
EOF
fi
if want prometheus; then
  cat <<EOF
PROMETHEUS_BINARY=$PROMETHEUS_BIN
PROMTOOL_BINARY=$PROMTOOL_BIN
PROMETHEUS_PORT=$PROMETHEUS_PORT
EOF
fi
if want mlflow; then
  cat <<EOF
MLFLOW_BINARY=$MLFLOW_BIN
MLFLOW_PORT=$MLFLOW_PORT
EOF
fi
