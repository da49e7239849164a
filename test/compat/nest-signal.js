// Sends SIGTERM twice to nest-signal-app.js while a run is in flight, the second once the
// drain has begun, and checks that the run finished, the routines stopped, and the process
// then ended by the signal: Nest's hook must ignore the second signal, since one that found no
// listener would kill the process mid-drain.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const child = spawn(process.execPath, [join(__dirname, 'nest-signal-app.js')], {
  env: { ...process.env, NO_COLOR: '1' },
});
let output = '';
const waiters = [];
const onData = (chunk) => {
  output += chunk;
  for (const waiter of [...waiters]) waiter();
};
child.stdout.setEncoding('utf8').on('data', onData);
child.stderr.setEncoding('utf8').on('data', onData);
const exited = new Promise((resolve) =>
  child.once('exit', (code, signal) => resolve({ code, signal })),
);
const waitFor = (pattern) =>
  new Promise((resolve, reject) => {
    const check = () =>
      pattern.test(output) && (waiters.splice(waiters.indexOf(check), 1), resolve());
    waiters.push(check);
    check();
    exited.then(() => reject(new Error(`exited before ${pattern}:\n${output}`)));
    setTimeout(() => reject(new Error(`no ${pattern} within 60 s:\n${output}`)), 60_000).unref();
  });

async function main() {
  await waitFor(/run-start 1/);
  child.kill('SIGTERM');
  await waitFor(/Stopping 1 routine\(s\)/);
  child.kill('SIGTERM');
  const exit = await exited;
  assert.match(output, /run-end 1 aborted=true/, `the run in flight was cut off:\n${output}`);
  assert.match(output, /All routines stopped/, output);
  assert.deepEqual(exit, { code: null, signal: 'SIGTERM' }, output);
  console.log('  ok   a second SIGTERM during the drain is ignored; the drain finished');
}
main().catch((error) => {
  child.kill('SIGKILL');
  console.error(`  FAIL a second SIGTERM during the drain: ${error.message}`);
  process.exitCode = 1;
});
