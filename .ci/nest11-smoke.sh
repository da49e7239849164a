#!/usr/bin/env bash
# Installs the packed library next to @nestjs/core 11 in a temporary folder and boots it there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error \
  "@nestjs/core@^11" "@nestjs/common@^11" "reflect-metadata@^0.2" "rxjs@^7" "./$tarball" >/dev/null
cp "$root/test/compat/nest-smoke.js" .
node nest-smoke.js
cp "$root/test/compat/nest-signal.js" "$root/test/compat/nest-signal-app.js" .
node nest-signal.js
