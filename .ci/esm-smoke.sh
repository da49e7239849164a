#!/usr/bin/env bash
# Installs the packed library in a new ES-module Nest 12 app (no optional peer), type-checks
# it with skipLibCheck off against both export conditions, and runs it with require(esm)
# switched off, as on Node 20 before 20.19.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)
cp -r "$root/test/compat/esm-app/." "$work/"
cd "$work"
cat > package.json <<'JSON'
{ "name": "esm-app", "private": true, "type": "module" }
JSON
typescript=$(node -p "require('$root/node_modules/typescript/package.json').version")
types_node=$(node -p "require('$root/node_modules/@types/node/package.json').version")
npm install --no-audit --no-fund --loglevel=error \
  "@nestjs/core@^12" "@nestjs/common@^12" "reflect-metadata@^0.2" "rxjs@^7" \
  "typescript@$typescript" "@types/node@$types_node" "./$tarball" >/dev/null
if [ -e node_modules/pg ] || [ -e node_modules/ioredis ] || [ -e node_modules/prom-client ] || [ -e node_modules/@opentelemetry/api ]; then
  echo "an optional peer got installed: the checks would not prove anything" >&2
  exit 1
fi
npx tsc -p tsconfig.json
node --no-experimental-require-module dist/main.js
