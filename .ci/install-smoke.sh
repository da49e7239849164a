#!/usr/bin/env bash
# Until the package is on the registry, users install it from a git URL or a tarball. This
# proves both give a complete package: `npm pack` on a clone builds what it packs (prepare), and
# a new CommonJS app installs the library from this clone's git URL (npm clones it, installs its
# dev dependencies and runs its prepare script), compiles the README's quick start with
# skipLibCheck off, runs it until it ticks, and stops it gracefully with SIGTERM.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill "${app_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

# The tarball holds both builds and their declarations, whatever dist/ held before.
rm -rf "$root/dist"
tarball=$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)
listing=$(tar -tzf "$work/$tarball")
for file in package/dist/lib/index.js package/dist/lib/index.d.ts package/dist/esm/index.js \
  package/dist/esm/index.d.ts package/dist/esm/package.json package/dist/lib/redis/index.js \
  package/dist/lib/postgres/index.js package/dist/lib/dashboard/index.js package/LICENSE \
  package/README.md package/CHANGELOG.md; do
  grep -qx "$file" <<<"$listing" || { echo "npm pack left out $file" >&2; exit 1; }
done
echo "npm pack: $(wc -l <<<"$listing") files, both builds and their declarations"

commit=$(git -C "$root" rev-parse HEAD)
mkdir "$work/app"
cp -r "$root/test/compat/git-app/." "$work/app/"
cd "$work/app"
npm init -y >/dev/null
typescript=$(node -p "require('$root/node_modules/typescript/package.json').version")
types_node=$(node -p "require('$root/node_modules/@types/node/package.json').version")
npm install --no-audit --no-fund --loglevel=error \
  "git+file://$root#$commit" "@nestjs/common@^12" "@nestjs/core@^12" \
  "@nestjs/platform-express@^12" "reflect-metadata@^0.2" "rxjs@^7" \
  "typescript@$typescript" "@types/node@$types_node" >/dev/null
test -f node_modules/nestjs-routines/dist/lib/index.js || { echo "the git install has no build" >&2; exit 1; }
npx tsc -p tsconfig.json

node dist/main.js >"$work/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 1 300); do grep -q 'sweep 3;' "$work/app.log" && break; sleep 0.1; done
grep -q 'sweep 3;' "$work/app.log" || { cat "$work/app.log"; echo "the app did not tick" >&2; exit 1; }
kill -TERM "$app_pid"
status=0
wait "$app_pid" || status=$?
app_pid=
cat "$work/app.log"
# Nest closes the app on SIGTERM, then raises the signal again: 143 is a graceful exit here.
[ "$status" -eq 0 ] || [ "$status" -eq 143 ] || { echo "the app exited with $status on SIGTERM" >&2; exit 1; }
grep -q 'All routines stopped' "$work/app.log" || { echo "the routines were not stopped" >&2; exit 1; }
grep -q 'consumer drained' "$work/app.log" || { echo "the consumer was not drained" >&2; exit 1; }
echo "installed from git+file://$root#$commit, ran, stopped on SIGTERM"
