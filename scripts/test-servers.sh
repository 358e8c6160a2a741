#!/usr/bin/env bash
# Provisions and runs the real servers the test suites need, on 127.0.0.1, with data of this run:
# RabbitMQ (with management API), PostgreSQL and Azurite. Installs them when absent (apt, npm).
#   scripts/test-servers.sh start DIR   starts them, writes DIR/env (export lines for the tests)
#   scripts/test-servers.sh stop DIR    stops what start started
set -euo pipefail
cmd=${1:?start|stop}
dir=$(mkdir -p "${2:?data directory}" && cd "$2" && pwd)
# The servers run as their own users (postgres, rabbitmq), which may not reach into the checkout (under /root,
# say): their data lives in a folder of its own under /tmp, named in $dir/data_root.
data=$(cat "$dir/data_root" 2>/dev/null || true)
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
  mkdir -p "$data/rabbitmq"
  cat >"$data/rabbitmq/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$port
management.tcp.ip = 127.0.0.1
management.tcp.port = $mport
loopback_users = none
CONF
  echo "[rabbitmq_management]." >"$data/rabbitmq/enabled_plugins"
  # Debian's wrapper runs the broker as the rabbitmq user: give it the folder.
  chown -R rabbitmq "$data/rabbitmq" 2>/dev/null || true
  export RABBITMQ_NODENAME=$node RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$port \
    RABBITMQ_DIST_PORT=$(free_port) RABBITMQ_CONFIG_FILE="$data/rabbitmq/rabbitmq" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$data/rabbitmq/enabled_plugins" RABBITMQ_MNESIA_BASE="$data/rabbitmq/mnesia" \
    RABBITMQ_LOG_BASE="$data/rabbitmq/log" RABBITMQ_PID_FILE="$data/rabbitmq/pid" \
    RABBITMQ_FEATURE_FLAGS_FILE="$data/rabbitmq/feature_flags"
  log "starting RabbitMQ on 127.0.0.1:$port (management $mport)"
  # All of the background job's output goes to the file: nothing may keep the caller's stdout open.
  (cd "$data/rabbitmq" && exec setsid rabbitmq-server) >"$data/rabbitmq/server.out" 2>&1 </dev/null &
  timeout 90 rabbitmqctl -n "$node" wait "$data/rabbitmq/pid" >/dev/null 2>&1 || { log "RabbitMQ did not start; see $data/rabbitmq"; tail -20 "$data/rabbitmq/server.out"; return 1; }
  wait_for_port "$mport" 60 "RabbitMQ management"
  {
    echo "export HUB_TEST_RABBITMQ=amqp://guest:guest@127.0.0.1:$port/"
    echo "export HUB_TEST_RABBITMQ_MANAGEMENT=http://127.0.0.1:$mport/"
    echo "export HUB_TEST_RABBITMQ_NODE=$node"
  } >>"$dir/env"
  echo "$node" >"$data/rabbitmq/node"
}

start_postgres() {
  local port bin
  port=$(free_port); bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  mkdir -p "$data/postgres" && chown postgres "$data/postgres"
  # The server refuses to run as root, so it runs as the postgres user, from a folder of this run.
  runuser -u postgres -- "$bin/initdb" -D "$data/postgres/data" -A trust -U hub >/dev/null
  log "starting PostgreSQL on 127.0.0.1:$port"
  runuser -u postgres -- "$bin/pg_ctl" -D "$data/postgres/data" -l "$data/postgres/server.log" -w -t 60 \
    -o "-p $port -k $data/postgres -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
  echo "export HUB_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=hub;Database=postgres'" >>"$dir/env"
  echo "$bin" >"$data/postgres/bin"
}

start_azurite() {
  local port
  port=$(free_port)
  mkdir -p "$data/azurite"
  log "starting Azurite on 127.0.0.1:$port"
  setsid "$tools/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" --location "$data/azurite" \
    --skipApiVersionCheck --silent >"$data/azurite/server.out" 2>&1 </dev/null &
  echo $! >"$data/azurite/pid"
  wait_for_port "$port" 60 Azurite
  echo "export HUB_TEST_AZURITE=http://127.0.0.1:$port/devstoreaccount1" >>"$dir/env"
  # The fault tests start and stop an Azurite of their own.
  echo "export HUB_TEST_AZURITE_BIN=$tools/node_modules/.bin/azurite-blob" >>"$dir/env"
}

stop_all() {
  if [[ -f "$data/rabbitmq/node" ]]; then
    log "stopping RabbitMQ"
    RABBITMQ_PID_FILE="$data/rabbitmq/pid" timeout 60 rabbitmqctl -n "$(cat "$data/rabbitmq/node")" stop >/dev/null 2>&1 || true
  fi
  if [[ -f "$data/postgres/bin" ]]; then
    log "stopping PostgreSQL"
    runuser -u postgres -- "$(cat "$data/postgres/bin")/pg_ctl" -D "$data/postgres/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [[ -f "$data/azurite/pid" ]]; then
    log "stopping Azurite"
    local pid
    pid=$(cat "$data/azurite/pid")
    kill "$pid" 2>/dev/null || true
    # Azurite may wait for clients' keep-alive connections on SIGTERM: give it five seconds, then end it.
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}

case "$cmd" in
  start)
    # Servers left by an earlier start in the same folder go first; every run starts from empty servers.
    if [[ -n "$data" ]]; then stop_all; rm -rf "$data"; fi
    data=$(mktemp -d /tmp/integrationhub-servers.XXXXXX) && chmod 755 "$data" && echo "$data" >"$dir/data_root"
    : >"$dir/env"
    ensure_installed
    start_rabbitmq
    start_postgres
    start_azurite
    log "ready"
    ;;
  stop)
    if [[ -n "$data" ]]; then stop_all; rm -rf "$data" "$dir/data_root"; fi
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
