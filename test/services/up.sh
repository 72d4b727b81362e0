#!/usr/bin/env bash
# Start a real single-node Kafka (KRaft) and a real InfluxDB 1.8 on the loopback interface,
# without Docker, for driftwatch's integration tests and local development.
#
#   bash test/services/up.sh          (or: npm run services:up)
#   bash test/services/down.sh        stops both and removes their data
#
# Kafka:    Apache Kafka broker jars from Maven Central (test/services/kafka/pom.xml), run with
#           the machine's Java 17+ on 127.0.0.1:9092 (controller 127.0.0.1:9093), heap 512 MiB.
# InfluxDB: influxd built from its Go module with `go install`, on 127.0.0.1:8086, database
#           `driftwatch` created.
#
# Idempotent: services that already answer are reused. Jars and the influxd binary are cached
# (see DRIFTWATCH_SERVICES_CACHE) and survive down.sh; data lives in temp dirs that down.sh removes.
#
# Environment knobs (all optional):
#   DRIFTWATCH_SERVICES_DIR    state dir (logs, pids, data)     default <repo>/.services
#   DRIFTWATCH_SERVICES_CACHE  jar/binary cache                  default $DRIFTWATCH_SERVICES_DIR/cache
#   DRIFTWATCH_KAFKA_VERSION   org.apache.kafka:kafka_2.13       default 4.4.0
#   DRIFTWATCH_INFLUXDB_VERSION github.com/influxdata/influxdb   default v1.8.10
#   DRIFTWATCH_SERVICES        which to start: "kafka influxdb"  default both
#   DRIFTWATCH_READY_TIMEOUT   seconds to wait for each service  default 120
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/test/services"
STATE="${DRIFTWATCH_SERVICES_DIR:-$ROOT/.services}"
CACHE="${DRIFTWATCH_SERVICES_CACHE:-$STATE/cache}"
LOGS="$STATE/logs"
RUN="$STATE/run"
DATA="$STATE/data"
KAFKA_VERSION="${DRIFTWATCH_KAFKA_VERSION:-4.4.0}"
INFLUXDB_VERSION="${DRIFTWATCH_INFLUXDB_VERSION:-v1.8.10}"
SERVICES="${DRIFTWATCH_SERVICES:-kafka influxdb}"
READY_TIMEOUT="${DRIFTWATCH_READY_TIMEOUT:-120}"

KAFKA_HOST=127.0.0.1 KAFKA_PORT=9092 KAFKA_CONTROLLER_PORT=9093
INFLUX_HOST=127.0.0.1 INFLUX_PORT=8086
INFLUX_DB=driftwatch

KAFKA_LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
INFLUXD_BIN="$CACHE/influxdb-$INFLUXDB_VERSION/bin/influxd"

mkdir -p "$CACHE" "$LOGS" "$RUN" "$DATA"

T0=$(date +%s.%N)
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
# pid_alive PIDFILE: the recorded process still runs and is still ours (its command line holds
# the pid file's marker: kafka.Kafka or influxd), so a recycled pid is never mistaken for it.
pid_alive() {
  [[ -f "$1" ]] || return 1
  local pid marker; pid=$(cat "$1")
  case "$(basename "$1")" in kafka.pid) marker=kafka.Kafka ;; influxd.pid) marker=influxd ;; *) marker= ;; esac
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$marker"
}
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
want() { [[ " $SERVICES " == *" $1 "* ]]; }

# Missing tools: on a Debian machine where we are root, install them from apt (the project's
# machines ship them; this covers a fresh machine of another kind). DRIFTWATCH_NO_APT=1 skips.
apt_install_missing() {
  local pkgs=() cmd pkg
  for pair in "curl:curl" "java:openjdk-17-jre-headless" "mvn:maven" "go:golang-go"; do
    cmd=${pair%%:*} pkg=${pair#*:}
    case "$cmd" in java | mvn) want kafka || continue ;; go) want influxdb || continue ;; esac
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
want influxdb && need go "influxd is built with go install"

# ---------------------------------------------------------------------------------------------
# Step 1: fetch Kafka jars (Maven) and build influxd (Go), in parallel; both cached.
# ---------------------------------------------------------------------------------------------
fetch_kafka() {
  local t; t=$(date +%s.%N)
  if [[ -f "$KAFKA_LIBS/.complete" ]]; then
    log "kafka $KAFKA_VERSION jars: cached ($KAFKA_LIBS)"
    return 0
  fi
  log "kafka $KAFKA_VERSION jars: fetching with Maven (log: $LOGS/mvn.log) ..."
  rm -rf "$KAFKA_LIBS"
  if ! mvn -B -ntp -Dstyle.color=never -f "$HERE/kafka/pom.xml" dependency:copy-dependencies \
      -Dkafka.version="$KAFKA_VERSION" -Dkafka.libs.dir="$KAFKA_LIBS" >"$LOGS/mvn.log" 2>&1; then
    fail "kafka: fetch jars with Maven (kafka_2.13:$KAFKA_VERSION)" "$LOGS/mvn.log"
  fi
  ls "$KAFKA_LIBS"/kafka_2.13-*.jar >/dev/null 2>&1 \
    || fail "kafka: fetch jars with Maven" "$LOGS/mvn.log" "no kafka_2.13 jar in $KAFKA_LIBS"
  touch "$KAFKA_LIBS/.complete"
  log "kafka $KAFKA_VERSION jars: fetched in $(elapsed "$t")"
}

build_influxd() {
  local t; t=$(date +%s.%N)
  if [[ -x "$INFLUXD_BIN" ]]; then
    log "influxd $INFLUXDB_VERSION: cached ($INFLUXD_BIN)"
    return 0
  fi
  local gobin="$CACHE/influxdb-$INFLUXDB_VERSION/bin.tmp"
  local ver="${INFLUXDB_VERSION#v}"
  log "influxd $INFLUXDB_VERSION: building with $(go env GOVERSION) (log: $LOGS/go-build.log; several minutes when cold) ..."
  rm -rf "$gobin"; mkdir -p "$gobin"
  # Build outside the repo so its (absent) go.mod does not interfere; GOTOOLCHAIN=local keeps
  # Go from trying to download another toolchain.
  local ldflags="-X main.version=$ver -X main.branch=go-install -X main.commit=none"
  if ! (cd "$CACHE" && GOBIN="$gobin" GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
        go install -ldflags="$ldflags" "github.com/influxdata/influxdb/cmd/influxd@$INFLUXDB_VERSION") \
        >"$LOGS/go-build.log" 2>&1; then
    # Go >= 1.23 rejects some go:linkname pulls of old dependencies at link time.
    if grep -q "linkname" "$LOGS/go-build.log"; then
      log "influxd: link refused go:linkname references; retrying with -checklinkname=0"
      (cd "$CACHE" && GOBIN="$gobin" GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
        go install -ldflags="$ldflags -checklinkname=0" "github.com/influxdata/influxdb/cmd/influxd@$INFLUXDB_VERSION") \
        >>"$LOGS/go-build.log" 2>&1 \
        || fail "influxdb: go install influxd@$INFLUXDB_VERSION" "$LOGS/go-build.log"
    else
      fail "influxdb: go install influxd@$INFLUXDB_VERSION" "$LOGS/go-build.log"
    fi
  fi
  mkdir -p "$(dirname "$INFLUXD_BIN")"
  mv "$gobin/influxd" "$INFLUXD_BIN"
  rm -rf "$gobin"
  log "influxd $INFLUXDB_VERSION: built in $(elapsed "$t")"
}

pids=()
want kafka && { fetch_kafka & pids+=($!); }
want influxdb && { build_influxd & pids+=($!); }
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
[[ $rc -eq 0 ]] || exit 1

# ---------------------------------------------------------------------------------------------
# Step 2: Kafka broker.
# ---------------------------------------------------------------------------------------------
# The probe is compiled once per Kafka version when javac exists (saves ~2 s per call),
# else run as a single-file source program.
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
  local t; t=$(date +%s.%N)
  local pidf="$RUN/kafka.pid"
  if pid_alive "$pidf"; then
    # It may still be starting (another up.sh): give it the full ready timeout.
    if kafka_ready "$READY_TIMEOUT" "$(cat "$pidf")"; then
      log "kafka: already running (pid $(cat "$pidf")), reusing it on $KAFKA_HOST:$KAFKA_PORT"
      return 0
    fi
    fail "kafka: reuse running broker" "$LOGS/kafka.log" "pid $(cat "$pidf") is alive but does not answer metadata requests; run test/services/down.sh"
  fi
  if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    if kafka_ready 20; then
      log "kafka: a broker not started by this script answers on $KAFKA_HOST:$KAFKA_PORT; reusing it"
      return 0
    fi
    fail "kafka: start broker" "" "port $KAFKA_HOST:$KAFKA_PORT is taken by something that is not a working Kafka broker"
  fi
  port_open "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT" \
    && fail "kafka: start broker" "" "controller port $KAFKA_HOST:$KAFKA_CONTROLLER_PORT is taken"

  # Stale state from a crashed run.
  [[ -f "$RUN/kafka.datadir" ]] && rm -rf "$(cat "$RUN/kafka.datadir")"
  rm -f "$pidf" "$RUN/kafka.datadir"

  local datadir; datadir=$(mktemp -d "$DATA/kafka.XXXXXX")
  echo "$datadir" >"$RUN/kafka.datadir"
  local props="$datadir/server.properties"
  sed -e "s#@LOG_DIRS@#$datadir/logs#g" "$HERE/kafka/server.properties.template" >"$props"

  : >"$LOGS/kafka.log"; : >"$LOGS/kafka-ready.log"
  # A random 16-byte cluster id in Kafka's base64url form.
  local cluster_id; cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  echo "== format storage (cluster id $cluster_id) ==" >>"$LOGS/kafka.log"
  java -Xmx256m -Dlog4j2.configurationFile="$HERE/kafka/log4j2.xml" -cp "$KAFKA_LIBS/*" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$props" >>"$LOGS/kafka.log" 2>&1 \
    || fail "kafka: format KRaft storage" "$LOGS/kafka.log"

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
# Step 3: InfluxDB.
# ---------------------------------------------------------------------------------------------
INFLUX_URL="http://$INFLUX_HOST:$INFLUX_PORT"
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
  local t; t=$(date +%s.%N)
  local pidf="$RUN/influxd.pid"
  if pid_alive "$pidf" || port_open "$INFLUX_HOST" "$INFLUX_PORT"; then
    if pid_alive "$pidf"; then # may still be starting (another up.sh)
      local deadline=$((SECONDS + READY_TIMEOUT))
      until influx_ping || ! pid_alive "$pidf" || ((SECONDS >= deadline)); do sleep 0.2; done
    fi
    if influx_ping; then
      influx_create_db || fail "influxdb: create database $INFLUX_DB" "$LOGS/influxd.log"
      if pid_alive "$pidf"; then
        log "influxdb: already running (pid $(cat "$pidf")), reusing it on $INFLUX_URL"
      else
        log "influxdb: an InfluxDB not started by this script answers on $INFLUX_URL; reusing it"
      fi
      return 0
    fi
    fail "influxdb: start influxd" "$LOGS/influxd.log" "$INFLUX_HOST:$INFLUX_PORT is taken (or influxd pid is alive) but /ping does not answer 204; run test/services/down.sh"
  fi

  [[ -f "$RUN/influxd.datadir" ]] && rm -rf "$(cat "$RUN/influxd.datadir")"
  rm -f "$pidf" "$RUN/influxd.datadir"

  local datadir; datadir=$(mktemp -d "$DATA/influxdb.XXXXXX")
  echo "$datadir" >"$RUN/influxd.datadir"
  local conf="$datadir/influxdb.conf"
  sed -e "s#@DATA_DIR@#$datadir#g" "$HERE/influxdb/influxdb.conf.template" >"$conf"

  : >"$LOGS/influxd.log"
  setsid nohup "$INFLUXD_BIN" run -config "$conf" >>"$LOGS/influxd.log" 2>&1 </dev/null &
  echo $! >"$pidf"
  log "influxdb: influxd $INFLUXDB_VERSION starting (pid $(cat "$pidf"), log: $LOGS/influxd.log)"

  local deadline=$((SECONDS + READY_TIMEOUT))
  until influx_ping; do
    pid_alive "$pidf" || fail "influxdb: wait for /ping" "$LOGS/influxd.log" "influxd exited"
    ((SECONDS < deadline)) || fail "influxdb: wait for /ping" "$LOGS/influxd.log" "no 204 from $INFLUX_URL/ping after ${READY_TIMEOUT}s"
    sleep 0.2
  done
  influx_create_db || fail "influxdb: create database $INFLUX_DB" "$LOGS/influxd.log"
  log "influxdb: ready on $INFLUX_URL (database $INFLUX_DB) in $(elapsed "$t")"
}

# Start both, wait for both (the broker's JVM start and influxd's start overlap).
pids=()
want kafka && { start_kafka & pids+=($!); }
want influxdb && { start_influxdb & pids+=($!); }
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
[[ $rc -eq 0 ]] || exit 1

log "all up in $(elapsed "$T0")"
cat <<EOF
KAFKA_BROKERS=$KAFKA_HOST:$KAFKA_PORT
INFLUX_URL=$INFLUX_URL
INFLUX_TOKEN=driftwatch:driftwatch
INFLUX_ORG=driftwatch
INFLUX_BUCKET=$INFLUX_DB/autogen
EOF
