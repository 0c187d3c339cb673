#!/usr/bin/env bash
# Makes sure PostgreSQL and NATS (with JetStream) answer on loopback, starting the machine's own
# servers if they are installed but stopped, and installing them from Debian packages when absent
# and we are root. Used by `npm start` and `npm test` (which also asks for `chromium`, Debian's
# browser the console's browser tests drive; never a browser download, and `kubectl`, Debian's
# kubernetes-client, with which deploy/'s tests render the Kubernetes manifests). Idempotent.
#   bash scripts/services.sh [chromium] [kubectl]
set -euo pipefail

PGHOST_=${PGHOST:-127.0.0.1}
PGPORT_=${PGPORT:-5432}
NATS_PORT=${NATS_PORT:-4222}

log() { printf '[services] %s\n' "$*"; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@"; then return 0; fi
    sleep 0.5
  done
  log "$name did not come up"; return 1
}

apt_install() {
  if [ "$(id -u)" != 0 ]; then log "need $* but cannot install without root"; return 1; fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if pg_isready -q -h "$PGHOST_" -p "$PGPORT_" 2>/dev/null; then log "PostgreSQL is up on $PGHOST_:$PGPORT_"; return; fi
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for PostgreSQL pg_isready -q -h "$PGHOST_" -p "$PGPORT_"
  log "PostgreSQL is up on $PGHOST_:$PGPORT_"
}

ensure_nats() {
  if port_open 127.0.0.1 "$NATS_PORT"; then log "NATS is up on 127.0.0.1:$NATS_PORT"; return; fi
  command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || apt_install nats-server
  local bin
  bin=$(command -v nats-server || echo /usr/sbin/nats-server)
  local store=${NATS_STORE_DIR:-/var/lib/nats-server}
  local logfile=${NATS_LOG_FILE:-/var/log/nats-server.log}
  if ! mkdir -p "$store" 2>/dev/null || ! touch "$logfile" 2>/dev/null; then
    store="$(pwd)/.data/nats"; logfile="$(pwd)/.data/nats-server.log"; mkdir -p "$store"
  fi
  log "starting NATS with JetStream (store $store)"
  if command -v start-stop-daemon >/dev/null; then
    start-stop-daemon --start --oknodo --background --exec "$bin" -- -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$store" -l "$logfile"
  else
    nohup "$bin" -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$store" -l "$logfile" >/dev/null 2>&1 &
  fi
  wait_for NATS port_open 127.0.0.1 "$NATS_PORT"
  log "NATS is up on 127.0.0.1:$NATS_PORT"
}

ensure_chromium() {
  if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then log "Chromium is at ${CHROMIUM_PATH:-/usr/bin/chromium}"; return; fi
  apt_install chromium || { log "Chromium is missing: the browser tests will fail (apt-get install -y chromium)"; return 0; }
  log "Chromium is at /usr/bin/chromium"
}

# deploy/'s manifest tests fail, saying so, without it: never a silent skip.
ensure_kubectl() {
  if command -v kubectl >/dev/null; then log "kubectl is at $(command -v kubectl)"; return; fi
  apt_install kubernetes-client || { log "kubectl is missing: the manifest tests will fail (apt-get install -y kubernetes-client)"; return 0; }
  log "kubectl is at $(command -v kubectl)"
}

ensure_postgres
ensure_nats
for extra in "$@"; do
  case "$extra" in
    chromium) ensure_chromium ;;
    kubectl) ensure_kubectl ;;
    *) log "unknown extra: $extra"; exit 2 ;;
  esac
done
