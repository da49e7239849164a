/**
 * Helpers shared by the orchestrator (bench/run.ts) and the scenario processes
 * (bench/scenarios/*.ts). A scenario process reads its parameters as JSON from argv[2],
 * measures once and prints one line `BENCH_RESULT <json>` on stdout.
 */

import { spawn } from 'node:child_process';

export const RESULT_MARKER = 'BENCH_RESULT ';

/** The parameters a scenario process was started with. */
export function scenarioParams<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('scenario: missing JSON parameters in argv[2]');
  return JSON.parse(raw) as T;
}

/** Hands the measurement back to the orchestrator and ends the process. */
export function report(result: object): never {
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
  process.exit(0);
}

/** Runs a scenario's main function; any failure ends the process with a non-zero code. */
export function main(fn: () => Promise<object>): void {
  fn().then(report, (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

/**
 * Starts `script` again as a replica process (same loader, `params` in argv[2]) and resolves
 * with the result it reported; rejects, naming `what`, when it exits without one.
 */
export function runReplicaProcess<T>(script: string, params: object, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, script, JSON.stringify(params)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (output += chunk));
    child.on('exit', (code) => {
      const line = output.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (code !== 0 || !line) return reject(new Error(`${what} exited with ${code}`));
      resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as T);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A full, forced garbage collection (the process must run with --expose-gc). */
export function fullGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') throw new Error('run the scenario with --expose-gc');
  // Twice: the first pass can leave garbage that only becomes unreachable after finalizers.
  gc();
  gc();
}

/** Milliseconds on the wall clock's scale (like Date.now()) with sub-millisecond precision. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** CPU time (user + system) of this process, in microseconds. */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile (p in [0, 100]) of values sorted ascending. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}
