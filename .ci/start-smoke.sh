#!/usr/bin/env bash
# `npm start` runs the sample app; SIGTERM sent to npm, or to its whole process group (what a
# terminal, a supervisor or `kill -TERM -PGID` does), stops the app gracefully and leaves no
# process behind. `nest start` used to leave its child holding port 3000.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
npm run build >/dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT

stop_and_check() {
  local target=$1
  PORT=0 npm_config_loglevel=error setsid npm start --ignore-scripts >"$log" 2>&1 &
  local npm_pid=$!
  for _ in $(seq 1 300); do grep -q 'Listening on' "$log" && break; sleep 0.1; done
  grep -q 'Listening on' "$log" || { cat "$log"; echo "npm start: the app did not listen" >&2; exit 1; }
  local pgid
  pgid=$(ps -o pgid= "$npm_pid" | tr -d ' ')
  if [ "$target" = "its process group" ]; then kill -TERM -- "-$pgid"; else kill -TERM "$npm_pid"; fi
  for _ in $(seq 1 300); do ps -g "$pgid" >/dev/null 2>&1 || break; sleep 0.1; done
  if ps -g "$pgid" >/dev/null 2>&1; then
    ps -o pid,args -g "$pgid"
    kill -KILL -- "-$pgid" 2>/dev/null || true
    echo "npm start: SIGTERM to $target left processes running" >&2
    exit 1
  fi
  grep -q 'All routines stopped' "$log" || { cat "$log"; echo "npm start: SIGTERM to $target did not drain the routines" >&2; exit 1; }
  echo "npm start: SIGTERM to $target stopped the app gracefully, nothing left running"
}

stop_and_check npm
stop_and_check "its process group"
