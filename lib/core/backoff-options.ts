import { checkDuration, toMilliseconds, type OptionProblem } from './duration';
import { MESSAGES } from './core.messages';
import type { PeriodicOptions } from './periodic-option-types';
import type { ResolvedBackoff } from './resolved-periodic-options';
import { DEFAULT_INTERVAL_MS, type ParsedInterval } from './schedule';

const DEFAULT_MAX_BACKOFF_MS = 3_600_000;
const DEFAULT_CRON_BACKOFF_MS = 60_000;

/** The first backoff delay when `backoff.initialDelay` is not given: the interval, one minute for cron. */
export function backoffBaseMs(interval: ParsedInterval): number {
  return interval.intervalMs ?? (interval.cron ? DEFAULT_CRON_BACKOFF_MS : DEFAULT_INTERVAL_MS);
}

/** `backoff`: a boolean, or `{ initialDelay, maxDelay, factor }` with durations and a factor from 1. */
export function checkBackoff(problems: OptionProblem[], backoff: PeriodicOptions['backoff']): void {
  if (backoff === undefined || typeof backoff === 'boolean') return;
  if (typeof backoff !== 'object' || backoff === null) {
    problems.push({ option: 'backoff', value: backoff, message: MESSAGES.badBackoff });
    return;
  }
  checkDuration(problems, 'backoff.initialDelay', backoff.initialDelay);
  checkDuration(problems, 'backoff.maxDelay', backoff.maxDelay);
  if (
    backoff.factor !== undefined &&
    !(typeof backoff.factor === 'number' && backoff.factor >= 1 && Number.isFinite(backoff.factor))
  ) {
    problems.push({ option: 'backoff.factor', value: backoff.factor, message: MESSAGES.badFactor });
  }
}

/** `backoff` in milliseconds, with its defaults; undefined when it is off. */
export function resolveBackoff(
  backoff: PeriodicOptions['backoff'],
  intervalMs: number,
): ResolvedBackoff | undefined {
  if (!backoff) return undefined;
  const options = backoff === true ? {} : backoff;
  return {
    initialMs:
      options.initialDelay === undefined
        ? intervalMs
        : toMilliseconds(options.initialDelay, 'backoff.initialDelay'),
    maxMs:
      options.maxDelay === undefined
        ? DEFAULT_MAX_BACKOFF_MS
        : toMilliseconds(options.maxDelay, 'backoff.maxDelay'),
    factor: options.factor ?? 2,
  };
}

/** The delay before ticks run again after `consecutiveFailures` failures in a row. */
export function backoffDelay(backoff: ResolvedBackoff, consecutiveFailures: number): number {
  return Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** (consecutiveFailures - 1));
}
