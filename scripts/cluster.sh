#!/usr/bin/env bash
# A local Orleans.Kafka cluster on 127.0.0.1: PostgreSQL (membership + grain state), N silos, M gateways.
#
#   scripts/cluster.sh up [SILOS] [GATEWAYS]   start (defaults: 3 silos, 2 gateways)
#   scripts/cluster.sh status                  processes, pids, ports
#   scripts/cluster.sh add-silo                one more silo (next node.id, ports and log.dirs)
#   scripts/cluster.sh remove-silo N           stop silo N gracefully (it leaves the cluster)
#   scripts/cluster.sh down [--purge]          stop everything (and PostgreSQL if this script started it);
#                                              --purge also deletes the state folder (database, partition logs)
#
# PostgreSQL: the one named by DATABASE_URL (postgres://user:password@host:port/database), else one this script starts
# from the machine's PostgreSQL binaries (/usr/lib/postgresql/*/bin; Debian: apt-get install postgresql) with its data
# under the state folder. Everything lives in scripts/.cluster/ (gitignored): pg/ (database), data/silo-N/ (each silo's
# own log.dirs), logs/*.log (one log per process), processes.tsv (what status and down read).
# Ports: silo i (1-based) listens for Kafka on KAFKA_BASE+i-1 (9092...), Orleans silo port SILO_BASE+i-1 (11111...),
# Orleans gateway port ORLEANS_GATEWAY_BASE+i-1 (30000...); gateway j on GATEWAY_KAFKA_BASE+j-1 (9192...).
# CLUSTER_NO_BUILD=1 skips the build and runs the Silo executable already in Silo/bin/Release.
# Every process gets the same ClusterId, ServiceId, database and Kafka cluster.id (see README "Cluster mode").
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd)
STATE="$REPO/scripts/.cluster"
LOGS="$STATE/logs"
PROCS="$STATE/processes.tsv"
PG_DIR="$STATE/pg"
DLL="$REPO/Silo/bin/Release/net10.0/Orleans.Kafka.Silo.dll"

KAFKA_BASE=${KAFKA_BASE:-9092}
GATEWAY_KAFKA_BASE=${GATEWAY_KAFKA_BASE:-9192}
SILO_BASE=${SILO_BASE:-11111}
ORLEANS_GATEWAY_BASE=${ORLEANS_GATEWAY_BASE:-30000}
PG_PORT=${PG_PORT:-55432}
CLUSTER_ID=${CLUSTER_ID:-orleans-kafka}
SERVICE_ID=${SERVICE_ID:-orleans-kafka}
KAFKA_CLUSTER_ID=${KAFKA_CLUSTER_ID:-orleans-kafka}
START_TIMEOUT=${START_TIMEOUT:-120}

log() { printf '==> %s\n' "$*"; }
die() { printf 'cluster.sh: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { kill -0 "$1" 2>/dev/null; }

pg_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
  die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (Debian: apt-get install -y postgresql), or set DATABASE_URL"
}

# PostgreSQL refuses to run as root: as root the server runs as the postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
  local bin; bin=$(pg_bin)
  mkdir -p "$PG_DIR/socket"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$PG_DIR"
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    log "initdb $PG_DIR/data"
    as_pg "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 >"$LOGS/initdb.log" 2>&1 || { cat "$LOGS/initdb.log"; die "initdb failed"; }
  fi
  port_open "$PG_PORT" && die "port $PG_PORT (PG_PORT) is in use"
  log "PostgreSQL on 127.0.0.1:$PG_PORT (log: $LOGS/postgres.log)"
  touch "$LOGS/postgres.log"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$LOGS/postgres.log"
  as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$LOGS/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_DIR/socket -c listen_addresses=127.0.0.1" start >/dev/null
  echo "$PG_PORT" >"$PG_DIR/started"
  if ! as_pg "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname='okafka'" postgres | grep -q 1; then
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres okafka
  fi
}

stop_postgres() {
  [ -f "$PG_DIR/started" ] || return 0
  local bin; bin=$(pg_bin)
  log "stopping PostgreSQL"
  as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null || true
  rm -f "$PG_DIR/started"
}

# Starts one process in its own session (it outlives this script), records it, returns at once.
spawn() { # kind id kafka_port silo_port orleans_gateway_port args...
  local kind=$1 id=$2 kport=$3 sport=$4 gport=$5; shift 5
  local logfile="$LOGS/$kind-$id.log"
  setsid nohup dotnet "$DLL" "$@" >"$logfile" 2>&1 </dev/null &
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$id" "$!" "$kport" "$sport" "$gport" >>"$PROCS"
}

wait_listening() { # pid port logfile
  local deadline=$((SECONDS + START_TIMEOUT))
  until port_open "$2"; do
    alive "$1" || { tail -n 40 "$3" >&2; die "process $1 exited before listening on $2 (log: $3)"; }
    [ $SECONDS -lt $deadline ] || { tail -n 40 "$3" >&2; die "nothing listens on $2 after ${START_TIMEOUT}s (log: $3)"; }
    sleep 0.5
  done
}

# The settings every process of the cluster shares (README "Cluster mode": what must match).
common_args() {
  COMMON=(
    --Orleans:ClusteringMode=postgres
    "--Orleans:ConnectionString=$(cat "$STATE/connection")"
    "--Orleans:ClusterId=$CLUSTER_ID"
    "--Orleans:ServiceId=$SERVICE_ID"
    --Orleans:AdvertisedIPAddress=127.0.0.1
    "--Kafka:cluster.id=$KAFKA_CLUSTER_ID"
  )
}

# Silo i: its own node.id, ports and log.dirs; the shared settings otherwise.
start_silo() {
  local i=$1 kport=$((KAFKA_BASE + $1 - 1)) sport=$((SILO_BASE + $1 - 1)) gport=$((ORLEANS_GATEWAY_BASE + $1 - 1)) p
  for p in "$kport" "$sport" "$gport"; do port_open "$p" && die "port $p is in use"; done
  mkdir -p "$STATE/data/silo-$i"
  common_args
  spawn silo "$i" "$kport" "$sport" "$gport" "${COMMON[@]}" \
    "--Orleans:SiloPort=$sport" "--Orleans:GatewayPort=$gport" \
    "--Kafka:node.id=$i" "--Kafka:listener.port=$kport" "--Kafka:log.dirs=$STATE/data/silo-$i"
}

cmd_add_silo() {
  [ -s "$PROCS" ] && [ -f "$STATE/connection" ] || die "no cluster (scripts/cluster.sh up)"
  local i; i=$(awk -F'\t' '$1=="silo" && $2>m {m=$2} END {print m+1}' "$PROCS")
  start_silo "$i"
  wait_listening "$(tail -n 1 "$PROCS" | cut -f3)" $((KAFKA_BASE + i - 1)) "$LOGS/silo-$i.log"
  log "silo $i joined: Kafka on 127.0.0.1:$((KAFKA_BASE + i - 1)), partitions in scripts/.cluster/data/silo-$i"
}

cmd_remove_silo() {
  local id=${1:-} pid
  [[ "$id" =~ ^[0-9]+$ ]] || die "usage: scripts/cluster.sh remove-silo N"
  pid=$(awk -F'\t' -v id="$id" '$1=="silo" && $2==id {print $3}' "$PROCS" 2>/dev/null)
  [ -n "$pid" ] && alive "$pid" || die "silo $id is not running"
  kill -TERM "$pid"
  local deadline=$((SECONDS + 40))
  while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  alive "$pid" && { log "silo $id ignored SIGTERM for 40 s: SIGKILL"; kill -KILL "$pid"; }
  awk -F'\t' -v id="$id" '!($1=="silo" && $2==id)' "$PROCS" >"$PROCS.tmp" && mv "$PROCS.tmp" "$PROCS"
  log "silo $id stopped (left the cluster); its partition files stay in scripts/.cluster/data/silo-$id"
}

cmd_up() {
  local silos=${1:-3} gateways=${2:-2}
  [[ "$silos" =~ ^[1-9][0-9]*$ ]] || die "SILOS must be a positive number, got '$silos'"
  [[ "$gateways" =~ ^[0-9]+$ ]] || die "GATEWAYS must be a number, got '$gateways'"
  if [ -s "$PROCS" ]; then
    while IFS=$'\t' read -r _ _ pid _; do alive "$pid" && die "a cluster is already running (scripts/cluster.sh status / down)"; done <"$PROCS"
  fi
  mkdir -p "$LOGS" "$STATE/data"
  : >"$PROCS"

  if [ -n "${CLUSTER_NO_BUILD:-}" ]; then
    [ -f "$DLL" ] || die "CLUSTER_NO_BUILD is set but $DLL does not exist"
  else
    log "build Silo (Release)"
    dotnet build "$REPO/Silo/Orleans.Kafka.Silo.csproj" -c Release -nologo -v q >"$LOGS/build.log" 2>&1 || { tail -n 30 "$LOGS/build.log"; die "build failed"; }
  fi

  local connection
  if [ -n "${DATABASE_URL:-}" ]; then
    log "PostgreSQL from DATABASE_URL"
    connection=$DATABASE_URL
  else
    start_postgres
    connection="Host=127.0.0.1;Port=$PG_PORT;Database=okafka;Username=postgres"
  fi

  log "init-db (log: $LOGS/init-db.log)"
  dotnet "$DLL" init-db --connection-string "$connection" >"$LOGS/init-db.log" 2>&1 || { cat "$LOGS/init-db.log"; die "init-db failed"; }

  printf '%s' "$connection" >"$STATE/connection"
  local common; common_args; common=("${COMMON[@]}")
  local i kport
  for i in $(seq 1 "$silos"); do start_silo "$i"; done

  # Standalone gateways are the executable's `gateway` command (Orleans clients of the cluster); older builds have none.
  local gateway_mode=no
  if [ "$gateways" -gt 0 ] && dotnet "$DLL" --help 2>/dev/null | grep -Eq '^[[:space:]]+gateway\b'; then gateway_mode=yes; fi

  while IFS=$'\t' read -r kind id pid kport _; do
    wait_listening "$pid" "$kport" "$LOGS/$kind-$id.log"
  done <"$PROCS"

  if [ "$gateway_mode" = yes ]; then
    local j
    for j in $(seq 1 "$gateways"); do
      kport=$((GATEWAY_KAFKA_BASE + j - 1))
      port_open "$kport" && die "port $kport is in use"
      spawn gateway "$j" "$kport" - - gateway "${common[@]}" \
        "--Orleans:GatewayPort=$ORLEANS_GATEWAY_BASE" \
        "--Kafka:node.id=$((silos + j))" "--Kafka:listener.port=$kport"
      wait_listening "$(tail -n 1 "$PROCS" | cut -f3)" "$kport" "$LOGS/gateway-$j.log"
    done
  elif [ "$gateways" -gt 0 ]; then
    log "this build has no standalone gateway command yet: started silos only; each silo co-hosts a Kafka gateway"
  fi

  cmd_status
  local bootstrap
  bootstrap=$(awk -F'\t' '{printf "%s127.0.0.1:%s", (NR>1?",":""), $4}' "$PROCS")
  log "Kafka bootstrap servers: $bootstrap"
}

cmd_status() {
  [ -s "$PROCS" ] || { echo "no cluster (scripts/cluster.sh up)"; return 0; }
  printf '%-8s %-3s %-8s %-6s %-6s %-6s %-8s %s\n' KIND ID PID STATE KAFKA SILO ORL-GW LOG
  while IFS=$'\t' read -r kind id pid kport sport gport; do
    local state=dead; alive "$pid" && state=up
    printf '%-8s %-3s %-8s %-6s %-6s %-6s %-8s %s\n' "$kind" "$id" "$pid" "$state" "$kport" "$sport" "$gport" "scripts/.cluster/logs/$kind-$id.log"
  done <"$PROCS"
  if [ -f "$PG_DIR/started" ]; then
    echo "postgres: 127.0.0.1:$(cat "$PG_DIR/started") (started by this script; data in scripts/.cluster/pg/data)"
  elif [ -n "${DATABASE_URL:-}" ]; then
    echo "postgres: DATABASE_URL"
  fi
}

cmd_down() {
  if [ -s "$PROCS" ]; then
    # Gateways first, then silos: a silo that stops gracefully leaves the membership table as dead.
    local pids=() pid
    pids+=($(awk -F'\t' '$1=="gateway"{print $3}' "$PROCS"))
    pids+=($(awk -F'\t' '$1=="silo"{print $3}' "$PROCS"))
    for pid in "${pids[@]}"; do alive "$pid" && kill -TERM "$pid" 2>/dev/null || true; done
    local deadline=$((SECONDS + 40))
    for pid in "${pids[@]}"; do
      while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
      if alive "$pid"; then log "process $pid ignored SIGTERM for 40 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    done
    log "stopped ${#pids[@]} process(es)"
    : >"$PROCS"
  fi
  stop_postgres
  if [ "${1:-}" = "--purge" ]; then
    log "deleting $STATE"
    rm -rf "$STATE"
  fi
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  status) cmd_status ;;
  down) shift; cmd_down "$@" ;;
  add-silo) cmd_add_silo ;;
  remove-silo) shift; cmd_remove_silo "$@" ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
