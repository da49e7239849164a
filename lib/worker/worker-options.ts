import { RoutinesConfigurationError, type ConfigurationProblem } from '../core/errors';
import { MAX_TIMER_MS } from '../core/duration';
import { renewDeadline } from '../core/hold';
import type { DbWorkerOptions } from './interfaces/job.interface';

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
  if (typeof o.name !== 'string' || o.name === '') problem('name', o.name, 'must be a name');
  const ms = (option: string, value: unknown, timer: boolean): void => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      problem(option, value, 'must be a positive, finite number of milliseconds');
    } else if (timer && value > MAX_TIMER_MS) {
      problem(option, value, `must be at most ${MAX_TIMER_MS} ms (24.8 days)`);
    }
  };
  ms('pollIntervalMs', o.pollIntervalMs, true);
  ms('heartbeatMs', o.heartbeatMs, true);
  ms('stalledAfterMs', o.stalledAfterMs, true);
  if (o.timeoutMs !== undefined) ms('timeoutMs', o.timeoutMs, false);
  if (typeof o.backoff !== 'object' || o.backoff === null) {
    problem('backoff', o.backoff, 'must be { initialMs, maxMs }');
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
      problem(option, value, `must be a whole number, at least ${min}`);
    }
  }
  if (problems.length === 0 && o.heartbeatMs >= renewDeadline(o.stalledAfterMs)) {
    problem(
      'heartbeatMs',
      o.heartbeatMs,
      `must be under two thirds of stalledAfterMs (${o.stalledAfterMs} ms → under ${renewDeadline(o.stalledAfterMs)} ms): a row whose heartbeat is not renewed for that long is aborted, before another worker may reset it`,
    );
  }
  if (problems.length > 0) throw new RoutinesConfigurationError(problems);
}
