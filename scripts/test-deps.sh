#!/usr/bin/env bash
# Installs and starts what authgate's tests need, where it is missing:
# nginx, Caddy, Chromium and wrk (Debian packages), the pinned Firebase CLI
# (npm, into tools/firebase/node_modules), and PostgreSQL and Redis on
# 127.0.0.1. Safe to run again: it only does what is not done yet.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test-deps] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1; fi
}

# --- Debian packages -------------------------------------------------------
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v caddy >/dev/null 2>&1 || need+=(caddy)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    log "installing ${need[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    log "missing ${need[*]} and no apt-get: install them by hand"
  fi
fi
# The packages start system services on :80 that the tests do not use.
for svc in nginx caddy; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    as_root systemctl stop "$svc" || true
  fi
done

# --- Firebase CLI (Auth Emulator) -------------------------------------------
if [ ! -x tools/firebase/node_modules/.bin/firebase ]; then
  log "installing firebase-tools into tools/firebase"
  (cd tools/firebase && npm ci --no-audit --no-fund --loglevel=error)
fi

# --- PostgreSQL and Redis ----------------------------------------------------
if ! (command -v pg_isready >/dev/null && pg_isready -h 127.0.0.1 -p 5432 -q); then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    log "starting PostgreSQL"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi
if ! (command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1); then
  if command -v redis-server >/dev/null 2>&1; then
    log "starting Redis"
    mkdir -p /tmp/authgate-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp/authgate-redis --logfile /tmp/authgate-redis/redis.log
  fi
fi
for i in $(seq 1 50); do
  pg_ok=0; redis_ok=0
  pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && pg_ok=1
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && redis_ok=1
  [ $pg_ok = 1 ] && [ $redis_ok = 1 ] && break
  sleep 0.2
done
log "ready: postgres=$pg_ok redis=$redis_ok"
