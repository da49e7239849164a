/**
 * A second signal during the drain, against a real Nest process (the SIGTERM fixture, whose
 * runs take RUN_MS). `npm start` forwards the signal it gets to the app, and a terminal or a
 * supervisor signals the whole process group, so the app often gets the same signal twice.
 * Nest (11 and 12) keeps its listener and ignores the second one while it shuts down; this
 * holds it to that, since a second signal that found no listener would kill the process
 * mid-drain. .ci/nest11-smoke.sh runs the same scenario on Nest 11.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const FIXTURE = 'test/e2e/fixtures/sigterm-app.ts';
// Generous real-time bounds: the child compiles TypeScript on start, slowly on a busy machine.
const START_MS = 60_000;
const EXIT_MS = 30_000;

interface Started {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  waitFor: (pattern: RegExp) => Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Started[] = [];

function start(runMs: number): Started {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', FIXTURE], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', RUN_MS: String(runMs) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (pattern: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no output matching ${pattern} within ${START_MS} ms:\n${text}`));
      }, START_MS);
      const check = (): void => {
        if (!pattern.test(text)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
      void exited.then(() => {
        if (waiters.has(check)) {
          clearTimeout(timer);
          waiters.delete(check);
          reject(new Error(`exited before printing ${pattern}:\n${text}`));
        }
      });
    });
  const handle = { child, output: () => text, waitFor, exited };
  started.push(handle);
  return handle;
}

async function exitWithin(app: Started, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms:\n${app.output()}`)), ms);
  });
  return Promise.race([app.exited, late]).finally(() => clearTimeout(timer));
}

afterAll(async () => {
  for (const { child } of started) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await Promise.all(started.map(({ exited }) => exited));
});

describe('a signal repeated while the routines drain', () => {
  it('a second SIGTERM (npm forwarding its own) does not cut the drain short', async () => {
    const app = start(1_500);
    await app.waitFor(/run-start 1 /);
    app.child.kill('SIGTERM');
    await app.waitFor(/Stopping 1 routine\(s\)/);
    app.child.kill('SIGTERM');
    const exit = await exitWithin(app, EXIT_MS);
    expect(app.output()).toMatch(/run-end 1 aborted=true/);
    expect(app.output()).toMatch(/All routines stopped/);
    // Nest's own re-raise after its hooks still ends the process by the signal.
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
  }, 120_000);
});
