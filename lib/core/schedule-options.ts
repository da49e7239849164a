import { checkDuration, formatDuration, type OptionProblem } from './duration';
import { MESSAGES } from './core.messages';
import type { PeriodicOptions } from './periodic-option-types';
import { checkInterval, type IntervalSpec, type ParsedInterval } from './schedule';

/** `phase` and `align`: intervals on the shared grid only, the phase below the interval. */
export function checkPhase(
  problems: OptionProblem[],
  options: PeriodicOptions,
  interval: ParsedInterval,
): number | undefined {
  if (options.align !== undefined && typeof options.align !== 'boolean') {
    problems.push({ option: 'align', value: options.align, message: MESSAGES.notBoolean });
  }
  if (options.align === true && interval.intervalMs === undefined) {
    problems.push({ option: 'align', value: true, message: MESSAGES.alignNeedsInterval });
  }
  if (options.phase === undefined) return undefined;
  const phaseMs = checkDuration(problems, 'phase', options.phase, { allowZero: true });
  if (phaseMs === undefined) return undefined;
  if (interval.intervalMs === undefined) {
    problems.push({ option: 'phase', value: options.phase, message: MESSAGES.phaseNeedsInterval });
  } else if (phaseMs >= interval.intervalMs) {
    problems.push({
      option: 'phase',
      value: options.phase,
      message: MESSAGES.phaseNotBelowInterval(formatDuration(interval.intervalMs)),
    });
  } else if (options.scope !== 'cluster' && options.align !== true) {
    problems.push({ option: 'phase', value: options.phase, message: MESSAGES.phaseNeedsGrid });
  }
  return phaseMs;
}

/** A time option as wall-clock ms: a Date, epoch ms, or an ISO 8601 string. */
function checkTime(problems: OptionProblem[], option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number'
        ? value
        : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)
          ? Date.parse(value)
          : NaN;
  if (!Number.isFinite(ms)) {
    problems.push({ option, value, message: MESSAGES.badTime });
    return undefined;
  }
  return ms;
}

/** `startAt` before `endAt`, and `maxRuns` a whole number from 1, in instance scope only. */
export function checkBounds(
  problems: OptionProblem[],
  options: PeriodicOptions,
): { startAt?: number; endAt?: number; maxRuns?: number } {
  const startAt = checkTime(problems, 'startAt', options.startAt);
  const endAt = checkTime(problems, 'endAt', options.endAt);
  if (startAt !== undefined && endAt !== undefined && endAt <= startAt) {
    problems.push({ option: 'endAt', value: options.endAt, message: MESSAGES.endBeforeStart });
  }
  const { maxRuns } = options;
  if (maxRuns !== undefined) {
    if (!Number.isInteger(maxRuns) || maxRuns < 1) {
      problems.push({ option: 'maxRuns', value: maxRuns, message: MESSAGES.badMaxRuns });
    } else if (options.scope === 'cluster') {
      problems.push({ option: 'maxRuns', value: maxRuns, message: MESSAGES.maxRunsNotInCluster });
    }
  }
  return { startAt, endAt, maxRuns };
}

/** `setInterval(value)` at run time: a duration or cron spec, longer than the jitter. */
export function checkNewInterval(
  value: IntervalSpec,
  jitterMs: number,
  problems: OptionProblem[],
): ParsedInterval {
  const parsed = checkInterval(problems, 'interval', value);
  if (jitterMs > 0 && parsed.intervalMs !== undefined && parsed.intervalMs <= jitterMs) {
    problems.push({
      option: 'interval',
      value,
      message: MESSAGES.intervalNotLongerThanJitter(formatDuration(jitterMs)),
    });
  }
  if (parsed.intervalFn) {
    problems.push({ option: 'interval', value, message: MESSAGES.setIntervalFunction });
  }
  return parsed;
}

/** `jitter` shorter than the interval, and no `runOnStart` for a cron routine in cluster scope. */
export function checkJitterAndStart(
  problems: OptionProblem[],
  options: PeriodicOptions,
  interval: ParsedInterval,
  jitterMs: number | undefined,
): void {
  if (
    jitterMs !== undefined &&
    interval.intervalMs !== undefined &&
    jitterMs >= interval.intervalMs
  ) {
    problems.push({
      option: 'jitter',
      value: options.jitter,
      message: MESSAGES.jitterNotShorterThanInterval(formatDuration(interval.intervalMs)),
    });
  }
  if (options.scope === 'cluster' && interval.cron && options.runOnStart) {
    problems.push({ option: 'runOnStart', value: true, message: MESSAGES.clusterCronRunOnStart });
  }
}
