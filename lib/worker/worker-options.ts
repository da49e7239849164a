import { RoutinesConfigurationError, type ConfigurationProblem } from '../core/errors';
import { MAX_TIMER_MS } from '../core/duration';
import { renewDeadline } from '../core/hold';
import type { DbWorkerOptions } from './interfaces/job.interface';
import { MESSAGES } from './worker.messages';

export type CheckedOptions = Required<
  Omit<DbWorkerOptions, 'timeoutMs' | 'logger' | 'onEvent' | 'recorder' | 'wrap' | 'clock'>
> &
  Pick<DbWorkerOptions, 'timeoutMs'>;

/**
 * Refuses options the worker cannot keep its promises with, naming the worker, each option and
 * its value: milliseconds that are not positive finite numbers, timers past Node's longest
 * delay, counts that are not whole, and a heartbeat too slow for `stalledAfterMs`.
 */
export function validateWorkerOptions(o: CheckedOptions): void {
  const problems: ConfigurationProblem[] = [];
  const problem = (option: string, value: unknown, message: string): void => {
    problems.push({ source: 'DbWorker', routine: String(o.name), option, value, message });
  };
  if (typeof o.name !== 'string' || o.name === '') problem('name', o.name, MESSAGES.notName);
  const ms = (option: string, value: unknown, timer: boolean): void => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      problem(option, value, MESSAGES.notMilliseconds);
    } else if (timer && value > MAX_TIMER_MS) {
      problem(option, value, MESSAGES.pastLongestTimer(MAX_TIMER_MS));
    }
  };
  ms('pollIntervalMs', o.pollIntervalMs, true);
  ms('heartbeatMs', o.heartbeatMs, true);
  ms('stalledAfterMs', o.stalledAfterMs, true);
  if (o.timeoutMs !== undefined) ms('timeoutMs', o.timeoutMs, false);
  if (typeof o.backoff !== 'object' || o.backoff === null) {
    problem('backoff', o.backoff, MESSAGES.notBackoff);
  } else {
    ms('backoff.initialMs', o.backoff.initialMs, false);
    ms('backoff.maxMs', o.backoff.maxMs, false);
  }
  for (const [option, value, min] of [
    ['concurrency', o.concurrency, 1],
    ['maxAttempts', o.maxAttempts, 1],
    ['maxResets', o.maxResets, 0],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < min) {
      problem(option, value, MESSAGES.notWholeNumber(min));
    }
  }
  if (problems.length === 0 && o.heartbeatMs >= renewDeadline(o.stalledAfterMs)) {
    problem(
      'heartbeatMs',
      o.heartbeatMs,
      MESSAGES.heartbeatTooSlow(o.stalledAfterMs, renewDeadline(o.stalledAfterMs)),
    );
  }
  if (problems.length > 0) throw new RoutinesConfigurationError(problems);
}

/** A worker's options with their defaults, checked (see {@link validateWorkerOptions}). */
export function workerOptions(options: DbWorkerOptions): CheckedOptions {
  const checked: CheckedOptions = {
    name: options.name,
    concurrency: options.concurrency ?? 1,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    heartbeatMs: options.heartbeatMs ?? 5000,
    stalledAfterMs: options.stalledAfterMs ?? 30_000,
    maxResets: options.maxResets ?? 3,
    maxAttempts: options.maxAttempts ?? 5,
    timeoutMs: options.timeoutMs,
    backoff: options.backoff ?? { initialMs: 10_000, maxMs: 3_600_000 },
    resetStalled: options.resetStalled ?? true,
  };
  validateWorkerOptions(checked);
  return checked;
}

/** The retry delay of a failed attempt: `initialMs · 2^(attempt-1)`, at most `maxMs`, ±20% jitter. */
export function retryDelay(backoff: CheckedOptions['backoff'], attempt: number): number {
  const { initialMs, maxMs } = backoff;
  const base = Math.min(maxMs, initialMs * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
