import { checkDuration, type OptionProblem } from './duration';
import { MESSAGES } from './core.messages';
import { backoffBaseMs, checkBackoff, resolveBackoff } from './backoff-options';
import { checkCatchUp } from './catch-up-options';
import { checkMarker } from './marker-options';
import { checkConcurrency, checkOverlap, DEFAULT_MAX_BUFFERED } from './overlap-options';
import type { PeriodicOptions } from './periodic-option-types';
import type { ResolvedPeriodicOptions } from './resolved-periodic-options';
import type { RoutineScope } from './routine';
import { checkInterval, DEFAULT_INTERVAL_MS } from './schedule';
import { checkBounds, checkJitterAndStart, checkPhase } from './schedule-options';

// The options of a periodic routine are kept by concern (the public types, the resolved form,
// schedule and bounds, overlap, backoff, catch-up, the cluster run marker); this module parses
// them as a whole, and is where the rest of the library imports them from.
export type {
  BackoffOptions,
  PeriodicOptions,
  PeriodicRoutineOptions,
} from './periodic-option-types';
export type { ResolvedBackoff, ResolvedPeriodicOptions } from './resolved-periodic-options';
export { backoffDelay } from './backoff-options';
export { DEFAULT_MAX_BUFFERED } from './overlap-options';
export { checkNewInterval } from './schedule-options';

const SCOPES: readonly RoutineScope[] = ['instance', 'cluster'];

/** Every problem in a periodic routine's options, without throwing. */
export function validatePeriodicOptions(options: PeriodicOptions): OptionProblem[] {
  const problems: OptionProblem[] = [];
  resolvePeriodicOptions(options, problems);
  return problems;
}

/** Parses the options, recording every problem in `problems`; the result is meaningful only without problems. */
export function resolvePeriodicOptions(
  options: PeriodicOptions,
  problems: OptionProblem[],
): ResolvedPeriodicOptions {
  const interval =
    options.interval === undefined
      ? { intervalMs: DEFAULT_INTERVAL_MS }
      : checkInterval(problems, 'interval', options.interval);
  const timeoutMs = checkDuration(problems, 'timeout', options.timeout);
  const jitterMs = checkDuration(problems, 'jitter', options.jitter, { allowZero: true });
  const initialDelayMs = checkDuration(problems, 'initialDelay', options.initialDelay, {
    allowZero: true,
  });
  checkConcurrency(problems, options.concurrency);
  checkChoices(problems, options);
  checkJitterAndStart(problems, options, interval, jitterMs);
  checkBackoff(problems, options.backoff);
  const overlap = checkOverlap(problems, options);
  const { startAt, endAt, maxRuns } = checkBounds(problems, options);
  const phaseMs = checkPhase(problems, options, interval);
  const catchup = checkCatchUp(problems, options, interval);
  const marker = checkMarker(problems, options);
  // On a grid (cluster scope, align) a start is no reason to run: the grid and `missed` decide.
  const runOnStart =
    options.runOnStart ??
    (interval.cron === undefined && options.scope !== 'cluster' && options.align !== true);
  return {
    interval,
    timeoutMs,
    jitterMs: jitterMs ?? 0,
    initialDelayMs,
    runOnStart,
    backoff:
      problems.length === 0 ? resolveBackoff(options.backoff, backoffBaseMs(interval)) : undefined,
    overlap,
    maxBuffered: options.maxBuffered ?? DEFAULT_MAX_BUFFERED,
    startAt,
    endAt,
    maxRuns,
    phaseMs: phaseMs ?? 0,
    align: options.align === true,
    catchup,
    marker,
  };
}

/** `runOnStart`, `scope` and `missed`: one of their values. */
function checkChoices(problems: OptionProblem[], options: PeriodicOptions): void {
  if (options.runOnStart !== undefined && typeof options.runOnStart !== 'boolean') {
    problems.push({
      option: 'runOnStart',
      value: options.runOnStart,
      message: MESSAGES.notBoolean,
    });
  }
  if (options.scope !== undefined && !SCOPES.includes(options.scope)) {
    problems.push({ option: 'scope', value: options.scope, message: MESSAGES.badScope });
  }
  if (options.missed !== undefined && options.missed !== 'skip' && options.missed !== 'once') {
    problems.push({ option: 'missed', value: options.missed, message: MESSAGES.badMissed });
  }
}
