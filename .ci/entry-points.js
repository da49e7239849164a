// Requires each entry point of the built package (dist/lib, through package.json `exports`) in
// a fresh process and fails when one loads an optional peer: the app passes its own ioredis or
// pg client, so no entry point may load either, and an app without Redis never loads ioredis.
// Run after `npm run build`.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const { name, exports: entries } = require(path.join(root, 'package.json'));
const peers = ['ioredis', 'pg', 'prom-client', '@opentelemetry/api'];
const probe = `
  require(process.argv[1]);
  const loaded = Object.keys(require.cache)
    .map((file) => /node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(file)?.[1].replace('\\\\', '/'))
    .filter(Boolean);
  console.log(JSON.stringify([...new Set(loaded)]));
`;

let failed = false;
for (const subpath of Object.keys(entries).filter((key) => key !== './package.json')) {
  const entry = path.posix.join(name, subpath);
  const loaded = JSON.parse(execFileSync(process.execPath, ['-e', probe, entry], { cwd: root }));
  const peersLoaded = peers.filter((peer) => loaded.includes(peer));
  console.log(`${entry}: ${peersLoaded.length === 0 ? 'ok' : `loads ${peersLoaded.join(', ')}`}`);
  failed ||= peersLoaded.length > 0;
}
process.exitCode = failed ? 1 : 0;
