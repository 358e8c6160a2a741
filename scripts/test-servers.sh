#!/usr/bin/env bash
# Provisions and runs the real servers the test suites need, on 127.0.0.1, with data of this run:
# RabbitMQ (with management API), PostgreSQL and Azurite. Installs them when absent (apt, npm).
#   scripts/test-servers.sh start DIR   starts them, writes DIR/env (export lines for the tests)
#   scripts/test-servers.sh stop DIR    stops what start started
set -euo pipefail
cmd=${1:?start|stop}
dir=$(mkdir -p "${2:?data directory}" && cd "$2" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"

log() { echo "[servers] $*"; }

free_port() {
  local p
  for p in $(shuf -i 20000-60000 -n 100); do
    (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  return 1
}

wait_for_port() { # port seconds name
  local i
  for ((i = 0; i < $2 * 4; i++)); do
    (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.25
  done
  log "$3 did not open port $1 within $2 s"; return 1
}

apt_updated=false
apt_install() {
  if [[ $(id -u) -ne 0 ]]; then log "$* is missing and installing it needs root (apt-get install -y $*)"; return 1; fi
  $apt_updated || { log "apt-get update"; apt-get update -qq; apt_updated=true; }
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_installed() {
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
  command -v docker-compose >/dev/null || apt_install docker-compose
  if [[ ! -x "$tools/node_modules/.bin/azurite-blob" ]]; then
    log "installing azurite 3.37.0 into $tools"
    mkdir -p "$tools" && npm install --prefix "$tools" --no-audit --no-fund --loglevel=error azurite@3.37.0 >/dev/null
  fi
}

start_rabbitmq() {
  local port mport node
  port=$(free_port); mport=$(free_port); node="hubtest$$@localhost"
  mkdir -p "$dir/rabbitmq"
  cat >"$dir/rabbitmq/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$port
management.tcp.ip = 127.0.0.1
management.tcp.port = $mport
loopback_users = none
CONF
  echo "[rabbitmq_management]." >"$dir/rabbitmq/enabled_plugins"
  # Debian's wrapper runs the broker as the rabbitmq user: give it the folder.
  chown -R rabbitmq "$dir/rabbitmq" 2>/dev/null || true
  chmod o+x "$dir" "$(dirname "$dir")" 2>/dev/null || true
  export RABBITMQ_NODENAME=$node RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$port \
    RABBITMQ_DIST_PORT=$(free_port) RABBITMQ_CONFIG_FILE="$dir/rabbitmq/rabbitmq" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/rabbitmq/enabled_plugins" RABBITMQ_MNESIA_BASE="$dir/rabbitmq/mnesia" \
    RABBITMQ_LOG_BASE="$dir/rabbitmq/log" RABBITMQ_PID_FILE="$dir/rabbitmq/pid" \
    RABBITMQ_FEATURE_FLAGS_FILE="$dir/rabbitmq/feature_flags"
  log "starting RabbitMQ on 127.0.0.1:$port (management $mport)"
  (cd "$dir/rabbitmq" && setsid rabbitmq-server >"$dir/rabbitmq/server.out" 2>&1 &)
  timeout 90 rabbitmqctl -n "$node" wait "$dir/rabbitmq/pid" >/dev/null 2>&1 || { log "RabbitMQ did not start; see $dir/rabbitmq"; tail -20 "$dir/rabbitmq/server.out"; return 1; }
  wait_for_port "$mport" 60 "RabbitMQ management"
  {
    echo "export HUB_TEST_RABBITMQ=amqp://guest:guest@127.0.0.1:$port/"
    echo "export HUB_TEST_RABBITMQ_MANAGEMENT=http://127.0.0.1:$mport/"
    echo "export HUB_TEST_RABBITMQ_NODE=$node"
  } >>"$dir/env"
  echo "$node" >"$dir/rabbitmq/node"
}

start_postgres() {
  local port bin
  port=$(free_port); bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  mkdir -p "$dir/postgres" && chown postgres "$dir/postgres"
  # The server refuses to run as root, so it runs as the postgres user, from a folder of this run.
  chmod o+x "$dir" "$(dirname "$dir")" 2>/dev/null || true
  runuser -u postgres -- "$bin/initdb" -D "$dir/postgres/data" -A trust -U hub >/dev/null
  log "starting PostgreSQL on 127.0.0.1:$port"
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/postgres/data" -l "$dir/postgres/server.log" -w -t 60 \
    -o "-p $port -k $dir/postgres -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
  echo "export HUB_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=hub;Database=postgres'" >>"$dir/env"
  echo "$bin" >"$dir/postgres/bin"
}

start_azurite() {
  local port
  port=$(free_port)
  mkdir -p "$dir/azurite"
  log "starting Azurite on 127.0.0.1:$port"
  setsid "$tools/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" --location "$dir/azurite" \
    --skipApiVersionCheck --silent >"$dir/azurite/server.out" 2>&1 &
  echo $! >"$dir/azurite/pid"
  wait_for_port "$port" 60 Azurite
  echo "export HUB_TEST_AZURITE=http://127.0.0.1:$port/devstoreaccount1" >>"$dir/env"
}

stop_all() {
  if [[ -f "$dir/rabbitmq/node" ]]; then
    log "stopping RabbitMQ"
    RABBITMQ_PID_FILE="$dir/rabbitmq/pid" timeout 60 rabbitmqctl -n "$(cat "$dir/rabbitmq/node")" stop >/dev/null 2>&1 || true
  fi
  if [[ -f "$dir/postgres/bin" ]]; then
    log "stopping PostgreSQL"
    runuser -u postgres -- "$(cat "$dir/postgres/bin")/pg_ctl" -D "$dir/postgres/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [[ -f "$dir/azurite/pid" ]]; then
    log "stopping Azurite"
    kill "$(cat "$dir/azurite/pid")" 2>/dev/null || true
  fi
}

case "$cmd" in
  start)
    stop_all
    rm -rf "$dir/rabbitmq" "$dir/postgres" "$dir/azurite" # every run starts from empty servers
    : >"$dir/env"
    ensure_installed
    start_rabbitmq
    start_postgres
    start_azurite
    log "ready"
    ;;
  stop) stop_all ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
