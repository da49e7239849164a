import {
  formatDuration,
  isCronSpec,
  nextCronTime,
  parseCron,
  parseDuration,
  type IntervalSpec,
  type OptionProblem,
} from '../core';
import { MESSAGES } from './dashboard.messages';

/**
 * Due times of a cron looked at for its shortest gap. Each costs the cron package about 4 ms
 * (measured: 1,500 took 6 s), so a few: a cron's shortest gap comes from its finest field with
 * several values, which shows within its first times ('0,1 3 * * *' on the first day). A gap
 * that happens rarer than that (a leap day's) goes unseen; the guardrail is for typos
 * ('* * * * * *' for '0 * * * * *'), which show at once.
 */
const CRON_TIMES_LOOKED_AT = 24;

/**
 * Why `interval` is under the dashboard's `minInterval`, or undefined when it is not (or the
 * check is off, or the value is bad: the routine says why then). A cron's interval is the
 * shortest gap between its next due times.
 */
export function underMinInterval(
  interval: IntervalSpec,
  minIntervalMs: number,
): string | undefined {
  if (minIntervalMs <= 0) return undefined;
  const min = formatDuration(minIntervalMs);
  if (isCronSpec(interval)) {
    const gap = shortestCronGap(interval, minIntervalMs);
    if (gap === undefined || gap >= minIntervalMs) return undefined;
    return MESSAGES.cronUnderMinInterval(interval.cron, formatDuration(gap), min);
  }
  const parsed = parseDuration(interval);
  if (!('ms' in parsed) || parsed.ms >= minIntervalMs) return undefined;
  return MESSAGES.intervalUnderMinInterval(String(interval), min);
}

/**
 * The shortest gap between a cron's next due times, from now (the first one under `below`, if
 * given: enough to refuse it); undefined for a bad cron.
 */
export function shortestCronGap(
  spec: { cron: string; timeZone?: string },
  below = 1000,
): number | undefined {
  const problems: OptionProblem[] = [];
  const cron = parseCron(spec, 'cron', problems);
  if (!cron) return undefined;
  let previous = nextCronTime(cron, Date.now());
  let shortest = Infinity;
  for (let i = 0; i < CRON_TIMES_LOOKED_AT; i++) {
    const next = nextCronTime(cron, previous);
    shortest = Math.min(shortest, next - previous);
    // Under the minimum (or at a second, the least a cron has): nothing more to find.
    if (shortest < below || shortest <= 1000) break;
    previous = next;
  }
  return shortest;
}
