# shellcheck shell=bash
# Shared by up.sh, ctl.sh, down.sh and prometheus.sh: locations, ports, and one start/stop
# function per service. Sourced, never run. See up.sh for the knobs.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/test/services"
STATE="${DRIFTWATCH_SERVICES_DIR:-$ROOT/.services}"
# Outside the repository: CI works on a fresh clone each run, the builds must survive it.
CACHE="${DRIFTWATCH_SERVICES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/driftwatch/services}"
LOGS="$STATE/logs"
RUN="$STATE/run"
DATA="$STATE/data"
KAFKA_VERSION="${DRIFTWATCH_KAFKA_VERSION:-4.4.0}"
INFLUXDB_VERSION="${DRIFTWATCH_INFLUXDB_VERSION:-v1.8.10}"
INFLUXDB2_VERSION="${DRIFTWATCH_INFLUXDB2_VERSION:-v2.7.12}"
PROMETHEUS_VERSION="${DRIFTWATCH_PROMETHEUS_VERSION:-v0.316.0}"
ALL_SERVICES="kafka influxdb influxdb2 prometheus postgres redis mlflow"
SERVICES="${DRIFTWATCH_SERVICES:-$ALL_SERVICES}"
READY_TIMEOUT="${DRIFTWATCH_READY_TIMEOUT:-120}"

HOST=127.0.0.1
KAFKA_HOST=$HOST KAFKA_PORT="${DRIFTWATCH_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${DRIFTWATCH_KAFKA_CONTROLLER_PORT:-9093}"
INFLUX_HOST=$HOST INFLUX_PORT="${DRIFTWATCH_INFLUX_PORT:-8086}"
INFLUX_RPC_PORT="${DRIFTWATCH_INFLUX_RPC_PORT:-8088}"
INFLUX_DB=driftwatch
INFLUX2_PORT="${DRIFTWATCH_INFLUX2_PORT:-8087}"
INFLUX2_ORG=driftwatch INFLUX2_BUCKET=driftwatch
POSTGRES_PORT="${DRIFTWATCH_POSTGRES_PORT:-5432}"
POSTGRES_DB=driftwatch POSTGRES_USER=driftwatch
REDIS_PORT="${DRIFTWATCH_REDIS_PORT:-6379}"
PROMETHEUS_PORT="${DRIFTWATCH_PROMETHEUS_PORT:-9090}"
PG_BIN="${DRIFTWATCH_PG_BIN:-/usr/lib/postgresql/15/bin}"

KAFKA_LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
INFLUXD_BIN="$CACHE/influxdb-$INFLUXDB_VERSION/bin/influxd"
INFLUXD2_PREFIX="$CACHE/influxdb2-$INFLUXDB2_VERSION"
INFLUXD2_BIN="$INFLUXD2_PREFIX/bin/influxd"
PROMETHEUS_PREFIX="$CACHE/prometheus-$PROMETHEUS_VERSION"
PROMETHEUS_BIN="$PROMETHEUS_PREFIX/bin/prometheus"
PROMTOOL_BIN="$PROMETHEUS_PREFIX/bin/promtool"
# MLflow: installed only (a virtual environment); each test starts its own server.
MLFLOW_PREFIX="$CACHE/mlflow-$(sha256sum "$HERE/mlflow/requirements.txt" | cut -c1-12)"
MLFLOW_BIN="$MLFLOW_PREFIX/bin/mlflow"
MLFLOW_PORT="${DRIFTWATCH_MLFLOW_PORT:-5055}"

INFLUX_URL="http://$INFLUX_HOST:$INFLUX_PORT"
INFLUX2_URL="http://$HOST:$INFLUX2_PORT"

# rustup's default location, for shells that do not source ~/.cargo/env.
if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then PATH="$PATH:$HOME/.cargo/bin"; fi

mkdir -p "$CACHE" "$LOGS" "$RUN" "$DATA"
chmod 700 "$RUN"

log() { printf '[services] %s\n' "$*" >&2; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }'; }
# fail STEP LOGFILE [MESSAGE]: name the step, show the tail of its log, exit non-zero.
fail() {
  local step="$1" logfile="${2:-}" msg="${3:-}"
  {
    echo
    echo "[services] FAILED at step: $step${msg:+ — $msg}"
    if [[ -n "$logfile" && -f "$logfile" ]]; then
      echo "[services] last 40 lines of $logfile:"
      tail -n 40 "$logfile" | sed 's/^/    /'
    fi
    echo "[services] (logs are in $LOGS)"
  } >&2
  exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || fail "prerequisites" "" "'$1' not found on PATH ($2)"; }
want() { [[ " $SERVICES " == *" $1 "* ]]; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# The marker each service's command line holds, so a recycled pid is never mistaken for it.
pid_marker() {
  case "$1" in
    kafka) echo kafka.Kafka ;;
    influxd) echo "influxd run -config" ;;
    influxd2) echo "--bolt-path" ;;
    postgres) echo postgres ;;
    redis) echo redis-server ;;
    prometheus) echo "prometheus --config.file" ;;
  esac
}
# pid_alive NAME: the process recorded in $RUN/NAME.pid still runs and is still ours.
pid_alive() {
  local pidf="$RUN/$1.pid" pid marker
  [[ -f "$pidf" ]] || return 1
  pid=$(cat "$pidf"); marker=$(pid_marker "$1")
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$marker"
}

# secret NAME: a fresh random secret in $RUN/NAME (mode 600); never printed. URL-safe.
new_secret() {
  (umask 077 && head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$RUN/$1")
}
# datadir NAME: the data directory recorded for NAME, if it still exists.
datadir_of() {
  local f="$RUN/$1.datadir" d
  [[ -f "$f" ]] || return 1
  d=$(cat "$f"); [[ -d "$d" ]] || return 1
  echo "$d"
}
remove_datadir() {
  local f="$RUN/$1.datadir"
  [[ -f "$f" ]] && rm -rf "$(cat "$f")"
  rm -f "$f"
}

# stop_service NAME GRACE [KILL]: stop the process up.sh recorded (SIGTERM, then SIGKILL after
# GRACE seconds; KILL=1 sends SIGKILL at once, a crash). Data is kept.
stop_service() {
  local name="$1" grace="$2" hard="${3:-0}" pidf="$RUN/$1.pid"
  if [[ ! -f "$pidf" ]]; then
    log "$name: not started by up.sh (no $pidf)"
    return 0
  fi
  local pid; pid=$(cat "$pidf")
  if kill -0 "$pid" 2>/dev/null && ! pid_alive "$name"; then
    log "$name: pid $pid now belongs to another program; not touching it"
  elif kill -0 "$pid" 2>/dev/null; then
    if [[ $hard == 1 ]]; then
      log "$name: killing pid $pid (SIGKILL)"
      kill -KILL "$pid" 2>/dev/null || true
    else
      log "$name: stopping pid $pid"
      kill -TERM "$pid" 2>/dev/null || true
    fi
    local deadline=$((SECONDS + grace))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null && pid_alive "$name"; then
      log "$name: still running after ${grace}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  else
    log "$name: pid $pid is not running"
  fi
  rm -f "$pidf"
}

# ---------------------------------------------------------------------------------------------
# Builds and fetches (cached in $CACHE; a present binary with a matching stamp is never rebuilt).
# Concurrent runs (CI and a developer) serialise on a lock per artefact.
# ---------------------------------------------------------------------------------------------
locked() { # locked NAME CMD...
  local lock="$CACHE/.$1.lock"; shift
  if command -v flock >/dev/null 2>&1; then
    flock "$lock" "$@"
  else
    "$@"
  fi
}

fetch_kafka() {
  local t; t=$(date +%s.%N)
  if [[ -f "$KAFKA_LIBS/.complete" ]]; then
    log "kafka $KAFKA_VERSION jars: cached ($KAFKA_LIBS)"
    return 0
  fi
  log "kafka $KAFKA_VERSION jars: fetching with Maven (log: $LOGS/mvn.log) ..."
  locked kafka-$KAFKA_VERSION bash -c '
    [[ -f "$1/.complete" ]] && exit 0
    rm -rf "$1"
    mvn -B -ntp -Dstyle.color=never -f "$2/kafka/pom.xml" dependency:copy-dependencies \
      -Dkafka.version="$3" -Dkafka.libs.dir="$1" || exit 1
    ls "$1"/kafka_2.13-*.jar >/dev/null 2>&1 || { echo "no kafka_2.13 jar in $1"; exit 1; }
    touch "$1/.complete"' _ "$KAFKA_LIBS" "$HERE" "$KAFKA_VERSION" >"$LOGS/mvn.log" 2>&1 \
    || fail "kafka: fetch jars with Maven (kafka_2.13:$KAFKA_VERSION)" "$LOGS/mvn.log"
  log "kafka $KAFKA_VERSION jars: fetched in $(elapsed "$t")"
}

build_influxd() {
  local t; t=$(date +%s.%N)
  if [[ -x "$INFLUXD_BIN" ]]; then
    log "influxd $INFLUXDB_VERSION: cached ($INFLUXD_BIN)"
    return 0
  fi
  log "influxd $INFLUXDB_VERSION: building with $(go env GOVERSION) (log: $LOGS/go-build.log; several minutes when cold) ..."
  locked influxdb-$INFLUXDB_VERSION bash -c '
    bin="$1" ver="$2" cache="$3"
    [[ -x "$bin" ]] && exit 0
    gobin="$(dirname "$(dirname "$bin")")/bin.tmp"
    rm -rf "$gobin"; mkdir -p "$gobin"
    ldflags="-X main.version=${ver#v} -X main.branch=go-install -X main.commit=none"
    # Outside the repo (its go.mod must not interfere); GOTOOLCHAIN=local: never download Go.
    export GOBIN="$gobin" GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
    if ! (cd "$cache" && go install -ldflags="$ldflags" "github.com/influxdata/influxdb/cmd/influxd@$ver"); then
      # Go >= 1.23 rejects some go:linkname pulls of old dependencies at link time.
      echo "retrying with -checklinkname=0"
      (cd "$cache" && go install -ldflags="$ldflags -checklinkname=0" "github.com/influxdata/influxdb/cmd/influxd@$ver") || exit 1
    fi
    mkdir -p "$(dirname "$bin")"
    mv "$gobin/influxd" "$bin"
    rm -rf "$gobin"' _ "$INFLUXD_BIN" "$INFLUXDB_VERSION" "$CACHE" >"$LOGS/go-build.log" 2>&1 \
    || fail "influxdb: go install influxd@$INFLUXDB_VERSION" "$LOGS/go-build.log"
  log "influxd $INFLUXDB_VERSION: built in $(elapsed "$t")"
}

build_influxd2() {
  local t; t=$(date +%s.%N)
  if bash "$HERE/influxdb2/build.sh" --check "$INFLUXD2_PREFIX" "$INFLUXDB2_VERSION"; then
    log "influxd $INFLUXDB2_VERSION: cached ($INFLUXD2_BIN)"
    return 0
  fi
  log "influxd $INFLUXDB2_VERSION: building from its Go module + libflux from crates.io (log: $LOGS/influxdb2-build.log; ~20 min when cold) ..."
  locked influxdb2-$INFLUXDB2_VERSION bash "$HERE/influxdb2/build.sh" "$INFLUXD2_PREFIX" "$INFLUXDB2_VERSION" \
    >"$LOGS/influxdb2-build.log" 2>&1 \
    || fail "influxdb2: build influxd $INFLUXDB2_VERSION (go build + libflux)" "$LOGS/influxdb2-build.log"
  log "influxd $INFLUXDB2_VERSION: built in $(elapsed "$t")"
}

build_prometheus() {
  local t; t=$(date +%s.%N)
  if bash "$HERE/prometheus/build.sh" --check "$PROMETHEUS_PREFIX" "$PROMETHEUS_VERSION"; then
    log "prometheus $PROMETHEUS_VERSION: cached ($PROMETHEUS_PREFIX/bin)"
    return 0
  fi
  log "prometheus + promtool $PROMETHEUS_VERSION: go install (log: $LOGS/prometheus-build.log; ~10 min when cold) ..."
  locked prometheus-$PROMETHEUS_VERSION bash "$HERE/prometheus/build.sh" "$PROMETHEUS_PREFIX" "$PROMETHEUS_VERSION" \
    >"$LOGS/prometheus-build.log" 2>&1 \
    || fail "prometheus: go install prometheus, promtool @$PROMETHEUS_VERSION" "$LOGS/prometheus-build.log"
  log "prometheus $PROMETHEUS_VERSION: built in $(elapsed "$t")"
}

install_mlflow() {
  local t; t=$(date +%s.%N)
  if bash "$HERE/mlflow/install.sh" --check "$MLFLOW_PREFIX"; then
    log "mlflow: cached ($MLFLOW_PREFIX)"
    return 0
  fi
  log "mlflow: pip install into $MLFLOW_PREFIX (log: $LOGS/mlflow-install.log; ~2-3 min, 850 MB) ..."
  locked mlflow bash "$HERE/mlflow/install.sh" "$MLFLOW_PREFIX" >"$LOGS/mlflow-install.log" 2>&1 \
    || fail "mlflow: pip install -r test/services/mlflow/requirements.txt" "$LOGS/mlflow-install.log"
  log "mlflow: installed in $(elapsed "$t")"
}

# PostgreSQL 15 and Redis 7 from Debian, installed only when missing. A policy-rc.d that
# answers 101 keeps the packages' maintainer scripts from starting system-wide servers on
# 5432/6379 (the ports our own throwaway servers use).
apt_install_servers() {
  local pkgs=()
  want postgres && [[ ! -x "$PG_BIN/initdb" ]] && pkgs+=(postgresql)
  want redis && ! command -v redis-server >/dev/null 2>&1 && pkgs+=(redis-server)
  ((${#pkgs[@]})) || return 0
  [[ $(id -u) -eq 0 && -z "${DRIFTWATCH_NO_APT:-}" ]] && command -v apt-get >/dev/null 2>&1 \
    || fail "prerequisites" "" "${pkgs[*]} missing and cannot apt-get install (not root, no apt-get, or DRIFTWATCH_NO_APT)"
  local t; t=$(date +%s.%N) policy=/usr/sbin/policy-rc.d ours=0
  log "installing ${pkgs[*]} with apt-get (log: $LOGS/apt-servers.log) ..."
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# driftwatch test/services: do not start services from maintainer scripts\nexit 101\n' >"$policy"
    chmod +x "$policy"; ours=1
  fi
  local rc=0
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}"; } \
    >"$LOGS/apt-servers.log" 2>&1 || rc=$?
  [[ $ours == 1 ]] && rm -f "$policy"
  [[ $rc == 0 ]] || fail "prerequisites: apt-get install ${pkgs[*]}" "$LOGS/apt-servers.log"
  log "installed ${pkgs[*]} in $(elapsed "$t")"
}

# ---------------------------------------------------------------------------------------------
# Kafka. start_kafka KEEP: KEEP=1 starts on the recorded data directory when there is one
# (no reformat: same cluster id, topics and offsets); KEEP=0 starts on a fresh one.
# ---------------------------------------------------------------------------------------------
# The probe is compiled once per Kafka version when javac exists (saves ~2 s per call).
kafka_ready() { # kafka_ready TIMEOUT [PID]
  local classes="$CACHE/kafka-$KAFKA_VERSION/probe"
  if command -v javac >/dev/null 2>&1 && [[ ! "$classes/KafkaReady.class" -nt "$HERE/kafka/KafkaReady.java" ]]; then
    mkdir -p "$classes"
    javac -nowarn -cp "$KAFKA_LIBS/*" -d "$classes" "$HERE/kafka/KafkaReady.java" >>"$LOGS/kafka-ready.log" 2>&1 \
      || rm -f "$classes/KafkaReady.class"
  fi
  if [[ -f "$classes/KafkaReady.class" ]]; then
    java -cp "$classes:$KAFKA_LIBS/*" KafkaReady "$KAFKA_HOST:$KAFKA_PORT" "$@" >>"$LOGS/kafka-ready.log" 2>&1
  else
    java -cp "$KAFKA_LIBS/*" "$HERE/kafka/KafkaReady.java" "$KAFKA_HOST:$KAFKA_PORT" "$@" >>"$LOGS/kafka-ready.log" 2>&1
  fi
}

start_kafka() {
  local keep="${1:-0}" t; t=$(date +%s.%N)
  local pidf="$RUN/kafka.pid"
  if pid_alive kafka; then
    # It may still be starting (another up.sh): give it the full ready timeout.
    if kafka_ready "$READY_TIMEOUT" "$(cat "$pidf")"; then
      log "kafka: already running (pid $(cat "$pidf")), reusing it on $KAFKA_HOST:$KAFKA_PORT"
      return 0
    fi
    fail "kafka: reuse running broker" "$LOGS/kafka.log" "pid $(cat "$pidf") is alive but does not answer metadata requests; run test/services/down.sh"
  fi
  if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    if [[ $keep == 0 ]] && kafka_ready 20; then
      log "kafka: a broker not started by this script answers on $KAFKA_HOST:$KAFKA_PORT; reusing it"
      return 0
    fi
    fail "kafka: start broker" "" "port $KAFKA_HOST:$KAFKA_PORT is taken by something this script did not start"
  fi
  port_open "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT" \
    && fail "kafka: start broker" "" "controller port $KAFKA_HOST:$KAFKA_CONTROLLER_PORT is taken"
  rm -f "$pidf"

  local datadir="" props
  if [[ $keep == 1 ]] && datadir=$(datadir_of kafka) && [[ -f "$datadir/logs/meta.properties" ]]; then
    props="$datadir/server.properties"
    echo "== restart on $datadir (cluster id $(sed -n 's/^cluster.id=//p' "$datadir/logs/meta.properties")) ==" >>"$LOGS/kafka.log"
  else
    remove_datadir kafka # stale state from a crashed run
    datadir=$(mktemp -d "$DATA/kafka.XXXXXX")
    echo "$datadir" >"$RUN/kafka.datadir"
    props="$datadir/server.properties"
    sed -e "s#@LOG_DIRS@#$datadir/logs#g" -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
      "$HERE/kafka/server.properties.template" >"$props"
    : >"$LOGS/kafka.log"
    # A random 16-byte cluster id in Kafka's base64url form.
    local cluster_id; cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    echo "== format storage (cluster id $cluster_id) ==" >>"$LOGS/kafka.log"
    java -Xmx256m -Dlog4j2.configurationFile="$HERE/kafka/log4j2.xml" -cp "$KAFKA_LIBS/*" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$props" >>"$LOGS/kafka.log" 2>&1 \
      || fail "kafka: format KRaft storage" "$LOGS/kafka.log"
  fi
  : >>"$LOGS/kafka-ready.log"

  echo "== broker ==" >>"$LOGS/kafka.log"
  # setsid + nohup: the broker outlives this script and whatever started it (vitest, npm).
  setsid nohup java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$HERE/kafka/log4j2.xml" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$props" >>"$LOGS/kafka.log" 2>&1 </dev/null &
  echo $! >"$pidf"
  log "kafka: broker $KAFKA_VERSION starting (pid $(cat "$pidf"), log: $LOGS/kafka.log)"

  if ! kafka_ready "$READY_TIMEOUT" "$(cat "$pidf")"; then
    cat "$LOGS/kafka-ready.log" >>"$LOGS/kafka.log"
    fail "kafka: wait for broker to answer metadata requests on $KAFKA_HOST:$KAFKA_PORT" "$LOGS/kafka.log"
  fi
  log "kafka: ready on $KAFKA_HOST:$KAFKA_PORT in $(elapsed "$t")"
}

# ---------------------------------------------------------------------------------------------
# InfluxDB 1.8 (auth disabled, database created).
# ---------------------------------------------------------------------------------------------
influx_ping() { [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$INFLUX_URL/ping")" == 204 ]]; }
influx_create_db() {
  local out
  out=$(curl -sS --max-time 10 -XPOST "$INFLUX_URL/query" --data-urlencode "q=CREATE DATABASE $INFLUX_DB" 2>&1) \
    || { echo "CREATE DATABASE: $out" >>"$LOGS/influxd.log"; return 1; }
  [[ "$out" != *'"error"'* ]] || { echo "CREATE DATABASE: $out" >>"$LOGS/influxd.log"; return 1; }
  out=$(curl -sS --max-time 10 -G "$INFLUX_URL/query" --data-urlencode "q=SHOW DATABASES" 2>&1) || return 1
  [[ "$out" == *"\"$INFLUX_DB\""* ]] || { echo "SHOW DATABASES: $out" >>"$LOGS/influxd.log"; return 1; }
}

start_influxdb() {
  local keep="${1:-0}" t; t=$(date +%s.%N)
  local pidf="$RUN/influxd.pid"
  if pid_alive influxd || port_open "$INFLUX_HOST" "$INFLUX_PORT"; then
    if pid_alive influxd; then # may still be starting (another up.sh)
      local deadline=$((SECONDS + READY_TIMEOUT))
      until influx_ping || ! pid_alive influxd || ((SECONDS >= deadline)); do sleep 0.2; done
    elif [[ $keep == 1 ]]; then
      fail "influxdb: start influxd" "" "port $INFLUX_HOST:$INFLUX_PORT is taken by something this script did not start"
    fi
    if influx_ping; then
      influx_create_db || fail "influxdb: create database $INFLUX_DB" "$LOGS/influxd.log"
      if pid_alive influxd; then
        log "influxdb: already running (pid $(cat "$pidf")), reusing it on $INFLUX_URL"
      else
        log "influxdb: an InfluxDB not started by this script answers on $INFLUX_URL; reusing it"
      fi
      return 0
    fi
    fail "influxdb: start influxd" "$LOGS/influxd.log" "$INFLUX_HOST:$INFLUX_PORT is taken (or influxd pid is alive) but /ping does not answer 204; run test/services/down.sh"
  fi
  port_open "$INFLUX_HOST" "$INFLUX_RPC_PORT" \
    && fail "influxdb: start influxd" "" "RPC port $INFLUX_HOST:$INFLUX_RPC_PORT is taken (DRIFTWATCH_INFLUX_RPC_PORT)"
  rm -f "$pidf"

  local datadir conf
  if [[ $keep == 1 ]] && datadir=$(datadir_of influxd); then
    echo "== restart on $datadir ==" >>"$LOGS/influxd.log"
  else
    remove_datadir influxd
    datadir=$(mktemp -d "$DATA/influxdb.XXXXXX")
    echo "$datadir" >"$RUN/influxd.datadir"
    : >"$LOGS/influxd.log"
  fi
  conf="$datadir/influxdb.conf"
  sed -e "s#@DATA_DIR@#$datadir#g" -e "s#@PORT@#$INFLUX_PORT#g" -e "s#@RPC_PORT@#$INFLUX_RPC_PORT#g" \
    "$HERE/influxdb/influxdb.conf.template" >"$conf"

  setsid nohup "$INFLUXD_BIN" run -config "$conf" >>"$LOGS/influxd.log" 2>&1 </dev/null &
  echo $! >"$pidf"
  log "influxdb: influxd $INFLUXDB_VERSION starting (pid $(cat "$pidf"), log: $LOGS/influxd.log)"

  local deadline=$((SECONDS + READY_TIMEOUT))
  until influx_ping; do
    pid_alive influxd || fail "influxdb: wait for /ping" "$LOGS/influxd.log" "influxd exited"
    ((SECONDS < deadline)) || fail "influxdb: wait for /ping" "$LOGS/influxd.log" "no 204 from $INFLUX_URL/ping after ${READY_TIMEOUT}s"
    sleep 0.2
  done
  influx_create_db || fail "influxdb: create database $INFLUX_DB" "$LOGS/influxd.log"
  log "influxdb: ready on $INFLUX_URL (database $INFLUX_DB) in $(elapsed "$t")"
}

# ---------------------------------------------------------------------------------------------
# InfluxDB 2.7: onboarded with a generated operator token ($RUN/influxdb2.token, mode 600).
# ---------------------------------------------------------------------------------------------
influx2_ping() { [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$INFLUX2_URL/ping")" == 204 ]]; }
# influx2_onboard: POST /api/v2/setup unless the instance is onboarded already.
influx2_onboard() {
  local out
  out=$(curl -sS --max-time 10 "$INFLUX2_URL/api/v2/setup" 2>&1) || { echo "GET /api/v2/setup: $out" >>"$LOGS/influxd2.log"; return 1; }
  if [[ "$out" == *'"allowed": false'* || "$out" == *'"allowed":false'* ]]; then
    [[ -s "$RUN/influxdb2.token" ]] || { echo "onboarded already, but no $RUN/influxdb2.token" >>"$LOGS/influxd2.log"; return 1; }
    return 0
  fi
  new_secret influxdb2.token
  new_secret influxdb2.password
  local code
  # The body (with the token) goes through stdin, never on a command line.
  code=$(printf '{"username":"driftwatch","password":"%s","org":"%s","bucket":"%s","token":"%s","retentionPeriodSeconds":0}' \
      "$(cat "$RUN/influxdb2.password")" "$INFLUX2_ORG" "$INFLUX2_BUCKET" "$(cat "$RUN/influxdb2.token")" \
    | curl -sS --max-time 20 -o "$RUN/influxdb2.setup.json" -w '%{http_code}' -XPOST \
        -H 'Content-Type: application/json' --data-binary @- "$INFLUX2_URL/api/v2/setup" 2>>"$LOGS/influxd2.log") || true
  if [[ "$code" != 201 ]]; then
    echo "POST /api/v2/setup answered ${code:-nothing}: $(head -c 300 "$RUN/influxdb2.setup.json" 2>/dev/null)" >>"$LOGS/influxd2.log"
    return 1
  fi
  rm -f "$RUN/influxdb2.setup.json" # it echoes the token
}

start_influxdb2() {
  local keep="${1:-0}" t; t=$(date +%s.%N)
  local pidf="$RUN/influxd2.pid"
  if pid_alive influxd2; then
    local deadline=$((SECONDS + READY_TIMEOUT))
    until influx2_ping || ! pid_alive influxd2 || ((SECONDS >= deadline)); do sleep 0.2; done
    if influx2_ping && influx2_onboard; then
      log "influxdb2: already running (pid $(cat "$pidf")), reusing it on $INFLUX2_URL"
      return 0
    fi
    fail "influxdb2: reuse running influxd" "$LOGS/influxd2.log" "pid $(cat "$pidf") is alive but not ready; run test/services/down.sh"
  fi
  port_open "$HOST" "$INFLUX2_PORT" \
    && fail "influxdb2: start influxd" "" "port $HOST:$INFLUX2_PORT is taken by something this script did not start (DRIFTWATCH_INFLUX2_PORT)"
  rm -f "$pidf"

  local datadir
  if [[ $keep == 1 ]] && datadir=$(datadir_of influxd2); then
    echo "== restart on $datadir ==" >>"$LOGS/influxd2.log"
  else
    remove_datadir influxd2
    rm -f "$RUN/influxdb2.token" "$RUN/influxdb2.password"
    datadir=$(mktemp -d "$DATA/influxdb2.XXXXXX")
    echo "$datadir" >"$RUN/influxd2.datadir"
    : >"$LOGS/influxd2.log"
  fi
  # No other listeners in 2.x; the UI is not built in.
  setsid nohup "$INFLUXD2_BIN" --bolt-path "$datadir/influxd.bolt" --engine-path "$datadir/engine" \
    --sqlite-path "$datadir/influxd.sqlite" --http-bind-address "$HOST:$INFLUX2_PORT" \
    --reporting-disabled --ui-disabled --log-level warn >>"$LOGS/influxd2.log" 2>&1 </dev/null &
  echo $! >"$pidf"
  log "influxdb2: influxd $INFLUXDB2_VERSION starting (pid $(cat "$pidf"), log: $LOGS/influxd2.log)"
  local deadline=$((SECONDS + READY_TIMEOUT))
  until influx2_ping; do
    pid_alive influxd2 || fail "influxdb2: wait for /ping" "$LOGS/influxd2.log" "influxd exited"
    ((SECONDS < deadline)) || fail "influxdb2: wait for /ping" "$LOGS/influxd2.log" "no 204 from $INFLUX2_URL/ping after ${READY_TIMEOUT}s"
    sleep 0.2
  done
  influx2_onboard || fail "influxdb2: onboard (POST /api/v2/setup, org $INFLUX2_ORG, bucket $INFLUX2_BUCKET)" "$LOGS/influxd2.log"
  log "influxdb2: ready on $INFLUX2_URL (org $INFLUX2_ORG, bucket $INFLUX2_BUCKET, token in $RUN/influxdb2.token) in $(elapsed "$t")"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL 15: run as a non-root OS user (initdb refuses root): `postgres` from the Debian
# package, else a system user `driftwatch`. Superuser `postgres` has socket access only (trust,
# socket in the data dir); role `driftwatch` (password in $RUN/postgres.password) owns database
# `driftwatch` and logs in over TCP with scram-sha-256.
# ---------------------------------------------------------------------------------------------
pg_os_user() {
  if id postgres >/dev/null 2>&1; then echo postgres; return; fi
  id driftwatch >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin driftwatch
  echo driftwatch
}
as_pg() { runuser -u "$PG_OS_USER" -- "$@"; }
pg_ready() { "$PG_BIN/pg_isready" -q -h "$HOST" -p "$POSTGRES_PORT" -t 2; }

start_postgres() {
  local keep="${1:-0}" t; t=$(date +%s.%N)
  local pidf="$RUN/postgres.pid"
  PG_OS_USER=$(pg_os_user)
  if pid_alive postgres; then
    local deadline=$((SECONDS + READY_TIMEOUT))
    until pg_ready || ! pid_alive postgres || ((SECONDS >= deadline)); do sleep 0.2; done
    if pg_ready && [[ -s "$RUN/postgres.password" ]]; then
      log "postgres: already running (pid $(cat "$pidf")), reusing it on $HOST:$POSTGRES_PORT"
      return 0
    fi
    fail "postgres: reuse running server" "$LOGS/postgres.log" "pid $(cat "$pidf") is alive but not ready; run test/services/down.sh"
  fi
  port_open "$HOST" "$POSTGRES_PORT" \
    && fail "postgres: start server" "" "port $HOST:$POSTGRES_PORT is taken by something this script did not start (DRIFTWATCH_POSTGRES_PORT)"
  rm -f "$pidf"

  local datadir fresh=0
  if [[ $keep == 1 ]] && datadir=$(datadir_of postgres) && [[ -f "$datadir/pgdata/PG_VERSION" ]]; then
    echo "== restart on $datadir ==" >>"$datadir/postgres.log"
  else
    fresh=1
    remove_datadir postgres
    # The data dir's parents must be traversable by the OS user; if the state dir is not
    # (a repository under /root), the data goes to /tmp.
    local base="$DATA"
    as_pg test -x "$DATA" 2>/dev/null || base="${TMPDIR:-/tmp}"
    datadir=$(mktemp -d "$base/driftwatch-postgres.XXXXXX")
    echo "$datadir" >"$RUN/postgres.datadir"
    chmod 755 "$datadir"
    install -d -o "$PG_OS_USER" -m 700 "$datadir/pgdata"
    install -o "$PG_OS_USER" -m 600 /dev/null "$datadir/postgres.log"
    ln -sfn "$datadir/postgres.log" "$LOGS/postgres.log"
    as_pg "$PG_BIN/initdb" -D "$datadir/pgdata" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >>"$datadir/postgres.log" 2>&1 \
      || fail "postgres: initdb" "$datadir/postgres.log"
  fi
  # pg_ctl daemonises the postmaster; setsid keeps it out of vitest's/npm's process group.
  setsid runuser -u "$PG_OS_USER" -- "$PG_BIN/pg_ctl" -D "$datadir/pgdata" -l "$datadir/postgres.log" -w -t "$READY_TIMEOUT" \
    -o "-c listen_addresses=$HOST -p $POSTGRES_PORT -k $datadir/pgdata -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >>"$datadir/postgres.log" 2>&1 </dev/null \
    || fail "postgres: pg_ctl start" "$datadir/postgres.log"
  head -n 1 "$datadir/pgdata/postmaster.pid" >"$pidf"
  log "postgres: server 15 started (pid $(cat "$pidf"), log: $LOGS/postgres.log)"
  if [[ $fresh == 1 ]]; then
    new_secret postgres.password
    # SQL through stdin: the password never appears on a command line.
    printf "CREATE ROLE %s LOGIN PASSWORD '%s';\nCREATE DATABASE %s OWNER %s;\n" \
        "$POSTGRES_USER" "$(cat "$RUN/postgres.password")" "$POSTGRES_DB" "$POSTGRES_USER" \
      | as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$datadir/pgdata" -p "$POSTGRES_PORT" -U postgres -d postgres -f - \
        >>"$datadir/postgres.log" 2>&1 \
      || fail "postgres: create role and database $POSTGRES_DB" "$datadir/postgres.log"
  fi
  pg_ready || fail "postgres: pg_isready on $HOST:$POSTGRES_PORT" "$datadir/postgres.log"
  log "postgres: ready on $HOST:$POSTGRES_PORT (database $POSTGRES_DB, user $POSTGRES_USER, password in $RUN/postgres.password) in $(elapsed "$t")"
}

stop_postgres() { # stop_postgres [KILL]
  local datadir pidf="$RUN/postgres.pid"
  if [[ ${1:-0} == 1 ]] || ! datadir=$(datadir_of postgres) || ! pid_alive postgres; then
    stop_service postgres 30 "${1:-0}"
    return
  fi
  log "postgres: stopping pid $(cat "$pidf") (pg_ctl stop -m fast)"
  runuser -u "$(pg_os_user)" -- "$PG_BIN/pg_ctl" -D "$datadir/pgdata" -m fast -w -t 30 stop >>"$datadir/postgres.log" 2>&1 \
    || stop_service postgres 10
  rm -f "$pidf"
}

# ---------------------------------------------------------------------------------------------
# Redis 7: no persistence, password in $RUN/redis.password (config file mode 600, never argv).
# ---------------------------------------------------------------------------------------------
redis_ping() {
  [[ "$(REDISCLI_AUTH="$(cat "$RUN/redis.password" 2>/dev/null)" timeout 3 redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

start_redis() {
  local keep="${1:-0}" t; t=$(date +%s.%N)
  local pidf="$RUN/redis.pid"
  if pid_alive redis; then
    local deadline=$((SECONDS + READY_TIMEOUT))
    until redis_ping || ! pid_alive redis || ((SECONDS >= deadline)); do sleep 0.2; done
    redis_ping && { log "redis: already running (pid $(cat "$pidf")), reusing it on $HOST:$REDIS_PORT"; return 0; }
    fail "redis: reuse running server" "$LOGS/redis.log" "pid $(cat "$pidf") is alive but does not answer PING; run test/services/down.sh"
  fi
  port_open "$HOST" "$REDIS_PORT" \
    && fail "redis: start server" "" "port $HOST:$REDIS_PORT is taken by something this script did not start (DRIFTWATCH_REDIS_PORT)"
  rm -f "$pidf"

  local datadir
  if [[ $keep == 1 ]] && datadir=$(datadir_of redis) && [[ -s "$RUN/redis.password" ]]; then
    echo "== restart on $datadir (no persistence: the keys are gone) ==" >>"$LOGS/redis.log"
  else
    remove_datadir redis
    datadir=$(mktemp -d "$DATA/redis.XXXXXX")
    echo "$datadir" >"$RUN/redis.datadir"
    new_secret redis.password
    : >"$LOGS/redis.log"
  fi
  (umask 077 && cat >"$datadir/redis.conf" <<EOF
bind $HOST
port $REDIS_PORT
protected-mode yes
save ""
appendonly no
dir $datadir
logfile $LOGS/redis.log
pidfile $datadir/redis.pid
daemonize no
requirepass $(cat "$RUN/redis.password")
EOF
  )
  setsid nohup redis-server "$datadir/redis.conf" >>"$LOGS/redis.log" 2>&1 </dev/null &
  echo $! >"$pidf"
  log "redis: $(redis-server --version | awk '{print $3}') starting (pid $(cat "$pidf"), log: $LOGS/redis.log)"
  local deadline=$((SECONDS + READY_TIMEOUT))
  until redis_ping; do
    pid_alive redis || fail "redis: wait for PING" "$LOGS/redis.log" "redis-server exited"
    ((SECONDS < deadline)) || fail "redis: wait for PING" "$LOGS/redis.log" "no PONG from $HOST:$REDIS_PORT after ${READY_TIMEOUT}s"
    sleep 0.1
  done
  log "redis: ready on $HOST:$REDIS_PORT (password in $RUN/redis.password) in $(elapsed "$t")"
}
